#!/bin/bash
# A tiny buffer and a reader that cannot keep up: events are lost, and the
# loss is counted and reported, never silent.
. "$(dirname "$0")/lib.sh"
require_root
require_uprobes
require_file "$SONDE" "$FIXTURES/fixture_pie"
set -m

bin=$FIXTURES/fixture_pie
N=3000

hygiene_begin
start_bg "$SONDE" trace --buffer-kb 4 "u:$bin:add a=arg1:s32 b=arg2:s32" \
	>"$T_DIR/out" 2>"$T_DIR/err"
spid=$BG
wait_attached "$spid" || bail "sonde did not attach" "$(cat "$T_DIR/err")"
# stop the reader while the program makes far more than 4 KB of events
kill -STOP "$spid"
"$bin" $N
kill -CONT "$spid"
sleep 1
kill -INT "$spid"
wait_exit "$spid" 10
expect_eq "--buffer-kb 4: ends on SIGINT" "$RC" 0

got=$(events "$T_DIR/out" | wc -l | tr -d ' ')
sum=$(grep '^sonde: [0-9]* events, [0-9]* lost' "$T_DIR/err")
ev=$(echo "$sum" | sed -n 's/^sonde: \([0-9]*\) events.*/\1/p')
lost=$(echo "$sum" | sed -n 's/^sonde: [0-9]* events, \([0-9]*\) lost.*/\1/p')
if [ -n "$lost" ] && [ "$lost" -gt 0 ] && [ "$got" -lt "$N" ]; then
	ok "--buffer-kb 4: $got of $N shown, $lost reported lost"
else
	not_ok "--buffer-kb 4: loss reported" "shown $got of $N; stderr: $(cat "$T_DIR/err")"
fi
expect_eq "summary counts the events shown" "$ev" "$got"
expect_eq "shown + lost = calls made" "$((got + ${lost:-0}))" "$N"
if grep -i -q 'cpu' "$T_DIR/err"; then
	ok "losses are reported per CPU"
else
	not_ok "losses are reported per CPU" "$(cat "$T_DIR/err")"
fi
hygiene_check "--buffer-kb: tracefs left as found"

finish
