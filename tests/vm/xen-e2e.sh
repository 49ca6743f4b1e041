#!/bin/sh
# In-dom0 end-to-end test of the Xen transport (run it through run-xen.sh, or
# all of it through run-xen-tests.sh):
#   tests/vm/run-xen.sh BUILD_DIR RESULTS_DIR $PWD/tests/vm/xen-e2e.sh BUILD_DIR RESULTS_DIR
#
# Tessera runs in dom0 on vkms. Eight PV domUs boot at once from one
# initramfs holding the static agent and the static hostile agent:
#   work, personal   tessera-agent --source demo, each in its own colour
#   h-*              hostile-agent --transport xen --mode M, one mode each
#                    (a domain dropped for a violation is not reconnected
#                    until it restarts, so each mode needs its own domain)
# Checks, through tessera-ctl and writeback captures (xen-capture-check):
# both honest guests appear in mosaic inside their own coloured borders with
# their labels, each one's colour in its own content box only, updating;
# every hostile guest is dropped with a log line naming its domain and the
# reason, sees the ERROR, and leaves a background-filled box, while the
# honest guests keep updating; `xl destroy` of one honest guest blanks its
# box while the other keeps updating; once every guest is gone Tessera holds
# no gntdev mapping. Benchmarks (figures only): damage -> commit latency over
# Xen vs the local transport in this run; grant map/unmap vs memcpy.
#
# Each check prints "ok   ..." or "FAIL ..." (also appended to
# RESULTS_DIR/checks.txt); captures and logs go to RESULTS_DIR.
set -eu
build_dir=$(readlink -f "$1")
results_dir=$2
kit=$(readlink -f "$build_dir/vm-kit/current")
agent=$build_dir/guest-agent/tessera-agent-static
hostile=$build_dir/tests/integration/hostile-agent-static
capture_check=$build_dir/tests/vm/xen-capture-check
here=$(cd "$(dirname "$0")" && pwd)
checks=$results_dir/checks.txt
: >"$checks"
passed=0
failed=0
pass() { echo "ok   $*" | tee -a "$checks"; passed=$((passed + 1)); }
fail() { echo "FAIL $*" | tee -a "$checks"; failed=$((failed + 1)); }
# check DESCRIPTION COMMAND...: one check, the command's output indented.
check()
{
	description=$1
	shift
	if output=$("$@" 2>&1); then pass "$description"; else fail "$description"; fi
	[ -z "$output" ] || echo "$output" | sed 's/^/       /'
}

for binary in "$agent" "$hostile" "$capture_check"; do
	[ -x "$binary" ] || { echo "xen-e2e: no $binary (needs a non-sanitizer build with libxen-dev)"; exit 2; }
done

honest="work personal"
hostile_modes="bad-size too-few-refs ungranted-refs foreign-refs attach-flood garbage"
# What the drop reason must say for each mode.
reason_for()
{
	case $1 in
	bad-size) echo "SURFACE_CREATE" ;;
	too-few-refs) echo "grant refs cannot hold" ;;
	ungranted-refs | foreign-refs) echo "cannot map" ;;
	attach-flood) echo "exceed the quota" ;;
	garbage) echo "" ;;
	esac
}
colour_of() { case $1 in work) echo 2060c0 ;; personal) echo 20a040 ;; *) echo 808080 ;; esac; }
other_of() { case $1 in work) echo personal ;; *) echo work ;; esac; }

# The domU initramfs: the kit's, plus our /init and the agents, as one gzip
# stream (xl inflates ramdisks; concatenated streams make it complain).
work=/tmp/xen-e2e
mkdir -p "$work/extra/bin"
cp "$here/xen-e2e-domu-init.sh" "$work/extra/init"
cp "$agent" "$work/extra/bin/tessera-agent"
cp "$hostile" "$work/extra/bin/hostile-agent"
{
	zcat "$kit/initrd.gz"
	(cd "$work/extra" && find . | cpio -o -H newc 2>/dev/null)
} | gzip -1 >"$work/domu-initrd.gz"

conf=$work/tessera.conf
{
	cat <<CONF
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
[domain local]
label = Local (benchmark)
colour = orange
socket = local.sock
CONF
	for mode in $hostile_modes; do
		printf '[domain h-%s]\nlabel = Hostile %s\ncolour = red\ntransport = xen\n' "$mode" "$mode"
	done
} >"$conf"
cp "$conf" "$results_dir/tessera.conf"

# dom0 shares pages for the map benchmark: more than gntalloc's default.
echo 65536 >/sys/module/xen_gntalloc/parameters/limit 2>/dev/null || true

TESSERA_LOG=debug "$build_dir/compositor/tessera" --config "$conf" --no-input \
	--runtime-dir "$work" >"$results_dir/tessera.log" 2>&1 &
tessera=$!
ctl() { "$build_dir/compositor/tessera-ctl" --socket "$work/control.sock" "$@"; }
tries=0
until ctl status >/dev/null 2>&1; do
	tries=$((tries + 1))
	[ $tries -lt 100 ] || { fail "tessera did not start"; cat "$results_dir/tessera.log"; exit 1; }
	sleep 0.1
