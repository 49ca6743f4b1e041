/* Rules kept here (see displif_link.h for the message mapping):
 * - Each request is copied out of the ring once (displif_ring.c) and
 *   decoded from the copy (displif_request.c); every request gets exactly
 *   one response echoing its id and operation, at once.
 * - A display buffer's refs are collected from its page directory once, at
 *   DBUF_CREATE (displif_pgdir.c, each directory page mapped read-only
 *   just for the copy); its pages are mapped read-only only when a
 *   framebuffer on it is shown, through the core's import (the per-domain
 *   quota of the Xen transport's grant mapper applies).
 * - Event ids count 0, 1, 2, ... per connector (displif_ring.c); flips are
 *   answered when the core reports the frame presented (FRAME_DONE). A
 *   frontend that does not consume its event page is bounded by
 *   MAX_PENDING_FLIPS, then dropped.
 * - Bounded work per wake-up: REQUESTS_PER_DISPATCH per connector, the
 *   rest continues from an idle callback; event-channel notifications are
 *   counted and a flood drops the device.
 * - A violation is recorded (fail()) and acted on by the outermost handler,
 *   so the link is never destroyed under a caller that still uses it. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xenevtchn.h>
#include <xentoollog.h>

#include "tessera/config.h"
#include "tessera/event_loop.h"
#include "tessera/log.h"
#include "tessera/protocol.h"
#include "transport/displif_link.h"
#include "transport/displif_pgdir.h"
#include "transport/displif_request.h"
#include "transport/displif_ring.h"
#include "transport/xen_grant_buffer.h"
#include "transport/xen_grant_check.h"

#define MAX_DBUFS 64u
#define MAX_FBS 64u
/* Core buffers per connector (4 connectors x 4 = the core's 16). */
#define ATTACHMENTS_PER_CONNECTOR (TSR_MAX_BUFFERS_PER_GUEST / TSR_DISPLIF_MAX_CONNECTORS)
#define MAX_PENDING_FLIPS 8u
#define REQUESTS_PER_DISPATCH 32u
#define NOTIFICATIONS_PER_SECOND 2000u
/* A front-buffer client (no flips) is sampled at 5 Hz. */
#define SAMPLE_PERIOD_NS 200000000ull

struct dbuf {
	bool in_use;
	struct tsr_displif_dbuf_create info;
	uint32_t *refs; /* info.page_count, copied out of the directory once */
};

struct fb {
	bool in_use;
	struct tsr_displif_fb_attach info;
	uint32_t pitch;
	struct dbuf *dbuf;
};

struct attachment {
	bool in_use;
	uint64_t fb_cookie;
	uint32_t buffer_id; /* the core's */
	uint64_t last_used;
};

struct displif_link;

struct connector {
	struct displif_link *link;
	uint32_t index;
	uint32_t mode_width, mode_height;
	void *req_page, *evt_page;
	struct tsr_displif_req_ring req;
	struct tsr_displif_evt_ring evt;
	int req_port, evt_port; /* local ports, -1 unbound */
	/* What the connector shows. */
	bool enabled;
	uint32_t x, y;
	uint64_t fb_cookie;
	bool surface;
	uint32_t surface_width, surface_height, surface_stride, surface_format;
	uint64_t surface_offset;
	struct attachment attachments[ATTACHMENTS_PER_CONNECTOR];
	uint64_t pending_flips[MAX_PENDING_FLIPS];
	uint32_t pending_count;
	uint32_t commit_serial;
	uint64_t last_commit_ns;
	struct tsr_event_source *sample_timer;
};

struct displif_link {
	struct tsr_guest_link base;
	struct tsr_event_loop *loop;
	char name[TSR_NAME_MAX];
	uint32_t domid;
	struct tsr_xen_grant_mapper *mapper;
	xentoollog_logger_stdiostream *quiet_logger;
	xenevtchn_handle *xce;
	struct tsr_event_source *evtchn_source;
	struct tsr_event_source *resume;
	struct connector connectors[TSR_DISPLIF_MAX_CONNECTORS];
	uint32_t connector_count;
	struct dbuf dbufs[MAX_DBUFS];
	struct fb fbs[MAX_FBS];
	struct tsr_msg *msg; /* large: one per link, reused */
	uint32_t next_buffer_id;
	uint64_t use_clock;
	uint64_t notify_window_ns;
	uint32_t notify_count;
	struct tsr_displif_link_owner owner;
	bool started, closed, violated, failed;
	char fail_reason[160];
};

