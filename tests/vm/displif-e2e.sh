#!/bin/bash
# In-dom0 end-to-end test of the displif backend (Xen PV display for
# Linux's own xen-drm-front), run with the Xen stage (run-xen-tests.sh
# BUILD_DIR displif-e2e) or alone through run-xen.sh:
#   tests/vm/run-xen.sh BUILD_DIR RESULTS_DIR $PWD/tests/vm/displif-e2e.sh BUILD_DIR RESULTS_DIR
#
# Tessera runs in dom0 on vkms. PV domUs with an `xl` vdispl line boot the
# PV-devices initramfs (prepare-pv-domu.sh: Debian's kernel and libdrm's
# modetest, nothing of Tessera's) and run modetest on their xen-drm-front
# card. Checks: the device connects; modetest's test pattern appears in
# the domain's frame of Tessera's writeback capture, pixel for pixel; a
# guest with two connectors (modetest sets and flips both at once) shows
# each connector's part of the pattern pixel for pixel, side by side where
# the layout puts them, and the flips of both connectors are answered with
# no flip event missing on either; `modetest -v` page flips keep being
# answered (Tessera's commits of that domain keep rising); `xl destroy` of
# the flipping guest answers at once
# and the other guest is still shown; no gntdev mapping is left once the
# guests are gone; `xl create` of a domain that is not in the
# configuration fails at once with one refusal line in Tessera's log.
#
# Each check prints "ok   ..." or "FAIL ..." (also appended to
# RESULTS_DIR/checks.txt); logs and consoles go to RESULTS_DIR.
set -eu
# shellcheck source=xen-check-lib.sh
. "$(dirname "$(readlink -f "$0")")/xen-check-lib.sh"
build_dir=$(readlink -f "$1")
results_dir=$2
kit=$(readlink -f "$build_dir/vm-kit/current")
check_helper=$build_dir/tests/vm/displif-capture-check
hostile=$build_dir/tests/vm/hostile-displif
initrd=$kit/pv-domu/initrd.cpio
checks=$results_dir/checks.txt
: >"$checks"

for file in "$check_helper" "$hostile" "$build_dir/compositor/tessera" "$initrd"; do
	[ -e "$file" ] || give_up "displif-e2e: missing $file (build, and tests/vm/prepare-pv-domu.sh)"
done
domu_kernel=$kit/xen/domu-vmlinux
[ -s "$domu_kernel" ] || domu_kernel=$kit/vmlinuz