done
pass "tessera started on vkms (pid $tessera)"
ctl layout mosaic >/dev/null

# A number always (0 when tessera does not answer), so comparisons never
# fail as errors.
stat_of()
{
	value=$(ctl stats "$1" 2>/dev/null | sed -n "s/.* $2=\([0-9]*\).*/\1/p")
	echo "${value:-0}"
}
# wait_stat DOMAIN KEY MIN SECONDS: until KEY >= MIN.
wait_stat()
{
	n=0
	while [ "$(stat_of "$1" "$2")" -lt "$3" ]; do
		n=$((n + 1))
		[ $n -lt $(($4 * 2)) ] || return 1
		sleep 0.5
	done
}
gntdev_maps() { grep -c "/dev/xen/gntdev" "/proc/$tessera/maps" 2>/dev/null || true; }
console_of() { cat "/var/log/xen/console/guest-$1.log" 2>/dev/null || true; }
capture() { ctl screenshot "$results_dir/$1.png" >/dev/null && [ -s "$results_dir/$1.png" ]; }
pixels() { "$capture_check" --config "$conf" "$@"; }

guest_config()
{
	# $1 name, $2 memory, $3 extra kernel words
	cat >"$work/$1.cfg" <<CFG
name = "$1"
type = "pv"
kernel = "$kit/vmlinuz"
ramdisk = "$work/domu-initrd.gz"
extra = "console=hvc0 quiet $3"
memory = $2
vcpus = 1
on_crash = "destroy"
CFG
}
for name in $honest; do
	guest_config "$name" 160 "tsr.colour=$(colour_of "$name") tsr.name=$name"
done
for mode in $hostile_modes; do
	guest_config "h-$mode" 128 "tsr.hostile=$mode"
done

# All domUs at once: each boot costs tens of seconds under emulation.
start=$(date +%s)
pids=
for name in $honest $(for mode in $hostile_modes; do echo "h-$mode"; done); do
	xl create "$work/$name.cfg" >"$work/xl-create-$name.log" 2>&1 &
	pids="$pids $!"
done
created=0
for pid in $pids; do wait "$pid" && created=$((created + 1)); done
xl list >"$results_dir/xl-list.txt" 2>&1 || true
if [ $created -eq 8 ]; then pass "xl create of 8 PV domUs ($(($(date +%s) - start)) s)"; else
	fail "xl create: only $created of 8 domUs"; cat "$work"/xl-create-*.log; fi

for name in $honest; do
	if wait_stat "$name" commits 5 150; then
		pass "$name connected over Xen and commits frames ($(ctl stats "$name"))"
	else
		fail "$name: no frames within 150 s ($(ctl stats "$name"))"
	fi
done
echo "both honest guests up $(($(date +%s) - start)) s after xl create"

# ---- hostile guests -------------------------------------------------------
for mode in $hostile_modes; do
	name=h-$mode
	n=0
	until console_of "$name" | grep -q "hostile-agent exit"; do
		n=$((n + 1))
		[ $n -lt 300 ] || break
		sleep 0.5
	done
	reason=$(reason_for "$mode")
	line=$(grep -E "\[domain $name/[0-9]+\] dropped: .*$reason" "$results_dir/tessera.log" | head -n 1)
	if [ -n "$line" ] && [ "$(stat_of "$name" connected)" = 0 ] &&
		[ "$(stat_of "$name" violations)" -ge 1 ]; then
		pass "hostile $mode: dropped, logged with its domain: ${line#*] warn: }"
	else
		fail "hostile $mode: no drop naming $name${reason:+ for '$reason'} ($(ctl stats "$name"))"
	fi
	if console_of "$name" | grep -q "hostile-agent exit 0" &&
		console_of "$name" | grep -q "hostile: dropped: "; then
		pass "hostile $mode: the guest got the ERROR and was disconnected ($(console_of "$name" | grep "hostile: dropped" | head -n 1 | tr -d '\r'))"
	else
		fail "hostile $mode: the guest did not see the drop"
		console_of "$name" | tail -n 5 | sed 's/^/       /'
	fi
done
echo "hostile guests done $(($(date +%s) - start)) s after xl create"

for name in $honest; do
	before=$(stat_of "$name" commits)
	if wait_stat "$name" commits $((before + 5)) 60 && [ "$(stat_of "$name" violations)" = 0 ] &&
		[ "$(stat_of "$name" connected)" = 1 ]; then
		pass "$name kept updating through the hostile guests ($(ctl stats "$name"))"
	else
		fail "$name disturbed by the hostile guests ($(ctl stats "$name"))"
	fi
done

echo "gntdev mappings with two guests: $(gntdev_maps)"
[ "$(gntdev_maps)" -gt 0 ] && pass "guest buffers are gntdev mappings in tessera" ||
	fail "no gntdev mappings while guests are connected"

# ---- what the output shows --------------------------------------------------
ctl focus work >/dev/null
sleep 1
capture mosaic-a && sleep 1 && capture mosaic-b && pass "writeback captures of the mosaic" ||
	fail "screenshot through writeback failed"
