/* Layout invariants for every domain count and a range of output sizes:
 * everything inside the output, content boxes disjoint from each other,
 * from the banner and from every frame's border and label. */
#include <string.h>

#include "core/layout.h"
#include "test.h"

static bool boxes_overlap(const pixman_box32_t *a, const pixman_box32_t *b)
{
	return a->x1 < b->x2 && b->x1 < a->x2 && a->y1 < b->y2 && b->y1 < a->y2;
}

static bool box_inside(const pixman_box32_t *inner, const pixman_box32_t *outer)
{
	return inner->x1 >= outer->x1 && inner->y1 >= outer->y1 && inner->x2 <= outer->x2 &&
	       inner->y2 <= outer->y2;
}

static void check_layout(const struct tsr_layout_params *params)
{
	struct tsr_layout layout;
	tsr_layout_compute(params, &layout);
	pixman_box32_t screen = {0, 0, (int32_t)params->output_width,
				 (int32_t)params->output_height};
	CHECK(box_inside(&layout.banner, &screen));
	uint32_t banner = params->banner_height * (params->scale ? params->scale : 1);
	CHECK_EQ_INT(tsr_box_height(&layout.banner),
		     banner < params->output_height ? banner : params->output_height);
	for (size_t i = 0; i < layout.domain_count; i++) {
		const struct tsr_domain_placement *a = &layout.domains[i];
		bool should_show = params->mode == TSR_LAYOUT_MOSAIC || (int)i == params->focused;
		CHECK(a->visible == should_show);
		if (!a->visible)
			continue;
		CHECK(box_inside(&a->frame, &screen));
		CHECK(box_inside(&a->content, &a->frame));
		CHECK(!boxes_overlap(&a->content, &layout.banner));
		CHECK(!boxes_overlap(&a->content, &a->label));
		CHECK(box_inside(&a->label, &a->frame));
		/* A tile too small for its decorations has no content at all. */
		uint32_t scale = params->scale ? params->scale : 1;
		uint32_t decorations_height = (params->mode == TSR_LAYOUT_MOSAIC
						   ? params->banner_height + params->border_width
						   : 2 * params->border_width) *
					      scale;
		if (tsr_box_height(&a->frame) <= decorations_height ||
		    tsr_box_width(&a->frame) <= 2 * params->border_width * scale) {
			CHECK(tsr_box_width(&a->content) == 0 || tsr_box_height(&a->content) == 0);
			continue;
		}
		/* The border is really there on the sides and at the bottom,
		 * scale times its 1x width. */
		CHECK_EQ_INT(a->content.x1 - a->frame.x1, params->border_width * scale);
		CHECK_EQ_INT(a->frame.x2 - a->content.x2, params->border_width * scale);
		CHECK_EQ_INT(a->frame.y2 - a->content.y2, params->border_width * scale);
		if (params->mode == TSR_LAYOUT_MOSAIC)
			CHECK_EQ_INT(tsr_box_height(&a->label), params->banner_height * scale);
		else
			CHECK_EQ_INT(a->content.y1 - a->frame.y1, params->border_width * scale);
		for (size_t j = 0; j < layout.domain_count; j++)
			if (j != i && layout.domains[j].visible)
				CHECK(!boxes_overlap(&a->frame, &layout.domains[j].frame));
	}
}

static void test_layout_invariants(void)
{
	static const uint32_t sizes[][2] = {{640, 400}, {1280, 800}, {1920, 1080}, {3840, 2160}};
	for (uint32_t scale = 0; scale <= TSR_OUTPUT_SCALE_MAX; scale++) {
		for (size_t s = 0; s < 4; s++) {
			for (size_t count = 1; count <= TSR_MAX_DOMAINS; count++) {
				for (int mode = 0; mode < 2; mode++) {
					struct tsr_layout_params params = {
					    .output_width = sizes[s][0],
					    .output_height = sizes[s][1],
					    .border_width = 4,
					    .banner_height = 28,
					    .scale = scale,
					    .domain_count = count,
					    .focused = (int)(count / 2),
					    .mode = mode ? TSR_LAYOUT_MOSAIC : TSR_LAYOUT_FOCUS,
					};
					check_layout(&params);
				}
			}
		}
	}
}

