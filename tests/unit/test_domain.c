/* The per-domain protocol state machine, driven message by message through
 * a recording link: damage semantics, buffer release, frame pacing of
 * hidden surfaces, and memfd import checks. */
#include <drm_fourcc.h>
#include <linux/input-event-codes.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/domain.h"
#include "core/domain_testing.h"
#include "core/guest_directory.h"
#include "core/input_backlog.h"
#include "core/violation_limit.h"
#include "scene_fixture.h"
#include "tessera/event_loop.h"
#include "test.h"
#include "transport/fd_closer.h"
#include "transport/local_link.h"
#include "transport/memfd_buffer.h"
#include "util/log_limit.h"

#define MAX_RECORDED 256

struct recording_link {
	struct tsr_guest_link base;
	struct tsr_msg sent[MAX_RECORDED];
	size_t sent_count;
	struct tsr_buffer *next_import; /* handed out by the next import */
	bool full;			/* refuses every message, as a full queue does */
	bool deferred;			/* defer_reads' state */
	/* What the guest "sent" while deferred, handed over by read_deferred;
	 * sent_count when that happened (-1: never). */
	struct tsr_msg inbox[4];
	size_t inbox_count;
	long read_at;
};

static bool record_send(struct tsr_guest_link *base, const struct tsr_msg *msg)
{
	struct recording_link *link = (struct recording_link *)base;
	if (link->full)
		return false;
	if (link->sent_count < MAX_RECORDED)
		link->sent[link->sent_count++] = *msg;
	return true;
}

static struct tsr_buffer *record_import(struct tsr_guest_link *base, const struct tsr_msg *msg,
					const struct tsr_buffer_request *request, char *err,
					size_t err_len)
{
	struct recording_link *link = (struct recording_link *)base;
	struct tsr_buffer *buffer = link->next_import;
	link->next_import = NULL;
	return buffer;
}

static void record_destroy(struct tsr_guest_link *base)
{
	free(base);
}

static void record_defer_reads(struct tsr_guest_link *base, bool deferred)
{
	((struct recording_link *)base)->deferred = deferred;
}

static void record_read_deferred(struct tsr_guest_link *base)
{
	struct recording_link *link = (struct recording_link *)base;
	if (link->inbox_count)
		link->read_at = (long)link->sent_count;
	for (size_t i = 0; i < link->inbox_count; i++)
		CHECK(link->base.listener.message(link->base.listener.data, &link->inbox[i]));
	link->inbox_count = 0;
}

static const struct tsr_guest_link_impl recording_impl = {
    .send = record_send,
    .import_buffer = record_import,
    .destroy = record_destroy,
    .defer_reads = record_defer_reads,
    .read_deferred = record_read_deferred,
};

static size_t count_sent(struct recording_link *link, enum tsr_msg_type type, uint32_t id)
{
	size_t count = 0;
	for (size_t i = 0; i < link->sent_count; i++) {
		const struct tsr_msg *msg = &link->sent[i];
		if (msg->type != type)
			continue;
		if (type == TSR_MSG_BUFFER_RELEASE && msg->u.buffer_release.buffer_id != id)
			continue;
		count++;
	}
	return count;
}

static bool deliver(struct recording_link *link, struct tsr_msg *msg)
{
	return link->base.listener.message(link->base.listener.data, msg);
}

/* HELLO, a width x height surface 1, and two attached memory buffers 1, 2. */
static struct recording_link *connect_guest(struct scene_fixture *fixture, int index,
					    uint32_t width, uint32_t height,
					    struct tsr_buffer **buffers)
{
	struct recording_link *link = calloc(1, sizeof(*link));
	link->base.impl = &recording_impl;
	link->read_at = -1;
	CHECK(tsr_domain_attach_link(tsr_server_domain(fixture->server, index), &link->base, -1));
	struct tsr_msg msg = {.type = TSR_MSG_HELLO};
	msg.u.hello = (struct tsr_msg_hello){.major = 1, .capabilities = TSR_CAP_MEMFD};
	CHECK(deliver(link, &msg));
	msg = (struct tsr_msg){.type = TSR_MSG_SURFACE_CREATE};
	msg.u.surface_create = (struct tsr_msg_surface_create){.surface_id = 1,
							       .width = width,
							       .height = height,
							       .fourcc = DRM_FORMAT_XRGB8888,
							       .stride = width * 4};
	CHECK(deliver(link, &msg));
	for (uint32_t b = 0; b < 2; b++) {
		buffers[b] = tsr_buffer_create_memory(width, height, DRM_FORMAT_XRGB8888);
		link->next_import = buffers[b];
		msg = (struct tsr_msg){.type = TSR_MSG_BUFFER_ATTACH_MEMFD};
		msg.u.attach_memfd = (struct tsr_msg_buffer_attach_memfd){
		    .surface_id = 1, .buffer_id = b + 1, .size = width * height * 4};
		CHECK(deliver(link, &msg));
	}
	return link;
}

static void fill(struct tsr_buffer *buffer, uint32_t colour)
{
	for (uint32_t y = 0; y < buffer->height; y++)
		for (uint32_t x = 0; x < buffer->width; x++)
			((uint32_t *)((uint8_t *)buffer->data + (size_t)y * buffer->stride))[x] =
			    colour;
}

static void commit(struct recording_link *link, uint32_t buffer_id, uint32_t serial)
{
	struct tsr_msg msg = {.type = TSR_MSG_COMMIT};
	msg.u.commit =
	    (struct tsr_msg_commit){.surface_id = 1, .buffer_id = buffer_id, .serial = serial};
	CHECK(deliver(link, &msg));
}

static void damage(struct recording_link *link, int32_t x, int32_t y, uint32_t w, uint32_t h)
{
	struct tsr_msg msg = {.type = TSR_MSG_DAMAGE};
	msg.u.damage.surface_id = 1;
	msg.u.damage.count = 1;
	msg.u.damage.rects[0] = (struct tsr_rect){x, y, w, h};
	CHECK(deliver(link, &msg));
}

static uint32_t shown_pixel(struct scene_fixture *fixture, int index, uint32_t x, uint32_t y)
{
	const pixman_box32_t *content =
	    &tsr_server_output(fixture->server, 0)->layout.domains[index].content;
	return pixel_at(scene_fixture_front(fixture), (uint32_t)content->x1 + x,
			(uint32_t)content->y1 + y);
}

/* Commit A, B, then A again without DAMAGE: "no damage" means the whole
 * surface changed, so A's new pixels must be on screen. */
static void test_commit_without_damage_repaints_everything(void)
{
	struct scene_fixture fixture;
	CHECK(scene_fixture_init(&fixture, 640, 400));
	tsr_server_set_layout(fixture.server, TSR_LAYOUT_FOCUS);
	CHECK(scene_fixture_settle(&fixture));
	uint32_t width, height;
	tsr_server_content_size(fixture.server, 0, &width, &height);
	struct tsr_buffer *buffers[2];
	struct recording_link *link = connect_guest(&fixture, 0, width, height, buffers);
	fill(buffers[0], 0xff0000);
	commit(link, 1, 1);
	CHECK(scene_fixture_settle(&fixture));
	fill(buffers[1], 0x00ff00);
	damage(link, 0, 0, width, height);
	commit(link, 2, 2);
	CHECK(scene_fixture_settle(&fixture));
	CHECK_EQ_INT(shown_pixel(&fixture, 0, 40, 80), 0x00ff00);
	fill(buffers[0], 0x0000ff);
	commit(link, 1, 3); /* no DAMAGE */
	CHECK(scene_fixture_settle(&fixture));
	CHECK_EQ_INT(shown_pixel(&fixture, 0, 40, 80), 0x0000ff);
	CHECK_EQ_INT(shown_pixel(&fixture, 0, width - 1, height - 1), 0x0000ff);
	/* With DAMAGE, only the damaged part is taken from the buffer. */
	fill(buffers[1], 0xffff00);
	damage(link, 0, 0, 10, 10);
	commit(link, 2, 4);
	CHECK(scene_fixture_settle(&fixture));
	CHECK_EQ_INT(shown_pixel(&fixture, 0, 5, 5), 0xffff00);
	scene_fixture_fini(&fixture);
}

