#include "session.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <drm_fourcc.h>
#include <tessera/protocol.h>

#include "agent_log.h"
#include "buffer_pool.h"
#include "inject_uinput.h"
#include "input_log.h"
#include "source.h"
#include "transport.h"
#ifdef TSR_AGENT_HAVE_XEN
#include "transport_xen.h"
#endif

/* Three buffers: one on screen, one possibly still queued in the compositor,
 * one to draw into, so drawing never waits on a release in steady state. */
#define SESSION_BUFFER_COUNT 3
#define SESSION_SURFACE_ID 1u
/* Pools of replaced surfaces kept until the compositor has caught up. */
#define SESSION_MAX_RETIRED 4

enum session_status {
	SESSION_CONTINUE,
	SESSION_DONE,	/* exit 0 */
	SESSION_FAILED, /* exit 1, already logged */
};

struct agent_session {
	const struct agent_options *options;
	struct agent_transport *transport;
	struct agent_source *source;
	struct agent_buffer_pool *pool; /* NULL until the surface exists */
	/* Xen: buffers are grant pages (BUFFER_ATTACH_GRANTS); NULL: memfds. */
	const struct agent_page_sharer *sharer;
	uint32_t buffer_cap;	     /* TSR_CAP_MEMFD or TSR_CAP_GRANTS */
	struct agent_inject *inject; /* --inject uinput, else NULL */
	struct tsr_msg *msg;	     /* receive scratch: too large for the stack */
	/* Send scratch, for the same reason: a struct tsr_msg is 64 KiB (the
	 * grant ref array), and zeroing one per DAMAGE and COMMIT cost more
	 * than the frame's bookkeeping. Each message assigns only its own
	 * union member (outgoing()). */
	struct tsr_msg *out;
	bool welcomed;
	uint32_t max_width, max_height;
	uint32_t next_buffer_id;
	uint32_t serial;      /* of the last COMMIT */
	uint32_t done_serial; /* of the last FRAME_DONE; == serial when idle */
	bool force_draw;      /* a new surface needs a frame now, FRAME_DONE or not */
	uint32_t next_frame;  /* the demo frame number drawn next */
	uint64_t frames_presented;
	pixman_region32_t damage; /* scene changes not yet committed */
	/* A replaced surface's pool stays until a FRAME_DONE for a later
	 * commit: the compositor handles messages in order, so by then it has
	 * mapped (or refused) every attach we sent for it and unmapped it on
	 * our BUFFER_DESTROY. Ending a grant earlier would make an attach it
	 * has not read yet fail to map, and get us dropped as hostile. */
	struct {
		struct agent_buffer_pool *pool;
		uint32_t last_serial; /* freed once a FRAME_DONE is newer */
	} retired[SESSION_MAX_RETIRED];
};

static const char *session_name(const struct agent_session *session)
{
	return session->options->name;
}

/* The send scratch for a message of type; the caller assigns the body
 * member of that type whole (a compound literal zeroes only that member). */
static struct tsr_msg *outgoing(struct agent_session *session, enum tsr_msg_type type)
{
	session->out->type = type;
	return session->out;
}

static bool send_message(struct agent_session *session, const struct tsr_msg *msg)
{
	if (agent_transport_send(session->transport, msg))
		return true;
	agent_log(session_name(session), "cannot send %s", tsr_msg_type_name(msg->type));
	return false;
}

static void retire_pool(struct agent_session *session, struct agent_buffer_pool *pool)
{
	size_t slot = 0;
	for (size_t i = 0; i < SESSION_MAX_RETIRED; i++) {
		if (!session->retired[i].pool) {
			slot = i;
			break;
		}
		if (session->retired[i].last_serial < session->retired[slot].last_serial)
			slot = i;
	}
	/* Four resizes without a frame in between: the oldest goes first. */
	agent_buffer_pool_destroy(session->retired[slot].pool);
	session->retired[slot].pool = pool;
	session->retired[slot].last_serial = session->serial;
}

static void free_retired_pools(struct agent_session *session, uint32_t done_serial, bool all)
{
	for (size_t i = 0; i < SESSION_MAX_RETIRED; i++) {
		if (session->retired[i].pool &&
		    (all || done_serial > session->retired[i].last_serial)) {
			agent_buffer_pool_destroy(session->retired[i].pool);
			session->retired[i].pool = NULL;
		}
	}
}

/* Buffers first, then the surface: a buffer destroy never names something
 * the surface destroy might already have taken with it. */
