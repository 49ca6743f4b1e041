#!/bin/bash
# In-dom0 test, stage 2 of the GPU handoff (run by gpu-xen-test.sh through
# run-xen.sh, with QEMU's emulated VT-d and a bochs-display device, and a
# host-side screendump service). The whole round trip in one Xen boot:
#
#  - a PV domU "cad" runs (gpu-xen-domu-init.sh): tessera-agent over the Xen
#    transport with --log-input, bochs-drm loaded, a watcher for the GPU;
#  - Tessera in dom0 drives the bochs card and reads a uinput keyboard
#    (gpu-xen-keys); QEMU's screendump shows Tessera's scene;
#  - `tessera-ctl gpu handoff`: xen-pciback + `xl pci-attach` into cad (the
#    desktop goes on vkms); inside cad bochs-drm binds the device, card0
#    appears, gpu-domu-pattern modesets a pattern, and the screendump is
#    exactly that pattern;
#  - keys typed on the dom0 keyboard reach cad's agent; Ctrl+Alt+G does not
#    (no part of it), and it brings the device back (`xl pci-detach`,
#    bochs-drm in dom0): the screendump shows Tessera's scene again.
#
# Each check prints "ok   ..." or "FAIL ..." (appended to
# RESULTS_DIR/checks.txt, which gpu-xen-test.sh counts); timings of every
# step and of the round trip go to RESULTS_DIR/gpu-timings.txt.
#
#   gpu-xen.sh BUILD_DIR RESULTS_DIR
set -u
[ $# -ge 2 ] || { echo "usage: $0 BUILD_DIR RESULTS_DIR" >&2; exit 2; }
build=$(readlink -f "$1")
results=$2
kit=$(readlink -f "$build/vm-kit/current")
helpers=$build/tests/vm/gpu-xen-helpers
tessera=$build/compositor/tessera
work=/tmp/gpu-xen
domu=cad
keyboard_name="tessera-gpu-xen-keyboard"
log=$results/tessera.log
console=/var/log/xen/console/guest-$domu.log
checks=$results/checks.txt
timings=$results/gpu-timings.txt
requests=$results/.screendump
mkdir -p "$work" "$results"
: >"$checks"
: >"$timings"

pass() { echo "ok   $*" | tee -a "$checks"; }
fail() { echo "FAIL $*" | tee -a "$checks"; }
script_start=$(date +%s.%N)
note() { echo "gpu-xen [$(awk -v a="$script_start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s]: $*"; }
# The checks that follow need what failed: stop here (the wrapper counts).
give_up()
{
	fail "$*"
	tail -n 30 "$log" 2>/dev/null | sed 's/^/       /'
	collect
	exit 1
}
collect()
{
	xl dmesg >"$results/xl-dmesg.txt" 2>&1 || true
	dmesg >"$results/dmesg.txt" 2>/dev/null || true
	tr -d '\r' <"$console" >"$results/domu-console.log" 2>/dev/null || true
	xenstore-ls -f /local/domain/0/backend/pci >"$results/xenstore-pci.txt" 2>&1 || true
}
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
timing() { echo "$1: $2 s" | tee -a "$timings"; }
ctl() { "$build/compositor/tessera-ctl" --socket "$work/control.sock" "$@"; }
# field KEY CTL_ARGS...: the value of KEY= in tessera-ctl's reply.
field()
{
	local key=$1
	shift
	ctl "$@" 2>/dev/null | tr ' ' '\n' | sed -n "s/^$key=//p"
}
gpu_state() { ctl gpu status 2>/dev/null | tr ' ' '\n' | sed -n 's/^state=//p'; }
domu_lines() { tr -d '\r' <"$console" 2>/dev/null; }
domu_lines_since() { domu_lines | tail -n +$(($1 + 1)); }
domu_mark() { domu_lines | wc -l; }
# wait_for SECONDS COMMAND...: until COMMAND succeeds, every 0.2 s.
wait_for()
{
	local deadline=$((SECONDS + $1))
	shift
	until "$@"; do
		[ $SECONDS -lt $deadline ] || return 1
		sleep 0.2
	done
}
domu_says() { domu_lines_since "$1" | grep -q -E -- "$2"; }
driver_of() { basename "$(readlink "/sys/bus/pci/devices/$1/driver" 2>/dev/null || echo none)"; }
# The handoff machine is in a state it stays in (not releasing/reclaiming).
stable() { case $(gpu_state) in owned | assigned | *failed) return 0 ;; esac; return 1; }
not_assigned() { [ "$(gpu_state)" != assigned ]; }

