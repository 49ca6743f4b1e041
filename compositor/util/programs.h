/* Where the compositor finds the programs it starts: the demo's
 * tessera-agent and the privileged tessera-gpu-helper. */
#ifndef TSR_UTIL_PROGRAMS_H
#define TSR_UTIL_PROGRAMS_H

#include <stdbool.h>
#include <stddef.h>

enum tsr_program {
	TSR_PROGRAM_AGENT,	 /* bindir/tessera-agent */
	TSR_PROGRAM_GPU_HELPER,	 /* libexecdir/tessera-gpu-helper */
	TSR_PROGRAM_LOCK_HELPER, /* libexecdir/tessera-lock-helper */
};

/* Writes the path to run into out and returns true when it is executable;
 * false with the last path tried in out (for the error message). */
bool tsr_program_path(enum tsr_program program, char *out, size_t out_len);

#endif
