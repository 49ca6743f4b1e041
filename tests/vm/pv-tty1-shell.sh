#!/bin/busybox sh
# shellcheck shell=dash
# The PV domU's shell on tty1 (pv-domu-init.sh starts it with setsid, so
# tty1 becomes its controlling terminal): reads the lines typed there (keys
# from xen-kbdfront, turned into characters by the guest's own keyboard
# handler and line discipline) and runs each one, echoing it and its output
# on stdout (hvc0) as
#   tessera-domu: tty1$ COMMAND
#   tessera-domu: tty1: OUTPUT LINE
#   tessera-domu: tty1 status N
# so a dom0 test that typed `expr 40 - 2` finds "tessera-domu: tty1: 38".
exec </dev/tty1
while IFS= read -r line; do
	echo "tessera-domu: tty1\$ $line"
	status_file=/tmp/tty1-status
	{
		eval "$line"
		echo $? >"$status_file"
	} 2>&1 | sed 's/^/tessera-domu: tty1: /'
	echo "tessera-domu: tty1 status $(cat "$status_file" 2>/dev/null)"
done
echo "tessera-domu: tty1 shell: end of input"
