#!/bin/sh
# In-VM test (see kms-tests.list): guest buffers as dma-bufs. udmabuf's
# export and refusal cases (the unit test, whose udmabuf part is skipped on
# machines without it), then a local guest's memfd scanned out by vkms from
# the dma-buf Tessera holds, with no copy, and a buffer of another DRM
# device (vgem, loaded here and unloaded after) scanned out the same way
# (kms_dmabuf_test.c).
#   kms-dmabuf.sh BUILD_DIR RESULTS_DIR
set -eu
[ -c /dev/udmabuf ] || { echo "kms-dmabuf: no /dev/udmabuf (is udmabuf in the kit?)"; exit 1; }
status=0
"$1/tests/unit/test_udmabuf" >"$2/test_udmabuf.log" 2>&1 || status=$?
cat "$2/test_udmabuf.log"
[ $status -eq 0 ] || exit $status
if grep -q '^SKIP' "$2/test_udmabuf.log"; then
	echo "kms-dmabuf: test_udmabuf skipped its udmabuf cases with /dev/udmabuf present"
	exit 1
fi
vgem=$1/vm-kit/current/modules/kernel/drivers/gpu/drm/vgem/vgem.ko
[ -f "$vgem" ] || { echo "kms-dmabuf: no $vgem in the kit"; exit 1; }
insmod "$vgem" || { echo "kms-dmabuf: insmod vgem failed"; exit 1; }
TSR_RESULTS_DIR=$2 "$1/tests/vm/kms-dmabuf-test" || status=$?
rmmod vgem || echo "kms-dmabuf: WARNING: cannot unload vgem"
exit $status
