/* [output] renderer = pixman|gles|auto, with its fallbacks. */
#ifndef TSR_RENDER_RENDERER_SELECT_H
#define TSR_RENDER_RENDERER_SELECT_H

#include "tessera/config.h"
#include "tessera/renderer.h"

/* The renderer for choice: gles when it starts (auto: only on a hardware
 * driver), pixman otherwise, with one log line saying why when gles was
 * asked for and not used. NULL only when out of memory. */
struct tsr_renderer *tsr_renderer_select(enum tsr_renderer_choice choice);

#endif
