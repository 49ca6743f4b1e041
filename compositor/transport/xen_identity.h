/* Which configured domain a Xen domain is, decided the same way for every
 * Xen transport (the agent's vchan, vdispl, vkb): by the name the toolstack
 * wrote at /local/domain/<domid>/name (a node the guest can read but not
 * write), matched exactly against the configuration's [domain NAME]
 * sections for that transport's role. Nothing a guest writes takes part,
 * so a domain's banner and border (core/decorations.c, from its entry) say
 * what the toolstack and the configuration say. Each transport then keeps
 * one live domid per entry. */
#ifndef TSR_TRANSPORT_XEN_IDENTITY_H
#define TSR_TRANSPORT_XEN_IDENTITY_H

#include <stdbool.h>
#include <stdint.h>

#include "tessera/config.h"

struct xs_handle;

enum tsr_xen_role {
	TSR_XEN_ROLE_AGENT,	 /* transport = xen, display = agent */
	TSR_XEN_ROLE_PV_DISPLAY, /* transport = xen, display = pv */
	TSR_XEN_ROLE_PV_INPUT,	 /* transport = xen, input = pv (either display) */
};

struct tsr_xen_identity {
	int index; /* the configured domain for the role, or -1 */
	/* The Xen domain of that name whatever its role (-1: none), so a
	 * refusal can say which key is missing. */
	int named_index;
	/* The toolstack's name, for log lines only: cut to TSR_NAME_MAX - 1,
	 * "?" when unreadable or not one string. */
	char name[TSR_NAME_MAX];
};

/* Reads and matches domid's toolstack name. False when the domain has no
 * name (yet: a domain being built), with out as for an unknown domain. */
bool tsr_xen_identify(struct xs_handle *xs, const struct tsr_config *config, uint32_t domid,
		      enum tsr_xen_role role, struct tsr_xen_identity *out);

#endif
