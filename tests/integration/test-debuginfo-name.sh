#!/bin/bash
# A separate debug file found by name in --debug-dir: a program stripped
# with no .gnu_debuglink, its `objcopy --only-keep-debug` file saved as
# DIR/NAME.debug (bpftrace's uprobe_test-stripped.debug case), or an
# unstripped copy as DIR/NAME. Symbols and variables by name are read from
# it, with the values the C source passes; a NAME.debug whose build-id is
# another program's is refused (said with -v) and never read.
. "$(dirname "$0")/lib.sh"
require_root
require_uprobes
F=$FIXTURES
require_file "$SONDE" "$F/dwarf_entry_O0" "$F/dwarf_entry_O2"

hygiene_begin
mkdir -p "$T_DIR/bin" "$T_DIR/dbg" "$T_DIR/copy" "$T_DIR/wrong" "$T_DIR/none"
prog=$T_DIR/bin/prog
objcopy --strip-all "$F/dwarf_entry_O0" "$prog"
objcopy --only-keep-debug "$F/dwarf_entry_O0" "$T_DIR/dbg/prog.debug"
cp "$F/dwarf_entry_O0" "$T_DIR/copy/prog"
# another build of the same source: other code, another build-id
objcopy --only-keep-debug "$F/dwarf_entry_O2" "$T_DIR/wrong/prog.debug"

if readelf -SW "$prog" | grep -qE ' \.symtab | \.gnu_debuglink '; then
	bail "the stripped program still has .symtab or a .gnu_debuglink"
fi
id_of()
{
	readelf -n "$1" | awk '/Build ID/ { print $3 }'
}
id=$(id_of "$prog")
if [ -z "$id" ] || [ "$id" = "$(id_of "$T_DIR/wrong/prog.debug")" ]; then
	bail "the fixtures need two different build-ids"
fi

SPEC="u:$prog:uprobeFunction2 a=foo1->a b=foo1->b:string"
WANT='uprobeFunction2: a=124 b="hello" uprobeFunction2: a=125 b="hello"'

"$SONDE" trace -q -c "$prog 2" "$SPEC" >/dev/null 2>"$T_DIR/err"
expect_eq "without --debug-dir: not found (exit 2)" "$?" 2

# trace_in NAME DIRS: the values read with --debug-dir DIRS
trace_in()
{
	"$SONDE" trace -v --debug-dir "$2" -c "$prog 2" "$SPEC" \
		>"$T_DIR/out" 2>"$T_DIR/err"
	expect_eq "$1: exit status" "$?" 0
	expect_eq "$1: the values the C source passes" \
		"$(events "$T_DIR/out" | paste -sd' ')" "$WANT"
}

trace_in "NAME.debug" "$T_DIR/none:$T_DIR/dbg"
expect_grep "NAME.debug: -v names the debug file" \
	"^sonde: debug info of $prog: $T_DIR/dbg/prog.debug$" "$T_DIR/err"

trace_in "an unstripped copy as NAME" "$T_DIR/copy"
expect_grep "NAME: -v names the copy" \
	"^sonde: debug info of $prog: $T_DIR/copy/prog$" "$T_DIR/err"

"$SONDE" trace -v --debug-dir "$T_DIR/wrong" -c "$prog 1" "$SPEC" \
	>/dev/null 2>"$T_DIR/err"
expect_eq "another build-id only: not used (exit 2)" "$?" 2
expect_grep "another build-id: says it was refused" \
	"$T_DIR/wrong/prog.debug was refused: its build-id differs from the file's" \
	"$T_DIR/err"

trace_in "another build-id first, then the right one" \
	"$T_DIR/wrong:$T_DIR/dbg"
expect_grep "the wrong one is said with -v" \
	"^sonde: $T_DIR/wrong/prog.debug was refused: its build-id differs from the file's$" \
	"$T_DIR/err"
expect_grep "the right one is used" \
	"^sonde: debug info of $prog: $T_DIR/dbg/prog.debug$" "$T_DIR/err"

hygiene_check "tracefs left as found"
finish
