#!/bin/bash
# Stacks at a function's first instruction, on the default backend: the
# direct caller is there (uprobeFunction1 <- spin <- main, as gdb's
# backtrace at the same address has it), and a program that exits at once
# has its frames named in every run, however late sonde prints them.
. "$(dirname "$0")/lib.sh"
require_root
require_uprobes
bin=$FIXTURES/stack_entry
require_file "$SONDE" "$bin"
command -v gdb >/dev/null || { skip "$T_NAME" "no gdb"; finish; }
command -v nm >/dev/null || { skip "$T_NAME" "no nm"; finish; }

# gdb at uprobeFunction1's first instruction: "#1 0x4011a5 in spin ...";
# each return address as SYM+0xOFF by nm (the fixture is not PIE)
gdb -batch -ex 'break *uprobeFunction1' -ex run -ex bt --args "$bin" 1 \
	>"$T_DIR/gdb" 2>&1
want="uprobeFunction1"
for fn in spin main; do
	ret=$(sed -n "s/^#[12] *0x\([0-9a-f]*\) in $fn .*/\1/p" "$T_DIR/gdb")
	sym=$(nm "$bin" | awk -v f="$fn" '$3 == f { print $1 }')
	if [ -z "$ret" ] || [ -z "$sym" ]; then
		bail "gdb or nm did not give $fn's return address" "$(cat "$T_DIR/gdb")"
	fi
	want="$want $(printf '%s+0x%x' "$fn" $((16#$ret - 16#$sym)))"
done
ok "gdb's backtrace at uprobeFunction1: $want"

# the fixture's frames of a stack block ("    name+0xoff (stack_entry)")
own_frames()
{
	sed -n 's/^    \([A-Za-z_0-9]*\(+0x[0-9a-f]*\)*\) (stack_entry)$/\1/p' "$1" |
		tr '\n' ' ' | sed 's/ $//'
}

# 10 runs: the chain, exactly, each time, named after the process exited
bad=""
hygiene_begin
for i in 1 2 3 4 5 6 7 8 9 10; do
	"$SONDE" stack -q -c "$bin 3" "u:$bin:uprobeFunction1" \
		>"$T_DIR/out" 2>"$T_DIR/err"
	got="$? $(grep -c '^@\[' "$T_DIR/out") $(sed -n 's/^@\[uprobeFunction1\]: //p' \
		"$T_DIR/out") $(own_frames "$T_DIR/out")"
	if [ "$got" != "0 1 3 $want" ] || grep -q '^    0x' "$T_DIR/out"; then
		bad="$bad
run $i: $got
$(cat "$T_DIR/out" "$T_DIR/err")"
	fi
done
expect_eq "stack at entry, 10 runs: one stack, 3 hits, exactly gdb's chain, every frame named" \
	"${bad:-none wrong}" "none wrong"
hygiene_check "stack at entry: tracefs left as found"

# sonde trace -s: the same chain with each event
"$SONDE" trace -q -s -c "$bin 1" "u:$bin:uprobeFunction1" >"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "trace -s at entry: the chain" \
	"$(sed -n 's/^ => \([A-Za-z_0-9]*\(+0x[0-9a-f]*\)*\) (stack_entry)$/\1/p' \
		"$T_DIR/out" | tr '\n' ' ' | sed 's/ $//')" "$want"

# libc's malloc, called 3 times from the fixture, which exits at once: the
# program's frames named in every run (malloc has no frame pointer setup,
# so the frame-pointer walk starts at uprobeFunction1's frame: its caller
# spin, then main; naming uprobeFunction1 too needs DWARF unwinding)
bad=""
hygiene_begin
for i in 1 2 3 4 5 6 7 8 9 10; do
	"$SONDE" stack -q -c "$bin 3" "u:libc:malloc" >"$T_DIR/out" 2>"$T_DIR/err"
	rc=$?
	# the block whose frames are the fixture's
	awk '/^@\[/ { if (keep) exit; blk = $0 "\n"; next }
		{ blk = blk $0 "\n" } /\(stack_entry\)$/ { keep = 1 }
		END { if (keep) printf "%s", blk }' "$T_DIR/out" >"$T_DIR/blk"
	got="$rc $(head -n 1 "$T_DIR/blk") $(own_frames "$T_DIR/blk")"
	if [ "$got" != "$rc @[malloc]: 3 ${want#uprobeFunction1 }" ] ||
		[ "$rc" != 0 ] || grep -q '^    0x' "$T_DIR/blk"; then
		bad="$bad
run $i: $got
$(cat "$T_DIR/out" "$T_DIR/err")"
	fi
done
expect_eq "malloc from a short-lived program, 10 runs: its 3 calls, frames named" \
	"${bad:-none wrong}" "none wrong"
hygiene_check "malloc: tracefs left as found"
finish
