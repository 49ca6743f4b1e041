#!/bin/sh
# In-VM test (see kms-tests.list): direct scanout of a local guest's
# dma-buf on vkms's overlay plane, its exits and its fallback
# (kms_scanout_test.c).
#   kms-scanout.sh BUILD_DIR RESULTS_DIR
set -eu
[ -c /dev/udmabuf ] || { echo "kms-scanout: no /dev/udmabuf (is udmabuf in the kit?)"; exit 1; }
TSR_RESULTS_DIR=$2 exec "$1/tests/vm/kms-scanout-test"