static void test_final_release_after_destroy(void)
{
	struct scene_fixture fixture;
	CHECK(scene_fixture_init(&fixture, 640, 400));
	struct tsr_buffer *buffers[2];
	struct recording_link *link = connect_guest(&fixture, 0, 64, 64, buffers);
	commit(link, 1, 1);
	commit(link, 2, 2);
	/* Replaced: released with the next FRAME_DONE, right before it. */
	CHECK_EQ_INT(count_sent(link, TSR_MSG_BUFFER_RELEASE, 1), 0);
	for (int i = 0; i < 50 && count_sent(link, TSR_MSG_FRAME_DONE, 0) == 0; i++)
		tsr_event_loop_dispatch(fixture.loop, 20);
	CHECK_EQ_INT(count_sent(link, TSR_MSG_BUFFER_RELEASE, 1), 1);
	CHECK(link->sent_count >= 2 &&
	      link->sent[link->sent_count - 2].type == TSR_MSG_BUFFER_RELEASE &&
	      link->sent[link->sent_count - 1].type == TSR_MSG_FRAME_DONE &&
	      link->sent[link->sent_count - 1].u.frame_done.serial == 2);
	struct tsr_msg msg = {.type = TSR_MSG_BUFFER_DESTROY};
	msg.u.buffer_destroy.buffer_id = 1;
	CHECK(deliver(link, &msg));
	CHECK_EQ_INT(count_sent(link, TSR_MSG_BUFFER_RELEASE, 1), 2); /* final */
	msg = (struct tsr_msg){.type = TSR_MSG_SURFACE_DESTROY};
	msg.u.surface_destroy.surface_id = 1;
	CHECK(deliver(link, &msg));
	CHECK_EQ_INT(count_sent(link, TSR_MSG_BUFFER_RELEASE, 2), 1); /* with its surface */
	/* The id is free again. */
	CHECK(tsr_domain_test_buffer_slot(tsr_server_domain(fixture.server, 0), 0)->in_use ==
	      false);
	scene_fixture_fini(&fixture);
}

/* Direct scanout's holds (core/scanout.h): a buffer on a plane is not
 * released with FRAME_DONE, nor finally released when destroyed, until the
 * plane lets it go; its id stays taken until then; a guest dropped while
 * its buffer is held gets nothing, and the buffer is freed at the unhold. */
static void frames_until(struct scene_fixture *fixture, struct recording_link *link, size_t done)
{
	for (int i = 0; i < 50 && count_sent(link, TSR_MSG_FRAME_DONE, 0) < done; i++)
		tsr_event_loop_dispatch(fixture->loop, 20);
}

static void test_plane_holds_delay_releases(void)
{
	struct scene_fixture fixture;
	CHECK(scene_fixture_init(&fixture, 640, 400));
	struct tsr_buffer *buffers[2];
	struct recording_link *link = connect_guest(&fixture, 0, 64, 64, buffers);
	struct tsr_domain *domain = tsr_server_domain(fixture.server, 0);
	commit(link, 1, 1);
	struct tsr_guest_buffer *held = tsr_domain_hold_buffer(domain, buffers[0]);
	CHECK(held != NULL);
	commit(link, 2, 2);
	frames_until(&fixture, link, 1);
	CHECK(count_sent(link, TSR_MSG_FRAME_DONE, 0) >= 1);
	CHECK_EQ_INT(count_sent(link, TSR_MSG_BUFFER_RELEASE, 1), 0); /* still on the plane */
	tsr_domain_unhold_buffer(domain, held);
	CHECK_EQ_INT(count_sent(link, TSR_MSG_BUFFER_RELEASE, 1), 1); /* let go: released */

	/* Destroyed while held: no final release, its id is still taken. */
	held = tsr_domain_hold_buffer(domain, buffers[1]);
	CHECK(held != NULL);
	struct tsr_msg msg = {.type = TSR_MSG_BUFFER_DESTROY};
	msg.u.buffer_destroy.buffer_id = 2;
	CHECK(deliver(link, &msg));
	CHECK_EQ_INT(count_sent(link, TSR_MSG_BUFFER_RELEASE, 2), 0);
	CHECK(tsr_domain_hold_buffer(domain, buffers[1]) == NULL); /* not the guest's now */
	msg = (struct tsr_msg){.type = TSR_MSG_COMMIT};
	msg.u.commit = (struct tsr_msg_commit){.surface_id = 1, .buffer_id = 2, .serial = 3};
	CHECK(!deliver(link, &msg)); /* a destroyed buffer cannot be committed */
	tsr_domain_unhold_buffer(domain, held);
	CHECK_EQ_INT(count_sent(link, TSR_MSG_BUFFER_RELEASE, 2), 1); /* final, at the unhold */
	scene_fixture_fini(&fixture);

	/* Only after the final release may the id be attached again. */
	CHECK(scene_fixture_init(&fixture, 640, 400));
	link = connect_guest(&fixture, 0, 64, 64, buffers);
	domain = tsr_server_domain(fixture.server, 0);
	commit(link, 2, 1);
	held = tsr_domain_hold_buffer(domain, buffers[1]);
	msg = (struct tsr_msg){.type = TSR_MSG_BUFFER_DESTROY};
	msg.u.buffer_destroy.buffer_id = 2;
	CHECK(deliver(link, &msg));
	CHECK_EQ_INT(count_sent(link, TSR_MSG_BUFFER_RELEASE, 2), 0);
	struct tsr_buffer *early = tsr_buffer_create_memory(64, 64, DRM_FORMAT_XRGB8888);
	link->next_import = early;
	msg = (struct tsr_msg){.type = TSR_MSG_BUFFER_ATTACH_MEMFD};
	msg.u.attach_memfd = (struct tsr_msg_buffer_attach_memfd){
	    .surface_id = 1, .buffer_id = 2, .size = 64 * 64 * 4};
	CHECK(!deliver(link, &msg)); /* before its final release: the id is taken */
	tsr_buffer_destroy(early);
	link->next_import = NULL;
	tsr_domain_unhold_buffer(domain, held);
	CHECK_EQ_INT(count_sent(link, TSR_MSG_BUFFER_RELEASE, 2), 1);
	link->next_import = tsr_buffer_create_memory(64, 64, DRM_FORMAT_XRGB8888);
	msg = (struct tsr_msg){.type = TSR_MSG_BUFFER_ATTACH_MEMFD};
	msg.u.attach_memfd = (struct tsr_msg_buffer_attach_memfd){
	    .surface_id = 1, .buffer_id = 2, .size = 64 * 64 * 4};
	CHECK(deliver(link, &msg)); /* the id is free again */

	/* Held when the guest is dropped: freed at the unhold, no message. */
	commit(link, 2, 2);
	struct tsr_surface *surface = tsr_domain_main_surface(domain);
	held = surface && surface->current
		   ? tsr_domain_hold_buffer(domain, surface->current->buffer)
		   : NULL;
	CHECK(held != NULL);
	tsr_domain_disconnect(domain, "test", false);
	CHECK(held && held->in_use && held->orphaned);
	tsr_domain_unhold_buffer(domain, held);
	CHECK(held && !held->in_use);
	scene_fixture_fini(&fixture);
}

/* A domain hidden by the focus layout that commits in a loop gets at most
 * one FRAME_DONE per second; the shown one is paced by output frames. */
