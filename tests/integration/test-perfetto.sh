#!/bin/bash
# Timelines: sonde trace and latency with -f perfetto and --perfetto FILE.
# Each file is checked by trace_event_check.py, written from the Trace
# Event Format's documentation (not from sonde's writer): Python's json
# parses it, each phase has its required keys, B/E balance and nest per
# thread, times never go back on a track, X durations are >= 0. What it
# draws is then compared (timeline_compare.py) with the timeline fixture's
# C source (2 threads named by pthread_setname_np, 7 and 5 calls of
# tl_work(a, b) with known args, each calling tl_leaf(a) once; 3 tl_tick
# on the main thread) and with the durations the fixture measured itself
# (CLOCK_MONOTONIC around each call): within 300 us + 10%; and with
# bpftrace 0.17's own timing of the same function (medians within 10%).
# Perfetto's own trace_processor is not used: it is not packaged in Debian
# (nor npm), and this machine reaches no other download site.
# tests/run: timeout 240
. "$(dirname "$0")/lib.sh"
require_root
require_uprobes
HERE=$(dirname "$0")
F=$FIXTURES/timeline
require_file "$SONDE" "$F"
command -v python3 >/dev/null || bail "python3 is needed"

PROBES=("u:$F:tl_work a=arg1 b=arg2" "ur:$F:tl_work retval"
	"u:$F:tl_leaf arg1" "ur:$F:tl_leaf" "u:$F:tl_tick k=arg1")

# compare LABEL FILE FIXTURE_OUT [leaf]: against the fixture's source
compare()
{
	local c=$T_DIR/cmp
	python3 "$HERE/timeline_compare.py" "$2.sum" "$3" 300 >"$c" 2>&1
	get() { sed -n "s/^$1 //p" "$c"; }
	expect_eq "$1: process named by its comm" "$(get process)" timeline
	expect_eq "$1: threads named by pthread_setname_np" \
		"$(get thread_tl_alpha) $(get thread_tl_beta)" "tl_alpha tl_beta"
	expect_eq "$1: tl_work slices per thread (7 and 5 calls)" \
		"$(get work_tl_alpha) $(get work_tl_beta)" "7 5"
	expect_eq "$1: slice args a, b and retval = the values passed" \
		"$(get args_tl_alpha) $(get args_tl_beta)" "ok ok"
	expect_eq "$1: counter track 'tl_work calls' ends at 12" \
		"$(get counter)" 12
	expect_eq "$1: durations vs the fixture's clock (worst $(get dur_worst_us) us)" \
		"$(get dur_within)" ok
	[ "${4:-}" = leaf ] || return 0
	expect_eq "$1: 12 tl_leaf slices nested in tl_work" \
		"$(get leaf_nested)" 12
	expect_eq "$1: tl_leaf's arg1 = its tl_work's a" "$(get leaf_args)" ok
	expect_eq "$1: tl_tick instants on the main thread, k = 1,2,3" \
		"$(get ticks)" "1,2,3"
}

# The checker itself: each broken rule is caught (it would pass anything
# otherwise). One document per rule, built here by hand.
bad_doc()
{
	printf '{"traceEvents":[%s],"displayTimeUnit":"ns"}\n' "$2" >"$T_DIR/bad.json"
	if python3 "$HERE/trace_event_check.py" "$T_DIR/bad.json" >/dev/null 2>&1; then
		not_ok "checker: refuses $1" "$2"
	else
		ok "checker: refuses $1"
	fi
}
B='{"name":"f","ph":"B","ts":1,"pid":1,"tid":1}'
E='{"name":"f","ph":"E","ts":2,"pid":1,"tid":1}'
bad_doc "a B never closed" "$B"
bad_doc "an E without its B" "$E"
bad_doc "time going back on a thread" "$B,${E/\"ts\":2/\"ts\":0.5}"
bad_doc "B/E that do not nest" "$B,${B/\"f\"/\"g\"},$E,${E/\"f\"/\"g\"}"
bad_doc "an X with dur < 0" '{"name":"x","ph":"X","ts":1,"dur":-1,"pid":1,"tid":1}'
bad_doc "an event without ts" '{"name":"i","ph":"i","pid":1,"tid":1}'
bad_doc "an instant of an unknown scope" '{"name":"i","ph":"i","s":"q","ts":1,"pid":1,"tid":1}'
bad_doc "a counter of text" '{"name":"c","ph":"C","ts":1,"pid":1,"args":{"n":"x"}}'
bad_doc "a thread_name without a name" '{"name":"thread_name","ph":"M","pid":1,"tid":1,"args":{}}'
bad_doc "a string pid" '{"name":"i","ph":"i","ts":1,"pid":"1","tid":1}'
printf '{"traceEvents":[%s,' "$B" >"$T_DIR/cut.json"
python3 "$HERE/trace_event_check.py" "$T_DIR/cut.json" >/dev/null 2>&1 &&
	not_ok "checker: refuses a cut file" || ok "checker: refuses a cut file"