work=/tmp/displif-e2e
rm -rf "$work"
mkdir -p "$work"
output=1024x768
still=pvstill
flipper=pvflip
dual=pvdual
guest_size=640x480
# Two connectors of different heights: modetest's framebuffer is 800x360,
# connector 0 scans out its 480x360 at 0,0, connector 1 its 320x240 at 480,0.
dual_connectors="c0:480x360;c1:320x240"
conf=$work/tessera.conf
cat >"$conf" <<CONF
[output]
backend = kms
width = ${output%x*}
height = ${output#*x}
[control]
socket = $work/control.sock
[domain $still]
label = PV still
colour = purple
transport = xen
display = pv
[domain $flipper]
label = PV flips
colour = orange
transport = xen
display = pv
[domain $dual]
label = PV two connectors
colour = green
transport = xen
display = pv
CONF
hostile_modes="prod-overflow lying-directory foreign-refs fb-overflow state-games"
for mode in $hostile_modes; do
	printf '[domain h-%s]\ncolour = red\ntransport = xen\ndisplay = pv\n' "$mode" >>"$conf"
done
cp "$conf" "$results_dir/tessera.conf"
trap 'cp /var/log/xen/console/guest-*.log "$results_dir/" 2>/dev/null || true' EXIT

guest_says() { console_of "$1" | grep -qE "$2"; }

# The hostile frontends' initramfs (used near the end), built before any
# guest runs: dom0 is idle now, and under emulation a flipping guest makes
# this take minutes. The kit's busybox with event channels, xenfs and
# gntalloc (no DRM, so no xen-drm-front claims the device) and
# hostile-displif.
root=$work/hostile-root
mkdir -p "$root"
(cd "$root" && zcat "$kit/initrd.gz" | cpio -id 2>/dev/null)
domu_modules="xen-evtchn xen-privcmd xenfs xen-gntalloc"
: >"$root/etc/modules/tessera-domu.load"
for module in $domu_modules; do
	grep "^$module " "$root/etc/modules/xen-domu.load" >>"$root/etc/modules/tessera-domu.load"
done
for ko in "$root"/lib/modules/*.ko; do
	case " $domu_modules " in *" $(basename "$ko" .ko) "*) ;; *) rm -f "$ko" ;; esac
done
cp "$(dirname "$(readlink -f "$0")")/displif-hostile-init.sh" "$root/init"
cp "$hostile" "$root/bin/hostile-displif"
(cd "$root" && find . | cpio -o -H newc 2>/dev/null) >"$work/hostile-initrd.cpio"

TESSERA_LOG=debug "$build_dir/compositor/tessera" --config "$conf" --no-input \
	--runtime-dir "$work" >"$results_dir/tessera.log" 2>&1 &
tessera=$!
wait_for 30 ctl status >/dev/null 2>&1 || {
	cat "$results_dir/tessera.log"
	give_up "tessera did not start"
}
pass "tessera started on vkms (pid $tessera)"
grep -q "displif: watching" "$results_dir/tessera.log" && pass "the displif backend watches backend/vdispl" ||
	fail "no 'displif: watching' line in tessera.log"

# guest_config NAME MODETEST_MODE [CONNECTORS]
guest_config()
{
	cat >"$work/$1.cfg" <<CFG
name = "$1"
type = "pv"
kernel = "$domu_kernel"
ramdisk = "$initrd"
extra = "console=hvc0 quiet tsr.modetest=$2"
memory = 128
vcpus = 1
on_crash = "destroy"
vdispl = [ "backend=0,be-alloc=0,connectors=${3:-c0:$guest_size}" ]
CFG
}

# ---- a still picture: modetest's pattern, pixel for pixel ---------------------
guest_config "$still" static
xl_create "$still" || give_up "xl create $still failed: $(cat "$work/xl-create-$still.log")"
pass "xl create $still with a vdispl line succeeded (the backend reached InitWait in time)"
connected() { grep -qE "\[domain $1/[0-9]+\].*vdispl 0 connected" "$results_dir/tessera.log"; }
if wait_for 240 connected "$still"; then
	pass "tessera: $(grep -E "\[domain $still/[0-9]+\].*vdispl 0 connected" "$results_dir/tessera.log" | head -n 1 | sed 's/^.*\] //')"
else
	give_up "xen-drm-front of $still never connected: $(console_of "$still" | tail -n 5)"
fi
if wait_for 60 guest_says "$still" "tessera-domu: modetest card"; then
	pass "modetest runs on the guest's xen-drm-front card: $(console_of "$still" | grep -m1 'modetest card' | sed 's/^tessera-domu: //')"
else
	fail "modetest did not find the card: $(console_of "$still" | grep modetest | tail -n 3)"
	echo "---- $still's console:"
	console_of "$still" | tail -n 30
	domid=$(xl domid "$still" 2>/dev/null || true)
	xenstore-ls -f "/local/domain/$domid/device/vdispl" 2>/dev/null | head -n 30
	xenstore-ls -f "/local/domain/0/backend/vdispl/$domid" 2>/dev/null | head -n 20
fi
ctl layout focus >/dev/null
ctl focus "$still" >/dev/null
pattern_shown()
{
	ctl screenshot "$work/still.png" >/dev/null 2>&1 &&
		"$check_helper" "$work/still.png" "${guest_size%x*}" "${guest_size#*x}" >"$work/check.txt" 2>&1
}
if wait_for 60 pattern_shown; then
	pass "writeback capture: $(cat "$work/check.txt")"
else
	fail "modetest's pattern is not in the capture: $(cat "$work/check.txt")"
fi
cp "$work/still.png" "$results_dir/still.png" 2>/dev/null || true

# ---- two connectors: each one's part of the pattern, side by side -------------
# modetest -v on both connectors: each flips between its part of the
# pattern and a plain grey frame, on its own ring with its own events.
guest_config "$dual" flip-all "$dual_connectors"
xl_create "$dual" || give_up "xl create $dual failed: $(cat "$work/xl-create-$dual.log")"
if wait_for 240 connected "$dual"; then
	line=$(grep -E "\[domain $dual/[0-9]+\].*vdispl 0 connected" "$results_dir/tessera.log" | head -n 1 | sed 's/^.*\] //')
	case $line in
	*"(2 connectors: 480x360 320x240)"*) pass "tessera: $line" ;;
	*) fail "$dual did not connect with 2 connectors: $line" ;;
	esac
else
	fail "xen-drm-front of $dual never connected: $(console_of "$dual" | tail -n 5)"
fi
if wait_for 60 guest_says "$dual" "tessera-domu: modetest card .*connectors .*:.* .*:"; then
	pass "modetest sets both connectors: $(console_of "$dual" | grep -m1 'modetest card' | sed 's/^tessera-domu: //')"
else
	fail "modetest did not set two connectors: $(console_of "$dual" | grep modetest | tail -n 3)"
fi
ctl focus "$dual" >/dev/null
# Connector N's part of the pattern, found in a capture ("found at X,Y"),
# work/dual-N.png the capture it was found in. The connectors flip on
# their own, so a capture may show one of them on its grey frame: each is
# looked for until a capture shows it (the layout does not move them).
dual_part()
{
	ctl screenshot "$work/dual.png" >/dev/null 2>&1 || return 1
	for n in 0 1; do
		[ -e "$work/dual-$n.png" ] && continue
		if [ "$n" = 0 ]; then
			set -- 480 360 800 360 0 0
		else
			set -- 320 240 800 360 480 0
		fi
		"$check_helper" "$work/dual.png" "$@" >"$work/dual-$n.txt" 2>&1 &&
			cp "$work/dual.png" "$work/dual-$n.png"
	done
	[ -e "$work/dual-0.png" ] && [ -e "$work/dual-1.png" ]
}
if wait_for 120 dual_part; then
	pass "connector 0: $(cat "$work/dual-0.txt")"
	pass "connector 1: $(cat "$work/dual-1.txt")"
	# Where the layout puts them (README, "What you see"): the focus
	# content area W x H (pv_fit) split into slots as wide as each
	# display's share of the summed widths, each display centred in its
	# slot. Compared as offsets between the two (the frame's origin is the
	# layout's business, tested in the unit tests).
	fit=$(ctl status | sed -n 's/.*pv_fit=connectors=c0:\([0-9]*x[0-9]*\).*/\1/p')
	content_w=${fit%x*} content_h=${fit#*x}
	split=$((content_w * 480 / 800))
	want_dx=$((split + (content_w - split - 320) / 2 - (split - 480) / 2))
	want_dy=$(((content_h - 240) / 2 - (content_h - 360) / 2))
	at() { sed -n 's/.* found at \([0-9]*\),\([0-9]*\):.*/\1 \2/p' "$1"; }
	read -r x0 y0 <<<"$(at "$work/dual-0.txt")"
	read -r x1 y1 <<<"$(at "$work/dual-1.txt")"
	if [ "$((x1 - x0))" -eq "$want_dx" ] && [ "$((y1 - y0))" -eq "$want_dy" ]; then
		pass "connector 1 is beside connector 0 where the layout puts it (+$want_dx,+$want_dy in a ${fit} content area)"
	else
		fail "connector 1 at $x1,$y1, connector 0 at $x0,$y0: expected an offset of +$want_dx,+$want_dy (content ${fit})"
	fi
	case $(ctl status) in
	*" pv.$dual=1:1"*) pass "tessera-ctl status: pv.$dual=1:1 (both connectors unscaled)" ;;
	*) fail "tessera-ctl status for $dual: $(ctl status | grep -o " pv\.$dual=[^ ]*")" ;;
	esac
