/* What a secure hotkey does, once the seat has taken its chord away from
 * every guest (input/seat.c): focus, layout, the GPU handoff, the lock. */
#include "core/hotkey_actions.h"

#include "core/lock.h"
#include "core/server.h"
#include "tessera/log.h"

/* Hotkeys act on the output under the pointer (README.md, "Several
 * outputs"): the one the user is looking at, and the one a click would
 * pick a domain on. */
void tsr_hotkey_action_run(struct tsr_server *server, enum tsr_action action, int argument)
{
	int count = (int)tsr_server_domain_count(server);
	struct tsr_output_state *output = tsr_server_pointer_output(server);
	switch (action) {
	case TSR_ACTION_FOCUS_DOMAIN:
		/* "Switch to domain N": focus it and show it. */
		if (tsr_server_focus_on(server, output, argument - 1))
			tsr_server_set_layout_on(server, output, TSR_LAYOUT_FOCUS);
		break;
	case TSR_ACTION_FOCUS_NEXT:
	case TSR_ACTION_FOCUS_PREV:
		if (count > 0) {
			int step = action == TSR_ACTION_FOCUS_NEXT ? 1 : count - 1;
			/* From what this output shows (with one output: the
			 * focused domain). */
			int from = output ? tsr_server_output_shown(server, output)
					  : tsr_server_focused(server);
			if (from < 0)
				from =
				    tsr_server_focused(server) < 0 ? 0 : tsr_server_focused(server);
			tsr_server_focus_on(server, output, (from + step) % count);
		}
		break;
	case TSR_ACTION_TOGGLE_MOSAIC:
		tsr_server_set_layout_on(server, output,
					 tsr_server_mode(server) == TSR_LAYOUT_MOSAIC
					     ? TSR_LAYOUT_FOCUS
					     : TSR_LAYOUT_MOSAIC);
		break;
	case TSR_ACTION_GPU_HANDOFF:
		if (!tsr_server_gpu_handoff(server))
			tsr_log(TSR_LOG_WARN, "hotkey: GPU handoff is not configured");
		break;
	case TSR_ACTION_LOCK: {
		char err[128];
		struct tsr_lock *lock = tsr_server_lock_screen(server);
		if (!lock)
			tsr_log(TSR_LOG_WARN, "hotkey: no lock screen");
		else if (!tsr_lock_engage(lock, "hotkey", err, sizeof(err)))
			tsr_log(TSR_LOG_WARN, "hotkey: cannot lock: %s", err);
		break;
	}
	case TSR_ACTION_NONE:
		break;
	}
}
