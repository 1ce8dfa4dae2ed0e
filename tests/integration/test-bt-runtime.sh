#!/bin/bash
# bpftrace's own runtime cases (tests/bt/runtime/*.test, ported from
# bpftrace's tests/runtime) run by `sonde run` on this kernel: uprobes,
# uretprobes, USDT, tracepoints, BEGIN/END, interval and profile (the
# kprobe cases run in the VM: tests/vm/tests/bt-runtime.sh). Each case's
# expected output is bpftrace's own, checked against bpftrace 0.17 with
# `tests/bt/run-cases --with-bpftrace`; cases named in tests/bt/runtime/
# KNOWN_GAPS are TODO until sonde run has what they need. Nothing may be
# left in tracefs afterwards. Some 250 cases, a few of them seconds long
# (interval, profile), under ASan: more than the usual 300 s.
# tests/run: timeout 900
. "$(dirname "$0")/lib.sh"
require_root
require_uprobes
require_file "$SONDE" "$FIXTURES/bt/syscall"
BT=$(dirname "$0")/../bt
hygiene_begin

# run-cases numbers its own lines; adopt_tap renumbers them into this
# script's TAP as they come
adopt_tap <(SONDE=$SONDE FIXTURES=$FIXTURES "$BT/run-cases" 2>&1)

hygiene_check "bt-runtime: tracefs as found"
finish
