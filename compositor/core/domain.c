/* Per-domain protocol state machine. Messages arrive decoded (structure
 * and caps checked); here they are checked against what this guest has
 * created. Any violation drops the guest, never anything else. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/domain.h"
#include "core/domain_testing.h"
#include "core/input_backlog.h"
#include "core/input_sink.h"
#include "core/violation_limit.h"
#include "tessera/event_loop.h"
#include "tessera/log.h"
#include "util/log_limit.h"

/* Opaque outside this file (domain.h): the others ask through functions. */
struct tsr_domain {
	struct tsr_event_loop *loop;
	struct tsr_domain_listener listener;
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
	/* Input the link refused, waiting for room (core/input_backlog.h);
	 * NULL until first needed. */
	struct tsr_input_backlog *input_backlog;
	struct tsr_event_source *input_overflow; /* idle: drops the guest */
	char last_drop_reason[160];
	uint32_t last_drop_code; /* enum tsr_error_code of the reason; 0: none yet */
	/* Messages to the guest are built here, one at a time: allocated once,
	 * since a struct tsr_msg holds the 64 KiB grant ref array. */
	struct tsr_msg *outgoing;
	struct tsr_violation_limiter violation_limiter;
	struct tsr_log_limit log_limit; /* every line its guests can cause */
};

/* A damage region with more rectangles than this collapses to its extents:
 * bounded work per frame whatever a guest sends. */
#define MAX_DAMAGE_RECTS 32

/* Every line a guest can cause goes through its domain's log budget
 * (log_limit.h), so no peer can flood the log. */