printf '{"traceEvents":[%s,%s]}\n' "$B" "$E" >"$T_DIR/good.json"
check "checker: takes a good one" python3 "$HERE/trace_event_check.py" "$T_DIR/good.json"

hygiene_begin
for be in tracefs perf bpf; do
	out=$T_DIR/$be.json
	"$SONDE" trace -q --backend "$be" -f perfetto -o "$out" -c "$F" \
		"${PROBES[@]}" >"$T_DIR/fix.$be" 2>"$T_DIR/err.$be"
	rc=$?
	if [ "$rc" -ne 0 ] && grep -q "backend\|support\|kernel" "$T_DIR/err.$be"; then
		skip "trace --backend $be" "$(head -1 "$T_DIR/err.$be")"
		continue
	fi
	expect_eq "trace --backend $be -f perfetto: exit status" "$rc" 0
	trace_event_valid "trace $be" "$out" &&
		compare "trace $be" "$out" "$T_DIR/fix.$be" leaf
done
hygiene_check "trace: tracefs left as found"

# bpftrace 0.17 as a second, independent tracer: the same calls timed by
# its own uprobe/uretprobe pair (another run of the fixture): 12 calls,
# medians within 10% of the tracefs timeline's.
if command -v bpftrace >/dev/null && [ -s "$T_DIR/tracefs.json.sum" ]; then
	timeout 60 bpftrace -e "uprobe:$F:tl_work { @s[tid] = nsecs; }
		uretprobe:$F:tl_work /@s[tid]/ { printf(\"bt %d\\n\", nsecs - @s[tid]); delete(@s[tid]); }
		END { clear(@s); }" -c "$F" >"$T_DIR/bt.out" 2>/dev/null
	python3 - "$T_DIR/tracefs.json.sum" "$T_DIR/bt.out" >"$T_DIR/bt.chk" <<'EOF'
import json, statistics, sys
s = json.load(open(sys.argv[1]))
ours = [x["dur"] for x in s["slices"] if x["name"] == "tl_work"]
bt = [int(l.split()[1]) / 1000.0 for l in open(sys.argv[2])
      if l.startswith("bt ")]
m1, m2 = statistics.median(ours), statistics.median(bt) if bt else 0
print(len(bt), abs(m1 - m2) <= 0.1 * m2, "%.1f/%.1f" % (m1, m2))
EOF
	read -r n within medians <"$T_DIR/bt.chk"
	expect_eq "bpftrace: 12 calls of tl_work timed" "$n" 12
	expect_eq "bpftrace: median durations within 10% (sonde/bpftrace us: $medians)" \
		"$within" True
else
	skip "bpftrace reference" "no bpftrace, or no tracefs timeline"
fi
hygiene_check "bpftrace: tracefs left as found"

# --perfetto FILE besides the normal output: -f json lines still there
"$SONDE" trace -q -f json -o "$T_DIR/ev.json" --perfetto "$T_DIR/side.json" \
	-c "$F" "${PROBES[@]}" >"$T_DIR/fix.side" 2>"$T_DIR/err.side"
expect_eq "trace --perfetto FILE: exit status" "$?" 0
expect_eq "trace --perfetto FILE: the 51 events still written as JSON lines" \
	"$(python3 -c 'import json,sys; print(sum(1 for l in open(sys.argv[1]) if json.loads(l)))' \
		"$T_DIR/ev.json")" 51
trace_event_valid "trace --perfetto" "$T_DIR/side.json" &&
	compare "trace --perfetto" "$T_DIR/side.json" "$T_DIR/fix.side" leaf

# latency: its pairs are the slices
"$SONDE" latency -q -f perfetto -o "$T_DIR/lat.json" -c "$F" \
	"u:$F:tl_work a=arg1 b=arg2" >"$T_DIR/fix.lat" 2>"$T_DIR/err.lat"
expect_eq "latency -f perfetto: exit status" "$?" 0
if trace_event_valid "latency" "$T_DIR/lat.json"; then
	# latency's return probe fetches nothing: no retval to compare
	python3 "$HERE/timeline_compare.py" "$T_DIR/lat.json.sum" \
		"$T_DIR/fix.lat" 300 noret >"$T_DIR/cmp" 2>&1
	expect_eq "latency: tl_work slices per thread, args a and b, durations" \
		"$(sed -n 's/^\(work_[a-z_]*\|args_[a-z_]*\|dur_within\) //p' "$T_DIR/cmp" | tr '\n' ' ')" \
		"7 ok 5 ok ok "
fi
"$SONDE" latency --perfetto "$T_DIR/lat2.json" -c "$F" "u:$F:tl_work" \
	>"$T_DIR/lat2.out" 2>&1
expect_grep "latency --perfetto FILE: the histogram still printed" \
	'^count 12, avg' "$T_DIR/lat2.out"
trace_event_valid "latency --perfetto" "$T_DIR/lat2.json"
hygiene_check "latency: tracefs left as found"

# Stopped half way: calls of 400 ms, attached after the fixture started
# (a call already running: its return has no entry) and stopped by SIGINT
# or -d inside a call (left open: closed at the end, marked).
for stop in SIGINT -d; do
	start_bg "$F" 400000
	fx=$BG
	sleep 0.6
	if [ "$stop" = -d ]; then
		"$SONDE" trace -q -d 1.5 -f perfetto -o "$T_DIR/stop.json" -p "$fx" \
			"${PROBES[@]}" 2>"$T_DIR/err.stop"
		rc=$?
	else
		start_bg "$SONDE" trace -q -f perfetto -o "$T_DIR/stop.json" \
			-p "$fx" "${PROBES[@]}" 2>"$T_DIR/err.stop"
		wait_attached "$BG" 10
		sleep 1.5
		kill -INT "$BG"
		wait_exit "$BG" 10
		rc=$RC
	fi
	kill "$fx" 2>/dev/null
	wait "$fx" 2>/dev/null
	case $rc in 0 | 130) ok "stopped by $stop: exit status $rc" ;;
	*) not_ok "stopped by $stop: exit status" "$rc $(cat "$T_DIR/err.stop")" ;;
	esac
	if trace_event_valid "stopped by $stop" "$T_DIR/stop.json"; then
		python3 - "$T_DIR/stop.json.sum" >"$T_DIR/stop.chk" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
