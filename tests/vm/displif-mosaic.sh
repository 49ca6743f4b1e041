#!/bin/bash
# In-dom0 test of an agent guest and a PV display (displif) guest side by
# side, of Tessera restarts and PV display reconnects, and the displif
# benchmark; run with the Xen stage (run-xen-tests.sh BUILD_DIR
# displif-mosaic) or alone through run-xen.sh:
#   tests/vm/run-xen.sh BUILD_DIR RESULTS_DIR $PWD/tests/vm/displif-mosaic.sh BUILD_DIR RESULTS_DIR
#
# Tessera runs in dom0 on vkms (1024x768) with two domains: `work`, a PV
# domU running tessera-agent over the Xen transport (xen-e2e.sh's
# initramfs), and `pv`, the PV-devices domU (prepare-pv-domu.sh: Debian's
# kernel and libdrm's modetest, nothing of Tessera's) with a 640x480 vdispl
# line. Checks:
#  - mosaic: each domain in its own frame (border colour, label); the
#    agent's colour in its content box, changing between captures; the PV
#    display, which does not fit its tile, scaled down into its image box
#    and equal to modetest's pattern there within the filter's reach
#    (displif-mosaic-check: bar insides within 3 per channel, pixels near a
#    bar edge between the colours they mix); in the focus layout the same
#    display 1:1, pixel for pixel (displif-capture-check);
#  - `xl destroy` of the PV guest mid-flip: no libxl time-out, Tessera logs
#    the removal, the agent guest keeps committing and its pixels keep
#    changing, the PV box shows the background, Xen frees the domain (it
#    cannot while dom0 maps one of its pages) and Tessera's gntdev
#    mappings are back to the agent guest's alone;
#  - a Tessera restart (SIGTERM, start again) with a PV guest running: the
#    guest's xen-drm-front unplugs its card and makes a new one, the guest
#    (pv-modetest-loop) runs modetest on it, the pattern is shown again
#    pixel for pixel; the same after the guest reloads drm_xen_front and
#    after it reboots (on_reboot = restart: a new domid).
# Benchmark (figures, never pass/fail) in RESULTS_DIR/bench-displif.txt:
# guest flip -> Tessera commit latency over displif against the agent
# transport's damage -> commit latency in this run, and Tessera's CPU per
# presented displif frame against a memcpy of that frame in this run.
#
# Each check prints "ok   ..." or "FAIL ..." (also appended to
# RESULTS_DIR/checks.txt); logs, captures and consoles go to RESULTS_DIR.
set -eu
# shellcheck source=xen-check-lib.sh
. "$(dirname "$(readlink -f "$0")")/xen-check-lib.sh"
build_dir=$(readlink -f "$1")
results_dir=$2
kit=$(readlink -f "$build_dir/vm-kit/current")
here=$(cd "$(dirname "$0")" && pwd)
agent=$build_dir/guest-agent/tessera-agent-static
capture_check=$build_dir/tests/vm/xen-capture-check
mosaic_check=$build_dir/tests/vm/displif-mosaic-check
pattern_check=$build_dir/tests/vm/displif-capture-check
memcpy_bench=$build_dir/tests/vm/bench-frame-memcpy
pv_initrd=$kit/pv-domu/initrd.cpio
checks=$results_dir/checks.txt
: >"$checks"
# check DESCRIPTION COMMAND...: one check, the command's output indented.
check()
{
	description=$1
	shift
	if output=$("$@" 2>&1); then pass "$description"; else fail "$description"; fi
	[ -z "$output" ] || echo "$output" | sed 's/^/       /'
}

for file in "$agent" "$capture_check" "$mosaic_check" "$pattern_check" "$memcpy_bench" \
	"$build_dir/compositor/tessera" "$pv_initrd"; do
	[ -e "$file" ] || give_up "displif-mosaic: missing $file (build, and tests/vm/prepare-pv-domu.sh)"
done
grep -q pv-modetest-loop "$pv_initrd" ||
	give_up "displif-mosaic: $pv_initrd has no pv-modetest-loop (rerun tests/vm/prepare-pv-domu.sh)"
