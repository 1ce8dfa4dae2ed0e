#!/bin/bash
# Every way a session ends leaves uprobe_events, dynamic_events and
# instances/ as they were: normal end, -d, -c exit, SIGINT, SIGTERM, SIGHUP,
# SIGPIPE (| head -1), and an error half-way through setup.
. "$(dirname "$0")/lib.sh"
require_root
require_uprobes
require_file "$SONDE" "$FIXTURES/fixture_pie"
set -m # background jobs get SIGINT like a terminal user's would

bin=$FIXTURES/fixture_pie
probes=("u:$bin:add a=arg1:s32 b=arg2:s32" "ur:$bin:add r=retval:s32")

# -c: the command ends, sonde ends
hygiene_begin
"$SONDE" trace -c "$bin 2" "${probes[@]}" >"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "-c exit: status" "$?" 0
expect_eq "-c exit: 4 events" "$(events "$T_DIR/out" | wc -l | tr -d ' ')" 4
hygiene_check "-c exit: tracefs left as found"

# -d: ends by itself, on time
hygiene_begin
start=$(date +%s)
start_bg "$SONDE" trace -d 1 "${probes[@]}" >"$T_DIR/out" 2>"$T_DIR/err"
wait_exit "$BG" 10
expect_eq "-d 1: exits by itself with status 0" "$RC" 0
el=$(($(date +%s) - start))
if [ "$el" -le 4 ]; then
	ok "-d 1: took ${el}s"
else
	not_ok "-d 1: took ${el}s"
fi
expect_grep "-d 1: summary" '^sonde: [0-9]* events, 0 lost$' "$T_DIR/err"
hygiene_check "-d: tracefs left as found"

# signals, while events flow
for sig in INT TERM HUP; do
	hygiene_begin
	start_bg "$SONDE" trace "${probes[@]}" >"$T_DIR/out" 2>"$T_DIR/err"
	spid=$BG
	if ! wait_attached "$spid"; then
		not_ok "SIG$sig: sonde attached" "$(cat "$T_DIR/err")"
		kill -KILL "$spid" 2>/dev/null
		wait "$spid" 2>/dev/null
		remove_leftovers
		continue
	fi
	"$bin" 3
	sleep 0.3
	kill -"$sig" "$spid"
	wait_exit "$spid" 10
	if [ "$RC" = 124 ]; then
		not_ok "SIG$sig: sonde exits"
	else
		ok "SIG$sig: sonde exits (status $RC)"
	fi
	expect_eq "SIG$sig: events before the signal were printed" \
		"$(events "$T_DIR/out" | wc -l | tr -d ' ')" 6
	[ "$sig" = INT ] && expect_eq "SIGINT: status 0 and summary" \
		"$RC $(tail -n 1 "$T_DIR/err")" "0 sonde: 6 events, 0 lost"
	hygiene_check "SIG$sig: tracefs left as found"
done

# SIGPIPE: the reader goes away after one line
hygiene_begin
timeout -k 5 60 "$SONDE" trace -c "$bin 20000" "u:$bin:add a=arg1:s32" \
	2>"$T_DIR/err" | head -n 1 >"$T_DIR/out"
rc=${PIPESTATUS[0]}
expect_eq "| head -1: one line read" "$(events "$T_DIR/out" | tr -d '\n')" "add: a=1"
if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
	not_ok "| head -1: sonde exits" "status $rc, timed out"
else
	ok "| head -1: sonde exits (status $rc)"
fi
hygiene_check "| head -1: tracefs left as found"

# an error half-way: the first probe is made, the second cannot be
hygiene_begin
"$SONDE" trace -d 5 "u:$bin:add" "u:$bin:no_such_function_xyz" \
	>"$T_DIR/out" 2>"$T_DIR/err"
rc=$?
if [ "$rc" -ne 0 ] && grep -q no_such_function_xyz "$T_DIR/err"; then
	ok "unknown symbol in 2nd probe: refused, named (status $rc)"
else
	not_ok "unknown symbol in 2nd probe: refused, named" \
		"status $rc; stderr: $(cat "$T_DIR/err")"
fi
hygiene_check "unknown symbol in 2nd probe: tracefs left as found"

# the kernel refuses the second probe when enabling it: an offset past the
# end of the file (uprobe_register checks it against i_size)
hygiene_begin
size=$(wc -c <"$bin" | tr -d ' ')
"$SONDE" trace -d 5 "u:$bin:add" "p:toofar $bin:$(printf '0x%x' $((size + 4096)))" \
	>"$T_DIR/out" 2>"$T_DIR/err"
rc=$?
if [ "$rc" -ne 0 ] && [ -s "$T_DIR/err" ]; then
	ok "offset past end of file in 2nd probe: refused (status $rc)"
else
	not_ok "offset past end of file in 2nd probe: refused" \
		"status $rc; stderr: $(cat "$T_DIR/err")"
fi
hygiene_check "offset past end of file in 2nd probe: tracefs left as found"

finish
