/* FreeType text for trusted labels: one line, grayscale antialiased, into
 * an R8 coverage mask the renderer paints in the domain's colour. */
#include <drm_fourcc.h>
#include <errno.h>
#include <ft2build.h>
#include FT_FREETYPE_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tessera/font.h"

/* FreeType's own message table, built the way fterrors.h documents, since
 * Debian's FreeType is compiled without FT_Error_String messages. */
// clang-format off
#undef FTERRORS_H_
#define FT_ERRORDEF(e, v, s) {e, s},
#define FT_ERROR_START_LIST {
#define FT_ERROR_END_LIST {0, NULL}};
static const struct {
	int code;
	const char *message;
} freetype_errors[] =
#include FT_ERRORS_H
// clang-format on

/* Labels are a few dozen pixels tall; the cap keeps glyph bitmaps small. */
#define TSR_FONT_MAX_PIXEL_HEIGHT 512u
#define TSR_FONT_MAX_MASK_WIDTH 16384u

    struct tsr_font {
	FT_Library library; /* one per font: no shared global FreeType state */
	FT_Face face;
	uint32_t line_height;
	int32_t baseline; /* from the top of the line, in pixels */
};

static const char *freetype_error_message(FT_Error error)
{
	for (size_t i = 0; freetype_errors[i].message; i++) {
		if (freetype_errors[i].code == error)
			return freetype_errors[i].message;
	}
	return "unknown FreeType error";
}

/* 26.6 fixed point to whole pixels, rounding up (metrics that must fit). */
static int32_t ceil_26_6(FT_Pos value)
{
	return (int32_t)((value + 63) >> 6);
}

struct tsr_font *tsr_font_create(const char *path, uint32_t pixel_height, char *err, size_t err_len)
{
	if (!path || pixel_height == 0 || pixel_height > TSR_FONT_MAX_PIXEL_HEIGHT) {
		snprintf(err, err_len, "font %s: pixel height %u outside 1..%u",
			 path ? path : "(null)", pixel_height, TSR_FONT_MAX_PIXEL_HEIGHT);
		return NULL;
	}
	/* FreeType reports a missing file as a generic "cannot open resource":
	 * try it ourselves first to name the real reason. */
	FILE *probe = fopen(path, "rb");
	if (!probe) {
		snprintf(err, err_len, "font %s: %s", path, strerror(errno));
		return NULL;
	}
	fclose(probe);

	struct tsr_font *font = calloc(1, sizeof(*font));
	if (!font) {
		snprintf(err, err_len, "font %s: out of memory", path);
		return NULL;
	}
	FT_Error error = FT_Init_FreeType(&font->library);
	if (error) {
		snprintf(err, err_len, "font %s: cannot initialise FreeType: %s", path,
			 freetype_error_message(error));
		goto error_font;
	}
	error = FT_New_Face(font->library, path, 0, &font->face);
	if (error) {
		snprintf(err, err_len, "font %s: %s", path, freetype_error_message(error));
		goto error_library;
	}
	error = FT_Set_Pixel_Sizes(font->face, 0, pixel_height);
	if (error) {
		snprintf(err, err_len, "font %s: cannot use %u pixel size: %s", path, pixel_height,
			 freetype_error_message(error));
		goto error_face;
	}

	const FT_Size_Metrics *metrics = &font->face->size->metrics;
	int32_t ascender = ceil_26_6(metrics->ascender);
	int32_t descender = (int32_t)((-metrics->descender + 63) >> 6);
	int32_t height = ceil_26_6(metrics->height);
	/* Some faces declare a line height smaller than their glyph extent:
	 * the mask must hold ascenders and descenders. */
	if (height < ascender + descender)
		height = ascender + descender;
	if (height <= 0 || ascender < 0) {
		snprintf(err, err_len, "font %s: face has no usable line metrics", path);
		goto error_face;
	}
	font->line_height = (uint32_t)height;
	font->baseline = ascender;
	return font;

error_face:
	FT_Done_Face(font->face);
error_library:
	FT_Done_FreeType(font->library);
error_font:
	free(font);
	return NULL;
}

void tsr_font_destroy(struct tsr_font *font)
{
	if (!font)
		return;
	FT_Done_Face(font->face);
	FT_Done_FreeType(font->library);
	free(font);
}