static void test_hidden_surfaces_paced_at_one_hertz(void)
{
	struct scene_fixture fixture;
	CHECK(scene_fixture_init(&fixture, 640, 400));
	tsr_server_focus(fixture.server, 0);
	tsr_server_set_layout(fixture.server, TSR_LAYOUT_FOCUS);
	struct tsr_buffer *shown_buffers[2], *hidden_buffers[2];
	struct recording_link *shown = connect_guest(&fixture, 0, 64, 64, shown_buffers);
	struct recording_link *hidden = connect_guest(&fixture, 1, 64, 64, hidden_buffers);
	uint64_t start = tsr_now_ns();
	uint32_t serial = 0;
	while (tsr_now_ns() - start < 1500000000ull) {
		/* Both commit as soon as they may (after each FRAME_DONE). */
		size_t shown_done = count_sent(shown, TSR_MSG_FRAME_DONE, 0);
		size_t hidden_done = count_sent(hidden, TSR_MSG_FRAME_DONE, 0);
		if (serial == 0 || shown_done + hidden_done > 0) {
			serial++;
			commit(shown, 1 + serial % 2, serial);
			commit(hidden, 1 + serial % 2, serial);
		}
		shown->sent_count = hidden->sent_count = 0;
		tsr_event_loop_dispatch(fixture.loop, 5);
	}
	uint64_t hidden_frames =
	    tsr_domain_stats(tsr_server_domain(fixture.server, 1))->frames_done;
	uint64_t shown_frames = tsr_domain_stats(tsr_server_domain(fixture.server, 0))->frames_done;
	printf("in 1.5 s: shown surface %llu frame-dones, hidden surface %llu\n",
	       (unsigned long long)shown_frames, (unsigned long long)hidden_frames);
	CHECK(hidden_frames >= 1 && hidden_frames <= 2);
	CHECK(shown_frames > 10);
	scene_fixture_fini(&fixture);
}

static bool frame_done_sent_since(struct recording_link *link, size_t since)
{
	for (size_t i = since; i < link->sent_count; i++)
		if (link->sent[i].type == TSR_MSG_FRAME_DONE)
			return true;
	return false;
}

/* While the output's next frame is on its way, a shown guest's reads are
 * deferred (nothing it sends could be shown sooner) and read right before
 * that frame's FRAME_DONE, so a commit made during the frame gets this
 * FRAME_DONE, not the next one: the guest keeps the output's rate. A
 * hidden guest is never deferred, and an output with nothing left to do
 * stops deferring, so the next commit is heard at once. */
static void test_reads_deferred_until_the_output_frame(void)
{
	struct scene_fixture fixture;
	CHECK(scene_fixture_init(&fixture, 640, 400));
	tsr_server_focus(fixture.server, 0);
	tsr_server_set_layout(fixture.server, TSR_LAYOUT_FOCUS);
	CHECK(scene_fixture_settle(&fixture));
	struct tsr_buffer *shown_buffers[2], *hidden_buffers[2];
	struct recording_link *shown = connect_guest(&fixture, 0, 64, 64, shown_buffers);
	struct recording_link *hidden = connect_guest(&fixture, 1, 64, 64, hidden_buffers);
	damage(shown, 0, 0, 8, 8);
	commit(shown, 1, 1);
	commit(hidden, 1, 1);
	/* The repaint runs and its frame is on its way. */
	tsr_event_loop_dispatch(fixture.loop, 0);
	CHECK(tsr_server_output(fixture.server, 0)->frame_pending);
	CHECK(shown->deferred);
	CHECK(!hidden->deferred);

	/* The guest draws its next frame before the output's frame comes. */
	size_t before = shown->sent_count;
	shown->inbox[0] = (struct tsr_msg){.type = TSR_MSG_DAMAGE};
	shown->inbox[0].u.damage.surface_id = 1;
	shown->inbox[0].u.damage.count = 1;
	shown->inbox[0].u.damage.rects[0] = (struct tsr_rect){0, 0, 8, 8};
	shown->inbox[1] = (struct tsr_msg){.type = TSR_MSG_COMMIT};
	shown->inbox[1].u.commit =
	    (struct tsr_msg_commit){.surface_id = 1, .buffer_id = 2, .serial = 2};
	shown->inbox_count = 2;
	for (int i = 0; i < 100 && !frame_done_sent_since(shown, before); i++)
		tsr_event_loop_dispatch(fixture.loop, 20);
	CHECK(frame_done_sent_since(shown, before));
	CHECK_EQ_INT(shown->read_at, (long)before); /* read before anything was sent */
	CHECK_EQ_INT(shown->sent[shown->sent_count - 1].u.frame_done.serial, 2);
	CHECK(shown->deferred); /* serial 2's frame is on its way now */

	/* Nothing more from the guest: once that frame is shown, the output
	 * has nothing left to do and the guest is heard at once again. */
	for (int i = 0; i < 100 && shown->deferred; i++)
		tsr_event_loop_dispatch(fixture.loop, 20);
	CHECK(!shown->deferred);
	CHECK(!tsr_server_output(fixture.server, 0)->frame_pending);
	scene_fixture_fini(&fixture);
}

/* A PV keyboard's violation goes through the transports' directory to the
 * one ban policy: that instance is refused over every transport until it
 * restarts (a new domid), and the directory's doors reach the right domain. */
static void test_device_violation_refuses_the_instance_everywhere(void)
{
	struct scene_fixture fixture;
	CHECK(scene_fixture_init(&fixture, 640, 400));
	struct tsr_guest_directory *guests = tsr_server_guests(fixture.server);
	CHECK(tsr_guests_config(guests) == tsr_server_config(fixture.server));
	CHECK(tsr_guests_may_connect(guests, 1, 7));
	tsr_guests_report_violation(guests, 1, 7);
	CHECK_EQ_INT(tsr_domain_stats(tsr_server_domain(fixture.server, 1))->violations, 1);
	CHECK(!tsr_guests_may_connect(guests, 1, 7));
	CHECK(tsr_guests_may_connect(guests, 1, 8)); /* restarted: a new instance */
	CHECK(tsr_guests_may_connect(guests, 0, 7)); /* another domain's business */
	struct recording_link *link = calloc(1, sizeof(*link));
	link->base.impl = &recording_impl;
	CHECK(!tsr_guests_attach_link(guests, 1, &link->base, 7));
	CHECK(!tsr_guests_connected(guests, 1));
	CHECK(tsr_guests_attach_link(guests, 1, &link->base, 8));
	CHECK(tsr_guests_connected(guests, 1));
	tsr_guests_disconnect(guests, 1, "test over", false);
	CHECK(!tsr_guests_connected(guests, 1));
	scene_fixture_fini(&fixture);
}

/* The domain's owner, as a domain sees it (domain.h's listener). */
struct owner_record {
	int ready, gone, frames_wanted, damages;
	pixman_box32_t last_damage;
	bool whole_surface;
};

static void owner_damage(void *data, int index, const pixman_region32_t *damage)
{
	struct owner_record *owner = data;
	CHECK_EQ_INT(index, 2);
	owner->damages++;
	owner->whole_surface = damage == NULL;
	if (damage)
		owner->last_damage = *pixman_region32_extents((pixman_region32_t *)damage);
}

static void owner_display_damage(void *data, int index, uint32_t surface_id,
				 const pixman_region32_t *damage)
{
	(void)data, (void)index, (void)surface_id, (void)damage;
	CHECK(!"an agent guest has no fixed-size displays");
}

static void owner_displays_changed(void *data, int index)
{
	(void)data, (void)index;
	CHECK(!"an agent guest has no fixed-size displays");
}

static void owner_frame_wanted(void *data, bool shown)
{
	struct owner_record *owner = data;
	CHECK(shown);
	owner->frames_wanted++;
}

static void owner_ready(void *data, int index)
{
	((struct owner_record *)data)->ready += index == 2;
}

static void owner_gone(void *data, int index)
{
	((struct owner_record *)data)->gone += index == 2;
}

static bool owner_visible(void *data, int index)
{
	(void)data;
	return index == 2;
}

