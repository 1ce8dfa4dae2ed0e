#!/bin/bash
# Separate debug info: a stripped program's static function is found in its
# .gnu_debuglink file (CRC checked: a wrong one is refused), in its
# MiniDebugInfo, and by build-id under --debug-dir; a libc function that
# only libc6-dbg names is probed when that package is installed.
. "$(dirname "$0")/lib.sh"
require_root
require_uprobes
F=$FIXTURES
require_file "$SONDE" "$F/dbg_prog" "$F/dbg_link" "$F/dbg_link.debug" \
	"$F/dbg_badcrc" "$F/dbg_mini"

hygiene_begin

# the fixtures really are stripped: no .symtab, and the function is local
for b in dbg_link dbg_badcrc dbg_mini; do
	if readelf -SW "$F/$b" | grep -q ' \.symtab '; then
		not_ok "$b has no .symtab"
	else
		ok "$b has no .symtab"
	fi
done
expect_eq "hidden_sum is not in .dynsym" \
	"$(readelf --dyn-syms -W "$F/dbg_link" | grep -c hidden_sum)" 0

want_addr=$(readelf -sW "$F/dbg_prog" | awk '$8 == "hidden_sum" { print $2 }')
for b in dbg_link dbg_mini; do
	got=$("$SONDE" list -q "u:$F/$b:hidden*" 2>&1)
	expect_eq "list $b: hidden_sum at its address" "$got" \
		"$(printf '%016x %6d hidden_sum' "0x$want_addr" \
			"$(readelf -sW "$F/dbg_prog" |
				awk '$8 == "hidden_sum" { print $3 }')")"
done

# trace_n NAME BIN N: hidden_sum(i, 3i) for i = 1..N, exactly
trace_n()
{
	local name=$1 bin=$2 n=$3 i
	shift 3
	"$SONDE" trace -q "$@" -c "$bin $n" \
		"u:$bin:hidden_sum a=arg1:s32 b=arg2:s32" >"$T_DIR/out" \
		2>"$T_DIR/err"
	for i in $(seq 1 "$n"); do
		echo "hidden_sum: a=$i b=$((3 * i))"
	done >"$T_DIR/want"
	events "$T_DIR/out" >"$T_DIR/got"
	if cmp -s "$T_DIR/got" "$T_DIR/want"; then
		ok "$name"
	else
		not_ok "$name" "$(diff "$T_DIR/want" "$T_DIR/got"; cat "$T_DIR/err")"
	fi
}

trace_n "debuglink: a static function of a stripped program" "$F/dbg_link" 3
trace_n "MiniDebugInfo (.gnu_debugdata)" "$F/dbg_mini" 4

"$SONDE" trace -q -c "$F/dbg_badcrc 1" "u:$F/dbg_badcrc:hidden_sum" \
	>"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "wrong debuglink CRC: refused (exit 2)" "$?" 2
expect_grep "wrong debuglink CRC: says why" \
	"dbg_badcrc.debug was refused: its CRC does not match" "$T_DIR/err"

# build-id: the debug file alone under DIR/.build-id/ab/cdef.debug
id=$(readelf -n "$F/dbg_link" | awk '/Build ID/ { print $3 }')
if [ -z "$id" ]; then
	skip "build-id lookup" "the fixture has no build-id note"
else
	mkdir -p "$T_DIR/bin" "$T_DIR/dbg/.build-id/${id:0:2}"
	cp "$F/dbg_link" "$T_DIR/bin/prog"
	cp "$F/dbg_link.debug" "$T_DIR/dbg/.build-id/${id:0:2}/${id:2}.debug"
	"$SONDE" trace -q -c "$T_DIR/bin/prog 1" "u:$T_DIR/bin/prog:hidden_sum" \
		>/dev/null 2>"$T_DIR/err"
	expect_eq "build-id: not found without --debug-dir (exit 2)" "$?" 2
	trace_n "build-id under --debug-dir" "$T_DIR/bin/prog" 2 \
		--debug-dir "$T_DIR/none:$T_DIR/dbg"
fi

# libc6-dbg: __libc_start_call_main is in libc's debug file only; it runs
# once per program start
libc=$(ldd /bin/true | awk '$1 ~ /^libc\.so/ { print $3 }')
lid=$(readelf -n "$libc" 2>/dev/null | awk '/Build ID/ { print $3 }')
if [ -z "$lid" ] || [ ! -e "/usr/lib/debug/.build-id/${lid:0:2}/${lid:2}.debug" ]; then
	skip "libc's separate debug file" \
		"libc6-dbg is not installed (no /usr/lib/debug/.build-id/${lid:0:2}/${lid:2}.debug)"
elif readelf --dyn-syms -W "$libc" | grep -q ' __libc_start_call_main$'; then
	skip "libc's separate debug file" "__libc_start_call_main is in .dynsym here"
else
	"$SONDE" trace -q -c "/bin/true" "u:libc:__libc_start_call_main" \
		>"$T_DIR/out" 2>"$T_DIR/err"
	expect_eq "libc6-dbg: a function named only in libc's debug file" \
		"$(events "$T_DIR/out" | sed "s/ *$//")" "__libc_start_call_main:"
fi

hygiene_check "debuginfo: tracefs left as found"
finish
