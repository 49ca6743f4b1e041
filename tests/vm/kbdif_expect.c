/* kbdif-expect: the guest pixel a PV input guest must see for a dom0
 * pointer position, from Tessera's own configuration and layout (the same
 * functions the compositor runs): NAME focused in the focus layout on a
 * WxH output, a guest display of GWxGH shown in NAME's content box.
 *
 *   kbdif-expect CONFIG NAME WxH X Y GWxGH     prints "GX GY"
 *
 * Exit 2 on usage or configuration errors. */
#include <stdio.h>
#include <stdlib.h>

#include "core/input_sink.h"
#include "core/layout.h"
#include "tessera/config.h"

int main(int argc, char **argv)
{
	unsigned width, height, guest_w, guest_h;
	int x, y;
	if (argc != 7 || sscanf(argv[3], "%ux%u", &width, &height) != 2 ||
	    sscanf(argv[4], "%d", &x) != 1 || sscanf(argv[5], "%d", &y) != 1 ||
	    sscanf(argv[6], "%ux%u", &guest_w, &guest_h) != 2) {
		fprintf(stderr, "usage: kbdif-expect CONFIG NAME WxH X Y GWxGH\n");
		return 2;
	}
	static struct tsr_config config;
	char err[512];
	if (!tsr_config_load_file(&config, argv[1], err, sizeof(err))) {
		fprintf(stderr, "kbdif-expect: %s\n", err);
		return 2;
	}
	int index = tsr_config_find_domain(&config, argv[2]);
	if (index < 0) {
		fprintf(stderr, "kbdif-expect: no domain %s\n", argv[2]);
		return 2;
	}
	struct tsr_layout_params params = {
	    .output_width = width,
	    .output_height = height,
	    .border_width = config.border_width,
	    .banner_height = config.banner_height,
	    .domain_count = config.domain_count,
	    .focused = index,
	    .mode = TSR_LAYOUT_FOCUS,
	};
	static struct tsr_layout layout;
	tsr_layout_compute(&params, &layout);
	const pixman_box32_t *content = &layout.domains[index].content;
	uint32_t gx, gy;
	if (!tsr_input_sink_map_point(tsr_box_width(content), tsr_box_height(content), guest_w,
				      guest_h, x - content->x1, y - content->y1, &gx, &gy)) {
		fprintf(stderr, "kbdif-expect: empty content box or display\n");
		return 2;
	}
	printf("%u %u\n", gx, gy);
	return 0;
}
