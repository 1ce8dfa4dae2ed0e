#!/bin/bash
# Stacks at a function's first instruction, on the default backend: the
# direct caller is there, as gdb's backtrace at the same address has it
# (uprobeFunction1 <- spin <- main; add, without a frame, <- work <- main;
# libc's malloc <- uprobeFunction1), and a program that exits at once has
# its frames named in every run, however late sonde prints them.
. "$(dirname "$0")/lib.sh"
require_root
require_uprobes
bin=$FIXTURES/stack_entry
require_file "$SONDE" "$bin"
command -v gdb >/dev/null || { skip "$T_NAME" "no gdb"; finish; }
command -v nm >/dev/null && command -v readelf >/dev/null ||
	{ skip "$T_NAME" "no nm or readelf"; finish; }

# gdb_chain BIN ARGS GDBCMD...: the return addresses of gdb's backtrace
# (frames #1...) that are in BIN, as "SYM+0xOFF" by nm (gdb runs a PIE at
# 0x555555554000)
gdb_chain()
{
	local bin=$1 args=$2 base=0 a fn sym
	shift 2
	readelf -h "$bin" | grep -q 'DYN' && base=$((16#555555554000))
	set -- "${@/#/-ex=}"
	gdb -batch "$@" -ex bt --args "$bin" $args >"$T_DIR/gdb" 2>&1
	sed -n 's/^#[1-9][0-9]* *0x\([0-9a-f]*\) in \([A-Za-z_0-9]*\) .*/\1 \2/p' "$T_DIR/gdb" |
		while read -r a fn; do
			sym=$(nm "$bin" | awk -v f="$fn" '$3 == f { print $1; exit }')
			[ -n "$sym" ] || continue
			printf '%s+0x%x ' "$fn" $((16#$a - base - 16#$sym))
		done | sed 's/ $//'
}

pie=$FIXTURES/fixture_pie
require_file "$pie"
want="uprobeFunction1 $(gdb_chain "$bin" 1 'break *uprobeFunction1' run)"
want_add="add $(gdb_chain "$pie" 1 'break *add' run)"
want_malloc=$(gdb_chain "$bin" 1 'break uprobeFunction1' run 'break malloc' continue)
# the CFI unwinds on past main, through libc, to _start, as gdb does when
# told to: the default's chains
past='set backtrace past-main on'
want_dw="uprobeFunction1 $(gdb_chain "$bin" 1 "$past" 'break *uprobeFunction1' run)"
want_add_dw="add $(gdb_chain "$pie" 1 "$past" 'break *add' run)"
want_malloc_dw=$(gdb_chain "$bin" 1 "$past" 'break uprobeFunction1' run 'break malloc' continue)
for w in "$want" "$want_add" "$want_malloc" "$want_dw" "$want_add_dw" "$want_malloc_dw"; do
	case $w in *main+0x*) ;; *) bail "no chain from gdb: '$w'" "$(cat "$T_DIR/gdb")" ;; esac
done
ok "gdb's backtraces: $want; $want_add; malloc <- $want_malloc"

# the " at FILE:LINE" the default (--call-graph dwarf) adds to frames with
# debug info: test-stack-dwarf checks them; here they go
no_lines()
{
	sed -i 's/ at [^ ]*:[0-9]*$//' "$@"
}

# the fixture's frames of a stack block ("    name+0xoff (stack_entry)")
own_frames()
{
	no_lines "$1"
	sed -n 's/^    \([A-Za-z_0-9]*\(+0x[0-9a-f]*\)*\) (stack_entry)$/\1/p' "$1" |
		tr '\n' ' ' | sed 's/ $//'
}

# 10 runs: the chain, exactly, each time, named after the process exited
# (the default unwinds the copied stack with the CFI, which knows the
# caller at a function's first instruction; frame pointers: below)
bad=""
hygiene_begin
for i in 1 2 3 4 5 6 7 8 9 10; do
	"$SONDE" stack -q -c "$bin 3" "u:$bin:uprobeFunction1" \
		>"$T_DIR/out" 2>"$T_DIR/err"
	got="$? $(grep -c '^@\[' "$T_DIR/out") $(sed -n 's/^@\[uprobeFunction1\]: //p' \
		"$T_DIR/out") $(own_frames "$T_DIR/out")"
	if [ "$got" != "0 1 3 $want_dw" ] || grep -q '^    0x' "$T_DIR/out"; then
		bad="$bad
run $i: $got
$(cat "$T_DIR/out" "$T_DIR/err")"
	fi
done
expect_eq "stack at entry, 10 runs: one stack, 3 hits, exactly gdb's chain, every frame named" \
	"${bad:-none wrong}" "none wrong"
hygiene_check "stack at entry: tracefs left as found"

# sonde trace -s: the same chain with each event, unwound with the CFI
# and by frame pointers (uprobeFunction1 begins with push %rbp: Linux 6.11
# and later add its caller to a perf callchain themselves; sonde does on
# the others)
for cg in dwarf fp; do
	w=$want; [ $cg = fp ] || w=$want_dw
	"$SONDE" trace -q -s --call-graph $cg -c "$bin 1" "u:$bin:uprobeFunction1" \
		>"$T_DIR/out" 2>"$T_DIR/err"
	no_lines "$T_DIR/out"
	expect_eq "trace -s --call-graph $cg at entry: the chain" \
		"$(sed -n 's/^ => \([A-Za-z_0-9]*\(+0x[0-9a-f]*\)*\) (stack_entry)$/\1/p' \
			"$T_DIR/out" | tr '\n' ' ' | sed 's/ $//')" "$w"
done

# --backend tracefs: its user stack lacks the caller there, and says so
"$SONDE" stack --backend tracefs -c "$bin 1" "u:$bin:uprobeFunction1" \
	>"$T_DIR/out" 2>"$T_DIR/err"
expect_grep "--backend tracefs at entry: a warning names the missing caller" \
	"warning: probe uprobeFunction1 is on a function's first instruction, where the tracefs user stack lacks the direct caller" \
	"$T_DIR/err"

# add begins with a nop and sets up no frame: no kernel adds its caller;
# the CFI knows it, and with frame pointers sonde adds it from [sp]
for cg in dwarf fp; do
	w=$want_add; [ $cg = fp ] || w=$want_add_dw
	"$SONDE" stack -q --call-graph $cg -c "$pie 4" "u:$pie:add" >"$T_DIR/out" 2>"$T_DIR/err"
	rc=$?
	no_lines "$T_DIR/out"
	expect_eq "add (no frame, nop first), $cg: its caller work, exactly gdb's chain, 4 hits" \
		"$rc $(sed -n 's/^@\[add\]: //p' "$T_DIR/out") $(sed -n \
			's/^    \([A-Za-z_0-9]*\(+0x[0-9a-f]*\)*\) (fixture_pie)$/\1/p' \
			"$T_DIR/out" | tr '\n' ' ' | sed 's/ $//')" "0 4 $w"
done

# libc's malloc (no frame pointer setup), called 3 times from the
# fixture, which exits at once: the fixture's frames, uprobeFunction1
# first, named in every run
bad=""
hygiene_begin
for i in 1 2 3 4 5 6 7 8 9 10; do
	"$SONDE" stack -q -c "$bin 3" "u:libc:malloc" >"$T_DIR/out" 2>"$T_DIR/err"
	rc=$?
	no_lines "$T_DIR/out"
	# the block whose frames are the fixture's
	awk '/^@\[/ { if (keep) exit; blk = $0 "\n"; next }
		{ blk = blk $0 "\n" } /\(stack_entry\)$/ { keep = 1 }
		END { if (keep) printf "%s", blk }' "$T_DIR/out" >"$T_DIR/blk"
	got="$rc $(sed -n 1,2p "$T_DIR/blk" | tr '\n' ' ')$(own_frames "$T_DIR/blk")"
	if [ "$got" != "0 @[malloc]: 3     malloc (libc.so.6) $want_malloc_dw" ] ||
		grep -q '^    0x' "$T_DIR/blk"; then
		bad="$bad
run $i: $got
$(cat "$T_DIR/out" "$T_DIR/err")"
	fi
done
expect_eq "malloc from a short-lived program, 10 runs: its 3 calls, gdb's chain, named" \
	"${bad:-none wrong}" "none wrong"
hygiene_check "malloc: tracefs left as found"
finish
