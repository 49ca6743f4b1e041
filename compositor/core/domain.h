/* A domain: identity from the configuration and the transport (never from
 * the guest), plus what its guest created over the current link. */
#ifndef TSR_CORE_DOMAIN_H
#define TSR_CORE_DOMAIN_H

#include <pixman.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/guest_link.h"
#include "core/layout.h"
#include "tessera/config.h"
#include "tessera/protocol.h"

struct tsr_server;
struct tsr_event_loop;
struct tsr_input_sink;

/* What one domain's guests can make Tessera log: at most this many lines
 * per window; then one "N similar lines suppressed" summary. */
#define TSR_DOMAIN_LOG_BURST 10u
#define TSR_DOMAIN_LOG_WINDOW_S 10u

struct tsr_guest_buffer {
	bool in_use;
	uint32_t id;
	uint32_t surface_id;
	bool ever_current;
	bool release_due; /* replaced: released with its surface's next FRAME_DONE */
	struct tsr_buffer *buffer;
	/* Outputs whose display plane shows it or is about to (direct
	 * scanout, core/scanout.c): while any does, no BUFFER_RELEASE goes
	 * out for it and it is not destroyed. */
	uint32_t plane_holds;
	bool destroyed; /* the guest destroyed it (or left) while it was held */
	bool orphaned;	/* and its link is gone: nobody to release it to */
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
	uint64_t input_coalesced; /* motions replaced, scrolls summed while held back */
	uint64_t input_dropped;	  /* lost with a guest dropped for not reading */
	uint64_t violations;
	uint64_t refused_connections; /* a guest was connected, or a cool-down */
};

struct tsr_input_backlog;
struct tsr_event_source;

/* What a domain reports to its owner (the server), and the two things it
 * asks of it: the domain never sees the server. index is the domain's. */
struct tsr_domain_listener {
	/* The guest changed pixels of its main surface, in surface
	 * coordinates (NULL: all of it), or of display surface_id of a
	 * fixed-size guest. */
	void (*damage)(void *data, int index, const pixman_region32_t *surface_damage);
	void (*display_damage)(void *data, int index, uint32_t surface_id,
			       const pixman_region32_t *surface_damage);
	/* A fixed-size guest's set of displays changed: the layout follows. */
	void (*displays_changed)(void *data, int index);
	/* A surface waits for FRAME_DONE from the output frames (shown) or
	 * from the 1 Hz clock of hidden surfaces. */
	void (*frame_wanted)(void *data, bool shown);
	void (*ready)(void *data, int index); /* HELLO accepted */
	void (*gone)(void *data, int index);  /* the guest's link was dropped */
	/* Whether the domain is on screen anywhere, and the size the layout
	 * gives its content. */
	bool (*visible)(void *data, int index);
	void (*content_size)(void *data, int index, uint32_t *width, uint32_t *height);
	/* Optional: buffer (a dma-buf) is about to be destroyed; whoever
	 * imported it into a device drops the import (core/scanout.c). */
	void (*buffer_gone)(void *data, int index, struct tsr_buffer *buffer);
	void *data;
};

struct tsr_domain *tsr_domain_create(struct tsr_event_loop *loop,
				     const struct tsr_domain_listener *listener, int index,
				     const struct tsr_domain_config *config);
void tsr_domain_destroy(struct tsr_domain *domain);

/* The one ban policy for guest links: false while domain instance domid
 * (under Xen) stays refused, having been dropped for a violation, until
 * the domain restarts with a new domid; logged once per instance.
 * Transports ask before they set a link up, and attach asks again. */
bool tsr_domain_may_connect(struct tsr_domain *domain, int32_t domid);
/* Takes ownership of link; refuses (false) if a guest is already connected,
 * the domain is in a cool-down (violation_limit.h) or may not connect. */
bool tsr_domain_attach_link(struct tsr_domain *domain, struct tsr_guest_link *link, int32_t domid);
/* Counts a violation by instance domid against the one ban policy (that
 * instance is refused from now on, and a burst refuses the domain for a
 * while): for guest links through tsr_domain_disconnect, for other guest
 * devices (a PV keyboard) by their backends. */
void tsr_domain_note_violation(struct tsr_domain *domain, int32_t domid);
/* Drops the guest: unmaps everything, logs reason, keeps the domain. */
void tsr_domain_disconnect(struct tsr_domain *domain, const char *reason, bool violation);