domu_kernel=$kit/xen/domu-vmlinux
[ -s "$domu_kernel" ] || domu_kernel=$kit/vmlinuz

work=/tmp/displif-mosaic
rm -rf "$work"
mkdir -p "$work/root"
output=1024x768
guest_size=640x480
guest_width=${guest_size%x*}
guest_height=${guest_size#*x}

# The agent guest's initramfs, as xen-e2e.sh builds it: the kit's busybox
# with the modules an agent needs, xen-e2e-domu-init.sh, the static agent.
(cd "$work/root" && zcat "$kit/initrd.gz" | cpio -id 2>/dev/null)
domu_modules="xen-evtchn xen-privcmd xenfs xen-gntalloc"
: >"$work/root/etc/modules/tessera-domu.load"
for module in $domu_modules; do
	grep "^$module " "$work/root/etc/modules/xen-domu.load" >>"$work/root/etc/modules/tessera-domu.load"
done
for ko in "$work"/root/lib/modules/*.ko; do
	case " $domu_modules " in *" $(basename "$ko" .ko) "*) ;; *) rm -f "$ko" ;; esac
done
cp "$here/xen-e2e-domu-init.sh" "$work/root/init"
cp "$agent" "$work/root/bin/tessera-agent"
(cd "$work/root" && find . | cpio -o -H newc 2>/dev/null) >"$work/agent-initrd.cpio"
rm -rf "$work/root"

conf=$work/tessera.conf
cat >"$conf" <<CONF
[output]
backend = kms
width = ${output%x*}
height = ${output#*x}
[control]
socket = $work/control.sock
[domain work]
label = Work agent
colour = blue
transport = xen
[domain pv]
label = PV display
colour = orange
transport = xen
display = pv
CONF
cp "$conf" "$results_dir/tessera.conf"
agent_colour=2060c0
trap 'cp /var/log/xen/console/guest-*.log "$results_dir/" 2>/dev/null || true' EXIT

# ---- Tessera, started (again) by start_tessera N: log tessera-N.log ---------------
tessera=
log=
start_tessera()
{
	log=$results_dir/tessera-$1.log
	TESSERA_LOG=debug "$build_dir/compositor/tessera" --config "$conf" --no-input \
		--runtime-dir "$work" >"$log" 2>&1 &
	tessera=$!
	wait_for 30 ctl status >/dev/null 2>&1
}
start_tessera 1 || {
	cat "$log"
	give_up "tessera did not start"
}
pass "tessera started on vkms (pid $tessera)"
ctl layout mosaic >/dev/null

# A number always (0 when tessera does not answer).
stat_of()
{
	value=$(ctl stats "$1" 2>/dev/null | sed -n "s/.* $2=\([0-9]*\).*/\1/p")
	echo "${value:-0}"
}
stat_at_least() { [ "$(stat_of "$1" "$2")" -ge "$3" ]; }
gntdev_maps() { grep -c /dev/xen/gntdev "/proc/$tessera/maps" 2>/dev/null || true; }
capture() { ctl screenshot "$results_dir/$1.png" >/dev/null 2>&1 && [ -s "$results_dir/$1.png" ]; }
pixels() { "$capture_check" --config "$conf" "$@"; }
connections() { grep -cE "\[domain pv/[0-9]+\].*vdispl 0 connected" "$log" || true; }
more_connections() { [ "$(connections)" -gt "$1" ]; }
console_count() { console_of "$1" | grep -cE "$2" || true; }
console_more() { [ "$(console_count "$1" "$2")" -gt "$3" ]; }

agent_size=$(pixels size work "$output")
cat >"$work/work.cfg" <<CFG
name = "work"
type = "pv"
kernel = "$domu_kernel"
ramdisk = "$work/agent-initrd.cpio"
extra = "console=hvc0 quiet tsr.colour=$agent_colour tsr.name=work tsr.size=$agent_size"
memory = 160
vcpus = 1
on_crash = "destroy"
CFG
# pv_config KERNEL-WORDS: the PV-devices guest `pv` (on_reboot restarts it).
pv_config()
{
	cat >"$work/pv.cfg" <<CFG
name = "pv"
type = "pv"
kernel = "$domu_kernel"
ramdisk = "$pv_initrd"
extra = "console=hvc0 quiet $1"
memory = 128
vcpus = 1
on_crash = "destroy"
on_reboot = "restart"
vdispl = [ "backend=0,be-alloc=0,connectors=c0:$guest_size" ]
CFG
}

