#!/bin/bash
# Classic .bt tools (tests/bt/tools: bashreadline, the tutorial's syscall
# count by comm and malloc size histogram, a latency pair, opensnoop) run
# unchanged under bpftrace 0.17 and `sonde run` on the same deterministic
# workload (fixture bt_workload, started by each tracer with -c), and
# their outputs compared: exactly where the workload makes them exact,
# sorted where bpftrace's order is not defined, pids blanked. bpftrace's
# own output is first checked against the workload's C source, so the
# reference itself is known right.
. "$(dirname "$0")/lib.sh"
require_root
require_uprobes
W=$(cd "$FIXTURES" && pwd)/bt_workload
TOOLS=$(cd "$(dirname "$0")/../bt/tools" && pwd)
require_file "$SONDE" "$W"
if ! command -v bpftrace >/dev/null; then
	skip "$T_NAME" "bpftrace is not installed (apt-get install bpftrace)"
	finish
fi
hygiene_begin

no_run=""
out=$("$SONDE" run -e 'BEGIN { exit(); }' 2>&1 </dev/null) ||
	case $out in *"unknown command"*) no_run=1 ;; esac

# trace TRACER TOOL OUT: the tool on the workload, its output cleaned of
# the tracers' chatter (bpftrace's "Attaching" and rlimit lines, blank
# lines)
trace()
{
	local rc
	case $1 in
	bpftrace) timeout 60 bpftrace "$TOOLS/$2.bt" "$W" -c "$W" \
		>"$3.raw" 2>&1 ;;
	sonde) timeout 60 "$SONDE" run "$TOOLS/$2.bt" "$W" -c "$W" \
		>"$3.raw" 2>&1 ;;
	esac
	rc=$?
	grep -v '^Attaching \|RLIMIT_MEMLOCK\|^$' "$3.raw" >"$3"
	return $rc
}

# hist_total FILE: the sum of a text histogram's bucket counts (the bar
# may hold spaces, so the count is taken after the bucket's label)
hist_total()
{
	sed -n 's/^\[[^])]*[])]  *\([0-9][0-9]*\) |.*/\1/p' "$1" |
		awk '{ n += $1 } END { print n + 0 }'
}

# the parts of each tool's output that the workload fixes
norm()
{
	case $1 in
	bashreadline) awk '{ $1 = ($1 ~ /^[0-9]+$/) ? "N" : $1; print }' "$2" ;;
	worklat)
		grep -v '^\[\|^@us' "$2"
		echo "@us total: $(hist_total "$2")"
		;;
	opensnoop) grep -v '^@' "$2"; grep '^@' "$2" | sort ;;
	*) sort "$2" ;;
	esac
}

# what the workload's C source says bpftrace must have printed
ref_ok()
{
	local f=$2
	case $1 in
	bashreadline) [ "$(awk 'NR > 1 { $1 = ""; sub(/^ /, ""); print }' \
		"$f" | tr '\n' '|')" = "ls -l|cd /tmp|echo hi|make -j2|exit|" ] ;;
	syscount) grep -q '^@\[bt_workload\]: [1-9][0-9]*$' "$f" ;;
	mallocsize)
		[ "$(grep -c '^@calls\[' "$f")" = 13 ] &&
			awk -F'[][]|: ' '/^@calls\[/ { k = 0; v = $2
				while (v > 1) { v /= 2; k++ }
				if ($4 != k + 1) bad = 1 }
				END { exit bad }' "$f" &&
			grep -q '^@total: 98305$' "$f"
		;;
	worklat) grep -q '^@calls: 20$' "$f" && grep -q '^@max_arg: 19$' "$f" &&
		[ "$(hist_total "$f")" = 20 ] ;;
	opensnoop)
		[ "$(grep -c '^bt_workload  *1  *0 /dev/null$' "$f")" = 7 ] &&
			[ "$(grep -c '^bt_workload  *0  *2 /nonexistent/bt_workload$' \
				"$f")" = 3 ] &&
			grep -q '^@opens\[/dev/null, 0\]: 7$' "$f"
		;;
	esac
}

for tool in bashreadline syscount mallocsize worklat opensnoop; do
	b=$T_DIR/$tool.bpftrace s=$T_DIR/$tool.sonde
	if ! trace bpftrace "$tool" "$b" || ! ref_ok "$tool" "$b"; then
		not_ok "$tool: bpftrace 0.17's output is what bt_workload.c does" \
			"$(cat "$b.raw")"
		continue
	fi
	ok "$tool: bpftrace 0.17's output is what bt_workload.c does"
	if [ -n "$no_run" ]; then
		T_NUM=$((T_NUM + 1))
		echo "not ok $T_NUM - $tool: sonde run gives bpftrace's output # TODO needs sonde run (the subcommand)"
		continue
	fi
	trace sonde "$tool" "$s"
	rc=$?
	norm "$tool" "$b" >"$b.n"
	norm "$tool" "$s" >"$s.n"
	if [ "$rc" = 0 ] && cmp -s "$b.n" "$s.n"; then
		ok "$tool: sonde run gives bpftrace's output"
	else
		not_ok "$tool: sonde run gives bpftrace's output" \
			"exit status $rc; diff bpftrace sonde:
$(diff "$b.n" "$s.n" | head -n 20)
sonde's output:
$(head -n 10 "$s.raw")"
	fi
done
if [ -n "$no_run" ]; then
	echo "# ****************************************************************"
	echo "# sonde run is not built yet: the comparisons are TODO"
	echo "# ****************************************************************"
fi
hygiene_check "bt-compare: tracefs as found"
finish