/* The surface the layout shows for this domain (the first live one). */
struct tsr_surface *tsr_domain_main_surface(struct tsr_domain *domain);

/* The live surface with that id, or NULL. */
struct tsr_surface *tsr_domain_find_surface(struct tsr_domain *domain, uint32_t id);

/* The displays the layout places for a fixed-size guest (every live
 * surface, by id); none for agent guests and disconnected domains. */
void tsr_domain_displays(struct tsr_domain *domain, struct tsr_layout_displays *out);

/* Whether a surface is on screen: in a visible domain, the main surface of
 * an agent guest or any surface of a fixed-size guest. */
bool tsr_domain_surface_shown(struct tsr_domain *domain, const struct tsr_surface *surface);

/* Sends FRAME_DONE to the waiting surfaces that are shown (paced by output
 * frames) or, with shown false, to the hidden ones (paced at 1 Hz).
 * Returns whether any surface was waiting. */
bool tsr_domain_send_frame_done(struct tsr_domain *domain, uint64_t time_ns, bool shown);

/* Whether what the guest sends wakes Tessera at once (false) or waits to
 * be read by tsr_domain_read_deferred (guest_link.h's defer_reads). */
void tsr_domain_defer_reads(struct tsr_domain *domain, bool deferred);
/* Reads what a deferred guest sent; the guest may be dropped. */
void tsr_domain_read_deferred(struct tsr_domain *domain);

/* Sends CONFIGURE to surfaces whose size differs from the layout's; never
 * to a fixed-size link (guest_link.h).
 * false: the guest's queue is full; the caller drops it (outside any link
 * callback: a link is never destroyed from inside its own callbacks). */
bool tsr_domain_configure(struct tsr_domain *domain);

/* Queues an input message (KEY, POINTER_*, FOCUS_*). When the link's queue
 * is full, the message waits in the domain's input backlog, in order, with
 * motion coalesced, and goes out as soon as the guest has read enough. A
 * guest that lets TSR_INPUT_BACKLOG_EVENTS key, button, scroll and focus
 * events wait is dropped (from the event loop, never from inside this
 * call: the seat calls it). */
void tsr_domain_send_input(struct tsr_domain *domain, const struct tsr_msg *msg);

/* What the others read of a domain (the struct is domain.c's). */
bool tsr_domain_connected(const struct tsr_domain *domain); /* a link is attached */
const struct tsr_domain_config *tsr_domain_config(const struct tsr_domain *domain);
int tsr_domain_index(const struct tsr_domain *domain);
/* The current or last guest instance's domid (for log lines); -1 for
 * local transports and before any guest. */
int32_t tsr_domain_domid(const struct tsr_domain *domain);
const struct tsr_domain_stats *tsr_domain_stats(const struct tsr_domain *domain);
/* Why the last guest was dropped ("" until one was). */
const char *tsr_domain_last_drop_reason(const struct tsr_domain *domain);
/* Input messages waiting in the backlog for the guest to read. */
size_t tsr_domain_input_waiting(const struct tsr_domain *domain);
/* Whether the connected guest's link is a fixed-size one (guest_link.h);
 * false while none is connected. */
bool tsr_domain_fixed_size(const struct tsr_domain *domain);
/* The PV input device while one is attached (input = pv), else NULL. */
struct tsr_input_sink *tsr_domain_input_sink(const struct tsr_domain *domain);
/* Whether a surface waits for FRAME_DONE that is shown (or, with shown
 * false, hidden): tsr_domain_send_frame_done would have work. */
/* Direct scanout (core/scanout.c): the guest buffer whose pixels are
 * buffer (a current buffer of this domain) is put on a plane; NULL when
 * buffer is none of its live buffers. Every hold is undone once with
 * tsr_domain_unhold_buffer, after a frame that no longer shows it has
 * reached the screen: only then is a release due for it sent, or, if the
 * guest destroyed it meanwhile, it is destroyed and finally released. */
struct tsr_guest_buffer *tsr_domain_hold_buffer(struct tsr_domain *domain,
						const struct tsr_buffer *buffer);
void tsr_domain_unhold_buffer(struct tsr_domain *domain, struct tsr_guest_buffer *held);

bool tsr_domain_frame_requested(struct tsr_domain *domain, bool shown);

#endif
