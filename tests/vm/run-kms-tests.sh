#!/bin/bash
# Runs the in-VM KMS tests listed in tests/vm/kms-tests.list, all in one VM
# boot, and reports per-test results.
#
#   tests/vm/run-kms-tests.sh BUILD_DIR [TEST_NAME...]
#
# TEST_NAME is a script's base name without .sh (e.g. "smoke"); without names
# every listed test runs. Results: BUILD_DIR/vm-results/<name>/{output.log,
# exit-status} and BUILD_DIR/vm-results/console.log. Builds BUILD_DIR first
# (VM_SKIP_BUILD=1 skips that). Environment: VM_TEST_TIMEOUT (seconds per
# test, default 300), VM_TIMEOUT (whole VM; default from the test count),
# VM_TEST_LIST (another list, e.g. gpu-tests.list; default kms-tests.list), and
# run-vm.sh's variables.
set -euo pipefail

VM_LOG_NAME=kms-tests
VM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SOURCE_ROOT=$(cd "$VM_DIR/../.." && pwd)
# shellcheck source=lib.sh
. "$VM_DIR/lib.sh"

[ $# -ge 1 ] || vm_die "usage: $0 BUILD_DIR [TEST_NAME...]"
[ -d "$1" ] || vm_die "no build directory $1 (meson setup it first)"
BUILD_DIR=$(cd "$1" && pwd -P)
shift
LIST=${VM_TEST_LIST:-$VM_DIR/kms-tests.list}
RESULTS=$BUILD_DIR/${VM_RESULTS_NAME:-vm-results}
START=$(vm_now)

if [ "${VM_SKIP_BUILD:-0}" != 1 ]; then
	vm_log "building $BUILD_DIR"
	ninja -C "$BUILD_DIR" >/dev/null || vm_die "the build failed (ninja -C $BUILD_DIR); fix it, or VM_SKIP_BUILD=1 to test what is built"
fi

rm -rf "$RESULTS"
mkdir -p "$RESULTS"
selected=$RESULTS/tests.list
names=()
declare -A seen=()
while read -r script args; do
	case $script in '' | '#'*) continue ;; esac
	name=$(basename "$script" .sh)
	[ -z "${seen[$name]:-}" ] || vm_die "two tests named '$name' in $LIST"
	seen[$name]=1
	if [ $# -gt 0 ]; then
		wanted=0
		for want in "$@"; do [ "$want" = "$name" ] && wanted=1; done
		[ $wanted = 1 ] || continue
	fi
	[ -x "$SOURCE_ROOT/$script" ] || vm_die "$LIST names $script, which is missing or not executable"
	echo "$name $SOURCE_ROOT/$script ${args:-}" >>"$selected"
	names+=("$name")
done <"$LIST"
for want in "$@"; do
	[ -n "${seen[$want]:-}" ] || vm_die "no test named '$want' in $LIST"
done
[ ${#names[@]} -gt 0 ] || vm_die "no tests to run"

# Generous: a loaded CI host may slow a test several times over (input-e2e
# took 69 s at host load 4, 117-190 s at load 16-22); load should slow tests,
# not fail them.
VM_TEST_TIMEOUT=${VM_TEST_TIMEOUT:-300}
export VM_TIMEOUT=${VM_TIMEOUT:-$((60 + ${#names[@]} * (VM_TEST_TIMEOUT + 10)))}
vm_log "running ${#names[@]} test(s) in one VM: ${names[*]}"
set +e
"$VM_DIR/run-vm.sh" "$BUILD_DIR" "$RESULTS" \
	"$VM_DIR/run-test-list.sh" "$BUILD_DIR" "$RESULTS" "$selected" "$VM_TEST_TIMEOUT"
vm_status=$?
set -e

passed=0
failed=0
echo
for name in "${names[@]}"; do
	status_file=$RESULTS/$name/exit-status
	if [ ! -f "$status_file" ]; then
		echo "FAIL $name (no result: the VM stopped before it finished)"
		failed=$((failed + 1))
	elif [ "$(cat "$status_file")" = 0 ]; then
		echo "PASS $name ($(cat "$RESULTS/$name/seconds" 2>/dev/null || echo '?')s)"
		passed=$((passed + 1))
	else
		echo "FAIL $name (exit status $(cat "$status_file"); log: $RESULTS/$name/output.log)"
		failed=$((failed + 1))
	fi
done
[ $vm_status -eq 0 ] || vm_log "the VM run itself failed (status $vm_status); console: $RESULTS/console.log"
vm_log "total $(vm_elapsed "$START") s"
echo "$passed passed, $failed failed"
[ $failed -eq 0 ] && [ $vm_status -eq 0 ]
