/* [output] renderer = pixman|gles|auto, with its fallbacks. */
#ifndef TSR_RENDER_RENDERER_SELECT_H
#define TSR_RENDER_RENDERER_SELECT_H

#include <stdbool.h>

#include "tessera/config.h"
#include "tessera/renderer.h"

struct tsr_render_device;

/* The renderer output->renderer asks for without a render device: gles
 * when it starts (auto: only on a hardware driver, and on the headless
 * backend only), pixman otherwise, with one log line saying which and why.
 * NULL only when out of memory. */
struct tsr_renderer *tsr_renderer_select(const struct tsr_output_config *output);

/* Whether the choice waits for the first KMS card's render device
 * (tsr_renderer_select_on_device from listener.render_device) instead of
 * tsr_renderer_select before the backends: KMS, gles or auto, a build with
 * GLES and libgbm. */
bool tsr_renderer_select_waits_for_device(const struct tsr_output_config *output);

/* The renderer for a KMS card's render device (NULL: the card has none).
 * gles: GLES on the device's GBM platform, also on a software rasteriser;
 * auto: the same on a hardware driver only, pixman on kms_swrast/llvmpipe;
 * GLES that cannot start falls back to pixman. One log line says which and
 * why. *direct: the renderer draws into buffers of device (the backend
 * then allocates its output buffers there). NULL only when out of memory. */
struct tsr_renderer *tsr_renderer_select_on_device(const struct tsr_output_config *output,
						   struct tsr_render_device *device, bool *direct);

#endif
