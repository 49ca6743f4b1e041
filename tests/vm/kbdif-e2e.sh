#!/bin/bash
# In-dom0 end-to-end test of the kbdif backend (Xen PV keyboard/pointer for
# Linux's own xen-kbdfront), run through run-xen.sh, or with the whole Xen
# stage through run-xen-tests.sh:
#   tests/vm/run-xen.sh BUILD_DIR RESULTS_DIR $PWD/tests/vm/kbdif-e2e.sh BUILD_DIR RESULTS_DIR
#
# Tessera runs in dom0 on vkms with one uinput device (kbdif-input: a
# keyboard and an absolute pointer). A PV domU with an `xl` vkb line boots
# the PV-devices initramfs (prepare-pv-domu.sh: nothing of Tessera's in
# it); its pv-evdev-log reports what reaches the guest's own evdev devices
# and its tty1 shell runs what is typed on tty1, both on its console.
# Checks: the device connects with the toolstack's absolute range; a
# command typed in dom0 runs in the guest's shell and its output comes
# back; a secure chord fires in Tessera and never reaches the guest's evdev
# device (press or release); a held key repeats (Tessera's repeat) and
# stops on release; pointer positions arrive at the guest pixel under the
# dom0 pointer (from Tessera's layout); `xl destroy` answers at once (no
# libxl timeout) and leaves no gntdev mapping; a domain that is not in the
# configuration is refused with one log line.
#
# Each check prints "ok   ..." or "FAIL ..." (also appended to
# RESULTS_DIR/checks.txt); logs and consoles go to RESULTS_DIR.
set -eu
# shellcheck source=xen-check-lib.sh
. "$(dirname "$(readlink -f "$0")")/xen-check-lib.sh"
build_dir=$(readlink -f "$1")
results_dir=$2
kit=$(readlink -f "$build_dir/vm-kit/current")
input_helper=$build_dir/tests/vm/kbdif-input
expect_helper=$build_dir/tests/vm/kbdif-expect
initrd=$kit/pv-domu/initrd.cpio
checks=$results_dir/checks.txt
: >"$checks"

for file in "$input_helper" "$expect_helper" "$build_dir/compositor/tessera" "$initrd"; do
	[ -e "$file" ] || give_up "kbdif-e2e: missing $file (build, and tests/vm/prepare-pv-domu.sh)"
done
domu_kernel=$kit/xen/domu-vmlinux
[ -s "$domu_kernel" ] || domu_kernel=$kit/vmlinuz

