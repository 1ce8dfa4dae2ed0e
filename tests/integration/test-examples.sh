#!/bin/bash
# The example programs in examples/ use only libsonde's public API (linked
# to libsonde.so): a BCC-style uretprobe on libc's getenv attached while the
# session runs, and a program's own poll loop around the session's fd.
. "$(dirname "$0")/lib.sh"
require_root
require_uprobes
EXAMPLES=${EXAMPLES:-$(dirname "$FIXTURES")/../examples}
require_file "$EXAMPLES/getenv_uretprobe" "$EXAMPLES/follow_calls" \
	"$FIXTURES/fixture_pie"

hygiene_begin
"$EXAMPLES/getenv_uretprobe" one "two words" 'q"3' >"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "getenv_uretprobe: exit status" "$?" 0
for v in one "two words" 'q"3'; do
	expect_grep "getenv_uretprobe: returned string '$v' seen" \
		"^getenv__return returned $v (tid [0-9]*)\$" "$T_DIR/out"
done
expect_grep "getenv_uretprobe: all three calls" "^3 of 3 getenv calls seen" \
	"$T_DIR/out"
hygiene_check "getenv_uretprobe: tracefs left as found"

hygiene_begin
"$EXAMPLES/follow_calls" "$FIXTURES/fixture_pie" add 4 \
	>"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "follow_calls: the program's exit status" "$?" 0
want=""
for i in 1 2 3 4; do
	want="${want}add(arg1=$i, arg2=$((2 * i)))
add__return -> $((3 * i))
"
done
want="${want}4 calls, 4 returns"
expect_eq "follow_calls: every call and return, in order" \
	"$(cat "$T_DIR/out")" "$want"
hygiene_check "follow_calls: tracefs left as found"

finish
