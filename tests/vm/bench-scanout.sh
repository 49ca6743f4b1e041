#!/bin/sh
# In-VM benchmark (see kms-tests.list), not a test: direct scanout against
# composition (bench_scanout.c); needs udmabuf and a -Dtest_hooks build.
# Prints figures and keeps them in RESULTS_DIR/figures.txt; exits non-zero
# only when it cannot run.
#   bench-scanout.sh BUILD_DIR RESULTS_DIR
[ -c /dev/udmabuf ] || { echo "bench-scanout: no /dev/udmabuf (is udmabuf in the kit?)"; exit 1; }
TSR_RESULTS_DIR=$2 "$1/tests/vm/bench-scanout" >"$2/figures.txt"
status=$?
cat "$2/figures.txt"
exit $status
