#!/bin/bash
# In-VM test (tests/vm/gpu-tests.list, run with VM_GPU=1 by gpu-tests.sh):
# GPU passthrough handoff, stage 1. Tessera drives the bochs-display card
# (bochs-drm); a handoff closes it, unbinds bochs-drm and binds pci-stub
# while the desktop goes on on vkms (the fallback); a reclaim rebinds
# bochs-drm and Tessera shows its scene there again. Then: a reclaim whose
# card node never appears times out and leaves Tessera on the fallback until
# a retry succeeds; guests keep their connection and keep committing across
# handoffs; N cycles leak no fds and no memory. Prints the duration of every
# step (the benchmark) and writes it to RESULTS_DIR/gpu-timings.txt.
#
#   gpu-handoff.sh BUILD_DIR RESULTS_DIR [CYCLES]
set -euo pipefail

[ $# -ge 2 ] || { echo "usage: $0 BUILD_DIR RESULTS_DIR [CYCLES]" >&2; exit 2; }
build=$1
results=$2
cycles=${3:-20}
tessera=$build/compositor/tessera
ctl=$build/compositor/tessera-ctl
agent=$build/guest-agent/tessera-agent
kit=$build/vm-kit/current
runtime=/tmp/tessera-gpu
mkdir -p "$results" "$runtime"
log=$results/tessera.log

fail()
{
	echo "gpu-handoff: FAIL: $*" >&2
	echo "--- last lines of $log:" >&2
	tail -n 40 "$log" >&2 || true
	dmesg | tail -n 60 >"$results/dmesg.txt" 2>/dev/null || true
	exit 1
}

note() { echo "gpu-handoff: $*"; }

colour_count=$build/tests/vm/colour-count
for binary in "$tessera" "$ctl" "$agent" "$build/gpu-passthrough/tessera-gpu-helper" \
	"$build/compositor/tessera-lock-helper" "$colour_count"; do
	[ -x "$binary" ] || fail "missing $binary (build first)"
done

# ---- find the cards: vkms (fallback) and the bochs-display PCI device ----
driver_of() # BDF -> name of the bound driver, "" when none
{
	local link=/sys/bus/pci/devices/$1/driver
	[ -L "$link" ] && basename "$(readlink "$link")" || true
}

card_of() # BDF -> /dev/dri/cardN or ""
{
	local dir
	for dir in /sys/bus/pci/devices/"$1"/drm/card*; do
		[ -e "$dir" ] && { echo "/dev/dri/$(basename "$dir")"; return; }
	done
}

bdf=
for card in /sys/class/drm/card[0-9]; do
	[ -e "$card" ] || continue
	if [ "$(basename "$(readlink "$card/device/driver" 2>/dev/null || echo none)")" = bochs-drm ]; then
		bdf=$(basename "$(readlink -f "$card/device")")
	fi
done
# The fallback: any other card (vkms, a platform device).
fallback=
for card in /sys/class/drm/card[0-9]; do
	[ -e "$card" ] || continue
	[ "$(basename "$(readlink -f "$card/device")")" = "$bdf" ] && continue
	fallback=/dev/dri/$(basename "$card")
	break
done
[ -n "$bdf" ] || fail "no card bound to bochs-drm (run with VM_GPU=1)"
[ -n "$fallback" ] || fail "no vkms card for the fallback"
gpu_card=$(card_of "$bdf")
note "bochs-display at $bdf ($gpu_card), fallback $fallback"

# pci-stub is a module in Debian's kernel.
if [ ! -d /sys/bus/pci/drivers/pci-stub ]; then
	insmod "$kit/modules/kernel/drivers/pci/pci-stub.ko" || fail "cannot load pci-stub"
fi

# ---- configuration and start ----
config=$results/gpu.conf
cat >"$config" <<EOF
[output]
backend = kms
device = $gpu_card

[control]
socket = control.sock

[domain cad]
colour = red
transport = local
socket = cad.sock

[domain work]
colour = blue
transport = local
socket = work.sock

[gpu_passthrough]
device = $bdf
domain = cad
drm_driver = bochs-drm
passthrough_driver = pci-stub
toolstack = none
step_timeout = 10
card_timeout = 3
fallback_device = $fallback

[lock]
# Never unlocked here (the test ends locked): any existing user will do.
user = root
EOF

# shellcheck source=kms-check-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/kms-check-lib.sh"
kms_start_tessera "$config" "$log" "$runtime"

ctl() { "$ctl" "$@"; }
gpu_field() { field "$(ctl gpu status)" "$1"; }

wait_state() # STATE [SECONDS]
{
	local want=$1 limit=${2:-60} state
	for _ in $(seq $((limit * 10))); do
		state=$(gpu_field state)
		[ "$state" = "$want" ] && return 0
		case $state in releasing | reclaiming) ;; *) [ -n "$state" ] && break ;; esac
		kill -0 "$tessera_pid" 2>/dev/null || fail "tessera died"
		sleep 0.1
	done
	fail "GPU state is '$state', expected $want: $(ctl gpu status)"
}