static bool destroy_surface(struct agent_session *session)
{
	bool ok = true;
	if (!session->pool)
		return true;
	for (size_t i = 0; i < session->pool->count; i++) {
		struct tsr_msg *msg = outgoing(session, TSR_MSG_BUFFER_DESTROY);
		msg->u.buffer_destroy =
		    (struct tsr_msg_buffer_destroy){.buffer_id = session->pool->buffers[i].id};
		ok = ok && send_message(session, msg);
	}
	struct tsr_msg *msg = outgoing(session, TSR_MSG_SURFACE_DESTROY);
	msg->u.surface_destroy = (struct tsr_msg_surface_destroy){.surface_id = SESSION_SURFACE_ID};
	ok = ok && send_message(session, msg);
	retire_pool(session, session->pool);
	session->pool = NULL;
	return ok;
}

/* BUFFER_ATTACH_MEMFD with the memfd, or BUFFER_ATTACH_GRANTS with the
 * refs of the buffer's shared pages (in the send scratch, never the
 * receive scratch: that may hold the message being handled). The encoder
 * reads only ref_count refs, so only those are written. */
static bool attach_buffer(struct agent_session *session, const struct agent_buffer *buffer)
{
	if (!buffer->refs) {
		struct tsr_msg *attach = outgoing(session, TSR_MSG_BUFFER_ATTACH_MEMFD);
		attach->u.attach_memfd = (struct tsr_msg_buffer_attach_memfd){
		    .surface_id = SESSION_SURFACE_ID,
		    .buffer_id = buffer->id,
		    .offset = 0,
		    .size = (uint32_t)buffer->size,
		};
		return agent_transport_send_with_fd(session->transport, attach, buffer->memfd);
	}
	struct tsr_msg *attach = outgoing(session, TSR_MSG_BUFFER_ATTACH_GRANTS);
	attach->u.attach_grants.surface_id = SESSION_SURFACE_ID;
	attach->u.attach_grants.buffer_id = buffer->id;
	attach->u.attach_grants.offset = 0;
	attach->u.attach_grants.ref_count = buffer->ref_count;
	memcpy(attach->u.attach_grants.refs, buffer->refs, buffer->ref_count * sizeof(uint32_t));
	return agent_transport_send(session->transport, attach);
}

static bool create_surface(struct agent_session *session, uint32_t width, uint32_t height)
{
	char err[128];
	const uint32_t stride = width * 4; /* width <= TSR_MAX_DIMENSION: no overflow */
	if (!tsr_validate_surface(width, height, DRM_FORMAT_XRGB8888, stride, err, sizeof(err))) {
		agent_log(session_name(session), "cannot use a %" PRIu32 "x%" PRIu32 " surface: %s",
			  width, height, err);
		return false;
	}
	struct tsr_msg *msg = outgoing(session, TSR_MSG_SURFACE_CREATE);
	msg->u.surface_create = (struct tsr_msg_surface_create){
	    .surface_id = SESSION_SURFACE_ID,
	    .width = width,
	    .height = height,
	    .fourcc = DRM_FORMAT_XRGB8888,
	    .stride = stride,
	};
	if (!send_message(session, msg))
		return false;

	session->pool = agent_buffer_pool_create_shared(width, height, SESSION_BUFFER_COUNT,
							session->next_buffer_id, session->sharer);
	if (!session->pool) {
		agent_log(session_name(session), "cannot allocate buffers");
		return false;
	}
	session->next_buffer_id += SESSION_BUFFER_COUNT;
	for (size_t i = 0; i < session->pool->count; i++) {
		struct agent_buffer *buffer = &session->pool->buffers[i];
		if (!attach_buffer(session, buffer)) {
			agent_log(session_name(session), "cannot attach buffer %" PRIu32,
				  buffer->id);
			return false;
		}
	}
	/* Damage of the old size may lie outside the new one; all is new. */
	pixman_region32_clear(&session->damage);
	session->source->impl->resize(session->source, width, height, &session->damage);
	agent_log(session_name(session), "surface %" PRIu32 "x%" PRIu32 " with %zu buffers", width,
		  height, session->pool->count);
	return true;
}

/* DAMAGE carries at most TSR_MAX_DAMAGE_RECTS rects; a region with more is
 * sent as its bounding box, which is larger but never wrong. With --damage
 * none an empty DAMAGE says "nothing changed" (a COMMIT without any DAMAGE
 * would mean "everything changed"). */
