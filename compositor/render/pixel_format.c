/* What each pixel format Tessera shows is made of: one table for the
 * renderer, the core's checks and the PV display decoder (which is built
 * into its fuzz target on its own, hence a file of its own). */
#include <drm_fourcc.h>

#include "tessera/buffer.h"

uint32_t tsr_buffer_format_bpp(uint32_t fourcc)
{
	switch (fourcc) {
	case DRM_FORMAT_XRGB8888:
	case DRM_FORMAT_ARGB8888:
		return 4;
	case DRM_FORMAT_RGB888:
		return 3;
	case DRM_FORMAT_RGB565:
	case DRM_FORMAT_XRGB4444:
	case DRM_FORMAT_ARGB4444:
	case DRM_FORMAT_XRGB1555:
	case DRM_FORMAT_ARGB1555:
	case DRM_FORMAT_YUYV:
		return 2;
	default:
		return 0;
	}
}

bool tsr_buffer_format_opaque(uint32_t fourcc)
{
	switch (fourcc) {
	case DRM_FORMAT_XRGB8888:
	case DRM_FORMAT_RGB888:
	case DRM_FORMAT_RGB565:
	case DRM_FORMAT_XRGB4444:
	case DRM_FORMAT_XRGB1555:
	case DRM_FORMAT_YUYV:
		return true;
	default:
		return false;
	}
}
