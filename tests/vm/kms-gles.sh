#!/bin/bash
# In-VM test (see kms-tests.list): the GLES renderer on EGL's GBM platform
# of the vkms card (Mesa's kms_swrast, llvmpipe), drawing straight into
# GBM scan-out buffers.
#  1. kms-scene-test with TSR_KMS_RENDERER=gles: writeback captures of the
#     mosaic and focus scenes (decorations, clipped guests) equal the
#     headless pixman rendering and data/reference/kms-scene-*.png within
#     the render tolerance; a small damage repaints only its pixels and,
#     with the guest's whole buffer changed, only the damaged 16x16 pixels
#     change on screen (buffer age); the renderer read back 0 bytes.
#  2. tessera (backend = kms, renderer = gles, sandboxed) with an agent:
#     status renderer=gles, renderer.readback=0, renderer.direct>0; the log
#     names the GBM platform and the driver kms_swrast; libgbm and a DRI
#     driver are mapped (/proc/PID/maps); no system call was refused by
#     the seccomp filter while GLES drew; the screenshot
#     (writeback) shows the domain's banner.
#  3. tessera with renderer = auto on the same card: pixman, with the log
#     line saying that a card without a render node could only have
#     kms_swrast, a software rasteriser; no DRI driver loaded, no GBM
#     device opened.
#   kms-gles.sh BUILD_DIR RESULTS_DIR
set -euo pipefail

