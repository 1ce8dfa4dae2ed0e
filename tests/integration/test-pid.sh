#!/bin/bash
# -p PID: attach to a running process; threads it starts afterwards are
# traced, another process running the same program is not.
. "$(dirname "$0")/lib.sh"
require_root
require_uprobes
require_file "$SONDE" "$FIXTURES/fixture_pie"
set -m # background jobs get SIGINT like a terminal user's would

bin=$FIXTURES/fixture_pie
N=4 K=3

hygiene_begin
# stdin: a FIFO held open read-write, so the fixture sees neither a line
# nor end of input and waits for SIGUSR1
mkfifo "$T_DIR/go"
start_bg "$bin" $N --wait --threads $K <>"$T_DIR/go" >"$T_DIR/ready"
fpid=$BG
wait_line "$T_DIR/ready" '^ready$' || bail "fixture did not start"
start_bg "$SONDE" trace -p "$fpid" "u:$bin:add a=arg1:s32 b=arg2:s32" \
	>"$T_DIR/out" 2>"$T_DIR/err"
spid=$BG
if wait_attached "$spid"; then
	ok "-p: attached"
else
	not_ok "-p: attached" "$(cat "$T_DIR/err")"
fi
# the same program in another process: must not show up
"$bin" 7 >/dev/null
kill -USR1 "$fpid"
wait_exit "$fpid" 20
expect_eq "-p: fixture finished" "$RC" 0
# sonde ends when its process does; give it a moment, then Ctrl-C
wait_exit "$spid" 5
if [ "$RC" = 124 ]; then
	not_ok "-p: sonde ends when the traced process exits"
else
	ok "-p: sonde ends when the traced process exits (status $RC)"
fi

for t in $(seq 1 $K); do
	for i in $(seq 1 $N); do
		echo "add: a=$i b=$((2 * i))"
	done
done | sort >"$T_DIR/want"
events "$T_DIR/out" | sort >"$T_DIR/got"
expect_file_eq "-p: all calls of the $K threads started after attach" \
	"$T_DIR/got" "$T_DIR/want"
expect_eq "-p: every event has the traced pid" \
	"$(awk '{ split($3, p, "/"); print p[1] }' "$T_DIR/out" | sort -u)" "$fpid"
expect_eq "-p: $K distinct thread ids, none the main thread" \
	"$(awk '{ split($3, p, "/"); if (p[2] != p[1]) print p[2] }' \
		"$T_DIR/out" | sort -u | wc -l | tr -d ' ')" "$K"
hygiene_check "-p: tracefs left as found"

finish
