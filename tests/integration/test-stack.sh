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
expect_grep "stack: main is in add's stack" '^    main+0x[0-9a-f]* (fixture_pie)\( at calls\.c:[0-9]*\)\{0,1\}$' \
	"$T_DIR/out"
hygiene_check "stack: tracefs left as found"

"$SONDE" stack --folded -c "$F 6 --fact 3" "u:$F:add" "u:$F:fact" \
	>"$T_DIR/out" 2>"$T_DIR/err"
# calls.c: main -> work -> add, and work -> fact(3) -> fact(2) -> fact(1);
# the caller at a function's first instruction is there (add and fact
# begin with a nop, without a frame)
expect_grep "folded: root first, names only, count last" '^[^ ]*;main;work;add 6$' \
	"$T_DIR/out"
expect_eq "folded: fact's recursion, one frame deeper each" \
	"$(sed -n 's/^[^ ]*;main;\(work;fact\(;fact\)* 1\)$/\1/p' "$T_DIR/out" | sort | tr '\n' ,)" \
	"work;fact 1,work;fact;fact 1,work;fact;fact;fact 1,"

"$SONDE" stack -f json -c "$F 2" "u:$F:add" >"$T_DIR/out" 2>"$T_DIR/err"
expect_grep "json: frames and count" \
	'^{"schema":"sonde/1","type":"stack","stacks":\[{"probe":"add","frames":\["add (fixture_pie)\( at calls\.c:[0-9]*\)\{0,1\}",.*\],"count":2}\]}$' \
	"$T_DIR/out"
finish
