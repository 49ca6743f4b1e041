#!/bin/sh
# In-dom0 end-to-end test of the Xen transport (run it through run-xen.sh):
#   tests/vm/run-xen.sh BUILD_DIR RESULTS_DIR $PWD/tests/vm/xen-e2e.sh BUILD_DIR RESULTS_DIR
#
# Tessera runs in dom0 on vkms with two xen domains configured; two PV domUs
# ("work", "personal") boot an initramfs with the static agent
# (BUILD_DIR/guest-agent/tessera-agent-static) and connect over vchan +
# grants. Checks, through tessera-ctl: both guests connect and keep
# committing frames; `xl destroy` of one disconnects it while the other
# keeps updating; after all guests are gone Tessera holds no gntdev
# mappings (/proc/PID/maps). Screenshots go to RESULTS_DIR.
set -eu
build_dir=$(readlink -f "$1")
results_dir=$2
kit=$(readlink -f "$build_dir/vm-kit/current")
agent=$build_dir/guest-agent/tessera-agent-static
here=$(cd "$(dirname "$0")" && pwd)
failed=0
pass() { echo "ok   $*"; }
fail() { echo "FAIL $*"; failed=$((failed + 1)); }

[ -x "$agent" ] || { echo "xen-e2e: no $agent (needs a non-sanitizer build with libxen-dev)"; exit 2; }

# The domU initramfs: the kit's, plus our /init and the agent.
work=/tmp/xen-e2e
mkdir -p "$work/extra/bin"
cp "$here/xen-e2e-domu-init.sh" "$work/extra/init"
cp "$agent" "$work/extra/bin/tessera-agent"
(cd "$work/extra" && find . | cpio -o -H newc 2>/dev/null | gzip) >"$work/extra.cpio.gz"
cat "$kit/initrd.gz" "$work/extra.cpio.gz" >"$work/domu-initrd.gz"

cat >"$work/tessera.conf" <<CONF
[output]
backend = kms
[control]
socket = $work/control.sock
[domain work]
label = Work
colour = blue
transport = xen
[domain personal]
label = Personal
colour = green
transport = xen
CONF

TESSERA_LOG=debug "$build_dir/compositor/tessera" --config "$work/tessera.conf" --no-input \
	--runtime-dir "$work" >"$results_dir/tessera.log" 2>&1 &
tessera=$!
ctl() { "$build_dir/compositor/tessera-ctl" --socket "$work/control.sock" "$@"; }
tries=0
until ctl status >/dev/null 2>&1; do
	tries=$((tries + 1))
	[ $tries -lt 100 ] || { fail "tessera did not start"; cat "$results_dir/tessera.log"; exit 1; }
	sleep 0.1
done
pass "tessera started (pid $tessera)"
ctl layout mosaic >/dev/null

start_guest() {
	cat >"$work/$1.cfg" <<CFG
name = "$1"
type = "pv"
kernel = "$kit/vmlinuz"
ramdisk = "$work/domu-initrd.gz"
extra = "console=hvc0 quiet tsr.colour=$2 tsr.name=$1"
memory = 160
vcpus = 1
on_crash = "destroy"
CFG
	xl create "$work/$1.cfg" >/dev/null && pass "xl create $1" || fail "xl create $1"
}
commits() { ctl stats "$1" | sed -n 's/.*commits=\([0-9]*\).*/\1/p'; }
connected() { ctl stats "$1" | sed -n 's/.*connected=\([0-9]*\).*/\1/p'; }
# Waits up to $2 half-seconds for domain $1's commits to pass $3.
wait_commits() {
	n=0
	while [ "$(commits "$1")" -le "$3" ]; do
		n=$((n + 1))
		[ $n -lt "$2" ] || return 1
		sleep 0.5
	done
}

start_guest work 2060c0
start_guest personal 20a040
for name in work personal; do
	if wait_commits $name 240 5; then
		pass "$name connected over Xen and commits frames ($(ctl stats $name))"
	else
		fail "$name: no frames within 120 s ($(ctl stats $name))"
	fi
done
ctl screenshot "$results_dir/mosaic-two-guests.png" >/dev/null || true

gntdev_maps() { grep -c "/dev/xen/gntdev" "/proc/$tessera/maps" 2>/dev/null || true; }
echo "gntdev mappings with two guests: $(gntdev_maps)"
[ "$(gntdev_maps)" -gt 0 ] && pass "guest buffers are gntdev mappings" ||
	fail "no gntdev mappings while guests are connected"

xl destroy work
sleep 1
before=$(commits personal)
if [ "$(connected work)" = 0 ]; then pass "work disconnected after xl destroy"; else
	fail "work still connected after xl destroy ($(ctl stats work))"; fi
if wait_commits personal 40 "$before"; then pass "personal keeps updating after work is gone"; else
	fail "personal stopped updating ($(ctl stats personal))"; fi
ctl screenshot "$results_dir/mosaic-one-guest.png" >/dev/null || true

xl destroy personal
sleep 1
[ "$(connected personal)" = 0 ] && pass "personal disconnected after xl destroy" ||
	fail "personal still connected ($(ctl stats personal))"
maps=$(gntdev_maps)
[ "$maps" = 0 ] && pass "no grant mappings left in tessera" ||
	{ fail "$maps gntdev mappings left"; grep gntdev "/proc/$tessera/maps" || true; }

ctl quit >/dev/null || kill "$tessera"
wait "$tessera" || true
grep -E "xen|domain" "$results_dir/tessera.log" | head -40
cp /var/log/xen/console/guest-*.log "$results_dir/" 2>/dev/null || true
[ $failed -eq 0 ] && echo "xen e2e: all passed" || echo "xen e2e: $failed failed"
[ $failed -eq 0 ]
