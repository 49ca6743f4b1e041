#!/bin/sh
# In-VM benchmark (see kms-tests.list), not a test: prints the input path's
# latency and throughput as ratios to a baseline; always exits 0.
#   bench-input.sh BUILD_DIR RESULTS_DIR
build_dir=$1
bench="$build_dir/tests/bench/bench_input"
if [ ! -x "$bench" ]; then
	echo "bench-input.sh: $bench is missing; build $build_dir first" >&2
	exit 0
fi
"$bench" || echo "bench-input.sh: bench_input exited with status $? (figures above, if any)" >&2
exit 0
