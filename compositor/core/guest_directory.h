/* All a transport knows of the core: the configured domains, by their
 * index in the configuration, and the doors into them. A transport learns
 * which domain a guest belongs to, asks whether it may connect, and hands
 * over its link (or PV input device); the core's types and state stay out
 * of its reach. Transports include this, guest_link.h and input_sink.h,
 * never server.h or domain.h. The directory is the server's
 * (tsr_server_guests); every index is below config->domain_count. */
#ifndef TSR_CORE_GUEST_DIRECTORY_H
#define TSR_CORE_GUEST_DIRECTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tessera/config.h"

struct tsr_guest_directory;
struct tsr_guest_link;
struct tsr_input_sink;

/* The configuration the domains were made from (read-only). */
const struct tsr_config *tsr_guests_config(const struct tsr_guest_directory *guests);

/* The core's one ban policy (domain.h tsr_domain_may_connect). */
bool tsr_guests_may_connect(struct tsr_guest_directory *guests, size_t index, int32_t domid);
/* Takes ownership of link, or refuses (false) and leaves it to the caller
 * (domain.h tsr_domain_attach_link). domid: -1 for local guests. */
bool tsr_guests_attach_link(struct tsr_guest_directory *guests, size_t index,
			    struct tsr_guest_link *link, int32_t domid);
bool tsr_guests_connected(const struct tsr_guest_directory *guests, size_t index);
/* Drops the domain's guest link, if any, with reason in the log. */
void tsr_guests_disconnect(struct tsr_guest_directory *guests, size_t index, const char *reason,
			   bool violation);

/* A guest device other than the link (a PV keyboard) broke its protocol:
 * the core's one ban policy refuses instance domid from now on
 * (tsr_guests_may_connect), whichever device or transport it comes back
 * over. The caller has closed the device and logged why. */
void tsr_guests_report_violation(struct tsr_guest_directory *guests, size_t index, int32_t domid);

/* input = pv: the domain's PV keyboard and pointer (input_sink.h). */
bool tsr_guests_attach_input_sink(struct tsr_guest_directory *guests, size_t index,
				  struct tsr_input_sink *sink);
/* Detaches sink if it is the domain's (accepts NULL). */
void tsr_guests_detach_input_sink(struct tsr_guest_directory *guests, size_t index,
				  struct tsr_input_sink *sink);

#endif
