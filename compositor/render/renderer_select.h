/* [output] renderer = pixman|gles|auto, with its fallbacks. */
#ifndef TSR_RENDER_RENDERER_SELECT_H
#define TSR_RENDER_RENDERER_SELECT_H

#include "tessera/config.h"
#include "tessera/renderer.h"

/* The renderer output->renderer asks for: gles when it starts (auto: only
 * on a hardware driver, and on the headless backend only), pixman
 * otherwise, with one log line saying which and why. NULL only when out
 * of memory. */
struct tsr_renderer *tsr_renderer_select(const struct tsr_output_config *output);

#endif
