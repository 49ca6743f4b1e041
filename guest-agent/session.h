/* One agent session: connect, negotiate, keep one surface on screen and
 * redraw it at the pace the compositor's FRAME_DONE sets. */
#ifndef TESSERA_AGENT_SESSION_H
#define TESSERA_AGENT_SESSION_H

#include <stdbool.h>
#include <stdint.h>

/* What each frame tells the compositor changed (--damage). */
enum agent_damage {
	AGENT_DAMAGE_DEMO, /* what the demo scene changed (the default) */
	AGENT_DAMAGE_FULL, /* the whole surface, redrawn every frame */
	AGENT_DAMAGE_NONE, /* nothing: an empty DAMAGE before every COMMIT */
};

struct agent_options {
	const char *transport;	 /* "local" */
	const char *socket_path; /* the local transport's address */
	uint32_t width, height;	 /* the size we ask for before any CONFIGURE */
	const char *source;	 /* "demo" */
	uint32_t colour;	 /* 0xRRGGBB, the demo's background */
	uint64_t frames;	 /* exit after this many presented frames; 0: never */
	enum agent_damage damage;
	bool log_input;
	const char *inject; /* NULL, or "uinput": replay input in the guest */
	const char *name;   /* for our own log lines only */
};

/* Runs until done, a signal (SIGTERM/SIGINT, already blocked by the
 * caller and delivered through signal_fd) or an error. Returns the process
 * exit status: 0 on success or signal, 1 on any failure (logged). */
int agent_session_run(const struct agent_options *options, int signal_fd);

#endif