# ---- the agent guest alone first: its gntdev mappings and latency -----------------
xl_create work || give_up "xl create work failed: $(cat "$work/xl-create-work.log")"
if wait_for 400 stat_at_least work commits 5; then
	pass "work connected over the Xen transport and commits frames ($(ctl stats work))"
else
	give_up "work: no frames within 400 s ($(ctl stats work)); $(console_of work | tail -n 3)"
fi
sleep 2 # its buffers settle (first CONFIGURE answered)
agent_maps=$(gntdev_maps)
echo "gntdev mappings with the agent guest alone: $agent_maps"

latency_of() { ctl status | sed -n "s/.* latency_sum_ns=\([0-9]*\) latency_count=\([0-9]*\).*/\1 \2/p"; }
# tessera's utime+stime in ns (all its threads, /proc/PID/stat fields 14+15).
cpu_ns()
{
	awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.0f\n", ($12 + $13) * 1e9 / hz }' \
		"/proc/$tessera/stat"
}
# window SECONDS [DOMAIN]: "LATENCY_MS FRAMES CPU_NS DOMAIN_FRAMES_DONE" over
# that window: mean damage -> commit of every presented frame, the frames
# counted in it, tessera's CPU, DOMAIN's answered flips.
window()
{
	# shellcheck disable=SC2046 # two numbers, split on purpose
	set -- "$1" "${2:-work}" $(latency_of) "$(cpu_ns)" "$(stat_of "${2:-work}" frames_done)"
	sleep "$1"
	# shellcheck disable=SC2046
	set -- "$@" $(latency_of) "$(cpu_ns)" "$(stat_of "$2" frames_done)"
	awk -v s0="$3" -v c0="$4" -v cpu0="$5" -v f0="$6" -v s1="$7" -v c1="$8" -v cpu1="$9" -v f1="${10}" \
		'BEGIN { n = c1 - c0; printf "%.3f %d %.0f %d\n", n ? (s1 - s0) / n / 1e6 : 0, n, cpu1 - cpu0, f1 - f0 }'
}
agent_window=$(window 8 work)
echo "agent alone over 8 s: $agent_window"

# ---- the PV display guest beside it ---------------------------------------------------
pv_config "tsr.modetest=flip"
xl_create pv || give_up "xl create pv failed: $(cat "$work/xl-create-pv.log")"
pass "xl create pv with a vdispl line succeeded"
if wait_for 240 more_connections 0; then
	pass "tessera: $(grep -m1 -E "\[domain pv/[0-9]+\].*vdispl 0 connected" "$log" | sed 's/^.*\] //')"
else
	give_up "pv's xen-drm-front never connected: $(console_of pv | tail -n 5)"
fi
freq_lines() { console_count pv "tessera-domu: modetest: freq:"; }
if wait_for 180 console_more pv "tessera-domu: modetest: freq:" 0; then
	pass "modetest -v flips on pv's card: $(console_of pv | grep -m1 'modetest card' | sed 's/^tessera-domu: //')"
else
	fail "modetest -v completed no 60 flips: $(ctl stats pv); $(console_of pv | grep modetest | tail -n 3)"
fi

# ---- mosaic: both frames with their content ---------------------------------------
ctl layout mosaic >/dev/null
ctl focus work >/dev/null
sleep 1
capture mosaic-a && sleep 1 && capture mosaic-b && pass "writeback captures of the mosaic" ||
	fail "screenshot through writeback failed"
for name in work pv; do
	check "$name: its own frame, border in its colour, label '$(sed -n "/^\[domain $name\]/,/^label/s/^label = //p" "$conf")'" \
		pixels --focused work frame "$name" "$results_dir/mosaic-a.png"
