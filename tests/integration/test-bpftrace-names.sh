#!/bin/bash
# bpftrace's probe words on the host: uprobe:, uretprobe:, usdt: and U:
# give the values the fixtures' C source says (calls.c: add(i, 2i) returns
# 3i; fixture_usdt.c: tick(i, 1000i, -i, 100i, "tick-i")), the same
# events as sonde's u:, ur:, usdt: on the same run, and the same values as
# bpftrace 0.17 on the same spec; every subcommand takes them. kprobe: and
# kretprobe: run in the VM (tests/vm/tests/bpftrace-names.sh).
. "$(dirname "$0")/lib.sh"
require_root
require_uprobes
bin=$FIXTURES/fixture_pie
usdt=$FIXTURES/fixture_usdt
require_file "$SONDE" "$bin" "$usdt"
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
usdt=$(cd "$(dirname "$usdt")" && pwd)/$(basename "$usdt")

N=4
# from calls.c: add(i, 2 * i) returns 3 * i, mul3(i, i + 1, i + 2)
for i in $(seq 1 $N); do
	echo "add: a=$i b=$((2 * i))"
	echo "add__return: r=$((3 * i))"
	echo "mul3: x=$i y=$((i + 1)) z=$((i + 2))"
done >"$T_DIR/want"

# trace WORD_U WORD_UR OUT: the same three probes in the given words
trace()
{
	"$SONDE" trace -c "$bin $N" "$1:$bin:add a=arg1 b=arg2" \
		"$2:$bin:add r=retval" "$1:$bin:mul3 x=arg1 y=arg2 z=arg3" \
		>"$3" 2>"$T_DIR/err"
}

for backend in tracefs perf bpf; do
	hygiene_begin
	"$SONDE" trace --backend $backend -c "$bin $N" \
		"uprobe:$bin:add a=arg1 b=arg2" "uretprobe:$bin:add r=retval" \
		"uprobe:$bin:mul3 x=arg1 y=arg2 z=arg3" >"$T_DIR/out" \
		2>"$T_DIR/err"
	expect_eq "$backend: uprobe:/uretprobe: exit status" "$?" 0
	events "$T_DIR/out" >"$T_DIR/got"
	expect_file_eq "$backend: uprobe: args and uretprobe: retval, exact" \
		"$T_DIR/got" "$T_DIR/want"
	hygiene_check "$backend: tracefs left as found"
done

# the short words on the same spec: the same events
trace u ur "$T_DIR/short"
events "$T_DIR/short" >"$T_DIR/got.short"
trace uprobe uretprobe "$T_DIR/long"
events "$T_DIR/long" >"$T_DIR/got.long"
expect_file_eq "u:/ur: give the events uprobe:/uretprobe: give" \
	"$T_DIR/got.long" "$T_DIR/got.short"

# TARGET:0xADDRESS (bpftrace: an address in the ELF file) and globs
addr=$(nm "$bin" | awk '$3 == "add" { print $1 }' | sed 's/^0*//')
"$SONDE" trace -c "$bin $N" "uprobe:$bin:0x$addr a=arg1" >"$T_DIR/out" \
	2>"$T_DIR/err"
expect_eq "uprobe:TARGET:0x$addr: add's first argument, 1..$N" \
	"$(events "$T_DIR/out" | sed 's/.*a=//' | tr '\n' ' ')" \
	"$(seq 1 $N | tr '\n' ' ')"
"$SONDE" trace -c "$bin $N" "uretprobe:$bin:mul* r=retval" >"$T_DIR/out" \
	2>"$T_DIR/err"
expect_eq "uretprobe:TARGET:mul*: mul3 returns i(i+1)(i+2)" \
	"$(events "$T_DIR/out" | tr '\n' ' ')" \
	"$(for i in $(seq 1 $N); do
		printf 'mul3__return: r=%d ' $((i * (i + 1) * (i + 2)))
	done)"

# usdt: and bpftrace's U: on fixture_usdt (its C source: tick(i, 1000i, -i,
# 100i, "tick-i"))
for i in $(seq 1 $N); do
	echo "tick: i=$i big=$((i * 1000)) neg=-$i counter=$((i * 100)) name=\"tick-$i\""
done >"$T_DIR/want.usdt"
for w in usdt U; do
	"$SONDE" trace -c "$usdt $N" \
		"$w:$usdt:fixture:tick i=arg1 big=arg2 neg=arg3 counter=arg4 name=arg5:string" \
		>"$T_DIR/out" 2>"$T_DIR/err"
	expect_eq "$w: exit status" "$?" 0
	events "$T_DIR/out" >"$T_DIR/got"
	expect_file_eq "$w:TARGET:fixture:tick: every argument, exact" \
		"$T_DIR/got" "$T_DIR/want.usdt"
done