# screendump NAME: QEMU's picture of the bochs-display as RESULTS_DIR/NAME.ppm
# (gpu-xen-test.sh takes it on the host).
screendump()
{
	rm -f "$results/$1.ppm" "$requests/$1.done"
	: >"$requests/$1.req"
	wait_for 60 test -e "$requests/$1.done" && [ -s "$results/$1.ppm" ]
}
screen() { "$helpers/gpu-xen-screen" "$@"; }
# Tessera's own picture and the device's, taken one after the other: the
# demo guest animates a small square between them, nothing else moves.
scene_on_screen()
{
	ctl screenshot "$results/$1-tessera.png" | grep -q ^ok &&
		screendump "$1-screen" &&
		screen similar "$results/$1-tessera.png" "$results/$1-screen.ppm" 95 &&
		screen no-pattern "$results/$1-screen.ppm"
}
# check_scene NAME PASS_TEXT FAIL_TEXT: one check of scene_on_screen, with
# its measurements indented below.
check_scene()
{
	local output
	if output=$(scene_on_screen "$1" 2>&1); then
		pass "$2"
	else
		fail "$3"
	fi
	echo "$output" | sed 's/^/       /'
}

for binary in "$tessera" "$helpers/gpu-xen-keys" "$helpers/gpu-xen-screen" \
	"$helpers/domu-initrd.gz"; do
	[ -e "$binary" ] || give_up "missing $binary (gpu-xen-test.sh makes it)"
done
xl dmesg | grep -i -E "vt-d" | head -n 3

# ---- dom0: bochs-drm and xen-pciback ----------------------------------------
for module in drm/ttm/ttm drm/drm_ttm_helper drm/drm_vram_helper drm/tiny/bochs; do
	[ -d "/sys/module/$(basename "$module" | tr - _)" ] && continue
	insmod "$kit/modules/kernel/drivers/gpu/$module.ko" || give_up "insmod $module in dom0"
done
[ -d /sys/module/xen_pciback ] ||
	insmod "$kit/modules/kernel/drivers/xen/xen-pciback/xen-pciback.ko" || give_up "no xen-pciback"
bdf=
find_bochs_card()
{
	local card
	for card in /sys/class/drm/card[0-9]; do
		[ "$(driver_of "$(basename "$(readlink -f "$card/device")")")" = bochs-drm ] || continue
		bdf=$(basename "$(readlink -f "$card/device")")
		gpu_card=/dev/dri/$(basename "$card")
		return 0
	done
	return 1
}
wait_for 10 find_bochs_card || give_up "no bochs-drm card in dom0"
fallback=
for card in /sys/class/drm/card[0-9]; do
	[ "$(basename "$(readlink -f "$card/device")")" = "$bdf" ] && continue
	fallback=/dev/dri/$(basename "$card")
	break
done
note "bochs-display at $bdf ($gpu_card), fallback $fallback"

note "dom0 modules loaded"
# ---- the passthrough domU -------------------------------------------------------
# The agent starts at the size Tessera's mosaic gives cad on the 1280x800
# bochs output, so its first frames need no resize (the replacement of
# buffers over grants is covered by xen-e2e.sh).
first_size=620x724
cat >"$work/$domu.cfg" <<CFG
name = "$domu"
type = "pv"
kernel = "$kit/vmlinuz"
ramdisk = "$helpers/domu-initrd.gz"
extra = "console=hvc0 quiet tsr.size=$first_size"
memory = 192
vcpus = 1
on_crash = "destroy"
# No pci = [...] at creation (Tessera drives the device until the handoff),
# so the IOMMU context must be asked for, or xl pci-attach fails with
# "xc_assign_device failed: Operation not supported".
passthrough = "enabled"
CFG
t=$(now)
xl create "$work/$domu.cfg" >"$work/xl-create.log" 2>&1 || give_up "xl create: $(cat "$work/xl-create.log")"
if wait_for 120 domu_says 0 "tessera-domu: .*up \(bochs loaded: yes\)"; then
	timing "domU boot" "$(since "$t")"
	pass "domU $domu boots with xen-pcifront and bochs-drm loaded"
