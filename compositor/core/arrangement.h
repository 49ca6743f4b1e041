/* Where outputs lie in the global layout space the pointer moves in: pure
 * functions over boxes, no state. */
#ifndef TSR_CORE_ARRANGEMENT_H
#define TSR_CORE_ARRANGEMENT_H

#include <pixman.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tessera/config.h"

struct tsr_arrangement_output {
	const char *name;
	uint32_t width, height;
};

/* Places count outputs (in the order they appeared) and writes their boxes.
 * An output with a position in its [output NAME] section goes there; the
 * others go left to right at y = 0, each right of everything placed so
 * far (positioned outputs first), so they never overlap. A position that
 * would overlap an output placed before it (possible only for KMS outputs
 * without a mode, whose size the configuration check could not know) is
 * ignored and the output placed automatically; overlapped[i] says so
 * (may be NULL). */
void tsr_arrangement_place(const struct tsr_output_config *config,
			   const struct tsr_arrangement_output *outputs, size_t count,
			   pixman_box32_t *boxes, bool *overlapped);

/* The output whose box holds (x, y), or -1. */
int tsr_arrangement_output_at(const pixman_box32_t *boxes, size_t count, int32_t x, int32_t y);

/* Where the pointer goes when moved to (x, y): there when it is on an
 * output; else onto the edge of output from (where it was: it stops at
 * the edge of its screen, as against a wall), or, when from is not a
 * valid index, the nearest point of any output. Never where nothing is
 * shown; (x, y) unchanged when count is 0. */
void tsr_arrangement_constrain(const pixman_box32_t *boxes, size_t count, int from, int32_t *x,
			       int32_t *y);

/* The size of the bounding box of all boxes from the origin (1x1 if none). */
void tsr_arrangement_extent(const pixman_box32_t *boxes, size_t count, uint32_t *width,
			    uint32_t *height);

#endif