else
	fail "the two connectors' parts are not in the capture: $(cat "$work/dual-0.txt" "$work/dual-1.txt" 2>/dev/null | tr '\n' ' ')"
fi
cp "$work"/dual-?.png "$results_dir/" 2>/dev/null || true
# modetest prints "freq: N Hz" every 60 flips of each connector.
dual_freq() { console_of "$dual" | grep -c "tessera-domu: modetest: freq:" || true; }
dual_flipping() { [ "$(dual_freq)" -ge 4 ]; }
if wait_for 120 dual_flipping; then
	pass "both connectors flip: $(dual_freq) x 60 flips completed, last $(console_of "$dual" | grep 'modetest: freq:' | tail -n 1 | sed 's/.*freq: //')"
else
	fail "$dual completed fewer than 4 x 60 flips: $(console_of "$dual" | grep modetest | tail -n 3)"
fi
late=$(console_of "$dual" | grep -ciE "timed.out|Frame done timed" || true)
[ "$late" -eq 0 ] && pass "$dual's xen-drm-front saw no late response or missing flip event on either connector" ||
	fail "$dual logged $late time-outs: $(console_of "$dual" | grep -iE 'timed.out' | tail -n 2)"
xl destroy "$dual" >/dev/null 2>&1 || true
dual_removed() { grep -qE "\[domain $dual/[0-9]+\].*vdispl 0: the toolstack" "$results_dir/tessera.log"; }
wait_for 20 dual_removed && pass "tessera removed $dual's two-connector device" || fail "no removal line for $dual"

