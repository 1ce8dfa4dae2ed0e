#!/bin/bash
# Wildcards: u:TARGET:GLOB attaches one probe per matching function of a
# generated library of 10,000 (f00000..f09999), definitions written to the
# kernel in page-sized blocks; --max-probes guards against accidents.
. "$(dirname "$0")/lib.sh"
require_root
require_uprobes
lib=$FIXTURES/libmany.so
bin=$FIXTURES/fixture_many
require_file "$SONDE" "$lib" "$bin"

hygiene_begin

expect_eq "the library has 10,000 f* functions" \
	"$("$SONDE" list -q "u:$lib:f[0-9]*" | wc -l | tr -d ' ')" 10000

# 10 functions, each called once, in order
"$SONDE" trace -v --backend tracefs -c "$bin 0 10" "u:$lib:f0000* x=arg1:s32" \
	>"$T_DIR/out" 2>"$T_DIR/err"
for i in $(seq 0 9); do
	printf 'f%05d: x=%d\n' "$i" "$i"
done >"$T_DIR/want"
events "$T_DIR/out" >"$T_DIR/got"
expect_file_eq "f0000*: ten probes, each call once with its argument" \
	"$T_DIR/got" "$T_DIR/want"
expect_grep "f0000*: says how many" \
	"'f0000\*': 10 probes on 10 matching functions, 0 skipped" "$T_DIR/err"

# calls outside the pattern are not traced
"$SONDE" trace -q --backend tracefs -c "$bin 5 25" "u:$lib:f0001*" \
	>"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "f0001*: only f00010..f00019 of the calls f00005..f00024" \
	"$(events "$T_DIR/out" | sed 's/:.*//' | tr '\n' ' ')" \
	"$(for i in $(seq 10 19); do printf 'f%05d ' "$i"; done)"

"$SONDE" trace -q --backend tracefs -c "$bin 0 1" "u:$lib:f[0-9]*" \
	>/dev/null 2>"$T_DIR/err"
expect_eq "f[0-9]*: 10,000 matches over the default limit: exit 2" "$?" 2
expect_grep "f[0-9]*: says why" \
	"'f\[0-9\]\*' matches 10000 functions, more than the limit of 1000 probes" \
	"$T_DIR/err"

"$SONDE" trace -q -c "$bin 0 1" "u:$lib:nomatch*" >/dev/null 2>"$T_DIR/err"
expect_eq "no match: exit 2" "$?" 2

# 200 probes through tracefs: every one fires once; the definitions go in
# blocks (strace counts the writes when it is there)
pat='f00[01][0-9][0-9]'
if command -v strace >/dev/null; then
	# LeakSanitizer cannot run under ptrace: no leak check in this run
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
		strace -f -o "$T_DIR/strace" -e trace=write -yy \
		"$SONDE" trace -q --backend tracefs -c "$bin 0 200" "u:$lib:$pat" \
		>"$T_DIR/out" 2>"$T_DIR/err"
	rc=$?
	nw=$(grep 'uprobe_events>' "$T_DIR/strace" | grep -vc '"-:')
	nr=$(grep 'uprobe_events>' "$T_DIR/strace" | grep -c '"-:')
	if [ "$nw" -ge 1 ] && [ "$nw" -le 10 ] && [ "$nr" -ge 1 ] && [ "$nr" -le 10 ]; then
		ok "200 probes: made in $nw writes, removed in $nr"
	else
		not_ok "200 probes: made and removed in blocks" \
			"$nw writes to make, $nr to remove"
	fi
else
	"$SONDE" trace -q --backend tracefs -c "$bin 0 200" "u:$lib:$pat" \
		>"$T_DIR/out" 2>"$T_DIR/err"
	rc=$?
	skip "200 probes: made in blocks" "no strace to count the writes"
fi
expect_eq "200 probes: exit 0" "$rc" 0
expect_eq "200 probes: 200 distinct events, once each" \
	"$(events "$T_DIR/out" | sed 's/:.*//' | sort -u | wc -l | tr -d ' ') $(events "$T_DIR/out" | wc -l | tr -d ' ')" \
	"200 200"

hygiene_check "wildcard: tracefs left as found"
finish
