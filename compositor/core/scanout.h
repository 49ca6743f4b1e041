/* Direct scanout of a guest's buffer (issue 11), the core's half: policy
 * and bookkeeping. Each repaint asks tsr_scanout_plan whether the output
 * may show the focused domain's buffer on a plane of its own; the draw list
 * (core/draw_list.c, tsr_draw_list_scanout) says where, checked with the
 * frame property; the backend executes (tsr_output_impl.present_scanout,
 * KMS: backend/kms_scanout.c). Tessera's banner, border and background stay
 * in its own composed buffer, the cursor on its cursor plane (a cursor
 * drawn in software forbids scanout: it would lie under the guest's plane).
 *
 * A guest buffer on a plane is held (tsr_domain_hold_buffer) from the
 * frame that shows it until a frame that no longer shows it has reached
 * the screen: only then may the guest have it back (BUFFER_RELEASE) or,
 * destroyed meanwhile, is it freed. */
#ifndef TSR_CORE_SCANOUT_H
#define TSR_CORE_SCANOUT_H

#include <pixman.h>
#include <stdbool.h>
#include <stdint.h>

#include "tessera/buffer.h"

struct tsr_server;
struct tsr_output_state;
struct tsr_domain;
struct tsr_guest_buffer;

struct tsr_scanout_hold {
	struct tsr_domain *domain;
	struct tsr_guest_buffer *buffer; /* NULL: no guest plane */
};

struct tsr_scanout_state {
	/* The mode of the last frame presented: the domain scanned out, or
	 * -1 (composition); for the one log line per change. */
	int domain;
	pixman_box32_t box;
	struct tsr_scanout_hold pending; /* in the frame on its way */
	struct tsr_scanout_hold front;	 /* on screen */
	bool pending_dropped;		 /* the backend dropped the frame on its way */
	/* A buffer the device refused (TEST_ONLY or the commit): composed
	 * until the domain shows another one. Compared, never dereferenced. */
	const struct tsr_buffer *refused;
	char refusal[160];	  /* why, for the line of the change of mode */
	char refusal_logged[160]; /* the last refusal logged while composing */
	uint64_t frames_scanout, frames_composed;
};

struct tsr_scanout_plan {
	int domain; /* -1: compose */
	struct tsr_buffer *buffer;
	pixman_box32_t box;
	const char *why; /* composition: the reason */
};

void tsr_scanout_init(struct tsr_scanout_state *scanout);

/* What the output's next frame should be. forbidden: test builds'
 * test-scanout off. */
void tsr_scanout_plan(struct tsr_server *server, struct tsr_output_state *state, bool forbidden,
		      struct tsr_scanout_plan *plan);
/* Whether the frame changes what the output shows by mode (scanout of
 * another domain or box, or composition after scanout): the caller redraws
 * the whole of Tessera's buffer then. */
bool tsr_scanout_mode_changes(const struct tsr_output_state *state,
			      const struct tsr_scanout_plan *plan);
/* The backend accepted the frame (present or present_scanout): holds the
 * buffer it scans out, logs a change of mode, counts. */
void tsr_scanout_presented(struct tsr_output_state *state, const struct tsr_scanout_plan *plan);
/* The backend refused plan's buffer (why from present_scanout): plan
 * becomes composition with that reason (logged with the change of mode,
 * or at once while composing if it is a new reason), and the buffer is
 * composed from now on until another one comes. */
void tsr_scanout_refused(struct tsr_output_state *state, struct tsr_scanout_plan *plan,
			 const char *why);
/* The frame on its way was dropped (listener.frame_dropped). */
void tsr_scanout_dropped(struct tsr_output_state *state);
/* The frame on its way reached the screen (listener.frame): what the
 * previous one scanned out is let go. */
void tsr_scanout_frame_shown(struct tsr_output_state *state);
/* The output goes: every hold of it is let go. */
void tsr_scanout_forget(struct tsr_output_state *state);

#endif
