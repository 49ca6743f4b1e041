/* Trusted decorations: text masks for domain labels and the banner, and
 * the colours they are drawn in. Everything here comes from the
 * configuration; nothing from a guest. */
#ifndef TSR_CORE_DECORATIONS_H
#define TSR_CORE_DECORATIONS_H

#include <stddef.h>
#include <stdint.h>

#include "tessera/buffer.h"
#include "tessera/config.h"

struct tsr_decorations;

struct tsr_decorations *tsr_decorations_create(const struct tsr_config *config, char *err,
					       size_t err_len);
void tsr_decorations_destroy(struct tsr_decorations *decorations);

/* Every mask and the cursor exist per output scale (1..TSR_OUTPUT_SCALE_MAX,
 * core/output_scale.h): drawn at scale times the 1x size, made on the first
 * use of that scale and kept; another value is taken as 1. */

/* The label of domain index as an R8 mask at most max_width wide (NULL if
 * it could not be drawn). */
struct tsr_buffer *tsr_decorations_label(struct tsr_decorations *decorations, uint32_t scale,
					 size_t index, uint32_t max_width);
/* The banner of the output showing domain index when it has the keyboard
 * and there are several outputs: "LABEL - keyboard focus". */
struct tsr_buffer *tsr_decorations_keyboard_label(struct tsr_decorations *decorations,
						  uint32_t scale, size_t index, uint32_t max_width);
/* Fixed banner texts; mosaic_outputs is the mosaic's with several outputs
 * (it does not say "focus": only the keyboard's banner does). */
struct tsr_buffer *tsr_decorations_mosaic_outputs_text(struct tsr_decorations *decorations,
						       uint32_t scale);
struct tsr_buffer *tsr_decorations_mosaic_text(struct tsr_decorations *decorations, uint32_t scale);
struct tsr_buffer *tsr_decorations_no_focus_text(struct tsr_decorations *decorations,
						 uint32_t scale);

/* Any of Tessera's own texts (the lock screen), in the decorations' font at
 * scale: a new mask the caller destroys, or NULL. */
struct tsr_buffer *tsr_decorations_render(struct tsr_decorations *decorations, uint32_t scale,
					  const char *text, uint32_t max_width);

/* The pointer: an ARGB arrow with its hot spot at (0, 0), 24 x scale
 * pixels square. */
struct tsr_buffer *tsr_decorations_cursor(struct tsr_decorations *decorations, uint32_t scale);

/* Premultiplied ARGB of a 0xRRGGBB colour, optionally dimmed (unfocused). */
uint32_t tsr_colour_argb(uint32_t rgb, bool dimmed);
/* Black or white, whichever reads better on rgb. */
uint32_t tsr_text_colour_on(uint32_t rgb);

#endif
