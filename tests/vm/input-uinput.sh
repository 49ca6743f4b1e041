#!/bin/sh
# In-VM test (see kms-tests.list): the evdev layer's own real-device test
# (tests/input/uinput_test.c) with the VM's uinput.
#   input-uinput.sh BUILD_DIR RESULTS_DIR
set -u
build_dir=$1
test_exe="$build_dir/tests/input/tessera-uinput-test"
if [ ! -x "$test_exe" ]; then
	echo "input-uinput.sh: $test_exe is missing; build it first (ninja -C $build_dir)" >&2
	exit 1
fi
"$test_exe"
status=$?
# It skips (77) without /dev/uinput; the VM has it, so that is a failure here.
[ "$status" -eq 77 ] && echo "input-uinput.sh: skipped inside the VM: no /dev/uinput?" >&2
exit "$status"