done
check "work: its colour fills its content box" \
	pixels content work "$results_dir/mosaic-a.png" "$agent_colour"
check "work: its content changes between captures" \
	pixels updating work "$results_dir/mosaic-a.png" "$results_dir/mosaic-b.png"
shown=$(ctl status | grep -o ' pv\.pv=[^ ]*' || true)
case $shown in
*scaled:*) pass "status: the 640x480 display is scaled in the mosaic (${shown# })" ;;
*) fail "status does not say pv is scaled in the mosaic: '$shown'" ;;
esac
# modetest -v alternates two buffers (its pattern and its secondary tiles):
# a capture of the pattern's buffer is waited for.
scaled_shown()
{
	capture mosaic-pv &&
		"$mosaic_check" "$conf" pv "$guest_size" "$results_dir/mosaic-pv.png" >"$work/check.txt" 2>&1
}
if wait_for 60 scaled_shown; then
	pass "mosaic: modetest's pattern in pv's image box: $(cat "$work/check.txt")"
else
	fail "mosaic: modetest's pattern not in pv's image box: $(cat "$work/check.txt")"
fi
check "work: still its colour beside the PV display" \
	pixels content work "$results_dir/mosaic-pv.png" "$agent_colour"

ctl layout focus >/dev/null
ctl focus pv >/dev/null
exact_shown()
{
	capture "$1" && "$pattern_check" "$results_dir/$1.png" "$guest_width" "$guest_height" >"$work/check.txt" 2>&1
}
if wait_for 60 exact_shown focus-pv; then
	pass "focus: pv's display 1:1: $(cat "$work/check.txt")"
else
	fail "focus: modetest's pattern not 1:1 in pv's frame: $(cat "$work/check.txt")"
fi

# ---- benchmark: displif flip -> commit against the agent, CPU per frame -----------
# The agent is paused so every presented frame is a displif flip's; the
# PV display is measured in the mosaic (scaled) and in focus (1:1).
memcpy_ns=$("$memcpy_bench" "$guest_size" | sed -n 's/^memcpy_ns=\([0-9]*\).*/\1/p')
xl pause work
ctl layout mosaic >/dev/null
pv_mosaic=$(window 8 pv)
ctl layout focus >/dev/null
ctl focus pv >/dev/null
pv_focus=$(window 8 pv)
xl unpause work
ctl layout mosaic >/dev/null
ctl focus work >/dev/null
bench()
{
	echo "$agent_window $pv_mosaic $pv_focus ${memcpy_ns:-0}" | awk '
	function cpu(ns, frames) { return frames ? ns / frames / 1e6 : 0 }
	{
		printf "benchmark: displif guest flip -> tessera commit latency %.3f ms (%d frames, mosaic, scaled), %.3f ms (%d frames, focus, 1:1); agent over Xen damage -> commit %.3f ms (%d frames); ratio displif/agent %.2f (mosaic) %.2f (focus)\n",
			$5, $6, $9, $10, $1, $2, ($1 > 0 ? $5 / $1 : 0), ($1 > 0 ? $9 / $1 : 0)
		printf "benchmark: tessera CPU per presented displif 640x480 frame %.3f ms (mosaic, %d flips answered), %.3f ms (focus, %d flips answered); memcpy of that frame %.3f ms; ratio cpu/memcpy %.1f (mosaic) %.1f (focus)\n",
			cpu($7, $8), $8, cpu($11, $12), $12, $13 / 1e6,
			($13 > 0 ? cpu($7, $8) * 1e6 / $13 : 0), ($13 > 0 ? cpu($11, $12) * 1e6 / $13 : 0)
	}'
}
bench | tee "$results_dir/bench-displif.txt"

# ---- xl destroy of the PV guest mid-flip ---------------------------------------------
flips=$(freq_lines)
wait_for 60 console_more pv "tessera-domu: modetest: freq:" "$flips" ||
	fail "pv stopped flipping before xl destroy ($(ctl stats pv))"
