#!/bin/bash
# sonde count on the fixture: exact hits per probe, per argument, per
# string, with -i tables, --top, Ctrl-C, JSON and CSV; keyless counts kept
# by PMU counters system-wide.
. "$(dirname "$0")/lib.sh"
require_root
require_uprobes
F=$FIXTURES/fixture_pie
require_file "$SONDE" "$F"

# "PROBE [KEY...] COUNT" rows of a text table, without header and total
rows()
{
	awk 'NR > 1 && $1 != "total" && !/^--/' "$1"
}

N=200
hygiene_begin
"$SONDE" count -c "$F $N" "u:$F:add" "u:$F:mul3" "ur:$F:fact" \
	>"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "count: exit status" "$?" 0
expect_eq "count: add, mul3 N times, fact 5 returns" \
	"$(rows "$T_DIR/out" | sort | tr -s ' ' | tr '\n' ,)" \
	"add $N,fact__return 5,mul3 $N,"
expect_eq "count: total" "$(awk '$1 == "total" { print $2 }' "$T_DIR/out")" \
	$((2 * N + 5))
hygiene_check "count: tracefs left as found"

# --by an argument, 3 threads: every i = 1..50 three times (tracefs: the
# perf backend cannot follow new threads of -c yet)
hygiene_begin
"$SONDE" count --backend tracefs -c "$F 50 --threads 3" "u:$F:add" --by arg1 \
	>"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "--by arg1: 50 rows, each 3" \
	"$(rows "$T_DIR/out" | awk '$3 != 3 || $1 != "add" { bad++ }
		{ seen[$2] = 1 } END { n = 0; for (k in seen) if (k + 0 >= 1 && k + 0 <= 50) n++
		print NR, n, bad + 0 }')" "50 50 0"
expect_eq "--by arg1: total" "$(awk '$1 == "total" { print $2 }' "$T_DIR/out")" 150
hygiene_check "--by arg1: tracefs left as found"

# --by two keys, one a string
"$SONDE" count -c "$F 4" "u:$F:greet s=+0(arg1):string" --by s,comm \
	>"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "--by string,comm: one row per name" \
	"$(rows "$T_DIR/out" | sort | tr -s ' ' | tr '\n' ,)" \
	"greet sonde-1 fixture_pie 1,greet sonde-2 fixture_pie 1,greet sonde-3 fixture_pie 1,greet sonde-4 fixture_pie 1,"

# --by tid: one row per worker thread
"$SONDE" count --backend tracefs -c "$F 20 --threads 4" "u:$F:add" --by tid \
	>"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "--by tid: 4 threads, 20 each" \
	"$(rows "$T_DIR/out" | awk '{ print $3 }' | tr '\n' ,)" "20,20,20,20,"

# --top
"$SONDE" count -c "$F 10" "u:$F:add" --by arg1 --top 3 \
	>"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "--top 3: three rows, total of all" \
	"$(rows "$T_DIR/out" | wc -l) $(awk '$1 == "total" { print $2 }' "$T_DIR/out")" \
	"3 10"

# JSON and CSV
"$SONDE" count -f json -c "$F 7" "u:$F:add" --by arg2 >"$T_DIR/out" 2>"$T_DIR/err"
expect_grep "json: rows with key and count" \
	'^{"schema":"sonde/1","type":"count","rows":\[{"probe":"add","arg2":[0-9]*,"count":1}' "$T_DIR/out"
expect_grep "json: total" '"total":7}$' "$T_DIR/out"
if command -v jq >/dev/null; then
	expect_eq "json: jq reads it, arg2 = 2i" \
		"$(jq -r '[.rows[].arg2] | sort | map(tostring) | join(",")' "$T_DIR/out")" \
		"2,4,6,8,10,12,14"
fi
"$SONDE" count -f csv -c "$F 3" "u:$F:add" --by arg1 >"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "csv: header and rows" "$(sort "$T_DIR/out" | tr '\n' ' ')" \
	"add,1,1 add,2,1 add,3,1 probe,arg1,count "

# -i: one table per interval, then the whole run's
hygiene_begin
"$SONDE" count -i 0.5 -d 2.2 "u:$F:add" >"$T_DIR/out" 2>"$T_DIR/err" &
pid=$!
sleep 0.7
"$F" 3
wait "$pid"
expect_eq "-i 0.5 -d 2.2: four interval tables and a total" \
	"$(grep -c '^-- [0-9][0-9]:[0-9][0-9]:[0-9][0-9] --$' "$T_DIR/out") $(grep -c '^-- total --$' "$T_DIR/out")" \
	"4 1"
expect_eq "-i: the run's total" \
	"$(sed -n '/^-- total --$/,$p' "$T_DIR/out" | awk '$1 == "add" { print $2 }')" 3
hygiene_check "-i: tracefs left as found"

# System-wide keyless: PMU counters; Ctrl-C prints the table
hygiene_begin
"$SONDE" count -v "u:$F:add" "u:$F:fact" >"$T_DIR/out" 2>"$T_DIR/err" &
pid=$!
sleep 1
for i in 1 2 3; do "$F" 100 --fact 4; done
kill -INT "$pid"
wait_exit "$pid" 10
expect_eq "Ctrl-C: exit status" "$RC" 0
expect_grep "-v: counted by the PMU" "add: counted in the kernel (PMU counter)" "$T_DIR/err"
expect_eq "Ctrl-C: the table, exact" \
	"$(rows "$T_DIR/out" | sort | tr -s ' ' | tr '\n' ,)" "add 300,fact 12,"
hygiene_check "PMU counters: tracefs left as found"

# with --filter the events are counted here, and -v says so
"$SONDE" count -v -c "$F 20" "u:$F:add a=arg1:s32" --filter 'a > 15' \
	>"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "--filter: only matching calls" \
	"$(rows "$T_DIR/out" | tr -s ' ')" "add 5"
expect_grep "-v: counted here" "add: events counted here" "$T_DIR/err"

# usage errors
"$SONDE" count >/dev/null 2>&1
expect_eq "no probe: exit 2" "$?" 2
"$SONDE" count "u:$F:add" -i 0 >/dev/null 2>&1
expect_eq "-i 0: exit 2" "$?" 2
finish
