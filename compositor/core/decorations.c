/* Label masks are rendered once at start: labels come from the
 * configuration and never change while Tessera runs. */
#include <drm_fourcc.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/decorations.h"
#include "tessera/font.h"

#define LABEL_MAX_WIDTH 4096u

struct tsr_decorations {
	const struct tsr_config *config;
	struct tsr_font *font;
	/* Re-rendered only when the room for them changes (layout change). */
	struct tsr_buffer *labels[TSR_MAX_DOMAINS];
	uint32_t label_widths[TSR_MAX_DOMAINS];
	/* "LABEL - keyboard focus", for banners with several outputs. */
	struct tsr_buffer *keyboard_labels[TSR_MAX_DOMAINS];
	uint32_t keyboard_label_widths[TSR_MAX_DOMAINS];
	struct tsr_buffer *mosaic_text;
	struct tsr_buffer *mosaic_outputs_text;
	struct tsr_buffer *no_focus_text;
	struct tsr_buffer *cursor;
};

#define CURSOR_SIZE 24

/* A classic arrow: white inside a black outline, hot spot top-left. Drawn
 * from a formula so there is no image file to trust or lose. */
static struct tsr_buffer *create_cursor(void)
{
	struct tsr_buffer *cursor =
	    tsr_buffer_create_memory(CURSOR_SIZE, CURSOR_SIZE, DRM_FORMAT_ARGB8888);
	if (!cursor)
		return NULL;
	for (int32_t y = 0; y < 18; y++) {
		uint32_t *row = (uint32_t *)((uint8_t *)cursor->data + (size_t)y * cursor->stride);
		int32_t width = y < 12 ? y + 1 : 12 - (y - 12) * 2;
		for (int32_t x = 0; x < width && x < CURSOR_SIZE; x++) {
			bool edge = x == 0 || x == width - 1 || y == 17 || y == 12;
			row[x] = edge ? 0xff000000u : 0xffffffffu;
		}
	}
	return cursor;
}

struct tsr_decorations *tsr_decorations_create(const struct tsr_config *config, char *err,
					       size_t err_len)
{
	struct tsr_decorations *decorations = calloc(1, sizeof(*decorations));
	if (!decorations) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	/* Text takes about 60% of the strip it sits in. */
	uint32_t pixel_height = config->banner_height * 3 / 5;
	if (pixel_height < 8)
		pixel_height = 8;
	decorations->font = tsr_font_create(config->font_path, pixel_height, err, err_len);
	if (!decorations->font)
		goto error;
	decorations->config = config;
	decorations->mosaic_text = tsr_font_render(
	    decorations->font, "Overview - click or press a hotkey to focus", LABEL_MAX_WIDTH);
	decorations->mosaic_outputs_text =
	    tsr_font_render(decorations->font, "Overview - click a domain to give it the keyboard",
			    LABEL_MAX_WIDTH);
	decorations->no_focus_text =
	    tsr_font_render(decorations->font, "No domain focused", LABEL_MAX_WIDTH);
	decorations->cursor = create_cursor();
	return decorations;
error:
	tsr_decorations_destroy(decorations);
	return NULL;
}

void tsr_decorations_destroy(struct tsr_decorations *decorations)
{
	if (!decorations)
		return;
	for (size_t i = 0; i < TSR_MAX_DOMAINS; i++) {
		tsr_buffer_destroy(decorations->labels[i]);
		tsr_buffer_destroy(decorations->keyboard_labels[i]);
	}
	tsr_buffer_destroy(decorations->mosaic_text);
	tsr_buffer_destroy(decorations->mosaic_outputs_text);
	tsr_buffer_destroy(decorations->no_focus_text);
	tsr_buffer_destroy(decorations->cursor);
	tsr_font_destroy(decorations->font);
	free(decorations);
}

struct tsr_buffer *tsr_decorations_label(struct tsr_decorations *decorations, size_t index,
					 uint32_t max_width)
{
	if (index >= decorations->config->domain_count || max_width == 0)
		return NULL;
	if (!decorations->labels[index] || decorations->label_widths[index] != max_width) {
		tsr_buffer_destroy(decorations->labels[index]);
		decorations->labels[index] = tsr_font_render(
		    decorations->font, decorations->config->domains[index].label, max_width);
		decorations->label_widths[index] = max_width;
	}
	return decorations->labels[index];
}

struct tsr_buffer *tsr_decorations_keyboard_label(struct tsr_decorations *decorations, size_t index,
						  uint32_t max_width)
{
	if (index >= decorations->config->domain_count || max_width == 0)
		return NULL;
	if (!decorations->keyboard_labels[index] ||
	    decorations->keyboard_label_widths[index] != max_width) {
		char text[TSR_NAME_MAX + 32];
		snprintf(text, sizeof(text), "%s - keyboard focus",
			 decorations->config->domains[index].label);
		tsr_buffer_destroy(decorations->keyboard_labels[index]);
		decorations->keyboard_labels[index] =
		    tsr_font_render(decorations->font, text, max_width);
		decorations->keyboard_label_widths[index] = max_width;
	}
	return decorations->keyboard_labels[index];
}

struct tsr_buffer *tsr_decorations_mosaic_outputs_text(struct tsr_decorations *decorations)
{
	return decorations->mosaic_outputs_text;
}

struct tsr_buffer *tsr_decorations_render(struct tsr_decorations *decorations, const char *text,
					  uint32_t max_width)
{
	return tsr_font_render(decorations->font, text, max_width);
}

struct tsr_buffer *tsr_decorations_cursor(struct tsr_decorations *decorations)
{
	return decorations->cursor;
}

struct tsr_buffer *tsr_decorations_mosaic_text(struct tsr_decorations *decorations)
{
	return decorations->mosaic_text;
}

struct tsr_buffer *tsr_decorations_no_focus_text(struct tsr_decorations *decorations)
{
	return decorations->no_focus_text;
}

uint32_t tsr_colour_argb(uint32_t rgb, bool dimmed)
{
	if (!dimmed)
		return 0xff000000u | (rgb & 0xffffffu);
	uint32_t r = (rgb >> 16) & 0xff, g = (rgb >> 8) & 0xff, b = rgb & 0xff;
	return 0xff000000u | ((r / 2) << 16) | ((g / 2) << 8) | (b / 2);
}

uint32_t tsr_text_colour_on(uint32_t rgb)
{
	uint32_t r = (rgb >> 16) & 0xff, g = (rgb >> 8) & 0xff, b = rgb & 0xff;
	uint32_t luma = (299 * r + 587 * g + 114 * b) / 1000;
	return luma > 150 ? 0xff000000u : 0xffffffffu;
}
