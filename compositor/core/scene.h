/* Draws the scene (background, guest content, trusted decorations) of one
 * output into the renderer's current pass, limited to a region: gathers
 * the server's state, builds the output's draw list (core/draw_list.h) and
 * renders it. */
#ifndef TSR_CORE_SCENE_H
#define TSR_CORE_SCENE_H

#include <pixman.h>

struct tsr_server;
struct tsr_output_state;
struct tsr_draw_list;

/* scanout_domain: the domain whose buffer goes on a plane of its own
 * (a TSR_DRAW_SCANOUT item, drawn by nobody), or -1. */
void tsr_scene_draw(struct tsr_server *server, struct tsr_output_state *state,
		    const pixman_region32_t *region, int scanout_domain);
/* The draw list alone (region NULL: the whole output). */
void tsr_scene_build(struct tsr_server *server, struct tsr_output_state *state,
		     const pixman_region32_t *region, int scanout_domain,
		     struct tsr_draw_list *list);

#endif
