#!/bin/bash
# DWARF that broke the readers: a 640-character function name (its full
# signature in `list -v`, its variables by name; the name and the values
# follow from fixture_longname.c: "long_name_" doubled six times, called
# once as LONG_NAME(argc, argv[0]) with argc 1), and a .debug_str without
# its final NUL (fixture_badstr.S), refused as malformed with the reason.
. "$(dirname "$0")/lib.sh"
F=$FIXTURES/fixture_longname
B=$FIXTURES/libfixture_badstr.so
require_file "$SONDE" "$F" "$B"

name=
for i in $(seq 64); do name=${name}long_name_; done

"$SONDE" list -v "u:$F:long*" >"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "list -v long name: exit status" "$?" 0
# address and size as nm -S reads them from .symtab
set -- $(nm -S "$F" | grep " T $name\$")
want=$(printf '%016x %6d %s  int %s(int first, const char *second)' \
	$((16#$1)) $((16#$2)) "$name" "$name")
expect_eq "list -v long name: address, size, name, the whole signature" \
	"$(grep -c -x -F -e "$want" "$T_DIR/out")" 1

"$SONDE" list -v "u:$B" >"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "list -v unterminated .debug_str: exit status" "$?" 0
expect_grep "list -v unterminated .debug_str: the function, from .symtab" \
	' unterminated$' "$T_DIR/out"
expect_grep "list -v unterminated .debug_str: said malformed" \
	'malformed debug info, so no signatures' "$T_DIR/err"

"$SONDE" trace "u:$B:unterminated x=x" >"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "variable in unterminated .debug_str: refused, exit 2" "$?" 2
expect_grep "variable in unterminated .debug_str: the reason" \
	'its \.debug_str does not end with a NUL' "$T_DIR/err"

if [ "$(id -u)" = 0 ] && [ -r "$TRACEFS/uprobe_events" ]; then
	hygiene_begin
	for be in tracefs perf bpf; do
		"$SONDE" trace --backend "$be" -c "$F" \
			"u:$F:$name first second:string" \
			>"$T_DIR/out" 2>"$T_DIR/err"
		expect_eq "$be: long name traced, exit status" "$?" 0
		expect_grep "$be: first=argc, second=argv[0]" \
			": first=1 second=\"$F\"\$" "$T_DIR/out"
	done
	hygiene_check "long name: tracefs left as found"
else
	skip "long name traced" "needs root and uprobes"
fi
finish