static void owner_content_size(void *data, int index, uint32_t *width, uint32_t *height)
{
	(void)data, (void)index;
	*width = 64;
	*height = 48;
}

/* A domain needs no server, no output and no font: it reports through its
 * listener (domain.h), so its protocol state machine is tested alone. */
static void test_domain_alone_reports_through_its_listener(void)
{
	struct tsr_event_loop *loop = tsr_event_loop_create();
	struct owner_record owner = {0};
	const struct tsr_domain_listener listener = {
	    .damage = owner_damage,
	    .display_damage = owner_display_damage,
	    .displays_changed = owner_displays_changed,
	    .frame_wanted = owner_frame_wanted,
	    .ready = owner_ready,
	    .gone = owner_gone,
	    .visible = owner_visible,
	    .content_size = owner_content_size,
	    .data = &owner,
	};
	struct tsr_domain_config config = {.name = "alone", .label = "alone"};
	struct tsr_domain *domain = tsr_domain_create(loop, &listener, 2, &config);
	CHECK(domain != NULL);
	struct recording_link *link = calloc(1, sizeof(*link));
	link->base.impl = &recording_impl;
	CHECK(tsr_domain_attach_link(domain, &link->base, -1));
	struct tsr_msg msg = {.type = TSR_MSG_HELLO};
	msg.u.hello = (struct tsr_msg_hello){.major = 1, .capabilities = TSR_CAP_MEMFD};
	CHECK(deliver(link, &msg));
	CHECK_EQ_INT(owner.ready, 1);
	msg = (struct tsr_msg){.type = TSR_MSG_SURFACE_CREATE};
	msg.u.surface_create = (struct tsr_msg_surface_create){.surface_id = 1,
							       .width = 64,
							       .height = 48,
							       .fourcc = DRM_FORMAT_XRGB8888,
							       .stride = 256};
	CHECK(deliver(link, &msg));
	struct tsr_buffer *buffer = tsr_buffer_create_memory(64, 48, DRM_FORMAT_XRGB8888);
	link->next_import = buffer;
	msg = (struct tsr_msg){.type = TSR_MSG_BUFFER_ATTACH_MEMFD};
	msg.u.attach_memfd = (struct tsr_msg_buffer_attach_memfd){
	    .surface_id = 1, .buffer_id = 1, .size = 64 * 48 * 4};
	CHECK(deliver(link, &msg));
	commit(link, 1, 1); /* the first picture: all of it */
	CHECK_EQ_INT(owner.damages, 1);
	CHECK(owner.whole_surface || (owner.last_damage.x2 == 64 && owner.last_damage.y2 == 48));
	damage(link, 8, 4, 16, 2);
	commit(link, 1, 2);
	CHECK_EQ_INT(owner.damages, 2);
	CHECK(!owner.whole_surface);
	CHECK_EQ_INT(owner.last_damage.x1, 8);
	CHECK_EQ_INT(owner.last_damage.y1, 4);
	CHECK_EQ_INT(owner.last_damage.x2, 24);
	CHECK_EQ_INT(owner.last_damage.y2, 6);
	CHECK_EQ_INT(owner.frames_wanted, 2);
	/* A commit to a surface that does not exist is a violation: the
	 * guest is dropped and reported gone. */
	CHECK_EQ_INT(owner.gone, 0);
	struct tsr_msg bad = {.type = TSR_MSG_COMMIT};
	bad.u.commit = (struct tsr_msg_commit){.surface_id = 9, .buffer_id = 1, .serial = 3};
	CHECK(!deliver(link, &bad));
	tsr_domain_disconnect(domain, "unknown surface", true);
	CHECK_EQ_INT(owner.gone, 1);
	CHECK(owner.whole_surface); /* what it showed is repainted */
	CHECK_EQ_INT(tsr_domain_stats(domain)->violations, 1);
	tsr_domain_destroy(domain);
	tsr_event_loop_destroy(loop);
}

static int sealed_memfd(size_t size, bool seal)
{
	int fd = memfd_create("test", MFD_ALLOW_SEALING | MFD_CLOEXEC);
	CHECK(fd >= 0 && ftruncate(fd, (off_t)size) == 0);
	if (seal)
		CHECK(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK) == 0);
	return fd;
}

static void test_memfd_import_checks(void)
{
	struct tsr_buffer_request request = {.width = 64,
					     .height = 64,
					     .stride = 256,
					     .format = DRM_FORMAT_XRGB8888,
					     .required_bytes = 64 * 256};
	char err[160];
	int fd = sealed_memfd(64 * 256, true);
	struct tsr_buffer *buffer =
	    tsr_memfd_buffer_import(fd, 0, 64 * 256, &request, err, sizeof(err));
	CHECK(buffer != NULL && buffer->read_only);
	tsr_buffer_destroy(buffer);
	close(fd);

	fd = sealed_memfd(64 * 256, false);
	CHECK(tsr_memfd_buffer_import(fd, 0, 64 * 256, &request, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "F_SEAL_SHRINK") != NULL);
	close(fd);

	fd = sealed_memfd(4096, true); /* shrunk, then sealed: the size is checked after */
	CHECK(tsr_memfd_buffer_import(fd, 0, 64 * 256, &request, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "memfd holds 4096") != NULL);
	close(fd);

	fd = sealed_memfd(64 * 256, true); /* declared size too small for the surface */
	CHECK(tsr_memfd_buffer_import(fd, 0, 4096, &request, err, sizeof(err)) == NULL);
	close(fd);

	int pipe_fds[2];
	CHECK(pipe(pipe_fds) == 0);
	CHECK(tsr_memfd_buffer_import(pipe_fds[0], 0, 64 * 256, &request, err, sizeof(err)) ==
	      NULL);
	close(pipe_fds[0]);
	close(pipe_fds[1]);
}

static void test_violation_limiter_policy(void)
{
	const uint64_t second = 1000000000ull;
	struct tsr_violation_limiter limiter = {0};
	bool report;
	uint64_t remaining;
	/* Spread out (one every 5 s for five minutes): never a cool-down. */
	for (uint64_t i = 0; i < 60; i++)
		CHECK(!tsr_violation_limiter_record(&limiter, 1000 * second + i * 5 * second));
	CHECK(!tsr_violation_limiter_refuses(&limiter, 1400 * second, &report, &remaining));

	/* A burst: the BURST-th violation starts the cool-down. */
	limiter = (struct tsr_violation_limiter){0};
	uint64_t t = 5000 * second;
	for (uint32_t i = 1; i < TSR_VIOLATION_BURST; i++)
		CHECK(!tsr_violation_limiter_record(&limiter, t + i));
	CHECK(!tsr_violation_limiter_refuses(&limiter, t + 100, &report, &remaining));
	CHECK(tsr_violation_limiter_record(&limiter, t + 200));
	CHECK(tsr_violation_limiter_refuses(&limiter, t + 300, &report, &remaining));
	CHECK(report); /* logged once... */
	CHECK(remaining > 0 && remaining <= TSR_VIOLATION_COOLDOWN_NS);
	CHECK(tsr_violation_limiter_refuses(&limiter, t + 30 * second, &report, &remaining));
	CHECK(!report); /* ...not again */
	/* Over: accepted again, and the count starts afresh. */
	uint64_t after = t + 200 + TSR_VIOLATION_COOLDOWN_NS;
	CHECK(!tsr_violation_limiter_refuses(&limiter, after, &report, &remaining));
	CHECK(!tsr_violation_limiter_record(&limiter, after + 1));
}

