#!/bin/sh
# In-VM test (see kms-tests.list): real KMS through vkms with writeback.
#   smoke.sh BUILD_DIR RESULTS_DIR
set -eu
build_dir=$1
results_dir=$2
smoke="$build_dir/tests/vm/kms-smoke"
if [ ! -x "$smoke" ]; then
	echo "smoke.sh: $smoke is missing; build it first (ninja -C $build_dir tests/vm/kms-smoke)" >&2
	exit 1
fi
ls -l /dev/dri
exec "$smoke" "$results_dir/writeback-capture.png"