# ---- page flips keep being answered --------------------------------------------
guest_config "$flipper" flip
xl_create "$flipper" || give_up "xl create $flipper failed: $(cat "$work/xl-create-$flipper.log")"
wait_for 240 connected "$flipper" || give_up "xen-drm-front of $flipper never connected"
ctl focus "$flipper" >/dev/null
# modetest -v waits for each flip's completion event and prints
# "freq: N Hz" every 60 flips: new lines mean events keep coming back.
freq_lines() { console_of "$flipper" | grep -c "tessera-domu: modetest: freq:" || true; }
flipping() { [ "$(freq_lines)" -ge 2 ]; }
if wait_for 180 flipping; then
	first=$(freq_lines)
	more() { [ "$(freq_lines)" -gt "$first" ]; }
	if wait_for 60 more; then
		pass "modetest -v keeps flipping: $(freq_lines) x 60 flips completed, last $(console_of "$flipper" | grep 'modetest: freq:' | tail -n 1 | sed 's/.*freq: //')"
	else
		fail "the flips stopped after $first x 60"
	fi
else
	fail "modetest -v completed fewer than 120 flips: $(ctl stats "$flipper"); $(console_of "$flipper" | grep modetest | tail -n 3)"
fi
late=$(console_of "$flipper" | grep -ciE "timed.out|Frame done timed" || true)
[ "$late" -eq 0 ] && pass "xen-drm-front saw no late response or missing flip event" ||
	fail "the guest logged $late time-outs: $(console_of "$flipper" | grep -iE 'timed.out' | tail -n 2)"

# ---- hostile frontends: each dropped, the flipping guest goes on ----------------
flips_before=$(freq_lines)
for mode in $hostile_modes; do
	cat >"$work/h-$mode.cfg" <<CFG
name = "h-$mode"
type = "pv"
kernel = "$domu_kernel"
ramdisk = "$work/hostile-initrd.cpio"
extra = "console=hvc0 quiet tsr.hostile=$mode"
memory = 96
vcpus = 1
on_crash = "destroy"
vdispl = [ "backend=0,be-alloc=0,connectors=c0:320x240" ]
CFG
	xl_create "h-$mode" || fail "xl create h-$mode failed: $(cat "$work/xl-create-h-$mode.log")"
