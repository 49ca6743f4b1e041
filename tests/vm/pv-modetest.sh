#!/bin/busybox sh
# shellcheck shell=dash
# libdrm's own modetest on the PV domU's xen-drm-front card (in the domU as
# /bin/pv-modetest):
#
#   pv-modetest [static|flip|all|flip-all] [EXTRA MODETEST ARGS...]
#
#   static    modetest -s CONNECTOR:WxH (its test pattern, one frame, held)
#   flip      the same with -v (page flips, as fast as they are answered)
#   all       every connected connector at once, one -s each: modetest
#             then draws ONE framebuffer as wide as the modes' summed
#             widths (as tall as the tallest) and scans connector i out
#             of it from x = the widths of the connectors before it, y = 0
#   flip-all  the same with -v (each connector flips on its own)
#
# Waits (up to 30 s) for the card and a connected connector, picks the first
# connector's id (all: every connected one's, in the card's order) and its
# first (only) mode, and keeps modetest running with
# an open, silent stdin (modetest exits at end of input, which would take
# the picture down). Reports on stdout (hvc0):
#   tessera-domu: modetest card /dev/dri/cardN connector ID mode WxH
#   tessera-domu: modetest card /dev/dri/cardN connectors ID:WxH ID:WxH ...  (all)
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
# mode_of ID: the connector's first mode, "WxH".
mode_of()
{
	modetest -M xendrm-du -c 2>/dev/null |
		awk -v id="$1" '$1 == id { found = 1; next } found && /^ *#0 / { print $2; exit }'
}
flags=
case $mode in flip | flip-all) flags=-v ;; esac
pipes=
case $mode in
all | flip-all)
	list=
	for id in $(modetest -M xendrm-du -c 2>/dev/null |
		awk '$3 == "connected" && $1 ~ /^[0-9]+$/ { print $1 }'); do
		size=$(mode_of "$id")
		list="$list $id:${size:-?}"
		pipes="$pipes -s $id:${size:-#0}"
	done
	say " card $card connectors${list}"
	;;
*)
	size=$(mode_of "$connector")
	say " card $card connector $connector mode ${size:-?}"
	pipes="-s $connector:${size:-#0}"
	;;
esac
# shellcheck disable=SC3040 # busybox ash has pipefail
set -o pipefail
# shellcheck disable=SC2086 # pipes, flags and the extra args are words on purpose
sleep 2147483647 | modetest -M xendrm-du $pipes $flags "$@" 2>&1 |
	sed 's/^/tessera-domu: modetest: /'
say " exit $?"