png_size() # PNG -> WxH
{
	python3 -c 'import struct,sys
d=open(sys.argv[1],"rb").read(24)
assert d[:8]==b"\x89PNG\r\n\x1a\n", "not a PNG"
w,h=struct.unpack(">II",d[16:24]); print(f"{w}x{h}")' "$1"
}

screenshot() # NAME -> WxH of what the first output shows
{
	local path=$results/$1.png reply
	reply=$(ctl screenshot "$path")
	[[ $reply == ok* ]] || fail "screenshot $1: $reply"
	png_size "$path"
}

commits() { field "$(ctl stats "$1")" commits; }

for domain in cad work; do
	"$agent" --socket "$runtime/$domain.sock" --name "$domain" >"$results/agent-$domain.log" 2>&1 &
	agent_pids+=($!)
done
for _ in $(seq 100); do
	[ "$(field "$(ctl stats cad)" connected)" = 1 ] && [ "$(field "$(ctl stats work)" connected)" = 1 ] && break
	sleep 0.1
done
[ "$(field "$(ctl stats cad)" connected)" = 1 ] || fail "agent cad did not connect"
ctl focus work >/dev/null

wait_state owned 5
[ "$(gpu_field card)" = "$gpu_card" ] || fail "not driving $gpu_card: $(ctl gpu status)"
sleep 0.5
gpu_size=$(screenshot 1-owned)
note "owned: driving $gpu_card, scene $gpu_size"

# ---- handoff ----
before=$(commits cad)
ctl gpu handoff | grep -q '^ok' || fail "handoff refused"
wait_state assigned 60
[ "$(driver_of "$bdf")" = pci-stub ] || fail "$bdf is bound to '$(driver_of "$bdf")', not pci-stub"
[ -z "$(card_of "$bdf")" ] || fail "the card node of $bdf is still there"
[ "$(gpu_field fallback)" = "$fallback" ] || fail "not on the fallback: $(ctl gpu status)"
[ "$(gpu_field card)" = - ] || fail "still driving the GPU card: $(ctl gpu status)"
# Input follows the GPU: the target domain has focus.
[ "$(field "$(ctl status)" focused)" = cad ] || fail "focus did not move to cad: $(ctl status)"
# No fd of Tessera points at the card any more.
for fd in /proc/"$tessera_pid"/fd/*; do
	target=$(readlink "$fd" || true)
	[ "$target" != "$gpu_card" ] || fail "tessera still has $gpu_card open ($fd)"
done
sleep 0.5
fallback_size=$(screenshot 2-fallback)
note "assigned: $bdf on pci-stub, desktop on $fallback ($fallback_size)"
sleep 1
after=$(commits cad)
[ "$(field "$(ctl stats cad)" connected)" = 1 ] || fail "cad lost its connection in the handoff"
[ "$(field "$(ctl stats work)" connected)" = 1 ] || fail "work lost its connection in the handoff"
[ "$after" -gt "$before" ] || fail "cad stopped committing ($before -> $after)"
note "guests connected across the handoff; cad commits $before -> $after"

# ---- reclaim ----
ctl gpu reclaim | grep -q '^ok' || fail "reclaim refused"
wait_state owned 60
[ "$(driver_of "$bdf")" = bochs-drm ] || fail "$bdf is bound to '$(driver_of "$bdf")' after reclaim"
gpu_card=$(card_of "$bdf")
[ "$(gpu_field card)" = "$gpu_card" ] || fail "not driving $gpu_card again: $(ctl gpu status)"
[ "$(gpu_field fallback)" = - ] || fail "fallback still open: $(ctl gpu status)"
[ "$(field "$(ctl status)" focused)" = work ] || fail "focus did not come back to work"
sleep 0.5
size=$(screenshot 3-reclaimed)
[ "$size" = "$gpu_size" ] || fail "scene after reclaim is $size, expected the GPU's $gpu_size"
note "reclaimed: $gpu_card shows the scene again ($size)"
timings=$(ctl gpu timings)
echo "$timings" | tr ' ' '\n' | sed -n 's/_ms=/ ms: /p' | tee "$results/gpu-timings.txt"

# ---- a card that does not come back: the watchdog and the fallback ----
ctl gpu handoff >/dev/null
wait_state assigned 60
# Hide the card nodes: the driver binds but no node appears in /dev/dri.
mount -t tmpfs none /dev/dri
ctl gpu reclaim >/dev/null
wait_state reclaim_failed 60
umount /dev/dri
status=$(ctl gpu status)
[ "$(field "$status" failure)" = card_missing ] || fail "expected card_missing: $status"
[ "$(field "$status" fallback)" = "$fallback" ] || fail "not on the fallback after the failure: $status"
grep -q "did not come back; Tessera goes on with the fallback" "$log" || fail "no clear message in the log"
kill -0 "$tessera_pid" || fail "tessera died after the failed reclaim"
[ "$(screenshot 4-after-timeout)" = "$fallback_size" ] || fail "fallback does not show the scene"
note "reclaim timed out as expected (${status#*reason=}); retrying"
ctl gpu reclaim >/dev/null
wait_state owned 60
note "retry brought $bdf back"

# ---- cycles: no fd or memory leak ----
fds() { ls /proc/"$tessera_pid"/fd | wc -l; }
rss() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\).*/\1/p' /proc/"$tessera_pid"/status; }
fds_before=$(fds)
rss_before=$(rss)
for i in $(seq "$cycles"); do
	ctl gpu handoff >/dev/null
	wait_state assigned 60
	ctl gpu reclaim >/dev/null
	wait_state owned 60
	echo "cycle $i: $(ctl gpu timings | tr ' ' '\n' | grep -E '^(handoff|reclaim)_ms=' | tr '\n' ' ')"