/* Scale 2: every decoration twice its 1x size, the content box exactly the
 * output minus them, and no content pixel on a decoration pixel. */
static void test_scale_2_boxes(void)
{
	struct tsr_layout_params params = {.output_width = 1280,
					   .output_height = 800,
					   .border_width = 4,
					   .banner_height = 28,
					   .scale = 2,
					   .domain_count = 3,
					   .focused = 1,
					   .mode = TSR_LAYOUT_FOCUS};
	struct tsr_layout layout;
	tsr_layout_compute(&params, &layout);
	CHECK_EQ_INT(layout.banner.y2, 56);
	const pixman_box32_t *content = &layout.domains[1].content;
	CHECK(content->x1 == 8 && content->y1 == 56 + 8 && content->x2 == 1280 - 8 &&
	      content->y2 == 800 - 8);
	/* Every output pixel is a decoration's (banner, border) or the
	 * content's, never both. */
	for (int32_t y = 0; y < 800; y += 1) {
		for (int32_t x = 0; x < 1280; x += 3) {
			bool in_content = x >= content->x1 && x < content->x2 && y >= content->y1 &&
					  y < content->y2;
			bool in_banner = y < layout.banner.y2;
			bool in_border = !in_banner && !in_content;
			CHECK(in_content + in_banner + in_border == 1);
			CHECK(tsr_layout_domain_at(&layout, x, y) == (in_content ? 1 : -1));
		}
	}
	/* The mosaic: name strips 56 high, borders 8, gaps 16. */
	params.mode = TSR_LAYOUT_MOSAIC;
	tsr_layout_compute(&params, &layout);
	const struct tsr_domain_placement *first = &layout.domains[0];
	CHECK_EQ_INT(first->frame.x1, 16);
	CHECK_EQ_INT(first->frame.y1, 56 + 16);
	CHECK_EQ_INT(tsr_box_height(&first->label), 56);
	CHECK_EQ_INT(first->content.y1, first->frame.y1 + 56);
	CHECK_EQ_INT(first->content.x1, first->frame.x1 + 8);
	/* Compared with scale 1, the content is smaller by the extra decoration. */
	struct tsr_layout one;
	params.scale = 1;
	tsr_layout_compute(&params, &one);
	CHECK(tsr_box_width(&one.domains[0].content) > tsr_box_width(&first->content));
	CHECK(tsr_box_height(&one.domains[0].content) > tsr_box_height(&first->content));
}

static void test_domain_at(void)
{
	struct tsr_layout_params params = {.output_width = 640,
					   .output_height = 400,
					   .border_width = 4,
					   .banner_height = 28,
					   .domain_count = 4,
					   .focused = 0,
					   .mode = TSR_LAYOUT_MOSAIC};
	struct tsr_layout layout;
	tsr_layout_compute(&params, &layout);
	for (size_t i = 0; i < 4; i++) {
		const pixman_box32_t *c = &layout.domains[i].content;
		CHECK_EQ_INT(tsr_layout_domain_at(&layout, c->x1, c->y1), i);
		CHECK_EQ_INT(tsr_layout_domain_at(&layout, c->x2 - 1, c->y2 - 1), i);
		/* Borders and labels belong to no guest. */
		CHECK_EQ_INT(tsr_layout_domain_at(&layout, c->x1 - 1, c->y1), -1);
		CHECK_EQ_INT(tsr_layout_domain_at(&layout, c->x1, c->y1 - 1), -1);
	}
	CHECK_EQ_INT(tsr_layout_domain_at(&layout, 5, 5), -1); /* banner */
}

