/* xen-capture-check: pixel checks on output captures of the Xen end-to-end
 * test (tests/vm/xen-e2e.sh). The layout is recomputed from Tessera's own
 * configuration and the capture's size (mosaic), so every box checked is the
 * one the compositor drew.
 *
 *   xen-capture-check --config FILE [--focused NAME] CHECK ARGS...
 *
 *   frame NAME PNG          the border (bottom, left, right) has NAME's
 *                           colour, dimmed unless focused, and the top strip
 *                           is that colour with NAME's label exactly as the
 *                           renderer draws it
 *   content NAME PNG RRGGBB [OTHER...]
 *                           RRGGBB (within the demo's checker shading) covers
 *                           at least half of NAME's content box, and no
 *                           OTHER colour covers more than 1% of it
 *   updating NAME PNG PNG   NAME's content box differs between the captures
 *   background NAME PNG     NAME's content box shows the background colour
 *   size NAME WxH           prints NAME's content size on a WxH output
 *                           (agents start at it: no CONFIGURE to follow)
 *
 * Exit 0: the check holds; 1: it does not (the reason on stdout); 2: usage
 * or input errors. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <drm_fourcc.h>

#include "core/decorations.h"
#include "core/layout.h"
#include "tessera/buffer.h"
#include "tessera/config.h"
#include "tessera/font.h"
#include "tessera/image.h"
#include "tessera/renderer.h"

/* The demo's checker moves each channel by 12; a little more for rounding. */
#define COLOUR_TOLERANCE 14
#define DOMINANT_PERCENT 50
#define ABSENT_PERCENT 1
#define BACKGROUND_PERCENT 99

struct checker {
	struct tsr_config config;
	int focused;
	struct tsr_layout layout;
};

static uint32_t pixel_at(const struct tsr_buffer *image, int32_t x, int32_t y)
{
	const uint8_t *row = (const uint8_t *)image->data + (size_t)y * image->stride;
	return ((const uint32_t *)row)[x] & 0xffffffu;
}

static bool near_colour(uint32_t a, uint32_t b, int tolerance)
{
	for (int shift = 0; shift <= 16; shift += 8) {
		int delta = (int)((a >> shift) & 0xff) - (int)((b >> shift) & 0xff);
		if (delta > tolerance || delta < -tolerance)
			return false;
	}
	return true;
}

static struct tsr_buffer *load(const char *path)
{
	char err[256];
	struct tsr_buffer *image = tsr_png_read(path, err, sizeof(err));
	if (!image)
		fprintf(stderr, "xen-capture-check: %s\n", err);
	return image;
}

static bool parse_rgb(const char *text, uint32_t *rgb)
{
	char *end;
	unsigned long value = strtoul(text, &end, 16);
	if (strlen(text) != 6 || *end || value > 0xffffffu)
		return false;
	*rgb = (uint32_t)value;
	return true;
}

static void compute_layout(struct checker *checker, const struct tsr_buffer *image)
{
	struct tsr_layout_params params = {
	    .output_width = image->width,
	    .output_height = image->height,
	    .border_width = checker->config.border_width,
	    .banner_height = checker->config.banner_height,
	    .domain_count = checker->config.domain_count,
	    .focused = checker->focused,
	    .mode = TSR_LAYOUT_MOSAIC,
	};
	tsr_layout_compute(&params, &checker->layout);
}

/* Share of box's pixels near rgb, in percent. */
static double colour_share(const struct tsr_buffer *image, const pixman_box32_t *box, uint32_t rgb,
			   int tolerance)
{
	uint64_t near = 0, total = 0;
	for (int32_t y = box->y1; y < box->y2; y++)
		for (int32_t x = box->x1; x < box->x2; x++, total++)
			near += near_colour(pixel_at(image, x, y), rgb, tolerance);
	return total ? 100.0 * (double)near / (double)total : 0.0;
}

/* The label strip as the compositor draws it: the frame colour, then the
 * label mask in the text colour, through the same renderer and font. */
