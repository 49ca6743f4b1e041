/* Label masks are rendered once per scale in use: labels come from the
 * configuration and never change while Tessera runs. Each scale has its own
 * font at that many times the 1x pixel size (FreeType renders it sharp; no
 * mask is ever pixel-doubled) and its own cursor (core/cursor_image.c). */
#include <drm_fourcc.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/cursor_image.h"
#include "core/decorations.h"
#include "tessera/font.h"
#include "tessera/log.h"

#define LABEL_MAX_WIDTH 4096u

/* Everything drawn at one scale. */
struct scale_set {
	bool tried; /* the font was created (or failed, then the 1x set is used) */
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

struct tsr_decorations {
	const struct tsr_config *config;
	uint32_t pixel_height; /* of text at 1x */
	struct scale_set sets[TSR_OUTPUT_SCALE_MAX];
};

static bool fill_set(struct tsr_decorations *decorations, struct scale_set *set, uint32_t scale,
		     char *err, size_t err_len)
{
	set->tried = true;
	set->font = tsr_font_create(decorations->config->font_path,
				    decorations->pixel_height * scale, err, err_len);
	if (!set->font)
		return false;
	set->mosaic_text = tsr_font_render(set->font, "Overview - click or press a hotkey to focus",
					   LABEL_MAX_WIDTH);
	set->mosaic_outputs_text = tsr_font_render(
	    set->font, "Overview - click a domain to give it the keyboard", LABEL_MAX_WIDTH);
	set->no_focus_text = tsr_font_render(set->font, "No domain focused", LABEL_MAX_WIDTH);
	set->cursor = tsr_cursor_image_create(scale);
	return true;
}

static void clear_set(struct scale_set *set)
{
	for (size_t i = 0; i < TSR_MAX_DOMAINS; i++) {
		tsr_buffer_destroy(set->labels[i]);
		tsr_buffer_destroy(set->keyboard_labels[i]);
	}
	tsr_buffer_destroy(set->mosaic_text);
	tsr_buffer_destroy(set->mosaic_outputs_text);
	tsr_buffer_destroy(set->no_focus_text);
	tsr_buffer_destroy(set->cursor);
	tsr_font_destroy(set->font);
	*set = (struct scale_set){.tried = set->tried};
}

/* The set of scale (made on first use), or the 1x set when that scale's
 * font cannot be made (text too small then, but still inside its room). */
static struct scale_set *set_for(struct tsr_decorations *decorations, uint32_t scale)
{
	if (scale < 1 || scale > TSR_OUTPUT_SCALE_MAX)
		scale = 1;
	struct scale_set *set = &decorations->sets[scale - 1];
	if (!set->tried) {
		char err[256];
		if (!fill_set(decorations, set, scale, err, sizeof(err))) {
			tsr_log(TSR_LOG_WARN, "decorations at scale %u: %s; drawing them at 1x",
				scale, err);
			clear_set(set);
		}
	}
	return set->font ? set : &decorations->sets[0];
}

struct tsr_decorations *tsr_decorations_create(const struct tsr_config *config, char *err,
					       size_t err_len)
{
	struct tsr_decorations *decorations = calloc(1, sizeof(*decorations));
	if (!decorations) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	decorations->config = config;
	/* Text takes about 60% of the strip it sits in. */
	decorations->pixel_height = config->banner_height * 3 / 5;
	if (decorations->pixel_height < 8)
		decorations->pixel_height = 8;
	/* The 1x set always exists: the fallback of every other scale. */
	if (!fill_set(decorations, &decorations->sets[0], 1, err, err_len)) {
		tsr_decorations_destroy(decorations);
		return NULL;
	}
	return decorations;
}

void tsr_decorations_destroy(struct tsr_decorations *decorations)
{
	if (!decorations)
		return;
	for (size_t i = 0; i < TSR_OUTPUT_SCALE_MAX; i++)
		clear_set(&decorations->sets[i]);
	free(decorations);
}

static struct tsr_buffer *cached_label(struct scale_set *set, struct tsr_buffer **slot,
				       uint32_t *slot_width, const char *text, uint32_t max_width)
{
	if (!*slot || *slot_width != max_width) {
		tsr_buffer_destroy(*slot);
		*slot = tsr_font_render(set->font, text, max_width);
		*slot_width = max_width;
	}
	return *slot;
}

struct tsr_buffer *tsr_decorations_label(struct tsr_decorations *decorations, uint32_t scale,
					 size_t index, uint32_t max_width)
{
	if (index >= decorations->config->domain_count || max_width == 0)
		return NULL;
	struct scale_set *set = set_for(decorations, scale);
	return cached_label(set, &set->labels[index], &set->label_widths[index],
			    decorations->config->domains[index].label, max_width);
}

struct tsr_buffer *tsr_decorations_keyboard_label(struct tsr_decorations *decorations,
						  uint32_t scale, size_t index, uint32_t max_width)
{
	if (index >= decorations->config->domain_count || max_width == 0)
		return NULL;
	struct scale_set *set = set_for(decorations, scale);
	char text[TSR_NAME_MAX + 32];
	snprintf(text, sizeof(text), "%s - keyboard focus",
		 decorations->config->domains[index].label);
	return cached_label(set, &set->keyboard_labels[index], &set->keyboard_label_widths[index],
			    text, max_width);
}

struct tsr_buffer *tsr_decorations_mosaic_outputs_text(struct tsr_decorations *decorations,
						       uint32_t scale)
{
	return set_for(decorations, scale)->mosaic_outputs_text;
}

struct tsr_buffer *tsr_decorations_render(struct tsr_decorations *decorations, uint32_t scale,
					  const char *text, uint32_t max_width)
{
	return tsr_font_render(set_for(decorations, scale)->font, text, max_width);
}

struct tsr_buffer *tsr_decorations_cursor(struct tsr_decorations *decorations, uint32_t scale)
{
	return set_for(decorations, scale)->cursor;
}

struct tsr_buffer *tsr_decorations_mosaic_text(struct tsr_decorations *decorations, uint32_t scale)
{
	return set_for(decorations, scale)->mosaic_text;
}

struct tsr_buffer *tsr_decorations_no_focus_text(struct tsr_decorations *decorations,
						 uint32_t scale)
{
	return set_for(decorations, scale)->no_focus_text;
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