static void test_tiny_output_does_not_underflow(void)
{
	struct tsr_layout_params params = {.output_width = 64,
					   .output_height = 64,
					   .border_width = 64,
					   .banner_height = 128,
					   .domain_count = 32,
					   .focused = 3,
					   .mode = TSR_LAYOUT_MOSAIC};
	struct tsr_layout layout;
	tsr_layout_compute(&params, &layout);
	for (size_t i = 0; i < 32; i++) {
		CHECK(layout.domains[i].content.x2 >= layout.domains[i].content.x1);
		CHECK(layout.domains[i].content.y2 >= layout.domains[i].content.y1);
	}
}

/* Fixed-size displays (PV display connectors): the view math. */

static struct tsr_layout_displays displays_of(size_t count, const uint32_t (*sizes)[2])
{
	struct tsr_layout_displays displays = {.count = count};
	for (size_t i = 0; i < count; i++)
		displays.displays[i] = (struct tsr_layout_display){
		    .id = (uint32_t)i + 1, .width = sizes[i][0], .height = sizes[i][1]};
	return displays;
}

/* The invariants every view keeps, whatever the sizes: slots side by side
 * covering the content box exactly, images inside their slots (the frame
 * property for scaled content), 1:1 exactly when the display fits, and
 * otherwise scaled down with its aspect kept to within a pixel, touching
 * the slot on one axis and centred on both. */
static void check_views(const struct tsr_domain_placement *placement,
			const struct tsr_layout_displays *displays)
{
	const pixman_box32_t *content = &placement->content;
	CHECK_EQ_INT(placement->view_count, displays->count);
	int32_t next_x = content->x1;
	for (size_t i = 0; i < placement->view_count; i++) {
		const struct tsr_display_view *view = &placement->views[i];
		const struct tsr_layout_display *display = &displays->displays[i];
		CHECK_EQ_INT(view->id, display->id);
		CHECK_EQ_INT(view->slot.x1, next_x);
		CHECK_EQ_INT(view->slot.y1, content->y1);
		CHECK_EQ_INT(view->slot.y2, content->y2);
		next_x = view->slot.x2;
		CHECK(box_inside(&view->slot, content));
		CHECK(box_inside(&view->image, &view->slot));
		uint32_t slot_w = tsr_box_width(&view->slot), slot_h = tsr_box_height(&view->slot);
		uint32_t w = tsr_box_width(&view->image), h = tsr_box_height(&view->image);
		if (slot_w == 0 || slot_h == 0) {
			CHECK(w == 0 || h == 0);
			continue;
		}
		bool fits = display->width <= slot_w && display->height <= slot_h;
		CHECK(view->scaled == !fits);
		if (fits) {
			CHECK_EQ_INT(w, display->width);
			CHECK_EQ_INT(h, display->height);
		} else {
			CHECK(w >= 1 && h >= 1);
			CHECK(w < display->width || h < display->height);
			CHECK(w == slot_w || h == slot_h);
			/* Aspect kept: w/h within a pixel of width/height. */
			int64_t cross = (int64_t)w * display->height - (int64_t)h * display->width;
			int64_t cross_limit = (int64_t)display->width + display->height;
			CHECK(cross <= cross_limit && cross >= -cross_limit);
		}
		/* Centred within a pixel. */
		int32_t left = view->image.x1 - view->slot.x1,
			right = view->slot.x2 - view->image.x2;
		int32_t top = view->image.y1 - view->slot.y1,
			bottom = view->slot.y2 - view->image.y2;
		CHECK(left - right >= -1 && left - right <= 1);
		CHECK(top - bottom >= -1 && top - bottom <= 1);
	}
	if (placement->view_count > 0)
		CHECK_EQ_INT(next_x, content->x2);
}

static struct tsr_layout layout_with(uint32_t width, uint32_t height, size_t domain_count,
				     enum tsr_layout_mode mode, int fixed_domain,
				     const struct tsr_layout_displays *displays)
{
	static struct tsr_layout_displays fixed[TSR_MAX_DOMAINS];
	memset(fixed, 0, sizeof(fixed));
	fixed[fixed_domain] = *displays;
	struct tsr_layout_params params = {.output_width = width,
					   .output_height = height,
					   .border_width = 4,
					   .banner_height = 48,
					   .domain_count = domain_count,
					   .focused = fixed_domain,
					   .mode = mode,
					   .fixed = fixed};
	struct tsr_layout layout;
	tsr_layout_compute(&params, &layout);
	return layout;
}

