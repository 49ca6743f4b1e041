/* What the agent shows. A source is a scene that changes by frame number
 * and input; it reports what it changed as damage and draws any region of
 * itself on request. The session handles buffers and the protocol, so a
 * new source (an app window, a test pattern) only implements this table. */
#ifndef TESSERA_AGENT_SOURCE_H
#define TESSERA_AGENT_SOURCE_H

#include <stdint.h>

#include <pixman.h>

struct agent_source;

struct agent_source_impl {
	/* Moves the scene to frame; adds what differs to damage. */
	void (*set_frame)(struct agent_source *source, uint32_t frame, pixman_region32_t *damage);
	/* Input the scene may show; each adds what it changed to damage. */
	void (*set_key)(struct agent_source *source, uint32_t code, pixman_region32_t *damage);
	void (*set_pointer)(struct agent_source *source, int32_t x, int32_t y,
			    pixman_region32_t *damage);
	/* New surface size: everything is damaged. */
	void (*resize)(struct agent_source *source, uint32_t width, uint32_t height,
		       pixman_region32_t *damage);
	/* Draws the scene into dst, touching only pixels inside clip. */
	void (*draw)(struct agent_source *source, pixman_image_t *dst, pixman_region32_t *clip);
	void (*destroy)(struct agent_source *source);
};

struct agent_source {
	const struct agent_source_impl *impl;
};

/* The demo scene (source_demo.c); colour is 0xRRGGBB. */
struct agent_source *agent_source_demo_create(uint32_t width, uint32_t height, uint32_t colour);

static inline void agent_source_destroy(struct agent_source *source)
{
	if (source)
		source->impl->destroy(source);
}

#endif
