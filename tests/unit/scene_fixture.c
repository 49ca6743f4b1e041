#include <drm_fourcc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/domain.h"
#include "core/domain_testing.h"
#include "core/guest_link.h"
#include "scene_fixture.h"
#include "tessera/event_loop.h"
#include "render/renderer_select.h"
#include "tessera/renderer.h"

static const char fixture_config[] = "[decorations]\n"
				     "border_width = 4\n"
				     "banner_height = 28\n"
				     "background = #202020\n"
				     "[domain work]\n"
				     "colour = blue\n"
				     "[domain personal]\n"
				     "colour = green\n"
				     "[domain untrusted]\n"
				     "colour = red\n";

/* A link that accepts everything the core sends and imports nothing. */
static bool null_send(struct tsr_guest_link *link, const struct tsr_msg *msg)
{
	return true;
}

static void null_destroy(struct tsr_guest_link *link)
{
	free(link);
}

static const struct tsr_guest_link_impl null_link_impl = {
    .send = null_send,
    .destroy = null_destroy,
};

/* TSR_TEST_RENDERER=gles: the server draws with the GLES renderer, so that
 * the scene tests and their references check it too (tests/unit/meson.build
 * runs them both ways). Where GLES cannot start the test is skipped (77). */
static bool use_test_renderer(struct tsr_server *server)
{
	const char *wanted = getenv("TSR_TEST_RENDERER");
	if (!wanted || strcmp(wanted, "gles") != 0)
		return true;
#ifdef TSR_HAVE_GLES
	char why[256] = "";
	struct tsr_renderer *gles = tsr_renderer_gles_create(true, why, sizeof(why));
	if (!gles) {
		printf("scene fixture: skipped: the GLES renderer cannot start: %s\n", why);
		exit(77);
	}
	tsr_server_set_renderer(server, gles);
	return true;
#else
	printf("scene fixture: skipped: built without GLES (-Dgles)\n");
	exit(77);
#endif
}

/* A KMS fixture whose [output] renderer is gles or auto chooses it on the
 * card's render device, as main.c does (GLES on GBM, drawing into the
 * card's scan-out buffers). */
static bool fixture_render_device(void *data, struct tsr_render_device *device)
{
	struct scene_fixture *fixture = data;
	bool direct = false;
	struct tsr_renderer *renderer =
	    tsr_renderer_select_on_device(&fixture->config.output, device, &direct);
	if (!renderer)
		return false;
	tsr_server_set_renderer(fixture->server, renderer);
	return direct;
}

static void fixture_output_added(void *data, struct tsr_output *output)
{
	struct scene_fixture *fixture = data;
	tsr_server_add_output(fixture->server, output);
}

bool scene_fixture_init(struct scene_fixture *fixture, uint32_t width, uint32_t height)
{
	return scene_fixture_init_with(fixture, width, height, fixture_config);
}

bool scene_fixture_init_with(struct scene_fixture *fixture, uint32_t width, uint32_t height,
			     const char *config_text)
{
	memset(fixture, 0, sizeof(*fixture));
	char err[256];
	if (!tsr_config_load_string(&fixture->config, config_text, "fixture", err, sizeof(err)))
		return false;
	if (width && height) {
		fixture->config.output.width = width;
		fixture->config.output.height = height;
	}
	fixture->loop = tsr_event_loop_create();
	fixture->server = tsr_server_create(fixture->loop, &fixture->config, err, sizeof(err));
	if (!fixture->server || !use_test_renderer(fixture->server))
		return false;
	struct tsr_backend_listener listener = {.output_added = tsr_server_add_output,
						.data = fixture->server};
	if (tsr_renderer_select_waits_for_device(&fixture->config.output))
		listener = (struct tsr_backend_listener){.output_added = fixture_output_added,
							 .render_device = fixture_render_device,
							 .data = fixture};
	fixture->backend =
	    fixture->config.output.backend == TSR_BACKEND_KMS
		? tsr_backend_kms_create(fixture->loop, &fixture->config.output, &listener)
		: tsr_backend_headless_create(fixture->loop, &fixture->config.output, &listener);
	if (!fixture->backend || !fixture->backend->impl->start(fixture->backend) ||
	    tsr_server_output_count(fixture->server) == 0)
		return false;
	fixture->output = tsr_server_output(fixture->server, 0)->output;
	return scene_fixture_settle(fixture);
}

