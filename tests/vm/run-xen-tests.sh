#!/bin/bash
# The Xen stage: builds BUILD_DIR, prepares the VM kit, its Xen part and the
# PV-devices domU, and runs the tests of xen-tests.list (xen-e2e.sh,
# kbdif-e2e.sh, ...) in ONE Xen boot (each boot costs about a minute under
# emulation), through xen-test-list.sh. Every check of every test counts.
#
#   tests/vm/run-xen-tests.sh BUILD_DIR [NAME...]    (NAME: e.g. kbdif-e2e)
#
# Results: BUILD_DIR/xen-results/: checks.txt (every check, tagged with its
# test), output.log, console.log, and one directory per test (its
# tessera.log, writeback captures *.png, guest consoles, benchmark figures
# bench-*.txt). Ends with "N passed, N failed"; exits non-zero on any
# failure. Needs a non-sanitizer build with libxen-dev (the domUs run
# statically linked agents). Environment: VM_SKIP_BUILD=1 (test what is
# built), VM_TIMEOUT (default 2700 s: a guard against a hang, never a measure; under a loaded machine the whole stage has taken 1300 s), and run-vm.sh's variables.
set -euo pipefail

VM_LOG_NAME=xen-tests
VM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$VM_DIR/lib.sh"

[ $# -ge 1 ] || vm_die "usage: $0 BUILD_DIR [NAME...]"
[ -d "$1" ] || vm_die "no build directory $1 (meson setup it first)"
BUILD_DIR=$(cd "$1" && pwd -P)
RESULTS=$BUILD_DIR/xen-results
START=$(vm_now)

if [ "${VM_SKIP_BUILD:-0}" != 1 ]; then
	vm_log "building $BUILD_DIR"
	ninja -C "$BUILD_DIR" >/dev/null || vm_die "the build failed (ninja -C $BUILD_DIR)"
fi
for binary in guest-agent/tessera-agent-static tests/integration/hostile-agent-static \
	tests/vm/xen-capture-check tests/vm/bench-xen-map tests/vm/kbdif-input tests/vm/kbdif-expect tests/vm/displif-capture-check \
	tests/vm/hostile-displif tests/vm/weston-shot-check tests/vm/colour-count; do
	[ -x "$BUILD_DIR/$binary" ] ||
		vm_die "$BUILD_DIR/$binary is missing: the Xen stage needs libxen-dev and a build without sanitizers"
done

"$VM_DIR/prepare-kit.sh" "$BUILD_DIR"
"$VM_DIR/prepare-xen-kit.sh" "$BUILD_DIR"
"$VM_DIR/prepare-pv-domu.sh" "$BUILD_DIR"
"$VM_DIR/prepare-weston-domu.sh" "$BUILD_DIR"

# The domUs boot the kit's kernel as an ELF: xl would otherwise unpack the
# xz-compressed bzImage in dom0 for every guest, which takes tens of seconds
# under emulation. Unpacked here, natively, once per kernel.
KIT=$(cd "$BUILD_DIR/vm-kit/current" && pwd -P)
DOMU_KERNEL=$KIT/xen/domu-vmlinux
if [ ! -s "$DOMU_KERNEL" ] || [ "$KIT/vmlinuz" -nt "$DOMU_KERNEL" ]; then
	rm -f "$DOMU_KERNEL"
	for offset in $(LC_ALL=C grep -aboP '\xfd7zXZ\x00' "$KIT/vmlinuz" | cut -d: -f1); do
		tail -c +$((offset + 1)) "$KIT/vmlinuz" | xz -dc >"$DOMU_KERNEL.tmp" 2>/dev/null || true
		if [ "$(head -c 4 "$DOMU_KERNEL.tmp" | od -An -c | tr -d ' ')" = '177ELF' ]; then
			mv "$DOMU_KERNEL.tmp" "$DOMU_KERNEL"
			break
		fi
	done
	rm -f "$DOMU_KERNEL.tmp"
	[ -s "$DOMU_KERNEL" ] && vm_log "domU kernel unpacked: $DOMU_KERNEL" ||
		vm_log "cannot unpack the kernel (not xz?): the domUs boot the bzImage"
fi

rm -rf "$RESULTS"
mkdir -p "$RESULTS"
# Seven domUs (2 x 160 + 128 + 4 x 96 MiB) beside a 1 GiB dom0.
export VM_MEMORY=${VM_MEMORY:-3072}
export VM_TIMEOUT=${VM_TIMEOUT:-2700}
set +e
"$VM_DIR/run-xen.sh" "$BUILD_DIR" "$RESULTS" "$VM_DIR/xen-test-list.sh" "$(dirname "$(dirname "$VM_DIR")")" \
	"$BUILD_DIR" "$RESULTS" "${@:2}" >"$RESULTS/output.log" 2>&1
vm_status=$?
set -e

passed=$(grep -c '^ok ' "$RESULTS/checks.txt" 2>/dev/null || true)
failed=$(grep -c '^FAIL ' "$RESULTS/checks.txt" 2>/dev/null || true)
echo
cat "$RESULTS/checks.txt" 2>/dev/null || true
tr -d '\r' <"$RESULTS/output.log" 2>/dev/null | grep '^benchmark:' | sort -u || true
# No check at all is a failure too (a stage that ran nothing).
[ "${passed:-0}" -gt 0 ] || [ "${failed:-0}" -gt 0 ] || failed=1
if [ $vm_status -ne 0 ]; then
	vm_log "the Xen VM run failed (status $vm_status); see $RESULTS/output.log and console.log"
	# A crash, a timeout or a test that stopped early, with no failed
	# check to show for it: count it.
	[ "${failed:-0}" -gt 0 ] || failed=1
fi
vm_log "total $(vm_elapsed "$START") s; results in $RESULTS"
echo "${passed:-0} passed, ${failed:-0} failed"
[ "${failed:-0}" -eq 0 ] && [ $vm_status -eq 0 ]
