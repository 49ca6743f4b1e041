#include <string.h>

#include "core/arrangement.h"

static bool overlaps(const pixman_box32_t *a, const pixman_box32_t *b)
{
	return a->x1 < b->x2 && b->x1 < a->x2 && a->y1 < b->y2 && b->y1 < a->y2;
}

void tsr_arrangement_place(const struct tsr_output_config *config,
			   const struct tsr_arrangement_output *outputs, size_t count,
			   pixman_box32_t *boxes, bool *overlapped)
{
	bool placed[TSR_MAX_OUTPUT_SECTIONS * 4] = {false};
	size_t limit =
	    count < sizeof(placed) / sizeof(placed[0]) ? count : sizeof(placed) / sizeof(placed[0]);
	int32_t right = 0;
	for (size_t i = 0; i < limit; i++) {
		if (overlapped)
			overlapped[i] = false;
		const struct tsr_output_head_config *head =
		    tsr_config_find_head(config, outputs[i].name);
		if (!head || !head->positioned)
			continue;
		pixman_box32_t box = {head->x, head->y, head->x + (int32_t)outputs[i].width,
				      head->y + (int32_t)outputs[i].height};
		bool clash = false;
		for (size_t j = 0; j < i && !clash; j++)
			clash = placed[j] && overlaps(&box, &boxes[j]);
		if (clash) {
			if (overlapped)
				overlapped[i] = true;
			continue;
		}
		boxes[i] = box;
		placed[i] = true;
		if (box.x2 > right)
			right = box.x2;
	}
	for (size_t i = 0; i < limit; i++) {
		if (placed[i])
			continue;
		boxes[i] = (pixman_box32_t){right, 0, right + (int32_t)outputs[i].width,
					    (int32_t)outputs[i].height};
		placed[i] = true;
		right = boxes[i].x2;
	}
}

int tsr_arrangement_output_at(const pixman_box32_t *boxes, size_t count, int32_t x, int32_t y)
{
	for (size_t i = 0; i < count; i++)
		if (x >= boxes[i].x1 && x < boxes[i].x2 && y >= boxes[i].y1 && y < boxes[i].y2)
			return (int)i;
	return -1;
}

static int32_t clamp_into(int32_t value, int32_t low, int32_t high_exclusive)
{
	if (value < low)
		return low;
	if (value >= high_exclusive)
		return high_exclusive - 1;
	return value;
}

void tsr_arrangement_constrain(const pixman_box32_t *boxes, size_t count, int from, int32_t *x,
			       int32_t *y)
{
	if (tsr_arrangement_output_at(boxes, count, *x, *y) >= 0)
		return;
	if (from >= 0 && (size_t)from < count && boxes[from].x2 > boxes[from].x1 &&
	    boxes[from].y2 > boxes[from].y1) {
		*x = clamp_into(*x, boxes[from].x1, boxes[from].x2);
		*y = clamp_into(*y, boxes[from].y1, boxes[from].y2);
		return;
	}
	int64_t best = -1;
	int32_t best_x = *x, best_y = *y;
	for (size_t i = 0; i < count; i++) {
		if (boxes[i].x2 <= boxes[i].x1 || boxes[i].y2 <= boxes[i].y1)
			continue;
		int32_t cx = clamp_into(*x, boxes[i].x1, boxes[i].x2);
		int32_t cy = clamp_into(*y, boxes[i].y1, boxes[i].y2);
		int64_t dx = (int64_t)cx - *x, dy = (int64_t)cy - *y;
		int64_t distance = dx * dx + dy * dy;
		if (best < 0 || distance < best) {
			best = distance;
			best_x = cx;
			best_y = cy;
		}
	}
	*x = best_x;
	*y = best_y;
}

void tsr_arrangement_extent(const pixman_box32_t *boxes, size_t count, uint32_t *width,
			    uint32_t *height)
{
	int32_t right = 1, bottom = 1;
	for (size_t i = 0; i < count; i++) {
		if (boxes[i].x2 > right)
			right = boxes[i].x2;
		if (boxes[i].y2 > bottom)
			bottom = boxes[i].y2;
	}
	*width = (uint32_t)right;
	*height = (uint32_t)bottom;
}
