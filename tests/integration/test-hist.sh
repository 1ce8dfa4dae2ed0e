#!/bin/bash
# sonde hist on the fixture's known arguments: exact log2 and linear
# buckets, per key, of a return value, as text, JSON and CSV.
. "$(dirname "$0")/lib.sh"
require_root
require_uprobes
F=$FIXTURES/fixture_pie
require_file "$SONDE" "$F"

# "LABEL COUNT" of each bucket line of a text histogram
buckets()
{
	sed -n 's/^\(\[[^]]*[])]\|([^)]*)\) *\([0-9][0-9]*\) |.*|$/\1 \2/p' "$1" |
		tr '\n' ,
}

# add(i, 2i), i = 1..100: arg1 = 1..100
hygiene_begin
"$SONDE" hist -c "$F 100" "u:$F:add" --value arg1 >"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "log2: exit status" "$?" 0
expect_eq "log2: exact buckets of 1..100" "$(buckets "$T_DIR/out")" \
	"[1] 1,[2, 4) 2,[4, 8) 4,[8, 16) 8,[16, 32) 16,[32, 64) 32,[64, 128) 37,"
expect_grep "log2: count, sum, min, max" \
	"^count 100, sum 5050, avg 50, min 1, max 100$" "$T_DIR/out"
expect_grep "log2: bars, the largest full" \
	'^\[64, 128) *37 |@\{52\}|$' "$T_DIR/out"
hygiene_check "log2: tracefs left as found"

# arg2 = 2i: the empty leading buckets [1] and below are left out
"$SONDE" hist -c "$F 20" "u:$F:add" --value arg2 >"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "log2: 2..40, empty leading buckets omitted" "$(buckets "$T_DIR/out")" \
	"[2, 4) 1,[4, 8) 2,[8, 16) 4,[16, 32) 8,[32, 64) 5,"

# linear: 0..50 by 10, values 1..100
"$SONDE" hist -c "$F 100" "u:$F:add" --value arg1 --linear 0,50,10 \
	>"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "linear: exact buckets" "$(buckets "$T_DIR/out")" \
	"[0, 10) 9,[10, 20) 10,[20, 30) 10,[30, 40) 10,[40, 50) 10,[50, ...) 51,"
"$SONDE" hist -c "$F 30" "u:$F:add" --value arg1 --linear 10,20,5 \
	>"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "linear: below MIN and from MAX on" "$(buckets "$T_DIR/out")" \
	"(..., 10) 9,[10, 15) 5,[15, 20) 5,[20, ...) 11,"

# return value: 3i, i = 1..10 -> 3..30; the probe fetches retval itself
"$SONDE" hist -c "$F 10" "ur:$F:add" --value retval >"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "retval: exact buckets" "$(buckets "$T_DIR/out")" \
	"[2, 4) 1,[4, 8) 1,[8, 16) 3,[16, 32) 5,"

# per key: two threads, one histogram per thread (tracefs: the perf backend
# cannot follow new threads of -c yet)
"$SONDE" hist --backend tracefs -c "$F 8 --threads 2" "u:$F:add" \
	--value arg1 --by tid >"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "--by tid: two histograms of 1..8" \
	"$(grep -c '^@\[add, [0-9]*\]:$' "$T_DIR/out") $(buckets "$T_DIR/out")" \
	"2 [1] 1,[2, 4) 2,[4, 8) 4,[8, 16) 1,[1] 1,[2, 4) 2,[4, 8) 4,[8, 16) 1,"

# JSON: lower/upper bounds and counts; CSV likewise
"$SONDE" hist -f json -c "$F 5" "u:$F:add" --value arg1 >"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "json: buckets with bounds" "$(cat "$T_DIR/out")" \
	'{"schema":"sonde/1","type":"hist","hists":[{"probe":"add","count":5,"sum":15,"min":1,"max":5,"buckets":[{"lower":1,"upper":2,"count":1},{"lower":2,"upper":4,"count":2},{"lower":4,"upper":8,"count":2}]}]}'
"$SONDE" hist -f json -c "$F 5" "u:$F:add" --value arg1 --linear 2,4,1 \
	>"$T_DIR/out" 2>"$T_DIR/err"
expect_grep "json: open ends are null" \
	'"buckets":\[{"lower":null,"upper":2,"count":1},{"lower":2,"upper":3,"count":1},{"lower":3,"upper":4,"count":1},{"lower":4,"upper":null,"count":2}\]' \
	"$T_DIR/out"
"$SONDE" hist -f csv -c "$F 5" "u:$F:add" --value arg1 >"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "csv: one line per bucket" "$(tr '\n' ' ' <"$T_DIR/out")" \
	"probe,lower,upper,count add,1,2,1 add,2,4,2 add,4,8,2 "

"$SONDE" hist "u:$F:add" >/dev/null 2>&1
expect_eq "no --value: exit 2" "$?" 2
"$SONDE" hist "u:$F:add" --value arg1 --linear 5,1,1 >/dev/null 2>&1
expect_eq "--linear MAX < MIN: exit 2" "$?" 2
finish