static void test_display_that_fits_is_centred_1_to_1(void)
{
	static const uint32_t size[][2] = {{1024, 600}};
	struct tsr_layout_displays displays = displays_of(1, size);
	struct tsr_layout layout = layout_with(1280, 800, 3, TSR_LAYOUT_FOCUS, 1, &displays);
	const struct tsr_domain_placement *placement = &layout.domains[1];
	check_views(placement, &displays);
	const struct tsr_display_view *view = &placement->views[0];
	CHECK(!view->scaled);
	/* Content 1272x744 at (4, 52): (1272-1024)/2 = 124, (744-600)/2 = 72. */
	CHECK_EQ_INT(view->image.x1, 4 + 124);
	CHECK_EQ_INT(view->image.y1, 52 + 72);
	CHECK_EQ_INT(view->image.x2, 4 + 124 + 1024);
	CHECK_EQ_INT(view->image.y2, 52 + 72 + 600);
	/* The content size itself fits exactly: no background at all. */
	static const uint32_t exact[][2] = {{1272, 744}};
	displays = displays_of(1, exact);
	layout = layout_with(1280, 800, 3, TSR_LAYOUT_FOCUS, 1, &displays);
	view = &layout.domains[1].views[0];
	CHECK(!view->scaled);
	CHECK(memcmp(&view->image, &layout.domains[1].content, sizeof(view->image)) == 0);
	/* Agents (no displays) get no views. */
	CHECK_EQ_INT(layout.domains[0].view_count, 0);
}

static void test_display_too_large_is_scaled_down(void)
{
	static const uint32_t size[][2] = {{1920, 1080}};
	struct tsr_layout_displays displays = displays_of(1, size);
	struct tsr_layout layout = layout_with(1280, 800, 3, TSR_LAYOUT_FOCUS, 0, &displays);
	check_views(&layout.domains[0], &displays);
	const struct tsr_display_view *view = &layout.domains[0].views[0];
	CHECK(view->scaled);
	/* Width-limited: 1272 wide, 1080 * 1272 / 1920 = 715 high, centred. */
	CHECK_EQ_INT(tsr_box_width(&view->image), 1272);
	CHECK_EQ_INT(tsr_box_height(&view->image), 715);
	CHECK_EQ_INT(view->image.y1, 52 + (744 - 715) / 2);
	/* Taller than wide: height-limited. */
	static const uint32_t tall[][2] = {{800, 1600}};
	displays = displays_of(1, tall);
	layout = layout_with(1280, 800, 3, TSR_LAYOUT_FOCUS, 0, &displays);
	check_views(&layout.domains[0], &displays);
	view = &layout.domains[0].views[0];
	CHECK_EQ_INT(tsr_box_height(&view->image), 744);
	CHECK_EQ_INT(tsr_box_width(&view->image), 372);
}

static void test_several_connectors_side_by_side(void)
{
	static const uint32_t sizes[][2] = {{1024, 768}, {800, 600}, {640, 480}, {1, 1}};
	for (size_t count = 1; count <= 4; count++) {
		struct tsr_layout_displays displays = displays_of(count, sizes);
		for (int mode = 0; mode < 2; mode++) {
			struct tsr_layout layout =
			    layout_with(1920, 1080, 3, mode ? TSR_LAYOUT_MOSAIC : TSR_LAYOUT_FOCUS,
					2, &displays);
			check_views(&layout.domains[2], &displays);
		}
	}
	/* Two connectors whose widths add up to the content width fit 1:1. */
	static const uint32_t halves[][2] = {{636, 744}, {636, 744}};
	struct tsr_layout_displays displays = displays_of(2, halves);
	struct tsr_layout layout = layout_with(1280, 800, 1, TSR_LAYOUT_FOCUS, 0, &displays);
	check_views(&layout.domains[0], &displays);
	CHECK(!layout.domains[0].views[0].scaled && !layout.domains[0].views[1].scaled);
	CHECK_EQ_INT(layout.domains[0].views[1].image.x1, 4 + 636);
	/* Slots in proportion to widths: one scale for displays of one height. */
	static const uint32_t wide_narrow[][2] = {{2000, 1000}, {1000, 1000}};
	displays = displays_of(2, wide_narrow);
	layout = layout_with(1280, 800, 1, TSR_LAYOUT_FOCUS, 0, &displays);
	const struct tsr_display_view *views = layout.domains[0].views;
	CHECK(views[0].scaled && views[1].scaled);
	CHECK_EQ_INT(tsr_box_height(&views[0].image), tsr_box_height(&views[1].image));
}

