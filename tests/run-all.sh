#!/bin/bash
# README command 2 (and CI): install what is missing, then run every test:
# unit, render and integration tests (plain and under ASan+UBSan), the
# fuzz targets briefly, the demo, the staged install, the VM stages (real
# KMS on vkms, GPU handoff, Xen under QEMU) and the benchmarks. Ends with
# "N passed, N failed" over all test cases.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$(pwd)
FUZZ_SECONDS=${FUZZ_SECONDS:-30}
passed=0
failed=0
failures=()

stage() { printf '\n=== %s ===\n' "$*"; }

# Adds meson's per-test counts ("Ok: N", "Fail: N", ...) from its output.
count_meson() {
	local log=$1 name=$2 ok fail
	ok=$(awk '/^Ok:/ {print $2}' "$log" | tail -1)
	fail=$(awk '/^(Fail|Unexpected Pass|Timeout):/ {s += $2} END {print s + 0}' "$log")
	passed=$((passed + ${ok:-0}))
	failed=$((failed + fail))
	[ "$fail" -eq 0 ] || failures+=("$name")
}

record() { # name status
	if [ "$2" -eq 0 ]; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		failures+=("$1")
	fi
}

stage "dependencies"
bash tests/deps.sh all || { echo "run-all: cannot install dependencies" >&2; exit 1; }

stage "format (clang-format, .clang-format at the root)"
# Every C file of ours must be formatted; the list of offenders is printed.
unformatted=()
while IFS= read -r file; do
	clang-format --dry-run -Werror "$file" >/dev/null 2>&1 || unformatted+=("$file")
