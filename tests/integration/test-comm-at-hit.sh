#!/bin/bash
# The comm an event shows is the one its thread had at the hit, not the
# one it has when the event is read: comm_change.c renames its threads
# between calls (prctl, pthread_setname_np) and ends at once, so by the
# time sonde reads the events every thread has another name or is gone.
# The reference is the fixture's own PR_GET_NAME, getpid() and gettid()
# before each call, and bpftrace's comm on the same function; on every
# backend, with -c and system-wide.
. "$(dirname "$0")/lib.sh"
require_root
require_uprobes
bin=$FIXTURES/comm_change
require_file "$SONDE" "$bin"
"$bin" >"$T_DIR/ref" || bail "comm_change did not run"
expect_eq "the fixture's own names (its C source)" \
	"$(sort -n "$T_DIR/ref" | cut -d' ' -f1,2 | tr '\n' ,)" \
	"1 comm_change,2 cc_renamed,3 cc_renamed,4 cc_thread,"

# compare LABEL FILE: the fixture's lines "I COMM PID TID" and sonde's
# JSON events, in FILE, say the same
compare()
{
	local got want
	read -r got want < <(python3 -c '
import json, re, sys
lines = open(sys.argv[1]).read().splitlines()
want = sorted(l for l in lines if re.match(r"^\d+ \S+ \d+ \d+$", l))
rows = [json.loads(l) for l in lines if l.startswith("{")]
got = sorted("%d %s %d %d" % (r["args"]["i"], r["comm"], r["pid"], r["tid"])
             for r in rows if r.get("probe") == "mark")
print(",".join(got).replace(" ", "_") or "-", ",".join(want).replace(" ", "_") or "-")
' "$2" 2>&1)
	if [ "$want" != - ] && [ "$got" = "$want" ]; then
		ok "$1: each call's comm (the thread's at the call), pid and tid"
	else
		not_ok "$1: each call's comm (the thread's at the call), pid and tid" \
			"got:  $got
want: $want
$(grep -v '^[{0-9]' "$2" | head -n 5)"
	fi
}

backends="tracefs perf"
"$SONDE" check 2>/dev/null | grep -q '^BPF: *yes' && backends="$backends bpf"
for be in $backends; do
	hygiene_begin
	# the fixture run by sonde (-c), three times: the reader's timing
	# differs from one run to the next
	for run in 1 2 3; do
		timeout 60 "$SONDE" trace -q --backend "$be" -f json -c "$bin" \
			"u:$bin:mark i=arg1:s32" >"$T_DIR/out.$run" 2>&1
		compare "$be -c, run $run" "$T_DIR/out.$run"
	done
	# system-wide: the names come from elsewhere (perf's comm tracker)
	start_bg "$SONDE" trace -q -d 60 --backend "$be" -f json \
		"u:$bin:mark i=arg1:s32" >"$T_DIR/sw.json" 2>"$T_DIR/sw.err"
	if wait_attached "$BG" 20; then
		"$bin" >"$T_DIR/sw.ref"
		sleep 0.5
		kill -INT "$BG"
		wait_exit "$BG" 20
		cat "$T_DIR/sw.ref" "$T_DIR/sw.json" "$T_DIR/sw.err" >"$T_DIR/sw"
		compare "$be system-wide" "$T_DIR/sw"
	else
		not_ok "$be system-wide: sonde attached" "$(cat "$T_DIR/sw.err")"
	fi
	hygiene_check "$be: tracefs left as found"
done

if command -v bpftrace >/dev/null; then
	timeout 60 bpftrace -q -e "uprobe:$bin:mark { printf(\"bt %d %s\\n\", arg0, comm); }" \
		-c "$bin" >"$T_DIR/bt" 2>&1
	expect_eq "bpftrace's comm on the same calls: the fixture's" \
		"$(sed -n 's/^bt //p' "$T_DIR/bt" | sort -n | tr '\n' ,)" \
		"$(grep -E '^[0-9]+ [^ ]+ [0-9]+ [0-9]+$' "$T_DIR/bt" | sort -n | cut -d' ' -f1,2 | tr '\n' ,)"
else
	skip "bpftrace's comm on the same calls" "no bpftrace"
fi
finish