od = s["otherData"]
open_ = [x for x in s["slices"] if x["args"].get("sonde_unfinished")]
done = [x for x in s["slices"]
        if x["name"] == "tl_work" and not x["args"].get("sonde_unfinished")]
print("orphans", od["returns_without_entry"])
print("unfinished", od["unfinished_at_end"], len(open_))
print("durations", all(abs(x["dur"] - 400000) < 40000 for x in done))
EOF
		# a uretprobe is armed at the function's entry: the call
		# running when the probes went in reports no return at all
		expect_eq "stopped by $stop: no return without its entry" \
			"$(sed -n 's/^orphans //p' "$T_DIR/stop.chk")" 0
		expect_eq "stopped by $stop: the open call closed at the end, marked" \
			"$(sed -n 's/^unfinished //p' "$T_DIR/stop.chk")" "1 1"
		expect_eq "stopped by $stop: complete calls last 400 ms (+-10%)" \
			"$(sed -n 's/^durations //p' "$T_DIR/stop.chk")" True
	fi
done
hygiene_check "stopped: tracefs left as found"

# A syscall's enter and exit tracepoints pair too (latency's pairs): the
# clock_nanosleep running when the probes went in exits without an entry
# (dropped, counted), the one running at the end is closed there, marked;
# the others last the fixture's 400 ms, their exit's ret in the args.
if [ -d "$TRACEFS/events/syscalls/sys_enter_clock_nanosleep" ]; then
	start_bg "$F" 400000
	fx=$BG
	sleep 0.6
	"$SONDE" latency -q -d 1.5 -f perfetto -o "$T_DIR/sys.json" -p "$fx" \
		t:syscalls:sys_enter_clock_nanosleep 2>"$T_DIR/err.sys"
	expect_eq "syscall pairs: exit status" "$?" 0
	kill "$fx" 2>/dev/null
	wait "$fx" 2>/dev/null
	if trace_event_valid "syscall pairs" "$T_DIR/sys.json"; then
		python3 - "$T_DIR/sys.json.sum" >"$T_DIR/sys.chk" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
od = s["otherData"]
done = [x for x in s["slices"] if not x["args"].get("sonde_unfinished")]
print(od["returns_without_entry"], od["unfinished_at_end"],
      len(done) >= 2 and all(x["name"] == "clock_nanosleep" and
                             x["args"].get("ret") == 0 and
                             abs(x["dur"] - 400000) < 40000 for x in done))
EOF
		expect_eq "syscall pairs: 1 exit without entry dropped, 1 closed at the end, 400 ms sleeps with ret 0" \
			"$(cat "$T_DIR/sys.chk")" "1 1 True"
		expect_grep "syscall pairs: said on stderr" \
			'timeline: 1 returns without entry (dropped)' "$T_DIR/err.sys"
	fi
else
	skip "syscall pairs" "no syscalls tracepoints (CONFIG_FTRACE_SYSCALLS)"
fi
hygiene_check "syscall pairs: tracefs left as found"

# refused where a timeline has no meaning or would be broken
for args in "count -f perfetto" "trace -f perfetto --hist keys=common_pid" \
	"trace -f perfetto --perfetto $T_DIR/x" "count --perfetto $T_DIR/x"; do
	# shellcheck disable=SC2086
	"$SONDE" $args "u:$F:tl_work" >/dev/null 2>"$T_DIR/err"
	expect_eq "sonde $args: refused (exit 2)" "$?" 2
done
[ ! -e "$T_DIR/x" ] && ok "refused runs wrote no file" ||
	not_ok "refused runs wrote no file"
finish