static void test_extreme_display_sizes(void)
{
	static const uint32_t sizes[][2] = {{1, 1}, {4095, 2047}, {4095, 1}, {1, 2047}};
	static const uint32_t outputs[][2] = {{640, 400}, {1280, 800}, {3840, 2160}, {64, 64}};
	for (size_t s = 0; s < 4; s++) {
		for (size_t o = 0; o < 4; o++) {
			for (size_t count = 1; count <= 9; count += 4) {
				for (int mode = 0; mode < 2; mode++) {
					struct tsr_layout_displays displays =
					    displays_of(1, &sizes[s]);
					struct tsr_layout layout =
					    layout_with(outputs[o][0], outputs[o][1], count,
							mode ? TSR_LAYOUT_MOSAIC : TSR_LAYOUT_FOCUS,
							(int)(count - 1), &displays);
					check_views(&layout.domains[count - 1], &displays);
				}
			}
		}
	}
	/* 1x1 is always 1:1 in a real frame; 4095x2047 is scaled in 1280x800. */
	static const uint32_t one[][2] = {{1, 1}};
	struct tsr_layout_displays displays = displays_of(1, one);
	struct tsr_layout layout = layout_with(1280, 800, 3, TSR_LAYOUT_FOCUS, 0, &displays);
	CHECK(!layout.domains[0].views[0].scaled);
	static const uint32_t biggest[][2] = {{4095, 2047}};
	displays = displays_of(1, biggest);
	layout = layout_with(1280, 800, 3, TSR_LAYOUT_FOCUS, 0, &displays);
	CHECK_EQ_INT(tsr_box_width(&layout.domains[0].views[0].image), 1272);
	CHECK_EQ_INT(tsr_box_height(&layout.domains[0].views[0].image), 2047 * 1272 / 4095);
}

static void test_mosaic_scales_whenever_the_tile_is_smaller(void)
{
	static const uint32_t size[][2] = {{1272, 744}}; /* fits the focus layout exactly */
	struct tsr_layout_displays displays = displays_of(1, size);
	struct tsr_layout focus = layout_with(1280, 800, 3, TSR_LAYOUT_FOCUS, 1, &displays);
	CHECK(!focus.domains[1].views[0].scaled);
	struct tsr_layout mosaic = layout_with(1280, 800, 3, TSR_LAYOUT_MOSAIC, 1, &displays);
	check_views(&mosaic.domains[1], &displays);
	CHECK(mosaic.domains[1].views[0].scaled);
	/* In every other tile the scaled display stays out of the frames. */
	for (size_t i = 0; i < 3; i++)
		if (i != 1)
			CHECK(!boxes_overlap(&mosaic.domains[1].views[0].image,
					     &mosaic.domains[i].frame));
	CHECK(!boxes_overlap(&mosaic.domains[1].views[0].image, &mosaic.domains[1].label));
	/* A display smaller than the tile stays 1:1 even in the mosaic. */
	static const uint32_t small[][2] = {{100, 80}};
	displays = displays_of(1, small);
	mosaic = layout_with(1280, 800, 3, TSR_LAYOUT_MOSAIC, 1, &displays);
	CHECK(!mosaic.domains[1].views[0].scaled);
}