static void log_domain(enum tsr_log_level level, struct tsr_domain *domain, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void log_domain(enum tsr_log_level level, struct tsr_domain *domain, const char *fmt, ...)
{
	uint64_t suppressed;
	if (!tsr_log_limit_allow(&domain->log_limit, tsr_now_ns(), &suppressed))
		return;
	if (suppressed)
		tsr_log_domain(
		    TSR_LOG_WARN, domain->config->name, domain->domid,
		    "%llu similar lines suppressed (at most %u lines per %u s per domain)",
		    (unsigned long long)suppressed, TSR_DOMAIN_LOG_BURST, TSR_DOMAIN_LOG_WINDOW_S);
	va_list args;
	va_start(args, fmt);
	tsr_log_domain_v(level, domain->config->name, domain->domid, fmt, args);
	va_end(args);
}

/* The domain's send scratch, typed; the caller assigns the body member of
 * that type whole. The encoder reads only that member, so a FRAME_DONE
 * costs its 24 bytes, not the 64 KiB a zeroed struct tsr_msg would. */
static struct tsr_msg *outgoing(struct tsr_domain *domain, enum tsr_msg_type type)
{
	domain->outgoing->type = type;
	return domain->outgoing;
}

struct tsr_domain *tsr_domain_create(struct tsr_event_loop *loop,
				     const struct tsr_domain_listener *listener, int index,
				     const struct tsr_domain_config *config)
{
	struct tsr_domain *domain = calloc(1, sizeof(*domain));
	if (!domain)
		return NULL;
	domain->outgoing = calloc(1, sizeof(*domain->outgoing));
	if (!domain->outgoing) {
		free(domain);
		return NULL;
	}
	domain->loop = loop;
	domain->listener = *listener;
	domain->log_limit =
	    (struct tsr_log_limit)TSR_LOG_LIMIT_INIT(TSR_DOMAIN_LOG_BURST, TSR_DOMAIN_LOG_WINDOW_S);
	domain->index = index;
	domain->config = config;
	domain->domid = -1;
	return domain;
}

/* What still waits for the guest is lost with it (counted). */
static void forget_input_backlog(struct tsr_domain *domain)
{
	domain->stats.input_dropped += tsr_input_backlog_length(domain->input_backlog);
	tsr_input_backlog_destroy(domain->input_backlog);
	domain->input_backlog = NULL;
	tsr_event_source_remove(domain->input_overflow);
	domain->input_overflow = NULL;
}

static void free_buffer(struct tsr_domain *domain, struct tsr_guest_buffer *buffer);

void tsr_domain_destroy(struct tsr_domain *domain)
{
	if (!domain)
		return;
	if (domain->link)
		tsr_domain_disconnect(domain, "compositor shutting down", false);
	forget_input_backlog(domain);
	/* Shutting down: buffers still on a plane go now (the planes are
	 * given back with the outputs). */
	for (size_t i = 0; i < TSR_MAX_BUFFERS_PER_GUEST; i++)
		if (domain->buffers[i].in_use)
			free_buffer(domain, &domain->buffers[i]);
	free(domain->outgoing);
	free(domain);
}

static void free_buffer(struct tsr_domain *domain, struct tsr_guest_buffer *buffer)
{
	if (buffer->buffer && buffer->buffer->dmabuf_fd >= 0 && domain->listener.buffer_gone)
		domain->listener.buffer_gone(domain->listener.data, domain->index, buffer->buffer);
	tsr_buffer_destroy(buffer->buffer);
	memset(buffer, 0, sizeof(*buffer));
}

/* Returns whether it is gone now; a buffer on a display plane goes when
 * the plane no longer shows it (tsr_domain_unhold_buffer), and its final
 * release waits until then. */
static bool destroy_buffer(struct tsr_domain *domain, struct tsr_guest_buffer *buffer)
{
	if (buffer->plane_holds) {
		buffer->destroyed = true;
		buffer->release_due = false;
		return false;
	}
	free_buffer(domain, buffer);
	return true;
}

/* The final release after BUFFER_DESTROY / SURFACE_DESTROY: from here the
 * guest may unshare the memory and reuse the id (protocol/README.md 6.2). */
static bool send_final_release(struct tsr_domain *domain, uint32_t buffer_id);

/* Returns false if a final release could not be queued (the guest does
 * not read); the buffers are gone either way. */
static bool destroy_surface(struct tsr_domain *domain, struct tsr_surface *surface,
			    bool send_releases)
{
	bool sent = true;
	for (size_t i = 0; i < TSR_MAX_BUFFERS_PER_GUEST; i++) {
		struct tsr_guest_buffer *buffer = &domain->buffers[i];
		if (!buffer->in_use || buffer->surface_id != surface->id)
			continue;
		uint32_t id = buffer->id;
		if (buffer->destroyed || !destroy_buffer(domain, buffer))
			continue;
		if (send_releases && sent)
			sent = send_final_release(domain, id);
	}
	pixman_region32_fini(&surface->pending_damage);
	memset(surface, 0, sizeof(*surface));
	return sent;
}

void tsr_domain_note_violation(struct tsr_domain *domain, int32_t domid)
{
	domain->stats.violations++;
	tsr_violation_limiter_record_instance(&domain->violation_limiter, domid);
	if (tsr_violation_limiter_record(&domain->violation_limiter, tsr_now_ns()))
		tsr_log_domain(TSR_LOG_WARN, domain->config->name, domid,
			       "%u violations within %llu s: refusing its connections for %llu s",
			       TSR_VIOLATION_BURST,
			       (unsigned long long)(TSR_VIOLATION_WINDOW_NS / 1000000000ull),
			       (unsigned long long)(TSR_VIOLATION_COOLDOWN_NS / 1000000000ull));
}

void tsr_domain_disconnect(struct tsr_domain *domain, const char *reason, bool violation)
{
	if (!domain->link)
		return;
	bool was_visible = tsr_domain_main_surface(domain) != NULL;
	bool fixed_size = domain->link->fixed_size;
	if (violation) {
		tsr_domain_note_violation(domain, domain->domid);
		/* The core's checks name their code; what the transport
		 * finds (framing, decoding, fds) is a PROTOCOL violation. */
		struct tsr_msg *msg = outgoing(domain, TSR_MSG_ERROR);
		msg->u.error = (struct tsr_msg_error){
		    .code = domain->last_drop_code ? domain->last_drop_code : TSR_ERROR_PROTOCOL};
		size_t n = 0;
		for (const char *c = reason; *c && n + 1 < TSR_ERROR_TEXT_MAX; c++)
			msg->u.error.text[n++] = (*c >= 0x20 && *c < 0x7f) ? *c : '?';
		domain->link->impl->send(domain->link, msg);
		log_domain(TSR_LOG_WARN, domain, "dropped: %s", reason);
	} else {
		log_domain(TSR_LOG_INFO, domain, "disconnected: %s", reason);
	}
	snprintf(domain->last_drop_reason, sizeof(domain->last_drop_reason), "%s", reason);
	for (size_t i = 0; i < TSR_MAX_SURFACES_PER_GUEST; i++)
		if (domain->surfaces[i].in_use)
			destroy_surface(domain, &domain->surfaces[i], false);
	for (size_t i = 0; i < TSR_MAX_BUFFERS_PER_GUEST; i++) {
		struct tsr_guest_buffer *buffer = &domain->buffers[i];
		if (buffer->in_use && (buffer->destroyed || !destroy_buffer(domain, buffer)))
			buffer->orphaned = true;
	}
	forget_input_backlog(domain);
	tsr_guest_link_destroy(domain->link);
	domain->link = NULL;
	domain->hello_done = false;
	domain->listener.gone(domain->listener.data, domain->index);
	if (fixed_size && was_visible)
		domain->listener.displays_changed(domain->listener.data, domain->index);
	else if (was_visible)
		domain->listener.damage(domain->listener.data, domain->index, NULL);
}

struct tsr_surface *tsr_domain_main_surface(struct tsr_domain *domain)
{
	for (size_t i = 0; i < TSR_MAX_SURFACES_PER_GUEST; i++)
		if (domain->surfaces[i].in_use)
			return &domain->surfaces[i];
	return NULL;
}

struct tsr_surface *tsr_domain_find_surface(struct tsr_domain *domain, uint32_t id)
{
	for (size_t i = 0; i < TSR_MAX_SURFACES_PER_GUEST; i++)
		if (domain->surfaces[i].in_use && domain->surfaces[i].id == id)
			return &domain->surfaces[i];
	return NULL;
}

/* A buffer the guest may use (one it destroyed while on a plane is no
 * longer one). */
static struct tsr_guest_buffer *find_buffer(struct tsr_domain *domain, uint32_t id)
{
	for (size_t i = 0; i < TSR_MAX_BUFFERS_PER_GUEST; i++)
		if (domain->buffers[i].in_use && !domain->buffers[i].destroyed &&
		    domain->buffers[i].id == id)
			return &domain->buffers[i];
	return NULL;
}

/* Whether the guest may not attach a buffer under id yet: one of this link
 * has it and its final release has not been sent. */
static bool buffer_id_taken(struct tsr_domain *domain, uint32_t id)
{
	for (size_t i = 0; i < TSR_MAX_BUFFERS_PER_GUEST; i++)
		if (domain->buffers[i].in_use && !domain->buffers[i].orphaned &&
		    domain->buffers[i].id == id)
			return true;
	return false;
}

/* Notes why the guest is about to be dropped and which ERROR code tells it
 * (protocol/README.md section 7); returns false for the caller to pass up. */
static bool violation(struct tsr_domain *domain, enum tsr_error_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static bool violation(struct tsr_domain *domain, enum tsr_error_code code, const char *fmt, ...)
{
	domain->last_drop_code = code;
	va_list args;
	va_start(args, fmt);
	vsnprintf(domain->last_drop_reason, sizeof(domain->last_drop_reason), fmt, args);
	va_end(args);
	return false;
}

static bool send_or_note(struct tsr_domain *domain, const struct tsr_msg *msg)
{
	if (domain->link->impl->send(domain->link, msg))
		return true;
	snprintf(domain->last_drop_reason, sizeof(domain->last_drop_reason),
		 "guest does not read its connection (send queue full)");
	domain->last_drop_code = TSR_ERROR_LIMIT;
	return false;
}

static bool send_release(struct tsr_domain *domain, uint32_t buffer_id)
{
	struct tsr_msg *release = outgoing(domain, TSR_MSG_BUFFER_RELEASE);
	release->u.buffer_release = (struct tsr_msg_buffer_release){.buffer_id = buffer_id};
	return send_or_note(domain, release);
}

static bool send_final_release(struct tsr_domain *domain, uint32_t buffer_id)
{
	return send_release(domain, buffer_id);
}

static bool handle_hello(struct tsr_domain *domain, const struct tsr_msg_hello *untrusted_hello)
{
	if (domain->hello_done)
		return violation(domain, TSR_ERROR_PROTOCOL, "HELLO sent twice");
	uint16_t minor;
	if (!tsr_negotiate_version(TSR_PROTOCOL_MAJOR, TSR_PROTOCOL_MINOR, untrusted_hello->major,
				   untrusted_hello->minor, &minor))
		return violation(
		    domain, TSR_ERROR_VERSION, "protocol version %u.%u not supported (want %u.x)",
		    untrusted_hello->major, untrusted_hello->minor, TSR_PROTOCOL_MAJOR);
	uint32_t ours =
	    TSR_CAP_INPUT |
	    (domain->config->transport == TSR_TRANSPORT_XEN ? TSR_CAP_GRANTS : TSR_CAP_MEMFD);
	domain->capabilities = untrusted_hello->capabilities & ours;
	domain->hello_done = true;
	struct tsr_msg *reply = outgoing(domain, TSR_MSG_WELCOME);
	reply->u.welcome = (struct tsr_msg_welcome){
	    .major = TSR_PROTOCOL_MAJOR,
	    .minor = minor,
	    .capabilities = domain->capabilities,
	    .max_width = TSR_MAX_DIMENSION,
	    .max_height = TSR_MAX_DIMENSION,
	};
	log_domain(TSR_LOG_INFO, domain, "guest connected, protocol %u.%u", TSR_PROTOCOL_MAJOR,
		   minor);
	if (!send_or_note(domain, reply))
		return false;
	domain->listener.ready(domain->listener.data, domain->index);
	return true;
}

/* Agents speak the wire protocol: its two formats, strides a multiple of 4
 * (protocol/README.md section 4). A link that checked its frontend's
 * formats itself (guest_link.h) may bring every format the renderer shows,
 * with pitches of exactly width x bytes per pixel. The size caps are the
 * same for both. */
static bool validate_surface(const struct tsr_domain *domain,
			     const struct tsr_msg_surface_create *untrusted_create, char *err,
			     size_t err_len)
{
	if (tsr_link_formats(domain->link) == TSR_LINK_WIRE_FORMATS)
		return tsr_validate_surface(untrusted_create->width, untrusted_create->height,
					    untrusted_create->fourcc, untrusted_create->stride, err,
					    err_len);
	uint32_t bpp = tsr_buffer_format_bpp(untrusted_create->fourcc);
	if (bpp == 0) {
		snprintf(err, err_len, "fourcc 0x%08x unsupported", untrusted_create->fourcc);
		return false;
	}
	return tsr_validate_surface_geometry(untrusted_create->width, untrusted_create->height, bpp,
					     untrusted_create->stride, 1, err, err_len);
}

static bool handle_surface_create(struct tsr_domain *domain,
				  const struct tsr_msg_surface_create *untrusted_create)
{
	char err[128];
	if (tsr_domain_find_surface(domain, untrusted_create->surface_id))
		return violation(domain, TSR_ERROR_ID, "SURFACE_CREATE: surface %u exists",
				 untrusted_create->surface_id);
	if (!validate_surface(domain, untrusted_create, err, sizeof(err)))
		return violation(domain, TSR_ERROR_PROTOCOL, "SURFACE_CREATE: %s", err);
	/* Validated from here on: the id is new, the geometry within the caps. */
	struct tsr_surface *surface = NULL;
	for (size_t i = 0; i < TSR_MAX_SURFACES_PER_GUEST && !surface; i++)
		if (!domain->surfaces[i].in_use)
			surface = &domain->surfaces[i];
	if (!surface)
		return violation(domain, TSR_ERROR_LIMIT, "SURFACE_CREATE: more than %u surfaces",
				 TSR_MAX_SURFACES_PER_GUEST);
	surface->in_use = true;
	surface->id = untrusted_create->surface_id;
	surface->width = untrusted_create->width;
	surface->height = untrusted_create->height;
	surface->format = untrusted_create->fourcc;
	surface->stride = untrusted_create->stride;
	pixman_region32_init(&surface->pending_damage);
	if (domain->link->fixed_size)
		domain->listener.displays_changed(domain->listener.data, domain->index);
	return tsr_domain_configure(domain);
}

static bool handle_surface_destroy(struct tsr_domain *domain, uint32_t untrusted_surface_id)
{
	struct tsr_surface *surface = tsr_domain_find_surface(domain, untrusted_surface_id);
	if (!surface)
		return violation(domain, TSR_ERROR_ID, "SURFACE_DESTROY: no surface %u",
				 untrusted_surface_id);
	bool main_surface = surface == tsr_domain_main_surface(domain);
	bool sent = destroy_surface(domain, surface, true);
	if (domain->link->fixed_size)
		domain->listener.displays_changed(domain->listener.data, domain->index);
	else if (main_surface)
		domain->listener.damage(domain->listener.data, domain->index, NULL);
	return sent;
}

static bool handle_attach(struct tsr_domain *domain, const struct tsr_msg *untrusted_msg)
{
	bool memfd = untrusted_msg->type == TSR_MSG_BUFFER_ATTACH_MEMFD;
	uint32_t untrusted_surface_id = memfd ? untrusted_msg->u.attach_memfd.surface_id
					      : untrusted_msg->u.attach_grants.surface_id;
	uint32_t untrusted_buffer_id = memfd ? untrusted_msg->u.attach_memfd.buffer_id
					     : untrusted_msg->u.attach_grants.buffer_id;
	uint64_t untrusted_offset =
	    memfd ? untrusted_msg->u.attach_memfd.offset : untrusted_msg->u.attach_grants.offset;
	uint32_t needed_cap = memfd ? TSR_CAP_MEMFD : TSR_CAP_GRANTS;
	if (!(domain->capabilities & needed_cap))
		return violation(domain, TSR_ERROR_CAPABILITY,
				 "%s on a transport that does not offer it",
				 tsr_msg_type_name(untrusted_msg->type));
	struct tsr_surface *surface = tsr_domain_find_surface(domain, untrusted_surface_id);
	if (!surface)
		return violation(domain, TSR_ERROR_ID, "BUFFER_ATTACH: no surface %u",
				 untrusted_surface_id);
	if (buffer_id_taken(domain, untrusted_buffer_id))
		return violation(domain, TSR_ERROR_ID, "BUFFER_ATTACH: buffer %u exists",
				 untrusted_buffer_id);
	struct tsr_guest_buffer *slot = NULL;
	for (size_t i = 0; i < TSR_MAX_BUFFERS_PER_GUEST && !slot; i++)
		if (!domain->buffers[i].in_use)
			slot = &domain->buffers[i];
	if (!slot)
		return violation(domain, TSR_ERROR_LIMIT, "BUFFER_ATTACH: more than %u buffers",
				 TSR_MAX_BUFFERS_PER_GUEST);
	char err[128];
	if (!tsr_validate_span(surface->width, surface->height,
			       tsr_buffer_format_bpp(surface->format), surface->stride,
			       untrusted_offset, TSR_MAX_BUFFER_BYTES + untrusted_offset, err,
			       sizeof(err)))
		return violation(domain, TSR_ERROR_BUFFER, "BUFFER_ATTACH: %s", err);
	/* Validated: the surface exists, the id is free, the span fits. */
	uint64_t offset = untrusted_offset;
	uint32_t buffer_id = untrusted_buffer_id;
	struct tsr_buffer_request request = tsr_buffer_request_for(
	    surface->width, surface->height, surface->stride, surface->format, offset);
	struct tsr_buffer *buffer = domain->link->impl->import_buffer(domain->link, untrusted_msg,
								      &request, err, sizeof(err));
	if (!buffer)
		return violation(domain, TSR_ERROR_BUFFER, "BUFFER_ATTACH %u: %s", buffer_id, err);
	slot->in_use = true;
	slot->id = buffer_id;
	slot->surface_id = surface->id;
	slot->buffer = buffer;
	return true;
}

/* Damage (surface coordinates, NULL: all of it) of a surface that is on
 * screen: an agent's main surface, or any display of a fixed-size guest. */
static void damage_surface(struct tsr_domain *domain, const struct tsr_surface *surface,
			   const pixman_region32_t *damage)
{
	if (domain->link->fixed_size)
		domain->listener.display_damage(domain->listener.data, domain->index, surface->id,
						damage);
	else if (surface == tsr_domain_main_surface(domain))
		domain->listener.damage(domain->listener.data, domain->index, damage);
}

static bool handle_buffer_destroy(struct tsr_domain *domain, uint32_t untrusted_buffer_id)
{
	struct tsr_guest_buffer *buffer = find_buffer(domain, untrusted_buffer_id);
	if (!buffer)
		return violation(domain, TSR_ERROR_ID, "BUFFER_DESTROY: no buffer %u",
				 untrusted_buffer_id);
	uint32_t buffer_id = buffer->id;
	struct tsr_surface *surface = tsr_domain_find_surface(domain, buffer->surface_id);
	if (surface && surface->current == buffer) {
		surface->current = NULL;
		damage_surface(domain, surface, NULL);
	}
	return !destroy_buffer(domain, buffer) || send_final_release(domain, buffer_id);
}

static bool handle_damage(struct tsr_domain *domain, const struct tsr_msg_damage *untrusted_damage)
{
	struct tsr_surface *surface = tsr_domain_find_surface(domain, untrusted_damage->surface_id);
	if (!surface)
		return violation(domain, TSR_ERROR_ID, "DAMAGE: no surface %u",
				 untrusted_damage->surface_id);
	for (uint32_t i = 0; i < untrusted_damage->count && i < TSR_MAX_DAMAGE_RECTS; i++) {
		/* Clipped to the surface: validated. */
		struct tsr_rect clipped;
		if (!tsr_clip_rect(&untrusted_damage->rects[i], surface->width, surface->height,
				   &clipped))
			continue;
		pixman_region32_union_rect(&surface->pending_damage, &surface->pending_damage,
					   clipped.x, clipped.y, clipped.width, clipped.height);
	}
	surface->damage_sent = true;
	if (pixman_region32_n_rects(&surface->pending_damage) > MAX_DAMAGE_RECTS) {
		pixman_box32_t extents = *pixman_region32_extents(&surface->pending_damage);
		pixman_region32_reset(&surface->pending_damage, &extents);
	}
	return true;
}

static bool handle_commit(struct tsr_domain *domain, const struct tsr_msg_commit *untrusted_commit)
{
	struct tsr_surface *surface = tsr_domain_find_surface(domain, untrusted_commit->surface_id);
	if (!surface)
		return violation(domain, TSR_ERROR_ID, "COMMIT: no surface %u",
				 untrusted_commit->surface_id);
	struct tsr_guest_buffer *buffer = find_buffer(domain, untrusted_commit->buffer_id);
	if (!buffer || buffer->surface_id != surface->id)
		return violation(domain, TSR_ERROR_ID,
				 "COMMIT: buffer %u is not attached to surface %u",
				 untrusted_commit->buffer_id, untrusted_commit->surface_id);
	/* Validated: both ids name live objects of this guest, and the buffer
	 * belongs to the surface. The serial is only echoed back. */
	struct tsr_guest_buffer *previous = surface->current;
	surface->current = buffer;
	/* No DAMAGE since the last commit means "everything changed", and a
	 * buffer shown for the first time has no history to rely on. */
	if (!buffer->ever_current || !surface->damage_sent) {
		buffer->ever_current = true;
		pixman_region32_union_rect(&surface->pending_damage, &surface->pending_damage, 0, 0,
					   surface->width, surface->height);
	}
	/* The renderer copies at repaint time and keeps nothing of the old
	 * buffer: it is free as soon as it is replaced. It is released with
	 * the surface's next FRAME_DONE (protocol/README.md 6.2), which the
	 * guest waits for anyway: one message burst and one wake-up per frame
	 * instead of two. */
	if (previous && previous != buffer)
		previous->release_due = true;
	buffer->release_due = false;
	surface->damage_sent = false;
	surface->commit_serial = untrusted_commit->serial;
	surface->frame_requested = true;
	domain->stats.commits++;
	/* An empty DAMAGE says nothing changed: nothing to tell the owner. */
	if (pixman_region32_not_empty(&surface->pending_damage))
		damage_surface(domain, surface, &surface->pending_damage);
	pixman_region32_clear(&surface->pending_damage);
	domain->listener.frame_wanted(domain->listener.data,
				      tsr_domain_surface_shown(domain, surface));
	return true;
}

static bool handle_message(void *data, const struct tsr_msg *untrusted_msg)
{
	struct tsr_domain *domain = data;
	if (!domain->hello_done && untrusted_msg->type != TSR_MSG_HELLO)
		return violation(domain, TSR_ERROR_PROTOCOL, "%s before HELLO",
				 tsr_msg_type_name(untrusted_msg->type));
	switch (untrusted_msg->type) {
	case TSR_MSG_HELLO:
		return handle_hello(domain, &untrusted_msg->u.hello);
	case TSR_MSG_SURFACE_CREATE:
		return handle_surface_create(domain, &untrusted_msg->u.surface_create);
	case TSR_MSG_SURFACE_DESTROY:
		return handle_surface_destroy(domain, untrusted_msg->u.surface_destroy.surface_id);
	case TSR_MSG_BUFFER_ATTACH_MEMFD:
	case TSR_MSG_BUFFER_ATTACH_GRANTS:
		return handle_attach(domain, untrusted_msg);
	case TSR_MSG_BUFFER_DESTROY:
		return handle_buffer_destroy(domain, untrusted_msg->u.buffer_destroy.buffer_id);
	case TSR_MSG_DAMAGE:
		return handle_damage(domain, &untrusted_msg->u.damage);
	case TSR_MSG_COMMIT:
		return handle_commit(domain, &untrusted_msg->u.commit);
	default:
		return violation(domain, TSR_ERROR_PROTOCOL, "unexpected message %s",
				 tsr_msg_type_name(untrusted_msg->type));
	}
}

static void handle_closed(void *data, const char *reason, bool is_violation)
{
	struct tsr_domain *domain = data;
	/* A violation found by the core already wrote a precise reason. */
	char why[160];
	snprintf(why, sizeof(why), "%s",
		 is_violation && domain->last_drop_reason[0] ? domain->last_drop_reason : reason);
	tsr_domain_disconnect(domain, why, is_violation);
}

/* Sends the input that waits, oldest first, while the link takes it. */
static void send_input_backlog(struct tsr_domain *domain)
{
	struct tsr_msg msg; /* tsr_input_backlog_front sets what is sent */
	while (domain->link && tsr_input_backlog_front(domain->input_backlog, &msg)) {
		if (!domain->link->impl->send(domain->link, &msg))
			return;
		tsr_input_backlog_pop(domain->input_backlog);
	}
}

static void handle_send_ready(void *data)
{
	send_input_backlog(data);
}

bool tsr_domain_may_connect(struct tsr_domain *domain, int32_t domid)
{
	bool report;
	if (!tsr_violation_limiter_refuses_instance(&domain->violation_limiter, domid, &report))
		return true;
	if (report)
		tsr_log_domain(TSR_LOG_WARN, domain->config->name, domid,
			       "not reconnecting a guest dropped for a violation until the domain "
			       "restarts");
	return false;
}

bool tsr_domain_attach_link(struct tsr_domain *domain, struct tsr_guest_link *link, int32_t domid)
{
	if (domain->link) {
		domain->stats.refused_connections++;
		log_domain(
		    TSR_LOG_WARN, domain,
		    "refusing a second connection (a guest is connected; %llu refused so far)",
		    (unsigned long long)domain->stats.refused_connections);
		return false;
	}
	if (!tsr_domain_may_connect(domain, domid)) {
		domain->stats.refused_connections++;
		return false;
	}
	bool report;
	uint64_t remaining_ns;
	if (tsr_violation_limiter_refuses(&domain->violation_limiter, tsr_now_ns(), &report,
					  &remaining_ns)) {
		domain->stats.refused_connections++;
		if (report)
			log_domain(TSR_LOG_WARN, domain,
				   "refusing connections for %llu s more after repeated "
				   "violations (further refusals are not logged)",
				   (unsigned long long)(remaining_ns / 1000000000ull + 1));
		return false;
	}
	domain->link = link;
	domain->domid = domid;
	domain->last_drop_reason[0] = '\0';
	domain->last_drop_code = 0;
	link->listener.message = handle_message;
	link->listener.closed = handle_closed;
	link->listener.send_ready = handle_send_ready;
	link->listener.data = domain;
	return true;
}

bool tsr_domain_surface_shown(struct tsr_domain *domain, const struct tsr_surface *surface)
{
	bool on_screen = (domain->link && domain->link->fixed_size && surface->in_use) ||
			 surface == tsr_domain_main_surface(domain);
	return on_screen && domain->listener.visible(domain->listener.data, domain->index);
}

void tsr_domain_displays(struct tsr_domain *domain, struct tsr_layout_displays *out)
{
	out->count = 0;
	if (!domain->link || !domain->link->fixed_size)
		return;
	/* In id order: a PV display's surface ids follow its connectors. */
	uint32_t last_id = 0;
	bool any = false;
	for (size_t n = 0; n < TSR_MAX_SURFACES_PER_GUEST; n++) {
		const struct tsr_surface *next = NULL;
		for (size_t i = 0; i < TSR_MAX_SURFACES_PER_GUEST; i++) {
			const struct tsr_surface *surface = &domain->surfaces[i];
			if (surface->in_use && (!any || surface->id > last_id) &&
			    (!next || surface->id < next->id))
				next = surface;
		}
		if (!next)
			break;
		out->displays[out->count++] = (struct tsr_layout_display){
		    .id = next->id, .width = next->width, .height = next->height};
		last_id = next->id;
		any = true;
	}
}

/* Sends the releases due for buffers of surface_id (see handle_commit). */
static bool send_due_releases(struct tsr_domain *domain, uint32_t surface_id)
{
	for (size_t i = 0; i < TSR_MAX_BUFFERS_PER_GUEST; i++) {
		struct tsr_guest_buffer *buffer = &domain->buffers[i];
		/* One on a plane is released when the plane lets it go. */
		if (!buffer->in_use || !buffer->release_due || buffer->surface_id != surface_id ||
		    buffer->plane_holds)
			continue;
		buffer->release_due = false;
		if (!send_release(domain, buffer->id))
			return false;
	}
	return true;
}

struct tsr_guest_buffer *tsr_domain_hold_buffer(struct tsr_domain *domain,
						const struct tsr_buffer *buffer)
{
	for (size_t i = 0; buffer && i < TSR_MAX_BUFFERS_PER_GUEST; i++) {
		struct tsr_guest_buffer *held = &domain->buffers[i];
		if (held->in_use && !held->destroyed && held->buffer == buffer) {
			held->plane_holds++;
			return held;
		}
	}
	return NULL;
}

void tsr_domain_unhold_buffer(struct tsr_domain *domain, struct tsr_guest_buffer *held)
{
	if (!held || !held->in_use || held->plane_holds == 0 || --held->plane_holds > 0)
		return;
	bool tell = domain->link && !held->orphaned;
	uint32_t id = held->id;
	bool sent = true;
	if (held->destroyed) {
		free_buffer(domain, held);
		if (tell)
			sent = send_final_release(domain, id);
	} else if (held->release_due && tell) {
		held->release_due = false;
		sent = send_release(domain, id);
	}
	if (!sent)
		tsr_domain_disconnect(domain, domain->last_drop_reason, true);
}

bool tsr_domain_frame_requested(struct tsr_domain *domain, bool shown)
{
	for (size_t i = 0; i < TSR_MAX_SURFACES_PER_GUEST; i++) {
		const struct tsr_surface *surface = &domain->surfaces[i];
		if (surface->in_use && surface->frame_requested &&
		    tsr_domain_surface_shown(domain, surface) == shown)
			return true;
	}
	return false;
}

bool tsr_domain_send_frame_done(struct tsr_domain *domain, uint64_t time_ns, bool shown)
{
	bool waiting = false;
	for (size_t i = 0; i < TSR_MAX_SURFACES_PER_GUEST && domain->link; i++) {
		struct tsr_surface *surface = &domain->surfaces[i];
		if (!surface->in_use || !surface->frame_requested ||
		    tsr_domain_surface_shown(domain, surface) != shown)
			continue;
		surface->frame_requested = false;
		waiting = true;
		if (!send_due_releases(domain, surface->id)) {
			tsr_domain_disconnect(domain, domain->last_drop_reason, true);
			return true;
		}
		struct tsr_msg *msg = outgoing(domain, TSR_MSG_FRAME_DONE);
		msg->u.frame_done = (struct tsr_msg_frame_done){
		    .surface_id = surface->id,
		    .serial = surface->commit_serial,
		    .time_ns = time_ns,
		};
		domain->stats.frames_done++;
		if (!send_or_note(domain, msg)) {
			tsr_domain_disconnect(domain, domain->last_drop_reason, true);
			return true;
		}
	}
	return waiting;
}

/* The link keeps the state (and ignores a call that changes nothing). */
void tsr_domain_defer_reads(struct tsr_domain *domain, bool deferred)
{
	if (domain->link && domain->link->impl->defer_reads)
		domain->link->impl->defer_reads(domain->link, deferred);
}

void tsr_domain_read_deferred(struct tsr_domain *domain)
{
	if (domain->link && domain->link->impl->read_deferred)
		domain->link->impl->read_deferred(domain->link);
}

bool tsr_domain_configure(struct tsr_domain *domain)
{
	/* A guest that chose its own size is never asked to change it: the
	 * layout fits its displays into the content area instead. */
	if (domain->link && domain->link->fixed_size)
		return true;
	uint32_t width, height;
	domain->listener.content_size(domain->listener.data, domain->index, &width, &height);
	if (width == 0 || height == 0)
		return true;
	for (size_t i = 0; i < TSR_MAX_SURFACES_PER_GUEST && domain->link; i++) {
		struct tsr_surface *surface = &domain->surfaces[i];
		if (!surface->in_use ||
		    (surface->configured_width == width && surface->configured_height == height))
			continue;
		surface->configured_width = width;
		surface->configured_height = height;
		struct tsr_msg *msg = outgoing(domain, TSR_MSG_CONFIGURE);
		msg->u.configure = (struct tsr_msg_configure){
		    .surface_id = surface->id, .width = width, .height = height};
		if (!send_or_note(domain, msg))
			return false;
	}
	return true;
}

static void drop_unread_input(void *data)
{
	struct tsr_domain *domain = data;
	domain->input_overflow = NULL; /* idles run once */
	char reason[160];
	snprintf(reason, sizeof(reason),
		 "guest does not read its input (%u key, button, scroll and focus events "
		 "waiting)",
		 TSR_INPUT_BACKLOG_EVENTS);
	tsr_domain_disconnect(domain, reason, true);
}

void tsr_domain_send_input(struct tsr_domain *domain, const struct tsr_msg *msg)
{
	if (!domain->link || !(domain->capabilities & TSR_CAP_INPUT))
		return;
	if (domain->input_overflow) {
		domain->stats.input_dropped++; /* the guest is being dropped */
		return;
	}
	/* Nothing waits: straight to the link, which keeps the order. */
	if (tsr_input_backlog_length(domain->input_backlog) == 0 &&
	    domain->link->impl->send(domain->link, msg))
		return;
	if (!domain->input_backlog) {
		domain->input_backlog = tsr_input_backlog_create(TSR_INPUT_BACKLOG_EVENTS);
		log_domain(TSR_LOG_WARN, domain,
			   "guest reads its input slowly: holding its input back until it reads, "
			   "pointer motion coalesced");
	}
	enum tsr_input_backlog_result result =
	    domain->input_backlog ? tsr_input_backlog_push(domain->input_backlog, msg)
				  : TSR_INPUT_BACKLOG_FULL;
	switch (result) {
	case TSR_INPUT_BACKLOG_QUEUED:
	case TSR_INPUT_BACKLOG_REFUSED: /* not input: not ours to send */
		return;
	case TSR_INPUT_BACKLOG_COALESCED:
		domain->stats.input_coalesced++;
		return;
	case TSR_INPUT_BACKLOG_FULL:
		break;
	}
	/* Not from here: the seat is calling, and a drop calls back into it. */
	domain->stats.input_dropped++;
	domain->input_overflow = tsr_event_loop_add_idle(domain->loop, drop_unread_input, domain);
	if (!domain->input_overflow)
		log_domain(TSR_LOG_ERROR, domain,
			   "cannot schedule dropping a guest that does not read its input "
			   "(out of memory); its input is dropped instead");
}

/* input_sink.h: the domain's side of a PV input device's attach. */
bool tsr_domain_attach_input_sink(struct tsr_domain *domain, struct tsr_input_sink *sink)
{
	if (domain->config->input != TSR_INPUT_PV) {
		tsr_log_domain(TSR_LOG_WARN, domain->config->name, domain->domid,
			       "a PV input device connected, but the domain takes its input from "
			       "its agent (input = agent): the device gets nothing");
		return false;
	}
	if (domain->input_sink && domain->input_sink != sink) {
		tsr_log_domain(TSR_LOG_WARN, domain->config->name, domain->domid,
			       "a second PV input device: only the first one gets input");
		return false;
	}
	domain->input_sink = sink;
	return true;
}

void tsr_domain_detach_input_sink(struct tsr_domain *domain, struct tsr_input_sink *sink)
{
	if (sink && domain->input_sink == sink)
		domain->input_sink = NULL;
}

bool tsr_domain_connected(const struct tsr_domain *domain)
{
	return domain->link != NULL;
}

const struct tsr_domain_config *tsr_domain_config(const struct tsr_domain *domain)
{
	return domain->config;
}

int tsr_domain_index(const struct tsr_domain *domain)
{
	return domain->index;
}

int32_t tsr_domain_domid(const struct tsr_domain *domain)
{
	return domain->domid;
}

const struct tsr_domain_stats *tsr_domain_stats(const struct tsr_domain *domain)
{
	return &domain->stats;
}

const char *tsr_domain_last_drop_reason(const struct tsr_domain *domain)
{
	return domain->last_drop_reason;
}

size_t tsr_domain_input_waiting(const struct tsr_domain *domain)
{
	return tsr_input_backlog_length(domain->input_backlog);
}

bool tsr_domain_fixed_size(const struct tsr_domain *domain)
{
	return domain->link && domain->link->fixed_size;
}

struct tsr_input_sink *tsr_domain_input_sink(const struct tsr_domain *domain)
{
	return domain->input_sink;
}

/* domain_testing.h: for tests only. */
struct tsr_surface *tsr_domain_test_surface_slot(struct tsr_domain *domain, size_t i)
{
	return &domain->surfaces[i];
}

struct tsr_guest_buffer *tsr_domain_test_buffer_slot(struct tsr_domain *domain, size_t i)
{
	return &domain->buffers[i];
}

struct tsr_guest_link *tsr_domain_test_link(struct tsr_domain *domain)
{
	return domain->link;
}

void tsr_domain_test_add_capabilities(struct tsr_domain *domain, uint32_t caps)
{
	domain->capabilities |= caps;
}

void tsr_domain_test_forget_violations(struct tsr_domain *domain)
{
	domain->violation_limiter = (struct tsr_violation_limiter){0};
}

const struct tsr_input_backlog *tsr_domain_test_input_backlog(const struct tsr_domain *domain)
{
	return domain->input_backlog;
}
