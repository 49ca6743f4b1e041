#!/bin/bash
# Stage 2 of the GPU handoff test: boots Xen (run-xen.sh) with QEMU's
# emulated VT-d and a bochs-display device and runs gpu-xen.sh in dom0 (one
# Xen boot). On this side it builds the three small helpers gpu-xen.sh uses
# and serves its screendump requests: gpu-xen.sh drops NAME.req in
# RESULTS_DIR/.screendump/, we ask QEMU's monitor for a screendump of the
# bochs-display (what the device really shows, whoever drives it) and put
# it at RESULTS_DIR/NAME.ppm, then NAME.done.
#
#   tests/vm/gpu-xen-test.sh BUILD_DIR [RESULTS_DIR]
#
# Ends with "N passed, N failed" (the checks of gpu-xen.sh, plus one failure
# if the VM run did not complete) and exits non-zero if anything failed.
set -euo pipefail
VM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
[ $# -ge 1 ] || { echo "usage: $0 BUILD_DIR [RESULTS_DIR]" >&2; exit 2; }
build=$(cd "$1" && pwd -P)
results=${2:-$build/vm-results/gpu-xen}
mkdir -p "$results"
results=$(cd "$results" && pwd -P)
started=$(date +%s)

# ---- helpers (host build; the dom0 sees the host's root) --------------------
# gpu-domu-pattern runs in the domU, which has nothing but busybox: static.
command -v socat >/dev/null || apt-get install -y -qq socat >/dev/null
helpers=$build/tests/vm/gpu-xen-helpers
mkdir -p "$helpers"
cflags=(-std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -I"$VM_DIR")
# shellcheck disable=SC2046 # pkg-config gives several words on purpose
gcc "${cflags[@]}" $(pkg-config --cflags libdrm) -static -o "$helpers/gpu-domu-pattern" \
	"$VM_DIR/gpu_domu_pattern.c" $(pkg-config --libs --static libdrm)
gcc "${cflags[@]}" -o "$helpers/gpu-xen-keys" "$VM_DIR/gpu_xen_keys.c"
# shellcheck disable=SC2046
gcc "${cflags[@]}" $(pkg-config --cflags libpng) -o "$helpers/gpu-xen-screen" \
	"$VM_DIR/gpu_xen_screen.c" $(pkg-config --libs libpng)

# The domU's initramfs: the kit's (its modules and load lists) plus our
# /init and the static programs, as one gzip stream (xl inflates ramdisks).
agent=$build/guest-agent/tessera-agent-static
[ -x "$agent" ] || { echo "gpu-xen-test: no $agent (needs a non-sanitizer build with libxen-dev)" >&2; exit 1; }
"$VM_DIR/prepare-kit.sh" "$build"
extra=$helpers/domu-extra
rm -rf "$extra"
mkdir -p "$extra/bin"
cp "$VM_DIR/gpu-xen-domu-init.sh" "$extra/init"
cp "$agent" "$extra/bin/tessera-agent"
cp "$helpers/gpu-domu-pattern" "$extra/bin/gpu-domu-pattern"
{
	zcat "$build/vm-kit/current/initrd.gz"
	(cd "$extra" && find . | cpio -o -H newc --quiet)
} | gzip -1 >"$helpers/domu-initrd.gz"

# ---- screendump service -------------------------------------------------------
requests=$results/.screendump
rm -rf "$requests" "$results"/*.ppm "$results"/*.png "$results"/*.txt "$results/exit-status"
mkdir -p "$requests"
monitor_dir=$(mktemp -d /tmp/tsr-gpu-xen-XXXXXX)
monitor=$monitor_dir/monitor.sock

# A PPM is complete when it holds its header's width * height * 3 bytes.
ppm_complete()
{
	local magic width height maxval header
	[ -s "$1" ] || return 1
	{ read -r magic && read -r width height && read -r maxval; } <"$1" 2>/dev/null || return 1
	[ "$magic" = P6 ] && [ "$maxval" = 255 ] || return 1
	case $width$height in "" | *[!0-9]*) return 1 ;; esac
	header=$(head -n 3 "$1" | wc -c)
	[ "$(stat -c %s "$1")" -eq $((header + width * height * 3)) ]
}

serve_screendumps()
{
	local request name partial tries
	while :; do
		for request in "$requests"/*.req; do
			[ -e "$request" ] || continue
			name=$(basename "$request" .req)
			rm -f "$request"
			case $name in *[!a-z0-9-]* | "") continue ;; esac
			partial=$requests/$name.partial.ppm
			rm -f "$partial"
			echo "screendump $partial" | socat -t 10 - "UNIX-CONNECT:$monitor" >/dev/null 2>&1 || true
			tries=0
			until ppm_complete "$partial" || [ $tries -ge 100 ]; do
				tries=$((tries + 1))
				sleep 0.1
			done
			if ppm_complete "$partial"; then
				mv "$partial" "$results/$name.ppm"
			else
				echo "gpu-xen-test: screendump $name failed" >&2
			fi
			touch "$requests/$name.done"
		done
		sleep 0.2
	done
}
serve_screendumps &
service=$!
trap 'kill $service 2>/dev/null || true; rm -rf "$monitor_dir"' EXIT

# ---- one Xen boot -------------------------------------------------------------
# intel-iommu must exist before the device it translates for, so the
# bochs-display comes here rather than from VM_GPU=1.
export VM_QEMU_ARGS="-device intel-iommu,intremap=on -device bochs-display -monitor unix:$monitor,server,nowait ${VM_QEMU_ARGS:-}"
export VM_TIMEOUT=${VM_TIMEOUT:-900}
status=0
"$VM_DIR/run-xen.sh" "$build" "$results" "$VM_DIR/gpu-xen.sh" "$build" "$results" || status=$?

passed=$(grep -c '^ok ' "$results/checks.txt" 2>/dev/null || true)
failed=$(grep -c '^FAIL ' "$results/checks.txt" 2>/dev/null || true)
passed=${passed:-0}
failed=${failed:-0}
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
	echo "FAIL the dom0 script did not complete (run-xen.sh status $status; see $results/console.log)"
	failed=$((failed + 1))
fi
echo "gpu-xen-test: $(($(date +%s) - started)) s in all; results in $results"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
