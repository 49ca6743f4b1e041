#!/bin/bash
# What `meson install` gives a dom0 (and a guest), checked in a staging
# directory: the programs, the example configurations, the systemd units
# (systemd-analyze verify), the udev rule and its group, and the man pages
# (mandoc -T lint, man -l). The installed binaries are checked for build-
# and source-tree paths (strings, debug info stripped: it names the build
# directory by design) and for test hooks: the installed tessera must look
# for its agent only in bindir, even with a built agent in the build tree.
# With a second build directory configured with -Dtest_hooks=true, checks
# that `meson install` of it fails and installs nothing.
#
#   tests/install/check-install.sh INSTALL_BUILD_DIR [TEST_HOOKS_BUILD_DIR]
#
# INSTALL_BUILD_DIR is configured here (without test hooks) and only the
# installed targets are built. Ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
root=$(pwd)
[ $# -ge 1 ] || { echo "usage: $0 INSTALL_BUILD_DIR [TEST_HOOKS_BUILD_DIR]" >&2; exit 2; }
build=$(realpath -m "$1")
hooks_build=${2:+$(realpath -m "$2")}
# A prefix nothing else uses, so that no real installation answers for it.
prefix=/opt/tessera-install-check
stage=$build/stage
passed=0
failed=0

check() { # description command...
	local what=$1
	shift
	if "$@"; then
		echo "ok   $what"
		passed=$((passed + 1))
	else
		echo "FAIL $what"
		failed=$((failed + 1))
	fi
}

finish() {
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit $?
}

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

# ---- build and install into the stage -------------------------------------
if ! bash tests/setup-build.sh "$build" --prefix="$prefix" -Dtest_hooks=false \
	-Dman_pages=enabled >"$scratch/setup.log" 2>&1; then
	cat "$scratch/setup.log"
	check "configure $build" false
	finish
fi
programs=(tessera tessera-ctl tessera-agent tessera-gpu-helper tessera-lock-helper)
pages=(tessera.1 tessera-ctl.1 tessera-agent.1 tessera.conf.5)
check "build the installed targets" meson compile -C "$build" "${programs[@]}" "${pages[@]}"
rm -rf "$stage"
check "meson install --destdir" meson install -C "$build" --no-rebuild --quiet --destdir "$stage"

# ---- the files ------------------------------------------------------------
expected=(
	bin/tessera bin/tessera-ctl bin/tessera-agent libexec/tessera-gpu-helper
	libexec/tessera-lock-helper etc/pam.d/tessera
	etc/tessera/tessera.conf etc/tessera/tessera-xen.conf
	lib/systemd/system/tessera.service lib/systemd/system/tessera-agent.service
	lib/udev/rules.d/70-tessera.rules lib/sysusers.d/tessera.conf
	share/man/man1/tessera.1 share/man/man1/tessera-ctl.1 share/man/man1/tessera-agent.1
	share/man/man5/tessera.conf.5
)
for file in "${expected[@]}"; do
	check "installed $prefix/$file" test -s "$stage$prefix/$file"
done
for program in bin/tessera bin/tessera-ctl bin/tessera-agent libexec/tessera-gpu-helper \
	libexec/tessera-lock-helper; do
	check "$program is executable" test -x "$stage$prefix/$program"
done
check "the example configurations are the repository's" \
	cmp -s data/tessera-xen.conf "$stage$prefix/etc/tessera/tessera-xen.conf"
check "the lock screen's PAM service is the repository's" \
	cmp -s data/pam/tessera "$stage$prefix/etc/pam.d/tessera"

# ---- no build-tree path, no test hook -------------------------------------
no_tree_path() { # installed file
	local copy=$scratch/$(basename "$1")
	objcopy --strip-debug "$1" "$copy" || return 1
	! strings -a "$copy" | grep -F -e "$root" -e "$build"
}
for program in bin/tessera bin/tessera-ctl bin/tessera-agent libexec/tessera-gpu-helper \
	libexec/tessera-lock-helper; do
	check "$program names no build or source tree" no_tree_path "$stage$prefix/$program"
done
has_string() { strings -a "$1" | grep -xF "$2" >/dev/null; }
check "tessera runs the helper from libexecdir" \
	has_string "$stage$prefix/bin/tessera" "$prefix/libexec/tessera-gpu-helper"
check "tessera runs the lock helper from libexecdir" \
	has_string "$stage$prefix/bin/tessera" "$prefix/libexec/tessera-lock-helper"
check "the lock helper takes no PAM directory of its own (test hook)" \
	bash -c "! strings -a '$stage$prefix/libexec/tessera-lock-helper' | grep -q -- --confdir"
check "tessera reads no PAM directory from the environment" \
	bash -c "! strings -a '$stage$prefix/bin/tessera' | grep -q TESSERA_TEST_PAM_CONFDIR"
check "tessera runs the demo agent from bindir" \
	has_string "$stage$prefix/bin/tessera" "$prefix/bin/tessera-agent"
check "tessera reads no commit-failure hook from the environment" \
	bash -c "! strings -a '$stage$prefix/bin/tessera' | grep -q TESSERA_KMS_INJECT"
# Behaviour: the staged tessera runs the demo, and must look for the agent
# in bindir only, not in the build tree (where one is built).
demo_refuses_tree_agent() {
	local log=$scratch/demo.log
	(cd "$scratch" && TESSERA_KMS_INJECT_COMMIT_FAILURE=1 timeout 20 \
		"$stage$prefix/bin/tessera" --demo shots >"$log" 2>&1)
	local status=$?
	[ "$status" -ne 0 ] && grep -qF "tessera-agent not found (tried $prefix/bin/tessera-agent)" "$log" ||
		{ cat "$log"; return 1; }
}
check "the installed tessera's demo looks for its agent in bindir only" demo_refuses_tree_agent

# ---- systemd units --------------------------------------------------------
# systemd-analyze verify checks every Exec path, so the units are verified
# with their paths pointed into the stage (the installed ones name $prefix).
verify_unit() {
	local out
	out=$(systemd-analyze verify --man=no "$1" 2>&1) && [ -z "$out" ] || { echo "$out"; return 1; }
}
units=$scratch/units
mkdir -p "$units"
for unit in tessera.service tessera-agent.service; do
	sed "s#$prefix/#$stage$prefix/#g" "$stage$prefix/lib/systemd/system/$unit" >"$units/$unit"
	check "$unit names $prefix/bin" grep -q "ExecStart=$prefix/bin/" "$stage$prefix/lib/systemd/system/$unit"
	# --man=no: the pages are in the stage, not where man looks. verify
	# exits 0 on unknown keys and bad values (it only warns): any output
	# counts as a failure.
	check "systemd-analyze verify $unit" verify_unit "$units/$unit"
done
check "tessera.service starts before the guests (Before=xendomains.service)" \
	grep -qx 'Before=xendomains.service' "$stage$prefix/lib/systemd/system/tessera.service"

# ---- udev rule ------------------------------------------------------------
# systemd 252 (bookworm) has no `udevadm verify`: every rule line must be
# KEY=="value" matches and GROUP/MODE assignments, nothing else.
rule=$stage$prefix/lib/udev/rules.d/70-tessera.rules
rule_syntax() {
	local other
	other=$(grep -v -e '^#' -e '^$' "$rule" |
		grep -vE '^(SUBSYSTEM|KERNEL)=="[^"]+"(, (SUBSYSTEM|KERNEL)=="[^"]+")*, GROUP="tessera", MODE="0660"$')
	[ -z "$other" ] || { echo "$other"; return 1; }
}
check "70-tessera.rules: only matches and GROUP/MODE" rule_syntax
for node in 'SUBSYSTEM=="drm", KERNEL=="card' 'SUBSYSTEM=="input", KERNEL=="event' \
	'KERNEL=="xen/gntdev"' 'KERNEL=="xen/evtchn"' 'KERNEL=="xen/xenbus"' 'KERNEL=="xen/privcmd"'; do
	check "70-tessera.rules covers $node" grep -qF "$node" "$rule"
done
check "sysusers.d creates the tessera group" grep -qx 'g tessera -' "$stage$prefix/lib/sysusers.d/tessera.conf"

# ---- man pages ------------------------------------------------------------
for page in "${pages[@]}"; do
	file=$stage$prefix/share/man/man${page##*.}/$page
	check "mandoc -T lint $page (errors)" mandoc -T lint -W error "$file"
	check "man -l $page renders" bash -c "MANWIDTH=80 man -l '$file' 2>/dev/null | grep -q '^NAME'"
done

# ---- a test-hooks build does not install ----------------------------------
if [ -n "$hooks_build" ]; then
	hooks_stage=$scratch/hooks-stage
	refuses() {
		! meson install -C "$hooks_build" --no-rebuild --quiet --destdir "$hooks_stage" \
			>"$scratch/hooks-install.log" 2>&1 &&
			grep -q 'test_hooks' "$scratch/hooks-install.log" &&
			[ -z "$(find "$hooks_stage" -type f 2>/dev/null)" ]
	}
	check "meson install of a -Dtest_hooks=true build fails and installs nothing" refuses
fi
finish
