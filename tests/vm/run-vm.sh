#!/bin/bash
# Boots the VM kit in QEMU and runs one script inside it, against real KMS
# (vkms with writeback), evdev and uinput.
#
#   tests/vm/run-vm.sh BUILD_DIR RESULTS_DIR SCRIPT [ARGS...]
#
# The VM sees the host's root file system read-only (under a writable tmpfs
# overlay), so SCRIPT (an absolute path) and the build tree run unchanged.
# RESULTS_DIR is writable in the VM at the same path as on the host. The VM
# console goes to the terminal and to RESULTS_DIR/console.log; SCRIPT's exit
# status goes to RESULTS_DIR/exit-status and becomes this script's status
# (124: timed out; 125: the VM failed before reporting a status).
#
# Environment: VM_TIMEOUT (seconds, default 600), VM_ACCEL (kvm or tcg;
# default kvm when a probe shows KVM works, else tcg), VM_CPU
# (default host under KVM, max under TCG), VM_GPU=1 (adds a bochs-display
# PCI device and loads bochs-drm after vkms), VM_MEMORY (MiB, default 1024),
# VM_QEMU_ARGS (extra QEMU arguments, split on spaces), VM_XEN=1 (boot Xen
# with this kernel as its PV dom0; use run-xen.sh, which sets it),
# VM_HOTPLUG=1 (an empty PCIe root port, id hotplug-port, with room for a
# display's BARs, and QEMU's monitor served to the VM for hotplug tests: a
# script in the VM writes one monitor command into
# RESULTS_DIR/qemu-monitor/NAME.cmd; device_add and device_del only are
# sent, then NAME.done says ok, failed or refused).
set -euo pipefail

VM_LOG_NAME=run-vm
VM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$VM_DIR/lib.sh"

