/* A derived scale is a guess from what the connector says about itself, so
 * it is conservative: anything doubtful is 1, the size that always works;
 * a wrong 2 would waste a quarter of a small screen on decorations. */
#include <stdbool.h>

#include "core/output_scale.h"

static bool aspect_posing_as_size(uint32_t mm_width, uint32_t mm_height)
{
	static const uint32_t sizes[][2] = {{16, 9},	{16, 10},    {160, 90},
					    {160, 100}, {1600, 900}, {1600, 1000}};
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		if ((mm_width == sizes[i][0] && mm_height == sizes[i][1]) ||
		    (mm_width == sizes[i][1] && mm_height == sizes[i][0]))
			return true;
	return false;
}

/* Dots per inch times ten of pixels over mm (64 bits: no overflow). */
static uint64_t deci_dpi(uint32_t pixels, uint32_t mm)
{
	return (uint64_t)pixels * 254u / mm;
}

uint32_t tsr_output_scale_derive(uint32_t width, uint32_t height, uint32_t mm_width,
				 uint32_t mm_height)
{
	if (width == 0 || height == 0 || mm_width == 0 || mm_height == 0)
		return 1;
	if (aspect_posing_as_size(mm_width, mm_height))
		return 1;
	if (mm_width < TSR_PHYSICAL_MIN_MM_WIDTH || mm_height < TSR_PHYSICAL_MIN_MM_HEIGHT)
		return 1;
	uint64_t dpi_x = deci_dpi(width, mm_width), dpi_y = deci_dpi(height, mm_height);
	uint64_t low = dpi_x < dpi_y ? dpi_x : dpi_y, high = dpi_x < dpi_y ? dpi_y : dpi_x;
	if (high > TSR_PHYSICAL_MAX_DPI * 10u || high * 4 > low * 5)
		return 1;
	uint32_t short_side = width < height ? width : height;
	if (low >= TSR_HIDPI_MIN_DPI * 10u && short_side >= TSR_HIDPI_MIN_SHORT_SIDE)
		return 2;
	return 1;
}

uint32_t tsr_output_scale_for(const struct tsr_output_config *config,
			      const struct tsr_output *output)
{
	const struct tsr_output_head_config *head = tsr_config_find_head(config, output->name);
	if (head && head->scale_set && head->scale >= 1 && head->scale <= TSR_OUTPUT_SCALE_MAX)
		return head->scale;
	return tsr_output_scale_derive(output->width, output->height, output->mm_width,
				       output->mm_height);
}
