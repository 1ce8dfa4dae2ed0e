#!/bin/bash
# sonde count and hist with the table kept in the kernel by generated BPF
# programs (--backend bpf) print exactly the tables the tracefs backend's
# events give, on uprobe_multi links and on one perf event per probe.
. "$(dirname "$0")/lib.sh"
require_root
require_uprobes
require_file "$SONDE" "$FIXTURES/fixture_pie"
if ! "$SONDE" check | grep -q '^BPF: *yes'; then
	skip "$T_NAME" "no BPF here"
	finish
fi

set -m
bin=$(readlink -f "$FIXTURES/fixture_pie")
hygiene_begin

# same_table NAME ARGS...: tracefs, bpf and bpf without uprobe_multi agree
same_table()
{
	local name=$1 be
	shift
	for be in tracefs bpf bpf-perf; do
		nm=
		[ $be = bpf-perf ] && nm=1
		SONDE_BPF_NO_MULTI=$nm "$SONDE" "$@" --backend ${be%-perf} \
			>"$T_DIR/out.$be" 2>"$T_DIR/err.$be"
	done
	if [ ! -s "$T_DIR/out.tracefs" ]; then
		not_ok "$name: tracefs printed a table" "$(cat "$T_DIR/err.tracefs")"
		return
	fi
	expect_file_eq "$name: bpf (uprobe_multi)" "$T_DIR/out.bpf" "$T_DIR/out.tracefs"
	expect_file_eq "$name: bpf (perf events)" "$T_DIR/out.bpf-perf" "$T_DIR/out.tracefs"
}

same_table "count per probe" count -c "$bin 50" "u:$bin:add" "u:$bin:mul3" \
	"u:$bin:greet" "ur:$bin:add"
expect_grep "count: add 50" '^add  *50$' "$T_DIR/out.bpf"
same_table "count --by arg1" count -c "$bin 20" "u:$bin:add" --by arg1
same_table "count --by retval, JSON" count -f json -c "$bin 20" "ur:$bin:add" --by retval
same_table "count --by comm,arg2 CSV" count -f csv -c "$bin 10" "u:$bin:mul3" --by comm,arg2
same_table "count recursion" count -c "$bin 1 --fact 9" "u:$bin:fact" --by arg1
same_table "hist log2" hist -c "$bin 300" "u:$bin:add" --value arg2
same_table "hist log2 of a return, JSON" hist -f json -c "$bin 300" "ur:$bin:add" --value retval
same_table "hist linear" hist -c "$bin 100" "u:$bin:add" --value arg1 --linear 0,100,7
same_table "hist linear JSON, two probes" hist -f json -c "$bin 100" "u:$bin:add" \
	"u:$bin:mul3" --value arg1 --linear 10,60,10
"$SONDE" count -v --backend bpf -c "$bin 5" "u:$bin:add" >/dev/null 2>"$T_DIR/v"
expect_grep "-v: the path each probe took" '^sonde: add: counted in the kernel (BPF' "$T_DIR/v"
"$SONDE" count --backend bpf --filter 'arg1 > 1' -c "$bin 5" "u:$bin:add" >/dev/null 2>"$T_DIR/f"
expect_grep "--backend bpf refuses a filter in one sentence" 'has a filter, which only the tracefs backend applies' "$T_DIR/f"
# -p: only that process's calls are counted in the kernel
mkfifo "$T_DIR/go"
start_bg "$bin" 6 --wait <>"$T_DIR/go" >"$T_DIR/ready"
fpid=$BG
wait_line "$T_DIR/ready" '^ready$' || bail "fixture did not start"
start_bg "$SONDE" count --backend bpf -p "$fpid" "u:$bin:add" >"$T_DIR/pout" 2>"$T_DIR/perr"
spid=$BG
sleep 1
"$bin" 9 >/dev/null
kill -USR1 "$fpid"
wait_exit "$fpid" 20
wait_exit "$spid" 5
expect_grep "-p: 6 calls of that process, not the other's 9" '^add  *6$' "$T_DIR/pout"

hygiene_check "tracefs left as found"
finish
