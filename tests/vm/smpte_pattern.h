/* libdrm modetest's default test pattern (SMPTE colour bars) as XRGB8888,
 * from its definition (the bar colours and the 7-column, 6/9 + 1/9 + 2/9
 * row split that modetest draws): the expected picture of a PV display
 * running modetest, never read back from the guest. The same definition as
 * displif_capture_check.c's. */
#ifndef TSR_TESTS_VM_SMPTE_PATTERN_H
#define TSR_TESTS_VM_SMPTE_PATTERN_H
#include <stdint.h>

#define SMPTE_RGB(r, g, b) (((uint32_t)(r) << 16) | ((uint32_t)(g) << 8) | (uint32_t)(b))

static inline uint32_t smpte_pixel(uint32_t x, uint32_t y, uint32_t width, uint32_t height)
{
	static const uint32_t top[] = {SMPTE_RGB(192, 192, 192), SMPTE_RGB(192, 192, 0),
				       SMPTE_RGB(0, 192, 192),	 SMPTE_RGB(0, 192, 0),
				       SMPTE_RGB(192, 0, 192),	 SMPTE_RGB(192, 0, 0),
				       SMPTE_RGB(0, 0, 192)};
	static const uint32_t middle[] = {SMPTE_RGB(0, 0, 192),	   SMPTE_RGB(19, 19, 19),
					  SMPTE_RGB(192, 0, 192),  SMPTE_RGB(19, 19, 19),
					  SMPTE_RGB(0, 192, 192),  SMPTE_RGB(19, 19, 19),
					  SMPTE_RGB(192, 192, 192)};
	static const uint32_t bottom[] = {SMPTE_RGB(0, 33, 76),	 SMPTE_RGB(255, 255, 255),
					  SMPTE_RGB(50, 0, 106), SMPTE_RGB(19, 19, 19),
					  SMPTE_RGB(9, 9, 9),	 SMPTE_RGB(19, 19, 19),
					  SMPTE_RGB(29, 29, 29), SMPTE_RGB(19, 19, 19)};
	if (y < height * 6 / 9)
		return top[x * 7 / width];
	if (y < height * 7 / 9)
		return middle[x * 7 / width];
	if (x < width * 5 / 7)
		return bottom[x * 4 / (width * 5 / 7)];
	if (x < width * 6 / 7)
		return bottom[(x - width * 5 / 7) * 3 / (width / 7) + 4];
	return bottom[7];
}
#endif