done
expect_reason()
{
	case $1 in
	prod-overflow) echo "request ring index out of range" ;;
	lying-directory) echo "page directory ends after" ;;
	foreign-refs) echo "cannot map page directory page" ;;
	fb-overflow) echo "FB_ATTACH of 4095x2047 .* does not fit" ;;
	state-games) echo "changes its state too often" ;;
	esac
}
for mode in $hostile_modes; do
	reason=$(expect_reason "$mode")
	dropped() { grep -qE "\[domain h-$mode/[0-9]+\].*dropped: .*$reason" "$results_dir/tessera.log"; }
	if wait_for 120 dropped; then
		pass "hostile $mode dropped: $(grep -m1 -E "\[domain h-$mode/[0-9]+\].*dropped" "$results_dir/tessera.log" | sed 's/^.*dropped: //')"
	else
		fail "hostile $mode not dropped for '$reason': $(grep "h-$mode" "$results_dir/tessera.log" | tail -n 2); $(console_of "h-$mode" | tail -n 2)"
	fi
	closed() { guest_says "h-$mode" "hostile-displif: the backend closed the device"; }
	wait_for 30 closed && pass "h-$mode sees its device Closed" || fail "h-$mode: $(console_of "h-$mode" | grep hostile-displif | tail -n 1)"
done
more_flips() { [ "$(freq_lines)" -gt "$flips_before" ]; }
if wait_for 60 more_flips; then
	pass "$flipper kept flipping while the hostile frontends were dropped ($flips_before -> $(freq_lines) x 60 flips)"
else
	fail "$flipper stopped flipping during the hostile runs"
fi
kill -0 "$tessera" 2>/dev/null && pass "tessera survived the hostile frontends" || give_up "tessera died"
for mode in $hostile_modes; do
	xl destroy "h-$mode" >/dev/null 2>&1 || true
done

# ---- a domain Tessera does not know ---------------------------------------------
guest_config stranger static
started=$(date +%s)
if xl create "$work/stranger.cfg" >"$work/xl-create-stranger.log" 2>&1; then
	fail "xl create of an unconfigured domain with a vdispl line succeeded"
	xl destroy stranger >/dev/null 2>&1 || true
else
	took=$(($(date +%s) - started))
	if grep -qiE "timed out|timeout" "$work/xl-create-stranger.log"; then
		fail "xl create stranger failed only after libxl's time-out (${took} s)"
	else
		pass "xl create of an unconfigured domain failed without waiting for a time-out (${took} s)"
	fi
fi
refusals=$(grep -cE "displif: \[domain stranger/[0-9]+\] vdispl device 0 refused" "$results_dir/tessera.log" || true)
[ "$refusals" -eq 1 ] && pass "one refusal line: $(grep -m1 'domain stranger' "$results_dir/tessera.log" | sed 's/^.*displif: //')" ||
	fail "$refusals refusal lines for 'stranger'"

# ---- xl destroy mid-flip ----------------------------------------------------------
xl destroy "$flipper" >"$work/xl-destroy.log" 2>&1 || true
if grep -qiE "timed out|timeout" "$work/xl-destroy.log"; then
	fail "xl destroy waited for the backend: $(cat "$work/xl-destroy.log")"
else
	pass "xl destroy $flipper mid-flip: the backend answered Closing with Closed (no libxl timeout)"
fi
removed() { grep -qE "\[domain $flipper/[0-9]+\].*vdispl 0: the toolstack" "$results_dir/tessera.log"; }
wait_for 20 removed && pass "tessera removed $flipper's device" || fail "no removal line for $flipper"
ctl focus "$still" >/dev/null
if wait_for 30 pattern_shown; then
	pass "$still is still shown after $flipper was destroyed: $(cat "$work/check.txt")"
else
	fail "$still's pattern is gone: $(cat "$work/check.txt")"
fi

# ---- nothing left mapped ----------------------------------------------------------
maps_before=$(grep -c /dev/xen/gntdev "/proc/$tessera/maps" || true)
xl destroy "$still" >/dev/null 2>&1 || true
gone() { [ "$(grep -c /dev/xen/gntdev "/proc/$tessera/maps" || true)" -eq 0 ]; }
if wait_for 20 gone; then
	pass "no gntdev mapping left in tessera (was $maps_before with $still)"
else
	fail "$(grep -c /dev/xen/gntdev "/proc/$tessera/maps") gntdev mappings left after xl destroy"
fi
kill -0 "$tessera" 2>/dev/null && pass "tessera is still running" || fail "tessera died"

kill "$tessera" 2>/dev/null || true
wait "$tessera" 2>/dev/null || true
report displif-e2e
