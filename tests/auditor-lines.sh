#!/bin/bash
# Recounts README.md's "What an auditor reads" table: the lines of each
# file, or of each named function (from its first line to its closing
# brace in column 0), per property. Prints figures, never fails a run on
# them: the goal (frame + keys + labels < 3,000) is a figure to watch.
set -euo pipefail
exec 3>&1 # the rows, while stdout carries sums inside $(...)
cd "$(dirname "${BASH_SOURCE[0]}")/../compositor"

# file [function-start...]: the whole file, or the named functions in it.
count() {
	local file=$1
	shift
	if [ $# -eq 0 ]; then
		wc -l <"$file"
		return
	fi
	local total=0 name lines
	for name in "$@"; do
		lines=$(awk -v name="$name" 'index($0, name "(") == 1 { start = NR }
			start && /^}/ { print NR - start + 1; exit }' "$file")
		[ -n "$lines" ] || { echo "auditor-lines: no function '$name' in $file" >&2; exit 1; }
		total=$((total + lines))
	done
	echo "$total"
}

row() { # name, then "file[:function,function]" items
	local name=$1 sum=0 item file functions
	shift
	for item in "$@"; do
		file=${item%%:*}
		functions=()
		[ "$item" = "$file" ] || IFS=, read -ra functions <<<"${item#*:}"
		sum=$((sum + $(count "$file" "${functions[@]}")))
	done
	printf '%-8s %5d\n' "$name" "$sum" >&3
	echo "$sum"
}

frame=$(row frame core/draw_list.c core/draw_list.h render/render_pixman.c \
	"backend/kms_scanout.c:bool kms_scanout_present,void kms_scanout_add_state")
keys=$(row keys input/seat.c input/hotkey.c core/input_policy.c core/input_sink.c \
	"core/domain.c:bool tsr_domain_attach_input_sink,void tsr_domain_detach_input_sink" \
	core/output_views.c core/output_views.h \
	"core/server.c:bool tsr_server_focus_on,void tsr_server_attach_seat,void tsr_server_guest_ready,void tsr_server_guest_gone")
labels=$(row labels config/config_domain.c core/guest_directory.h core/guest_directory.c \
	"transport/local_transport.c:struct tsr_local_transport *tsr_local_transport_create,static void handle_connection" \
	transport/xen_identity.c transport/xen_identity.h transport/xen_paths.c \
	"transport/xen_transport.c:static void consider_domain" \
	"transport/displif_transport.c:static int claim_domain" \
	"transport/kbdif_backend.c:static int match_domain,static void discover" \
	"core/scene.c:static bool dimmed_on,static void gather_domain,static void gather_banner" \
	core/decorations.c)
row pointer core/pointer_policy.c core/arrangement.c \
	"core/layout.c:int tsr_layout_domain_at,const struct tsr_display_view *tsr_layout_display_at,void tsr_display_view_to_display" >/dev/null
row lock core/lock_policy.c core/lock.c lock_helper.c core/suspend_lock.c core/logind_sleep.c \
	core/scene.c >/dev/null
echo "auditor lines (frame + keys + labels): $((frame + keys + labels)) (goal: under 3000)"
