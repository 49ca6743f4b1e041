/* Row copies into an output frame (render_pixman.c's opaque 1:1 copies).
 * The frame is written for the display, not read again by the CPU, so on
 * x86-64 CPUs with AVX rows of 2 KiB and more are written with non-temporal (streaming) stores: no
 * read-for-ownership of the destination lines and no eviction of the guest
 * rows still to be read. That is what glibc's memcpy does for a whole
 * frame, and row-sized memcpys do not (they stay under its non-temporal
 * threshold). */
#ifndef TSR_RENDER_ROW_COPY_H
#define TSR_RENDER_ROW_COPY_H

#include <stddef.h>

typedef void (*tsr_row_copy_fn)(void *restrict to, const void *restrict from, size_t bytes);

/* The best row copy for this CPU, chosen once (renderer creation). */
tsr_row_copy_fn tsr_row_copy_select(void);

/* Orders the streaming stores of earlier copies before what follows (the
 * frame handed to the display or to another thread). */
void tsr_row_copy_finish(void);

#endif
