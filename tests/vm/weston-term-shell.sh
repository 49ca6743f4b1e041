#!/bin/busybox sh
# shellcheck shell=dash
# The shell inside weston-terminal in the desktop domU: reads the lines
# typed into the terminal (keys from xen-kbdfront, through libinput,
# weston, xkbcommon and the terminal's pty), runs each, and shows its
# output in the terminal as a shell would. It also reports every command
# and its output on hvc0 as
#   tessera-domu: term$ COMMAND
#   tessera-domu: term: OUTPUT LINE
# and asks /init for screenshots (/tmp/shot-request) once the terminal
# shows the result.
prompt() { printf 'guest$ '; }
prompt
while IFS= read -r line; do
	echo "tessera-domu: term\$ $line" >/dev/hvc0
	output=$(eval "$line" 2>&1)
	[ -n "$output" ] && printf '%s\n' "$output"
	printf '%s\n' "$output" | sed 's/^/tessera-domu: term: /' >/dev/hvc0
	prompt
	: >/tmp/shot-request
done