/* Damage maps a display box to output pixels covering its scaled image,
 * grown by the filter footprint, never outside the image. */
static void test_display_damage_mapping(void)
{
	static const uint32_t size[][2] = {{1920, 1080}};
	struct tsr_layout_displays displays = displays_of(1, size);
	struct tsr_layout layout = layout_with(1280, 800, 3, TSR_LAYOUT_FOCUS, 0, &displays);
	const struct tsr_display_view *view = &layout.domains[0].views[0];
	pixman_box32_t all = {0, 0, 1920, 1080};
	pixman_box32_t mapped = tsr_display_view_damage(view, &all);
	CHECK(memcmp(&mapped, &view->image, sizeof(mapped)) == 0);
	/* One display pixel in the middle: at most a few output pixels, at
	 * least the one it scales to plus TSR_SCALE_FOOTPRINT each side. */
	pixman_box32_t one = {960, 540, 961, 541};
	mapped = tsr_display_view_damage(view, &one);
	int32_t centre_x = view->image.x1 + 960 * 1272 / 1920;
	int32_t centre_y = view->image.y1 + 540 * 715 / 1080;
	CHECK(mapped.x1 <= centre_x - TSR_SCALE_FOOTPRINT);
	CHECK(mapped.x2 >= centre_x + 1 + TSR_SCALE_FOOTPRINT);
	CHECK(mapped.y1 <= centre_y - TSR_SCALE_FOOTPRINT);
	CHECK(mapped.y2 >= centre_y + 1 + TSR_SCALE_FOOTPRINT);
	CHECK(tsr_box_width(&mapped) <= 2 + 2 * TSR_SCALE_FOOTPRINT);
	/* Hostile boxes are clipped to the display, then to the image. */
	pixman_box32_t hostile = {INT32_MIN, INT32_MIN, INT32_MAX, INT32_MAX};
	mapped = tsr_display_view_damage(view, &hostile);
	CHECK(memcmp(&mapped, &view->image, sizeof(mapped)) == 0);
	pixman_box32_t outside = {5000, 5000, 6000, 6000};
	mapped = tsr_display_view_damage(view, &outside);
	CHECK(mapped.x2 <= mapped.x1 || mapped.y2 <= mapped.y1);
	/* 1:1: a plain translation, no footprint. */
	static const uint32_t small[][2] = {{640, 480}};
	displays = displays_of(1, small);
	layout = layout_with(1280, 800, 3, TSR_LAYOUT_FOCUS, 0, &displays);
	view = &layout.domains[0].views[0];
	pixman_box32_t box = {10, 20, 30, 40};
	mapped = tsr_display_view_damage(view, &box);
	CHECK_EQ_INT(mapped.x1, view->image.x1 + 10);
	CHECK_EQ_INT(mapped.y1, view->image.y1 + 20);
	CHECK_EQ_INT(mapped.x2, view->image.x1 + 30);
	CHECK_EQ_INT(mapped.y2, view->image.y1 + 40);
}

