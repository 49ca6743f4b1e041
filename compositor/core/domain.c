/* Per-domain protocol state machine. Messages arrive decoded (structure
 * and caps checked); here they are checked against what this guest has
 * created. Any violation drops the guest, never anything else. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/domain.h"
#include "core/input_backlog.h"
#include "core/server.h"
#include "tessera/event_loop.h"
#include "tessera/log.h"

/* A damage region with more rectangles than this collapses to its extents:
 * bounded work per frame whatever a guest sends. */
#define MAX_DAMAGE_RECTS 32

#define log_domain(level, domain, ...)                                                             \
	tsr_log_domain(level, (domain)->config->name, (domain)->domid, __VA_ARGS__)

struct tsr_domain *tsr_domain_create(struct tsr_server *server, int index,
				     const struct tsr_domain_config *config)
{
	struct tsr_domain *domain = calloc(1, sizeof(*domain));
	if (!domain)
		return NULL;
	domain->server = server;
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

void tsr_domain_destroy(struct tsr_domain *domain)
{
	if (!domain)
		return;
	if (domain->link)
		tsr_domain_disconnect(domain, "compositor shutting down", false);
	forget_input_backlog(domain);
	free(domain);
}

static void destroy_buffer(struct tsr_guest_buffer *buffer)
{
	tsr_buffer_destroy(buffer->buffer);
	memset(buffer, 0, sizeof(*buffer));
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
		destroy_buffer(buffer);
		if (send_releases && sent)
			sent = send_final_release(domain, id);
	}
	pixman_region32_fini(&surface->pending_damage);
	memset(surface, 0, sizeof(*surface));
	return sent;
}

void tsr_domain_disconnect(struct tsr_domain *domain, const char *reason, bool violation)
{
	if (!domain->link)
		return;
	bool was_visible = tsr_domain_main_surface(domain) != NULL;
	if (violation) {
		domain->stats.violations++;
		if (tsr_violation_limiter_record(&domain->violation_limiter, tsr_now_ns()))
			log_domain(
			    TSR_LOG_WARN, domain,
			    "%u violations within %llu s: refusing its connections for %llu s",
			    TSR_VIOLATION_BURST,
			    (unsigned long long)(TSR_VIOLATION_WINDOW_NS / 1000000000ull),
			    (unsigned long long)(TSR_VIOLATION_COOLDOWN_NS / 1000000000ull));
		struct tsr_msg msg = {.type = TSR_MSG_ERROR};
		msg.u.error.code = 1;
		size_t n = 0;
		for (const char *c = reason; *c && n + 1 < TSR_ERROR_TEXT_MAX; c++)
			msg.u.error.text[n++] = (*c >= 0x20 && *c < 0x7f) ? *c : '?';
		domain->link->impl->send(domain->link, &msg);
		log_domain(TSR_LOG_WARN, domain, "dropped: %s", reason);
	} else {
		log_domain(TSR_LOG_INFO, domain, "disconnected: %s", reason);
	}
	snprintf(domain->last_drop_reason, sizeof(domain->last_drop_reason), "%s", reason);
	for (size_t i = 0; i < TSR_MAX_SURFACES_PER_GUEST; i++)
		if (domain->surfaces[i].in_use)
			destroy_surface(domain, &domain->surfaces[i], false);
	for (size_t i = 0; i < TSR_MAX_BUFFERS_PER_GUEST; i++)
		if (domain->buffers[i].in_use)
			destroy_buffer(&domain->buffers[i]);
	forget_input_backlog(domain);
	tsr_guest_link_destroy(domain->link);
	domain->link = NULL;
	domain->hello_done = false;
	tsr_server_guest_gone(domain->server, domain->index);
	if (was_visible)
		tsr_server_damage_domain(domain->server, domain->index, NULL);
}

struct tsr_surface *tsr_domain_main_surface(struct tsr_domain *domain)
{
	for (size_t i = 0; i < TSR_MAX_SURFACES_PER_GUEST; i++)
		if (domain->surfaces[i].in_use)
			return &domain->surfaces[i];
	return NULL;
}

static struct tsr_surface *find_surface(struct tsr_domain *domain, uint32_t id)
{
	for (size_t i = 0; i < TSR_MAX_SURFACES_PER_GUEST; i++)
		if (domain->surfaces[i].in_use && domain->surfaces[i].id == id)
			return &domain->surfaces[i];
	return NULL;
}

