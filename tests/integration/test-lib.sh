#!/bin/bash
# Probes in shared libraries: the fixture's own libfixture.so, and libc's
# malloc in a real program (ls).
. "$(dirname "$0")/lib.sh"
require_root
require_uprobes
require_file "$SONDE" "$FIXTURES/fixture_pie" "$FIXTURES/libfixture.so"

bin=$FIXTURES/fixture_pie
lib=$FIXTURES/libfixture.so
N=3

hygiene_begin
"$SONDE" trace -q -c "$bin $N --lib" "u:$lib:lib_add a=arg1:s32 b=arg2:s32" \
	"ur:$lib:lib_add r=retval:s32" "u:$lib:lib_echo s=+0(arg1):string" \
	>"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "libfixture.so: exit status" "$?" 0
for i in $(seq 1 $N); do
	echo "lib_add: a=$i b=$((10 * i))"
	echo "lib_add__return: r=$((11 * i))"
	echo "lib_echo: s=\"lib-$i\""
done | sort >"$T_DIR/want"
events "$T_DIR/out" | sort >"$T_DIR/got"
expect_file_eq "libfixture.so: every call with arguments and return value" \
	"$T_DIR/got" "$T_DIR/want"
hygiene_check "libfixture.so: tracefs left as found"

# perf-tools' shorthand with a return string: r:LIB:SYM +0($retval):string
hygiene_begin
"$SONDE" trace -q -c "$bin $N --lib" "r:$lib:lib_echo +0(\$retval):string" \
	>"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "r:LIB:SYM +0(\$retval):string: exit status" "$?" 0
expect_eq "r:LIB:SYM +0(\$retval):string: returned strings" \
	"$(events "$T_DIR/out" | sed 's/^[^:]*: [^=]*=//' | tr '\n' ,)" \
	'"lib-1","lib-2","lib-3",'
hygiene_check "r:LIB:SYM: tracefs left as found"

# libc:malloc in ls, while another program (cat) calls malloc too: with -c
# only the command's events are shown.
(while :; do cat /dev/null; done) &
loop=$!
T_BGPIDS="$T_BGPIDS $loop"
hygiene_begin
"$SONDE" trace -q -o "$T_DIR/out" -c "ls -l /" "u:libc:malloc size=arg1:u64" \
	"ur:libc:malloc p=retval:x64" >/dev/null 2>"$T_DIR/err"
rc=$?
kill "$loop" 2>/dev/null
wait "$loop" 2>/dev/null
expect_eq "libc:malloc of ls: exit status" "$rc" 0
n=$(events "$T_DIR/out" | grep -c '^malloc: size=[0-9][0-9]*$')
if [ "$n" -gt 0 ]; then
	ok "libc:malloc of ls: $n calls with a size"
else
	not_ok "libc:malloc of ls: calls with a size" "$(head "$T_DIR/out" "$T_DIR/err")"
fi
expect_eq "libc:malloc of ls: as many returns as calls" \
	"$(events "$T_DIR/out" | grep -c '^malloc__return: p=')" "$n"
expect_eq "libc:malloc of ls: only ls's events with -c" \
	"$(awk '{ print $2 }' "$T_DIR/out" | sort -u)" "ls"
hygiene_check "libc:malloc: tracefs left as found"

finish
