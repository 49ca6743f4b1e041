# shellcheck shell=bash
# What the Xen stage's in-dom0 tests share (sourced, never run):
#   . "$(dirname "$(readlink -f "$0")")/xen-check-lib.sh"
# The sourcing script sets `checks` (its RESULTS_DIR/checks.txt) before the
# first check, and `build_dir` and `work` (Tessera's control socket lives in
# $work/control.sock) before calling ctl or xl_create.

# One check: "ok   ..." or "FAIL ..." on stdout and in $checks.
pass() { echo "ok   $*" | tee -a "$checks"; }
fail() { echo "FAIL $*" | tee -a "$checks"; }
give_up()
{
	fail "$*"
	exit 1
}

# wait_for SECONDS COMMAND [ARGS...]: polls COMMAND until it succeeds; false
# once SECONDS have passed. A guard against hangs, never a measure.
wait_for()
{
	deadline=$(($(date +%s) + $1))
	shift
	until "$@"; do
		[ "$(date +%s)" -lt "$deadline" ] || return 1
		sleep 0.3
	done
}

# What a domU wrote on its console (xenconsoled's log), without the CRs.
console_of() { tr -d '\r' <"/var/log/xen/console/guest-$1.log" 2>/dev/null || true; }

ctl() { "$build_dir/compositor/tessera-ctl" --socket "$work/control.sock" "$@"; }

# xl_create NAME: `xl create $work/NAME.cfg`, tried three times (a loaded
# dom0's xenconsoled can time out; each failure is printed and the half-made
# domain destroyed). Its output: $work/xl-create-NAME.log.
xl_create()
{
	for _ in 1 2 3; do
		xl create "$work/$1.cfg" >"$work/xl-create-$1.log" 2>&1 && return 0
		cat "$work/xl-create-$1.log"
		xl destroy "$1" >/dev/null 2>&1 || true
	done
	return 1
}

# process_gone PID: the process has exited (gone, or a zombie waiting for
# this shell's wait: kill -0 would still succeed on it).
process_gone()
{
	state=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null || true)
	[ -z "$state" ] || [ "$state" = Z ]
}

# send LINE: one command to the uinput helper kbdif-input (kbdif_input.c), whose
# stdin the sourcing script opened as fd 7 and its stdout as fd 8; true once
# the helper answered "done".
send()
{
	echo "$*" >&7 && read -r -t 30 reply <&8 && [ "$reply" = "done" ]
}

# report NAME: the summary line; its status is the test's (0: no FAIL).
report()
{
	failed=$(grep -c '^FAIL' "$checks" || true)
	echo "$1: $(grep -c '^ok' "$checks") passed, $failed failed"
	[ "$failed" -eq 0 ]
}
