/* The rules, in the order they are reported: the first that fails names
 * the reason in the log line and in the tests. */
#include <drm_fourcc.h>

#include "core/scanout_policy.h"

int tsr_scanout_choose(const struct tsr_scanout_facts *facts, const char **why)
{
	const struct tsr_buffer *buffer = facts->buffer;
	const char *reason = NULL;
	if (!facts->backend_can)
		reason = "the output has no scanout";
	else if (facts->forbidden)
		reason = "scanout switched off";
	else if (facts->locked)
		reason = "locked";
	else if (facts->mode != TSR_LAYOUT_FOCUS)
		reason = "mosaic layout";
	else if (facts->shown < 0 || !facts->visible)
		reason = "no domain shown";
	else if (facts->view_count > 0)
		reason = "a fixed-size display";
	else if (!buffer)
		reason = "no buffer";
	else if (buffer->dmabuf_fd < 0)
		reason = "the buffer is not a dma-buf";
	else if (buffer->format != DRM_FORMAT_XRGB8888)
		reason = "the buffer is not opaque XRGB8888";
	else if ((int64_t)buffer->width != (int64_t)facts->content.x2 - facts->content.x1 ||
		 (int64_t)buffer->height != (int64_t)facts->content.y2 - facts->content.y1)
		reason = "the buffer is not the size of its content box";
	else if (facts->software_cursor)
		reason = "the cursor is drawn in software";
	*why = reason ? reason : "";
	return reason ? -1 : facts->shown;
}
