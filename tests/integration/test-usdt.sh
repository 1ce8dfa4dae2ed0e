#!/bin/bash
# usdt:TARGET:[PROVIDER:]NAME on fixture_usdt: the note's arguments with
# their sizes and signs, every location of a probe, and a probe behind a
# semaphore that fires only because the kernel raises it (ref_ctr_offset).
. "$(dirname "$0")/lib.sh"
require_root
require_uprobes
bin=$FIXTURES/fixture_usdt
require_file "$SONDE" "$bin"

N=3
want()
{
	local i
	for i in $(seq 1 $N); do
		echo "tick: i=$i big=$((i * 1000)) neg=-$i counter=$((i * 100)) name=\"tick-$i\""
		echo "small: arg1=$((i + 200)) arg2=-$((3 * i))"
		echo "twice: arg1=$i"
		echo "twice_2: arg1=$((i + 100))"
		echo "hot: arg1=$i arg2=$((i * 100 + 1))"
	done
}
want | sort >"$T_DIR/want"

# tracefs: the kernel fetches every argument form (%reg, -N(%reg),
# sym(%rip) as @+OFF, a string through a pointer)
hygiene_begin
"$SONDE" trace --backend tracefs -c "$bin $N" \
	"usdt:$bin:fixture:tick i=arg1 big=arg2 neg=arg3 counter=arg4 name=arg5:string" \
	"usdt:$bin:small" "usdt:$bin:twice" "usdt:$bin:fixture:hot" \
	>"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "tracefs: exit status" "$?" 0
events "$T_DIR/out" | sort >"$T_DIR/got"
expect_file_eq "tracefs: every probe, location and argument, exact" \
	"$T_DIR/got" "$T_DIR/want"
expect_grep "tracefs: summary" "^sonde: $((N * 5)) events, 0 lost$" \
	"$T_DIR/err"
hygiene_check "tracefs: tracefs left as found"

# the uprobe PMU takes the semaphore too (its ref_ctr_offset format)
hygiene_begin
"$SONDE" trace --backend perf -c "$bin $N" "usdt:$bin:hot" \
	"usdt:$bin:twice" >"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "perf: exit status" "$?" 0
events "$T_DIR/out" | sort >"$T_DIR/got"
grep -E '^(hot|twice)' "$T_DIR/want" >"$T_DIR/want.perf"
expect_file_eq "perf: semaphore probe and both locations, exact" \
	"$T_DIR/got" "$T_DIR/want.perf"
hygiene_check "perf: tracefs left as found"

# The same address without the semaphore never fires: the program skips
# the probe while nobody raised fixture_hot_semaphore.
loc=$(readelf -n "$bin" | awk '/Name: hot/ { getline; sub(",", "", $2); print $2 }')
"$SONDE" trace --backend tracefs -c "$bin $N" "u:$bin:$loc" \
	>"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "no semaphore: exit status" "$?" 0
expect_grep "no semaphore: the probe at $loc never fires" \
	"^sonde: 0 events, 0 lost$" "$T_DIR/err"

# errors: one sentence, exit 2, with the caret under the name
"$SONDE" trace -d 0.1 "usdt:$bin:nope" >/dev/null 2>"$T_DIR/err"
expect_eq "unknown probe: exit 2" "$?" 2
expect_grep "unknown probe: the probes it has" \
	"^sonde: no USDT probe 'nope' in .*/fixture_usdt; it has fixture:twice, fixture:tick, fixture:small, fixture:hot$" \
	"$T_DIR/err"
"$SONDE" trace -d 0.1 "usdt:$bin:tick arg6" >/dev/null 2>"$T_DIR/err"
expect_eq "arg6 of a 5-argument probe: exit 2" "$?" 2
expect_grep "arg6: says how many there are" \
	"^sonde: probe fixture:tick has 5 arguments: arg6 is not one$" \
	"$T_DIR/err"
"$SONDE" trace -d 0.1 "usdt:$bin:other:tick" >/dev/null 2>"$T_DIR/err"
expect_eq "wrong provider: exit 2" "$?" 2
"$SONDE" trace -d 0.1 "usdt:$FIXTURES/fixture_dwarf:tick" >/dev/null \
	2>"$T_DIR/err"
expect_grep "a file without notes says so" \
	"it has no .note.stapsdt$" "$T_DIR/err"

# sonde list usdt: every location as readelf reads the notes
readelf -n "$bin" | awk '
	/Provider:/ { sub(/.*Provider: /, ""); prov = $0 }
	/Name:/ { name = $2 }
	/Location:/ { sub(",", "", $2); sub(",", "", $4); loc = $2; sem = $6 }
	/Arguments:/ { sub(/ *Arguments: /, ""); n = split($0, a, " ")
		s = (sem + 0 != 0 || sem != "0x0000000000000000") ? " semaphore=0x" substr(sem, 3) : ""
		sub(/=0x0*/, "=0x", s)
		printf "%s %s:%s%s args=%d %s\n", substr(loc, 3), prov, name, s, n, $0 }' \
	>"$T_DIR/want.list"
"$SONDE" list -q "usdt:$bin" >"$T_DIR/got.list" 2>"$T_DIR/err"
expect_eq "list usdt: exit status" "$?" 0
expect_file_eq "list usdt: address, name, semaphore, arguments" \
	"$T_DIR/got.list" "$T_DIR/want.list"
"$SONDE" list "usdt:$bin" >/dev/null 2>"$T_DIR/err"
expect_grep "list usdt: the count" "^5 USDT probe locations in " "$T_DIR/err"

# -p PID: every object the process maps
sleep 5 &
sp=$!
T_BGPIDS="$T_BGPIDS $sp"
sleep 0.2
"$SONDE" list -q -p $sp 'u::nanosleep' >"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "list -p: exit status" "$?" 0
expect_eq "list -p: one header per mapped object" \
	"$(grep -c '^# /' "$T_DIR/out")" \
	"$(awk '$2 ~ /x/ && $6 ~ /^\// { print $6 }' /proc/$sp/maps | sort -u | wc -l)"
expect_grep "list -p: libc's nanosleep is listed" \
	"^[0-9a-f]\{16\} *[0-9]* nanosleep$" "$T_DIR/out"
kill $sp 2>/dev/null

finish
