/* An installed compositor runs only the installed copies of its programs,
 * at paths fixed when Tessera was configured (bindir, libexecdir), never
 * one from the build tree or beside the running binary: whoever can write
 * such a directory would choose what root executes. A build configured
 * with -Dtest_hooks=true (tests/demo.sh, tests/run-all.sh; it refuses to
 * install) tries its own build tree first, so the demo and the VM tests run
 * what was just built. */
#include <stdio.h>
#include <unistd.h>

#include "util/programs.h"

bool tsr_program_path(enum tsr_program program, char *out, size_t out_len)
{
	if (!out || out_len == 0)
		return false;
	const char *installed = TSR_BINDIR "/tessera-agent";
#ifdef TSR_TEST_HOOKS
	const char *build_tree = TSR_BUILD_ROOT "/guest-agent/tessera-agent";
#endif
	if (program == TSR_PROGRAM_GPU_HELPER) {
		installed = TSR_LIBEXECDIR "/tessera-gpu-helper";
#ifdef TSR_TEST_HOOKS
		build_tree = TSR_BUILD_ROOT "/gpu-passthrough/tessera-gpu-helper";
#endif
	} else if (program == TSR_PROGRAM_LOCK_HELPER) {
		installed = TSR_LIBEXECDIR "/tessera-lock-helper";
#ifdef TSR_TEST_HOOKS
		build_tree = TSR_BUILD_ROOT "/compositor/tessera-lock-helper";
#endif
	}
#ifdef TSR_TEST_HOOKS
	snprintf(out, out_len, "%s", build_tree);
	if (access(out, X_OK) == 0)
		return true;
#endif
	snprintf(out, out_len, "%s", installed);
	return access(out, X_OK) == 0;
}
