/* Screenshots are encoded and written off the event loop: a PNG of a 4K
 * frame takes libpng a good fraction of a second, and a slow or hung file
 * system can take any time at all, while the loop must keep drawing frames
 * and routing input. Each screenshot is a job on its own thread with its
 * own copy of the frame (taken on the loop, so it shows the frame of the
 * moment it was asked for); completion comes back to the loop through an
 * eventfd, and the callback runs there. */
#ifndef TSR_CORE_SCREENSHOT_WRITER_H
#define TSR_CORE_SCREENSHOT_WRITER_H

#include <stdbool.h>
#include <stddef.h>

struct tsr_buffer;
struct tsr_event_loop;
struct tsr_screenshot_writer;

/* At most this many screenshots are written at a time (each holds a copy
 * of a frame): more are refused, not queued. */
#define TSR_SCREENSHOT_MAX_JOBS 4u

/* Called on the loop when the file is in place (ok) or not (message says
 * why). */
typedef void (*tsr_screenshot_done_func)(void *data, bool ok, const char *message);

struct tsr_screenshot_writer *tsr_screenshot_writer_create(struct tsr_event_loop *loop);
/* Waits a bounded time for jobs in flight (their callbacks are not called),
 * then leaves the rest to finish on their own. Accepts NULL. */
void tsr_screenshot_writer_destroy(struct tsr_screenshot_writer *writer);

/* Starts writing image (taken over, whatever the result) to path as a PNG
 * (tsr_png_write: a new file renamed into place). False, with err, when it
 * cannot start. */
bool tsr_screenshot_writer_start(struct tsr_screenshot_writer *writer, const char *path,
				 struct tsr_buffer *image, tsr_screenshot_done_func done,
				 void *data, char *err, size_t err_len);

/* Forgets the callbacks of every job started with data (its owner goes
 * away); the files are still written. */
void tsr_screenshot_writer_forget(struct tsr_screenshot_writer *writer, void *data);

#endif