pv_domid=$(xl domid pv)
maps_both=$(gntdev_maps)
commits_before=$(stat_of work commits)
started=$(date +%s)
xl destroy pv >"$work/xl-destroy.log" 2>&1 || true
took=$(($(date +%s) - started))
cp "$work/xl-destroy.log" "$results_dir/" 2>/dev/null || true
if grep -qiE "timed out|timeout" "$work/xl-destroy.log"; then
	fail "xl destroy pv waited for the backend ($took s): $(cat "$work/xl-destroy.log")"
else
	pass "xl destroy pv mid-flip: no libxl time-out ($took s)"
fi
# libxl writes Closing and waits up to 10 s for Closed, then removes the
# device by force (silently, with `xl destroy`'s force): only the Closing
# answered says the removal was at once.
removal() { grep -m1 -E "\[domain pv/$pv_domid\].*vdispl 0: the toolstack" "$log" | sed 's/^.*\] //'; }
removed() { [ -n "$(removal)" ]; }
wait_for 30 removed || true
case $(removal) in
*"the toolstack is removing the device"*) pass "tessera answered the toolstack's Closing with Closed: $(removal)" ;;
"") fail "no removal line for pv/$pv_domid" ;;
*) fail "tessera did not answer the toolstack's Closing (libxl waited and removed the device by force): $(removal)" ;;
esac
if wait_for 60 stat_at_least work commits $((commits_before + 5)); then
	pass "work keeps committing after pv is gone ($commits_before -> $(stat_of work commits))"
else
	fail "work stopped committing ($(ctl stats work))"
fi
capture alone-a && sleep 1 && capture alone-b || fail "screenshot after xl destroy failed"
check "work: its pixels keep changing after pv is gone" \
	pixels updating work "$results_dir/alone-a.png" "$results_dir/alone-b.png"
check "pv: its box shows the background after xl destroy" \
	pixels background pv "$results_dir/alone-b.png"
# Xen keeps a destroyed domain (dying) while another domain maps its pages.
domain_freed() { ! xl list | awk 'NR > 1 { print $2 }' | grep -qx "$pv_domid"; }
if wait_for 30 domain_freed; then
	pass "Xen freed pv (domid $pv_domid): dom0 maps none of its pages"
else
	fail "domain $pv_domid still exists after xl destroy: $(xl list | awk -v d="$pv_domid" '$2 == d')"
fi
maps_agent_again() { [ "$(gntdev_maps)" -le "$agent_maps" ]; }
if wait_for 20 maps_agent_again; then
	pass "tessera's gntdev mappings: $maps_both with both guests, $(gntdev_maps) after (the agent guest alone had $agent_maps)"
else
	fail "tessera holds $(gntdev_maps) gntdev mappings after pv is gone; the agent guest alone had $agent_maps"
fi

# ---- Tessera restart with a PV guest running -----------------------------------------
pv_config "tsr.modetest-loop=static"
connected_before=$(connections)
xl_create pv || give_up "xl create pv (static) failed: $(cat "$work/xl-create-pv.log")"
wait_for 240 more_connections "$connected_before" || give_up "pv (static) never connected: $(console_of pv | tail -n 5)"
ctl layout focus >/dev/null
ctl focus pv >/dev/null
runs_of() { console_count pv "modetest-loop: run [0-9]+ on "; }
runs=0
wait_for 60 console_more pv "modetest-loop: run [0-9]+ on " "$runs" || fail "pv-modetest-loop did not start modetest"
if wait_for 60 exact_shown restart-before; then
	pass "before the restart: $(cat "$work/check.txt")"
else
	fail "before the restart, modetest's pattern is not shown: $(cat "$work/check.txt")"
fi
runs=$(runs_of)
gone_before=$(console_count pv "ended \(card gone\)")
kill -TERM "$tessera"
if wait "$tessera"; then pass "tessera exited on SIGTERM (status 0)"; else fail "tessera exited with $? on SIGTERM"; fi
if wait_for 30 console_more pv "ended \(card gone\)" "$gone_before"; then
	pass "pv's xen-drm-front unplugged its card when Tessera closed the device"
else
	fail "pv's card did not go away: $(console_of pv | grep modetest-loop | tail -n 2)"
