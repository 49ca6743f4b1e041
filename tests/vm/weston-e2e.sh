#!/bin/bash
# In-dom0 end-to-end test of a real guest desktop through Tessera's PV
# display and input backends, run with the Xen stage (run-xen-tests.sh
# BUILD_DIR weston-e2e).
#
# The guest is a PV domU whose desktop is Debian's own, unmodified: weston
# on its DRM backend with the pixman renderer (its direct launcher as
# root, systemd-udevd, libinput, xkbcommon), on Linux's xen-drm-front (the `xl` vdispl line) and
# xen-kbdfront (the vkb line), with weston-terminal maximized
# (prepare-weston-domu.sh builds it from Debian's packages; nothing of
# Tessera's is in it). Tessera runs in dom0 on vkms with a uinput keyboard
# and pointer (kbdif-input). Checks:
#  - weston starts on the guest's xen-drm-front card and its picture is
#    presented by Tessera (the domain's commits rise);
#  - a command typed on the dom0 keyboard runs in the guest's terminal
#    (keys through kbdif, xen-kbdfront, libinput, weston, xkbcommon and the
#    terminal's pty) and its result comes back;
#  - what weston drew — a screenshot taken inside the guest by weston's own
#    screenshooter, after the typed text is on screen — equals, pixel for
#    pixel, the domain's content in Tessera's writeback capture (found by
#    weston-shot-check; a diff image is written when it does not);
#  - `xl destroy` is answered at once and leaves no mapping in Tessera.
#
# Each check prints "ok   ..." or "FAIL ..." (also appended to
# RESULTS_DIR/checks.txt); logs, consoles, the guest's screenshots and the
# captures go to RESULTS_DIR.
set -eu
# shellcheck source=xen-check-lib.sh
. "$(dirname "$(readlink -f "$0")")/xen-check-lib.sh"
build_dir=$(readlink -f "$1")
results_dir=$2
kit=$(readlink -f "$build_dir/vm-kit/current")
input_helper=$build_dir/tests/vm/kbdif-input
shot_check=$build_dir/tests/vm/weston-shot-check
initrd=$kit/weston-domu/initrd.cpio
checks=$results_dir/checks.txt
: >"$checks"

for file in "$input_helper" "$shot_check" "$build_dir/compositor/tessera" "$initrd"; do
	[ -e "$file" ] || give_up "weston-e2e: missing $file (build, and tests/vm/prepare-weston-domu.sh)"
done
domu_kernel=$kit/xen/domu-vmlinux
[ -s "$domu_kernel" ] || domu_kernel=$kit/vmlinuz

