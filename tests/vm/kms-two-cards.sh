#!/bin/bash
# In-VM test (tests/vm/gpu-tests.list, run with VM_GPU=1 by gpu-tests.sh,
# whose VM has two cards: vkms and a bochs-display driven by bochs-drm):
# Tessera drives both at once (`device = all`). The second card's output is
# named with the card first (card1-Virtual-2 in this VM, where both cards'
# connectors are virtual ones):
# two outputs side by side in status, each in its own layout with the
# domain shown on it, a screenshot of each with that domain's banner colour
# (the vkms one through writeback), and the pointer crossing from the first
# to the second, where its motion goes to the domain shown there only.
#
#   kms-two-cards.sh BUILD_DIR RESULTS_DIR
set -euo pipefail

[ $# -ge 2 ] || { echo "usage: $0 BUILD_DIR RESULTS_DIR" >&2; exit 2; }
build=$1
results=$2
tessera=$build/compositor/tessera
ctl=$build/compositor/tessera-ctl
agent=$build/guest-agent/tessera-agent
count=$build/tests/vm/colour-count
runtime=/tmp/tessera-two-cards
mkdir -p "$results" "$runtime"
log=$results/two-cards-tessera.log

fail()
{
	echo "kms-two-cards: FAIL: $*" >&2
	echo "--- last lines of $log:" >&2
	tail -n 40 "$log" >&2 || true
	exit 1
}
note() { echo "kms-two-cards: $*"; }

for binary in "$tessera" "$ctl" "$agent" "$count"; do
	[ -x "$binary" ] || fail "missing $binary (build first)"
done
cards=0
for card in /sys/class/drm/card[0-9]; do
	[ -e "$card" ] && cards=$((cards + 1))
done
[ "$cards" -ge 2 ] || fail "only $cards card(s) (run with VM_GPU=1: vkms and bochs-display)"

# shellcheck source=kms-check-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/kms-check-lib.sh"
config=$results/two-cards.conf
kms_write_config "$config" "device = all" work:blue personal:green
kms_start_tessera "$config" "$log" "$runtime"

status=$("$ctl" status)
note "$status"
[ "$(field "$status" outputs)" = 2 ] || fail "not two outputs: $status"
first=$(tr ' ' '\n' <<<"$status" | sed -n 's/^output\.\([^=]*\)=.*/\1/p' | sed -n 1p)
second=$(tr ' ' '\n' <<<"$status" | sed -n 's/^output\.\([^=]*\)=.*/\1/p' | sed -n 2p)
case "$second" in card*-*) ;; *) fail "second card's output '$second' has no card prefix" ;; esac
[ "$first" != "$second" ] || fail "two outputs named $first"
geometry=$(field "$status" "output.$first")
width=$(sed 's/^[0-9]*,[0-9]*,\([0-9]*\)x.*/\1/' <<<"$geometry")
second_at=$(field "$status" "output.$second" | cut -d, -f1)
[ "$second_at" = "$width" ] || fail "$second at x=$second_at, not right of $first (width $width)"
note "outputs $first ($geometry) and $second ($(field "$status" "output.$second"))"

for name in work personal; do
	"$agent" --socket "$runtime/$name.sock" --name "$name" --log-input \
		>"$results/two-cards-agent-$name.log" 2>&1 &
	agent_pids+=($!)
done
"$ctl" focus personal "$second" >/dev/null || fail "focus personal $second"
"$ctl" layout focus "$second" >/dev/null || fail "layout focus $second"
"$ctl" layout focus "$first" >/dev/null || fail "layout focus $first"
"$ctl" focus work "$first" >/dev/null || fail "focus work $first"
status=$("$ctl" status)
[[ "$(field "$status" "output.$first")" == *,focus:work ]] || fail "$first: $status"
[[ "$(field "$status" "output.$second")" == *,focus:personal ]] || fail "$second: $status"
# Each guest configured to the focus content of its own output, then two
# more commits so that size is on screen.
content_of() # OUTPUT -> WxH of its focus layout's content
{
	local size
	size=$(field "$status" "output.$1" | cut -d, -f3)
	echo "$((${size%x*} - 8))x$((${size#*x} - 36))"
}
wait_surface() # DOMAIN WxH
{
	local commits
	for _ in $(seq 200); do
		if "$ctl" stats "$1" | grep -q " surface=$2 "; then
			commits=$(field "$("$ctl" stats "$1")" commits)
			for _ in $(seq 200); do
				[ "$(field "$("$ctl" stats "$1")" commits)" -ge $((commits + 2)) ] && return 0
				sleep 0.05
			done
		fi
		sleep 0.05
	done
	fail "$1 never showed a $2 surface: $("$ctl" stats "$1")"
}
wait_surface work "$(content_of "$first")"
wait_surface personal "$(content_of "$second")"

# work's banner in full blue on the first output (keyboard), personal's in
# dimmed green on the second: a few thousand pixels of each at least.
"$ctl" screenshot "$results/two-cards-first.png" "$first" >/dev/null || fail "screenshot $first"
"$ctl" screenshot "$results/two-cards-second.png" "$second" >/dev/null || fail "screenshot $second"
blue=$("$count" "$results/two-cards-first.png" 3465a4)
green=$("$count" "$results/two-cards-second.png" 274d03)
note "blue banner/border pixels on $first: $blue, dimmed green on $second: $green"
[ "$blue" -gt 5000 ] || fail "no work banner on $first"
[ "$green" -gt 5000 ] || fail "no dimmed personal banner on $second"
[ "$("$count" "$results/two-cards-first.png" 274d03)" -eq 0 ] || fail "personal's colour on $first"

# The pointer onto the second output, inside personal's content (the
# focus layout's content starts at border, banner + border).
"$ctl" test-pointer $((width + 14)) 52 >/dev/null || fail "test-pointer"
for _ in $(seq 50); do
	grep -q "input motion 10 20" "$results/two-cards-agent-personal.log" && break
	sleep 0.1
done
grep -q "input motion 10 20" "$results/two-cards-agent-personal.log" ||
	fail "personal got no motion on $second"
if grep -q "input motion" "$results/two-cards-agent-work.log"; then
	fail "work got motion meant for personal"
fi
note "pointer crossed to $second; motion went to personal only"
kill "$tessera_pid"
wait "$tessera_pid" || fail "tessera exited with an error"
note "PASS"
