#!/bin/bash
# usdt:TARGET:GLOB and usdt:TARGET:PROVIDER:GLOB (globs on both) in
# `sonde list` and in probe specs, on spec_sites (sites:alpha, sites:beta,
# other:alpha; libsites.so: libsites:ping). References: bpftrace 0.17's
# `bpftrace -l` on the same binary (the probe names) and readelf -n's
# .note.stapsdt (the locations); the hits are spec_sites.c's: each probe
# once per i = 1..N.
. "$(dirname "$0")/lib.sh"
bin=$(cd "$FIXTURES" && pwd)/spec_sites
lib=$(cd "$FIXTURES" && pwd)/libsites.so
require_file "$SONDE" "$bin" "$lib"
command -v readelf >/dev/null || { skip "$T_NAME" "no readelf"; finish; }
N=4

# "PROVIDER NAME" of each location in readelf -n's notes
readelf -nW "$bin" | sed -n 's/.*Provider: //p; s/^ *Name: //p' | paste -d' ' - - \
	>"$T_DIR/notes"
[ -s "$T_DIR/notes" ] || bail "readelf -n shows no stapsdt notes in $bin"

# matching PROVIDER-GLOB NAME-GLOB: the notes' locations that match, as
# PROVIDER:NAME lines sorted
matching()
{
	local p n
	while read -r p n; do
		# shellcheck disable=SC2254 # the globs are the point
		case $p in $1) ;; *) continue ;; esac
		# shellcheck disable=SC2254
		case $n in $2) echo "$p:$n" ;; esac
	done <"$T_DIR/notes" | sort
}

# "PATTERN PROVIDER-GLOB NAME-GLOB": what list prints for PATTERN is the
# notes that match, location by location
while read -r pat pg ng; do
	"$SONDE" list "usdt:$bin:$pat" >"$T_DIR/list" 2>"$T_DIR/err"
	expect_eq "list usdt:T:$pat: exit status" "$?" 0
	awk '{ print $2 }' "$T_DIR/list" | sort >"$T_DIR/got"
	matching "$pg" "$ng" >"$T_DIR/want"
	expect_file_eq "list usdt:T:$pat: the stapsdt notes that match" \
		"$T_DIR/got" "$T_DIR/want"
	expect_grep "list usdt:T:$pat: the count on stderr" \
		"^$(wc -l <"$T_DIR/want") USDT probe location" "$T_DIR/err"
done <<'EOT'
* * *
al* * al*
*:alpha * alpha
s*:* s* *
sites:* sites *
other:a* other a*
[so]*:?eta [so]* ?eta
nope* * nope*
EOT

# the same names as bpftrace -l (its globs: '*')
if command -v bpftrace >/dev/null && [ "$(id -u)" = 0 ]; then
	for pat in '*' 'al*' '*:alpha' 's*:*' 'other:*' 'nope*'; do
		bpftrace -l "usdt:$bin:$pat" 2>/dev/null |
			sed "s|^usdt:$bin:||" | sort -u >"$T_DIR/bt"
		"$SONDE" list "usdt:$bin:$pat" 2>/dev/null |
			awk '{ print $2 }' | sort -u >"$T_DIR/got"
		expect_file_eq "list usdt:T:$pat: the names bpftrace -l gives" \
			"$T_DIR/got" "$T_DIR/bt"
	done
else
	skip "list against bpftrace -l" "no bpftrace, or not root"
fi

# a library's notes, a bad target
"$SONDE" list "usdt:$lib:lib*:p*" >"$T_DIR/list" 2>/dev/null
expect_eq "list usdt:LIB:lib*:p*" "$(awk '{ print $2 }' "$T_DIR/list")" \
	"libsites:ping"
"$SONDE" list "usdt:/nonexistent/prog:*" >/dev/null 2>"$T_DIR/err"
expect_eq "list usdt:/nonexistent:*: a usage error" "$?" 2

if [ "$(id -u)" != 0 ] || [ ! -e /sys/bus/event_source/devices/uprobe ]; then
	skip "$T_NAME: hits" "needs root and uprobes"
	finish
fi
hygiene_begin
# -p PID and usdt::GLOB: the objects the process maps, each filtered
"$bin" 1 --wait >"$T_DIR/ready" &
wpid=$!
T_BGPIDS="$T_BGPIDS $wpid"
wait_line "$T_DIR/ready" '^ready$' || bail "spec_sites did not start"
"$SONDE" list -p "$wpid" 'usdt::*:[ap]*' >"$T_DIR/list" 2>/dev/null
expect_eq "list -p usdt::*:[ap]*: the program's and its library's" \
	"$(awk '/^#/ { f = $2; next } { print f, $2 }' "$T_DIR/list" | sort)" \
	"$(printf '%s\n' "$lib libsites:ping" "$bin other:alpha" \
		"$bin sites:alpha" | sort)"
kill -USR1 "$wpid"
wait "$wpid"
# count: each location N times; the total is N per matching location
for pat in '*' '*:alpha' 's*:*' '[so]*:alpha' 'b*'; do
	pg=${pat%%:*} ng=${pat#*:}
	[ "$pg" = "$pat" ] && pg='*'
	want=$(($(matching "$pg" "$ng" | wc -l) * N))
	"$SONDE" count -c "$bin $N" "usdt:$bin:$pat" >"$T_DIR/out" 2>"$T_DIR/err"
	expect_eq "count usdt:T:$pat: exit status" "$?" 0
	expect_eq "count usdt:T:$pat: total" \
		"$(awk '$1 == "total" { print $2 }' "$T_DIR/out")" "$want"
	expect_eq "count usdt:T:$pat: every probe N times" \
		"$(awk '$1 != "probe" && $1 != "total" && $2 != '"$N"'' "$T_DIR/out")" ""
done
# trace: both providers' alpha, with their own arguments
"$SONDE" trace -c "$bin $N" "usdt:$bin:*:alpha" >"$T_DIR/out" 2>"$T_DIR/err"
events "$T_DIR/out" | sed 's/^[a-z_0-9]*: //' | sort >"$T_DIR/got"
for i in $(seq 1 $N); do
	echo "arg1=$i arg2=$((i * 2))"
	echo "arg1=$((i + 1000))"
done | sort >"$T_DIR/want"
expect_file_eq "trace usdt:T:*:alpha: sites:alpha and other:alpha" \
	"$T_DIR/got" "$T_DIR/want"
hygiene_check "usdt globs: tracefs left as found"
finish
