# Shared by the in-VM tests that run one tessera with agents on KMS
# (gpu-handoff.sh, kms-gles.sh, kms-two-cards.sh, kms-hotplug.sh). Source
# it after defining fail MESSAGE (each test words its own failures).

# kms_write_config FILE OUTPUT_LINES NAME:COLOUR...: writes the config
# kms-gles.sh, kms-two-cards.sh and kms-hotplug.sh share into FILE:
# [output] with backend = kms and then OUTPUT_LINES (what differs, e.g.
# "device = all"), the control socket control.sock, 4-pixel borders and
# 28-pixel banners, and a [domain NAME] with colour = COLOUR and socket =
# NAME.sock for each NAME:COLOUR, in order.
kms_write_config()
{
	local file=$1 output=$2 domain
	shift 2
	{
		printf '[output]\nbackend = kms\n%s\n\n' "$output"
		printf '[control]\nsocket = control.sock\n\n'
		printf '[decorations]\nborder_width = 4\nbanner_height = 28\n'
		for domain in "$@"; do
			printf '\n[domain %s]\ncolour = %s\nsocket = %s.sock\n' \
				"${domain%%:*}" "${domain#*:}" "${domain%%:*}"
		done
	} >"$file"
}

# kms_start_tessera CONFIG LOG RUNTIME_DIR: starts tessera (--no-input,
# logging at info into LOG) with TESSERA_CONTROL=RUNTIME_DIR/control.sock
# exported, sets tessera_pid and agent_pids=() (the test adds its agents),
# kills them all on exit, and waits for the control socket.
kms_start_tessera()
{
	export TESSERA_CONTROL=$3/control.sock
	TESSERA_LOG=info "$tessera" --config "$1" --runtime-dir "$3" --no-input >"$2" 2>&1 &
	tessera_pid=$!
	agent_pids=()
	trap kms_cleanup EXIT
	for _ in $(seq 100); do
		[ -S "$TESSERA_CONTROL" ] && return 0
		kill -0 "$tessera_pid" 2>/dev/null || fail "tessera exited at start"
		sleep 0.1
	done
	fail "no control socket at $TESSERA_CONTROL"
}

kms_cleanup()
{
	kill "${agent_pids[@]}" 2>/dev/null || true
	kill "$tessera_pid" 2>/dev/null || true
	wait 2>/dev/null || true
}

# field REPLY KEY: the value of KEY=VALUE in a status or stats reply.
field()
{
	tr ' ' '\n' <<<"$1" | sed -n "s/^$2=//p" | head -n 1
}
