/* The control interface: a unix socket only the owner (or root) can use,
 * one text command per line, one reply line each ("ok ..." or
 * "error ..."). Commands: list, status, stats NAME, focus NAME|N [OUTPUT],
 * layout focus|mosaic [OUTPUT], lock, screenshot PATH [OUTPUT], gpu ...,
 * quit (test builds: test-key, test-pointer, test-button). Without OUTPUT,
 * focus and layout act on the output under the pointer, screenshot on the
 * first. Hotkeys drive the same server entry points. At most 4 clients at a time; more wait in the
 * listen backlog; a client idle for 5 s without a complete command line is
 * dropped; what clients can make Tessera log is rate-limited. A screenshot
 * is answered once the file is written (off the loop). */
#ifndef TSR_CORE_CONTROL_H
#define TSR_CORE_CONTROL_H

#include <stddef.h>

struct tsr_control;
struct tsr_server;

struct tsr_control *tsr_control_create(struct tsr_server *server, const char *path, char *err,
				       size_t err_len);
void tsr_control_destroy(struct tsr_control *control);

/* Executes one command line (without newline) and writes the reply line
 * (without newline); every command but screenshot, which only the socket
 * answers (its reply comes when the file is written). */
void tsr_control_execute(struct tsr_server *server, const char *line, char *reply,
			 size_t reply_len);

#endif
