/* The reference-image oracle of the render tests: compare a rendered buffer
 * with data/reference/<name>.png (tolerance -3..+4 per channel, as weston).
 *
 * On a mismatch, <build>/test-output/<name>-actual.png and <name>-diff.png
 * are written and their paths printed with the figures. With
 * TESSERA_UPDATE_REFERENCES=1 in the environment the reference is written
 * from the buffer instead (then look at it before adding it to git). */
#ifndef TESSERA_TESTS_REFERENCE_H
#define TESSERA_TESTS_REFERENCE_H

#include <stdbool.h>

#include "tessera/buffer.h"

#define TSR_REFERENCE_TOLERANCE_BELOW 3
#define TSR_REFERENCE_TOLERANCE_ABOVE 4

/* name: a plain file stem such as "decorations-focus" (no '/'). */
bool tsr_check_reference(const struct tsr_buffer *actual, const char *name);

#endif