work=/tmp/kbdif-e2e
rm -rf "$work"
mkdir -p "$work"
output=1024x768
guest=pvin
guest_size=800x600
device_name="tessera-kbdif-e2e"
conf=$work/tessera.conf
cat >"$conf" <<CONF
[output]
backend = kms
width = ${output%x*}
height = ${output#*x}
[control]
socket = $work/control.sock
[input]
repeat_delay = 1000
repeat_rate = 20
[domain $guest]
label = PV input
colour = purple
transport = xen
input = pv
[domain other]
label = Other (no guest)
colour = green
transport = local
CONF
cp "$conf" "$results_dir/tessera.conf"
trap 'cp /var/log/xen/console/guest-*.log "$results_dir/" 2>/dev/null || true' EXIT

guest_says() { console_of "$guest" | grep -qE "$1"; }
evdev_lines() { console_of "$guest" | grep "tessera-domu: evdev event$1 " || true; }

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
grep -q "kbdif: watching" "$results_dir/tessera.log" && pass "the kbdif backend watches backend/vinput" ||
	fail "no 'kbdif: watching' line in tessera.log"

# ---- the guest ---------------------------------------------------------------
guest_config()
{
	cat >"$work/$1.cfg" <<CFG
name = "$1"
type = "pv"
kernel = "$domu_kernel"
ramdisk = "$initrd"
extra = "console=hvc0 quiet"
memory = 128
vcpus = 1
on_crash = "destroy"
vkb = [ "backend-type=linux,feature-abs-pointer=1,width=${guest_size%x*},height=${guest_size#*x}" ]
CFG
}
guest_config "$guest"
xl_create "$guest" || give_up "xl create $guest failed: $(cat "$work/xl-create-$guest.log")"
if wait_for 240 guest_says "tessera-domu: up"; then
	pass "PV domU $guest boots the PV-devices initramfs"
else
	give_up "$guest did not come up: $(console_of "$guest" | tail -n 5)"
fi
keyboard_ok() { guest_says 'evdev added event[0-9]+ "Xen Virtual Keyboard"'; }
pointer_ok() { guest_says 'evdev added event[0-9]+ "Xen Virtual Pointer"'; }
if wait_for 60 keyboard_ok && wait_for 30 pointer_ok; then
	pass "xen-kbdfront's keyboard and pointer appeared in the guest"
else
	give_up "no Xen Virtual Keyboard/Pointer in the guest: $(console_of "$guest" | grep evdev | tail -n 3)"
fi
kbd=$(console_of "$guest" | sed -n 's/.*evdev added event\([0-9]*\) "Xen Virtual Keyboard".*/\1/p' | head -n 1)
ptr=$(console_of "$guest" | sed -n 's/.*evdev added event\([0-9]*\) "Xen Virtual Pointer".*/\1/p' | head -n 1)
range=$(console_of "$guest" | sed -n 's/.*"Xen Virtual Pointer" abs-x 0\.\.\([0-9]*\) abs-y 0\.\.\([0-9]*\).*/\1x\2/p' | head -n 1)
[ "$range" = "$guest_size" ] && pass "absolute pointer range 0..${guest_size%x*} x 0..${guest_size#*x} (the vkb line's)" ||
	fail "pointer range '$range', expected $guest_size"
line=$(grep -E "\[domain $guest/[0-9]+\].*kbdif: vkbd/0 connected" "$results_dir/tessera.log" | head -n 1)
[ -n "$line" ] && pass "tessera: ${line#*] }" || fail "no 'kbdif: vkbd/0 connected' naming $guest"

# ---- typed in dom0, run in the guest's shell -----------------------------------
send "type expr 40 - 2" && send enter || fail "the uinput keyboard did not type"
if wait_for 30 guest_says "tessera-domu: tty1: 38$"; then
	pass "'expr 40 - 2' typed in dom0 ran in the guest's tty1 shell and printed 38"
else
	fail "no '38' from the guest's shell: $(console_of "$guest" | grep tty1 | tail -n 3)"
fi

# ---- the secure chord never reaches the guest --------------------------------
before=$(evdev_lines "$kbd" | wc -l)
send "chord m" || fail "the chord was not typed"
in_mosaic() { ctl status | grep -q layout=mosaic; }
wait_for 10 in_mosaic && pass "Ctrl+Alt+M switched Tessera to mosaic" || fail "the chord did not fire: $(ctl status)"
send "chord m" >/dev/null
send "type echo chordend" && send enter
wait_for 30 guest_says "tessera-domu: tty1: chordend$" || fail "the marker command did not run"
leaked=$(evdev_lines "$kbd" | tail -n +"$((before + 1))" | awk '$5 == 29 || $5 == 56 || $5 == 50 || $5 == 97 || $5 == 100' | head -n 3)
if [ -z "$leaked" ]; then
	pass "the guest's evdev keyboard saw no Ctrl, Alt or M of the two chords (press or release)"
else
	fail "the chord leaked into the guest: $leaked"
fi
ctl layout focus >/dev/null
ctl focus "$guest" >/dev/null

# ---- key repeat by Tessera -----------------------------------------------------
before=$(evdev_lines "$kbd" | wc -l)
send "hold 30 2500" || fail "the key was not held"
send enter
wait_for 30 guest_says "tessera-domu: tty1 status" || true
after=$(evdev_lines "$kbd" | tail -n +"$((before + 1))")
repeats=$(echo "$after" | grep -c " key 30 2$" || true)
release_line=$(echo "$after" | grep -n " key 30 0$" | head -n 1 | cut -d: -f1)
late=$(echo "$after" | tail -n +"${release_line:-1}" | grep -c " key 30 2$" || true)
if [ "$repeats" -ge 2 ] && [ -n "$release_line" ] && [ "$late" -eq 0 ]; then
	pass "a held A repeated $repeats times in the guest (delay 1000 ms, 20/s) and stopped at its release"
else
	fail "repeat: $repeats repeats, release at line '${release_line:-none}', $late after it"
fi

# ---- focus-out releases what the guest holds, and stops its repeat ----------------
before=$(evdev_lines "$kbd" | wc -l)
send "press 48" || fail "B was not pressed"
sleep 2
ctl focus other >/dev/null
sleep 1
send "release 48"
ctl focus "$guest" >/dev/null
send enter
wait_for 30 guest_says "tessera-domu: tty1 status" || true
after=$(evdev_lines "$kbd" | tail -n +"$((before + 1))")
releases=$(echo "$after" | grep -c " key 48 0$" || true)
release_line=$(echo "$after" | grep -n " key 48 0$" | head -n 1 | cut -d: -f1)
late=$(echo "$after" | tail -n +"${release_line:-1}" | grep -c " key 48 [12]$" || true)
if [ "$releases" -eq 1 ] && [ "$late" -eq 0 ]; then
	pass "B held across a focus change: released in the guest at focus-out, no repeat after, no second release"
else
	fail "focus-out: $releases releases of B, $late presses/repeats after the first"
fi

# ---- the pointer lands on the guest pixel under the dom0 pointer ------------------
last_abs() { evdev_lines "$ptr" | awk -v axis="$1" '$4 == "abs" && $5 == axis { v = $6 } END { print v }'; }
for point in "300 200" "611 477" "150 600"; do
	# shellcheck disable=SC2086 # two numbers on purpose
	set -- $point
	want=$("$expect_helper" "$conf" "$guest" "$output" "$1" "$2" "$guest_size")
	send "move $1 $2" || fail "the pointer did not move"
	at_pixel() { [ "$(last_abs 0) $(last_abs 1)" = "$want" ]; }
	if wait_for 15 at_pixel; then
		pass "dom0 pointer at ($1, $2) -> guest pixel ($want)"
	else
		fail "dom0 pointer at ($1, $2): guest at ($(last_abs 0) $(last_abs 1)), expected ($want)"
	fi
done

# ---- a domain Tessera does not know ---------------------------------------------
guest_config stranger
started=$(date +%s)
xl create "$work/stranger.cfg" >"$work/xl-create-stranger.log" 2>&1 && rc=0 || rc=$?
echo "figure: xl create of the unconfigured domain: exit $rc after $(($(date +%s) - started)) s"
sed 's/^/       /' "$work/xl-create-stranger.log" | tail -n 5
refused() { grep -q "kbdif: domain 'stranger' (domid [0-9]*) has a vkb device but no \[domain\]" "$results_dir/tessera.log"; }
if wait_for 60 refused; then
	pass "a vkb device of an unconfigured domain is refused with one log line"
else
	fail "no refusal line for 'stranger'"
fi
xl destroy stranger >/dev/null 2>&1 || true

# ---- xl destroy: answered at once, nothing left mapped ------------------------------
maps_before=$(grep -c /dev/xen/gntdev "/proc/$tessera/maps" || true)
started=$(date +%s)
xl destroy "$guest" >"$work/xl-destroy.log" 2>&1 || true
echo "figure: xl destroy $guest took $(($(date +%s) - started)) s"
if grep -qiE "timed out|timeout" "$work/xl-destroy.log"; then
	fail "xl destroy waited for the backend: $(cat "$work/xl-destroy.log")"
else
	pass "xl destroy $guest: the backend answered Closing with Closed (no libxl timeout)"
fi
removed() { grep -qE "\[domain $guest/[0-9]+\].*kbdif: vkbd/0 removed" "$results_dir/tessera.log"; }
wait_for 20 removed && pass "tessera forgot the device after xl destroy" || fail "no 'vkbd/0 removed' line"
maps_after=$(grep -c /dev/xen/gntdev "/proc/$tessera/maps" || true)
[ "$maps_after" -eq 0 ] && pass "no gntdev mapping left in tessera (was $maps_before with the guest)" ||
	fail "$maps_after gntdev mappings left after xl destroy"

kill "$tessera" 2>/dev/null || true
wait "$tessera" 2>/dev/null || true
exec 7>&- 8>&-
report kbdif-e2e
