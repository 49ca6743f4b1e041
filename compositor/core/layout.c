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
	int32_t frame_height = frame.y2 - frame.y1;
	placement->label = make_box(frame.x1, frame.y1, frame.x2 - frame.x1,
				    label_height < frame_height ? label_height : frame_height);
	int32_t top = frame.y1 + (label_height > 0 ? label_height : border);
	placement->content = make_box(frame.x1 + border, top, frame.x2 - frame.x1 - 2 * border,
				      frame.y2 - border - top);
	/* A tile too small for its decorations (many domains, a large scale)
	 * shows no content, and its empty box stays inside the frame. */
	if (tsr_box_width(&placement->content) == 0 || tsr_box_height(&placement->content) == 0)
		placement->content = make_box(frame.x1, frame.y1, 0, 0);
}

static uint32_t grid_columns(size_t count)
{
	uint32_t columns = 1;
	while ((size_t)columns * columns < count)
		columns++;
	return columns;
}

/* The size a width x height display is shown at in a slot_width x
 * slot_height slot: itself when it fits, else scaled down to touch the
 * slot on one axis, the other rounded down (never 0). 64-bit products of
 * 32-bit sizes cannot overflow. */
static void shown_size(uint32_t width, uint32_t height, uint32_t slot_width, uint32_t slot_height,
		       uint32_t *shown_width, uint32_t *shown_height)
{
	if (slot_width == 0 || slot_height == 0 || width == 0 || height == 0) {
		*shown_width = *shown_height = 0;
	} else if (width <= slot_width && height <= slot_height) {
		*shown_width = width;
		*shown_height = height;
	} else if ((uint64_t)slot_width * height <= (uint64_t)slot_height * width) {
		*shown_width = slot_width;
		uint64_t scaled = (uint64_t)height * slot_width / width;
		*shown_height = scaled > 0 ? (uint32_t)scaled : 1;
	} else {
		*shown_height = slot_height;
		uint64_t scaled = (uint64_t)width * slot_height / height;
		*shown_width = scaled > 0 ? (uint32_t)scaled : 1;
	}
}

void tsr_layout_place_displays(const pixman_box32_t *content,
			       const struct tsr_layout_displays *displays,
			       struct tsr_display_view *views)
{
	size_t count = displays->count < TSR_MAX_SURFACES_PER_GUEST ? displays->count
								    : TSR_MAX_SURFACES_PER_GUEST;
	uint64_t total_width = 0;
	for (size_t i = 0; i < count; i++)
		total_width += displays->displays[i].width;
	uint64_t content_width = tsr_box_width(content);
	uint32_t slot_height = tsr_box_height(content);
	uint64_t before = 0; /* summed width of the displays left of this one */
	for (size_t i = 0; i < count; i++) {
		const struct tsr_layout_display *display = &displays->displays[i];
		struct tsr_display_view *view = &views[i];
		int32_t x1 = content->x1, x2 = content->x1;
		if (total_width > 0) {
			x1 = content->x1 + (int32_t)(content_width * before / total_width);
			before += display->width;
			x2 = content->x1 + (int32_t)(content_width * before / total_width);
		}
		uint32_t shown_width, shown_height;
		shown_size(display->width, display->height, (uint32_t)(x2 - x1), slot_height,
			   &shown_width, &shown_height);
		int32_t left = x1 + (int32_t)((uint32_t)(x2 - x1) - shown_width) / 2;
		int32_t top = content->y1 + (int32_t)(slot_height - shown_height) / 2;
		*view = (struct tsr_display_view){
		    .id = display->id,
		    .width = display->width,
		    .height = display->height,
		    .slot = make_box(x1, content->y1, x2 - x1, (int32_t)slot_height),
		    .image = make_box(left, top, (int32_t)shown_width, (int32_t)shown_height),
		    .scaled = shown_width != display->width || shown_height != display->height,
		};
	}
}

static void place_all_displays(const struct tsr_layout_params *params, struct tsr_layout *out)
{
	if (!params->fixed)
		return;
	for (size_t i = 0; i < out->domain_count; i++) {
		struct tsr_domain_placement *placement = &out->domains[i];
		if (!placement->visible || params->fixed[i].count == 0)
			continue;
		tsr_layout_place_displays(&placement->content, &params->fixed[i], placement->views);
		placement->view_count = params->fixed[i].count < TSR_MAX_SURFACES_PER_GUEST
					    ? params->fixed[i].count
					    : TSR_MAX_SURFACES_PER_GUEST;
	}
}

void tsr_layout_compute(const struct tsr_layout_params *params, struct tsr_layout *out)
{
	memset(out, 0, sizeof(*out));
	int32_t width = (int32_t)params->output_width;
	int32_t height = (int32_t)params->output_height;
	/* The configuration bounds border (64) and banner (128): the
	 * products stay small. */
	int32_t scale = params->scale >= 1 && params->scale <= TSR_OUTPUT_SCALE_MAX
			    ? (int32_t)params->scale
			    : 1;
	int32_t border = (int32_t)params->border_width * scale;
	int32_t banner = (int32_t)params->banner_height * scale;
	int32_t gap = MOSAIC_GAP * scale;
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
		place_all_displays(params, out);
		return;
	}

	if (count == 0)
		return;
	int32_t columns = (int32_t)grid_columns(count);
	int32_t rows = (int32_t)((count + (size_t)columns - 1) / (size_t)columns);
	int32_t tile_width = (width - gap * (columns + 1)) / columns;
	int32_t tile_height = (height - banner - gap * (rows + 1)) / rows;
	for (size_t i = 0; i < count; i++) {
		int32_t column = (int32_t)i % columns;
		int32_t row = (int32_t)i / columns;
		int32_t x = gap + column * (tile_width + gap);
		int32_t y = banner + gap + row * (tile_height + gap);
		place_domain(&out->domains[i], make_box(x, y, tile_width, tile_height), border,
			     banner);
	}
	place_all_displays(params, out);
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

