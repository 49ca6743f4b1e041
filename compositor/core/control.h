/* The control interface: a unix socket only the owner (or root) can use,
 * one text command per line, one reply line each ("ok ..." or
 * "error ..."). Commands: list, status, stats NAME, focus NAME|N,
 * layout focus|mosaic, screenshot PATH, quit. Hotkeys drive the same
 * server entry points. */
#ifndef TSR_CORE_CONTROL_H
#define TSR_CORE_CONTROL_H

#include <stddef.h>

struct tsr_control;
struct tsr_server;

struct tsr_control *tsr_control_create(struct tsr_server *server, const char *path, char *err,
				       size_t err_len);
void tsr_control_destroy(struct tsr_control *control);

/* Executes one command line (without newline) and writes the reply line
 * (without newline). Shared by the socket and by tests. */
void tsr_control_execute(struct tsr_server *server, const char *line, char *reply,
			 size_t reply_len);

#endif
