/* The core's half of direct scanout (core/scanout.c) against a headless
 * output given a fake present_scanout: the focused domain's dma-buf goes
 * to the plane at its content box, Tessera's buffer is drawn only when
 * something of its own changed, a refusal composes the same frame, and a
 * buffer on the plane is released (BUFFER_RELEASE) and forgotten only
 * after a frame that no longer shows it has reached the screen. Headless
 * alone never scans out. */
#include <drm_fourcc.h>
#include <stdlib.h>
#include <string.h>

#include "core/control.h"
#include "core/domain.h"
#include "core/guest_link.h"
#include "scene_fixture.h"
#include "tessera/event_loop.h"
#include "test.h"

#define FAKE_DMABUF_FD 1000 /* never used as an fd: memory buffers do not close it */

struct fake {
	struct tsr_output_impl impl;
	const struct tsr_output_impl *headless;
	struct tsr_event_source *flip_timer;
	void (*frame)(void *data, struct tsr_output *output, uint64_t time_ns);
	bool refuse;
	bool drop_next; /* the next plane-only frame is dropped after acceptance */
	bool dropping;
	size_t scanouts, with_primary, refused, forgotten;
	struct tsr_buffer *last_guest;
	struct tsr_buffer *shown_guest; /* on the fake plane after the last flip */
	pixman_box32_t last_box;
	size_t frames;		  /* frame events delivered */
	size_t frames_at_present; /* frames when last_guest was presented */
	struct tsr_output *output;
};

static struct fake fake;

/* ---- a guest link that records what it is sent ---------------------------- */

struct recording_link {
	struct tsr_guest_link base;
	struct tsr_buffer *next_import;
	size_t releases[4];	     /* per buffer id */
	size_t frames_at_release[4]; /* fake.frames at the last release */
	size_t shown_at_release[4];  /* frames since the buffer on the plane was presented */
	struct tsr_buffer *plane_at_release[4];
};

static bool record_send(struct tsr_guest_link *base, const struct tsr_msg *msg)
{
	struct recording_link *link = (struct recording_link *)base;
	uint32_t id = msg->u.buffer_release.buffer_id;
	if (msg->type == TSR_MSG_BUFFER_RELEASE && id < 4) {
		link->releases[id]++;
		link->plane_at_release[id] = fake.last_guest;
		link->shown_at_release[id] = fake.frames - fake.frames_at_present;
	}
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

static const struct tsr_guest_link_impl recording_impl = {
    .send = record_send, .import_buffer = record_import, .destroy = record_destroy};

static bool deliver(struct recording_link *link, struct tsr_msg *msg)
{
	return link->base.listener.message(link->base.listener.data, msg);
}

static void commit(struct recording_link *link, uint32_t buffer_id)
{
	struct tsr_msg msg = {.type = TSR_MSG_COMMIT};
	msg.u.commit = (struct tsr_msg_commit){.surface_id = 1, .buffer_id = buffer_id};
	CHECK(deliver(link, &msg));
}

/* HELLO, surface 1 of width x height, buffers 1 and 2 as dma-bufs. */
static struct recording_link *connect_guest(struct scene_fixture *fixture, uint32_t width,
					    uint32_t height, struct tsr_buffer **buffers)
{
	struct recording_link *link = calloc(1, sizeof(*link));
	link->base.impl = &recording_impl;
	CHECK(tsr_domain_attach_link(tsr_server_domain(fixture->server, 0), &link->base, -1));
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
		buffers[b]->dmabuf_fd = FAKE_DMABUF_FD;
		link->next_import = buffers[b];
		msg = (struct tsr_msg){.type = TSR_MSG_BUFFER_ATTACH_MEMFD};
		msg.u.attach_memfd = (struct tsr_msg_buffer_attach_memfd){
		    .surface_id = 1, .buffer_id = b + 1, .size = width * height * 4};
		CHECK(deliver(link, &msg));
	}
	return link;
}

/* ---- the fake plane --------------------------------------------------------- */

static void count_frame(void *data, struct tsr_output *output, uint64_t time_ns)
{
	fake.frames++;
	fake.frame(data, output, time_ns);
}

static void flip_fired(void *data)
{
	struct tsr_output *output = data;
	/* A commit that failed after present_scanout said yes: the backend
	 * says so before the frame event, and nothing changed on screen. */
	if (fake.dropping && output->listener.frame_dropped) {
		fake.dropping = false;
		fake.last_guest = fake.shown_guest;
		output->listener.frame_dropped(output->listener.data, output);
	}
	fake.shown_guest = fake.last_guest;
	if (output->listener.frame)
		output->listener.frame(output->listener.data, output, tsr_now_ns());
}