[ $# -ge 2 ] || { echo "usage: $0 BUILD_DIR RESULTS_DIR" >&2; exit 2; }
build=$1
results=$2
tessera=$build/compositor/tessera
ctl=$build/compositor/tessera-ctl
agent=$build/guest-agent/tessera-agent
count=$build/tests/vm/colour-count
scene=$build/tests/vm/kms-scene-test
runtime=/tmp/tessera-kms-gles
mkdir -p "$results" "$runtime"
log=$results/kms-gles-tessera.log
: >"$log"

fail()
{
	echo "kms-gles: FAIL: $*" >&2
	echo "--- last lines of $log:" >&2
	tail -n 40 "$log" >&2 || true
	exit 1
}
note() { echo "kms-gles: $*"; }

for binary in "$tessera" "$ctl" "$agent" "$count" "$scene"; do
	[ -x "$binary" ] || fail "missing $binary (build first)"
done

# 1. The reference scenes, rendered by GLES into GBM buffers.
mkdir -p "$results/scene"
if ! TSR_RESULTS_DIR=$results/scene TSR_KMS_RENDERER=gles TESSERA_LOG=info "$scene" \
	>"$results/kms-gles-scene.log" 2>&1; then
	tail -n 60 "$results/kms-gles-scene.log" >&2
	fail "kms-scene-test with renderer = gles (see kms-gles-scene.log)"
fi
grep -E "^(kms renderer|mosaic|focus|small damage|damage|renderer|benchmark)" \
	"$results/kms-gles-scene.log" | sed 's/^/kms-gles: scene: /'
grep -q "on the GBM platform of /dev/dri/card" "$results/kms-gles-scene.log" ||
	fail "the scene test's GLES renderer is not on the GBM platform"

# shellcheck source=kms-check-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/kms-check-lib.sh"
config=$results/kms-gles.conf
write_config() { kms_write_config "$config" "renderer = $1" work:blue; } # RENDERER

# 2. tessera itself with renderer = gles.
write_config gles
kms_start_tessera "$config" "$log" "$runtime"
"$agent" --socket "$runtime/work.sock" --name work >"$results/kms-gles-agent.log" 2>&1 &
agent_pids+=($!)
"$ctl" layout focus >/dev/null || fail "layout focus"
for _ in $(seq 300); do
	stats=$("$ctl" stats work 2>/dev/null || true)
	[ "$(field "$stats" commits)" -ge 3 ] 2>/dev/null && break
	sleep 0.1
done
[ "$(field "$stats" commits)" -ge 3 ] 2>/dev/null || fail "work never committed: $stats"
# The agent's sealed memfd is a udmabuf dma-buf here: a foreign dma-buf
# that kms_swrast (llvmpipe) would crash on. Tessera refuses it to EGL,
# says so, and composes the guest from its mapping (the banner check and
# the screenshot below; Tessera still running at quit).
[ "$(field "$stats" dmabuf)" = udmabuf ] || fail "the agent's buffer is not a udmabuf dma-buf: $stats"
grep -q "guest dma-bufs refused (a software rasteriser crashes on a foreign dma-buf): guests uploaded from Tessera's mapping" "$log" ||
	fail "no log line refusing guest dma-bufs on the software rasteriser"
note "refusal: work's buffer is a udmabuf dma-buf, composed from the mapping on kms_swrast"
status=$("$ctl" status)
note "$status"
[ "$(field "$status" renderer)" = gles ] || fail "renderer is not gles: $status"
[ "$(field "$status" renderer.readback)" = 0 ] || fail "GLES read pixels back: $status"
[ "$(field "$status" renderer.direct)" -gt 0 ] || fail "no pass into a GBM buffer: $status"
grep -q "renderer: gles (gles: EGL on the GBM platform of /dev/dri/card" "$log" ||
	fail "no 'renderer: gles ... GBM platform' log line"
grep "gles renderer: .* on the GBM platform of" "$log" | sed 's/^/kms-gles: log: /'
grep -q "on the GBM platform of /dev/dri/card[0-9]*, driver kms_swrast" "$log" ||
	fail "the log does not name kms_swrast"
grep -q "draws into GBM scan-out buffers" "$log" || fail "no dma-buf import of the GBM buffers"
maps=/proc/$tessera_pid/maps
grep -q libgbm "$maps" || fail "libgbm is not mapped"
# Mesa's DRI drivers are one file under several names (hard links): the
# map shows whichever name the loader opened.
grep -q '_dri\.so' "$maps" || fail "no DRI driver is mapped"
note "mapped: $(grep -o '[^/]*\(libgbm\|_dri\.so\)[^ ]*' "$maps" | sort -u | tr '\n' ' ')"
"$ctl" screenshot "$results/kms-gles-focus.png" >/dev/null || fail "screenshot"
blue=$("$count" "$results/kms-gles-focus.png" 3465a4)
note "work's blue banner and border: $blue pixels in the writeback screenshot"
[ "$blue" -gt 5000 ] || fail "no work banner in the screenshot"
"$ctl" quit >/dev/null || true
wait "$tessera_pid" || fail "tessera (gles) exited with status $?"
if grep -q "sandbox: refused system call" "$log"; then
	fail "the sandbox refused a call: $(grep "sandbox: refused" "$log" | head -n 3 | tr '\n' ' ')"
fi
kill "${agent_pids[@]}" 2>/dev/null || true

# 3. renderer = auto on kms_swrast: pixman, with the reason.
write_config auto
log=$results/kms-gles-auto-tessera.log
kms_start_tessera "$config" "$log" "$runtime"
status=$("$ctl" status)
[ "$(field "$status" renderer)" = pixman ] || fail "auto did not pick pixman: $status"
line=$(grep "renderer: pixman (auto on /dev/dri/card" "$log" || true)
[ -n "$line" ] || fail "no 'renderer: pixman (auto on ...)' log line"
grep -q "without a render node; EGL would run kms_swrast, a software rasteriser" <<<"$line" ||
	fail "the auto line does not say kms_swrast is a software rasteriser: $line"
[ "$(grep -c "renderer: " "$log")" = 1 ] || fail "more than one renderer line"
# Mesa's driver is not even loaded for a choice that cannot be GLES.
if grep -q '_dri\.so' "/proc/$tessera_pid/maps"; then
	fail "auto loaded a DRI driver on a display-only card"
fi
grep -q "GBM device" "$log" && fail "auto opened GBM on a display-only card"
note "auto: $line"
"$ctl" quit >/dev/null || true
wait "$tessera_pid" || fail "tessera (auto) exited with status $?"
note "PASS"
