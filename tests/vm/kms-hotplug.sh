#!/bin/bash
# In-VM test (tests/vm/gpu-tests.list; gpu-tests.sh runs its VM with
# VM_GPU=1 and VM_HOTPLUG=1: vkms, a bochs-display, an empty PCIe root port
# and QEMU's monitor reachable through RESULTS_ROOT/qemu-monitor): display
# hotplug while Tessera runs with `device = all`.
#
#   1. a second bochs-display hot-added through QEMU's monitor (device_add):
#      a new card and output appear, showing a domain; the outputs that
#      were there show exactly the same pixels (PNG captures compared byte
#      for byte; the vkms one through writeback);
#   2. it is hot-removed (device_del): its output goes, the others again
#      unchanged;
#   3. a connector disconnects and reconnects (the kernel's connector
#      status forced through sysfs, then the card's HOTPLUG change event
#      that a real display's hotplug interrupt would send): its output goes
#      and comes back, vkms's unchanged;
#   4. every connector gone: Tessera goes on with no output and its guests
#      stay connected; an output back shows the keyboard's domain.
#
#   kms-hotplug.sh BUILD_DIR RESULTS_DIR
set -euo pipefail

[ $# -ge 2 ] || { echo "usage: $0 BUILD_DIR RESULTS_DIR" >&2; exit 2; }
build=$1
results=$2
monitor=$(dirname "$results")/qemu-monitor
tessera=$build/compositor/tessera
ctl=$build/compositor/tessera-ctl
agent=$build/guest-agent/tessera-agent
count=$build/tests/vm/colour-count
runtime=/tmp/tessera-hotplug
mkdir -p "$results" "$runtime"
log=$results/hotplug-tessera.log
checks=0

fail()
{
	echo "kms-hotplug: FAIL: $*" >&2
	echo "--- last lines of $log:" >&2
	tail -n 40 "$log" >&2 || true
	exit 1
}
pass() { checks=$((checks + 1)); echo "kms-hotplug: ok: $*"; }

for binary in "$tessera" "$ctl" "$agent" "$count"; do
	[ -x "$binary" ] || fail "missing $binary (build first)"
done
[ -d "$monitor" ] || fail "no $monitor (run in the VM of tests/vm/gpu-tests.sh, VM_HOTPLUG=1)"
[ -e /sys/class/drm/card0 ] && [ -e /sys/class/drm/card1 ] ||
	fail "needs vkms (card0) and a bochs-display (card1): VM_GPU=1"

# Sends one monitor command through run-vm.sh's bridge and waits for it.
request=0
qemu_monitor()
{
	request=$((request + 1))
	echo "$*" >"$monitor/$request.tmp"
	mv "$monitor/$request.tmp" "$monitor/$request.cmd"
	for _ in $(seq 300); do
		if [ -e "$monitor/$request.done" ]; then
			[ "$(cat "$monitor/$request.done")" = ok ] ||
				fail "QEMU monitor: '$*': $(cat "$monitor/$request.done")"
			return 0
		fi
		sleep 0.1
	done
	fail "QEMU monitor: no answer to '$*' (is run-vm.sh's bridge running?)"
}

# The card's change event, sent as a driver's hotplug interrupt handler
# would (a synthetic uevent): the connector status set through sysfs is the
# kernel's real state; only the interrupt that reports it is missing in
# vkms and bochs.
announce_change() { echo change >"/sys/class/drm/$1/uevent"; }

# shellcheck source=kms-check-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/kms-check-lib.sh"
config=$results/hotplug.conf
kms_write_config "$config" "device = all" work:blue personal:green
kms_start_tessera "$config" "$log" "$runtime"

outputs() { "$ctl" status | tr ' ' '\n' | sed -n 's/^output\.\([^=]*\)=.*/\1/p' | tr '\n' ' '; }
wait_status() # TEXT: until `status` contains it
{
	local status
	for _ in $(seq 400); do
		status=$("$ctl" status || true)
		[[ " $status " == *" $1"* ]] && return 0
		kill -0 "$tessera_pid" 2>/dev/null || fail "tessera died waiting for '$1'"
		sleep 0.05
	done
	fail "status never said '$1': $status"
}
# A capture of OUTPUT into FILE, after two more frames of the domain shown
# there were presented, so it is what the output shows now.
capture() # OUTPUT FILE
{
	sleep 0.3
	"$ctl" screenshot "$2" "$1" >/dev/null || fail "screenshot $1"
}
same() # A B WHAT
{
	cmp -s "$1" "$2" || fail "$3: $(basename "$2") differs from $(basename "$1")"
	pass "$3"
}

wait_status "outputs=2"
first=Virtual-1
second=card1-Virtual-2
wait_status "output.$first="
wait_status "output.$second="
# Guests that draw once (--damage none): every pixel that changes is Tessera's.
for name in work personal; do
	"$agent" --socket "$runtime/$name.sock" --name "$name" --damage none \
		>"$results/hotplug-agent-$name.log" 2>&1 &
	agent_pids+=($!)
done
"$ctl" layout focus "$first" >/dev/null || fail "layout focus $first"
"$ctl" layout focus "$second" >/dev/null || fail "layout focus $second"
"$ctl" focus personal "$second" >/dev/null || fail "focus personal $second"
"$ctl" focus work "$first" >/dev/null || fail "focus work $first"
wait_status "output.$second="
[[ "$("$ctl" status)" == *"output.$second="*",focus:personal"* ]] || fail "$second: $("$ctl" status)"
wait_status "focused=work"
for name in work personal; do
	for _ in $(seq 200); do
		[ "$(field "$("$ctl" stats "$name")" commits)" -ge 3 ] 2>/dev/null && break
		sleep 0.05
	done
done
capture "$first" "$results/first-before.png"
capture "$second" "$results/second-before.png"
pass "two outputs: $(outputs)"

# 1. A display hot-added through QEMU's monitor.
qemu_monitor device_add bochs-display,bus=hotplug-port,id=hotgpu
wait_status "outputs=3"
third=$(outputs | tr ' ' '\n' | grep '^card2-' | head -n 1)
[ -n "$third" ] || fail "the hot-added card's output has no card2- name: $(outputs)"
pass "hot-added display: output $third appeared ($(outputs))"
capture "$third" "$results/third-added.png"
[[ "$("$ctl" status)" == *"output.$third="*",mosaic"* || "$("$ctl" status)" == *"output.$third="*",focus:"* ]] ||
	fail "$third shows nothing: $("$ctl" status)"
capture "$first" "$results/first-after-add.png"
capture "$second" "$results/second-after-add.png"
same "$results/first-before.png" "$results/first-after-add.png" "$first unchanged by the hot-add"
same "$results/second-before.png" "$results/second-after-add.png" "$second unchanged by the hot-add"
grep -q "kms: driving hot-plugged /dev/dri/card2" "$log" || fail "no 'driving hot-plugged' line"

# 2. ... and hot-removed.
qemu_monitor device_del hotgpu
wait_status "outputs=2"
for _ in $(seq 100); do [ -e /sys/class/drm/card2 ] || break; sleep 0.1; done
[[ " $(outputs) " != *" $third "* ]] || fail "$third still there: $(outputs)"
pass "hot-removed display: output $third gone ($(outputs))"
capture "$first" "$results/first-after-remove.png"
capture "$second" "$results/second-after-remove.png"
same "$results/first-before.png" "$results/first-after-remove.png" "$first unchanged by the hot-remove"
same "$results/second-before.png" "$results/second-after-remove.png" "$second unchanged by the hot-remove"
kill -0 "$tessera_pid" 2>/dev/null || fail "tessera died"

# 3. The bochs connector disconnects and comes back. With one output left
# the banners switch to their one-output text, so the check is that
# everything is back as it was once the connector is.
echo off >"/sys/class/drm/$second/status"
announce_change card1
wait_status "outputs=1"
[[ " $(outputs) " != *" $second "* ]] || fail "$second still there: $(outputs)"
pass "connector $second disconnected: its output gone ($(outputs))"
echo detect >"/sys/class/drm/$second/status"
announce_change card1
wait_status "outputs=2"
wait_status "output.$second="
[[ "$("$ctl" status)" == *"output.$second="*",focus:personal"* ]] ||
	fail "$second came back without personal: $("$ctl" status)"
pass "connector $second reconnected, showing personal again"
capture "$first" "$results/first-after-reconnect.png"
capture "$second" "$results/second-after-reconnect.png"
same "$results/first-before.png" "$results/first-after-reconnect.png" "$first as before after the reconnect"
same "$results/second-before.png" "$results/second-after-reconnect.png" "$second as before after the reconnect"

# 4. Every connector gone: not fatal.
echo off >"/sys/class/drm/$second/status"
announce_change card1
echo off >"/sys/class/drm/card0-$first/status"
announce_change card0
wait_status "outputs=0"
kill -0 "$tessera_pid" 2>/dev/null || fail "tessera exited when the last output went"
for name in work personal; do
	[ "$(field "$("$ctl" stats "$name")" connected)" = 1 ] || fail "$name dropped with no output"
done
commits=$(field "$("$ctl" stats work)" commits)
for _ in $(seq 200); do
	[ "$(field "$("$ctl" stats work)" commits)" -ge $((commits + 2)) ] && break
	sleep 0.1
done
[ "$(field "$("$ctl" stats work)" commits)" -ge $((commits + 2)) ] ||
	fail "work got no frames with no output (the hidden clock)"
pass "no output: tessera runs, guests connected and paced by the hidden clock"
echo detect >"/sys/class/drm/card0-$first/status"
announce_change card0
wait_status "outputs=1"
wait_status "output.$first="
[[ "$("$ctl" status)" == *"output.$first="*",focus:work"* ]] ||
	fail "$first came back without the keyboard's domain: $("$ctl" status)"
capture "$first" "$results/first-back.png"
blue=$("$count" "$results/first-back.png" 3465a4)
[ "$blue" -gt 1000 ] || fail "$first back without work's banner ($blue banner pixels)"
pass "$first back with work's banner ($blue pixels)"
echo detect >"/sys/class/drm/$second/status"
announce_change card1
wait_status "outputs=2"

# No flicker: the outputs that stayed were never set up again (one modeset
# line each at start; card1's second one is its reconnect in step 3).
[ "$(grep -c "kms: output $first:" "$log")" = 2 ] ||
	fail "$first was set up $(grep -c "kms: output $first:" "$log") times (expected: at start and after step 4)"
[ "$(grep -c "kms: output $second:" "$log")" = 3 ] ||
	fail "$second was set up $(grep -c "kms: output $second:" "$log") times (expected: at start, steps 3 and 4)"
pass "outputs set up again only when their own connector came back"

kill "$tessera_pid"
wait "$tessera_pid" || fail "tessera exited with status $? on SIGTERM"
grep -q "AddressSanitizer\|runtime error" "$log" && fail "sanitizer report in $log"
echo "kms-hotplug: $checks checks passed"