else
	give_up "domU $domu did not come up with bochs loaded: $(domu_lines | tail -n 5)"
fi

# ---- dom0's keyboard and Tessera ----------------------------------------------
mkfifo "$work/keys.in" "$work/keys.out"
"$helpers/gpu-xen-keys" "$keyboard_name" <"$work/keys.in" >"$work/keys.out" &
keys_pid=$!
# Read-write opens of the FIFOs never block, even if the helper died.
exec 7<>"$work/keys.in" 8<>"$work/keys.out"
read -r -t 10 reply <&8 && [ "$reply" = ready ] || give_up "the uinput keyboard was not created"
keys()
{
	local reply
	echo "$*" >&7 && read -r -t 30 reply <&8 && [ "$reply" = "done" ]
}

cat >"$results/gpu-xen.conf" <<EOF
[output]
backend = kms
device = $gpu_card
[control]
socket = control.sock
[domain $domu]
label = CAD
colour = red
transport = xen
[domain work]
colour = blue
transport = local
[gpu_passthrough]
device = $bdf
domain = $domu
drm_driver = bochs-drm
passthrough_driver = xen-pciback
toolstack = xl
step_timeout = 120
card_timeout = 20
fallback_device = $fallback
EOF
TESSERA_LOG=info "$tessera" --config "$results/gpu-xen.conf" --runtime-dir "$work" \
	--input --input-device "$keyboard_name" >"$log" 2>&1 &
tessera_pid=$!
cleanup()
{
	kill "$tessera_pid" "$keys_pid" 2>/dev/null || true
	xl destroy "$domu" 2>/dev/null || true
}
trap cleanup EXIT
wait_for 20 test -S "$work/control.sock" || give_up "tessera did not start"
wait_for 10 stable
grabbed() { grep -q "input: using $keyboard_name" "$log"; }
wait_for 20 grabbed
if [ "$(gpu_state)" = owned ] && [ "$(field card gpu status)" = "$gpu_card" ] && grabbed; then
	pass "tessera drives the bochs card $gpu_card in dom0 (keyboard $keyboard_name grabbed)"
else
	give_up "tessera does not drive $gpu_card or has no keyboard: $(ctl gpu status)"
fi
connected() { [ "$(field connected stats "$domu")" = 1 ] && [ "$(field commits stats "$domu")" -ge 3 ]; }
if wait_for 120 connected; then
	pass "$domu's agent connects over Xen and commits frames ($(ctl stats "$domu"))"
else
	fail "$domu's agent did not connect over Xen ($(ctl stats "$domu"))"
fi
check_scene 1-owned "before the handoff the device shows Tessera's scene (QEMU screendump)" \
	"before the handoff the device does not show Tessera's scene"

# ---- handoff ------------------------------------------------------------------
mark=$(domu_mark)
round_trip=$(now)
t=$round_trip
ctl gpu handoff | grep -q ^ok || give_up "handoff refused: $(ctl gpu status)"
wait_for 180 stable
timing "handoff (command to assigned)" "$(since "$t")"
xl pci-list "$domu" >"$results/pci-list.txt" 2>&1
if [ "$(gpu_state)" = assigned ] && grep -q "${bdf#0000:}" "$results/pci-list.txt" &&
	[ "$(driver_of "$bdf")" = pciback ]; then
	pass "handoff: $bdf on xen-pciback, attached to $domu (xl pci-list)"
else
	give_up "handoff did not complete: $(ctl gpu status); $(cat "$results/pci-list.txt")"
fi
if [ "$(field fallback gpu status)" = "$fallback" ] &&
	ctl screenshot "$results/2-fallback.png" | grep -q ^ok; then
	pass "the desktop goes on on the fallback $fallback"
else
	fail "no desktop on the fallback: $(ctl gpu status)"
fi

if wait_for 60 domu_says "$mark" "tessera-domu: .*gpu: [0-9a-f:.]+ driver=bochs-drm card=/dev/dri/card0"; then
	pass "inside $domu: $(domu_lines_since "$mark" | grep -o "gpu: [0-9a-f:.]* driver=.*" | head -n 1)"
else
	fail "inside $domu bochs-drm did not bind the device: $(domu_lines_since "$mark" | grep gpu | tail -n 3)"