#define log_link(level, link, ...)                                                                 \
	tsr_log_domain(level, (link)->name, (int32_t)(link)->domid, __VA_ARGS__)

static void fail(struct displif_link *link, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Records the first violation; the outermost handler closes the link. */
static void fail(struct displif_link *link, const char *fmt, ...)
{
	if (link->failed)
		return;
	link->failed = true;
	va_list args;
	va_start(args, fmt);
	vsnprintf(link->fail_reason, sizeof(link->fail_reason), fmt, args);
	va_end(args);
}

static void stop_sources(struct displif_link *link)
{
	tsr_event_source_remove(link->evtchn_source);
	link->evtchn_source = NULL;
	tsr_event_source_remove(link->resume);
	link->resume = NULL;
	for (uint32_t i = 0; i < link->connector_count; i++) {
		tsr_event_source_remove(link->connectors[i].sample_timer);
		link->connectors[i].sample_timer = NULL;
	}
}

/* Hands the link to the core, which destroys it: nothing touches link
 * afterwards. */
static void close_link(struct displif_link *link, const char *reason, bool violation)
{
	if (link->closed)
		return;
	link->closed = true;
	link->violated = violation;
	stop_sources(link);
	link->base.listener.closed(link->base.listener.data, reason, violation);
}

/* Called last by every event handler. */
static bool finish(struct displif_link *link)
{
	if (!link->failed || link->closed)
		return !link->closed;
	/* The core's own reason (from a message it refused) wins there. */
	close_link(link, link->fail_reason, true);
	return false;
}

/* One message to the core; false (and the link failed) if it refused. */
static bool deliver(struct displif_link *link, const struct tsr_msg *msg)
{
	if (link->failed || link->closed)
		return false;
	if (!link->base.listener.message(link->base.listener.data, msg)) {
		fail(link, "the core refused %s", tsr_msg_type_name(msg->type));
		return false;
	}
	return true;
}

static struct dbuf *find_dbuf(struct displif_link *link, uint64_t cookie)
{
	for (uint32_t i = 0; i < MAX_DBUFS; i++)
		if (link->dbufs[i].in_use && link->dbufs[i].info.dbuf_cookie == cookie)
			return &link->dbufs[i];
	return NULL;
}

static struct fb *find_fb(struct displif_link *link, uint64_t cookie)
{
	for (uint32_t i = 0; i < MAX_FBS; i++)
		if (link->fbs[i].in_use && link->fbs[i].info.fb_cookie == cookie)
			return &link->fbs[i];
	return NULL;
}

static struct attachment *find_attachment(struct connector *c, uint64_t fb_cookie)
{
	for (uint32_t i = 0; i < ATTACHMENTS_PER_CONNECTOR; i++)
		if (c->attachments[i].in_use && c->attachments[i].fb_cookie == fb_cookie)
			return &c->attachments[i];
	return NULL;
}

static uint32_t surface_id(const struct connector *c)
{
	return c->index + 1u;
}

static bool destroy_attachment(struct connector *c, struct attachment *attachment)
{
	struct tsr_msg *msg = c->link->msg;
	*msg = (struct tsr_msg){.type = TSR_MSG_BUFFER_DESTROY};
	msg->u.buffer_destroy.buffer_id = attachment->buffer_id;
	memset(attachment, 0, sizeof(*attachment));
	return deliver(c->link, msg);
}

static bool destroy_surface(struct connector *c)
{
	if (!c->surface)
		return true;
	c->surface = false;
	/* The core destroys (unmaps) the surface's buffers with it. */
	memset(c->attachments, 0, sizeof(c->attachments));
	struct tsr_msg *msg = c->link->msg;
	*msg = (struct tsr_msg){.type = TSR_MSG_SURFACE_DESTROY};
	msg->u.surface_destroy.surface_id = surface_id(c);
	return deliver(c->link, msg);
}

static bool create_surface(struct connector *c, uint32_t width, uint32_t height,
			   const struct fb *fb, uint64_t offset)
{
	struct tsr_msg *msg = c->link->msg;
	*msg = (struct tsr_msg){.type = TSR_MSG_SURFACE_CREATE};
	msg->u.surface_create.surface_id = surface_id(c);
	msg->u.surface_create.width = width;
	msg->u.surface_create.height = height;
	msg->u.surface_create.fourcc = fb->info.fourcc;
	msg->u.surface_create.stride = fb->pitch;
	if (!deliver(c->link, msg))
		return false;
	c->surface = true;
	c->surface_width = width;
	c->surface_height = height;
	c->surface_stride = fb->pitch;
	c->surface_format = fb->info.fourcc;
	c->surface_offset = offset;
	return true;
}

/* Hands the framebuffer's pages from its first shown pixel to the core,
 * which maps exactly those holding the surface (read-only, in quota). */
static struct attachment *attach(struct connector *c, const struct fb *fb, uint64_t offset)
{
	struct displif_link *link = c->link;
	struct attachment *slot = NULL, *oldest = NULL;
	for (uint32_t i = 0; i < ATTACHMENTS_PER_CONNECTOR; i++) {
		struct attachment *a = &c->attachments[i];
		if (!a->in_use) {
			slot = a;
			break;
		}
		if (a->fb_cookie != c->fb_cookie && (!oldest || a->last_used < oldest->last_used))
			oldest = a;
	}
	if (!slot) {
		/* More framebuffers in rotation than the core keeps: the least
		 * recently shown one is unmapped, and mapped again if it comes
		 * back. */
		if (!oldest || !destroy_attachment(c, oldest))
			return NULL;
		slot = oldest;
	}
	const struct dbuf *dbuf = fb->dbuf;
	uint32_t first_page = (uint32_t)(offset / TSR_PAGE_SIZE);
	struct tsr_msg *msg = link->msg;
	msg->type = TSR_MSG_BUFFER_ATTACH_GRANTS;
	struct tsr_msg_buffer_attach_grants *grants = &msg->u.attach_grants;
	grants->surface_id = surface_id(c);
	grants->buffer_id = link->next_buffer_id++;
	grants->offset = (uint32_t)(offset % TSR_PAGE_SIZE);
	/* offset < buffer_sz <= page_count pages (tsr_displif_fb_fits). */
	grants->ref_count = dbuf->info.page_count - first_page;
	memcpy(grants->refs, dbuf->refs + first_page, grants->ref_count * sizeof(uint32_t));
	uint32_t buffer_id = grants->buffer_id;
	if (!deliver(link, msg))
		return NULL;
	*slot = (struct attachment){
	    .in_use = true, .fb_cookie = fb->info.fb_cookie, .buffer_id = buffer_id};
	return slot;
}

static bool commit(struct connector *c, struct attachment *attachment)
{
	struct displif_link *link = c->link;
	struct tsr_msg *msg = link->msg;
	*msg = (struct tsr_msg){.type = TSR_MSG_DAMAGE};
	msg->u.damage.surface_id = surface_id(c);
	msg->u.damage.count = 1;
	msg->u.damage.rects[0] =
	    (struct tsr_rect){.width = c->surface_width, .height = c->surface_height};
	if (!deliver(link, msg))
		return false;
	*msg = (struct tsr_msg){.type = TSR_MSG_COMMIT};
	msg->u.commit.surface_id = surface_id(c);
	msg->u.commit.buffer_id = attachment->buffer_id;
	msg->u.commit.serial = ++c->commit_serial;
	attachment->last_used = ++link->use_clock;
	c->last_commit_ns = tsr_now_ns();
	return deliver(link, msg);
}

/* Shows fb on connector c from (c->x, c->y). A status for the frontend;
 * violations are recorded with fail(). */
static int32_t show(struct connector *c, const struct fb *fb, uint32_t bpp)
{
	struct tsr_displif_set_config view = {.x = c->x, .y = c->y, .bpp = bpp};
	uint32_t width, height;
	char err[160];
	if (!tsr_displif_config_view(&view, &fb->info, c->mode_width, c->mode_height, &width,
				     &height, err, sizeof(err))) {
		log_link(TSR_LOG_DEBUG, c->link, "connector %u: %s", c->index, err);
		return TSR_DISPLIF_STATUS_EINVAL;
	}
	/* Both factors were checked against the framebuffer: no overflow. */
	uint64_t offset = (uint64_t)c->y * fb->pitch + (uint64_t)c->x * fb->info.bytes_per_pixel;
	if (!c->surface || c->surface_width != width || c->surface_height != height ||
	    c->surface_stride != fb->pitch || c->surface_format != fb->info.fourcc ||
	    c->surface_offset != offset) {
		if (!destroy_surface(c) || !create_surface(c, width, height, fb, offset))
			return TSR_DISPLIF_STATUS_EINVAL;
	}
	struct attachment *attachment = find_attachment(c, fb->info.fb_cookie);
	if (!attachment)
		attachment = attach(c, fb, offset);
	if (!attachment)
		return TSR_DISPLIF_STATUS_EINVAL;
	c->fb_cookie = fb->info.fb_cookie;
	if (!commit(c, attachment))
		return TSR_DISPLIF_STATUS_EINVAL;
	return TSR_DISPLIF_STATUS_OK;
}

static void arm_sampling(struct connector *c)
{
	if (c->sample_timer)
		tsr_event_source_timer_update(c->sample_timer, SAMPLE_PERIOD_NS);
}

/* A front-buffer client (Xorg's modesetting driver) draws into the
 * scanned-out buffer and never flips: show it again at a modest rate. */
static void sample(void *data)
{
	struct connector *c = data;
	struct displif_link *link = c->link;
	if (link->closed)
		return;
	if (c->enabled && c->surface && tsr_now_ns() - c->last_commit_ns >= SAMPLE_PERIOD_NS) {
		struct attachment *attachment = find_attachment(c, c->fb_cookie);
		if (attachment)
			commit(c, attachment);
	}
	if (finish(link))
		arm_sampling(c);
}

static void detach_fb(struct displif_link *link, struct fb *fb)
{
	for (uint32_t i = 0; i < link->connector_count; i++) {
		struct connector *c = &link->connectors[i];
		struct attachment *attachment = find_attachment(c, fb->info.fb_cookie);
		if (attachment && !destroy_attachment(c, attachment))
			return;
		if (c->fb_cookie == fb->info.fb_cookie)
			c->fb_cookie = 0;
	}
	memset(fb, 0, sizeof(*fb));
}

static bool fetch_directory_page(void *data, uint32_t ref, uint8_t out[TSR_DISPLIF_PAGE_SIZE])
{
	struct displif_link *link = data;
	return tsr_xen_grant_mapper_copy_page(link->mapper, ref, out);
}

static int32_t handle_dbuf_create(struct displif_link *link,
				  const struct tsr_displif_dbuf_create *request)
{
	if (find_dbuf(link, request->dbuf_cookie))
		return TSR_DISPLIF_STATUS_EINVAL;
	struct dbuf *slot = NULL;
	for (uint32_t i = 0; i < MAX_DBUFS && !slot; i++)
		if (!link->dbufs[i].in_use)
			slot = &link->dbufs[i];
	if (!slot)
		return TSR_DISPLIF_STATUS_ENOMEM;
	uint32_t *refs = calloc(request->page_count, sizeof(uint32_t));
	if (!refs)
		return TSR_DISPLIF_STATUS_ENOMEM;
	char err[160];
	if (!tsr_displif_pgdir_walk(request->gref_directory, request->page_count,
				    fetch_directory_page, link, refs, err, sizeof(err))) {
		free(refs);
		fail(link, "DBUF_CREATE of %u bytes: %s", request->buffer_sz, err);
		return TSR_DISPLIF_STATUS_EINVAL;
	}
	*slot = (struct dbuf){.in_use = true, .info = *request, .refs = refs};
	return TSR_DISPLIF_STATUS_OK;
}

static int32_t handle_dbuf_destroy(struct displif_link *link, uint64_t cookie)
{
	struct dbuf *dbuf = find_dbuf(link, cookie);
	if (!dbuf)
		return TSR_DISPLIF_STATUS_EINVAL;
	for (uint32_t i = 0; i < MAX_FBS; i++)
		if (link->fbs[i].in_use && link->fbs[i].dbuf == dbuf)
			detach_fb(link, &link->fbs[i]);
	free(dbuf->refs);
	memset(dbuf, 0, sizeof(*dbuf));
	return TSR_DISPLIF_STATUS_OK;
}

static int32_t handle_fb_attach(struct displif_link *link,
				const struct tsr_displif_fb_attach *request)
{
	struct dbuf *dbuf = find_dbuf(link, request->dbuf_cookie);
	if (!dbuf || find_fb(link, request->fb_cookie))
		return TSR_DISPLIF_STATUS_EINVAL;
	struct fb *slot = NULL;
	for (uint32_t i = 0; i < MAX_FBS && !slot; i++)
		if (!link->fbs[i].in_use)
			slot = &link->fbs[i];
	if (!slot)
		return TSR_DISPLIF_STATUS_ENOMEM;
	uint32_t pitch;
	char err[160];
	if (!tsr_displif_fb_fits(request, &dbuf->info, &pitch, err, sizeof(err))) {
		fail(link, "%s", err);
		return TSR_DISPLIF_STATUS_EINVAL;
	}
	*slot = (struct fb){.in_use = true, .info = *request, .pitch = pitch, .dbuf = dbuf};
	return TSR_DISPLIF_STATUS_OK;
}

static int32_t handle_set_config(struct connector *c, const struct tsr_displif_set_config *config)
{
	if (config->fb_cookie == 0) {
		c->enabled = false;
		c->fb_cookie = 0;
		/* Linux releases a stalled flip event itself on disable. */
		c->pending_count = 0;
		if (c->sample_timer)
			tsr_event_source_timer_update(c->sample_timer, 0);
		destroy_surface(c);
		return TSR_DISPLIF_STATUS_OK;
	}
	struct fb *fb = find_fb(c->link, config->fb_cookie);
	if (!fb)
		return TSR_DISPLIF_STATUS_EINVAL;
	uint32_t width, height;
	char err[160];
	if (!tsr_displif_config_view(config, &fb->info, c->mode_width, c->mode_height, &width,
				     &height, err, sizeof(err))) {
		log_link(TSR_LOG_DEBUG, c->link, "connector %u: %s", c->index, err);
		return TSR_DISPLIF_STATUS_EINVAL;
	}
	c->enabled = true;
	c->x = config->x;
	c->y = config->y;
	int32_t status = show(c, fb, config->bpp);
	if (status == TSR_DISPLIF_STATUS_OK)
		arm_sampling(c);
	return status;
}

static int32_t handle_pg_flip(struct connector *c, uint64_t cookie)
{
	struct fb *fb = find_fb(c->link, cookie);
	if (!fb || !c->enabled)
		return TSR_DISPLIF_STATUS_EINVAL;
	if (c->pending_count == MAX_PENDING_FLIPS) {
		fail(c->link,
		     "connector %u: %u page flips wait for their event: the frontend does not "
		     "consume its event page",
		     c->index, MAX_PENDING_FLIPS);
		return TSR_DISPLIF_STATUS_EINVAL;
	}
	int32_t status = show(c, fb, fb->info.bytes_per_pixel * 8u);
	if (status == TSR_DISPLIF_STATUS_OK)
		c->pending_flips[c->pending_count++] = cookie;
	return status;
}

static int32_t handle_request(struct connector *c, const struct tsr_displif_request *request)
{
	struct displif_link *link = c->link;
	switch (request->operation) {
	case TSR_DISPLIF_OP_DBUF_CREATE:
		return handle_dbuf_create(link, &request->u.dbuf_create);
	case TSR_DISPLIF_OP_DBUF_DESTROY:
		return handle_dbuf_destroy(link, request->u.cookie);
	case TSR_DISPLIF_OP_FB_ATTACH:
		return handle_fb_attach(link, &request->u.fb_attach);
	case TSR_DISPLIF_OP_FB_DETACH: {
		struct fb *fb = find_fb(link, request->u.cookie);
		if (!fb)
			return TSR_DISPLIF_STATUS_EINVAL;
		detach_fb(link, fb);
		return TSR_DISPLIF_STATUS_OK;
	}
	case TSR_DISPLIF_OP_SET_CONFIG:
		return handle_set_config(c, &request->u.set_config);
	case TSR_DISPLIF_OP_PG_FLIP:
		return handle_pg_flip(c, request->u.cookie);
	default:
		return TSR_DISPLIF_STATUS_ENOTSUP;
	}
}

static void notify(struct displif_link *link, int port)
{
	if (port >= 0 && xenevtchn_notify(link->xce, (evtchn_port_t)port) < 0)
		log_link(TSR_LOG_DEBUG, link, "notifying port %d failed: %s", port,
			 strerror(errno));
}

/* Serves up to REQUESTS_PER_DISPATCH requests; true if more may wait. */
static bool serve_requests(struct connector *c)
{
	struct displif_link *link = c->link;
	uint8_t copy[TSR_DISPLIF_PACKET_SIZE];
	for (uint32_t served = 0; served < REQUESTS_PER_DISPATCH; served++) {
		enum tsr_displif_ring_result result = tsr_displif_req_ring_take(&c->req, copy);
		if (result == TSR_DISPLIF_RING_EMPTY) {
			if (!tsr_displif_req_ring_final_check(&c->req))
				return false;
			continue;
		}
		if (result != TSR_DISPLIF_RING_TAKEN) {
			fail(link, "connector %u: request ring index out of range", c->index);
			return false;
		}
		struct tsr_displif_request request;
		char err[160];
		int32_t status;
		switch (tsr_displif_request_decode(copy, c->index, &request, err, sizeof(err))) {
		case TSR_DISPLIF_DECODED:
			status = handle_request(c, &request);
			if (request.operation != TSR_DISPLIF_OP_PG_FLIP || status != 0)
				log_link(TSR_LOG_DEBUG, link,
					 "connector %u: request %u operation 0x%02x: status %d",
					 c->index, request.id, request.operation, status);
			break;
		case TSR_DISPLIF_UNSUPPORTED:
			log_link(TSR_LOG_DEBUG, link, "connector %u: %s", c->index, err);
			status = TSR_DISPLIF_STATUS_ENOTSUP;
			break;
		default:
			fail(link, "connector %u: %s", c->index, err);
			return false;
		}
		if (link->failed)
			return false;
		bool wanted = false;
		if (tsr_displif_req_ring_respond(&c->req, request.id, request.operation, status,
						 &wanted) &&
		    wanted)
			notify(link, c->req_port);
	}
	return true;
}

static void resume_serving(void *data);

static void serve_all(struct displif_link *link)
{
	bool more = false;
	for (uint32_t i = 0; i < link->connector_count && !link->failed; i++)
		more = serve_requests(&link->connectors[i]) || more;
	/* No event announces requests already in a ring: continue after the
	 * other guests had their turn. */
	if (more && !link->failed && !link->resume)
		link->resume = tsr_event_loop_add_idle(link->loop, resume_serving, link);
}

static void resume_serving(void *data)
{
	struct displif_link *link = data;
	link->resume = NULL; /* idles run once */
	if (link->closed)
		return;
	serve_all(link);
	finish(link);
}

/* Publishes the connector's waiting flip events. false on a hostile
 * in_cons; events that do not fit stay queued. */
static bool flush_events(struct connector *c)
{
	bool sent = false;
	while (c->pending_count > 0) {
		enum tsr_displif_ring_result result =
		    tsr_displif_evt_ring_push(&c->evt, c->pending_flips[0]);
		if (result == TSR_DISPLIF_RING_FULL)
			break;
		if (result != TSR_DISPLIF_RING_TAKEN) {
			fail(c->link, "connector %u: event page consumer index out of range",
			     c->index);
			return false;
		}
		sent = true;
		c->pending_count--;
		memmove(c->pending_flips, c->pending_flips + 1,
			c->pending_count * sizeof(c->pending_flips[0]));
	}
	if (sent)
		notify(c->link, c->evt_port);
	return true;
}

static void handle_evtchn(int fd, uint32_t mask, void *data)
{
	struct displif_link *link = data;
	/* Readable: one port is pending, the read does not block. */
	xenevtchn_port_or_error_t port = xenevtchn_pending(link->xce);
	if (port < 0) {
		fail(link, "reading the event channels failed: %s", strerror(errno));
		finish(link);
		return;
	}
	xenevtchn_unmask(link->xce, (evtchn_port_t)port);
	uint64_t now = tsr_now_ns();
	if (now - link->notify_window_ns > 1000000000ull) {
		link->notify_window_ns = now;
		link->notify_count = 0;
	}
	if (++link->notify_count > NOTIFICATIONS_PER_SECOND) {
		fail(link, "event channel flood: more than %u notifications in a second",
		     NOTIFICATIONS_PER_SECOND);
		finish(link);
		return;
	}
	for (uint32_t i = 0; i < link->connector_count; i++) {
		struct connector *c = &link->connectors[i];
		if ((int)port == c->evt_port)
			flush_events(c); /* the frontend consumed events */
	}
	serve_all(link);
	finish(link);
}

static bool displif_link_send(struct tsr_guest_link *base, const struct tsr_msg *msg)
{
	struct displif_link *link = (struct displif_link *)base;
	if (link->closed || msg->type != TSR_MSG_FRAME_DONE)
		return true; /* WELCOME, releases, input, ERROR: nothing to tell */
	uint32_t id = msg->u.frame_done.surface_id;
	if (id == 0 || id > link->connector_count)
		return true;
	struct connector *c = &link->connectors[id - 1u];
	if (flush_events(c))
		return true;
	/* Returning false makes the core drop the guest: say why first. */
	log_link(TSR_LOG_WARN, link, "%s", link->fail_reason);
	return false;
}

static struct tsr_buffer *displif_link_import(struct tsr_guest_link *base,
					      const struct tsr_msg *msg,
					      const struct tsr_buffer_request *request, char *err,
					      size_t err_len)
{
	struct displif_link *link = (struct displif_link *)base;
	if (msg->type != TSR_MSG_BUFFER_ATTACH_GRANTS) {
		snprintf(err, err_len, "only grant buffers travel over displif");
		return NULL;
	}
	return tsr_xen_grant_buffer_import(link->mapper, &msg->u.attach_grants, request, err,
					   err_len);
}

static void displif_link_destroy(struct tsr_guest_link *base)
{
	struct displif_link *link = (struct displif_link *)base;
	if (!link)
		return;
	if (link->owner.link_destroyed)
		link->owner.link_destroyed(link->owner.data, link->violated || link->failed);
	stop_sources(link);
	for (uint32_t i = 0; i < link->connector_count; i++) {
		struct connector *c = &link->connectors[i];
		if (c->req_port >= 0)
			xenevtchn_unbind(link->xce, (evtchn_port_t)c->req_port);
		if (c->evt_port >= 0)
			xenevtchn_unbind(link->xce, (evtchn_port_t)c->evt_port);
		tsr_xen_grant_mapper_unmap_ring(link->mapper, c->req_page);
		tsr_xen_grant_mapper_unmap_ring(link->mapper, c->evt_page);
	}
	for (uint32_t i = 0; i < MAX_DBUFS; i++)
		free(link->dbufs[i].refs);
	if (link->xce)
		xenevtchn_close(link->xce);
	if (link->quiet_logger)
		xtl_logger_destroy((xentoollog_logger *)link->quiet_logger);
	/* Buffers the core still holds keep the gntdev handle alive. */
	tsr_xen_grant_mapper_unref(link->mapper);
	free(link->msg);
	free(link);
}

static const struct tsr_guest_link_impl displif_link_impl = {
    .send = displif_link_send,
    .import_buffer = displif_link_import,
    .destroy = displif_link_destroy,
};

static bool setup_connector(struct displif_link *link, struct connector *c,
			    const struct tsr_displif_connector_setup *setup, char *err,
			    size_t err_len)
{
	c->mode_width = setup->width;
	c->mode_height = setup->height;
	c->req_page = tsr_xen_grant_mapper_map_ring(link->mapper, setup->req_ring_ref);
	c->evt_page = tsr_xen_grant_mapper_map_ring(link->mapper, setup->evt_ring_ref);
	if (!c->req_page || !c->evt_page) {
		snprintf(err, err_len, "connector %u: cannot map ring refs %u/%u: %s", c->index,
			 setup->req_ring_ref, setup->evt_ring_ref, strerror(errno));
		return false;
	}
	xenevtchn_port_or_error_t req =
	    xenevtchn_bind_interdomain(link->xce, link->domid, setup->req_event_channel);
	if (req >= 0)
		c->req_port = req;
	xenevtchn_port_or_error_t evt =
	    xenevtchn_bind_interdomain(link->xce, link->domid, setup->evt_event_channel);
	if (evt >= 0)
		c->evt_port = evt;
	if (req < 0 || evt < 0) {
		snprintf(err, err_len, "connector %u: cannot bind event channels %u/%u: %s",
			 c->index, setup->req_event_channel, setup->evt_event_channel,
			 strerror(errno));
		return false;
	}
	tsr_displif_req_ring_init(&c->req, c->req_page);
	tsr_displif_evt_ring_init(&c->evt, c->evt_page);
	c->sample_timer = tsr_event_loop_add_timer(link->loop, sample, c);
	if (!c->sample_timer) {
		snprintf(err, err_len, "out of memory");
		return false;
	}
	return true;
}

struct tsr_guest_link *tsr_displif_link_create(struct tsr_event_loop *loop, const char *domain_name,
					       uint32_t domid,
					       const struct tsr_displif_connector_setup *connectors,
					       uint32_t connector_count,
					       const struct tsr_displif_link_owner *owner,
					       char *err, size_t err_len)
{
	struct displif_link *link = calloc(1, sizeof(*link));
	if (!link) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	link->base.impl = &displif_link_impl;
	/* The frontend chose its resolution: the layout fits it instead. */
	link->base.fixed_size = true;
	link->loop = loop;
	snprintf(link->name, sizeof(link->name), "%s", domain_name);
	link->domid = domid;
	link->next_buffer_id = 1;
	link->connector_count = connector_count;
	for (uint32_t i = 0; i < TSR_DISPLIF_MAX_CONNECTORS; i++) {
		link->connectors[i] =
		    (struct connector){.link = link, .index = i, .req_port = -1, .evt_port = -1};
	}
	link->msg = calloc(1, sizeof(*link->msg));
	if (!link->msg || connector_count == 0 || connector_count > TSR_DISPLIF_MAX_CONNECTORS) {
		snprintf(err, err_len, "out of memory");
		goto error;
	}
	link->mapper = tsr_xen_grant_mapper_create(domid, TSR_XEN_DOMAIN_QUOTA_PAGES, err, err_len);
	if (!link->mapper)
		goto error;
	link->quiet_logger = xtl_createlogger_stdiostream(stderr, XTL_CRITICAL, 0);
	link->xce = xenevtchn_open((xentoollog_logger *)link->quiet_logger, 0);
	if (!link->xce) {
		snprintf(err, err_len, "cannot open the event channel device: %s", strerror(errno));
		goto error;
	}
	for (uint32_t i = 0; i < connector_count; i++)
		if (!setup_connector(link, &link->connectors[i], &connectors[i], err, err_len))
			goto error;
	link->evtchn_source = tsr_event_loop_add_fd(loop, xenevtchn_fd(link->xce),
						    TSR_EVENT_READABLE, handle_evtchn, link);
	if (!link->evtchn_source) {
		snprintf(err, err_len, "cannot watch the event channels");
		goto error;
	}
	/* Set last: a failed create must not tell the owner about a link it
	 * never saw. */
	link->owner = *owner;
	return &link->base;
error:
	displif_link_destroy(&link->base);
	return NULL;
}

bool tsr_displif_link_start(struct tsr_guest_link *base)
{
	struct displif_link *link = (struct displif_link *)base;
	link->started = true;
	struct tsr_msg *msg = link->msg;
	*msg = (struct tsr_msg){.type = TSR_MSG_HELLO};
	msg->u.hello.major = TSR_PROTOCOL_MAJOR;
	msg->u.hello.minor = TSR_PROTOCOL_MINOR;
	msg->u.hello.capabilities = TSR_CAP_GRANTS;
	deliver(link, msg);
	/* Requests queued before we were connected come with no event. */
	if (!link->failed)
		serve_all(link);
	return finish(link);
}

void tsr_displif_link_close(struct tsr_guest_link *base, const char *reason, bool violation)
{
	close_link((struct displif_link *)base, reason, violation);
}

void tsr_displif_link_forget_owner(struct tsr_guest_link *base)
{
	struct displif_link *link = (struct displif_link *)base;
	link->owner.link_destroyed = NULL;
}
