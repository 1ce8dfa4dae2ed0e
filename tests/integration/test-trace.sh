#!/bin/bash
# sonde trace on the fixtures: every call is seen, with its exact arguments
# and return value, in text and in JSON, for a PIE and a non-PIE program.
. "$(dirname "$0")/lib.sh"
require_root
require_uprobes
require_file "$SONDE" "$FIXTURES/fixture_pie" "$FIXTURES/fixture_nopie"

N=5
want()
{
	local i
	for i in $(seq 1 $N); do
		echo "add: a=$i b=$((2 * i))"
		echo "add__return: r=$((3 * i))"
		echo "mul3: a=$i b=$((i + 1)) c=$((i + 2))"
		echo "mul3__return: r=$((i * (i + 1) * (i + 2)))"
		echo "greet: name=\"sonde-$i\""
	done
}
want | sort >"$T_DIR/want"

for fx in fixture_pie fixture_nopie; do
	bin=$FIXTURES/$fx
	probes=("u:$bin:add a=arg1:s32 b=arg2:s32" "ur:$bin:add r=retval:s32"
		"u:$bin:mul3 a=arg1 b=arg2 c=arg3" "ur:$bin:mul3 r=retval"
		"u:$bin:greet name=+0(arg1):string")

	# text
	hygiene_begin
	"$SONDE" trace -c "$bin $N" "${probes[@]}" >"$T_DIR/out" 2>"$T_DIR/err"
	expect_eq "$fx text: exit status" "$?" 0
	events "$T_DIR/out" | sort >"$T_DIR/got"
	expect_file_eq "$fx text: every call with its arguments and return value" \
		"$T_DIR/got" "$T_DIR/want"
	expect_grep "$fx text: summary on stderr" \
		"^sonde: $((N * 5)) events, 0 lost$" "$T_DIR/err"
	# one process, one thread: comm and pid/tid are the child's
	expect_eq "$fx text: comm, pid == tid on every line" \
		"$(awk '{ split($3, p, "/"); if ($2 != "'$fx'" || p[1] != p[2]) print "bad: " $0 }' "$T_DIR/out")" ""
	expect_eq "$fx text: timestamps never go back" \
		"$(awk '{ if (NR > 1 && $1 + 0 < t) print "back: " $0; t = $1 + 0 }' "$T_DIR/out")" ""
	hygiene_check "$fx text: tracefs left as found"

	# JSON, to a file with -o
	hygiene_begin
	"$SONDE" trace -q -f json -o "$T_DIR/json" -c "$bin $N" "${probes[@]}" \
		>"$T_DIR/out" 2>"$T_DIR/err"
	expect_eq "$fx json: exit status" "$?" 0
	expect_eq "$fx json: -o leaves stdout empty, -q stderr empty" \
		"$(cat "$T_DIR/out" "$T_DIR/err")" ""
	if json_events "$T_DIR/json" >"$T_DIR/got.raw"; then
		ok "$fx json: every line a JSON object with time/comm/pid/tid/cpu/probe/args"
	else
		not_ok "$fx json: every line a JSON object with time/comm/pid/tid/cpu/probe/args" \
			"$(grep JSON-ERROR "$T_DIR/got.raw")"
	fi
	sort "$T_DIR/got.raw" >"$T_DIR/got"
	expect_file_eq "$fx json: every call with its arguments and return value" \
		"$T_DIR/got" "$T_DIR/want"
	expect_eq "$fx json: comm" \
		"$(json_field "$T_DIR/json" comm | sort -u)" "$fx"
	expect_eq "$fx json: one pid, equal to tid" \
		"$(json_field "$T_DIR/json" pid | sort -u)" \
		"$(json_field "$T_DIR/json" tid | sort -u)"
	hygiene_check "$fx json: tracefs left as found"
done

# Recursion: entries and returns nest, in time order (one thread).
bin=$FIXTURES/fixture_pie
"$SONDE" trace -q -c "$bin 1 --fact 5" "u:$bin:fact n=arg1:s32" \
	"ur:$bin:fact r=retval:s32" >"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "fact: nested entries then returns, in order" \
	"$(events "$T_DIR/out" | tr '\n' ,)" \
	"fact: n=5,fact: n=4,fact: n=3,fact: n=2,fact: n=1,fact__return: r=1,fact__return: r=2,fact__return: r=6,fact__return: r=24,fact__return: r=120,"

# The same function probed twice gets a unique name.
"$SONDE" trace -q -c "$bin 2" "u:$bin:add a=arg1:s32" "u:$bin:add b=arg2:s32" \
	>"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "repeated probe: second one named add_2" \
	"$(events "$T_DIR/out" | sort | tr '\n' ,)" \
	"add: a=1,add: a=2,add_2: b=2,add_2: b=4,"

# -c: the command's exit status is sonde's; killed by a signal: 128+signal.
printf 'exit 7\n' >"$T_DIR/exit7.sh"
printf 'kill -TERM $$\n' >"$T_DIR/killed.sh"
"$SONDE" trace -q -c "sh $T_DIR/exit7.sh" "u:$bin:add" >/dev/null 2>"$T_DIR/err"
expect_eq "-c: command's exit status 7 propagated" "$?" 7
"$SONDE" trace -q -c "sh $T_DIR/killed.sh" "u:$bin:add" >/dev/null 2>"$T_DIR/err"
expect_eq "-c: command killed by SIGTERM gives 143" "$?" 143

finish
