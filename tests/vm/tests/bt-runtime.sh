#!/bin/bash
# bpftrace's runtime cases with kprobe and kretprobe probes
# (tests/bt/runtime/*.test, ported from bpftrace's tests/runtime) run by
# `sonde run` on the VM's kernel, which has kprobes; the host runs the
# others (tests/integration/test-bt-runtime.sh). Cases named in
# tests/bt/runtime/KNOWN_GAPS are TODO until sonde run has what they need.
. "$SRC_DIR/tests/integration/lib.sh"
require_root
BT=$SRC_DIR/tests/bt
if [ ! -x "$SONDE" ] || [ ! -x "$FIXTURES/bt/syscall" ] ||
	[ ! -x "$BT/run-cases" ]; then
	skip "$T_NAME" "no sonde, bt_syscall or tests/bt in the VM image"
	exit 0
fi
if [ ! -e "$TRACEFS/kprobe_events" ]; then
	skip "$T_NAME" "no kprobe_events on this kernel"
	exit 0
fi
hygiene_begin
# through a file: the VM's /dev has no /dev/fd for a process substitution
"$BT/run-cases" --kprobes >"$T_DIR/cases.out" 2>&1
adopt_tap "$T_DIR/cases.out"
hygiene_check "bt-runtime (kprobes): tracefs as found"
finish
