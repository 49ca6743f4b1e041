#!/bin/bash
# Stage 2 of the GPU handoff test: boots Xen (run-xen.sh) with QEMU's
# emulated VT-d and a bochs-display device and runs gpu-xen.sh in dom0.
#
#   tests/vm/gpu-xen-test.sh BUILD_DIR [RESULTS_DIR]
set -euo pipefail
VM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
[ $# -ge 1 ] || { echo "usage: $0 BUILD_DIR [RESULTS_DIR]" >&2; exit 2; }
build=$(cd "$1" && pwd -P)
results=${2:-$build/vm-results/gpu-xen}
mkdir -p "$results"
results=$(cd "$results" && pwd -P)
# intel-iommu must exist before the device it translates for, so the
# bochs-display comes here rather than from VM_GPU=1.
export VM_QEMU_ARGS="-device intel-iommu,intremap=on -device bochs-display ${VM_QEMU_ARGS:-}"
export VM_TIMEOUT=${VM_TIMEOUT:-900}
exec "$VM_DIR/run-xen.sh" "$build" "$results" "$VM_DIR/gpu-xen.sh" "$build" "$results"