static bool fake_present_scanout(struct tsr_output *output, struct tsr_buffer *primary,
				 const pixman_region32_t *damage, struct tsr_buffer *guest,
				 const pixman_box32_t *box, char *why, size_t why_len)
{
	if (fake.refuse) {
		fake.refused++;
		snprintf(why, why_len, "refused by the test");
		return false;
	}
	fake.scanouts++;
	fake.last_guest = guest;
	fake.last_box = *box;
	fake.frames_at_present = fake.frames;
	if (primary) {
		fake.with_primary++;
		return fake.headless->present(output, primary, damage);
	}
	fake.dropping = fake.drop_next;
	fake.drop_next = false;
	tsr_event_source_timer_update(fake.flip_timer, 1000000);
	return true;
}

/* A composed frame takes the guest plane off. */
static bool fake_present(struct tsr_output *output, struct tsr_buffer *buffer,
			 const pixman_region32_t *damage)
{
	fake.last_guest = NULL;
	fake.frames_at_present = fake.frames;
	return fake.headless->present(output, buffer, damage);
}

static void fake_forget(struct tsr_output *output, struct tsr_buffer *buffer)
{
	fake.forgotten++;
}

static void install_fake(struct scene_fixture *fixture)
{
	memset(&fake, 0, sizeof(fake));
	fake.output = fixture->output;
	fake.headless = fixture->output->impl;
	fake.impl = *fake.headless;
	fake.impl.present_scanout = fake_present_scanout;
	fake.impl.forget_buffer = fake_forget;
	fake.impl.present = fake_present;
	fixture->output->impl = &fake.impl;
	fake.frame = fixture->output->listener.frame;
	fixture->output->listener.frame = count_frame;
	fake.flip_timer = tsr_event_loop_add_timer(fixture->loop, flip_fired, fixture->output);
}

static void run(struct scene_fixture *fixture, int ms)
{
	for (int i = 0; i < ms / 5; i++)
		tsr_event_loop_dispatch(fixture->loop, 5);
}

static const pixman_box32_t *content_box(struct scene_fixture *fixture)
{
	return &tsr_server_output(fixture->server, 0)->layout.domains[0].content;
}

/* The focus layout on domain 0 and its guest, whose buffers are exactly
 * the content box: a scanout candidate. */
static struct recording_link *connect_focused_guest(struct scene_fixture *fixture,
						    struct tsr_buffer **buffers)
{
	tsr_server_set_layout(fixture->server, TSR_LAYOUT_FOCUS);
	tsr_server_focus(fixture->server, 0);
	const pixman_box32_t *content = content_box(fixture);
	return connect_guest(fixture, tsr_box_width(content), tsr_box_height(content), buffers);
}

static void test_headless_composes(void)
{
	struct scene_fixture fixture;
	CHECK(scene_fixture_init(&fixture, 640, 400));
	struct tsr_buffer *buffers[2];
	struct recording_link *link = connect_focused_guest(&fixture, buffers);
	commit(link, 1);
	CHECK(scene_fixture_settle(&fixture));
	struct tsr_output_state *state = tsr_server_output(fixture.server, 0);
	CHECK_EQ_INT(state->scanout.frames_scanout, 0);
	CHECK_EQ_INT(state->scanout.domain, -1);
	CHECK(state->scanout.frames_composed > 0);
	scene_fixture_fini(&fixture);
}