done
fds_after=$(fds)
rss_after=$(rss)
note "after $cycles cycles: fds $fds_before -> $fds_after, VmRSS ${rss_before} -> ${rss_after} kB"
[ "$fds_after" -eq "$fds_before" ] || fail "fd leak: $fds_before -> $fds_after"
# Margin: allocator noise, not a per-cycle leak of buffers (a frame alone is MBs).
[ "$rss_after" -le $((rss_before + 4096)) ] || fail "memory grew by $((rss_after - rss_before)) kB"
[ "$(field "$(ctl stats cad)" connected)" = 1 ] || fail "cad lost its connection during the cycles"

# ---- the lock takes the GPU back (last: nothing unlocks here) ----
# Frame colours (cad red #cc0000, work blue #3465a4): in the unlocked scene
# on the GPU card, and none of them on the lock screen.
frame_pixels() { echo $(($("$colour_count" "$1" cc0000) + $("$colour_count" "$1" 3465a4))); }
frames_unlocked=$(frame_pixels "$results/3-reclaimed.png")
[ "$frames_unlocked" -gt 0 ] || fail "no pixel of a domain's frame colour in the unlocked scene"
reply=$(ctl gpu handoff || true)
[[ $reply == ok* ]] || fail "handoff before the lock refused: $reply"
wait_state assigned 60
reply=$(ctl lock || true)
[[ $reply == ok* ]] || fail "lock refused while cad has the GPU: $reply"
wait_state owned 60
[ "$(driver_of "$bdf")" = bochs-drm ] || fail "$bdf is bound to '$(driver_of "$bdf")' after the lock"
[ "$(field "$(ctl status)" locked)" = yes ] || fail "not locked: $(ctl status)"
grep -q "lock: taking the GPU back from domain cad" "$log" || fail "no log line for the lock's reclaim"
reply=$(ctl gpu handoff || true)
[ "$reply" = "error locked" ] || fail "gpu handoff while locked answered '$reply'"
[ "$(gpu_field state)" = owned ] || fail "the GPU left Tessera while locked: $(ctl gpu status)"
sleep 0.5
size=$(screenshot 5-locked)
[ "$size" = "$gpu_size" ] || fail "the lock screen is $size, expected the GPU's $gpu_size"
frames_locked=$(frame_pixels "$results/5-locked.png")
[ "$frames_locked" -eq 0 ] || fail "$frames_locked pixels of the domains' frame colours on the lock screen"
note "locked while cad had the GPU: reclaimed, the lock screen on $gpu_card ($size; frame-colour pixels: $frames_unlocked unlocked, 0 locked), handoff refused"
note "PASS"
