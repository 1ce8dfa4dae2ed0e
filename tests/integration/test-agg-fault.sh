#!/bin/bash
# Aggregations over values read through bad pointers, checked against
# fault_prog.c's calls: fault_int(NULL), (&42), (&0), (unmapped page) give
# *p = fault, 42, 0, fault; fault_deep(NULL), (&none), (&good) give
# p->p->v = fault, fault, 7. A fault is never a 0 in a table: sonde hist
# --value and sonde count --by leave those calls out and count them, in
# the summary, the text table and JSON, on the tracefs, perf and bpf
# backends and the default one (bpf: in the kernel, where a failed
# bpf_probe_read_user() leaves the hit out and counts it; a string key,
# which the kernel's table does not take, from the stream). A key that is
# not read through a pointer (arg1 itself) keeps all 4 calls.
. "$(dirname "$0")/lib.sh"
require_root
require_uprobes
bin=$FIXTURES/fault_prog
require_file "$SONDE" "$bin" "$FIXTURES/deref_sizes"

# "LABEL COUNT" of each bucket line of a text histogram
buckets()
{
	sed -n 's/^\(\[[^]]*[])]\|([^)]*)\) *\([0-9][0-9]*\) |.*|$/\1 \2/p' "$1" |
		tr '\n' ,
}

int="u:$bin:fault_int a=+0(arg1):s32"
deep="u:$bin:fault_deep v=+8(+8(arg1)):s32"
backends="tracefs perf"
"$SONDE" check --backend bpf >/dev/null 2>&1 && backends="$backends bpf"
backends="$backends auto"

for be in $backends; do
	hygiene_begin
	# linger: the process is still there when a 0 is read again
	"$SONDE" hist -v --backend $be -c "$bin linger" "$int" --value a \
		>"$T_DIR/out" 2>"$T_DIR/err"
	expect_eq "$be: hist: exit status" "$?" 0
	expect_eq "$be: hist: 0 and 42 only, no 0 for the faults" \
		"$(buckets "$T_DIR/out")" "[0] 1,[1] 0,[2, 4) 0,[4, 8) 0,[8, 16) 0,[16, 32) 0,[32, 64) 1,"
	expect_grep "$be: hist: count 2, sum 42, min 0" \
		'^count 2, sum 42, avg 21, min 0, max 42$' "$T_DIR/out"
	expect_grep "$be: hist: the table says 2 left out" \
		'^2 faults, 0 unchecked (left out of the histogram)$' "$T_DIR/out"
	case $be in
	bpf | auto) # in the kernel: the hits a read failed for are counted
		expect_grep "$be: hist: aggregated in the kernel" \
			'fault_int: aggregated in the kernel (BPF' "$T_DIR/err"
		sum='^sonde: 2 faults (left out of the' ;;
	*) sum='^sonde: 4 events, 0 lost, 2 faults (left out of the' ;;
	esac
	expect_grep "$be: hist: the summary counts 2 faults left out" \
		"$sum histogram)\$" "$T_DIR/err"

	"$SONDE" hist -q -f json --backend $be -c "$bin linger" "$int" \
		--value a >"$T_DIR/json" 2>"$T_DIR/err"
	expect_eq "$be: hist json: count, sum, buckets and faults" \
		"$(cat "$T_DIR/json")" \
		'{"schema":"sonde/1","type":"hist","hists":[{"probe":"fault_int","count":2,"sum":42,"min":0,"max":42,"buckets":[{"lower":0,"upper":1,"count":1},{"lower":32,"upper":64,"count":1}]}],"faults":2}'

	"$SONDE" count --backend $be -c "$bin linger" "$int" --by a \
		>"$T_DIR/out" 2>"$T_DIR/err"
	expect_eq "$be: count --by a: exit status" "$?" 0
	expect_eq "$be: count --by a: 0 once, 42 once, total 2" \
		"$(sed 1d "$T_DIR/out" | tr -s ' ' | tr '\n' ,)" \
		"fault_int 0 1,fault_int 42 1,total 2,faults (left out) 2,"
	expect_grep "$be: count: the summary counts 2 faults left out" \
		"$sum table)\$" "$T_DIR/err"

	"$SONDE" count -q -f json --backend $be -c "$bin linger" "$deep" \
		--by v >"$T_DIR/json" 2>"$T_DIR/err"
	expect_eq "$be: count --by p->p->v json: 7 once, 2 faults" \
		"$(cat "$T_DIR/json")" \
		'{"schema":"sonde/1","type":"count","rows":[{"probe":"fault_deep","v":7,"count":1}],"total":1,"faults":2}'

	# strings: the BPF table takes none, so the events are streamed
	"$SONDE" count -v -q -f json --backend $be -c "$bin linger" \
		"u:$bin:fault_str s=+0(arg1):string" --by s >"$T_DIR/json" \
		2>"$T_DIR/err"
	expect_eq "$be: count --by a string: \"hello\" once, 1 fault" \
		"$(cat "$T_DIR/json")" \
		'{"schema":"sonde/1","type":"count","rows":[{"probe":"fault_str","s":"hello","count":1}],"total":1,"faults":1}'
	case $be in bpf | auto)
		expect_grep "$be: count --by a string: -v says it is streamed" \
			'not aggregated in the kernel: .*string.*without their faults' \
			"$T_DIR/err" ;;
	esac

	# a key that is no read of memory: every call counted, nothing left out
	"$SONDE" count -f csv --backend $be -c "$bin linger" \
		"u:$bin:fault_int p=arg1:u64" --by p >"$T_DIR/csv" 2>"$T_DIR/err"
	expect_eq "$be: count --by arg1: 4 calls, NULL once" \
		"$(awk -F, 'NR > 1 { n += $3; if ($2 == 0) z += $3 } END { print n, z }' "$T_DIR/csv")" \
		"4 1"
	expect_eq "$be: count --by arg1: no faults reported" \
		"$(grep -c 'fault' "$T_DIR/err")" 0
	hygiene_check "$be: tracefs left as found"
