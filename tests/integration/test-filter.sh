#!/bin/bash
# --filter EXPR: only events whose fields match are shown.
. "$(dirname "$0")/lib.sh"
require_root
require_uprobes
require_file "$SONDE" "$FIXTURES/fixture_pie"

bin=$FIXTURES/fixture_pie

hygiene_begin
"$SONDE" trace -q --filter 'a >= 3 && b != 8' -c "$bin 6" \
	"u:$bin:add a=arg1:s32 b=arg2:s32" >"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "--filter: exit status" "$?" 0
expect_eq "--filter 'a >= 3 && b != 8': only matching calls" \
	"$(events "$T_DIR/out" | tr '\n' ,)" \
	"add: a=3 b=6,add: a=5 b=10,add: a=6 b=12,"
hygiene_check "--filter: tracefs left as found"

# a filter naming a field that does not exist is an error, not silence
hygiene_begin
"$SONDE" trace -q --filter 'nosuchfield == 1' -c "$bin 2" \
	"u:$bin:add a=arg1:s32" >"$T_DIR/out" 2>"$T_DIR/err"
rc=$?
if [ "$rc" -ne 0 ] && [ -s "$T_DIR/err" ]; then
	ok "--filter on an unknown field: refused with a message (status $rc)"
else
	not_ok "--filter on an unknown field: refused with a message" \
		"status $rc; stderr: $(cat "$T_DIR/err")"
fi
hygiene_check "--filter error: tracefs left as found"

finish
