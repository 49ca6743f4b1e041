#!/bin/sh
# In-VM test (see kms-tests.list): the lock screen with a real uinput
# keyboard grabbed by tessera on vkms (KMS backend), two agents, PAM with a
# test service of its own (tests/vm/lock_uinput.c).
#   lock-uinput.sh BUILD_DIR RESULTS_DIR
set -u
build_dir=$1
results_dir=$2
for binary in "$build_dir/tests/vm/tessera-lock-uinput" "$build_dir/compositor/tessera" \
	"$build_dir/compositor/tessera-lock-helper" "$build_dir/guest-agent/tessera-agent"; do
	if [ ! -x "$binary" ]; then
		echo "lock-uinput.sh: $binary is missing; build $build_dir first" >&2
		exit 1
	fi
done
TSR_RESULTS_DIR=$results_dir "$build_dir/tests/vm/tessera-lock-uinput"
status=$?
for dir in /tmp/tessera-test-lock-uinput-*; do
	[ -d "$dir" ] && cp "$dir"/*.log "$results_dir"/ 2>/dev/null
done
[ "$status" -eq 77 ] && echo "lock-uinput.sh: the VM has no /dev/uinput" >&2
exit "$status"
