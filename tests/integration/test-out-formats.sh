#!/bin/bash
# sonde's JSON and CSV read back by Python's own parsers (out_check.py):
# strings with commas, quotes, backslashes, CR/LF, control bytes, bad
# UTF-8 (out_strings.c) decode to the bytes of the C source (the
# fixture's `hex` dump) on every backend, for trace and for count --by a
# string; every line is strict UTF-8 JSON with "schema":"sonde/1"; CSV has
# a header and a constant column count. --time wall is within a second of
# the system clock read around the run (RFC 3339 by
# datetime.fromisoformat), rel starts near 0, mono lies between
# CLOCK_MONOTONIC readings; all never go backwards. Each aggregate's JSON
# and CSV header as docs/json.md says. --color: always colours (probe
# names, values, histogram bars), never and NO_COLOR do not, auto does on a
# terminal (script(1)'s pty) only, JSON/CSV and -o files never. -f
# perfetto's args decode to the same bytes; it refuses --time.
. "$(dirname "$0")/lib.sh"
require_root
require_uprobes
F=$FIXTURES/out_strings
P=$FIXTURES/fixture_pie
require_file "$SONDE" "$F" "$P"
command -v python3 >/dev/null || {
	skip "$T_NAME" "no python3"
	exit 0
}
HERE=$(dirname "$0")
SPEC="u:$F:out_str i=arg1:s32 s=+0(arg2):string"
"$F" hex >"$T_DIR/ref" || bail "out_strings hex"

# check_py LABEL MODE ARGS...: out_check.py's lines as TAP
check_py()
{
	local label=$1
	shift
	check_lines "$label" python3 "$HERE/out_check.py" "$@"
}

mono()
{
	python3 -c 'import time; print("%.6f" % time.clock_gettime(time.CLOCK_MONOTONIC))'
}

hygiene_begin
# --- strings through JSON and CSV, every backend -----------------------------
for be in tracefs perf bpf; do
	"$SONDE" trace -q --backend $be -f json -c "$F 3" "$SPEC" \
		>"$T_DIR/json" 2>"$T_DIR/err"
	expect_eq "$be: trace -f json: exit 0" "$?" 0
	check_py "$be trace json" events-json "$T_DIR/json" "$T_DIR/ref" 3
	"$SONDE" trace -q --backend $be -f csv -c "$F 3" "$SPEC comm=comm" \
		>"$T_DIR/csv" 2>"$T_DIR/err"
	expect_eq "$be: trace -f csv: exit 0" "$?" 0
	check_py "$be trace csv" events-csv "$T_DIR/csv" "$T_DIR/ref" 3
done
# the timeline's args through the same JSON string writer
"$SONDE" trace -q -f perfetto -c "$F 2" "$SPEC" >"$T_DIR/pf" 2>"$T_DIR/err"
expect_eq "trace -f perfetto: exit 0" "$?" 0
check_py "trace -f perfetto" perfetto "$T_DIR/pf" "$T_DIR/ref" 2
"$SONDE" trace -f perfetto --time rel "u:$F:out_str" >/dev/null 2>"$T_DIR/err"
expect_eq "-f perfetto --time: refused (exit 2)" "$?" 2
"$SONDE" count -q -f json -c "$F 4" "u:$F:out_str s=+0(arg2):string" \
	--by s >"$T_DIR/json" 2>"$T_DIR/err"
check_py "count --by s" count-json "$T_DIR/json" "$T_DIR/ref" 4
"$SONDE" count -q -f csv -c "$F 4" "u:$F:out_str s=+0(arg2):string" \
	--by s >"$T_DIR/csv" 2>"$T_DIR/err"
check_py "count --by s" count-csv "$T_DIR/csv" "$T_DIR/ref" 4
# faults: an empty cell, named in the faults column (fault_prog.c:
# fault_int(NULL), (&42), (&0), (unmapped page))
FP=$FIXTURES/fault_prog
"$SONDE" trace -q -f csv -c "$FP linger" "u:$FP:fault_int a=+0(arg1):s32" \
	>"$T_DIR/csv" 2>"$T_DIR/err"
expect_eq "csv faults: a and faults per call, as fault_prog.c calls" \
	"$(python3 -c 'import csv, sys
print(" ".join(r["a"] + "/" + r["faults"]
               for r in csv.DictReader(open(sys.argv[1], newline=""))))' \
		"$T_DIR/csv")" "/a 42/ 0/ /a"
hygiene_check "strings: tracefs left as found"

# --- --time ------------------------------------------------------------------
for fmt in json csv; do
	for kind in mono rel wall; do
		case $kind in
		mono) lo=$(mono) ;;
		wall) lo=$(date +%s.%N) ;;
		rel) lo=0 ;;
		esac
		t0=$(mono)
		"$SONDE" trace -q --time $kind -f $fmt -c "$F 20" \
			"u:$F:out_str i=arg1:s32" >"$T_DIR/out" 2>"$T_DIR/err"
		case $kind in
		mono) hi=$(mono) ;;
		wall) hi=$(date +%s.%N) ;;
		rel) hi=$(python3 -c "print($(mono) - $t0)") ;;
		esac
		check_py "--time $kind -f $fmt" time "$T_DIR/out" $fmt $kind \
			"$lo" "$hi"
	done
done
# a zone with a negative half-hour offset: the same instants
lo=$(date +%s.%N)
TZ=America/St_Johns "$SONDE" trace -q --time wall -f json -c "$F 5" \
	"u:$F:out_str i=arg1:s32" >"$T_DIR/out" 2>"$T_DIR/err"
