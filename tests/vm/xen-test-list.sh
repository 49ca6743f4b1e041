#!/bin/bash
# The in-dom0 side of run-xen-tests.sh: runs each test of xen-tests.list (or
# the NAMEs given) in turn in this one Xen boot, as
#   SCRIPT BUILD_DIR RESULTS_DIR/NAME
# and gathers every check line into RESULTS_DIR/checks.txt, tagged with the
# test's name ("ok   [kbdif-e2e] ..."). A test that exits non-zero without
# a FAIL line of its own gets one. Exits non-zero if any check failed.
#
#   xen-test-list.sh SOURCE_DIR BUILD_DIR RESULTS_DIR [NAME...]
set -u
source_dir=$1
build_dir=$2
results=$3
shift 3
: >"$results/checks.txt"
status=0
# No process substitution: the dom0 has no /dev/fd.
listed=$(grep -vE '^[[:space:]]*(#|$)' "$source_dir/tests/vm/xen-tests.list")
mapfile -t tests <<<"$listed"
if [ -z "$listed" ]; then
	echo "FAIL [xen-test-list] no test in xen-tests.list" >>"$results/checks.txt"
	exit 1
fi
for test in "${tests[@]}"; do
	name=$(basename "$test" .sh)
	if [ $# -gt 0 ] && ! printf '%s\n' "$@" | grep -qx "$name"; then
		continue
	fi
	mkdir -p "$results/$name"
	echo "===== $name"
	started=$(date +%s)
	"$source_dir/$test" "$build_dir" "$results/$name"
	test_status=$?
	echo "===== $name: exit $test_status after $(($(date +%s) - started)) s"
	sed "s/^\(ok  \|FAIL\) /\1 [$name] /" "$results/$name/checks.txt" >>"$results/checks.txt" 2>/dev/null
	if [ $test_status -ne 0 ]; then
		status=1
		grep -q '^FAIL' "$results/$name/checks.txt" 2>/dev/null ||
			echo "FAIL [$name] exited with status $test_status" >>"$results/checks.txt"
	fi
	# The next test starts from a dom0 without guests.
	for domain in $(xl list 2>/dev/null | awk 'NR > 2 { print $1 }'); do
		xl destroy "$domain" >/dev/null 2>&1 || true
	done
done
exit $status
