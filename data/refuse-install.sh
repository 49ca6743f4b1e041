#!/bin/sh
# Run by meson install in a build configured with -Dtest_hooks=true: its
# programs would run helpers from the build tree, so nothing was installed.
echo "tessera: this build has -Dtest_hooks=true (tests/demo.sh, tests/run-all.sh set it);" >&2
echo "tessera: its programs are for tests; nothing was installed. Install from a build" >&2
echo "tessera: configured without it: meson setup build-release && meson install -C build-release" >&2
exit 1
