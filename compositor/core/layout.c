/* Focus: a banner across the top, then the focused domain inside a border
 * in its colour, filling the rest. Mosaic: the banner, then a near-square
 * grid of tiles, each a name strip above a bordered content area. */
#include <string.h>

#include "core/layout.h"

#define MOSAIC_GAP 8

static pixman_box32_t make_box(int32_t x, int32_t y, int32_t width, int32_t height)
{
	if (width < 0)
		width = 0;
	if (height < 0)
		height = 0;
	return (pixman_box32_t){x, y, x + width, y + height};
}

static void place_domain(struct tsr_domain_placement *placement, pixman_box32_t frame,
			 int32_t border, int32_t label_height)
{
	placement->visible = true;
	placement->frame = frame;
	placement->label = make_box(frame.x1, frame.y1, frame.x2 - frame.x1, label_height);
	int32_t top = frame.y1 + (label_height > 0 ? label_height : border);
	placement->content = make_box(frame.x1 + border, top, frame.x2 - frame.x1 - 2 * border,
				      frame.y2 - border - top);
}

static uint32_t grid_columns(size_t count)
{
	uint32_t columns = 1;
	while ((size_t)columns * columns < count)
		columns++;
	return columns;
}

void tsr_layout_compute(const struct tsr_layout_params *params, struct tsr_layout *out)
{
	memset(out, 0, sizeof(*out));
	int32_t width = (int32_t)params->output_width;
	int32_t height = (int32_t)params->output_height;
	int32_t border = (int32_t)params->border_width;
	int32_t banner = (int32_t)params->banner_height;
	if (banner > height)
		banner = height;
	size_t count =
	    params->domain_count < TSR_MAX_DOMAINS ? params->domain_count : TSR_MAX_DOMAINS;
	out->domain_count = count;
	out->banner = make_box(0, 0, width, banner);

	if (params->mode == TSR_LAYOUT_FOCUS) {
		if (params->focused >= 0 && (size_t)params->focused < count)
			place_domain(&out->domains[params->focused],
				     make_box(0, banner, width, height - banner), border, 0);
		return;
	}

	if (count == 0)
		return;
	int32_t columns = (int32_t)grid_columns(count);
	int32_t rows = (int32_t)((count + (size_t)columns - 1) / (size_t)columns);
	int32_t tile_width = (width - MOSAIC_GAP * (columns + 1)) / columns;
	int32_t tile_height = (height - banner - MOSAIC_GAP * (rows + 1)) / rows;
	for (size_t i = 0; i < count; i++) {
		int32_t column = (int32_t)i % columns;
		int32_t row = (int32_t)i / columns;
		int32_t x = MOSAIC_GAP + column * (tile_width + MOSAIC_GAP);
		int32_t y = banner + MOSAIC_GAP + row * (tile_height + MOSAIC_GAP);
		place_domain(&out->domains[i], make_box(x, y, tile_width, tile_height), border,
			     banner);
	}
}

int tsr_layout_domain_at(const struct tsr_layout *layout, int32_t x, int32_t y)
{
	for (size_t i = 0; i < layout->domain_count; i++) {
		const struct tsr_domain_placement *placement = &layout->domains[i];
		if (!placement->visible)
			continue;
		const pixman_box32_t *box = &placement->content;
		if (x >= box->x1 && x < box->x2 && y >= box->y1 && y < box->y2)
			return (int)i;
	}
	return -1;
}
