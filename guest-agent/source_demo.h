/* Geometry of the demo scene, shared with its tests (and documented in
 * README.md so integration tests can compute expected pixels). */
#ifndef TESSERA_AGENT_SOURCE_DEMO_H
#define TESSERA_AGENT_SOURCE_DEMO_H

#include <stdint.h>

#include <pixman.h>

#define DEMO_CHECKER_CELL 16
#define DEMO_CHECKER_DELTA 12 /* per channel, towards mid-gray */
#define DEMO_SQUARE_SIZE 64
#define DEMO_SQUARE_STEP_X 4 /* pixels per frame */
#define DEMO_SQUARE_STEP_Y 3
#define DEMO_SQUARE_COLOUR 0xe07a20u
#define DEMO_PLATE_X 8
#define DEMO_PLATE_Y 8
#define DEMO_PLATE_PADDING 4
#define DEMO_PLATE_GAP 4 /* between the counter and the key plate */
#define DEMO_PLATE_COLOUR 0x202020u
#define DEMO_COUNTER_COLOUR 0xf0f0f0u
#define DEMO_KEY_COLOUR 0xf0d040u
#define DEMO_POINTER_SIZE 7
#define DEMO_POINTER_OUTER_COLOUR 0x000000u
#define DEMO_POINTER_INNER_COLOUR 0xffffffu

/* The moving square's box in a width x height surface at frame. */
pixman_box32_t demo_square_box(uint32_t width, uint32_t height, uint32_t frame);
/* The frame counter plate (index 0) and the last-key plate (index 1). */
pixman_box32_t demo_plate_box(unsigned index);
/* The background colour (checker included) at (x, y). */
uint32_t demo_background_at(uint32_t colour, int32_t x, int32_t y);

#endif
