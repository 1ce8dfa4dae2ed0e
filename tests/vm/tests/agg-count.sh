#!/bin/bash
# sonde count, hist and latency on a second kernel (6.1, run inside the VM
# by tests/vm/run): keyed counts kept by a hist trigger match the events
# counted in user space in the same run (sonde count -v says which path was
# taken and whether the tables match; --backend tracefs, so that no BPF map
# counts instead), exact counts per key (numbers, negative numbers,
# strings, threads, two keys), exact histogram buckets, latency pairing
# with recursion, and keyless counts by PMU counters.
. "$SRC_DIR/tests/integration/lib.sh"
require_root
require_uprobes
F=$FIXTURES/fixture_pie

if [ ! -x "$SONDE" ] || [ ! -x "$F" ]; then
	skip "$T_NAME" "no sonde or fixture_pie in the VM image"
	exit 0
fi

# "PROBE [KEY...] COUNT" rows of a text table, without header and total
rows()
{
	awk 'NR > 1 && $1 != "total" && !/^--/' "$1"
}

# "LABEL COUNT" of each bucket line of a text histogram
buckets()
{
	sed -n 's/^\(\[[^]]*[])]\|([^)]*)\) *\([0-9][0-9]*\) |.*|$/\1 \2/p' "$1" |
		tr '\n' ,
}

HIST_PATH="add: counted in the kernel (hist trigger), checked against the events counted here"
MATCH="hist trigger table matches the events counted here"

have_hist=0
"$SONDE" check | grep -q '^hist triggers: *yes' && have_hist=1
if [ $have_hist = 0 ]; then
	skip "hist triggers" "sonde check: this kernel has no hist triggers"
fi

# --by an s32 argument: add(i, 2i), i = 1..N
N=60
hygiene_begin
"$SONDE" count -v --backend tracefs -c "$F $N" "u:$F:add a=arg1:s32" --by a \
	>"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "--by a: exit status" "$?" 0
if [ $have_hist = 1 ]; then
	expect_grep "--by a: -v says a hist trigger counted" "^sonde: $HIST_PATH\$" \
		"$T_DIR/err"
	expect_grep "--by a: -v says the tables match" "^sonde: $MATCH\$" \
		"$T_DIR/err"
fi
expect_eq "--by a: N rows, a = 1..N, each once" \
	"$(rows "$T_DIR/out" | awk '$1 == "add" && $3 == 1 { s += $2; n++ }
		END { print n, s }')" "$N $((N * (N + 1) / 2))"
expect_eq "--by a: total" "$(awk '$1 == "total" { print $2 }' "$T_DIR/out")" $N
hygiene_check "--by a: tracefs left as found"

# two keys, and the same calls from two runs of different lengths
hygiene_begin
"$SONDE" count -v -c "$F 4 --threads 3" --backend tracefs \
	"u:$F:add a=arg1:s32 b=arg2:s32" --by a,b >"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "--by a,b: exit status" "$?" 0
[ $have_hist = 1 ] && expect_grep "--by a,b: tables match" "^sonde: $MATCH\$" \
	"$T_DIR/err"
expect_eq "--by a,b: (i, 2i) three times each" \
	"$(rows "$T_DIR/out" | sort -n -k2 | tr -s ' ' | tr '\n' ,)" \
	"add 1 2 3,add 2 4 3,add 3 6 3,add 4 8 3,"
hygiene_check "--by a,b: tracefs left as found"

# --by tid: the kernel's common_pid; 3 threads, N calls each
hygiene_begin
"$SONDE" count -v -c "$F 25 --threads 3" --backend tracefs "u:$F:add" \
	--by tid >"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "--by tid: exit status" "$?" 0
[ $have_hist = 1 ] && expect_grep "--by tid: tables match" "^sonde: $MATCH\$" \
	"$T_DIR/err"
expect_eq "--by tid: three threads, 25 each" \
	"$(rows "$T_DIR/out" | awk '{ print $1, $3 }' | tr '\n' ,)" \
	"add 25,add 25,add 25,"
hygiene_check "--by tid: tracefs left as found"

# kprobes: a negative s32 key (AT_FDCWD, shown by the kernel as a u64) and
# a string key. busybox is static, so "cat FILE FILE" opens exactly FILE
# twice; do_sys_openat2 is what open() reaches on 6.1 (fs/open.c).
fn=do_sys_openat2
file=/etc/sonde-vm.env
if [ -w "$TRACEFS/kprobe_events" ]; then
	hygiene_begin
	"$SONDE" count -v --backend tracefs -o "$T_DIR/out" \
		-c "/bin/busybox cat $file $file" \
		"k:$fn dfd=arg1:s32" --by dfd >/dev/null 2>"$T_DIR/err"
	expect_eq "k: --by dfd: exit status" "$?" 0
	[ $have_hist = 1 ] && expect_grep "k: --by dfd: -v says a hist trigger counted" \
		"^sonde: $fn: counted in the kernel (hist trigger)" "$T_DIR/err"
	[ $have_hist = 1 ] && expect_grep "k: --by dfd: tables match" \
		"^sonde: $MATCH\$" "$T_DIR/err"
	expect_eq "k: --by dfd: AT_FDCWD (-100), twice" \
		"$(rows "$T_DIR/out" | tr -s ' ' | tr '\n' ,)" "$fn -100 2,"
	hygiene_check "k: --by dfd: tracefs left as found"

	hygiene_begin
	"$SONDE" count -v --backend tracefs -o "$T_DIR/out" \
		-c "/bin/busybox cat $file /etc/passwd $file" \
		"k:$fn path=+0(arg2):ustring" --by path >/dev/null 2>"$T_DIR/err"
	expect_eq "k: --by path: exit status" "$?" 0
	# a key read through a pointer is not left to a hist trigger: it
	# cannot tell a fault from a value (docs/decisions.md)
	[ $have_hist = 1 ] && expect_grep "k: --by path: counted here, -v says why" \
		"^sonde: not counted by the hist trigger: 'path' is read through a pointer" \
		"$T_DIR/err"
	expect_eq "k: --by path: each file, exact" \
		"$(rows "$T_DIR/out" | tr -s ' ' | tr '\n' ,)" \
		"$fn $file 2,$fn /etc/passwd 1,"
	hygiene_check "k: --by path: tracefs left as found"
