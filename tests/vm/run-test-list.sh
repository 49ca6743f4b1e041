#!/bin/sh
# Runs inside the test VM (started by run-kms-tests.sh through run-vm.sh):
# runs each test of a prepared list in turn, each with its own timeout, and
# leaves per test, under RESULTS_ROOT/<name>/: output.log and exit-status.
#
#   run-test-list.sh BUILD_DIR RESULTS_ROOT LIST TEST_TIMEOUT
#
# LIST lines: NAME SCRIPT [ARGS...] (absolute SCRIPT; written by
# run-kms-tests.sh); TEST_TIMEOUT: seconds per test.
set -u
build_dir=$1
results_root=$2
list=$3
test_timeout=$4
kit=$build_dir/vm-kit/current
vkms_params=$(sed -n 's/^vkms //p' "$kit/load-lists/base.load")

# A fresh vkms device for each test: no mode, planes or master left over.
reload_vkms()
{
	if ! rmmod vkms 2>/dev/null; then
		echo "run-test-list: WARNING: cannot unload vkms (still in use?); the next test shares the card"
		return
	fi
	# shellcheck disable=SC2086 # several parameters
	insmod "$kit/vkms.ko" $vkms_params || echo "run-test-list: WARNING: reloading vkms failed"
	# devtmpfs creates the node asynchronously.
	tries=0
	while [ ! -e /dev/dri/card0 ] && [ $tries -lt 50 ]; do
		sleep 0.1
		tries=$((tries + 1))
	done
}

first=1
# shellcheck disable=SC2086 # the list's arguments are split on white space
while read -r name script args; do
	[ -n "$name" ] || continue
	[ $first -eq 1 ] || reload_vkms
	first=0
	dir=$results_root/$name
	mkdir -p "$dir"
	echo "=== $name: $script $args"
	start=$(cut -d' ' -f1 /proc/uptime)
	# The status goes through a file because the pipe's status is tee's.
	{
		timeout -s TERM -k 5 "$test_timeout" "$script" "$build_dir" "$dir" $args 2>&1
		echo $? >"$dir/exit-status"
	} </dev/null | tee "$dir/output.log"
	status=$(cat "$dir/exit-status")
	if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
		echo "TIMEOUT after ${test_timeout}s" | tee -a "$dir/output.log"
	fi
	elapsed=$(awk -v a="$start" -v b="$(cut -d' ' -f1 /proc/uptime)" 'BEGIN { printf "%.1f", b - a }')
	echo "$elapsed" >"$dir/seconds"
	if [ "$status" -eq 0 ]; then
		echo "=== PASS $name (${elapsed}s)"
	else
		echo "=== FAIL $name (exit status $status, ${elapsed}s)"
	fi
done <"$list"
exit 0
