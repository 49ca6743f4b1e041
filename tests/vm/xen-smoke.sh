#!/bin/sh
# In-dom0 test (run-xen.sh): a PV domU boots from the kit's kernel and
# initramfs, runs its init (its console says "tessera-domu: up"), and
# `xl list` shows it.
#   xen-smoke.sh BUILD_DIR RESULTS_DIR
set -eu
build_dir=$1
results_dir=$2
kit=$(readlink -f "$build_dir/vm-kit/current")
name=tessera-smoke
console_log=/var/log/xen/console/guest-$name.log
failed=0

cat >/tmp/$name.cfg <<CFG
name = "$name"
type = "pv"
kernel = "$kit/vmlinuz"
ramdisk = "$kit/initrd.gz"
extra = "console=hvc0 quiet tsr.role=domu"
memory = 128
vcpus = 1
on_crash = "destroy"
CFG

start=$(cut -d' ' -f1 /proc/uptime)
if ! xl create /tmp/$name.cfg; then
	echo "FAIL xl create"
	exit 1
fi
echo "ok   xl create"

tries=0
until grep -q "tessera-domu: up" "$console_log" 2>/dev/null; do
	tries=$((tries + 1))
	if [ $tries -ge 120 ]; then
		echo "FAIL domU init did not report within 60 s; its console:"
		cat "$console_log" 2>/dev/null || true
		failed=$((failed + 1))
		break
	fi
	sleep 0.5
done
[ $tries -ge 120 ] || echo "ok   domU init ran ($(awk -v a="$start" -v b="$(cut -d' ' -f1 /proc/uptime)" 'BEGIN { printf "%.1f", b - a }') s after xl create)"

xl list | tee "$results_dir/xl-list.txt"
if grep -q "^$name " "$results_dir/xl-list.txt"; then
	echo "ok   xl list shows $name"
else
	echo "FAIL xl list does not show $name"
	failed=$((failed + 1))
fi
cp "$console_log" "$results_dir/domu-console.log" 2>/dev/null || true

xl destroy "$name" || { echo "FAIL xl destroy"; failed=$((failed + 1)); }
if xl list | grep -q "^$name "; then
	echo "FAIL $name still listed after xl destroy"
	failed=$((failed + 1))
fi
[ $failed -eq 0 ] && echo "xen smoke: all passed" || echo "xen smoke: $failed failed"
[ $failed -eq 0 ]
