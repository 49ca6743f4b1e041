#!/bin/bash
# Boots Xen 4.17 with the VM kit's kernel as PV dom0 (vkms loaded, so dom0 has
# /dev/dri/card0; xenstored, xen-init-dom0 and xenconsoled running) and runs
# SCRIPT there, like run-vm.sh does without Xen.
#
#   tests/vm/run-xen.sh BUILD_DIR RESULTS_DIR SCRIPT [ARGS...]
#
# Same results, exit status and environment variables as run-vm.sh. The dom0
# can create PV domUs with xl from the kit's kernel and initramfs (see
# xen-smoke.sh). Expect about 30 s more per boot than run-vm.sh.
set -euo pipefail

VM_LOG_NAME=run-xen
VM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$VM_DIR/lib.sh"

[ $# -ge 3 ] || vm_die "usage: $0 BUILD_DIR RESULTS_DIR SCRIPT [ARGS...]"
build_dir=$1
results_dir=$2
shift 2
"$VM_DIR/prepare-xen-kit.sh" "$build_dir"
VM_XEN=1 exec "$VM_DIR/run-vm.sh" "$build_dir" "$results_dir" "$VM_DIR/xen-dom0.sh" "$@"