static void test_instance_policy(void)
{
	struct tsr_violation_limiter limiter = {0};
	bool report;
	/* Nothing recorded: dom0's id 0 is not banned by a zeroed limiter. */
	CHECK(!tsr_violation_limiter_refuses_instance(&limiter, 0, &report));
	tsr_violation_limiter_record_instance(&limiter, -1); /* local: nothing */
	CHECK(!tsr_violation_limiter_refuses_instance(&limiter, -1, &report));
	tsr_violation_limiter_record_instance(&limiter, 7);
	CHECK(tsr_violation_limiter_refuses_instance(&limiter, 7, &report));
	CHECK(report);
	CHECK(tsr_violation_limiter_refuses_instance(&limiter, 7, &report));
	CHECK(!report);
	CHECK(!tsr_violation_limiter_refuses_instance(&limiter, 8, &report)); /* restarted */
	CHECK(!tsr_violation_limiter_refuses_instance(&limiter, -1, &report));
	tsr_violation_limiter_record_instance(&limiter, 8);
	CHECK(tsr_violation_limiter_refuses_instance(&limiter, 8, &report));
	CHECK(report); /* a new instance is logged again */
	CHECK(!tsr_violation_limiter_refuses_instance(&limiter, 7, &report));
}

/* Under Xen (a domid), one violation refuses that domain instance until it
 * restarts, whichever transport brings the next link; a new domid is
 * accepted at once. */
static void test_violation_refuses_the_instance(void)
{
	struct scene_fixture fixture;
	CHECK(scene_fixture_init(&fixture, 320, 200));
	struct tsr_domain *hostile = tsr_server_domain(fixture.server, 2);
	struct recording_link *link = calloc(1, sizeof(*link));
	link->base.impl = &recording_impl;
	CHECK(tsr_domain_attach_link(hostile, &link->base, 11));
	struct tsr_msg commit_first = {.type = TSR_MSG_COMMIT}; /* before HELLO */
	CHECK(!deliver(link, &commit_first));
	link->base.listener.closed(link->base.listener.data, "violation", true);
	CHECK(!tsr_domain_connected(hostile));
	CHECK(!tsr_domain_may_connect(hostile, 11));
	struct recording_link *again = calloc(1, sizeof(*again));
	again->base.impl = &recording_impl;
	uint64_t refused = tsr_domain_stats(hostile)->refused_connections;
	CHECK(!tsr_domain_attach_link(hostile, &again->base, 11));
	CHECK_EQ_INT(tsr_domain_stats(hostile)->refused_connections, refused + 1);
	CHECK(!tsr_domain_connected(hostile));
	/* Restarted: a new domid. */
	CHECK(tsr_domain_may_connect(hostile, 12));
	CHECK(tsr_domain_attach_link(hostile, &again->base, 12));
	CHECK(tsr_domain_test_link(hostile) == &again->base);
	/* A clean disconnect bans nothing. */
	tsr_domain_disconnect(hostile, "the guest went away", false);
	CHECK(tsr_domain_may_connect(hostile, 12));
	/* Local guests (no domid) are never refused this way. */
	CHECK(tsr_domain_may_connect(tsr_server_domain(fixture.server, 0), -1));
	scene_fixture_fini(&fixture);
}

static void test_repeated_violations_refuse_reconnects(void)
{
	struct scene_fixture fixture;
	CHECK(scene_fixture_init(&fixture, 320, 200));
	struct tsr_domain *hostile = tsr_server_domain(fixture.server, 2);
	for (uint32_t i = 0; i < TSR_VIOLATION_BURST; i++) {
		struct recording_link *link = calloc(1, sizeof(*link));
		link->base.impl = &recording_impl;
		CHECK(tsr_domain_attach_link(hostile, &link->base, -1));
		struct tsr_msg commit_first = {.type = TSR_MSG_COMMIT}; /* before HELLO */
		CHECK(!deliver(link, &commit_first));
		/* What a transport does with a violation: the core drops it. */
		link->base.listener.closed(link->base.listener.data, "violation", true);
		CHECK(!tsr_domain_connected(hostile));
	}
	CHECK_EQ_INT(tsr_domain_stats(hostile)->violations, TSR_VIOLATION_BURST);
	struct recording_link *again = calloc(1, sizeof(*again));
	again->base.impl = &recording_impl;
	CHECK(!tsr_domain_attach_link(hostile, &again->base, -1));
	CHECK(!tsr_domain_connected(hostile));
	free(again);

	/* Only that domain: another one connects and draws as before. */
	struct tsr_buffer *buffers[2];
	struct recording_link *honest = connect_guest(&fixture, 0, 64, 64, buffers);
	CHECK(tsr_domain_test_link(tsr_server_domain(fixture.server, 0)) == &honest->base);
	scene_fixture_fini(&fixture);
}

/* ---- ERROR codes (protocol/README.md section 7) ---------------------- */

/* A link that keeps the ERROR it was sent after the core destroyed it. */
static struct tsr_msg_error last_error;
static bool last_error_sent;
static bool refuse_sends;

static bool error_send(struct tsr_guest_link *base, const struct tsr_msg *msg)
{
	if (msg->type == TSR_MSG_ERROR) {
		last_error = msg->u.error;
		last_error_sent = true;
		return true;
	}
	return !refuse_sends;
}

static const struct tsr_guest_link_impl error_impl = {
    .send = error_send,
    .import_buffer = record_import,
    .destroy = record_destroy,
};

static struct recording_link *connect_for_error(struct tsr_domain *domain)
{
	/* Many drops in a row: the cool-down is tested above. */
	tsr_domain_test_forget_violations(domain);
	last_error_sent = false;
	refuse_sends = false;
	struct recording_link *link = calloc(1, sizeof(*link));
	link->base.impl = &error_impl;
	CHECK(tsr_domain_attach_link(domain, &link->base, -1));
	return link;
}

static bool send_hello(struct recording_link *link, uint16_t major, uint32_t capabilities)
{
	struct tsr_msg msg = {.type = TSR_MSG_HELLO};
	msg.u.hello = (struct tsr_msg_hello){.major = major, .capabilities = capabilities};
	return deliver(link, &msg);
}

static bool send_surface(struct recording_link *link, uint32_t id)
{
	struct tsr_msg msg = {.type = TSR_MSG_SURFACE_CREATE};
	msg.u.surface_create = (struct tsr_msg_surface_create){.surface_id = id,
							       .width = 16,
							       .height = 16,
							       .fourcc = DRM_FORMAT_XRGB8888,
							       .stride = 64};
	return deliver(link, &msg);
}

static bool send_attach(struct recording_link *link, uint32_t surface, uint32_t buffer,
			bool import_works)
{
	link->next_import =
	    import_works ? tsr_buffer_create_memory(16, 16, DRM_FORMAT_XRGB8888) : NULL;
	struct tsr_msg msg = {.type = TSR_MSG_BUFFER_ATTACH_MEMFD};
	msg.u.attach_memfd = (struct tsr_msg_buffer_attach_memfd){
	    .surface_id = surface, .buffer_id = buffer, .size = 16 * 64};
	bool ok = deliver(link, &msg);
	if (!ok && link->next_import) {
		tsr_buffer_destroy(link->next_import);
		link->next_import = NULL;
	}
	return ok;
}

/* The violation has happened (message() returned false): the transport
 * reports it, the core drops the guest with ERROR(code). */
static void expect_error(struct recording_link *link, struct tsr_domain *domain,
			 enum tsr_error_code code, const char *what)
{
	link->base.listener.closed(link->base.listener.data, "protocol violation", true);
	CHECK(!tsr_domain_connected(domain));
	CHECK(last_error_sent);
	if (last_error.code != (uint32_t)code)
		fprintf(stderr, "%s: ERROR code %u (\"%s\"), expected %u\n", what, last_error.code,
			last_error.text, code);
	CHECK_EQ_INT(last_error.code, code);
}

