#!/bin/bash
# sonde stack on the fixture: distinct user stacks counted, most frequent
# first, folded for flame graphs, JSON.
. "$(dirname "$0")/lib.sh"
require_root
require_uprobes
F=$FIXTURES/fixture_pie
require_file "$SONDE" "$F"

hygiene_begin
"$SONDE" stack -c "$F 6 --fact 3" "u:$F:add" "u:$F:fact" \
	>"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "stack: exit status" "$?" 0
# add's six calls share one stack; fact(3)'s three calls are three depths
expect_eq "stack: most frequent first, one per distinct stack" \
	"$(grep '^@\[' "$T_DIR/out" | tr '\n' ,)" "@[add]: 6,@[fact]: 1,@[fact]: 1,@[fact]: 1,"
expect_eq "stack: innermost frame first" \
	"$(sed -n '2s/^ *\([a-z_]*\).*/\1/p' "$T_DIR/out")" "add"
expect_grep "stack: main is in add's stack" '^    main+0x[0-9a-f]* (fixture_pie)$' \
	"$T_DIR/out"
hygiene_check "stack: tracefs left as found"

"$SONDE" stack --folded -c "$F 6 --fact 3" "u:$F:add" "u:$F:fact" \
	>"$T_DIR/out" 2>"$T_DIR/err"
expect_grep "folded: root first, names only, count last" '^[^ ]*;main;add 6$' \
	"$T_DIR/out"
expect_eq "folded: fact's recursion, one frame deeper each" \
	"$(grep -c ';fact;fact 1$' "$T_DIR/out") $(grep -c ';fact 1$' "$T_DIR/out")" "1 3"

"$SONDE" stack -f json -c "$F 2" "u:$F:add" >"$T_DIR/out" 2>"$T_DIR/err"
expect_grep "json: frames and count" \
	'^{"type":"stack","stacks":\[{"probe":"add","frames":\["add (fixture_pie)",.*\],"count":2}\]}$' \
	"$T_DIR/out"
finish