static struct tsr_guest_buffer *find_buffer(struct tsr_domain *domain, uint32_t id)
{
	for (size_t i = 0; i < TSR_MAX_BUFFERS_PER_GUEST; i++)
		if (domain->buffers[i].in_use && domain->buffers[i].id == id)
			return &domain->buffers[i];
	return NULL;
}

static bool violation(struct tsr_domain *domain, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static bool violation(struct tsr_domain *domain, const char *fmt, ...)
{
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
	return false;
}

static bool send_final_release(struct tsr_domain *domain, uint32_t buffer_id)
{
	struct tsr_msg release = {.type = TSR_MSG_BUFFER_RELEASE};
	release.u.buffer_release.buffer_id = buffer_id;
	return send_or_note(domain, &release);
}

static bool handle_hello(struct tsr_domain *domain, const struct tsr_msg_hello *hello)
{
	if (domain->hello_done)
		return violation(domain, "HELLO sent twice");
	uint16_t minor;
	if (!tsr_negotiate_version(TSR_PROTOCOL_MAJOR, TSR_PROTOCOL_MINOR, hello->major,
				   hello->minor, &minor))
		return violation(domain, "protocol version %u.%u not supported (want %u.x)",
				 hello->major, hello->minor, TSR_PROTOCOL_MAJOR);
	uint32_t ours =
	    TSR_CAP_INPUT |
	    (domain->config->transport == TSR_TRANSPORT_XEN ? TSR_CAP_GRANTS : TSR_CAP_MEMFD);
	domain->capabilities = hello->capabilities & ours;
	domain->hello_done = true;
	struct tsr_msg reply = {.type = TSR_MSG_WELCOME};
	reply.u.welcome.major = TSR_PROTOCOL_MAJOR;
	reply.u.welcome.minor = minor;
	reply.u.welcome.capabilities = domain->capabilities;
	reply.u.welcome.max_width = TSR_MAX_DIMENSION;
	reply.u.welcome.max_height = TSR_MAX_DIMENSION;
	log_domain(TSR_LOG_INFO, domain, "guest connected, protocol %u.%u", TSR_PROTOCOL_MAJOR,
		   minor);
	if (!send_or_note(domain, &reply))
		return false;
	tsr_server_guest_ready(domain->server, domain->index);
	return true;
}

static bool handle_surface_create(struct tsr_domain *domain,
				  const struct tsr_msg_surface_create *create)
{
	char err[128];
	if (find_surface(domain, create->surface_id))
		return violation(domain, "SURFACE_CREATE: surface %u exists", create->surface_id);
	if (!tsr_validate_surface(create->width, create->height, create->fourcc, create->stride,
				  err, sizeof(err)))
		return violation(domain, "SURFACE_CREATE: %s", err);
	struct tsr_surface *surface = NULL;
	for (size_t i = 0; i < TSR_MAX_SURFACES_PER_GUEST && !surface; i++)
		if (!domain->surfaces[i].in_use)
			surface = &domain->surfaces[i];
	if (!surface)
		return violation(domain, "SURFACE_CREATE: more than %u surfaces",
				 TSR_MAX_SURFACES_PER_GUEST);
	surface->in_use = true;
	surface->id = create->surface_id;
	surface->width = create->width;
	surface->height = create->height;
	surface->format = create->fourcc;
	surface->stride = create->stride;
	pixman_region32_init(&surface->pending_damage);
	return tsr_domain_configure(domain);
}

static bool handle_surface_destroy(struct tsr_domain *domain, uint32_t surface_id)
{
	struct tsr_surface *surface = find_surface(domain, surface_id);
	if (!surface)
		return violation(domain, "SURFACE_DESTROY: no surface %u", surface_id);
	bool main_surface = surface == tsr_domain_main_surface(domain);
	bool sent = destroy_surface(domain, surface, true);
	if (main_surface)
		tsr_server_damage_domain(domain->server, domain->index, NULL);
	return sent;
}

static bool handle_attach(struct tsr_domain *domain, const struct tsr_msg *msg)
{
	bool memfd = msg->type == TSR_MSG_BUFFER_ATTACH_MEMFD;
	uint32_t surface_id =
	    memfd ? msg->u.attach_memfd.surface_id : msg->u.attach_grants.surface_id;
	uint32_t buffer_id = memfd ? msg->u.attach_memfd.buffer_id : msg->u.attach_grants.buffer_id;
	uint64_t offset = memfd ? msg->u.attach_memfd.offset : msg->u.attach_grants.offset;
	uint32_t needed_cap = memfd ? TSR_CAP_MEMFD : TSR_CAP_GRANTS;
	if (!(domain->capabilities & needed_cap))
		return violation(domain, "%s on a transport that does not offer it",
				 tsr_msg_type_name(msg->type));
	struct tsr_surface *surface = find_surface(domain, surface_id);
	if (!surface)
		return violation(domain, "BUFFER_ATTACH: no surface %u", surface_id);
	if (find_buffer(domain, buffer_id))
		return violation(domain, "BUFFER_ATTACH: buffer %u exists", buffer_id);
	struct tsr_guest_buffer *slot = NULL;
	for (size_t i = 0; i < TSR_MAX_BUFFERS_PER_GUEST && !slot; i++)
		if (!domain->buffers[i].in_use)
			slot = &domain->buffers[i];
	if (!slot)
		return violation(domain, "BUFFER_ATTACH: more than %u buffers",
				 TSR_MAX_BUFFERS_PER_GUEST);
	char err[128];
	if (!tsr_validate_buffer_fits(surface->width, surface->height, surface->format,
				      surface->stride, offset, TSR_MAX_BUFFER_BYTES + offset, err,
				      sizeof(err)))
		return violation(domain, "BUFFER_ATTACH: %s", err);
	struct tsr_buffer_request request = tsr_buffer_request_for(
	    surface->width, surface->height, surface->stride, surface->format, offset);
	struct tsr_buffer *buffer =
	    domain->link->impl->import_buffer(domain->link, msg, &request, err, sizeof(err));
	if (!buffer)
		return violation(domain, "BUFFER_ATTACH %u: %s", buffer_id, err);
	slot->in_use = true;
	slot->id = buffer_id;
	slot->surface_id = surface_id;
	slot->buffer = buffer;
	return true;
}

static bool handle_buffer_destroy(struct tsr_domain *domain, uint32_t buffer_id)
{
	struct tsr_guest_buffer *buffer = find_buffer(domain, buffer_id);
	if (!buffer)
		return violation(domain, "BUFFER_DESTROY: no buffer %u", buffer_id);
	struct tsr_surface *surface = find_surface(domain, buffer->surface_id);
	if (surface && surface->current == buffer) {
		surface->current = NULL;
		if (surface == tsr_domain_main_surface(domain))
			tsr_server_damage_domain(domain->server, domain->index, NULL);
	}
	destroy_buffer(buffer);
	return send_final_release(domain, buffer_id);
}

static bool handle_damage(struct tsr_domain *domain, const struct tsr_msg_damage *damage)
{
	struct tsr_surface *surface = find_surface(domain, damage->surface_id);
	if (!surface)
		return violation(domain, "DAMAGE: no surface %u", damage->surface_id);
	for (uint32_t i = 0; i < damage->count && i < TSR_MAX_DAMAGE_RECTS; i++) {
		struct tsr_rect clipped;
		if (!tsr_clip_rect(&damage->rects[i], surface->width, surface->height, &clipped))
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

static bool handle_commit(struct tsr_domain *domain, const struct tsr_msg_commit *commit)
{
	struct tsr_surface *surface = find_surface(domain, commit->surface_id);
	if (!surface)
		return violation(domain, "COMMIT: no surface %u", commit->surface_id);
	struct tsr_guest_buffer *buffer = find_buffer(domain, commit->buffer_id);
	if (!buffer || buffer->surface_id != surface->id)
		return violation(domain, "COMMIT: buffer %u is not attached to surface %u",
				 commit->buffer_id, commit->surface_id);
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
	 * buffer: it is free for the guest as soon as it is replaced. */
	if (previous && previous != buffer) {
		struct tsr_msg release = {.type = TSR_MSG_BUFFER_RELEASE};
		release.u.buffer_release.buffer_id = previous->id;
		if (!send_or_note(domain, &release))
			return false;
	}
	surface->damage_sent = false;
	surface->commit_serial = commit->serial;
	surface->frame_requested = true;
	domain->stats.commits++;
	if (surface == tsr_domain_main_surface(domain))
		tsr_server_damage_domain(domain->server, domain->index, &surface->pending_damage);
	pixman_region32_clear(&surface->pending_damage);
	tsr_server_schedule_frame(domain->server);
	return true;
}

static bool handle_message(void *data, const struct tsr_msg *msg)
{
	struct tsr_domain *domain = data;
	if (!domain->hello_done && msg->type != TSR_MSG_HELLO)
		return violation(domain, "%s before HELLO", tsr_msg_type_name(msg->type));
	switch (msg->type) {
	case TSR_MSG_HELLO:
		return handle_hello(domain, &msg->u.hello);
	case TSR_MSG_SURFACE_CREATE:
		return handle_surface_create(domain, &msg->u.surface_create);
	case TSR_MSG_SURFACE_DESTROY:
		return handle_surface_destroy(domain, msg->u.surface_destroy.surface_id);
	case TSR_MSG_BUFFER_ATTACH_MEMFD:
	case TSR_MSG_BUFFER_ATTACH_GRANTS:
		return handle_attach(domain, msg);
	case TSR_MSG_BUFFER_DESTROY:
		return handle_buffer_destroy(domain, msg->u.buffer_destroy.buffer_id);
	case TSR_MSG_DAMAGE:
		return handle_damage(domain, &msg->u.damage);
	case TSR_MSG_COMMIT:
		return handle_commit(domain, &msg->u.commit);
	default:
		return violation(domain, "unexpected message %s", tsr_msg_type_name(msg->type));
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

bool tsr_domain_attach_link(struct tsr_domain *domain, struct tsr_guest_link *link, int32_t domid)
{
	if (domain->link) {
		log_domain(TSR_LOG_WARN, domain, "refusing a second connection");
		return false;
	}
	bool report;
	uint64_t remaining_ns;
	if (tsr_violation_limiter_refuses(&domain->violation_limiter, tsr_now_ns(), &report,
					  &remaining_ns)) {
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
	link->listener.message = handle_message;
	link->listener.closed = handle_closed;
	link->listener.send_ready = handle_send_ready;
	link->listener.data = domain;
	return true;
}

bool tsr_domain_surface_shown(struct tsr_domain *domain, const struct tsr_surface *surface)
{
	return surface == tsr_domain_main_surface(domain) &&
	       tsr_server_domain_visible(domain->server, domain->index);
}

void tsr_domain_send_frame_done(struct tsr_domain *domain, uint64_t time_ns, bool shown)
{
	for (size_t i = 0; i < TSR_MAX_SURFACES_PER_GUEST && domain->link; i++) {
		struct tsr_surface *surface = &domain->surfaces[i];
		if (!surface->in_use || !surface->frame_requested ||
		    tsr_domain_surface_shown(domain, surface) != shown)
			continue;
		surface->frame_requested = false;
		struct tsr_msg msg = {.type = TSR_MSG_FRAME_DONE};
		msg.u.frame_done.surface_id = surface->id;
		msg.u.frame_done.serial = surface->commit_serial;
		msg.u.frame_done.time_ns = time_ns;
		domain->stats.frames_done++;
		if (!send_or_note(domain, &msg)) {
			tsr_domain_disconnect(domain, domain->last_drop_reason, true);
			return;
		}
	}
}

bool tsr_domain_configure(struct tsr_domain *domain)
{
	uint32_t width, height;
	tsr_server_content_size(domain->server, domain->index, &width, &height);
	if (width == 0 || height == 0)
		return true;
	for (size_t i = 0; i < TSR_MAX_SURFACES_PER_GUEST && domain->link; i++) {
		struct tsr_surface *surface = &domain->surfaces[i];
		if (!surface->in_use ||
		    (surface->configured_width == width && surface->configured_height == height))
			continue;
		surface->configured_width = width;
		surface->configured_height = height;
		struct tsr_msg msg = {.type = TSR_MSG_CONFIGURE};
		msg.u.configure.surface_id = surface->id;
		msg.u.configure.width = width;
		msg.u.configure.height = height;
		if (!send_or_note(domain, &msg))
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
	domain->input_overflow =
	    tsr_event_loop_add_idle(domain->server->loop, drop_unread_input, domain);
	if (!domain->input_overflow)
		log_domain(TSR_LOG_ERROR, domain,
			   "cannot schedule dropping a guest that does not read its input "
			   "(out of memory); its input is dropped instead");
}