static void test_error_codes_per_category(void)
{
	struct scene_fixture fixture;
	CHECK(scene_fixture_init(&fixture, 320, 200));
	struct tsr_domain *domain = tsr_server_domain(fixture.server, 2);
	struct recording_link *link;
	struct tsr_msg msg;

	link = connect_for_error(domain); /* framing / decoding: found by the transport */
	expect_error(link, domain, TSR_ERROR_PROTOCOL, "transport violation");

	link = connect_for_error(domain);
	msg = (struct tsr_msg){.type = TSR_MSG_COMMIT};
	CHECK(!deliver(link, &msg));
	expect_error(link, domain, TSR_ERROR_PROTOCOL, "before HELLO");

	link = connect_for_error(domain);
	CHECK(send_hello(link, 1, TSR_CAP_MEMFD));
	CHECK(!send_hello(link, 1, TSR_CAP_MEMFD));
	expect_error(link, domain, TSR_ERROR_PROTOCOL, "HELLO twice");

	link = connect_for_error(domain);
	CHECK(!send_hello(link, 2, TSR_CAP_MEMFD));
	expect_error(link, domain, TSR_ERROR_VERSION, "major 2");

	link = connect_for_error(domain);
	CHECK(send_hello(link, 1, TSR_CAP_MEMFD));
	for (uint32_t id = 1; id <= TSR_MAX_SURFACES_PER_GUEST; id++)
		CHECK(send_surface(link, id));
	CHECK(!send_surface(link, 99));
	expect_error(link, domain, TSR_ERROR_LIMIT, "too many surfaces");

	link = connect_for_error(domain);
	CHECK(send_hello(link, 1, TSR_CAP_MEMFD) && send_surface(link, 1));
	CHECK(!send_surface(link, 1));
	expect_error(link, domain, TSR_ERROR_ID, "duplicate surface");

	link = connect_for_error(domain);
	CHECK(send_hello(link, 1, TSR_CAP_MEMFD));
	msg = (struct tsr_msg){.type = TSR_MSG_SURFACE_DESTROY};
	msg.u.surface_destroy.surface_id = 5;
	CHECK(!deliver(link, &msg));
	expect_error(link, domain, TSR_ERROR_ID, "unknown surface destroyed");

	link = connect_for_error(domain);
	CHECK(send_hello(link, 1, TSR_CAP_INPUT) && send_surface(link, 1));
	CHECK(!send_attach(link, 1, 1, true));
	expect_error(link, domain, TSR_ERROR_CAPABILITY, "memfd not granted");

	link = connect_for_error(domain);
	CHECK(send_hello(link, 1, TSR_CAP_MEMFD) && send_surface(link, 1));
	CHECK(!send_attach(link, 7, 1, true));
	expect_error(link, domain, TSR_ERROR_ID, "attach to an unknown surface");

	link = connect_for_error(domain);
	CHECK(send_hello(link, 1, TSR_CAP_MEMFD) && send_surface(link, 1));
	CHECK(send_attach(link, 1, 1, true));
	CHECK(!send_attach(link, 1, 1, true));
	expect_error(link, domain, TSR_ERROR_ID, "duplicate buffer");

	link = connect_for_error(domain);
	CHECK(send_hello(link, 1, TSR_CAP_MEMFD) && send_surface(link, 1));
	for (uint32_t id = 1; id <= TSR_MAX_BUFFERS_PER_GUEST; id++)
		CHECK(send_attach(link, 1, id, true));
	CHECK(!send_attach(link, 1, 99, true));
	expect_error(link, domain, TSR_ERROR_LIMIT, "too many buffers");

	link = connect_for_error(domain);
	CHECK(send_hello(link, 1, TSR_CAP_MEMFD) && send_surface(link, 1));
	CHECK(!send_attach(link, 1, 1, false));
	expect_error(link, domain, TSR_ERROR_BUFFER, "import failed");

	link = connect_for_error(domain);
	CHECK(send_hello(link, 1, TSR_CAP_MEMFD) && send_surface(link, 1));
	msg = (struct tsr_msg){.type = TSR_MSG_DAMAGE};
	msg.u.damage.surface_id = 3;
	CHECK(!deliver(link, &msg));
	expect_error(link, domain, TSR_ERROR_ID, "damage on an unknown surface");

	link = connect_for_error(domain);
	CHECK(send_hello(link, 1, TSR_CAP_MEMFD) && send_surface(link, 1) && send_surface(link, 2));
	CHECK(send_attach(link, 1, 1, true));
	msg = (struct tsr_msg){.type = TSR_MSG_COMMIT};
	msg.u.commit = (struct tsr_msg_commit){.surface_id = 2, .buffer_id = 1};
	CHECK(!deliver(link, &msg));
	expect_error(link, domain, TSR_ERROR_ID, "commit of another surface's buffer");

	link = connect_for_error(domain);
	CHECK(send_hello(link, 1, TSR_CAP_MEMFD));
	msg = (struct tsr_msg){.type = TSR_MSG_BUFFER_DESTROY};
	msg.u.buffer_destroy.buffer_id = 4;
	CHECK(!deliver(link, &msg));
	expect_error(link, domain, TSR_ERROR_ID, "unknown buffer destroyed");

	link = connect_for_error(domain); /* does not read: its queue is full */
	CHECK(send_hello(link, 1, TSR_CAP_MEMFD));
	refuse_sends = true;
	CHECK(!send_surface(link, 1)); /* its CONFIGURE does not fit */
	expect_error(link, domain, TSR_ERROR_LIMIT, "send queue full");

	/* A clean hang-up sends nothing. */
	link = connect_for_error(domain);
	link->base.listener.closed(link->base.listener.data, "connection closed by the guest",
				   false);
	CHECK(!last_error_sent);
	scene_fixture_fini(&fixture);
}

/* ---- the per-domain log budget ------------------------------------------ */

#define TSR_DOMAIN_LIMIT TSR_LOG_LIMIT_INIT(TSR_DOMAIN_LOG_BURST, TSR_DOMAIN_LOG_WINDOW_S)
#define TSR_DOMAIN_LOG_WINDOW_NS ((uint64_t)TSR_DOMAIN_LOG_WINDOW_S * 1000000000ull)

static void test_log_limiter_policy(void)
{
	const uint64_t second = 1000000000ull;
	struct tsr_log_limit limiter = TSR_DOMAIN_LIMIT;
	uint64_t suppressed;
	uint64_t t = 777 * second;
	/* A burst is written whole... */
	for (uint32_t i = 0; i < TSR_DOMAIN_LOG_BURST; i++) {
		CHECK(tsr_log_limit_allow(&limiter, t + i, &suppressed));
		CHECK_EQ_INT(suppressed, 0);
	}
	/* ...then a flood of any size costs nothing within the window... */
	for (uint32_t i = 0; i < 100000; i++)
		CHECK(!tsr_log_limit_allow(&limiter, t + second + i, &suppressed));
	/* ...and the first line of the next window reports it. */
	CHECK(tsr_log_limit_allow(&limiter, t + TSR_DOMAIN_LOG_WINDOW_NS, &suppressed));
	CHECK_EQ_INT(suppressed, 100000);
	CHECK(tsr_log_limit_allow(&limiter, t + TSR_DOMAIN_LOG_WINDOW_NS + 1, &suppressed));
	CHECK_EQ_INT(suppressed, 0);

	/* A quiet peer (one line a second) never loses a line. */
	limiter = (struct tsr_log_limit)TSR_DOMAIN_LIMIT;
	for (uint64_t i = 0; i < 600; i++) {
		CHECK(tsr_log_limit_allow(&limiter, 5000 * second + i * second, &suppressed));
		CHECK_EQ_INT(suppressed, 0);
	}

	/* Whatever the rate, lines over a span of N windows stay within
	 * (N + 1) * (BURST + 1), summaries included. */
	limiter = (struct tsr_log_limit)TSR_DOMAIN_LIMIT;
	uint64_t written = 0;
	for (uint64_t i = 0; i < 1000000; i++) {
		if (tsr_log_limit_allow(&limiter, 9000 * second + i * 50000, &suppressed))
			written += 1 + (suppressed > 0);
	}
	uint64_t windows = 1000000ull * 50000 / TSR_DOMAIN_LOG_WINDOW_NS;
	CHECK(written <= (windows + 1) * (TSR_DOMAIN_LOG_BURST + 1));
	CHECK(written >= windows * TSR_DOMAIN_LOG_BURST);
}

