#!/bin/busybox sh
# shellcheck shell=dash
# pv-modetest on every xen-drm-front card the PV-devices domU gets, for
# tests that take the card away (in the domU as /bin/pv-modetest-loop; run
# at boot with tsr.modetest-loop=MODE, see pv-domu-init.sh):
#
#   pv-modetest-loop [static|flip]
#
# A Tessera restart closes the device: xen-drm-front unplugs its card and,
# when the backend is back, makes a new one (a new /dev/dri/cardN). This
# runs pv-modetest MODE on the first card, and again on the next card
# whenever the card it ran on is gone. Commands read from hvc0, one a line
# (dom0 writes them into the console's pty, xenstore console/tty):
#   reload   stop modetest, rmmod and insmod drm_xen_front (a new card); when
#            the module stays busy, unbind and bind it from vdispl-0
#   reboot   reboot -f (the toolstack restarts the domain: on_reboot)
# Reports on hvc0:
#   tessera-domu: modetest-loop: run N on /dev/dri/cardM
#   tessera-domu: modetest-loop: run N ended (card gone|modetest exited)
#   tessera-domu: modetest-loop: drm_xen_front reloaded[ (unbind and bind ...)]
#   tessera-domu: modetest-loop: reload failed
# and pv-modetest's own lines.
mode=${1:-static}
say() { echo "tessera-domu: modetest-loop: $*"; }
pid_file=/tmp/pv-modetest-loop.pid

# The running pv-modetest is a session (setsid) of its own: its pid is the
# group of its whole pipeline (sleep | modetest | sed).
stop_modetest()
{
	pid=$(cat "$pid_file" 2>/dev/null)
	[ -n "$pid" ] || return 0
	kill -TERM "-$pid" 2>/dev/null
	tries=0
	while kill -0 "$pid" 2>/dev/null && [ $tries -lt 50 ]; do
		tries=$((tries + 1))
		sleep 0.1
	done
}

commands()
{
	while read -r line; do
		line=$(echo "$line" | tr -d '\r')
		case $line in
		reload)
			say "reloading drm_xen_front"
			touch /tmp/pv-modetest-loop.reloading
			stop_modetest
			# The killed modetest's last close of the card can come
			# after its process is gone: the module is busy until then.
			tries=0
			until rmmod drm_xen_front 2>/dev/null || [ $tries -ge 50 ]; do
				tries=$((tries + 1))
				sleep 0.2
			done
			if [ -d /sys/module/drm_xen_front ]; then
				# Still in use (an unplugged card's last reference):
				# unbind and bind the driver from the device instead,
				# the same disconnect and new probe for the backend.
				say "rmmod failed: $(grep '^drm_xen_front ' /proc/modules)"
				driver=$(dirname "$(echo /sys/bus/xen/drivers/*/vdispl-0)")
				if [ -d "$driver" ] && echo vdispl-0 >"$driver/unbind" &&
					sleep 1 && echo vdispl-0 >"$driver/bind"; then
					say "drm_xen_front reloaded (unbind and bind of vdispl-0)"
				else
					say "reload failed"
				fi
			elif insmod /lib/modules/drm_xen_front.ko; then
				say "drm_xen_front reloaded"
			else
				say "reload failed"
			fi
			rm -f /tmp/pv-modetest-loop.reloading
			;;
		reboot)
			say "rebooting"
			stop_modetest
			reboot -f
			;;
		esac
	done </dev/hvc0
}
commands &

run=0
while :; do
	card=
	while [ -z "$card" ] || [ -e /tmp/pv-modetest-loop.reloading ]; do
		card=
		for node in /dev/dri/card*; do
			[ -e "$node" ] && card=$node && break
		done
		sleep 0.2
	done
	run=$((run + 1))
	setsid /bin/pv-modetest "$mode" &
	echo $! >"$pid_file"
	say "run $run on $card"
	while [ -e "$card" ] && kill -0 "$(cat "$pid_file")" 2>/dev/null; do
		sleep 0.3
	done
	if [ -e "$card" ]; then
		say "run $run ended (modetest exited)"
		sleep 1 # no busy loop on a card modetest cannot use
	else
		say "run $run ended (card gone)"
	fi
	stop_modetest
done