static bool send_damage(struct agent_session *session)
{
	struct tsr_msg *msg = outgoing(session, TSR_MSG_DAMAGE);
	msg->u.damage = (struct tsr_msg_damage){.surface_id = SESSION_SURFACE_ID};
	if (session->options->damage == AGENT_DAMAGE_NONE)
		return send_message(session, msg);
	int n_rects;
	const pixman_box32_t *boxes = pixman_region32_rectangles(&session->damage, &n_rects);
	pixman_box32_t *extents = pixman_region32_extents(&session->damage);
	if (n_rects > (int)TSR_MAX_DAMAGE_RECTS) {
		boxes = extents;
		n_rects = 1;
	}
	for (int i = 0; i < n_rects; i++) {
		msg->u.damage.rects[i] = (struct tsr_rect){
		    .x = boxes[i].x1,
		    .y = boxes[i].y1,
		    .width = (uint32_t)(boxes[i].x2 - boxes[i].x1),
		    .height = (uint32_t)(boxes[i].y2 - boxes[i].y1),
		};
	}
	msg->u.damage.count = (uint32_t)n_rects;
	if (n_rects == 0)
		return true;
	return send_message(session, msg);
}

/* Draws the next frame into a free buffer and commits it. Returns false only
 * on failure; having no free buffer yet is not one (we wait for a release). */
static bool draw_and_commit(struct agent_session *session)
{
	struct agent_buffer *buffer = agent_buffer_pool_acquire(session->pool);
	if (!buffer)
		return true;

	struct agent_source *source = session->source;
	/* --damage none: the scene stands still, so every buffer holds the
	 * same picture and the empty DAMAGE is the truth. */
	uint32_t frame = session->options->damage == AGENT_DAMAGE_NONE ? 0 : session->next_frame;
	source->impl->set_frame(source, frame, &session->damage);
	if (session->options->damage == AGENT_DAMAGE_FULL)
		pixman_region32_union_rect(&session->damage, &session->damage, 0, 0,
					   session->pool->width, session->pool->height);
	/* Every buffer now lags the scene by this frame's damage; the one we
	 * draw catches up on all it missed since it was last drawn. */
	agent_buffer_pool_add_damage(session->pool, &session->damage);
	source->impl->draw(source, buffer->image, &buffer->stale);
	pixman_region32_clear(&buffer->stale);

	if (!send_damage(session))
		return false;
	struct tsr_msg *msg = outgoing(session, TSR_MSG_COMMIT);
	msg->u.commit = (struct tsr_msg_commit){
	    .surface_id = SESSION_SURFACE_ID,
	    .buffer_id = buffer->id,
	    .serial = ++session->serial,
	};
	if (!send_message(session, msg))
		return false;
	buffer->busy = true;
	session->force_draw = false;
	session->next_frame++;
	pixman_region32_clear(&session->damage);
	return true;
}

static enum session_status handle_welcome(struct agent_session *session,
					  const struct tsr_msg_welcome *welcome)
{
	const char *name = session_name(session);
	if (session->welcomed) {
		agent_log(name, "protocol violation: second WELCOME");
		return SESSION_FAILED;
	}
	if (welcome->major != TSR_PROTOCOL_MAJOR || welcome->minor > TSR_PROTOCOL_MINOR) {
		agent_log(name, "compositor speaks protocol %u.%u, we speak %u.%u", welcome->major,
			  welcome->minor, TSR_PROTOCOL_MAJOR, TSR_PROTOCOL_MINOR);
		return SESSION_FAILED;
	}
	if (!(welcome->capabilities & session->buffer_cap)) {
		agent_log(name,
			  "compositor does not accept our buffers (caps 0x%" PRIx32
			  ", need 0x%" PRIx32 ")",
			  welcome->capabilities, session->buffer_cap);
		return SESSION_FAILED;
	}
	session->welcomed = true;
	session->max_width = welcome->max_width;
	session->max_height = welcome->max_height;
	agent_log(name, "welcomed: protocol %u.%u, caps 0x%" PRIx32 ", max %" PRIu32 "x%" PRIu32,
		  welcome->major, welcome->minor, welcome->capabilities, welcome->max_width,
		  welcome->max_height);

	uint32_t width = session->options->width, height = session->options->height;
	if (width > session->max_width || height > session->max_height) {
		width = width > session->max_width ? session->max_width : width;
		height = height > session->max_height ? session->max_height : height;
		agent_log(name,
			  "asked for %" PRIu32 "x%" PRIu32 ", using the maximum %" PRIu32
			  "x%" PRIu32,
			  session->options->width, session->options->height, width, height);
	}
	return create_surface(session, width, height) ? SESSION_CONTINUE : SESSION_FAILED;
}

