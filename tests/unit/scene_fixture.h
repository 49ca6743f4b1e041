/* A real server on the headless backend, with guest surfaces whose buffers
 * the test fills directly (no transport): for render and damage tests. */
#ifndef TSR_TESTS_SCENE_FIXTURE_H
#define TSR_TESTS_SCENE_FIXTURE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/server.h"
#include "tessera/config.h"

struct scene_fixture {
	struct tsr_config config;
	struct tsr_event_loop *loop;
	struct tsr_server *server;
	struct tsr_backend *backend;
	struct tsr_output *output;
	struct tsr_guest_link *links[TSR_MAX_DOMAINS];
};

/* Three domains (work blue, personal green, untrusted red), output
 * width x height, border 4, banner 28. */
bool scene_fixture_init(struct scene_fixture *fixture, uint32_t width, uint32_t height);
/* The same with a configuration of the caller's; width and height 0 keep
 * the configuration's (a kms backend then uses the preferred mode; with
 * renderer = gles or auto there the renderer is chosen on the card's GBM
 * device, as main.c does). */
bool scene_fixture_init_with(struct scene_fixture *fixture, uint32_t width, uint32_t height,
			     const char *config_text);
void scene_fixture_fini(struct scene_fixture *fixture);

/* Gives domain index a committed XRGB surface of width x height filled by
 * colour_at(x, y); returns its buffer so the test can change pixels. */
struct tsr_buffer *scene_fixture_set_surface(struct scene_fixture *fixture, int index,
					     uint32_t width, uint32_t height,
					     uint32_t (*colour_at)(uint32_t x, uint32_t y));

/* The standard test scene: work shows a gradient, personal a checker,
 * untrusted nothing; personal has focus. Surfaces match the current
 * layout's content sizes (domains not shown get none). */
void scene_fixture_populate(struct scene_fixture *fixture);

/* Commits damage (surface coordinates) on domain index's surface. */
void scene_fixture_damage(struct scene_fixture *fixture, int index, int32_t x, int32_t y,
			  uint32_t width, uint32_t height);

/* Runs the loop until every output has drawn and shown all its damage. */
bool scene_fixture_settle(struct scene_fixture *fixture);

/* The buffer on screen now. */
struct tsr_buffer *scene_fixture_front(struct scene_fixture *fixture);

static inline uint32_t pixel_at(const struct tsr_buffer *buffer, uint32_t x, uint32_t y)
{
	const uint32_t *row =
	    (const uint32_t *)((const uint8_t *)buffer->data + (size_t)y * buffer->stride);
	return row[x] & 0xffffffu;
}

#endif