static void test_scanout_cycle(void)
{
	struct scene_fixture fixture;
	CHECK(scene_fixture_init(&fixture, 640, 400));
	install_fake(&fixture);
	struct tsr_buffer *buffers[2];
	struct recording_link *link = connect_focused_guest(&fixture, buffers);
	struct tsr_output_state *state = tsr_server_output(fixture.server, 0);
	pixman_box32_t content = *content_box(&fixture);

	/* On the plane at exactly the content box, Tessera's buffer drawn
	 * with it (a change of mode). */
	commit(link, 1);
	run(&fixture, 100);
	CHECK_EQ_INT(state->scanout.domain, 0);
	CHECK(fake.last_guest == buffers[0]);
	CHECK(memcmp(&fake.last_box, &content, sizeof(content)) == 0);
	CHECK_EQ_INT(fake.with_primary, 1);

	/* The guest alone changed: the plane only, no drawing. */
	uint64_t composed = state->scanout.frames_composed;
	commit(link, 2);
	run(&fixture, 100);
	CHECK(fake.last_guest == buffers[1]);
	CHECK_EQ_INT(fake.with_primary, 1);
	CHECK_EQ_INT(state->scanout.frames_composed, composed);
	/* Buffer 1 was released only once a frame without it was on screen. */
	CHECK_EQ_INT(link->releases[1], 1);
	CHECK(link->plane_at_release[1] == buffers[1] && link->shown_at_release[1] >= 1);

	/* Tessera's own damage (the banner) draws its buffer, not the guest. */
	tsr_server_damage_box(fixture.server, state, &state->layout.banner);
	run(&fixture, 100);
	CHECK_EQ_INT(fake.with_primary, 2);
	CHECK_EQ_INT(state->scanout.frames_composed, composed);

	/* Refused: composed in the same frame; tried again with another buffer. */
	fake.refuse = true;
	commit(link, 1);
	run(&fixture, 100);
	CHECK_EQ_INT(fake.refused, 1);
	CHECK_EQ_INT(state->scanout.domain, -1);
	CHECK(state->scanout.frames_composed > composed);
	/* Buffer 2 left the plane with that composed frame: released after it. */
	CHECK_EQ_INT(link->releases[2], 1);
	CHECK(link->plane_at_release[2] == NULL && link->shown_at_release[2] >= 1);
	fake.refuse = false;
	commit(link, 1); /* the same buffer: not asked again */
	run(&fixture, 100);
	CHECK_EQ_INT(state->scanout.domain, -1);
	commit(link, 2);
	run(&fixture, 100);
	CHECK_EQ_INT(state->scanout.domain, 0);

	/* The buffer on the plane destroyed: composition, and its final
	 * release and its import's drop only after that frame is shown. */
	size_t forgotten = fake.forgotten;
	struct tsr_msg msg = {.type = TSR_MSG_BUFFER_DESTROY};
	msg.u.buffer_destroy.buffer_id = 2;
	size_t releases = link->releases[2];
	CHECK(deliver(link, &msg));
	CHECK_EQ_INT(link->releases[2], releases);
	CHECK_EQ_INT(fake.forgotten, forgotten);
	run(&fixture, 100);
	CHECK_EQ_INT(state->scanout.domain, -1);
	CHECK_EQ_INT(link->releases[2], releases + 1);
	CHECK(link->plane_at_release[2] == NULL && link->shown_at_release[2] >= 1);
	CHECK_EQ_INT(fake.forgotten, forgotten + 1);

	/* A plane-only frame dropped after it was accepted (its commit
	 * failed): the buffer before stays held and unreleased, the output
	 * composes, and the dropped buffer is not tried again. */
	commit(link, 1);
	run(&fixture, 100);
	CHECK_EQ_INT(state->scanout.domain, 0);
	link->next_import = tsr_buffer_create_memory(tsr_box_width(&content),
						     tsr_box_height(&content), DRM_FORMAT_XRGB8888);
	struct tsr_buffer *third = link->next_import;
	third->dmabuf_fd = FAKE_DMABUF_FD;
	msg = (struct tsr_msg){.type = TSR_MSG_BUFFER_ATTACH_MEMFD};
	msg.u.attach_memfd = (struct tsr_msg_buffer_attach_memfd){
	    .surface_id = 1,
	    .buffer_id = 3,
	    .size = (uint32_t)(tsr_box_width(&content) * tsr_box_height(&content) * 4)};
	CHECK(deliver(link, &msg));
	releases = link->releases[1];
	fake.drop_next = true;
	size_t scanouts = fake.scanouts;
	commit(link, 3);
	run(&fixture, 100);
	CHECK_EQ_INT(fake.scanouts, scanouts + 1);
	CHECK_EQ_INT(state->scanout.domain, -1);
	/* Buffer 1 was on the plane until the composed frame replaced it. */
	CHECK_EQ_INT(link->releases[1], releases + 1);
	CHECK(link->plane_at_release[1] == NULL && link->shown_at_release[1] >= 1);
	commit(link, 3);
	run(&fixture, 100);
	CHECK_EQ_INT(fake.scanouts, scanouts + 1); /* the refused buffer is composed */

	/* Mosaic: composition. */
	commit(link, 1);
	run(&fixture, 100);
	CHECK_EQ_INT(state->scanout.domain, 0);
	tsr_server_set_layout(fixture.server, TSR_LAYOUT_MOSAIC);
	run(&fixture, 100);
	CHECK_EQ_INT(state->scanout.domain, -1);
	tsr_event_source_remove(fake.flip_timer);
	scene_fixture_fini(&fixture);
}

/* `stats` names where the shown buffer's dma-buf comes from (its kind's
 * dmabuf_kind: "udmabuf", "gntdev"), "none" without one. */
static void test_stats_dmabuf_kind(void)
{
	struct scene_fixture fixture;
	CHECK(scene_fixture_init(&fixture, 640, 400));
	struct tsr_buffer *buffers[2];
	struct recording_link *link = connect_focused_guest(&fixture, buffers);
	static struct tsr_buffer_impl grant_like;
	grant_like = *buffers[0]->impl;
	grant_like.dmabuf_kind = "gntdev";
	buffers[0]->impl = &grant_like;
	char reply[1024];
	commit(link, 1);
	CHECK(scene_fixture_settle(&fixture));
	tsr_control_execute(fixture.server, "stats 1", reply, sizeof(reply));
	CHECK(strstr(reply, " dmabuf=gntdev ") != NULL);
	buffers[1]->dmabuf_fd = -1;
	commit(link, 2);
	CHECK(scene_fixture_settle(&fixture));
	tsr_control_execute(fixture.server, "stats 1", reply, sizeof(reply));
	CHECK(strstr(reply, " dmabuf=none ") != NULL);
	scene_fixture_fini(&fixture);
}

TSR_TEST_MAIN(TSR_CASE(test_headless_composes), TSR_CASE(test_scanout_cycle),
	      TSR_CASE(test_stats_dmabuf_kind))
