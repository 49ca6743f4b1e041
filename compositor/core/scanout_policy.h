/* Whether an output may show a domain's buffer on a plane of its own
 * (direct scanout) instead of composing it: a pure function of plain data,
 * so every rule is tested alone (tests/unit/test_scanout_policy.c). Where
 * the plane goes is not decided here: core/draw_list.c's scanout item
 * (clip = the content box, checked with the frame property) says that. */
#ifndef TSR_CORE_SCANOUT_POLICY_H
#define TSR_CORE_SCANOUT_POLICY_H

#include <pixman.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/layout.h"
#include "tessera/buffer.h"

struct tsr_scanout_facts {
	bool backend_can;     /* the output has present_scanout */
	bool forbidden;	      /* switched off (test builds: test-scanout off) */
	bool locked;	      /* the lock screen is up */
	bool software_cursor; /* a visible cursor drawn into Tessera's buffer */
	enum tsr_layout_mode mode;
	int shown; /* the domain the output shows in the focus layout, or -1 */
	/* The shown domain's placement and its main surface's current buffer
	 * (NULL: none). */
	bool visible;
	size_t view_count; /* displays of a fixed-size guest: never scanned out */
	pixman_box32_t content;
	const struct tsr_buffer *buffer;
};

/* The domain index to scan out, or -1 with *why (a constant string) saying
 * why the output composes. */
int tsr_scanout_choose(const struct tsr_scanout_facts *facts, const char **why);

#endif
