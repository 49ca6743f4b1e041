#!/bin/bash
# In-dom0 test of a PV display client that never flips (part of the Xen
# stage, xen-tests.list). Like Xorg's modesetting driver, pv-frontbuffer (pv_frontbuffer.c, in the PV-devices domU) sets one
# dumb buffer on xen-drm-front's CRTC once and then redraws it in place
# every 2 s (a cycle of four colours), with no page flip and no DIRTYFB.
# Checks: the device connects; Tessera's writeback captures show the
# guest's whole 320x240 display in a colour of the cycle, and the colour
# changes from capture to capture (Tessera samples a display that does not
# flip); Tessera is still running; `xl destroy` returns without libxl's
# time-out, Tessera exits on SIGTERM, and no node is left under the
# domain's backend directory. (Those three caught a write/watch loop: the
# Closed answered to a forgotten device fired its own watch again, which
# starved the event loop and kept libxl's removal from finishing.)
#
# Each check prints "ok   ..." or "FAIL ..." (also appended to
# RESULTS_DIR/checks.txt).
set -eu
# shellcheck source=xen-check-lib.sh
. "$(dirname "$(readlink -f "$0")")/xen-check-lib.sh"
build_dir=$(readlink -f "$1")
results_dir=$2
kit=$(readlink -f "$build_dir/vm-kit/current")
count=$build_dir/tests/vm/colour-count
initrd=$kit/pv-domu/initrd.cpio
checks=$results_dir/checks.txt
: >"$checks"
for file in "$count" "$build_dir/compositor/tessera" "$initrd"; do
	[ -e "$file" ] || give_up "displif-frontbuffer: missing $file (build, and tests/vm/prepare-pv-domu.sh)"
done
domu_kernel=$kit/xen/domu-vmlinux
[ -s "$domu_kernel" ] || domu_kernel=$kit/vmlinuz

work=/tmp/displif-frontbuffer
rm -rf "$work"
mkdir -p "$work"
guest=pvfront
guest_size=320x240
cat >"$work/tessera.conf" <<CONF
[output]
backend = kms
width = 1024
height = 768
[control]
socket = $work/control.sock
[domain $guest]
label = PV front buffer
colour = purple
transport = xen
display = pv
CONF
cp "$work/tessera.conf" "$results_dir/"
trap 'cp /var/log/xen/console/guest-*.log "$results_dir/" 2>/dev/null || true' EXIT
guest_says() { console_of "$guest" | grep -qE "$1"; }

TESSERA_LOG=debug "$build_dir/compositor/tessera" --config "$work/tessera.conf" --no-input \
	--runtime-dir "$work" >"$results_dir/tessera.log" 2>&1 &
tessera=$!
wait_for 30 ctl status >/dev/null 2>&1 || give_up "tessera did not start: $(tail -n 5 "$results_dir/tessera.log")"
pass "tessera started on vkms (pid $tessera)"
ctl layout focus >/dev/null
ctl focus "$guest" >/dev/null

cat >"$work/$guest.cfg" <<CFG
name = "$guest"
type = "pv"
kernel = "$domu_kernel"
ramdisk = "$initrd"
extra = "console=hvc0 quiet tsr.frontbuffer=1"
memory = 128
vcpus = 1
on_crash = "destroy"
vdispl = [ "backend=0,be-alloc=0,connectors=c0:$guest_size" ]
CFG
xl_create "$guest" || give_up "xl create $guest failed: $(cat "$work/xl-create-$guest.log")"
connected() { grep -qE "\[domain $guest/[0-9]+\].*vdispl 0 connected" "$results_dir/tessera.log"; }
wait_for 240 connected || give_up "xen-drm-front of $guest never connected: $(console_of "$guest" | tail -n 5)"
if wait_for 120 guest_says "tessera-domu: frontbuffer [0-9]+x[0-9]+ set"; then
	pass "the guest set its front buffer once: $(console_of "$guest" | grep -m1 'frontbuffer .* set' | sed 's/^tessera-domu: //')"
else
	give_up "pv-frontbuffer did not set its buffer: $(console_of "$guest" | grep frontbuffer | tail -n 3)"
fi

# Which colour of the cycle fills the guest's display in a capture ("" if none).
shown_colour()
{
	ctl screenshot "$1" >/dev/null 2>&1 || return 0
	for colour in c02020 20c040 2040c0 c0c020; do
		if [ "$("$count" "$1" "$colour")" -eq $((${guest_size%x*} * ${guest_size#*x})) ]; then
			echo "$colour"
			return 0
		fi
	done
}
seen=
changes=0
previous=
for n in $(seq 1 30); do
	colour=$(shown_colour "$work/capture-$n.png")
	[ -n "$colour" ] && case " $seen " in *" $colour "*) ;; *) seen="$seen $colour" ;; esac
	if [ -n "$colour" ] && [ -n "$previous" ] && [ "$colour" != "$previous" ]; then
		changes=$((changes + 1))
	fi
	[ -n "$colour" ] && previous=$colour
	[ $changes -ge 3 ] && break
	sleep 1
done
cp "$work/capture-1.png" "$results_dir/" 2>/dev/null || true
if [ $changes -ge 3 ]; then
	pass "the never-flipping guest's whole ${guest_size} display is shown and follows its redraws: colours${seen}, $changes changes between captures"
else
	fail "the front buffer's redraws are not followed: colours seen '${seen# }', $changes changes in 30 captures"
fi
kill -0 "$tessera" 2>/dev/null && pass "tessera is still running" || fail "tessera died"
domid=$(grep -m1 -oE "\[domain $guest/[0-9]+\]" "$results_dir/tessera.log" | sed -E 's/.*\/([0-9]+)\]/\1/')
if timeout 60 xl destroy "$guest" >"$work/xl-destroy.log" 2>&1; then
	if grep -qiE "timed out|timeout" "$work/xl-destroy.log"; then
		fail "xl destroy $guest waited for the backend: $(cat "$work/xl-destroy.log")"
	else
		pass "xl destroy $guest returned, the backend answered Closing with Closed (no libxl timeout)"
	fi
else
	fail "xl destroy $guest did not return within 60 s: $(tail -n 3 "$work/xl-destroy.log")"
fi
kill "$tessera" 2>/dev/null || true
if wait_for 30 process_gone "$tessera"; then
	pass "tessera exited on SIGTERM"
else
	fail "tessera did not exit within 30 s of SIGTERM: $(tail -n 3 "$results_dir/tessera.log")"
	kill -9 "$tessera" 2>/dev/null || true
fi
wait "$tessera" 2>/dev/null || true
# Once Tessera is gone nothing can write any more: a node under the
# destroyed domain's backend directory would be one Tessera recreated
# after libxl removed it (answering its own writes' watch events).
if [ -z "$domid" ]; then
	fail "no domid for $guest in tessera.log"
elif left=$(xenstore-ls -f "/local/domain/0/backend/vdispl/$domid" 2>/dev/null) && [ -n "$left" ]; then
	fail "xenstore nodes left under backend/vdispl/$domid after the domain was destroyed: $(echo "$left" | head -n 3 | tr '\n' ' ')"
else
	pass "nothing left under backend/vdispl/$domid after the domain was destroyed"
fi
report displif-frontbuffer
