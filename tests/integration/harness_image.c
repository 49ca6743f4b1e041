#include <stdio.h>

#include "harness_image.h"
#include "tessera/image.h"

struct tsr_buffer *harness_screenshot(struct harness *harness, const char *file, const char *output)
{
	char path[512], command[700], reply[800], err[256];
	harness_path(harness, file, path, sizeof(path));
	snprintf(command, sizeof(command), "screenshot %s%s%s", path, output ? " " : "",
		 output ? output : "");
	if (!harness_control(harness, command, reply, sizeof(reply))) {
		fprintf(stderr, "screenshot failed: %s\n", reply);
		return NULL;
	}
	struct tsr_buffer *image = tsr_png_read(path, err, sizeof(err));
	if (!image)
		fprintf(stderr, "%s\n", err);
	return image;
}

uint32_t harness_pixel(const struct tsr_buffer *image, int32_t x, int32_t y)
{
	return ((const uint32_t *)((const uint8_t *)image->data + (size_t)y * image->stride))[x] &
	       0xffffffu;
}
