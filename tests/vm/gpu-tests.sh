#!/bin/bash
# Runs the GPU passthrough tests of tests/vm/gpu-tests.list in one VM with a
# bochs-display PCI device (VM_GPU=1).
#
#   tests/vm/gpu-tests.sh BUILD_DIR [TEST_NAME...]
#
# Results as for run-kms-tests.sh, under BUILD_DIR/gpu-results.
set -euo pipefail
VM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export VM_GPU=1
export VM_HOTPLUG=1 # kms-hotplug.sh hot-adds a display
export VM_TEST_LIST=$VM_DIR/gpu-tests.list
export VM_RESULTS_NAME=gpu-results
export VM_TEST_TIMEOUT=${VM_TEST_TIMEOUT:-600}
exec "$VM_DIR/run-kms-tests.sh" "$@"
