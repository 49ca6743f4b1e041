#!/bin/sh
# Runs in the Xen dom0 (run-xen.sh puts it in front of the caller's script):
# starts what a dom0 needs for xl (xenfs, xenstored, xen-init-dom0,
# xenconsoled), then runs SCRIPT with its arguments.
#
#   xen-dom0.sh SCRIPT [ARGS...]
# Guest consoles are logged to /var/log/xen/console/guest-<name>.log.
set -eu
[ $# -ge 1 ] || { echo "usage: $0 SCRIPT [ARGS...]" >&2; exit 2; }
if [ "$(cat /sys/hypervisor/type 2>/dev/null)" != xen ]; then
	echo "xen-dom0.sh: not running on Xen (use tests/vm/run-xen.sh)" >&2
	exit 2
fi

xen_bin=$(/usr/lib/xen-common/bin/xen-dir)/bin
mountpoint -q /proc/xen || mount -t xenfs xenfs /proc/xen
mkdir -p /run/xen /run/xenstored /var/run/xenstored /var/lib/xen /var/lib/xenstored \
	/var/log/xen/console

"$xen_bin/xenstored" --pid-file=/run/xen/xenstored.pid
tries=0
until "$xen_bin/xenstore-read" / >/dev/null 2>&1 || xenstore-ls >/dev/null 2>&1; do
	tries=$((tries + 1))
	[ $tries -lt 100 ] || { echo "xen-dom0.sh: xenstored did not come up" >&2; exit 1; }
	sleep 0.1
done
"$xen_bin/xen-init-dom0"
"$xen_bin/xenconsoled" --pid-file=/run/xen/xenconsoled.pid --log=guest \
	--log-dir=/var/log/xen/console
echo "xen-dom0.sh: dom0 ready ($(xl info | sed -n 's/^xen_version *: //p'))"
exec "$@"
