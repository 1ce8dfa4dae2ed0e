#!/bin/bash
# The bpf backend builds each streamed record in a scratch buffer it claims
# for the run (src/lib/bpf/bpf_int.h STREAM_SLOTS): a run preempted on one
# CPU keeps its buffer, and the next run on that CPU takes another. With the
# first buffers held (SONDE_BPF_HELD_SLOTS, as preempted runs would hold
# them), records are built in the free one and every call is shown, with
# the values calls.c passes (add(i, 2i), i = 1..N); with all held, nothing
# is built in a held buffer: every call is counted lost, none shown.
# Also on a preemptible kernel, in the VM: tests/vm/tests/bpf-preempt.sh.
. "$(dirname "$0")/lib.sh"
require_root
require_uprobes
require_file "$SONDE" "$FIXTURES/fixture_pie"
if ! "$SONDE" check | grep -q '^BPF: *yes'; then
	skip "$T_NAME" "no BPF here"
	finish
fi

bin=$(readlink -f "$FIXTURES/fixture_pie")
N=50
hygiene_begin

want=$(seq 1 $N | awk '{ printf "add: a=%d b=%d\n", $1, 2 * $1 }')
for held in 0 3; do
	SONDE_BPF_HELD_SLOTS=$held "$SONDE" trace --backend bpf -c "$bin $N" \
		"u:$bin:add a=arg1:s32 b=arg2:s32" >"$T_DIR/out.$held" 2>"$T_DIR/err.$held"
	expect_eq "$held of 4 buffers held: exit 0" "$?" 0
	got=$(sed -n 's/.*\] \(add: .*\)/\1/p' "$T_DIR/out.$held")
	expect_eq "$held of 4 buffers held: every call, with calls.c's values" "$got" "$want"
	expect_grep "$held of 4 buffers held: none lost" "$N events, 0 lost" "$T_DIR/err.$held"
done

SONDE_BPF_HELD_SLOTS=4 "$SONDE" trace --backend bpf -c "$bin $N" \
	"u:$bin:add a=arg1:s32 b=arg2:s32" >"$T_DIR/out.4" 2>"$T_DIR/err.4"
expect_eq "all buffers held: exit 0" "$?" 0
expect_eq "all buffers held: no record shown" "$(wc -l <"$T_DIR/out.4" | tr -d ' ')" 0
expect_grep "all buffers held: every call counted lost" "0 events, $N lost" "$T_DIR/err.4"

hygiene_check "nothing left behind"
finish
