#!/bin/sh
# In-VM test (see kms-tests.list): real uinput devices through the real
# tessera (headless output, evdev input) to real tessera-agent processes.
#   input-e2e.sh BUILD_DIR RESULTS_DIR
set -u
build_dir=$1
results_dir=$2
test_exe="$build_dir/tests/vm/tessera-input-e2e"
for binary in "$test_exe" "$build_dir/compositor/tessera" "$build_dir/guest-agent/tessera-agent"; do
	if [ ! -x "$binary" ]; then
		echo "input-e2e.sh: $binary is missing; build $build_dir first (ninja -C $build_dir)" >&2
		exit 1
	fi
done

# Keeps tessera's and the agents' logs for whoever reads the results, also
# when the runner's timeout stops us (TERM).
save_logs()
{
	for dir in /tmp/tessera-input-e2e-*; do
		[ -d "$dir" ] && cp "$dir"/*.log "$dir"/*.conf "$results_dir"/ 2>/dev/null
	done
}
test_pid=
on_term()
{
	[ -n "$test_pid" ] && kill "$test_pid" 2>/dev/null
	save_logs
	echo "input-e2e.sh: stopped (timeout?); logs saved in $results_dir" >&2
	exit 124
}
trap on_term TERM INT

ls -l /dev/uinput /dev/input
"$test_exe" &
test_pid=$!
wait "$test_pid"
status=$?
save_logs
# 77 means "no uinput": inside the VM that is a broken VM, not a skip.
[ "$status" -eq 77 ] && echo "input-e2e.sh: the VM has no /dev/uinput" >&2
exit "$status"
