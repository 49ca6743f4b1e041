/* The integer scale of an output's decorations (border, banner, labels,
 * cursor; guest content stays 1:1 in device pixels): the configured scale
 * of its [output NAME] section, else derived from the physical size the
 * connector reports. Pure functions. */
#ifndef TSR_CORE_OUTPUT_SCALE_H
#define TSR_CORE_OUTPUT_SCALE_H

#include <stdint.h>

#include "tessera/config.h"
#include "tessera/output.h"

/* Derived scale 2 from this density on (dots per inch, both axes)... */
#define TSR_HIDPI_MIN_DPI 192u
/* ...when the mode's shorter side has at least this many pixels, so that
 * at scale 2 there is still room for a usable content area (as GNOME's
 * rule has it). */
#define TSR_HIDPI_MIN_SHORT_SIDE 1200u
/* Sizes no real screen has: treated as unknown (EDIDs lie). */
#define TSR_PHYSICAL_MIN_MM_WIDTH 100u
#define TSR_PHYSICAL_MIN_MM_HEIGHT 60u
#define TSR_PHYSICAL_MAX_DPI 600u

/* The scale for a width x height mode on a picture of mm_width x mm_height
 * millimetres: 1 or 2, never more (3 and 4 only when configured). 1 when
 * the size is unknown (0), an aspect ratio posing as a size (16x9, 16x10,
 * 160x90, 160x100, 1600x900, 1600x1000: what EDIDs of projectors and
 * cheap panels carry), smaller than 100x60 mm, denser than 600 dpi, or
 * when the two axes' densities differ by more than a quarter (the size
 * does not belong to this mode). Else 2 when both axes have at least
 * TSR_HIDPI_MIN_DPI and the shorter side at least TSR_HIDPI_MIN_SHORT_SIDE
 * pixels, 1 otherwise. */
uint32_t tsr_output_scale_derive(uint32_t width, uint32_t height, uint32_t mm_width,
				 uint32_t mm_height);

/* The scale output is drawn at under config: its [output NAME] scale when
 * set, else tsr_output_scale_derive of its mode and physical size. */
uint32_t tsr_output_scale_for(const struct tsr_output_config *config,
			      const struct tsr_output *output);

#endif