uint32_t tsr_font_line_height(const struct tsr_font *font)
{
	return font->line_height;
}

static FT_UInt glyph_index_for(FT_Face face, unsigned char c)
{
	if (c < 0x20 || c > 0x7e)
		c = '?';
	return FT_Get_Char_Index(face, c);
}

static FT_Pos kerning_between(FT_Face face, FT_UInt previous, FT_UInt current)
{
	FT_Vector delta;
	if (!previous || !FT_HAS_KERNING(face) ||
	    FT_Get_Kerning(face, previous, current, FT_KERNING_DEFAULT, &delta))
		return 0;
	return delta.x;
}

/* Width of the whole text in pixels, stopping as soon as it passes limit:
 * labels can come from long names and must not cost more than they show. */
static uint32_t text_width(FT_Face face, const char *text, uint32_t limit)
{
	FT_Pos pen = 0; /* 26.6 */
	FT_UInt previous = 0;
	for (const unsigned char *c = (const unsigned char *)text; *c; c++) {
		FT_UInt glyph = glyph_index_for(face, *c);
		pen += kerning_between(face, previous, glyph);
		if (FT_Load_Glyph(face, glyph, FT_LOAD_DEFAULT) == 0)
			pen += face->glyph->advance.x;
		previous = glyph;
		if (pen > 0 && (uint64_t)ceil_26_6(pen) >= limit)
			return limit;
	}
	return pen > 0 ? (uint32_t)ceil_26_6(pen) : 0;
}

/* Adds a rendered glyph at (left, top) of the mask, cut at the mask edges.
 * Overlapping glyphs (kerned pairs) saturate instead of wrapping. */
static void draw_glyph(struct tsr_buffer *mask, const FT_Bitmap *bitmap, int64_t left, int64_t top)
{
	if (bitmap->pixel_mode != FT_PIXEL_MODE_GRAY)
		return;
	uint8_t *pixels = mask->data;
	unsigned int pitch = (unsigned int)abs(bitmap->pitch);
	for (unsigned int row = 0; row < bitmap->rows; row++) {
		int64_t y = top + row;
		if (y < 0 || y >= mask->height)
			continue;
		/* A negative pitch stores the bottom row first. */
		unsigned int source_row = bitmap->pitch >= 0 ? row : bitmap->rows - 1 - row;
		const uint8_t *source = bitmap->buffer + (size_t)source_row * pitch;
		uint8_t *dest = pixels + (size_t)y * mask->stride;
		for (unsigned int column = 0; column < bitmap->width; column++) {
			int64_t x = left + column;
			if (x < 0 || x >= mask->width)
				continue;
			unsigned int sum = dest[x] + source[column];
			dest[x] = sum > 0xff ? 0xff : (uint8_t)sum;
		}
	}
}

struct tsr_buffer *tsr_font_render(struct tsr_font *font, const char *text, uint32_t max_width)
{
	if (!font || !text || !*text)
		return NULL;
	if (max_width > TSR_FONT_MAX_MASK_WIDTH)
		max_width = TSR_FONT_MAX_MASK_WIDTH;
	FT_Face face = font->face;
	uint32_t width = text_width(face, text, max_width);
	if (width == 0)
		return NULL;
	struct tsr_buffer *mask = tsr_buffer_create_memory(width, font->line_height, DRM_FORMAT_R8);
	if (!mask)
		return NULL;

	FT_Pos pen = 0; /* 26.6 */
	FT_UInt previous = 0;
	for (const unsigned char *c = (const unsigned char *)text; *c; c++) {
		FT_UInt glyph = glyph_index_for(face, *c);
		pen += kerning_between(face, previous, glyph);
		previous = glyph;
		if ((pen >> 6) >= (FT_Pos)width)
			break; /* everything further right is cut */
		if (FT_Load_Glyph(face, glyph, FT_LOAD_DEFAULT) ||
		    FT_Render_Glyph(face->glyph, FT_RENDER_MODE_NORMAL))
			continue;
		const FT_GlyphSlot slot = face->glyph;
		draw_glyph(mask, &slot->bitmap, (int64_t)(pen >> 6) + slot->bitmap_left,
			   (int64_t)font->baseline - slot->bitmap_top);
		pen += slot->advance.x;
	}
	return mask;
}
