#!/bin/bash
# sonde format prints an event's format like tracefs' events/G/E/format;
# sonde check says what this kernel supports.
. "$(dirname "$0")/lib.sh"
require_root
require_uprobes
require_file "$SONDE" "$FIXTURES/fixture_pie"

bin=$FIXTURES/fixture_pie

hygiene_begin
"$SONDE" format "u:$bin:add a=arg1:s32 b=arg2:s32 name=+0(arg1):string" \
	>"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "format: exit status" "$?" 0
expect_grep "format: name line" '^name: add$' "$T_DIR/out"
expect_grep "format: ID line" '^ID: [0-9][0-9]*$' "$T_DIR/out"
expect_grep "format: format: line" '^format:' "$T_DIR/out"
expect_grep "format: common_pid field" 'field:int common_pid;' "$T_DIR/out"
expect_grep "format: field a is s32" 'field:s32 a;[[:space:]]*offset:[0-9]*;[[:space:]]*size:4;[[:space:]]*signed:1;' "$T_DIR/out"
expect_grep "format: field b is s32" 'field:s32 b;' "$T_DIR/out"
expect_grep "format: field name is a string" 'field:__data_loc char\[\] name;' "$T_DIR/out"
expect_grep "format: print fmt" '^print fmt: ' "$T_DIR/out"
hygiene_check "format: tracefs left as found"

hygiene_begin
"$SONDE" format "ur:$bin:add r=retval:s32" >"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "format ur: exit status" "$?" 0
expect_grep "format ur: name line" '^name: add__return$' "$T_DIR/out"
expect_grep "format ur: field r" 'field:s32 r;' "$T_DIR/out"
hygiene_check "format ur: tracefs left as found"

"$SONDE" check >"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "check: exit status" "$?" 0
expect_grep "check: tracefs: yes" '^tracefs: *yes' "$T_DIR/out"
expect_grep "check: uprobes: yes" '^uprobes: *yes' "$T_DIR/out"
if [ -e "$TRACEFS/kprobe_events" ]; then
	expect_grep "check: kprobes: yes (kprobe_events exists)" '^kprobes: *yes' "$T_DIR/out"
else
	expect_grep "check: kprobes: no, with a reason (no kprobe_events)" \
		'^kprobes: *no (..*)' "$T_DIR/out"
fi

finish
