/* The picture the passthrough domU shows on the GPU it was handed
 * (gpu_domu_pattern.c draws it; gpu_xen_screen.c checks QEMU's screendump
 * against it). A pure function of the position and the mode's size, so a
 * screendump can be compared pixel for pixel: eight vertical colour bars
 * that nothing else on the test's screens has, darkened on a 32-pixel
 * checker so a shifted or scaled copy does not match either. */
#ifndef TSR_TESTS_VM_GPU_XEN_PATTERN_H
#define TSR_TESTS_VM_GPU_XEN_PATTERN_H

#include <stdint.h>

/* 0x00RRGGBB of pixel (x, y) of a width x height mode. */
static inline uint32_t gpu_xen_pattern_pixel(uint32_t x, uint32_t y, uint32_t width)
{
	static const uint32_t bars[8] = {0xe03070, 0x30e070, 0x7030e0, 0xe0e030,
					 0x30e0e0, 0xe030e0, 0xf09020, 0x2090f0};
	uint32_t bar = width ? (uint32_t)((uint64_t)x * 8 / width) : 0;
	uint32_t colour = bars[bar & 7];
	if (((x >> 5) ^ (y >> 5)) & 1)
		colour = (colour >> 1) & 0x7f7f7f;
	return colour;
}

#endif