hi=$(date +%s.%N)
check_py "--time wall, TZ=America/St_Johns" time "$T_DIR/out" json wall \
	"$lo" "$hi"
expect_grep "--time wall, TZ=America/St_Johns: its offset" \
	'"time":"[0-9-]*T[0-9:.]*-0[23]:30"' "$T_DIR/out"
# text: wall as local HH:MM:SS.uuuuuu, rel from 0
"$SONDE" trace -q --time wall -c "$F 1" "u:$F:out_str i=arg1:s32" \
	>"$T_DIR/out" 2>"$T_DIR/err"
now=$(date +%H:%M)
expect_grep "--time wall text: HH:MM:SS.uuuuuu of now" \
	"^$now:[0-9][0-9]\.[0-9]\{6\} out_strings" "$T_DIR/out"
"$SONDE" trace -q --time rel -c "$F 1" "u:$F:out_str i=arg1:s32" \
	>"$T_DIR/out" 2>"$T_DIR/err"
expect_grep "--time rel text: seconds from 0" \
	'^ *0\.[0-9]\{6\} out_strings' "$T_DIR/out"
"$SONDE" trace --time utc "u:$F:out_str" >/dev/null 2>"$T_DIR/err"
expect_eq "--time utc: exit 2" "$?" 2
"$SONDE" trace -f csv --hist 'keys=common_pid' "u:$F:out_str" \
	>/dev/null 2>"$T_DIR/err"
expect_eq "-f csv --hist: refused (exit 2)" "$?" 2

# --- aggregates: JSON objects and CSV headers --------------------------------
agg()
{
	local what=$1 header=$2
	shift 2
	"$SONDE" "$@" -q -f json >"$T_DIR/json" 2>"$T_DIR/err"
	check_py "$what -f json" agg-json "$T_DIR/json" "$what"
	"$SONDE" "$@" -q -f csv >"$T_DIR/csv" 2>"$T_DIR/err"
	check_py "$what -f csv" agg-csv "$T_DIR/csv" "$header"
}
agg count probe,comm,arg1,count count -c "$P 5" "u:$P:add" --by comm,arg1
agg hist probe,lower,upper,count hist -c "$P 5" "u:$P:add" --value arg1
agg latency probe,lower_ns,upper_ns,count latency -c "$P 3" "u:$P:add"
agg stack probe,stack,count stack -c "$P 3" "u:$P:add"
"$SONDE" count -q -f csv -i 0.2 -c "$P 3" "u:$P:add" \
	>"$T_DIR/csv" 2>"$T_DIR/err"
check_py "count -i -f csv" agg-csv "$T_DIR/csv" interval,probe,count
expect_eq "count -i -f csv: one header" "$(grep -c '^interval,' "$T_DIR/csv")" 1
hygiene_check "aggregates: tracefs left as found"

# --- --color -----------------------------------------------------------------
esc()
{
	LC_ALL=C grep -c $'\e\\[' "$1"
}
"$SONDE" trace -q --color always -c "$F 1" "u:$F:out_str i=arg1:s32" \
	>"$T_DIR/out" 2>"$T_DIR/err"
expect_grep "--color always: the probe name coloured" \
	$'\e\\[1;34mout_str\e\\[0m:' "$T_DIR/out"
expect_grep "--color always: values coloured" $'i=\e\\[33m[0-9]' "$T_DIR/out"
"$SONDE" hist -q --color always -c "$P 5" "u:$P:add" --value arg1 \
	>"$T_DIR/out" 2>"$T_DIR/err"
expect_grep "--color always: histogram bars coloured" $'|\e\\[36m@' "$T_DIR/out"
NO_COLOR=1 "$SONDE" trace -q --color always -c "$F 1" \
	"u:$F:out_str i=arg1:s32" >"$T_DIR/out" 2>"$T_DIR/err"
check "--color always beats NO_COLOR" [ "$(esc "$T_DIR/out")" -gt 0 ]
for how in "--color never" "-f json --color always" "-f csv --color always"; do
	# shellcheck disable=SC2086
	"$SONDE" trace -q $how -c "$F 1" "u:$F:out_str i=arg1:s32" \
		>"$T_DIR/out" 2>"$T_DIR/err"
	expect_eq "$how: no ANSI escape" "$(esc "$T_DIR/out")" 0
done
"$SONDE" count -q --color always -o "$T_DIR/o" -c "$P 2" "u:$P:add" \
	>"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "--color always -o FILE: the file has no escape" "$(esc "$T_DIR/o")" 0
# auto: on a terminal (script's pty) only, and not with NO_COLOR
cmd="$SONDE trace -q -c '$F 1' 'u:$F:out_str i=arg1:s32'"
script -qec "$cmd" /dev/null >"$T_DIR/out" 2>&1
check "--color auto on a terminal: colours" [ "$(esc "$T_DIR/out")" -gt 0 ]
NO_COLOR=1 script -qec "$cmd" /dev/null >"$T_DIR/out" 2>&1
expect_eq "--color auto, NO_COLOR=1 on a terminal: none" "$(esc "$T_DIR/out")" 0
NO_COLOR= script -qec "$cmd" /dev/null >"$T_DIR/out" 2>&1
check "--color auto, NO_COLOR empty on a terminal: colours" \
	[ "$(esc "$T_DIR/out")" -gt 0 ]
eval "$cmd" >"$T_DIR/out" 2>&1
expect_eq "--color auto into a file: none" "$(esc "$T_DIR/out")" 0
hygiene_check "colours: tracefs left as found"
finish