/* floor(value * numerator / denominator) and its ceiling, for the
 * non-negative values of display and box coordinates (64 bits: no overflow). */
static int64_t scale_down(int64_t value, uint32_t numerator, uint32_t denominator)
{
	return value * numerator / denominator;
}

static int64_t scale_up(int64_t value, uint32_t numerator, uint32_t denominator)
{
	return (value * numerator + denominator - 1) / denominator;
}

static int32_t clamp32(int64_t value, int32_t low, int32_t high)
{
	return value < low ? low : value > high ? high : (int32_t)value;
}

pixman_box32_t tsr_display_view_damage(const struct tsr_display_view *view,
				       const pixman_box32_t *surface_box)
{
	const pixman_box32_t *image = &view->image;
	uint32_t shown_width = tsr_box_width(image), shown_height = tsr_box_height(image);
	pixman_box32_t empty = {image->x1, image->y1, image->x1, image->y1};
	if (shown_width == 0 || shown_height == 0 || view->width == 0 || view->height == 0)
		return empty;
	int64_t x1 = surface_box->x1 < 0 ? 0 : surface_box->x1;
	int64_t y1 = surface_box->y1 < 0 ? 0 : surface_box->y1;
	int64_t x2 =
	    surface_box->x2 > (int64_t)view->width ? (int64_t)view->width : surface_box->x2;
	int64_t y2 =
	    surface_box->y2 > (int64_t)view->height ? (int64_t)view->height : surface_box->y2;
	if (x1 >= x2 || y1 >= y2)
		return empty;
	int64_t grow = view->scaled ? TSR_SCALE_FOOTPRINT : 0;
	pixman_box32_t out = {
	    clamp32(image->x1 + scale_down(x1, shown_width, view->width) - grow, image->x1,
		    image->x2),
	    clamp32(image->y1 + scale_down(y1, shown_height, view->height) - grow, image->y1,
		    image->y2),
	    clamp32(image->x1 + scale_up(x2, shown_width, view->width) + grow, image->x1,
		    image->x2),
	    clamp32(image->y1 + scale_up(y2, shown_height, view->height) + grow, image->y1,
		    image->y2),
	};
	return out;
}

const struct tsr_display_view *tsr_layout_display_at(const struct tsr_domain_placement *placement,
						     int32_t x, int32_t y)
{
	if (placement->view_count == 0)
		return NULL;
	for (size_t i = 0; i < placement->view_count; i++)
		if (x < placement->views[i].slot.x2)
			return &placement->views[i];
	return &placement->views[placement->view_count - 1];
}

/* The display coordinate for output pixel offset (clamped to 0..shown-1):
 * linear from the first pixel to the last, rounded, so that the image's
 * edge pixels reach the display's edges (where guests put their menus and
 * hot corners); 1:1 it is the identity. */
static int32_t to_display(int64_t offset, uint32_t shown, uint32_t size)
{
	if (shown == 0 || size == 0)
		return 0;
	if (offset < 0)
		offset = 0;
	if (offset >= shown)
		offset = shown - 1;
	if (shown == 1)
		return (int32_t)(size / 2);
	int64_t span = (int64_t)shown - 1;
	int64_t pixel = (2 * offset * ((int64_t)size - 1) + span) / (2 * span);
	return clamp32(pixel, 0, (int32_t)size - 1);
}

void tsr_display_view_to_display(const struct tsr_display_view *view, int32_t x, int32_t y,
				 int32_t *display_x, int32_t *display_y)
{
	*display_x =
	    to_display((int64_t)x - view->image.x1, tsr_box_width(&view->image), view->width);
	*display_y =
	    to_display((int64_t)y - view->image.y1, tsr_box_height(&view->image), view->height);
}

static bool box_equal(const pixman_box32_t *a, const pixman_box32_t *b)
{
	return a->x1 == b->x1 && a->y1 == b->y1 && a->x2 == b->x2 && a->y2 == b->y2;
}

static bool view_equal(const struct tsr_display_view *a, const struct tsr_display_view *b)
{
	return a->id == b->id && a->width == b->width && a->height == b->height &&
	       box_equal(&a->slot, &b->slot) && box_equal(&a->image, &b->image) &&
	       a->scaled == b->scaled;
}

static bool placement_equal(const struct tsr_domain_placement *a,
			    const struct tsr_domain_placement *b)
{
	if (a->visible != b->visible || !box_equal(&a->frame, &b->frame) ||
	    !box_equal(&a->content, &b->content) || !box_equal(&a->label, &b->label) ||
	    a->view_count != b->view_count)
		return false;
	for (size_t i = 0; i < a->view_count && i < TSR_MAX_SURFACES_PER_GUEST; i++)
		if (!view_equal(&a->views[i], &b->views[i]))
			return false;
	return true;
}

bool tsr_layout_equal(const struct tsr_layout *a, const struct tsr_layout *b)
{
	if (a->domain_count != b->domain_count || !box_equal(&a->banner, &b->banner))
		return false;
	for (size_t i = 0; i < a->domain_count && i < TSR_MAX_DOMAINS; i++)
		if (!placement_equal(&a->domains[i], &b->domains[i]))
			return false;
	return true;
}
