#!/bin/bash
# Tracepoints on the VM's kernel (see tests/vm/README.md): the host's
# test-tracepoint.sh as it is, on each backend of its BACKENDS (exact values
# from tests/fixtures/tp_prog.c, checked against an instance's own trace
# of the same events), here with busybox's tools and another kernel's
# formats and event ids.
. "$SRC_DIR/tests/integration/lib.sh"
if [ ! -x "$SONDE" ]; then
	skip "tracepoint" "no sonde binary in the VM image"
	exit 0
fi
exec bash "$SRC_DIR/tests/integration/test-tracepoint.sh"
