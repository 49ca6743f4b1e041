/* The output scale: the derivation rule from a connector's physical size
 * against a table of real and lying panels, and the configured scale of an
 * [output NAME] section winning over it. */
#include "core/output_scale.h"
#include "test.h"

struct scale_case {
	const char *what;
	uint32_t width, height, mm_width, mm_height;
	uint32_t scale;
};

static const struct scale_case table[] = {
    /* Laptop and desktop panels, with their real sizes. */
    {"13.3\" 2560x1600 (227 dpi)", 2560, 1600, 286, 179, 2},
    {"14\" 2880x1800 (243 dpi)", 2880, 1800, 302, 189, 2},
    {"15.6\" 3840x2160 (282 dpi)", 3840, 2160, 344, 194, 2},
    {"12.5\" 2560x1440 (235 dpi)", 2560, 1440, 277, 156, 2},
    {"13.3\" 1920x1080 (166 dpi)", 1920, 1080, 294, 165, 1},
    {"11.6\" 1366x768 (135 dpi)", 1366, 768, 256, 144, 1},
    {"24\" 1920x1200 (94 dpi)", 1920, 1200, 518, 324, 1},
    {"24\" 3840x2160 (184 dpi)", 3840, 2160, 527, 296, 1},
    {"27\" 3840x2160 (163 dpi)", 3840, 2160, 597, 336, 1},
    {"27\" 5120x2880 (218 dpi)", 5120, 2880, 597, 336, 2},
    /* Dense but short: scale 2 would leave too little room. */
    {"7\" 1600x900 (262 dpi)", 1600, 900, 155, 87, 1},
    /* The same panel in portrait: the shorter side counts. */
    {"portrait 1600x2560 (227 dpi)", 1600, 2560, 179, 286, 2},
    {"portrait 900x1600 (262 dpi)", 900, 1600, 87, 155, 1},
    /* The threshold: 192 dpi is scale 2, just under is 1. */
    {"191.7 dpi", 2400, 1600, 318, 212, 1},
    {"192.3 dpi", 2400, 1600, 317, 211, 2},
    {"190.5 dpi", 2400, 1600, 320, 213, 1},
    /* Unknown sizes. */
    {"no size (headless, virtual)", 3840, 2160, 0, 0, 1},
    {"width only", 3840, 2160, 344, 0, 1},
    {"no mode", 0, 0, 344, 194, 1},
    /* Lies: aspect ratios posing as sizes, projectors, tiny sizes. */
    {"16x9 mm (aspect ratio)", 3840, 2160, 16, 9, 1},
    {"160x90 mm (aspect ratio in cm)", 3840, 2160, 160, 90, 1},
    {"160x100 mm", 2560, 1600, 160, 100, 1},
    {"projector 1600x900 mm", 1920, 1080, 1600, 900, 1},
    {"1 mm", 3840, 2160, 1, 1, 1},
    {"90x60 mm", 2560, 1600, 90, 60, 1},
    {"denser than 600 dpi", 3840, 2160, 150, 85, 1},
    /* A size that does not belong to the mode (the two axes disagree). */
    {"square mm on a 16:9 mode", 3840, 2160, 300, 300, 1},
    {"rotated size on a landscape mode", 2560, 1600, 179, 286, 1},
    /* Within a quarter of each other: still one panel. */
    {"slightly non-square pixels", 2560, 1600, 286, 200, 2},
};

static void test_derivation_table(void)
{
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		const struct scale_case *c = &table[i];
		uint32_t scale =
		    tsr_output_scale_derive(c->width, c->height, c->mm_width, c->mm_height);
		if (scale != c->scale)
			fprintf(stderr, "%s: %ux%u on %ux%u mm: scale %u, expected %u\n", c->what,
				c->width, c->height, c->mm_width, c->mm_height, scale, c->scale);
		CHECK_EQ_INT(scale, c->scale);
	}
}

/* Never more than 2 from a size, however dense. */
static void test_derived_at_most_2(void)
{
	for (uint32_t mm = 100; mm < 2000; mm += 7)
		for (uint32_t width = 640; width <= 16384; width += 640) {
			uint32_t height = width * 9 / 16, mm_height = mm * 9 / 16;
			uint32_t scale = tsr_output_scale_derive(width, height, mm, mm_height);
			CHECK(scale == 1 || scale == 2);
		}
}

static struct tsr_output_config heads(const char *text)
{
	struct tsr_config config;
	char err[256];
	if (!tsr_config_load_string(&config, text, "test.conf", err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		CHECK(!"config");
	}
	return config.output;
}

static void test_configured_wins(void)
{
	struct tsr_output_config config = heads("[output]\nbackend = kms\n"
						"[output eDP-1]\nscale = 1\n"
						"[output DP-1]\nscale = 3\n"
						"[output HDMI-A-1]\nposition = 0,0\n");
	/* A 227 dpi panel configured to 1 stays 1. */
	struct tsr_output panel = {
	    .name = "eDP-1", .width = 2560, .height = 1600, .mm_width = 286, .mm_height = 179};
	CHECK_EQ_INT(tsr_output_scale_for(&config, &panel), 1);
	/* A section without scale: derived. */
	struct tsr_output hdmi = panel;
	snprintf(hdmi.name, sizeof(hdmi.name), "HDMI-A-1");
	CHECK_EQ_INT(tsr_output_scale_for(&config, &hdmi), 2);
	/* No section: derived too. */
	struct tsr_output other = panel;
	snprintf(other.name, sizeof(other.name), "DP-2");
	CHECK_EQ_INT(tsr_output_scale_for(&config, &other), 2);
	other.mm_width = other.mm_height = 0;
	CHECK_EQ_INT(tsr_output_scale_for(&config, &other), 1);
	/* Configured 3 on a screen of unknown size. */
	struct tsr_output dp = {.name = "DP-1", .width = 1920, .height = 1080};
	CHECK_EQ_INT(tsr_output_scale_for(&config, &dp), 3);
}

TSR_TEST_MAIN(TSR_CASE(test_derivation_table), TSR_CASE(test_derived_at_most_2),
	      TSR_CASE(test_configured_wins))