# bpftrace 0.17 on the same specs
if command -v bpftrace >/dev/null 2>&1; then
	timeout 60 bpftrace -e "
		uprobe:$bin:add { printf(\"add: a=%d b=%d\n\", arg0, arg1); }
		uretprobe:$bin:add { printf(\"add__return: r=%d\n\", retval); }
		uprobe:$bin:mul3 { printf(\"mul3: x=%d y=%d z=%d\n\", arg0, arg1, arg2); }" \
		-c "$bin $N" >"$T_DIR/bt" 2>"$T_DIR/bt.err"
	grep -E '^(add|mul3)' "$T_DIR/bt" >"$T_DIR/bt.got"
	if [ -s "$T_DIR/bt.got" ]; then
		expect_file_eq "bpftrace: uprobe:/uretprobe: the same values" \
			"$T_DIR/bt.got" "$T_DIR/want"
		timeout 60 bpftrace -e "uprobe:$bin:0x$addr { printf(\"a=%d\n\", arg0); }" \
			-c "$bin $N" >"$T_DIR/bt" 2>"$T_DIR/bt.err"
		expect_eq "bpftrace: uprobe:TARGET:0x$addr, the same address" \
			"$(grep '^a=' "$T_DIR/bt" | sed 's/a=//' | tr '\n' ' ')" \
			"$(seq 1 $N | tr '\n' ' ')"
		# bpftrace 0.17 reads the sym(%rip) argument wrong; the others
		timeout 60 bpftrace -e "usdt:$usdt:fixture:tick {
			printf(\"tick: i=%d big=%d neg=%d name=\\\"%s\\\"\n\",
			       arg0, arg1, arg2, str(arg4)); }" \
			-c "$usdt $N" >"$T_DIR/bt" 2>"$T_DIR/bt.err"
		grep '^tick' "$T_DIR/bt" >"$T_DIR/bt.got"
		sed 's/ counter=[0-9-]*//' "$T_DIR/want.usdt" >"$T_DIR/want.bt"
		expect_file_eq "bpftrace: usdt: the same values" \
			"$T_DIR/bt.got" "$T_DIR/want.bt"
	else
		skip "bpftrace reference" "bpftrace does not run here: $(head -c 200 "$T_DIR/bt.err")"
	fi
else
	skip "bpftrace reference" "no bpftrace"
fi

# every subcommand that takes specs (check takes none)
"$SONDE" count -c "$bin $N" "uprobe:$bin:add" "uretprobe:$bin:fact" \
	>"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "count: add $N times, fact returns 5 times" \
	"$(awk 'NR > 1 && $1 != "total" && !/^--/ { print $1, $2 }' "$T_DIR/out" | sort | tr '\n' ,)" \
	"add $N,fact__return 5,"
"$SONDE" count -c "$bin $N" "uprobe:$bin:add" --by arg2 >"$T_DIR/out" \
	2>"$T_DIR/err"
expect_eq "count --by arg2: 2i once each" \
	"$(awk 'NR > 1 && $1 == "add" { print $2 ":" $3 }' "$T_DIR/out" | sort -n | tr '\n' ' ')" \
	"$(for i in $(seq 1 $N); do printf '%d:1 ' $((2 * i)); done)"
"$SONDE" hist -c "$bin $N" "uretprobe:$bin:add" --value retval \
	>"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "hist: exit status" "$?" 0
expect_grep "hist --value retval: 3i for i = 1..$N" \
	"^count $N, sum $((3 * N * (N + 1) / 2)), avg .*, min 3, max $((3 * N))$" \
	"$T_DIR/out"
"$SONDE" latency -c "$bin $N" "uprobe:$bin:add" >"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "latency: exit status" "$?" 0
expect_grep "latency uprobe:: $N calls paired" "count $N," "$T_DIR/out"
"$SONDE" stack -c "$bin 1" "uprobe:$bin:fact" >"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "stack: exit status" "$?" 0
expect_grep "stack: fact called from main" "main" "$T_DIR/out"
"$SONDE" format "uprobe:$bin:add a=arg1:s32" >"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "format: exit status" "$?" 0
expect_grep "format: the field a, as the kernel lays it out" \
	"field:s32 a;.offset:16;.size:4;.signed:1;" "$T_DIR/out"
"$SONDE" list "uprobe:$bin:mul*" >"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "list uprobe:TARGET:mul*: mul3 at its nm address" \
	"$(awk '{ print $1, $3 }' "$T_DIR/out")" \
	"$(nm "$bin" | awk '$3 == "mul3" { print $1, $3 }')"
"$SONDE" list "U:$usdt" >"$T_DIR/out" 2>"$T_DIR/err"
"$SONDE" list "usdt:$usdt" >"$T_DIR/out.short" 2>"$T_DIR/err"
expect_file_eq "list U:TARGET as usdt:TARGET" "$T_DIR/out" "$T_DIR/out.short"

# an unknown type lists every type, short and long
"$SONDE" trace -d 0.1 "uprobes:$bin:add" >/dev/null 2>"$T_DIR/err"
expect_eq "uprobes: (a typo): exit 2" "$?" 2
expect_grep "unknown type: every word, short and long" \
	"^sonde: unknown probe type 'uprobes': expected u or uprobe, ur or uretprobe, k or kprobe, kr or kretprobe, t or tracepoint, usdt or U, p or r$" \
	"$T_DIR/err"
"$SONDE" trace -d 0.1 "uretprobe:$bin:add+4" >/dev/null 2>"$T_DIR/err"
expect_eq "uretprobe:...+4: exit 2" "$?" 2
expect_grep "uretprobe: with an offset: one sentence" \
	"^sonde: a return probe goes at the function entry: drop '+4'$" \
	"$T_DIR/err"

finish