for name in $honest; do
	check "$name: border in its colour, label '$(sed -n "/^\[domain $name\]/,/^label/s/^label = //p" "$conf")'" \
		pixels --focused work frame "$name" "$results_dir/mosaic-a.png"
	check "$name: its colour fills its content box, the other's is absent" \
		pixels content "$name" "$results_dir/mosaic-a.png" "$(colour_of "$name")" \
		"$(colour_of "$(other_of "$name")")"
	check "$name: its content updates between captures" \
		pixels updating "$name" "$results_dir/mosaic-a.png" "$results_dir/mosaic-b.png"
done
for mode in $hostile_modes; do
	check "h-$mode: its box shows the background after the drop" \
		pixels background "h-$mode" "$results_dir/mosaic-b.png"
done

# ---- benchmark: damage -> commit latency, Xen vs local ------------------------
latency_of() { ctl status | sed -n "s/.* latency_sum_ns=\([0-9]*\) latency_count=\([0-9]*\).*/\1 \2/p"; }
# measure SECONDS: mean damage -> commit ms over that window, "ms frames".
measure()
{
	# shellcheck disable=SC2046 # two numbers, split on purpose
	set -- "$1" $(latency_of)
	sleep "$1"
	# shellcheck disable=SC2046
	set -- "$2" "$3" $(latency_of)
	awk -v s0="$1" -v c0="$2" -v s1="$3" -v c1="$4" \
		'BEGIN { n = c1 - c0; printf "%.3f %d", n ? (s1 - s0) / n / 1e6 : 0, n }'
}
xen_figure=$(measure 8)
"$build_dir/guest-agent/tessera-agent" --socket "$work/local.sock" --source demo \
	--colour c08020 --name local >"$results_dir/local-agent.log" 2>&1 &
local_agent=$!
if wait_stat local commits 5 30; then
	xl pause work && xl pause personal
	local_figure=$(measure 8)
	xl unpause work && xl unpause personal
	echo "$xen_figure $local_figure" | awk '{ printf "benchmark: damage -> commit latency over Xen %.3f ms (%d frames), local %.3f ms (%d frames), ratio xen/local %.2f\n", $1, $2, $3, $4, $3 > 0 ? $1 / $3 : 0 }' |
		tee "$results_dir/bench-latency.txt"
else
	echo "benchmark: the local agent did not connect; no latency ratio"
fi
kill "$local_agent" 2>/dev/null || true
wait "$local_agent" 2>/dev/null || true

# ---- benchmark: grant map/unmap vs memcpy -----------------------------------
"$build_dir/tests/vm/bench-xen-map" 2>&1 | tee "$results_dir/bench-map.txt" || true

# ---- xl destroy mid-stream --------------------------------------------------
wait_stat personal commits $(($(stat_of personal commits) + 3)) 30 || true
xl destroy work
n=0
until [ "$(stat_of work connected)" = 0 ] || [ $n -ge 20 ]; do n=$((n + 1)); sleep 0.5; done
[ "$(stat_of work connected)" = 0 ] && pass "work disconnected after xl destroy" ||
	fail "work still connected after xl destroy ($(ctl stats work))"
grep -qE "\[domain work/[0-9]+\] disconnected: the domain was destroyed" "$results_dir/tessera.log" &&
	pass "the log names work's domain at its destruction" || fail "no log line for work's destruction"
before=$(stat_of personal commits)
wait_stat personal commits $((before + 3)) 30 && pass "personal keeps committing after work is gone" ||
	fail "personal stopped committing ($(ctl stats personal))"
capture one-guest-a && sleep 1 && capture one-guest-b || fail "screenshot after xl destroy failed"
check "work: its box shows the background after xl destroy" \
	pixels background work "$results_dir/one-guest-a.png"
check "personal: still its colour in its box" \
	pixels content personal "$results_dir/one-guest-b.png" "$(colour_of personal)" "$(colour_of work)"
check "personal: still updating on the output" \
	pixels updating personal "$results_dir/one-guest-a.png" "$results_dir/one-guest-b.png"

# ---- every guest gone: no grant mapping left -----------------------------------
xl destroy personal
for mode in $hostile_modes; do xl destroy "h-$mode" || true; done
n=0
until [ "$(stat_of personal connected)" = 0 ] || [ $n -ge 20 ]; do n=$((n + 1)); sleep 0.5; done
[ "$(stat_of personal connected)" = 0 ] && pass "personal disconnected after xl destroy" ||
	fail "personal still connected ($(ctl stats personal))"
sleep 1
maps=$(gntdev_maps)
[ "$maps" = 0 ] && pass "no gntdev mapping left in tessera once every guest is gone" ||
	{ fail "$maps gntdev mappings left"; grep gntdev "/proc/$tessera/maps" || true; }

ctl quit >/dev/null || kill "$tessera"
if wait "$tessera"; then pass "tessera exited cleanly"; else fail "tessera exited with $?"; fi
grep -E "xen|domain" "$results_dir/tessera.log" | grep -v "debug:" | head -60
cp /var/log/xen/console/guest-*.log "$results_dir/" 2>/dev/null || true
echo "xen e2e: $passed passed, $failed failed"
[ $failed -eq 0 ]