[ $# -ge 3 ] || vm_die "usage: $0 BUILD_DIR RESULTS_DIR SCRIPT [ARGS...]"
BUILD_DIR=$1
mkdir -p "$2"
RESULTS_DIR=$(cd "$2" && pwd -P)
SCRIPT=$3
shift 3

case $SCRIPT in
/*) ;;
*) vm_die "SCRIPT must be an absolute path (the VM sees the host tree at the same paths): $SCRIPT" ;;
esac
case $SCRIPT in
/run/*) vm_die "SCRIPT must not live under /run: the VM mounts a fresh tmpfs there: $SCRIPT" ;;
esac
[ -f "$SCRIPT" ] || vm_die "no such script: $SCRIPT"
[ -x "$SCRIPT" ] || vm_die "script is not executable: $SCRIPT (chmod +x it)"
case $RESULTS_DIR in
*,* | *[[:space:]]*) vm_die "RESULTS_DIR must not contain commas or white space (QEMU -virtfs path): $RESULTS_DIR" ;;
esac

VM_TIMEOUT=${VM_TIMEOUT:-600}
if ! [[ $VM_TIMEOUT =~ ^[0-9]+$ ]] || [ "$VM_TIMEOUT" -lt 20 ]; then
	vm_die "VM_TIMEOUT must be a number of seconds >= 20"
fi
# The script's own timeout leaves the VM time to report it and power off.
SCRIPT_TIMEOUT=$((VM_TIMEOUT > 90 ? VM_TIMEOUT - 30 : VM_TIMEOUT / 2))

"$VM_DIR/prepare-kit.sh" "$BUILD_DIR"
KIT=$(cd "$BUILD_DIR/vm-kit/current" && pwd -P)

# KVM only when it really runs a guest: /dev/kvm can be openable and still
# fail (nested virtualisation refusing MSRs, or hanging). The probe boots the
# kernel without a root file system, which panics within a second or two
# under working KVM; its verdict is cached per build directory.
probe_kvm()
{
	local cache=$BUILD_DIR/vm-kit/accel-probe
	if [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
		echo tcg
		return
	fi
	if [ ! -s "$cache" ]; then
		vm_log "probing KVM (once per build directory)"
		local output
		output=$(timeout -k 2 10 qemu-system-x86_64 -machine q35,accel=kvm -cpu host -m 256 \
			-nographic -no-reboot -vga none -kernel "$KIT/vmlinuz" \
			-append "console=ttyS0 panic=-1" </dev/null 2>&1 || true)
		if grep -q "Kernel panic" <<<"$output"; then
			echo kvm >"$cache"
		else
			echo tcg >"$cache"
			vm_log "/dev/kvm is there but KVM does not run guests here; using TCG"
		fi
	fi
	cat "$cache"
}

VM_XEN=${VM_XEN:-0}
if [ "$VM_XEN" = 1 ]; then
	# Xen under KVM is untested; TCG is what vm-testing.md verified.
	VM_ACCEL=${VM_ACCEL:-tcg}
	# -cpu max crashes the PV dom0 kernel early; qemu64,+svm works.
	VM_CPU=${VM_CPU:-qemu64,+svm}
	[ -f "$KIT/xen/xen.elf" ] || vm_die "no Xen in the kit; run tests/vm/prepare-xen-kit.sh $BUILD_DIR (run-xen.sh does)"
fi
VM_ACCEL=${VM_ACCEL:-$(probe_kvm)}
case $VM_ACCEL in
kvm) VM_CPU=${VM_CPU:-host} ;;
tcg) VM_CPU=${VM_CPU:-max} ;;
*) vm_die "VM_ACCEL must be kvm or tcg" ;;
esac

# The job the VM's init reads from the results export.
JOB=$RESULTS_DIR/.vm-job
rm -rf "$JOB" "$RESULTS_DIR/exit-status" "$RESULTS_DIR/console.log"
mkdir -p "$JOB"
# udmabuf in every VM but Xen's: no Xen stage has run with it in its dom0
# yet, and a module that fails to load stops the VM's init.
module_groups=
[ "$VM_XEN" = 1 ] || module_groups="dmabuf"
[ "${VM_GPU:-0}" = 1 ] && module_groups="$module_groups gpu"
[ "$VM_XEN" = 1 ] && module_groups="$module_groups xen-dom0"
{
	echo "VM_RESULTS_DIR=$(vm_shell_quote "$RESULTS_DIR")"
	echo "VM_SCRIPT_TIMEOUT=$SCRIPT_TIMEOUT"
	echo "VM_MODULE_GROUPS=$(vm_shell_quote "$module_groups")"
} >"$JOB/env"
{
	echo "cd $(vm_shell_quote "$PWD") 2>/dev/null || cd /"
	printf 'exec'
	for word in "$SCRIPT" "$@"; do printf ' %s' "$(vm_shell_quote "$word")"; done
	printf '\n'
} >"$JOB/cmd"

monitor_socket=
if [ "${VM_HOTPLUG:-0}" = 1 ]; then
	# Linux assigns the BARs of hot-added devices from the bridge windows
	# it reserved at boot; an empty port gets too little for a display's
	# 16 MiB framebuffer BAR without these.
	kernel_hotplug_args=" pci=hpmemsize=32M,hpmmioprefsize=32M"
	monitor_socket=$(mktemp -u /tmp/tessera-qemu-monitor.XXXXXX)
	rm -rf "$RESULTS_DIR/qemu-monitor"
	mkdir -p "$RESULTS_DIR/qemu-monitor"
fi

# Serves RESULTS_DIR/qemu-monitor/NAME.cmd requests until killed.
serve_monitor()
{
	local dir=$RESULTS_DIR/qemu-monitor request command verdict
	while :; do
		for request in "$dir"/*.cmd; do
			[ -e "$request" ] || continue
			command=$(head -n 1 "$request")
			verdict=refused
			if [[ $command =~ ^device_(add|del)\ [A-Za-z0-9,=_.-]+$ ]]; then
				verdict=failed
				printf '%s\n' "$command" |
					socat -t 2 - "UNIX-CONNECT:$monitor_socket" >"${request%.cmd}.reply" 2>&1 &&
					verdict=ok
			fi
			vm_log "monitor: $command: $verdict"
			rm -f "$request"
			echo "$verdict" >"${request%.cmd}.done"
		done
		sleep 0.2
	done
}

# shellcheck disable=SC2054 # the commas separate QEMU sub-options
qemu_args=(
	-machine "q35,accel=$VM_ACCEL" -cpu "$VM_CPU" -smp 2
	-nographic -no-reboot -nic none
	-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap
	-virtfs "local,path=$RESULTS_DIR,mount_tag=results,security_model=none,multidevs=remap"
)
if [ "$VM_XEN" = 1 ]; then
	# Xen is the multiboot kernel; the dom0 kernel (with its command line)
	# and the initramfs are its modules. Xen's console is the serial port,
	# dom0's goes through Xen (hvc0).
	qemu_args+=(-m "${VM_MEMORY:-2048}" -kernel "$KIT/xen/xen.elf"
		-append "console=com1 com1=115200 dom0_mem=1024M loglvl=warning"
		-initrd "$KIT/vmlinuz console=hvc0 quiet panic=-1,$KIT/initrd.gz")
else
	qemu_args+=(-m "${VM_MEMORY:-1024}" -kernel "$KIT/vmlinuz" -initrd "$KIT/initrd.gz"
		-append "console=ttyS0 quiet panic=-1${kernel_hotplug_args:-}")
	# qboot starts the kernel faster than SeaBIOS (about 0.5 s less per boot).
	if [ -f /usr/share/qemu/qboot.rom ]; then
		qemu_args+=(-bios qboot.rom)
	fi
fi
if [ "${VM_GPU:-0}" = 1 ]; then
	qemu_args+=(-vga none -device bochs-display)
else
	qemu_args+=(-vga none)
fi
if [ -n "$monitor_socket" ]; then
	qemu_args+=(-device pcie-root-port,id=hotplug-port,chassis=1,slot=1
		-monitor "unix:$monitor_socket,server=on,wait=off")
fi
if [ -n "${VM_QEMU_ARGS:-}" ]; then
	# shellcheck disable=SC2206 # split on purpose
	qemu_args+=(${VM_QEMU_ARGS})
fi

vm_log "booting $(basename "$KIT") (accel $VM_ACCEL, timeout ${VM_TIMEOUT}s): $SCRIPT $*"
start=$(vm_now)
monitor_pid=
if [ -n "$monitor_socket" ]; then
	serve_monitor &
	monitor_pid=$!
fi
set +e
timeout -k 5 "$VM_TIMEOUT" qemu-system-x86_64 "${qemu_args[@]}" </dev/null 2>&1 |
	tee "$RESULTS_DIR/console.log"
qemu_status=${PIPESTATUS[0]}
set -e
if [ -n "$monitor_pid" ]; then
	kill "$monitor_pid" 2>/dev/null || true
	wait "$monitor_pid" 2>/dev/null || true
	rm -f "$monitor_socket"
fi
elapsed=$(vm_elapsed "$start")
rm -rf "$JOB"

if [ "$qemu_status" -eq 124 ] || [ "$qemu_status" -eq 137 ]; then
	vm_log "ERROR: the VM was still running after ${VM_TIMEOUT}s and was killed (raise VM_TIMEOUT, or see $RESULTS_DIR/console.log for where it hung)"
	exit 124
fi
if [ "$qemu_status" -ne 0 ]; then
	vm_log "ERROR: qemu-system-x86_64 exited with status $qemu_status (its messages are in $RESULTS_DIR/console.log)"
	exit 125
fi
if [ ! -f "$RESULTS_DIR/exit-status" ]; then
	vm_log "ERROR: the VM powered off without reporting an exit status (init failure or kernel panic; see $RESULTS_DIR/console.log)"
	exit 125
fi
status=$(cat "$RESULTS_DIR/exit-status")
[[ $status =~ ^[0-9]+$ ]] || vm_die "garbled exit status '$status' in $RESULTS_DIR/exit-status"
vm_log "boot to power-off: ${elapsed}s; script exit status $status"
exit "$status"
