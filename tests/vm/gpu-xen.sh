#!/bin/bash
# In-dom0 test, stage 2 of the GPU handoff (run by gpu-xen-test.sh through
# run-xen.sh, with QEMU's emulated VT-d and a bochs-display device): Tessera
# in dom0 drives the bochs card, hands it to a PV domU through xen-pciback
# and `xl pci-attach` (toolstack = xl), the domU sees the device (xl
# pci-list, its pcifront), and the reclaim detaches it (`xl pci-detach`,
# `xl pci-assignable-remove -r`), bochs-drm binds again in dom0 and Tessera
# shows its scene on it again. The fallback meanwhile is vkms.
#
#   gpu-xen.sh BUILD_DIR RESULTS_DIR
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 BUILD_DIR RESULTS_DIR" >&2; exit 2; }
build=$1
results=$2
kit=$(readlink -f "$build/vm-kit/current")
tessera=$build/compositor/tessera
ctl=$build/compositor/tessera-ctl
runtime=/tmp/tessera-gpu-xen
domu=cad
log=$results/tessera.log
mkdir -p "$results" "$runtime"

fail()
{
	echo "gpu-xen: FAIL: $*" >&2
	tail -n 40 "$log" >&2 2>/dev/null || true
	xl dmesg >"$results/xl-dmesg.txt" 2>&1 || true
	dmesg | tail -n 80 >"$results/dmesg.txt" 2>/dev/null || true
	cp "/var/log/xen/console/guest-$domu.log" "$results/domu-console.log" 2>/dev/null || true
	# What xl says in detail, when the device is still assignable.
	xl -vvv pci-attach "$domu" "${bdf:-none}" >"$results/xl-pci-attach-vvv.txt" 2>&1 || true
	xenstore-ls -f /local/domain/0/backend/pci >"$results/xenstore-pci.txt" 2>&1 || true
	exit 1
}
note() { echo "gpu-xen: $*"; }

xl dmesg | grep -i -E "iommu|vt-d" | head -n 5 || true

# bochs-drm in dom0 (the kit's modules tree, dependency order).
for module in drm/ttm/ttm drm/drm_ttm_helper drm/drm_vram_helper drm/tiny/bochs; do
	name=$(basename "$module" | tr - _)
	[ -d "/sys/module/$name" ] && continue
	insmod "$kit/modules/kernel/drivers/gpu/$module.ko" || fail "insmod $module"
done
[ -d /sys/module/xen_pciback ] ||
	insmod "$kit/modules/kernel/drivers/xen/xen-pciback/xen-pciback.ko" || fail "no xen-pciback"

bdf=
for _ in $(seq 50); do
	for card in /sys/class/drm/card[0-9]; do
		[ -e "$card" ] || continue
		if [ "$(basename "$(readlink "$card/device/driver" 2>/dev/null || echo none)")" = bochs-drm ]; then
			bdf=$(basename "$(readlink -f "$card/device")")
			gpu_card=/dev/dri/$(basename "$card")
		fi
	done
	[ -n "$bdf" ] && break
	sleep 0.1
done
[ -n "$bdf" ] || fail "no bochs-drm card in dom0"
fallback=
for card in /sys/class/drm/card[0-9]; do
	[ "$(basename "$(readlink -f "$card/device")")" = "$bdf" ] && continue
	fallback=/dev/dri/$(basename "$card")
	break
done
note "bochs-display at $bdf ($gpu_card), fallback $fallback"

# The passthrough domain (PV, stays up; its init loads xen-pcifront).
cat >"/tmp/$domu.cfg" <<CFG
name = "$domu"
type = "pv"
kernel = "$kit/vmlinuz"
ramdisk = "$kit/initrd.gz"
extra = "console=hvc0 tsr.role=domu"
memory = 128
vcpus = 1
on_crash = "destroy"
# No pci = [...] at creation (Tessera drives the device until the handoff),
# so the IOMMU context must be asked for, or xl pci-attach fails with
# "xc_assign_device failed: Operation not supported".
passthrough = "enabled"
CFG
xl create "/tmp/$domu.cfg" || fail "xl create"
for _ in $(seq 120); do
	grep -q "tessera-domu: up" "/var/log/xen/console/guest-$domu.log" 2>/dev/null && break
	sleep 0.5
done
note "domU $domu up"

cat >"$results/gpu-xen.conf" <<EOF
[output]
backend = kms
device = $gpu_card
[control]
socket = control.sock
[domain $domu]
colour = red
transport = local
[domain work]
colour = blue
transport = local
[gpu_passthrough]
device = $bdf
domain = $domu
drm_driver = bochs-drm
passthrough_driver = xen-pciback
toolstack = xl
step_timeout = 60
card_timeout = 10
fallback_device = $fallback
EOF
export TESSERA_CONTROL=$runtime/control.sock
TESSERA_LOG=info "$tessera" --config "$results/gpu-xen.conf" --runtime-dir "$runtime" \
	--no-input >"$log" 2>&1 &
tessera_pid=$!
trap 'kill $tessera_pid 2>/dev/null || true; xl destroy $domu 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -S "$TESSERA_CONTROL" ] && break; sleep 0.1; done
[ -S "$TESSERA_CONTROL" ] || fail "tessera did not start"

state() { "$ctl" gpu status | tr ' ' '\n' | sed -n 's/^state=//p'; }
wait_state()
{
	local s
	for _ in $(seq $(($2 * 10))); do
		s=$(state)
		[ "$s" = "$1" ] && return 0
		case $s in releasing | reclaiming) ;; *) break ;; esac
		sleep 0.1
	done
	fail "state $s, expected $1: $("$ctl" gpu status)"
}
wait_state owned 5
"$ctl" screenshot "$results/1-owned.png" | grep -q ^ok || fail "screenshot"

"$ctl" gpu handoff | grep -q ^ok || fail "handoff refused"
wait_state assigned 180
xl pci-list "$domu" | tee "$results/pci-list.txt"
grep -q "${bdf#0000:}" "$results/pci-list.txt" || fail "xl pci-list $domu does not show $bdf"
[ "$(basename "$(readlink /sys/bus/pci/devices/$bdf/driver)")" = pciback ] || fail "not on pciback"
"$ctl" screenshot "$results/2-fallback.png" | grep -q ^ok || fail "no fallback output"
note "assigned: $bdf attached to $domu; desktop on $fallback"
"$ctl" gpu timings

"$ctl" gpu reclaim | grep -q ^ok || fail "reclaim refused"
wait_state owned 180
[ "$(basename "$(readlink /sys/bus/pci/devices/$bdf/driver)")" = bochs-drm ] || fail "bochs-drm did not bind"
"$ctl" screenshot "$results/3-reclaimed.png" | grep -q ^ok || fail "screenshot after reclaim"
"$ctl" gpu status
"$ctl" gpu timings | tr ' ' '\n' | sed -n 's/_ms=/ ms: /p' | tee "$results/gpu-timings.txt"
cp "/var/log/xen/console/guest-$domu.log" "$results/domu-console.log" 2>/dev/null || true
note "PASS"