/* The pointer maps back to the display pixel under it, clamped. */
static void test_pointer_to_display(void)
{
	static const uint32_t sizes[][2] = {{1920, 1080}, {640, 480}};
	struct tsr_layout_displays displays = displays_of(2, sizes);
	struct tsr_layout layout = layout_with(1280, 800, 3, TSR_LAYOUT_FOCUS, 0, &displays);
	const struct tsr_domain_placement *placement = &layout.domains[0];
	for (size_t i = 0; i < 2; i++) {
		const struct tsr_display_view *view = &placement->views[i];
		int32_t x, y;
		CHECK(tsr_layout_display_at(placement, view->slot.x1, view->slot.y1) == view);
		CHECK(tsr_layout_display_at(placement, view->slot.x2 - 1, view->slot.y2 - 1) ==
		      view);
		tsr_display_view_to_display(view, view->image.x1, view->image.y1, &x, &y);
		CHECK_EQ_INT(x, 0);
		CHECK_EQ_INT(y, 0);
		tsr_display_view_to_display(view, view->image.x2 - 1, view->image.y2 - 1, &x, &y);
		CHECK_EQ_INT(x, view->width - 1);
		CHECK_EQ_INT(y, view->height - 1);
		/* The background around the image clamps to its edge. */
		tsr_display_view_to_display(view, view->slot.x1, view->slot.y2 - 1, &x, &y);
		CHECK_EQ_INT(x, 0);
		CHECK_EQ_INT(y, view->height - 1);
		tsr_display_view_to_display(view, INT32_MIN, INT32_MAX, &x, &y);
		CHECK_EQ_INT(x, 0);
		CHECK_EQ_INT(y, view->height - 1);
		/* Every output pixel of the image maps to a display pixel whose
		 * own damage covers it: forward and back agree. */
		for (int32_t oy = view->image.y1; oy < view->image.y2; oy += 7) {
			for (int32_t ox = view->image.x1; ox < view->image.x2; ox += 5) {
				tsr_display_view_to_display(view, ox, oy, &x, &y);
				pixman_box32_t pixel = {x, y, x + 1, y + 1};
				pixman_box32_t back = tsr_display_view_damage(view, &pixel);
				CHECK(ox >= back.x1 && ox < back.x2 && oy >= back.y1 &&
				      oy < back.y2);
			}
		}
	}
	/* Points left or right of the content box go to the outer displays. */
	CHECK(tsr_layout_display_at(placement, INT32_MIN, 0) == &placement->views[0]);
	CHECK(tsr_layout_display_at(placement, INT32_MAX, 0) == &placement->views[1]);
	CHECK(tsr_layout_display_at(&layout.domains[1], 0, 0) == NULL);
	/* 1:1: exact translation. */
	const struct tsr_display_view *small = &placement->views[1];
	if (!small->scaled) {
		int32_t x, y;
		tsr_display_view_to_display(small, small->image.x1 + 17, small->image.y1 + 9, &x,
					    &y);
		CHECK_EQ_INT(x, 17);
		CHECK_EQ_INT(y, 9);
	}
}

/* Equal layouts compare equal whatever their padding holds; any moved box
 * or changed visibility makes them differ. */
static void test_layout_equal(void)
{
	struct tsr_layout_params params = {.output_width = 800,
					   .output_height = 600,
					   .border_width = 4,
					   .banner_height = 28,
					   .domain_count = 3,
					   .focused = 1,
					   .mode = TSR_LAYOUT_MOSAIC};
	struct tsr_layout a, b;
	tsr_layout_compute(&params, &a);
	memset(&b, 0xa5, sizeof(b));
	tsr_layout_compute(&params, &b);
	CHECK(tsr_layout_equal(&a, &b));
	b.domains[2].content.x2--;
	CHECK(!tsr_layout_equal(&a, &b));
	tsr_layout_compute(&params, &b);
	b.domains[0].visible = !b.domains[0].visible;
	CHECK(!tsr_layout_equal(&a, &b));
	params.mode = TSR_LAYOUT_FOCUS;
	tsr_layout_compute(&params, &b);
	CHECK(!tsr_layout_equal(&a, &b));
	params.output_width = 801;
	params.mode = TSR_LAYOUT_MOSAIC;
	tsr_layout_compute(&params, &b);
	CHECK(!tsr_layout_equal(&a, &b));
}

TSR_TEST_MAIN(TSR_CASE(test_layout_equal), TSR_CASE(test_layout_invariants),
	      TSR_CASE(test_scale_2_boxes), TSR_CASE(test_domain_at),
	      TSR_CASE(test_tiny_output_does_not_underflow),
	      TSR_CASE(test_display_that_fits_is_centred_1_to_1),
	      TSR_CASE(test_display_too_large_is_scaled_down),
	      TSR_CASE(test_several_connectors_side_by_side), TSR_CASE(test_extreme_display_sizes),
	      TSR_CASE(test_mosaic_scales_whenever_the_tile_is_smaller),
	      TSR_CASE(test_display_damage_mapping), TSR_CASE(test_pointer_to_display))