done < <(git ls-files '*.c' '*.h' 2>/dev/null || find compositor protocol guest-agent gpu-passthrough include tests -name '*.[ch]')
if [ ${#unformatted[@]} -eq 0 ]; then
	echo "format: every C file is formatted"
	record "format" 0
else
	printf 'format: not formatted (run clang-format -i): %s\n' "${unformatted[@]}"
	record "format" 1
fi

stage "build (gcc, -Werror)"
# Reconfigured even when it exists: tests/demo.sh may have set build/ up
# before libxen-dev was installed. Xen is wanted here (deps.sh installed
# libxen-dev), so a missing Xen stops the run instead of skipping a stage.
bash tests/setup-build.sh build -Dtest_hooks=true -Dxen=enabled >/dev/null || {
	echo "run-all: cannot configure build/ (meson's error above)" >&2
	exit 1
}
meson compile -C build || { echo "run-all: build failed" >&2; exit 1; }
# The Xen VM stages run these; say so here, by name, when they are missing.
xen_missing=()
for target in guest-agent/tessera-agent-static tests/integration/hostile-agent-static; do
	[ -x "build/$target" ] || xen_missing+=("build/$target")
done
if [ ${#xen_missing[@]} -eq 0 ]; then
	echo "build: the Xen targets are built"
	record "xen targets built" 0
else
	echo "run-all: libxen-dev is installed but these Xen targets are missing: ${xen_missing[*]}" >&2
	record "xen targets built" 1
fi

stage "clang-tidy (product code, .clang-tidy at the root)"
# Static analysis over what ships; every warning fails the stage.
if git ls-files 'compositor/*.c' 'protocol/*.c' 'guest-agent/*.c' 'gpu-passthrough/*.c' |
	xargs -P2 -n8 clang-tidy -p build --quiet >build/clang-tidy.log 2>&1; then
	echo "clang-tidy: no warnings"
	record "clang-tidy" 0
else
	grep -E 'warning:|error:' build/clang-tidy.log | head -40
	echo "clang-tidy: see build/clang-tidy.log"
	record "clang-tidy" 1
fi

stage "unit and integration tests"
meson test -C build --print-errorlogs 2>&1 | tee build/run-all-tests.log
count_meson build/run-all-tests.log "tests (gcc)"

stage "unit and integration tests under AddressSanitizer + UBSan"
bash tests/setup-build.sh build-asan -Db_sanitize=address,undefined -Db_lundef=false \
	-Dtest_hooks=true -Dxen=enabled >/dev/null || exit 1
if meson compile -C build-asan; then
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		meson test -C build-asan --print-errorlogs --timeout-multiplier 3 2>&1 |
		tee build-asan/run-all-tests.log
	count_meson build-asan/run-all-tests.log "tests (asan+ubsan)"
else
	record "asan build" 1
fi

stage "fuzz targets (libFuzzer, ${FUZZ_SECONDS}s each)"
CC=clang bash tests/setup-build.sh build-fuzz -Dfuzzing=true -Dxen=enabled >/dev/null || exit 1
if meson compile -C build-fuzz; then
	for target in $(find build-fuzz -type f -executable -name 'fuzz_*' | sort); do
		name=$(basename "$target")
		# fuzz_AREA keeps its seeds in tests/AREA/corpus.
		work=build-fuzz/corpus-$name
		mkdir -p "$work"
		seeds=tests/${name#fuzz_}/corpus
		[ -d "$seeds" ] && cp -n "$seeds"/* "$work"/ 2>/dev/null
		echo "fuzz: $name"
		"$target" -max_total_time="$FUZZ_SECONDS" -print_final_stats=1 "$work" \
			>"build-fuzz/$name.log" 2>&1
		status=$?
		grep -E 'stat::number_of_executed_units|stat::new_units_added' "build-fuzz/$name.log" || true
		[ $status -eq 0 ] || tail -40 "build-fuzz/$name.log"
		record "fuzz $name" $status
	done
else
	record "fuzz build" 1
fi

stage "demo (README command 1)"
rm -rf build/demo-ci && mkdir -p build/demo-ci
(cd build/demo-ci && "$root/build/compositor/tessera" --demo screenshots) >build/demo-ci/demo.log 2>&1
status=$?
tail -8 build/demo-ci/demo.log
shots=$(ls build/demo-ci/screenshots/*.png 2>/dev/null | wc -l)
[ "$status" -eq 0 ] && [ "$shots" -eq 5 ] || status=1
record "demo" $status

# A VM stage's script (and the install check) ends with "N passed, N
# failed"; a run that dies before saying so counts as one failure. Never
# skipped silently.
vm_stage() { # name log script args...
	local name=$1 log=$2
	shift 2
	if [ ! -x "$1" ]; then
		echo "run-all: $1 is missing" >&2
		record "$name" 1
		return
	fi
	"$@" 2>&1 | tee "$log"
	local status=${PIPESTATUS[0]} stage_passed stage_failed
	stage_passed=$(awk '/^[0-9]+ passed, [0-9]+ failed/ {print $1}' "$log" | tail -1)
	stage_failed=$(awk '/^[0-9]+ passed, [0-9]+ failed/ {print $3}' "$log" | tail -1)
	passed=$((passed + ${stage_passed:-0}))
	failed=$((failed + ${stage_failed:-0}))
	if [ "$status" -ne 0 ] && [ "${stage_failed:-0}" -eq 0 ]; then
		failed=$((failed + 1))
	fi
	[ "$status" -eq 0 ] || failures+=("$name")
}

stage "install (meson install --destdir: programs, configurations, units, udev rule, man pages)"
# In build-install/, configured without test hooks (an installed Tessera
# runs only installed programs); also checks that build/ (with test hooks)
# refuses to install.
vm_stage "install" build/run-all-install.log tests/install/check-install.sh build-install build

stage "VM tests: real KMS (vkms), evdev and uinput in QEMU"
vm_stage "kms vm stage" build/run-all-vm.log tests/vm/run-kms-tests.sh build

stage "VM tests: GPU passthrough handoff (bochs-display <-> pci-stub, vkms fallback)"
vm_stage "gpu vm stage" build/run-all-gpu.log tests/vm/gpu-tests.sh build

stage "VM tests: Xen 4.17 under QEMU (grant tables, vchan, domUs)"
vm_stage "xen vm stage" build/run-all-xen.log tests/vm/run-xen-tests.sh build

stage "VM tests: GPU handoff under Xen (xen-pciback, xl pci-attach/detach, a PV domU drives the card)"
vm_stage "gpu xen stage" build/run-all-gpu-xen.log tests/vm/gpu-xen-test.sh build

stage "benchmarks (figures, not tests)"
build/tests/bench/bench_compose 2>/dev/null || echo "bench_compose failed (not counted)"
build/tests/bench/bench_scale 2>/dev/null || echo "bench_scale failed (not counted)"
# Direct scanout against composition on vkms, measured in the KMS VM stage
# (tests/vm/bench-scanout.sh, counted there).
cat build/vm-results/bench-scanout/figures.txt 2>/dev/null ||
	echo "bench-scanout: no figures (see the KMS VM stage)"
# The whole compositor (tessera + 1..32 agents, callgrind): figures only, it
# never judges them; counted as a failure only when it cannot run.
nice -n 5 build/tests/bench/bench_compositor 2>build/run-all-bench-compositor.log
case $? in
0) passed=$((passed + 1)) ;;
77) echo "bench_compositor skipped (see build/run-all-bench-compositor.log)" ;;
*)
	echo "bench_compositor could not run (see build/run-all-bench-compositor.log)"
	failed=$((failed + 1))
	failures+=("bench_compositor")
	;;
esac

# README.md's auditor table, recounted (a figure, like the rest here).
bash tests/auditor-lines.sh 2>&1 || echo "auditor-lines could not count (not counted)"

stage "summary"
[ ${#failures[@]} -eq 0 ] || echo "failed stages: ${failures[*]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
