/* displif-mosaic-check: modetest's test pattern on a PV display, as the
 * mosaic shows it, in a writeback capture of tests/vm/displif-mosaic.sh.
 * The display's image box is recomputed from Tessera's own configuration
 * and layout functions (the same ones the compositor runs):
 *
 *   displif-mosaic-check CONFIG NAME DWxDH CAPTURE.png
 *
 * NAME's DWxDH display in the mosaic of a capture-sized output. Shown 1:1,
 * every pixel must equal the pattern. Shown scaled (the renderer's bilinear
 * filter, after a box reduction beyond 2:1), each output pixel is compared
 * with the pattern pixels its filter can read (the source pixels within
 * one scale step plus one of its centre): where those are all one colour
 * (inside a bar) it must be that colour within TOLERANCE per channel; near
 * a bar edge it must lie between the colours it mixes (within TOLERANCE).
 * At least INSIDE_PERCENT of the image must be bar insides, so a picture
 * that is not the pattern, or a blank one, fails. Prints where the image
 * is and how many pixels fail; exit 0 when none does, 1 when some do, 2 on
 * usage or input errors. */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/layout.h"
#include "smpte_pattern.h"
#include "tessera/buffer.h"
#include "tessera/config.h"
#include "tessera/image.h"

/* Filter weights are 7-bit fixed point in pixman: a step or two of
 * rounding on a mix, none on a bar's inside. */
#define TOLERANCE 3
#define INSIDE_PERCENT 70

static uint32_t capture_pixel(const struct tsr_buffer *image, int32_t x, int32_t y)
{
	const uint8_t *row = (const uint8_t *)image->data + (size_t)y * image->stride;
	return ((const uint32_t *)row)[x] & 0xffffffu;
}

static int channel(uint32_t rgb, int shift)
{
	return (int)((rgb >> shift) & 0xff);
}

/* The range [low, high] of each channel of the pattern over source
 * columns x1..x2 and rows y1..y2 (inclusive, inside the display). */
static void pattern_range(uint32_t x1, uint32_t x2, uint32_t y1, uint32_t y2, uint32_t width,
			  uint32_t height, int low[3], int high[3])
{
	for (int c = 0; c < 3; c++) {
		low[c] = 255;
		high[c] = 0;
	}
	for (uint32_t y = y1; y <= y2; y++)
		for (uint32_t x = x1; x <= x2; x++) {
			uint32_t rgb = smpte_pixel(x, y, width, height);
			for (int c = 0; c < 3; c++) {
				int value = channel(rgb, 16 - 8 * c);
				low[c] = value < low[c] ? value : low[c];
				high[c] = value > high[c] ? value : high[c];
			}
		}
}

/* The source pixels the filter can read for output offset out of shown
 * (display size full): its centre mapped back, +- one scale step + 1. */
static void source_span(int32_t out, uint32_t shown, uint32_t full, uint32_t *first, uint32_t *last)
{
	double scale = (double)full / (double)shown;
	double centre = ((double)out + 0.5) * scale - 0.5;
	double reach = ceil(scale) + 1.0;
	double low = floor(centre - reach), high = ceil(centre + reach);
	*first = low < 0 ? 0 : (uint32_t)low;
	*last = high > (double)(full - 1) ? full - 1 : (uint32_t)high;
}

static bool parse_size(const char *text, uint32_t *width, uint32_t *height)
{
	return sscanf(text, "%ux%u", width, height) == 2 && *width >= 7 && *height >= 9 &&
	       *width <= 4096 && *height <= 4096;
}