done

# Sizes and signs through a pointer, against deref_sizes.c's values (on
# bpf read in the kernel by bpf_probe_read_user()): -5 and 300 as s16,
# -70000 as s64, 200 as u8, -1 as s32; take_s32(NULL) is the one fault.
sz=$FIXTURES/deref_sizes
for be in $backends; do
	"$SONDE" count -f csv --backend $be -c "$sz" \
		"u:$sz:take_s16 v=+0(arg1):s16" "u:$sz:take_s64 v=+0(arg1):s64" \
		"u:$sz:take_u8 v=+0(arg1):u8" "u:$sz:take_s32 v=+0(arg1):s32" \
		--by v >"$T_DIR/csv" 2>"$T_DIR/err"
	expect_eq "$be: sizes: each value as the C source sets it" \
		"$(sed 1d "$T_DIR/csv" | sort | tr '\n' ' ')" \
		"take_s16,-5,1 take_s16,300,1 take_s32,-1,1 take_s64,-70000,1 take_u8,200,1 "
	expect_grep "$be: sizes: the NULL read is 1 fault, left out" \
		'1 faults (left out of the table)$' "$T_DIR/err"
done

# Without linger the process may be gone when a 0 is read: that read can
# be neither a value nor a fault, and is left out as unchecked.
"$SONDE" hist -f json --backend tracefs -c "$bin" "$int" --value a \
	>"$T_DIR/json" 2>"$T_DIR/err"
n=$(sed -n 's/.*"buckets":\[\(.*\)\]}\].*/\1/p' "$T_DIR/json")
case $n in
'{"lower":0,"upper":1,"count":1},{"lower":32,"upper":64,"count":1}')
	expect_grep "process gone: 0 and 42, 2 faults" '"faults":2}$' "$T_DIR/json" ;;
'{"lower":32,"upper":64,"count":1}')
	expect_grep "process gone: 42 only, the 0 unchecked" \
		'"faults":[12]\(,"unchecked":[12]\)\?}$' "$T_DIR/json"
	expect_grep "process gone: the summary says unchecked" \
		'unchecked (left out of the histogram)$' "$T_DIR/err" ;;
*)
	not_ok "process gone: no fault counted as a value" "$n" ;;
esac
finish
