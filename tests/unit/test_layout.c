/* Layout invariants for every domain count and a range of output sizes:
 * everything inside the output, content boxes disjoint from each other,
 * from the banner and from every frame's border and label. */
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
		/* The border is really there on the sides and at the bottom. */
		CHECK_EQ_INT(a->content.x1 - a->frame.x1, params->border_width);
		CHECK_EQ_INT(a->frame.x2 - a->content.x2, params->border_width);
		CHECK_EQ_INT(a->frame.y2 - a->content.y2, params->border_width);
		for (size_t j = 0; j < layout.domain_count; j++)
			if (j != i && layout.domains[j].visible)
				CHECK(!boxes_overlap(&a->frame, &layout.domains[j].frame));
	}
}

static void test_layout_invariants(void)
{
	static const uint32_t sizes[][2] = {{640, 400}, {1280, 800}, {1920, 1080}, {3840, 2160}};
	for (size_t s = 0; s < 4; s++) {
		for (size_t count = 1; count <= TSR_MAX_DOMAINS; count++) {
			for (int mode = 0; mode < 2; mode++) {
				struct tsr_layout_params params = {
				    .output_width = sizes[s][0],
				    .output_height = sizes[s][1],
				    .border_width = 4,
				    .banner_height = 28,
				    .domain_count = count,
				    .focused = (int)(count / 2),
				    .mode = mode ? TSR_LAYOUT_MOSAIC : TSR_LAYOUT_FOCUS,
				};
				check_layout(&params);
			}
		}
	}
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

TSR_TEST_MAIN(TSR_CASE(test_layout_invariants), TSR_CASE(test_domain_at),
	      TSR_CASE(test_tiny_output_does_not_underflow))
