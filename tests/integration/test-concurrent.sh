#!/bin/bash
# Two sessions at once on the same function: each gets every event, and
# ending one does not disturb the other.
. "$(dirname "$0")/lib.sh"
require_root
require_uprobes
require_file "$SONDE" "$FIXTURES/fixture_pie"
set -m

bin=$FIXTURES/fixture_pie
N=20

hygiene_begin
start_bg "$SONDE" trace "u:$bin:add a=arg1:s32 b=arg2:s32" >"$T_DIR/out1" 2>"$T_DIR/err1"
s1=$BG
start_bg "$SONDE" trace -f json "u:$bin:add a=arg1:s32 b=arg2:s32" \
	"ur:$bin:add r=retval:s32" >"$T_DIR/out2" 2>"$T_DIR/err2"
s2=$BG
if wait_attached "$s1" && wait_attached "$s2"; then
	ok "two sessions attached"
else
	not_ok "two sessions attached" "$(cat "$T_DIR/err1" "$T_DIR/err2")"
fi
"$bin" $N
sleep 0.5
kill -INT "$s1"
wait_exit "$s1" 10
expect_eq "session 1 ends on SIGINT" "$RC" 0
# session 2 still works after session 1 is gone
"$bin" 1
sleep 0.5
kill -INT "$s2"
wait_exit "$s2" 10
expect_eq "session 2 ends on SIGINT" "$RC" 0

for i in $(seq 1 $N); do
	echo "add: a=$i b=$((2 * i))"
done | sort >"$T_DIR/want1"
{
	cat "$T_DIR/want1"
	for i in $(seq 1 $N); do echo "add__return: r=$((3 * i))"; done
	echo "add: a=1 b=2"
	echo "add__return: r=3"
} | sort >"$T_DIR/want2"
events "$T_DIR/out1" | sort >"$T_DIR/got1"
json_events "$T_DIR/out2" | sort >"$T_DIR/got2"
expect_file_eq "session 1 got all its events" "$T_DIR/got1" "$T_DIR/want1"
expect_file_eq "session 2 got all its events, also after session 1 ended" \
	"$T_DIR/got2" "$T_DIR/want2"
hygiene_check "two sessions: tracefs left as found"

finish