/* ---- input for a guest that reads slowly ------------------------------- */

static bool hello_with_input(struct tsr_guest_link *link)
{
	struct tsr_msg msg = {.type = TSR_MSG_HELLO};
	msg.u.hello = (struct tsr_msg_hello){.major = 1, .capabilities = TSR_CAP_INPUT};
	return link->listener.message(link->listener.data, &msg);
}

static void send_key(struct tsr_domain *domain, uint32_t code, uint32_t state, uint64_t serial)
{
	struct tsr_msg msg = {.type = TSR_MSG_KEY};
	msg.u.key = (struct tsr_msg_key){.code = code, .state = state, .time_ns = serial};
	tsr_domain_send_input(domain, &msg);
}

/* A full queue holds input back in order, and send_ready lets it out. */
static void test_held_back_input_goes_out_in_order(void)
{
	struct scene_fixture fixture;
	CHECK(scene_fixture_init(&fixture, 320, 200));
	struct tsr_domain *domain = tsr_server_domain(fixture.server, 0);
	struct recording_link *link = calloc(1, sizeof(*link));
	link->base.impl = &recording_impl;
	CHECK(tsr_domain_attach_link(domain, &link->base, -1));
	CHECK(hello_with_input(&link->base));
	link->sent_count = 0;
	link->full = true;
	struct tsr_msg msg = {.type = TSR_MSG_POINTER_MOTION};
	for (int32_t i = 0; i < 10; i++) {
		msg.u.pointer_motion = (struct tsr_msg_pointer_motion){1, i, i, (uint64_t)i};
		tsr_domain_send_input(domain, &msg);
	}
	send_key(domain, KEY_A, TSR_KEY_PRESSED, 10);
	msg.u.pointer_motion = (struct tsr_msg_pointer_motion){1, 99, 98, 11};
	tsr_domain_send_input(domain, &msg);
	send_key(domain, KEY_A, TSR_KEY_RELEASED, 12);
	CHECK_EQ_INT(tsr_domain_input_waiting(domain), 4);
	CHECK_EQ_INT(tsr_domain_stats(domain)->input_coalesced, 9);
	/* Room again, but nobody said so yet: nothing overtakes what waits. */
	link->full = false;
	send_key(domain, KEY_B, TSR_KEY_PRESSED, 13);
	CHECK_EQ_INT(link->sent_count, 0);
	link->base.listener.send_ready(link->base.listener.data);
	CHECK_EQ_INT(link->sent_count, 5);
	CHECK(link->sent[0].type == TSR_MSG_POINTER_MOTION &&
	      link->sent[0].u.pointer_motion.x == 9);
	CHECK(link->sent[1].type == TSR_MSG_KEY && link->sent[1].u.key.code == KEY_A &&
	      link->sent[1].u.key.state == TSR_KEY_PRESSED);
	CHECK(link->sent[2].type == TSR_MSG_POINTER_MOTION &&
	      link->sent[2].u.pointer_motion.x == 99 && link->sent[2].u.pointer_motion.y == 98);
	CHECK(link->sent[3].type == TSR_MSG_KEY && link->sent[3].u.key.state == TSR_KEY_RELEASED);
	CHECK(link->sent[4].type == TSR_MSG_KEY && link->sent[4].u.key.code == KEY_B);
	CHECK_EQ_INT(tsr_domain_input_waiting(domain), 0);
	/* Empty again: straight through. */
	send_key(domain, KEY_B, TSR_KEY_RELEASED, 14);
	CHECK_EQ_INT(link->sent_count, 6);
	CHECK(tsr_domain_connected(domain));
	CHECK_EQ_INT(tsr_domain_stats(domain)->input_dropped, 0);
	scene_fixture_fini(&fixture);
}

/* A guest that lets TSR_INPUT_BACKLOG_EVENTS wait is dropped, from the
 * event loop (not from inside the send: the seat is calling), and only it. */
static void test_guest_that_does_not_read_input_is_dropped(void)
{
	struct scene_fixture fixture;
	CHECK(scene_fixture_init(&fixture, 320, 200));
	struct tsr_domain *domain = tsr_server_domain(fixture.server, 1);
	struct recording_link *link = calloc(1, sizeof(*link));
	link->base.impl = &recording_impl;
	CHECK(tsr_domain_attach_link(domain, &link->base, -1));
	CHECK(hello_with_input(&link->base));
	link->full = true;
	struct tsr_msg motion = {.type = TSR_MSG_POINTER_MOTION};
	for (uint32_t i = 0; i < TSR_INPUT_BACKLOG_EVENTS; i++) {
		send_key(domain, KEY_A, i % 2 ? TSR_KEY_RELEASED : TSR_KEY_PRESSED, i);
		tsr_domain_send_input(domain, &motion); /* motion never fills it */
	}
	CHECK(tsr_domain_connected(domain));
	CHECK_EQ_INT(tsr_input_backlog_events(tsr_domain_test_input_backlog(domain)),
		     TSR_INPUT_BACKLOG_EVENTS);
	send_key(domain, KEY_C, TSR_KEY_PRESSED, 0);
	CHECK(tsr_domain_connected(domain)); /* not from inside the call */
	send_key(domain, KEY_C, TSR_KEY_RELEASED, 0);
	for (int i = 0; i < 10 && tsr_domain_connected(domain); i++)
		tsr_event_loop_dispatch(fixture.loop, 10);
	CHECK(!tsr_domain_connected(domain));
	CHECK(strstr(tsr_domain_last_drop_reason(domain), "does not read its input") != NULL);
	CHECK_EQ_INT(tsr_domain_stats(domain)->violations, 1);
	/* The two refused, plus what waited. */
	CHECK_EQ_INT(tsr_domain_stats(domain)->input_dropped, 2 + 2 * TSR_INPUT_BACKLOG_EVENTS);
	CHECK(tsr_domain_test_input_backlog(domain) == NULL);
	/* It may come back, and starts clean. */
	struct recording_link *again = calloc(1, sizeof(*again));
	again->base.impl = &recording_impl;
	CHECK(tsr_domain_attach_link(domain, &again->base, -1));
	CHECK(hello_with_input(&again->base));
	again->sent_count = 0;
	send_key(domain, KEY_D, TSR_KEY_PRESSED, 0);
	CHECK_EQ_INT(again->sent_count, 1);
	scene_fixture_fini(&fixture);
}

/* The real local link over a socketpair whose guest end reads only when
 * the test says: its queue fills, the domain holds input back, and once the
 * guest reads, the link's send_ready lets everything out. */
struct slow_guest {
	int fd;
	uint8_t bytes[TSR_MAX_MESSAGE_SIZE];
	size_t have;
	struct tsr_msg *msg;
};

/* Reads what is there and decodes whole messages into on_msg. */
static bool guest_read(struct slow_guest *guest, void (*on_msg)(const struct tsr_msg *, void *),
		       void *data)
{
	bool progress = false;
	for (;;) {
		ssize_t n = recv(guest->fd, guest->bytes + guest->have,
				 sizeof(guest->bytes) - guest->have, MSG_DONTWAIT);
		if (n <= 0)
			return progress;
		progress = true;
		guest->have += (size_t)n;
		size_t at = 0;
		for (;;) {
			size_t total;
			char err[160];
			if (guest->have - at < TSR_HEADER_SIZE)
				break;
			if (!tsr_header_check(guest->bytes + at, TSR_FROM_COMPOSITOR, &total, err,
					      sizeof(err))) {
				fprintf(stderr, "slow guest: %s\n", err);
				CHECK(false);
				return false;
			}
			if (guest->have - at < total)
				break;
			CHECK(tsr_msg_decode(guest->bytes + at, total, TSR_FROM_COMPOSITOR,
					     guest->msg, err, sizeof(err)));
			on_msg(guest->msg, data);
			at += total;
		}
		memmove(guest->bytes, guest->bytes + at, guest->have - at);
		guest->have -= at;
	}
}

