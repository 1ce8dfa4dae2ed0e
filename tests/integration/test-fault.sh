#!/bin/bash
# Reads through bad pointers, checked against fault_prog.c's calls on the
# tracefs, perf (with -c: tracefs-made events; system-wide: its own
# fetch) and bpf backends: *p of NULL and of an unmapped page is (fault),
# of 42 and of 0 is 42 and 0; a NULL string is (fault), "hello" is
# "hello"; p->p->v through a NULL holder and a NULL inner pointer is
# (fault), through good pointers 7. JSON gives null and a "faults" list;
# the summary counts the 5 faults. bpftrace -kk, on the same calls, warns
# "Bad address" exactly twice for *p (the independent reference for which
# reads fault).
. "$(dirname "$0")/lib.sh"
require_root
require_uprobes
bin=$FIXTURES/fault_prog
require_file "$SONDE" "$bin"

backends="tracefs perf"
"$SONDE" check --backend bpf >/dev/null 2>&1 && backends="$backends bpf"
probes=("u:$bin:fault_int a=+0(arg1):s32"
	"u:$bin:fault_str s=+0(arg1):string"
	"u:$bin:fault_deep v=+8(+8(arg1)):s32")
want='fault_int: a=(fault)
fault_int: a=42
fault_int: a=0
fault_int: a=(fault)
fault_str: s=(fault)
fault_str: s="hello"
fault_deep: v=(fault)
fault_deep: v=(fault)
fault_deep: v=7'
want_json='fault_int: a=null faults=["a"]
fault_int: a=42
fault_int: a=0
fault_int: a=null faults=["a"]
fault_str: s=null faults=["s"]
fault_str: s="hello"
fault_deep: v=null faults=["v"]
fault_deep: v=null faults=["v"]
fault_deep: v=7'

for be in $backends; do
	hygiene_begin
	# linger: the process is still there when a 0 is read again
	"$SONDE" trace --backend $be -c "$bin linger" "${probes[@]}" \
		>"$T_DIR/out" 2>"$T_DIR/err"
	expect_eq "$be: exit status" "$?" 0
	expect_eq "$be: faults shown, values right" "$(events "$T_DIR/out")" "$want"
	expect_grep "$be: the summary counts 5 faults" \
		'^sonde: 9 events, 0 lost, 5 faults$' "$T_DIR/err"
	"$SONDE" trace -q --format json --backend $be -c "$bin linger" \
		"${probes[@]}" >"$T_DIR/json" 2>"$T_DIR/err"
	expect_eq "$be: json: null and the faults list" \
		"$(json_events "$T_DIR/json")" "$want_json"
	hygiene_check "$be: tracefs left as found"
done

# Without linger the process may be gone when its events are read: a 0
# read through a pointer that may be mapped cannot be read again, and is
# then shown "0(unchecked)", never a bare value that may be wrong.
"$SONDE" trace --backend tracefs -c "$bin" "${probes[0]}" \
	>"$T_DIR/gone" 2>"$T_DIR/err"
set -- $(events "$T_DIR/gone" | sed 's/^fault_int: a=//')
ok_gone=1
[ "$#" = 4 ] && [ "$1" = "(fault)" ] && [ "$2" = 42 ] || ok_gone=0
case ${3:-} in 0 | "0(unchecked)") ;; *) ok_gone=0 ;; esac
case ${4:-} in "(fault)" | "0(unchecked)") ;; *) ok_gone=0 ;; esac
if [ $ok_gone = 1 ]; then
	ok "tracefs, process gone: right values or 0(unchecked) ($*)"
else
	not_ok "tracefs, process gone: right values or 0(unchecked)" "$*"
fi
n=$(grep -c '(unchecked)' "$T_DIR/gone")
if [ "$n" = 0 ]; then
	expect_grep "tracefs, process gone: the summary" \
		'^sonde: 4 events, 0 lost, 2 faults$' "$T_DIR/err"
else
	expect_grep "tracefs, process gone: the summary counts the unchecked" \
		"^sonde: 4 events, 0 lost, [12] faults\?, $n unchecked " "$T_DIR/err"
fi

# perf system-wide: probes through the uprobe PMU, values fetched by sonde
"$SONDE" trace --backend perf -d 4 "${probes[@]}" >"$T_DIR/pmu" 2>"$T_DIR/perr" &
spid=$!
T_BGPIDS="$T_BGPIDS $spid"
if wait_attached "$spid"; then
	"$bin" linger
	wait_exit "$spid" 10
	expect_eq "perf (uprobe PMU): faults shown, values right" \
		"$(events "$T_DIR/pmu" | grep -v ' fault_prog ' )" "$want"
else
	not_ok "perf (uprobe PMU): sonde attached" "$(cat "$T_DIR/perr")"
fi

if command -v bpftrace >/dev/null 2>&1; then
	timeout 60 bpftrace -kk -e "uprobe:$bin:fault_int { printf(\"a=%d\\n\", *(int32 *)arg0); }" \
		-c "$bin linger" >"$T_DIR/bt" 2>&1
	expect_eq "bpftrace: *p faults twice (NULL, unmapped)" \
		"$(grep -c 'Bad address' "$T_DIR/bt")" 2
	expect_eq "bpftrace: the others read 42 and 0" \
		"$(grep '^a=' "$T_DIR/bt" | grep -v 'a=0' | tr '\n' ' ')" "a=42 "
else
	skip "bpftrace reference" "no bpftrace"
fi
finish