static bool check_label(const struct checker *checker, size_t index, const struct tsr_buffer *image,
			uint32_t argb)
{
	const pixman_box32_t *strip = &checker->layout.domains[index].label;
	if (tsr_box_height(strip) == 0) {
		printf("no label strip in the layout\n");
		return false;
	}
	char err[256];
	struct tsr_decorations *decorations =
	    tsr_decorations_create(&checker->config, err, sizeof(err));
	struct tsr_renderer *renderer = tsr_renderer_pixman_create();
	struct tsr_buffer *expected =
	    tsr_buffer_create_memory(image->width, image->height, DRM_FORMAT_XRGB8888);
	bool ok = false;
	if (!decorations || !renderer || !expected) {
		printf("cannot set up the reference rendering: %s\n", decorations ? "" : err);
		goto out;
	}
	int32_t padding = (int32_t)checker->config.border_width + 4;
	int32_t room = (int32_t)tsr_box_width(strip) - 2 * padding;
	struct tsr_buffer *mask =
	    room > 0 ? tsr_decorations_label(decorations, 1, index, (uint32_t)room) : NULL;
	if (!mask || mask->height > tsr_box_height(strip)) {
		printf("the label does not fit its strip\n");
		goto out;
	}
	pixman_region32_t clip;
	pixman_region32_init_rect(&clip, strip->x1, strip->y1, tsr_box_width(strip),
				  tsr_box_height(strip));
	renderer->impl->begin(renderer, expected, &clip);
	renderer->impl->fill(renderer, strip, argb);
	int32_t y = strip->y1 + ((int32_t)tsr_box_height(strip) - (int32_t)mask->height) / 2;
	renderer->impl->mask(renderer, mask, strip->x1 + padding, y,
			     tsr_text_colour_on(argb & 0xffffffu));
	renderer->impl->end(renderer);
	pixman_region32_fini(&clip);
	uint64_t differing = 0, text_pixels = 0;
	for (int32_t py = strip->y1; py < strip->y2; py++)
		for (int32_t px = strip->x1; px < strip->x2; px++) {
			uint32_t want = pixel_at(expected, px, py);
			differing += !near_colour(pixel_at(image, px, py), want, 2);
			text_pixels += want != (argb & 0xffffffu);
		}
	if (text_pixels == 0)
		printf("the reference label has no text pixels\n");
	else if (differing > 0)
		printf("label strip: %llu of its pixels differ from '%s' as rendered\n",
		       (unsigned long long)differing, checker->config.domains[index].label);
	ok = text_pixels > 0 && differing == 0;
out:
	tsr_buffer_destroy(expected);
	tsr_renderer_destroy(renderer);
	tsr_decorations_destroy(decorations);
	return ok;
}

static bool check_frame(const struct checker *checker, size_t index, const struct tsr_buffer *image)
{
	const struct tsr_domain_placement *placement = &checker->layout.domains[index];
	bool dimmed = (int)index != checker->focused;
	uint32_t argb = tsr_colour_argb(checker->config.domains[index].colour, dimmed);
	uint32_t rgb = argb & 0xffffffu;
	const pixman_box32_t *f = &placement->frame, *c = &placement->content;
	/* The top side is the label strip: check_label compares all of it. */
	pixman_box32_t sides[3] = {
	    {f->x1, c->y2, f->x2, f->y2},
	    {f->x1, c->y1, c->x1, c->y2},
	    {c->x2, c->y1, f->x2, c->y2},
	};
	static const char *const side_names[3] = {"bottom", "left", "right"};
	bool ok = true;
	for (size_t i = 0; i < 3; i++) {
		if (sides[i].x2 <= sides[i].x1 || sides[i].y2 <= sides[i].y1) {
			printf("the %s border is empty in the layout\n", side_names[i]);
			ok = false;
			continue;
		}
		double share = colour_share(image, &sides[i], rgb, 0);
		if (share < 100.0) {
			printf("%s border: only %.1f%% has the colour %06x\n", side_names[i], share,
			       rgb);
			ok = false;
		}
	}
	return check_label(checker, index, image, argb) && ok;
}

static bool check_content(const struct checker *checker, size_t index,
			  const struct tsr_buffer *image, uint32_t rgb, char **others,
			  int other_count)
{
	const pixman_box32_t *box = &checker->layout.domains[index].content;
	double share = colour_share(image, box, rgb, COLOUR_TOLERANCE);
	bool ok = share >= DOMINANT_PERCENT;
	printf("%06x covers %.1f%% of the content box\n", rgb, share);
	for (int i = 0; i < other_count; i++) {
		uint32_t other;
		if (!parse_rgb(others[i], &other)) {
			printf("bad colour '%s'\n", others[i]);
			return false;
		}
		double other_share = colour_share(image, box, other, COLOUR_TOLERANCE);
		printf("%06x covers %.1f%% of the content box\n", other, other_share);
		ok = ok && other_share <= ABSENT_PERCENT;
	}
	return ok;
}