struct stream_check {
	uint64_t motions_seen;
	int64_t last_motion; /* index of the last motion seen, -1: none */
	bool motion_order, motion_genuine;
	uint32_t keys_seen; /* key and button events, each numbered in time_ns */
	bool keys_in_order, key_positions;
	bool welcome;
};

#define STREAM_MOTIONS 20000
#define STREAM_KEY_EVERY 37

static void on_stream_msg(const struct tsr_msg *msg, void *data)
{
	struct stream_check *check = data;
	switch (msg->type) {
	case TSR_MSG_WELCOME:
		check->welcome = true;
		break;
	case TSR_MSG_POINTER_MOTION: {
		int64_t index = (int64_t)msg->u.pointer_motion.time_ns;
		check->motion_order &= index > check->last_motion;
		check->motion_genuine &= msg->u.pointer_motion.x == (int32_t)(index % 300) &&
					 msg->u.pointer_motion.y == (int32_t)(index / 300);
		check->last_motion = index;
		check->motions_seen++;
		break;
	}
	case TSR_MSG_KEY:
	case TSR_MSG_POINTER_BUTTON: {
		uint64_t serial =
		    msg->type == TSR_MSG_KEY ? msg->u.key.time_ns : msg->u.pointer_button.time_ns;
		/* Key k was sent after motion k * STREAM_KEY_EVERY + STREAM_KEY_EVERY - 1:
		 * the pointer is there when the guest gets it. */
		check->keys_in_order &= serial == check->keys_seen;
		check->key_positions &= check->last_motion ==
					(int64_t)(serial * STREAM_KEY_EVERY + STREAM_KEY_EVERY - 1);
		check->keys_seen++;
		break;
	}
	default:
		break;
	}
}

static void test_slow_guest_on_a_real_link(void)
{
	struct scene_fixture fixture;
	CHECK(scene_fixture_init(&fixture, 320, 200));
	struct tsr_domain *domain = tsr_server_domain(fixture.server, 0);
	int fds[2];
	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0);
	int small = 4096; /* the kernel's buffers hide little of the queue */
	setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	setsockopt(fds[1], SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	char closer_err[128];
	struct tsr_fd_closer *closer =
	    tsr_fd_closer_create("slow", 1024, closer_err, sizeof(closer_err));
	CHECK(closer != NULL);
	struct tsr_guest_link *link =
	    tsr_local_link_create(fixture.loop, fds[0], closer, NULL, NULL);
	CHECK(link != NULL);
	CHECK(tsr_domain_attach_link(domain, link, -1));
	CHECK(tsr_local_link_start(link));
	struct slow_guest *guest = calloc(1, sizeof(*guest));
	guest->fd = fds[1];
	guest->msg = calloc(1, sizeof(*guest->msg));
	struct tsr_msg *hello = calloc(1, sizeof(*hello));
	hello->type = TSR_MSG_HELLO;
	hello->u.hello = (struct tsr_msg_hello){.major = 1, .capabilities = TSR_CAP_INPUT};
	uint8_t wire[64];
	size_t length = tsr_msg_encode(hello, wire, sizeof(wire));
	CHECK(length > 0 && send(fds[1], wire, length, 0) == (ssize_t)length);
	struct stream_check check = {.last_motion = -1,
				     .motion_order = true,
				     .motion_genuine = true,
				     .keys_in_order = true,
				     .key_positions = true};
	for (int i = 0; i < 100 && !check.welcome; i++) {
		tsr_event_loop_dispatch(fixture.loop, 10);
		guest_read(guest, on_stream_msg, &check);
	}
	CHECK(check.welcome);

	/* The guest does not read while all of it is sent. */
	struct tsr_msg *msg = calloc(1, sizeof(*msg));
	uint32_t keys = 0;
	for (uint32_t i = 0; i < STREAM_MOTIONS; i++) {
		msg->type = TSR_MSG_POINTER_MOTION;
		msg->u.pointer_motion =
		    (struct tsr_msg_pointer_motion){1, (int32_t)(i % 300), (int32_t)(i / 300), i};
		tsr_domain_send_input(domain, msg);
		if (i % STREAM_KEY_EVERY == STREAM_KEY_EVERY - 1) {
			bool button = keys % 3 == 2;
			msg->type = button ? TSR_MSG_POINTER_BUTTON : TSR_MSG_KEY;
			if (button)
				msg->u.pointer_button =
				    (struct tsr_msg_pointer_button){BTN_LEFT, keys % 2, keys};
			else
				msg->u.key = (struct tsr_msg_key){KEY_A, keys % 2, keys};
			tsr_domain_send_input(domain, msg);
			keys++;
		}
	}
	size_t waiting = tsr_domain_input_waiting(domain);
	printf("     %u motions and %u key/button events sent to a guest that did not read: "
	       "%zu held back, %llu motions coalesced\n",
	       STREAM_MOTIONS, keys, waiting,
	       (unsigned long long)tsr_domain_stats(domain)->input_coalesced);
	CHECK(waiting > 0);
	CHECK(tsr_domain_stats(domain)->input_coalesced > 0);
	CHECK(tsr_domain_connected(domain));

	/* Now it reads: everything arrives, the loop relaying send_ready. */
	for (int idle = 0; idle < 50 && check.keys_seen + check.motions_seen < 1u << 30;) {
		bool read = guest_read(guest, on_stream_msg, &check);
		tsr_event_loop_dispatch(fixture.loop, read ? 0 : 10);
		idle = read ? 0 : idle + 1;
		if (check.keys_seen == keys && check.last_motion == STREAM_MOTIONS - 1 &&
		    tsr_domain_input_waiting(domain) == 0)
			break;
	}
	CHECK_EQ_INT(check.keys_seen, keys);
	CHECK(check.keys_in_order);
	CHECK(check.key_positions);
	CHECK(check.motion_order);
	CHECK(check.motion_genuine);
	CHECK_EQ_INT(check.last_motion, STREAM_MOTIONS - 1); /* ends where the device ended */
	CHECK_EQ_INT(check.motions_seen + tsr_domain_stats(domain)->input_coalesced,
		     STREAM_MOTIONS);
	CHECK_EQ_INT(tsr_domain_input_waiting(domain), 0);
	CHECK_EQ_INT(tsr_domain_stats(domain)->input_dropped, 0);
	CHECK(tsr_domain_connected(domain));
	free(msg);
	free(hello);
	free(guest->msg);
	close(guest->fd);
	free(guest);
	scene_fixture_fini(&fixture);
	tsr_fd_closer_destroy(closer); /* after the link it served */
}

TSR_TEST_MAIN(TSR_CASE(test_commit_without_damage_repaints_everything),
	      TSR_CASE(test_final_release_after_destroy), TSR_CASE(test_plane_holds_delay_releases),
	      TSR_CASE(test_hidden_surfaces_paced_at_one_hertz),
	      TSR_CASE(test_reads_deferred_until_the_output_frame),
	      TSR_CASE(test_device_violation_refuses_the_instance_everywhere),
	      TSR_CASE(test_domain_alone_reports_through_its_listener),
	      TSR_CASE(test_memfd_import_checks), TSR_CASE(test_violation_limiter_policy),
	      TSR_CASE(test_repeated_violations_refuse_reconnects), TSR_CASE(test_instance_policy),
	      TSR_CASE(test_violation_refuses_the_instance),
	      TSR_CASE(test_error_codes_per_category), TSR_CASE(test_log_limiter_policy),
	      TSR_CASE(test_held_back_input_goes_out_in_order),
	      TSR_CASE(test_guest_that_does_not_read_input_is_dropped),
	      TSR_CASE(test_slow_guest_on_a_real_link))