static enum session_status handle_configure(struct agent_session *session,
					    const struct tsr_msg_configure *configure)
{
	if (configure->surface_id != SESSION_SURFACE_ID) {
		agent_log(session_name(session),
			  "protocol violation: CONFIGURE for surface %" PRIu32,
			  configure->surface_id);
		return SESSION_FAILED;
	}
	if (!session->pool)
		return SESSION_FAILED; /* create_surface failed and said why */
	if (configure->width == session->pool->width && configure->height == session->pool->height)
		return SESSION_CONTINUE;
	if (configure->width == 0 || configure->height == 0 ||
	    configure->width > TSR_MAX_DIMENSION || configure->height > TSR_MAX_DIMENSION) {
		agent_log(session_name(session),
			  "protocol violation: CONFIGURE to %" PRIu32 "x%" PRIu32, configure->width,
			  configure->height);
		return SESSION_FAILED;
	}
	agent_log(session_name(session), "configured to %" PRIu32 "x%" PRIu32, configure->width,
		  configure->height);
	/* A surface's size is fixed at creation: replace it, redraw it all. */
	if (!destroy_surface(session) ||
	    !create_surface(session, configure->width, configure->height))
		return SESSION_FAILED;
	session->force_draw = true;
	return SESSION_CONTINUE;
}

static enum session_status handle_frame_done(struct agent_session *session,
					     const struct tsr_msg_frame_done *done)
{
	/* Serials only grow. A commit replaced by a CONFIGURE may still be
	 * presented (and counts); a repeated or unknown serial is ignored. */
	if (done->surface_id != SESSION_SURFACE_ID || done->serial <= session->done_serial ||
	    done->serial > session->serial)
		return SESSION_CONTINUE;
	session->done_serial = done->serial;
	free_retired_pools(session, done->serial, false);
	session->frames_presented++;
	if (session->options->frames && session->frames_presented >= session->options->frames) {
		agent_log(session_name(session), "%" PRIu64 " frames presented, done",
			  session->frames_presented);
		return SESSION_DONE;
	}
	return SESSION_CONTINUE;
}

static enum session_status handle_message(struct agent_session *session, const struct tsr_msg *msg)
{
	const char *name = session_name(session);
	if (!session->welcomed && msg->type != TSR_MSG_WELCOME && msg->type != TSR_MSG_ERROR) {
		agent_log(name, "protocol violation: %s before WELCOME",
			  tsr_msg_type_name(msg->type));
		return SESSION_FAILED;
	}
	if (session->options->log_input)
		input_log_write(stdout, msg);
	if (session->inject && session->pool &&
	    !agent_inject_message(session->inject, msg, session->pool->width,
				  session->pool->height))
		return SESSION_FAILED;

	struct agent_source *source = session->source;
	switch (msg->type) {
	case TSR_MSG_WELCOME:
		return handle_welcome(session, &msg->u.welcome);
	case TSR_MSG_CONFIGURE:
		return handle_configure(session, &msg->u.configure);
	case TSR_MSG_FRAME_DONE:
		return handle_frame_done(session, &msg->u.frame_done);
	case TSR_MSG_BUFFER_RELEASE:
		/* Unknown ids are buffers of a surface we already replaced. */
		agent_buffer_pool_release(session->pool, msg->u.buffer_release.buffer_id);
		return SESSION_CONTINUE;
	case TSR_MSG_KEY:
		source->impl->set_key(source, msg->u.key.code, &session->damage);
		return SESSION_CONTINUE;
	case TSR_MSG_POINTER_MOTION:
		if (msg->u.pointer_motion.surface_id == SESSION_SURFACE_ID)
			source->impl->set_pointer(source, msg->u.pointer_motion.x,
						  msg->u.pointer_motion.y, &session->damage);
		return SESSION_CONTINUE;
	case TSR_MSG_POINTER_BUTTON:
	case TSR_MSG_POINTER_AXIS:
	case TSR_MSG_FOCUS_IN:
	case TSR_MSG_FOCUS_OUT:
		return SESSION_CONTINUE;
	case TSR_MSG_ERROR:
		agent_log(name, "compositor error %" PRIu32 ": %s", msg->u.error.code,
			  msg->u.error.text);
		return SESSION_FAILED;
	default:
		agent_log(name, "protocol violation: unexpected %s", tsr_msg_type_name(msg->type));
		return SESSION_FAILED;
	}
}

