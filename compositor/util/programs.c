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

struct program_paths {
	const char *installed;
#ifdef TSR_TEST_HOOKS
	const char *build_tree;
#endif
};

static struct program_paths paths_of(enum tsr_program program)
{
	switch (program) {
	case TSR_PROGRAM_AGENT:
		return (struct program_paths){
		    .installed = TSR_BINDIR "/tessera-agent",
#ifdef TSR_TEST_HOOKS
		    .build_tree = TSR_BUILD_ROOT "/guest-agent/tessera-agent",
#endif
		};
	case TSR_PROGRAM_GPU_HELPER:
		break;
	}
	return (struct program_paths){
	    .installed = TSR_LIBEXECDIR "/tessera-gpu-helper",
#ifdef TSR_TEST_HOOKS
	    .build_tree = TSR_BUILD_ROOT "/gpu-passthrough/tessera-gpu-helper",
#endif
	};
}

bool tsr_program_path(enum tsr_program program, char *out, size_t out_len)
{
	struct program_paths paths = paths_of(program);
#ifdef TSR_TEST_HOOKS
	snprintf(out, out_len, "%s", paths.build_tree);
	if (access(out, X_OK) == 0)
		return true;
#endif
	snprintf(out, out_len, "%s", paths.installed);
	return access(out, X_OK) == 0;
}
