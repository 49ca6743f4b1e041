#!/bin/sh
# In-VM test (see kms-tests.list): the compositor scene on vkms; writeback
# captures of both layouts compared with the headless rendering.
#   kms-scene.sh BUILD_DIR RESULTS_DIR
set -eu
TSR_RESULTS_DIR=$2 exec "$1/tests/vm/kms-scene-test"