fi
timing "handoff command to bochs-drm bound in the guest" "$(since "$t")"
if wait_for 60 domu_says "$mark" "gpu-domu-pattern: showing the pattern"; then
	pass "inside $domu: $(domu_lines_since "$mark" | grep -o "gpu-domu-pattern: showing.*" | head -n 1)"
else
	fail "$domu did not modeset its pattern: $(domu_lines_since "$mark" | grep gpu-domu | tail -n 3)"
fi
timing "handoff command to the guest's picture" "$(since "$t")"
if output=$(screendump 3-domu-screen && screen pattern "$results/3-domu-screen.ppm" 2>&1); then
	pass "the device shows $domu's own picture, pixel for pixel (QEMU screendump)"
else
	fail "the device does not show $domu's picture"
fi
echo "$output" | sed 's/^/       /'

# ---- input while the domU owns the GPU -----------------------------------------
mark=$(domu_mark)
typed="input key 45 pressed|input key 45 released|input key 18 pressed|input key 18 released|input key 49 pressed|input key 49 released"
typed_arrived()
{
	[ "$(domu_lines_since "$mark" | grep -E "^input key" | head -n 6 | paste -sd'|')" = "$typed" ]
}
t=$(now)
if keys "type xen" && wait_for 30 typed_arrived; then
	pass "keys typed on dom0's keyboard reach $domu (x e n: codes 45 18 49, pressed and released)"
else
	fail "typed keys did not reach $domu: $(domu_lines_since "$mark" | grep -E "^input" | head -n 8 | paste -sd' ')"
fi
timing "keys typed to seen in the guest" "$(since "$t")"

# ---- the secure chord brings the GPU back ------------------------------------------
t=$(now)
note "typing Ctrl+Alt+G at $(date +%s)"
keys "chord g" || fail "the keyboard did not type the chord"
wait_for 10 not_assigned
wait_for 180 stable
timing "reclaim (chord to owned)" "$(since "$t")"
timing "round trip (handoff command to owned again)" "$(since "$round_trip")"
if [ "$(gpu_state)" = owned ]; then
	pass "Ctrl+Alt+G in dom0 reclaims the GPU ($(ctl gpu status | cut -d' ' -f2,6-7))"
else
	give_up "the chord did not bring the GPU back: $(ctl gpu status)"
fi
leaked=$(domu_lines_since "$mark" | grep -E "^input key (29|56|34|97|100) " | head -n 3 | paste -sd' ')
if [ -z "$leaked" ] && typed_arrived; then
	pass "no part of Ctrl+Alt+G reached $domu (no key 29, 56 or 34 in its log)"
else
	fail "the chord leaked into $domu: $leaked"
fi
if domu_says "$mark" "tessera-domu: .*gpu: [0-9a-f:.]+ removed"; then
	pass "inside $domu the device left (xl pci-detach through pcifront)"
else
	fail "$domu did not see the device leave"
fi
# Not `xl pci-list`: libxl 4.17 still lists a PV domain's detached device
# (its backend entry stays, state-0 = 5), although the guest has let it go
# and pciback has released it.
xl pci-list "$domu" >"$results/pci-list-after.txt" 2>&1
if [ "$(driver_of "$bdf")" = bochs-drm ] && [ -e "$gpu_card" ] &&
	[ "$(field card gpu status)" = "$gpu_card" ]; then
	pass "dom0: bochs-drm bound again, $gpu_card back and driven by Tessera"
else
	fail "dom0 did not get the device back: driver $(driver_of "$bdf"), $(ctl gpu status)"
fi
check_scene 4-reclaimed \
	"after the reclaim the device shows Tessera's scene again (QEMU screendump)" \
	"after the reclaim the device does not show Tessera's scene"
if [ "$(field connected stats "$domu")" = 1 ]; then
	pass "$domu's agent stayed connected through the round trip"
else
	fail "$domu's agent lost its connection ($(ctl stats "$domu"))"
fi

ctl gpu timings | tr ' ' '\n' | sed -n 's/_ms=/ ms: /p' | tee -a "$timings"
ctl quit >/dev/null 2>&1 || kill "$tessera_pid"
if wait "$tessera_pid"; then pass "tessera exited cleanly"; else fail "tessera exited with $?"; fi
exec 7>&-
collect
note "$(grep -c '^ok ' "$checks") passed, $(grep -c '^FAIL ' "$checks") failed"
! grep -q '^FAIL ' "$checks"