work=/tmp/weston-e2e
rm -rf "$work"
mkdir -p "$work"
output=1024x768
guest=desktop
guest_size=800x600
device_name="tessera-weston-e2e"
conf=$work/tessera.conf
cat >"$conf" <<CONF
[output]
backend = kms
width = ${output%x*}
height = ${output#*x}
[control]
socket = $work/control.sock
[domain $guest]
label = Debian desktop
colour = blue
transport = xen
display = pv
input = pv
CONF
cp "$conf" "$results_dir/tessera.conf"
trap 'cp /var/log/xen/console/guest-*.log "$results_dir/" 2>/dev/null || true' EXIT

guest_says() { console_of "$guest" | grep -qE "$1"; }

# ---- the dom0 keyboard and pointer, then Tessera ------------------------------
mkfifo "$work/input.in" "$work/input.out"
"$input_helper" "$device_name" "${output%x*}" "${output#*x}" <"$work/input.in" \
	>"$work/input.out" 2>"$results_dir/kbdif-input.log" &
exec 7<>"$work/input.in" 8<>"$work/input.out"
read -r -t 10 reply <&8 && [ "$reply" = ready ] || give_up "the uinput device was not created"

TESSERA_LOG=debug "$build_dir/compositor/tessera" --config "$conf" --input-device "$device_name" \
	--runtime-dir "$work" >"$results_dir/tessera.log" 2>&1 &
tessera=$!
wait_for 30 ctl status >/dev/null 2>&1 || {
	cat "$results_dir/tessera.log"
	give_up "tessera did not start"
}
pass "tessera started on vkms with the uinput keyboard and pointer (pid $tessera)"
ctl layout focus >/dev/null
ctl focus "$guest" >/dev/null
# Tessera's own cursor stays on its banner, away from the guest's picture.
send "move 2 2" || fail "the uinput pointer did not move"

# ---- the guest: Debian's weston on xen-drm-front -----------------------------
cat >"$work/$guest.cfg" <<CFG
name = "$guest"
type = "pv"
kernel = "$domu_kernel"
ramdisk = "$initrd"
extra = "console=hvc0 quiet"
memory = 512
vcpus = 1
on_crash = "destroy"
vdispl = [ "backend=0,be-alloc=0,connectors=c0:$guest_size" ]
vkb = [ "backend-type=linux,feature-abs-pointer=1,width=${guest_size%x*},height=${guest_size#*x}" ]
CFG
xl_create "$guest" || give_up "xl create $guest failed: $(cat "$work/xl-create-$guest.log")"
pass "xl create $guest with vdispl and vkb lines (initramfs of $(du -m "$initrd" | cut -f1) MiB from Debian's packages)"
connected() { grep -qE "\[domain $guest/[0-9]+\].*vdispl 0 connected" "$results_dir/tessera.log"; }
wait_for 300 connected || give_up "xen-drm-front of $guest never connected: $(console_of "$guest" | tail -n 5)"
if wait_for 300 guest_says "tessera-domu: (weston up|weston did not start)" && guest_says "tessera-domu: weston up"; then
	pass "weston (drm-backend, pixman renderer, direct launcher) runs on the guest's xen-drm-front card: $(console_of "$guest" | grep -m1 'tessera-domu: card:' | sed 's/^tessera-domu: //')"
else
	console_of "$guest" | tail -n 40
	give_up "weston did not start in $guest: $(console_of "$guest" | grep 'weston:' | tail -n 5)"
fi
wait_for 60 guest_says "tessera-domu: terminal up" || fail "weston-terminal did not start"
commits() { ctl stats "$guest" 2>/dev/null | sed -n 's/.*commits=\([0-9]*\).*/\1/p' | head -n 1; }
first=$(commits)
presented() { [ "$(commits)" -gt "${first:-0}" ] 2>/dev/null; }
if wait_for 120 presented; then
	pass "tessera presents weston's frames ($(ctl stats "$guest" | head -n 1))"
else
	fail "no new commits from weston: $(ctl stats "$guest" 2>&1 | head -n 1)"
fi

# ---- typed in dom0, run in the terminal of the guest's desktop ---------------------
# weston-terminal shows a prompt once its shell runs; give its first frames
# time to be drawn before the keys arrive.
sleep 5
send "type expr 1000 - 1" && send enter || fail "the uinput keyboard did not type"
if wait_for 120 guest_says "tessera-domu: term: 999$"; then
	pass "'expr 1000 - 1' typed on the dom0 keyboard ran in weston-terminal in the guest and printed 999"
else
	fail "no '999' from the guest's terminal: $(console_of "$guest" | grep 'term' | tail -n 3)"
fi

# ---- what weston drew is what Tessera shows --------------------------------------
# After each typed command the guest sends three screenshots (3 s apart) of
# weston's own output. A capture of Tessera's output is taken as soon as
# each one has arrived; the check passes when one of them equals the
# capture (a terminal cursor that blinks between the two may spoil one).
extract_shot()
{
	console_of "$guest" | sed -n "/tessera-domu: shot-begin $1\$/,/tessera-domu: shot-end $1\$/p" |
		grep -v '^tessera-domu:' | base64 -d >"$work/guest-$1.png" 2>/dev/null
}
matched=no
summary=
for shot in 1 2 3; do
	if ! wait_for 120 guest_says "tessera-domu: shot-end $shot$"; then
		summary="$summary; screenshot $shot never arrived ($(console_of "$guest" | grep -m1 'screenshot .* failed' || true))"
		break
	fi
	ctl screenshot "$work/capture-$shot.png" >/dev/null 2>&1 || {
		summary="$summary; capture $shot failed"
		continue
	}
	extract_shot "$shot" || {
		summary="$summary; screenshot $shot is not base64"
		continue
	}
	cp "$work/guest-$shot.png" "$work/capture-$shot.png" "$results_dir/"
	if "$shot_check" "$work/capture-$shot.png" "$work/guest-$shot.png" "$results_dir/diff-$shot.png" \
		>"$work/check-$shot.txt" 2>&1; then
		matched=yes
		pass "weston's own screenshot $shot (taken in the guest, the typed command and its result on it) equals Tessera's capture: $(cat "$work/check-$shot.txt")"
		break
	fi
	summary="$summary; $shot: $(cat "$work/check-$shot.txt")"
done
[ $matched = yes ] || fail "no guest screenshot equals Tessera's capture${summary}"

# ---- removal ---------------------------------------------------------------------
xl destroy "$guest" >"$work/xl-destroy.log" 2>&1 || true
if grep -qiE "timed out|timeout" "$work/xl-destroy.log"; then
	fail "xl destroy waited for a backend: $(cat "$work/xl-destroy.log")"
else
	pass "xl destroy $guest: both backends answered at once (no libxl timeout)"
fi
gone() { [ "$(grep -c /dev/xen/gntdev "/proc/$tessera/maps" || true)" -eq 0 ]; }
wait_for 20 gone && pass "no gntdev mapping left in tessera after the desktop is gone" ||
	fail "$(grep -c /dev/xen/gntdev "/proc/$tessera/maps") gntdev mappings left after xl destroy"
kill -0 "$tessera" 2>/dev/null && pass "tessera is still running" || fail "tessera died"

kill "$tessera" 2>/dev/null || true
wait "$tessera" 2>/dev/null || true
report weston-e2e
