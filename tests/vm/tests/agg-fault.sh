#!/bin/bash
# sonde count --by a field read through a bad pointer on a kernel with
# hist triggers (run inside the VM by tests/vm/run): a hist trigger keys a
# faulted read on the 0 (or stale bytes) the kernel stored, so such a key
# is counted from the events, where fault_prog.c's fault_int(NULL) and
# fault_int(unmapped) are left out and counted: *p = 42 once, 0 once, 2
# faults. A key that is a register (arg1 itself) still takes the hist
# trigger. On bpf (perf events before uprobe_multi) the kernel's table
# leaves the failed bpf_probe_read_user() hits out too.
. "$SRC_DIR/tests/integration/lib.sh"
require_root
require_uprobes
bin=$FIXTURES/fault_prog

if [ ! -x "$SONDE" ] || [ ! -x "$bin" ]; then
	skip "$T_NAME" "no sonde or fault_prog in the VM image"
	exit 0
fi

have_hist=0
"$SONDE" check | grep -q '^hist triggers: *yes' && have_hist=1

hygiene_begin
"$SONDE" count -v --backend tracefs -c "$bin linger" \
	"u:$bin:fault_int a=+0(arg1):s32" --by a >"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "tracefs --by *p: exit status" "$?" 0
if [ $have_hist = 1 ]; then
	expect_grep "tracefs --by *p: -v says no hist trigger for it" \
		"not counted by the hist trigger: 'a' is read through a pointer" \
		"$T_DIR/err"
else
	skip "tracefs --by *p: hist trigger path" "no hist triggers"
fi
expect_eq "tracefs --by *p: 0 once, 42 once, 2 faults left out" \
	"$(sed 1d "$T_DIR/out" | tr -s ' ' | tr '\n' ,)" \
	"fault_int 0 1,fault_int 42 1,total 2,faults (left out) 2,"
expect_grep "tracefs --by *p: the summary" \
	'^sonde: 4 events, 0 lost, 2 faults (left out of the table)$' "$T_DIR/err"
hygiene_check "tracefs --by *p: tracefs left as found"

if [ $have_hist = 1 ]; then
	"$SONDE" count -v --backend tracefs -c "$bin linger" \
		"u:$bin:fault_int p=arg1:u64" --by p >"$T_DIR/out" 2>"$T_DIR/err"
	expect_grep "tracefs --by arg1: still a hist trigger" \
		'counted in the kernel (hist trigger)' "$T_DIR/err"
	expect_eq "tracefs --by arg1: 4 calls" \
		"$(awk '$1 == "total" { print $2 }' "$T_DIR/out")" 4
fi

if "$SONDE" check --backend bpf >/dev/null 2>&1; then
	"$SONDE" count -v --backend bpf -c "$bin linger" \
		"u:$bin:fault_int a=+0(arg1):s32" --by a >"$T_DIR/out" 2>"$T_DIR/err"
	expect_eq "bpf --by *p: 0 once, 42 once, 2 faults left out" \
		"$(sed 1d "$T_DIR/out" | tr -s ' ' | tr '\n' ,)" \
		"fault_int 0 1,fault_int 42 1,total 2,faults (left out) 2,"
else
	skip "bpf --by *p" "no bpf backend here"
fi
finish
