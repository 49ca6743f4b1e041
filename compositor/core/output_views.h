/* What each output shows and who has the keyboard: pure policy, no state
 * outside the struct. Each output has its own layout mode and the domain
 * it shows in the focus layout (kept while it shows the mosaic, for when
 * it goes back). One domain has the keyboard.
 *
 * Invariants (tests/unit/test_multi_output.c checks them under random
 * operations):
 *  - no two outputs show the same domain (so no domain is shown in focus
 *    on two outputs at once);
 *  - while there are domains, exactly one of them has the keyboard, and
 *    while there are outputs it is the domain one of them shows.
 * Focusing a domain on an output gives it the keyboard and shows it there;
 * an output that showed it before takes what this one showed (a swap). */
#ifndef TSR_CORE_OUTPUT_VIEWS_H
#define TSR_CORE_OUTPUT_VIEWS_H

#include <stdbool.h>
#include <stddef.h>

#include "core/layout.h"

#define TSR_VIEWS_MAX_OUTPUTS 4u

struct tsr_output_views {
	size_t domain_count;
	size_t output_count;
	enum tsr_layout_mode mode[TSR_VIEWS_MAX_OUTPUTS];
	int shown[TSR_VIEWS_MAX_OUTPUTS]; /* domain index or -1 */
	int keyboard;			  /* domain index, -1 only without domains */
	/* The mode of the output removed last: a card swapped for another
	 * (GPU handoff) keeps its layout. */
	enum tsr_layout_mode parked_mode;
};

void tsr_output_views_init(struct tsr_output_views *views, size_t domain_count);
/* A new output, last, in the mode of the first output (without outputs:
 * of the one removed last; at first the mosaic), showing the keyboard's
 * domain if no output shows it, else the first domain no output shows (or
 * none). An output replacing another (added, then the old one removed)
 * thus ends up as the old one was.
 * False when there are TSR_VIEWS_MAX_OUTPUTS already. */
bool tsr_output_views_add(struct tsr_output_views *views);
/* Output index goes; later ones move down by one. The keyboard's domain,
 * if it was shown there, is shown on the first remaining output. */
void tsr_output_views_remove(struct tsr_output_views *views, size_t index);
/* Gives domain the keyboard and shows it on output (see the swap above);
 * false for an invalid domain or output. With no output, only the
 * keyboard moves. */
bool tsr_output_views_focus(struct tsr_output_views *views, size_t output, int domain);
void tsr_output_views_set_mode(struct tsr_output_views *views, size_t output,
			       enum tsr_layout_mode mode);
/* Same outputs, modes, shown domains and keyboard. */
bool tsr_output_views_equal(const struct tsr_output_views *a, const struct tsr_output_views *b);
/* The output showing domain in the focus layout, or -1. */
int tsr_output_views_focus_output(const struct tsr_output_views *views, int domain);

#endif