else
	skip "k: keyed counts" "this kernel has no kprobe_events"
fi

# --in-user: no hist trigger, and -v says so; same table
"$SONDE" count -v --in-user -c "$F 5" "u:$F:add a=arg1:s32" --by a \
	>"$T_DIR/out" 2>"$T_DIR/err"
expect_grep "--in-user: -v says counted here" "^sonde: add: events counted here\$" \
	"$T_DIR/err"
expect_eq "--in-user: a = 1..5 once each" \
	"$(rows "$T_DIR/out" | sort -n -k2 | tr -s ' ' | tr '\n' ,)" \
	"add 1 1,add 2 1,add 3 1,add 4 1,add 5 1,"

# Keyless, system-wide: PMU counters, exact; Ctrl-C prints the table
hygiene_begin
"$SONDE" count -v "u:$F:add" "u:$F:fact" >"$T_DIR/out" 2>"$T_DIR/err" &
pid=$!
sleep 1
for i in 1 2 3; do "$F" 100 --fact 4; done
kill -INT "$pid"
wait_exit "$pid" 20
expect_eq "PMU: exit status after Ctrl-C" "$RC" 0
expect_grep "PMU: -v says counted by the PMU" \
	"^sonde: add: counted in the kernel (PMU counter)\$" "$T_DIR/err"
expect_eq "PMU: add 300, fact 12, exact" \
	"$(rows "$T_DIR/out" | sort | tr -s ' ' | tr '\n' ,)" "add 300,fact 12,"
hygiene_check "PMU: tracefs left as found"

# sonde hist: exact log2 and linear buckets of add's arg1 = 1..100
hygiene_begin
"$SONDE" hist -c "$F 100" "u:$F:add" --value arg1 >"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "hist log2: exit status" "$?" 0
expect_eq "hist log2: exact buckets of 1..100" "$(buckets "$T_DIR/out")" \
	"[1] 1,[2, 4) 2,[4, 8) 4,[8, 16) 8,[16, 32) 16,[32, 64) 32,[64, 128) 37,"
expect_grep "hist log2: count, sum, min, max" \
	"^count 100, sum 5050, avg 50, min 1, max 100$" "$T_DIR/out"
"$SONDE" hist -c "$F 100" "u:$F:add" --value arg1 --linear 0,50,10 \
	>"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "hist linear: exact buckets" "$(buckets "$T_DIR/out")" \
	"[0, 10) 9,[10, 20) 10,[20, 30) 10,[30, 40) 10,[40, 50) 10,[50, ...) 51,"
"$SONDE" hist -c "$F 10" "ur:$F:add" --value retval >"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "hist retval: 3i, i = 1..10" "$(buckets "$T_DIR/out")" \
	"[2, 4) 1,[4, 8) 1,[8, 16) 3,[16, 32) 5,"
hygiene_check "hist: tracefs left as found"

# sonde latency: fact(7) nests 7 calls, add 40, all paired
hygiene_begin
"$SONDE" latency -f json -c "$F 40 --fact 7" "u:$F:fact" "u:$F:add" \
	>"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "latency: exit status" "$?" 0
expect_grep "latency: recursion and nesting paired, nothing unpaired" \
	'"unpaired":\[{"probe":"fact","paired":7,"returns_without_entry":0,"entries_without_return":0},{"probe":"add","paired":40,"returns_without_entry":0,"entries_without_return":0}\]' \
	"$T_DIR/out"
# each histogram's buckets add up to its calls: add 40, fact 7
expect_eq "latency: bucket counts sum to the calls" \
	"$(sed 's/{"probe":/\n&/g' "$T_DIR/out" | grep '^{"probe":"[a-z]*","count"' |
		while IFS= read -r l; do
			printf '%s ' "$(echo "$l" | sed 's/^{"probe":"\([a-z]*\)".*/\1/')"
			echo "$l" | sed 's/.*"buckets":\[\([^]]*\)\].*/\1/' |
				tr '}' '\n' | sed -n 's/.*"count":\([0-9]*\).*/\1/p' |
				awk '{ s += $1 } END { print s + 0 }'
		done | sort | tr '\n' ,)" "add 40,fact 7,"
# a known sleep lands in its log2 bucket
"$SONDE" latency -c "$F 1 --slow 200" "u:$F:slow" >"$T_DIR/out" 2>"$T_DIR/err"
expect_grep "latency: slow(200) in [134ms, 268ms)" \
	'^\[134ms, 268ms) *1 |@\{52\}|$' "$T_DIR/out"
# -d ends during a sleep: the entry without return is reported apart
"$SONDE" latency -d 2 -c "$F 3 --slow 6000" "u:$F:slow" "u:$F:add" \
	>"$T_DIR/out" 2>"$T_DIR/err"
expect_grep "latency: entry without return reported, not in the histogram" \
	'^slow: 0 returns without entry, 1 entries without return (not in the histogram)$' \
	"$T_DIR/out"
hygiene_check "latency: tracefs left as found"
finish