fi
start_tessera 2 || give_up "tessera did not start again"
pass "tessera started again (pid $tessera)"
ctl layout focus >/dev/null
ctl focus pv >/dev/null
if wait_for 120 more_connections 0; then
	pass "the restarted tessera: $(grep -m1 -E "\[domain pv/[0-9]+\].*vdispl 0 connected" "$log" | sed 's/^.*\] //')"
else
	fail "pv did not reconnect to the restarted tessera: $(console_of pv | tail -n 3)"
fi
if wait_for 60 console_more pv "modetest-loop: run [0-9]+ on " "$runs"; then
	pass "the guest's new card: $(console_of pv | grep 'modetest-loop: run' | tail -n 3 | sed 's/^tessera-domu: modetest-loop: //' | tr '\n' ';')"
else
	fail "no modetest run on a new card: $(console_of pv | grep modetest-loop | tail -n 2)"
fi
if wait_for 60 exact_shown restart-after; then
	pass "after the restart: $(cat "$work/check.txt")"
else
	fail "after the restart, modetest's pattern is not shown: $(cat "$work/check.txt")"
fi

# ---- the guest reloads drm_xen_front, then reboots -------------------------------
# Commands for pv-modetest-loop go into the guest console's pty.
to_console()
{
	tty=$(xenstore-read "/local/domain/$(xl domid pv)/console/tty" 2>/dev/null) &&
		[ -c "$tty" ] && printf '%s\n' "$1" >"$tty"
}
connected_before=$(connections)
runs=$(runs_of)
to_console reload || fail "cannot write to pv's console"
if wait_for 60 console_more pv "drm_xen_front reloaded" 0 && wait_for 120 more_connections "$connected_before"; then
	pass "pv reloaded drm_xen_front and reconnected: $(grep -E "\[domain pv/[0-9]+\].*vdispl 0 connected" "$log" | tail -n 1 | sed 's/^.*\] //')"
else
	fail "no reconnection after the driver reload: $(console_of pv | grep modetest-loop | tail -n 2)"
fi
wait_for 60 console_more pv "modetest-loop: run [0-9]+ on " "$runs" || fail "no modetest run after the reload"
if wait_for 60 exact_shown reload-after; then
	pass "after the driver reload: $(cat "$work/check.txt")"
else
	fail "after the driver reload, modetest's pattern is not shown: $(cat "$work/check.txt")"
fi
old_domid=$(xl domid pv)
connected_before=$(connections)
boots=$(console_count pv "tessera-domu: up ")
to_console reboot || fail "cannot write to pv's console"
rebooted() { domid=$(xl domid pv 2>/dev/null) && [ "$domid" != "$old_domid" ]; }
if wait_for 120 rebooted && wait_for 240 more_connections "$connected_before"; then
	pass "pv rebooted (domid $old_domid -> $(xl domid pv)) and reconnected: $(grep -E "\[domain pv/[0-9]+\].*vdispl 0 connected" "$log" | tail -n 1 | sed 's/^.*\] //')"
else
	fail "pv did not come back after its reboot ($(xl list | grep -w pv || echo 'not listed'))"
fi
wait_for 120 console_more pv "tessera-domu: up " "$boots" || true
if wait_for 120 exact_shown reboot-after; then
	pass "after the reboot: $(cat "$work/check.txt")"
else
	fail "after the reboot, modetest's pattern is not shown: $(cat "$work/check.txt")"
fi

# ---- everything gone ------------------------------------------------------------------
xl destroy pv >/dev/null 2>&1 || true
xl destroy work >/dev/null 2>&1 || true
no_maps() { [ "$(gntdev_maps)" -eq 0 ]; }
wait_for 30 no_maps && pass "no gntdev mapping left in tessera once both guests are gone" ||
	fail "$(gntdev_maps) gntdev mappings left"
kill -0 "$tessera" 2>/dev/null && pass "tessera is still running" || fail "tessera died"
ctl quit >/dev/null 2>&1 || kill "$tessera" 2>/dev/null || true
wait "$tessera" 2>/dev/null || true
report displif-mosaic
