#!/bin/busybox sh
# shellcheck shell=dash
# libdrm's own modetest on the PV domU's xen-drm-front card (in the domU as
# /bin/pv-modetest):
#
#   pv-modetest [static|flip] [EXTRA MODETEST ARGS...]
#
#   static  modetest -s CONNECTOR:WxH (its test pattern, one frame, held)
#   flip    the same with -v (page flips, as fast as they are answered)
#
# Waits (up to 30 s) for the card and a connected connector, picks the first
# connector's id and its first (only) mode, and keeps modetest running with
# an open, silent stdin (modetest exits at end of input, which would take
# the picture down). Reports on stdout (hvc0):
#   tessera-domu: modetest card /dev/dri/cardN connector ID mode WxH
#   tessera-domu: modetest: LINE          (modetest's own output)
#   tessera-domu: modetest exit N
# -M xendrm-du (xen-drm-front's driver name): bookworm's modetest (libdrm
# 2.4.114) treats -D as a bus id and does not know the driver by itself.
mode=${1:-static}
[ $# -gt 0 ] && shift
say() { echo "tessera-domu: modetest$*"; }

card=
connector=
tries=0
while [ $tries -lt 150 ]; do
	for node in /dev/dri/card*; do
		[ -e "$node" ] && card=$node && break
	done
	if [ -n "$card" ]; then
		# "id encoder status name size modes encoders", first connected one.
		connector=$(modetest -M xendrm-du -c 2>/dev/null |
			awk '$3 == "connected" && $1 ~ /^[0-9]+$/ { print $1; exit }')
		[ -n "$connector" ] && break
	fi
	tries=$((tries + 1))
	sleep 0.2
done
if [ -z "$connector" ]; then
	say " error: no xen-drm-front card with a connected connector after 30 s (card: ${card:-none})"
	exit 1
fi
size=$(modetest -M xendrm-du -c 2>/dev/null |
	awk -v id="$connector" '$1 == id { found = 1; next } found && /^ *#0 / { print $2; exit }')
say " card $card connector $connector mode ${size:-?}"
flags=
[ "$mode" = flip ] && flags=-v
# shellcheck disable=SC3040 # busybox ash has pipefail
set -o pipefail
# shellcheck disable=SC2086 # flags and the extra args are words on purpose
sleep 2147483647 | modetest -M xendrm-du -s "$connector:${size:-#0}" $flags "$@" 2>&1 |
	sed 's/^/tessera-domu: modetest: /'
say " exit $?"