void scene_fixture_fini(struct scene_fixture *fixture)
{
	tsr_backend_destroy(fixture->backend);
	tsr_server_destroy(fixture->server);
	tsr_event_loop_destroy(fixture->loop);
}

struct tsr_buffer *scene_fixture_set_surface(struct scene_fixture *fixture, int index,
					     uint32_t width, uint32_t height,
					     uint32_t (*colour_at)(uint32_t x, uint32_t y))
{
	struct tsr_domain *domain = tsr_server_domain(fixture->server, index);
	if (!tsr_domain_connected(domain)) {
		struct tsr_guest_link *link = calloc(1, sizeof(*link));
		link->impl = &null_link_impl;
		tsr_domain_attach_link(domain, link, -1);
		struct tsr_msg hello = {.type = TSR_MSG_HELLO};
		hello.u.hello.major = TSR_PROTOCOL_MAJOR;
		hello.u.hello.capabilities = TSR_CAP_MEMFD;
		link->listener.message(link->listener.data, &hello);
	}
	struct tsr_buffer *buffer = tsr_buffer_create_memory(width, height, DRM_FORMAT_XRGB8888);
	for (uint32_t y = 0; y < height; y++)
		for (uint32_t x = 0; x < width; x++)
			((uint32_t *)((uint8_t *)buffer->data + (size_t)y * buffer->stride))[x] =
			    colour_at(x, y);
	/* The surface is set up as the protocol would leave it after
	 * SURFACE_CREATE + ATTACH + COMMIT. */
	struct tsr_surface *surface = tsr_domain_test_surface_slot(domain, 0);
	struct tsr_guest_buffer *slot = tsr_domain_test_buffer_slot(domain, 0);
	if (surface->in_use) {
		tsr_buffer_destroy(slot->buffer);
		pixman_region32_fini(&surface->pending_damage);
	}
	memset(surface, 0, sizeof(*surface));
	surface->in_use = true;
	surface->id = 1;
	surface->width = width;
	surface->height = height;
	surface->format = DRM_FORMAT_XRGB8888;
	surface->stride = buffer->stride;
	pixman_region32_init(&surface->pending_damage);
	*slot = (struct tsr_guest_buffer){
	    .in_use = true, .id = 1, .surface_id = 1, .ever_current = true, .buffer = buffer};
	surface->current = slot;
	tsr_server_damage_domain(fixture->server, index, NULL);
	return buffer;
}

void scene_fixture_damage(struct scene_fixture *fixture, int index, int32_t x, int32_t y,
			  uint32_t width, uint32_t height)
{
	pixman_region32_t damage;
	pixman_region32_init_rect(&damage, x, y, width, height);
	tsr_server_damage_domain(fixture->server, index, &damage);
	pixman_region32_fini(&damage);
}

bool scene_fixture_settle(struct scene_fixture *fixture)
{
	for (int i = 0; i < 1000; i++) {
		bool busy = false;
		for (size_t o = 0; o < tsr_server_output_count(fixture->server); o++) {
			struct tsr_output_state *state = tsr_server_output(fixture->server, o);
			busy |= state->frame_pending || pixman_region32_not_empty(&state->damage);
		}
		if (!busy)
			return true;
		tsr_event_loop_dispatch(fixture->loop, 100);
	}
	return false;
}

struct tsr_buffer *scene_fixture_front(struct scene_fixture *fixture)
{
	return fixture->output->last_presented;
}

static uint32_t standard_gradient(uint32_t x, uint32_t y)
{
	return ((x & 0xff) << 16) | ((y & 0xff) << 8) | 0x80;
}

static uint32_t standard_checker(uint32_t x, uint32_t y)
{
	return ((x / 16 + y / 16) % 2) ? 0xe0e0e0u : 0x909090u;
}

void scene_fixture_populate(struct scene_fixture *fixture)
{
	tsr_server_focus(fixture->server, 1);
	for (int i = 0; i < 2; i++) {
		const pixman_box32_t *content =
		    &tsr_server_output(fixture->server, 0)->layout.domains[i].content;
		if (tsr_box_width(content) == 0 || tsr_box_height(content) == 0)
			continue;
		scene_fixture_set_surface(fixture, i, tsr_box_width(content),
					  tsr_box_height(content),
					  i ? standard_checker : standard_gradient);
	}
}