int main(int argc, char **argv)
{
	uint32_t width, height;
	if (argc != 5 || !parse_size(argv[3], &width, &height)) {
		fprintf(stderr, "usage: displif-mosaic-check CONFIG NAME DWxDH CAPTURE.png\n");
		return 2;
	}
	static struct tsr_config config;
	char err[512];
	if (!tsr_config_load_file(&config, argv[1], err, sizeof(err))) {
		fprintf(stderr, "displif-mosaic-check: %s\n", err);
		return 2;
	}
	int index = tsr_config_find_domain(&config, argv[2]);
	if (index < 0) {
		fprintf(stderr, "displif-mosaic-check: no domain %s\n", argv[2]);
		return 2;
	}
	struct tsr_buffer *image = tsr_png_read(argv[4], err, sizeof(err));
	if (!image) {
		fprintf(stderr, "displif-mosaic-check: %s\n", err);
		return 2;
	}
	static struct tsr_layout_displays fixed[TSR_MAX_DOMAINS];
	fixed[index].count = 1;
	fixed[index].displays[0] =
	    (struct tsr_layout_display){.id = 0, .width = width, .height = height};
	struct tsr_layout_params params = {
	    .output_width = image->width,
	    .output_height = image->height,
	    .border_width = config.border_width,
	    .banner_height = config.banner_height,
	    .domain_count = config.domain_count,
	    .focused = index,
	    .mode = TSR_LAYOUT_MOSAIC,
	    .fixed = fixed,
	};
	static struct tsr_layout layout;
	tsr_layout_compute(&params, &layout);
	const struct tsr_domain_placement *placement = &layout.domains[index];
	int status = 1;
	if (!placement->visible || placement->view_count != 1) {
		printf("%s has no display view in the mosaic\n", argv[2]);
		goto out;
	}
	const pixman_box32_t *box = &placement->views[0].image;
	uint32_t shown_width = tsr_box_width(box), shown_height = tsr_box_height(box);
	if (shown_width == 0 || shown_height == 0 || box->x2 > (int32_t)image->width ||
	    box->y2 > (int32_t)image->height) {
		printf("%s's image box is empty or outside the capture\n", argv[2]);
		goto out;
	}
	uint64_t failing = 0, inside = 0, total = (uint64_t)shown_width * shown_height;
	int32_t first_x = -1, first_y = -1;
	uint32_t first_got = 0;
	for (int32_t y = 0; y < (int32_t)shown_height; y++) {
		uint32_t sy1, sy2;
		source_span(y, shown_height, height, &sy1, &sy2);
		for (int32_t x = 0; x < (int32_t)shown_width; x++) {
			uint32_t got = capture_pixel(image, box->x1 + x, box->y1 + y);
			int low[3], high[3];
			if (shown_width == width && shown_height == height) {
				uint32_t want =
				    smpte_pixel((uint32_t)x, (uint32_t)y, width, height);
				for (int c = 0; c < 3; c++)
					low[c] = high[c] = channel(want, 16 - 8 * c);
			} else {
				uint32_t sx1, sx2;
				source_span(x, shown_width, width, &sx1, &sx2);
				pattern_range(sx1, sx2, sy1, sy2, width, height, low, high);
			}
			bool uniform = low[0] == high[0] && low[1] == high[1] && low[2] == high[2];
			int tolerance =
			    shown_width == width && shown_height == height ? 0 : TOLERANCE;
			inside += uniform;
			bool ok = true;
			for (int c = 0; c < 3; c++) {
				int value = channel(got, 16 - 8 * c);
				ok = ok && value >= low[c] - tolerance &&
				     value <= high[c] + tolerance;
			}
			if (!ok && failing++ == 0) {
				first_x = x;
				first_y = y;
				first_got = got;
			}
		}
	}
	printf("%s: %ux%u display shown %s at %ux%u+%d+%d: %llu of %llu pixels off the "
	       "pattern, %llu%% inside bars",
	       argv[2], width, height, shown_width == width ? "1:1" : "scaled", shown_width,
	       shown_height, box->x1, box->y1, (unsigned long long)failing,
	       (unsigned long long)total, (unsigned long long)(inside * 100 / total));
	if (failing)
		printf(" (first at %d,%d of the image: 0x%06x)", first_x, first_y, first_got);
	printf("\n");
	status = failing == 0 && inside * 100 >= total * INSIDE_PERCENT ? 0 : 1;
out:
	tsr_buffer_destroy(image);
	return status;
}
