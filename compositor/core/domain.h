/* A domain: identity from the configuration and the transport (never from
 * the guest), plus what its guest created over the current link. */
#ifndef TSR_CORE_DOMAIN_H
#define TSR_CORE_DOMAIN_H

#include <pixman.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/guest_link.h"
#include "core/violation_limit.h"
#include "tessera/config.h"
#include "tessera/protocol.h"

struct tsr_server;

struct tsr_guest_buffer {
	bool in_use;
	uint32_t id;
	uint32_t surface_id;
	bool ever_current;
	struct tsr_buffer *buffer;
};

struct tsr_surface {
	bool in_use;
	uint32_t id;
	uint32_t width, height, format, stride;
	struct tsr_guest_buffer *current; /* committed buffer, or NULL */
	pixman_region32_t pending_damage; /* surface coordinates */
	bool frame_requested;
	bool damage_sent; /* DAMAGE arrived since the last COMMIT */
	uint32_t commit_serial;
	uint32_t configured_width, configured_height;
};

struct tsr_domain_stats {
	uint64_t commits;
	uint64_t frames_done;
	uint64_t input_dropped;
	uint64_t violations;
};

struct tsr_domain {
	struct tsr_server *server;
	int index;
	const struct tsr_domain_config *config;
	int32_t domid; /* -1 for local-transport domains */
	struct tsr_guest_link *link;
	/* input = pv: the PV keyboard/pointer device while one is connected
	 * (core/input_sink.h); input then goes there and never to link. */
	struct tsr_input_sink *input_sink;
	bool hello_done;
	uint32_t capabilities;
	struct tsr_surface surfaces[TSR_MAX_SURFACES_PER_GUEST];
	struct tsr_guest_buffer buffers[TSR_MAX_BUFFERS_PER_GUEST];
	struct tsr_domain_stats stats;
	char last_drop_reason[160];
	struct tsr_violation_limiter violation_limiter;
};

struct tsr_domain *tsr_domain_create(struct tsr_server *server, int index,
				     const struct tsr_domain_config *config);
void tsr_domain_destroy(struct tsr_domain *domain);

/* Takes ownership of link; refuses (false) if a guest is already connected. */
bool tsr_domain_attach_link(struct tsr_domain *domain, struct tsr_guest_link *link, int32_t domid);
/* Drops the guest: unmaps everything, logs reason, keeps the domain. */
void tsr_domain_disconnect(struct tsr_domain *domain, const char *reason, bool violation);

/* The surface the layout shows for this domain (the first live one). */
struct tsr_surface *tsr_domain_main_surface(struct tsr_domain *domain);

/* Whether a surface is on screen: the main surface of a visible domain. */
bool tsr_domain_surface_shown(struct tsr_domain *domain, const struct tsr_surface *surface);

/* Sends FRAME_DONE to the waiting surfaces that are shown (paced by output
 * frames) or, with shown false, to the hidden ones (paced at 1 Hz). */
void tsr_domain_send_frame_done(struct tsr_domain *domain, uint64_t time_ns, bool shown);

/* Sends CONFIGURE to surfaces whose size differs from the layout's.
 * false: the guest's queue is full; the caller drops it (outside any link
 * callback: a link is never destroyed from inside its own callbacks). */
bool tsr_domain_configure(struct tsr_domain *domain);

/* Queues an input message; input is dropped (counted, logged once per
 * burst) when the guest does not read. */
void tsr_domain_send_input(struct tsr_domain *domain, const struct tsr_msg *msg);

static inline bool tsr_domain_connected(const struct tsr_domain *domain)
{
	return domain->link != NULL;
}

#endif