static enum session_status receive_all(struct agent_session *session)
{
	for (;;) {
		char err[128] = "";
		switch (
		    agent_transport_receive(session->transport, session->msg, err, sizeof(err))) {
		case AGENT_RECV_MESSAGE: {
			enum session_status status = handle_message(session, session->msg);
			if (status != SESSION_CONTINUE)
				return status;
			break;
		}
		case AGENT_RECV_AGAIN:
			return SESSION_CONTINUE;
		case AGENT_RECV_CLOSED:
			agent_log(session_name(session), "compositor closed the connection");
			return SESSION_FAILED;
		case AGENT_RECV_ERROR:
			agent_log(session_name(session), "bad message from the compositor: %s",
				  err);
			return SESSION_FAILED;
		}
	}
}

static enum session_status run_loop(struct agent_session *session, int signal_fd)
{
	struct pollfd fds[2] = {
	    {.fd = agent_transport_get_fd(session->transport), .events = POLLIN},
	    {.fd = signal_fd, .events = POLLIN},
	};
	for (;;) {
		/* Drawing is paced by FRAME_DONE (and, rarely, BUFFER_RELEASE):
		 * between them we sleep in poll. */
		bool may_draw = session->done_serial == session->serial || session->force_draw;
		if (session->pool && may_draw && !draw_and_commit(session))
			return SESSION_FAILED;
		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			agent_log_errno(session_name(session), "poll failed");
			return SESSION_FAILED;
		}
		if (fds[1].revents & POLLIN) {
			struct signalfd_siginfo info;
			if (read(signal_fd, &info, sizeof(info)) == (ssize_t)sizeof(info)) {
				agent_log(session_name(session), "signal %" PRIu32 ", exiting",
					  info.ssi_signo);
				return SESSION_DONE;
			}
		}
		if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			enum session_status status = receive_all(session);
			if (status != SESSION_CONTINUE)
				return status;
		}
	}
}

int agent_session_run(const struct agent_options *options, int signal_fd)
{
	enum session_status status = SESSION_FAILED;
	struct agent_session session = {.options = options, .next_buffer_id = 1};
	pixman_region32_init(&session.damage);

	const struct agent_transport_type *type = NULL;
	if (strcmp(options->transport, agent_transport_local.name) == 0)
		type = &agent_transport_local;
#ifdef TSR_AGENT_HAVE_XEN
	if (strcmp(options->transport, agent_transport_xen.name) == 0)
		type = &agent_transport_xen;
#endif
	if (!type) {
		agent_log(options->name, "unknown transport '%s'", options->transport);
		goto out;
	}
	session.msg = calloc(1, sizeof(*session.msg));
	session.out = calloc(1, sizeof(*session.out));
	session.source = agent_source_demo_create(options->width, options->height, options->colour);
	if (!session.msg || !session.out || !session.source)
		goto out;
	if (options->inject) {
		session.inject = agent_inject_uinput_create(options->name);
		if (!session.inject)
			goto out;
	}
	session.transport = type->connect(options->socket_path);
	if (!session.transport)
		goto out;
	session.buffer_cap = TSR_CAP_MEMFD;
#ifdef TSR_AGENT_HAVE_XEN
	if (type == &agent_transport_xen) {
		session.sharer = agent_transport_xen_sharer(session.transport);
		session.buffer_cap = TSR_CAP_GRANTS;
	}
#endif

	struct tsr_msg *hello = outgoing(&session, TSR_MSG_HELLO);
	hello->u.hello = (struct tsr_msg_hello){
	    .major = TSR_PROTOCOL_MAJOR,
	    .minor = TSR_PROTOCOL_MINOR,
	    .capabilities = session.buffer_cap | TSR_CAP_INPUT,
	};
	if (!send_message(&session, hello))
		goto out;
	agent_log(options->name, "connected (%s transport%s%s)", type->name,
		  options->socket_path ? ", " : "",
		  options->socket_path ? options->socket_path : "");
	status = run_loop(&session, signal_fd);

out:
	agent_inject_destroy(session.inject);
	agent_buffer_pool_destroy(session.pool);
	free_retired_pools(&session, 0, true);
	agent_transport_destroy(session.transport);
	agent_source_destroy(session.source);
	free(session.msg);
	free(session.out);
	pixman_region32_fini(&session.damage);
	return status == SESSION_DONE ? 0 : 1;
}