static bool check_updating(const struct checker *checker, size_t index,
			   const struct tsr_buffer *first, const struct tsr_buffer *second)
{
	const pixman_box32_t *box = &checker->layout.domains[index].content;
	uint64_t changed = 0;
	for (int32_t y = box->y1; y < box->y2; y++)
		for (int32_t x = box->x1; x < box->x2; x++)
			changed += pixel_at(first, x, y) != pixel_at(second, x, y);
	printf("%llu pixels of the content box changed\n", (unsigned long long)changed);
	return changed > 0;
}

static bool check_background(const struct checker *checker, size_t index,
			     const struct tsr_buffer *image)
{
	const pixman_box32_t *box = &checker->layout.domains[index].content;
	double share = colour_share(image, box, checker->config.background_colour, 0);
	printf("the background colour covers %.1f%% of the content box\n", share);
	return share >= BACKGROUND_PERCENT;
}

static int usage(void)
{
	fprintf(stderr, "usage: xen-capture-check --config FILE [--focused NAME] CHECK ARGS...\n"
			"  frame NAME PNG | content NAME PNG RRGGBB [OTHER...] |\n"
			"  updating NAME PNG PNG | background NAME PNG | size NAME WxH\n");
	return 2;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"focused", required_argument, NULL, 'f'},
	    {0},
	};
	const char *config_path = NULL, *focused = NULL;
	int opt;
	while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
		if (opt == 'c')
			config_path = optarg;
		else if (opt == 'f')
			focused = optarg;
		else
			return usage();
	}
	if (!config_path || argc - optind < 3)
		return usage();
	const char *check = argv[optind], *name = argv[optind + 1];
	char **rest = argv + optind + 2;
	int rest_count = argc - optind - 2;

	struct checker *checker = calloc(1, sizeof(*checker));
	char err[512];
	if (!checker)
		return 2;
	tsr_config_set_defaults(&checker->config);
	if (!tsr_config_load_file(&checker->config, config_path, err, sizeof(err))) {
		fprintf(stderr, "xen-capture-check: %s\n", err);
		free(checker);
		return 2;
	}
	int index = tsr_config_find_domain(&checker->config, name);
	checker->focused = focused ? tsr_config_find_domain(&checker->config, focused) : -1;
	if (index < 0) {
		fprintf(stderr, "xen-capture-check: no [domain %s] in %s\n", name, config_path);
		free(checker);
		return 2;
	}
	struct tsr_buffer *images[2] = {NULL, NULL};
	int status = 2;
	int image_count = !strcmp(check, "updating") ? 2 : 1;
	if (!strcmp(check, "size")) {
		struct tsr_buffer output = {0};
		if (sscanf(rest[0], "%ux%u", &output.width, &output.height) != 2)
			goto out;
		compute_layout(checker, &output);
		const pixman_box32_t *box = &checker->layout.domains[index].content;
		printf("%ux%u\n", tsr_box_width(box), tsr_box_height(box));
		free(checker);
		return 0;
	}
	if (rest_count < image_count)
		goto out;
	for (int i = 0; i < image_count; i++)
		if (!(images[i] = load(rest[i])))
			goto out;
	if (image_count == 2 &&
	    (images[0]->width != images[1]->width || images[0]->height != images[1]->height)) {
		fprintf(stderr, "xen-capture-check: the captures differ in size\n");
		goto out;
	}
	compute_layout(checker, images[0]);
	if (!checker->layout.domains[index].visible) {
		printf("%s is not visible in the layout\n", name);
		status = 1;
		goto out;
	}
	bool ok;
	if (!strcmp(check, "frame")) {
		ok = check_frame(checker, (size_t)index, images[0]);
	} else if (!strcmp(check, "content") && rest_count >= 2) {
		uint32_t rgb;
		if (!parse_rgb(rest[1], &rgb))
			goto out;
		ok =
		    check_content(checker, (size_t)index, images[0], rgb, rest + 2, rest_count - 2);
	} else if (!strcmp(check, "updating")) {
		ok = check_updating(checker, (size_t)index, images[0], images[1]);
	} else if (!strcmp(check, "background")) {
		ok = check_background(checker, (size_t)index, images[0]);
	} else {
		status = usage();
		goto out;
	}
	status = ok ? 0 : 1;
out:
	if (status == 2 && image_count <= rest_count)
		fprintf(stderr, "xen-capture-check: cannot run '%s'\n", check);
	tsr_buffer_destroy(images[0]);
	tsr_buffer_destroy(images[1]);
	free(checker);
	return status;
}
