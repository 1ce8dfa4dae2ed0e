#!/bin/bash
# sonde latency over a wildcard: one histogram per function, each paired
# on its own (per thread, recursion nested), as BCC's funclatency -F. The
# call counts and least durations are the fixture's C source's
# (lat_glob.c); every backend latency can use is checked, auto included
# (12 probes: more than 8, so it takes bpf).
. "$(dirname "$0")/lib.sh"
require_root
require_uprobes
bin=$FIXTURES/lat_glob
require_file "$SONDE" "$bin"

# per function: calls, least duration in ns (lat_glob.c)
want="lat_fast 20 0
lat_rec 6 1000000
lat_sleep10 3 10000000
lat_sleep2 5 2000000
lat_worker 8 3000000"

# "NAME COUNT MIN P50 MAX" per histogram of a JSON latency table
hists()
{
	sed 's/"unpaired".*//; s/{"probe":/\n&/g' "$1" |
		sed -n 's/^{"probe":"\([^"]*\)","count":\([0-9]*\),"sum":[0-9-]*,"min":\([0-9-]*\),"max":\([0-9-]*\),"avg":[0-9-]*,"p50":\([0-9-]*\),.*/\1 \2 \3 \5 \4/p' |
		sort
}

# "NAME PAIRED ORPHANS OPEN" of the unpaired list
unpaired()
{
	sed -n 's/.*"unpaired":\[//p' "$1" | sed 's/{"probe":/\n&/g' |
		sed -n 's/^{"probe":"\([^"]*\)","paired":\([0-9]*\),"returns_without_entry":\([0-9]*\),"entries_without_return":\([0-9]*\)}.*/\1 \2 \3 \4/p' |
		sort
}

# check_hists NAME FILE: counts exact, durations at least the sleep, and
# under a second (sanity)
check_hists()
{
	local got bad
	hists "$2" >"$T_DIR/h"
	got=$(awk '$1 ~ /^lat_/ { print $1, $2 }' "$T_DIR/h")
	expect_eq "$1: one histogram per called function, calls as in the source" \
		"$got" "$(echo "$want" | awk '{ print $1, $2 }')"
	bad=$(echo "$want" | awk 'NR == FNR { least[$1] = $3; next }
		($1 in least) && ($3 < least[$1] || $4 < least[$1] || $5 >= 1000000000) {
			print $1 ": min " $3 " p50 " $4 " max " $5 ", least " least[$1] }' \
		- "$T_DIR/h")
	expect_eq "$1: min and p50 at least the function's sleep" "${bad:-none short}" "none short"
}

for be in auto tracefs perf bpf; do
	hygiene_begin
	"$SONDE" latency -v --backend $be -f json -c "$bin" "u:$bin:lat_*" \
		>"$T_DIR/out" 2>"$T_DIR/err"
	expect_eq "$be: exit status" "$?" 0
	[ $be = auto ] && expect_grep "auto: 12 probes take the bpf backend" \
		'^sonde: backend: bpf$' "$T_DIR/err"
	check_hists "$be" "$T_DIR/out"
	expect_eq "$be: every call paired, none left over" \
		"$(unpaired "$T_DIR/out")" "$(echo "$want" | awk '{ print $1, $2, 0, 0 }')"
	hygiene_check "$be: tracefs left as found"
done

# text: one block per function, lat_never (never called) has none
"$SONDE" latency -c "$bin" "u:$bin:lat_*" >"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "text: one @[function] block per called function" \
	"$(sed -n 's/^@\[\(.*\)\]:$/\1/p' "$T_DIR/out" | sort | tr '\n' ' ')" \
	"lat_fast lat_rec lat_sleep10 lat_sleep2 lat_worker "

# every function of the program (the issue's 'u:./primes:*'): the same
# rows among the others; _start never returns, and is said so by name
hygiene_begin
"$SONDE" latency -f json -c "$bin" "u:$bin:*" >"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "*: exit status" "$?" 0
check_hists "*" "$T_DIR/out"
expect_eq "*: main once" "$(hists "$T_DIR/out" | awk '$1 == "main" { print $2 }')" 1
expect_eq "*: _start's entry without return, by name" \
	"$(unpaired "$T_DIR/out" | awk '$1 == "_start"')" "_start 0 0 1"
hygiene_check "*: tracefs left as found"

# two functions given by name, as before: each its own histogram
"$SONDE" latency -f json -c "$bin" "u:$bin:lat_sleep2" "u:$bin:lat_rec" \
	>"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "by name: each its own histogram" \
	"$(hists "$T_DIR/out" | awk '{ print $1, $2 }' | tr '\n' ,)" "lat_rec 6,lat_sleep2 5,"
# C++: the overloads a wildcard matches are each a function of its own,
# named as the source has them (cxx_prog.cpp: each called N times)
cxx=$FIXTURES/cxx_prog
if [ -x "$cxx" ]; then
	"$SONDE" latency -f json -c "$cxx 3" "u:$cxx:ns::*" >"$T_DIR/out" 2>"$T_DIR/err"
	expect_eq "C++: one histogram per overload, demangled, 3 calls each" \
		"$(hists "$T_DIR/out" | awk '{ $NF = ""; $(NF - 1) = ""; $(NF - 2) = ""; print }' |
			sed 's/ *$//' | tr '\n' ,)" \
		"ns::Cls::method(char const*) 3,ns::Cls::method(int) 3,ns::Cls::method(int, int) 3,ns::inner::compute(long) 3,"
else
	skip "C++" "no cxx_prog (no C++ compiler)"
fi
finish
