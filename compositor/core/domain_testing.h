/* For tests only (tests/unit, tests/domain): a domain's internal state,
 * which the compositor reads only through domain.h. Tests reach in here
 * to set up or check what the protocol would have left behind; nothing
 * under compositor/ includes this file. */
#ifndef TSR_CORE_DOMAIN_TESTING_H
#define TSR_CORE_DOMAIN_TESTING_H

#include <stddef.h>
#include <stdint.h>

#include "core/domain.h"

/* Slot i (< TSR_MAX_SURFACES_PER_GUEST, < TSR_MAX_BUFFERS_PER_GUEST) of
 * the domain's surface and buffer tables, live or not. */
struct tsr_surface *tsr_domain_test_surface_slot(struct tsr_domain *domain, size_t i);
struct tsr_guest_buffer *tsr_domain_test_buffer_slot(struct tsr_domain *domain, size_t i);
/* The attached link, or NULL. */
struct tsr_guest_link *tsr_domain_test_link(struct tsr_domain *domain);
/* As if the guest's HELLO had also announced caps. */
void tsr_domain_test_add_capabilities(struct tsr_domain *domain, uint32_t caps);
/* Forgets every violation counted so far (instances and the burst). */
void tsr_domain_test_forget_violations(struct tsr_domain *domain);
/* The input backlog (core/input_backlog.h), or NULL while none exists. */
const struct tsr_input_backlog *tsr_domain_test_input_backlog(const struct tsr_domain *domain);

#endif
