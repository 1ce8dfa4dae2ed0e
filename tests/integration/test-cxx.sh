#!/bin/bash
# C++: functions probed by demangled name (whole, without parameters: every
# overload, or a glob), listed demangled, with kernel-valid event names.
. "$(dirname "$0")/lib.sh"
require_root
require_uprobes
bin=$FIXTURES/cxx_prog
if [ ! -x "$bin" ]; then
	skip "$T_NAME" "no C++ compiler: cxx_prog was not built"
	finish
fi
require_file "$SONDE"

hygiene_begin

"$SONDE" list -q "u:$bin:ns::*" | awk '{ $1 = ""; $2 = ""; sub(/^ +/, ""); print }' \
	>"$T_DIR/got"
cat >"$T_DIR/want" <<'EOT'
ns::Cls::method(int)
ns::Cls::method(int, int)
ns::Cls::method(char const*)
ns::inner::compute(long)
EOT
sort -o "$T_DIR/got" "$T_DIR/got"
sort -o "$T_DIR/want" "$T_DIR/want"
expect_file_eq "list: demangled names matched by a glob" "$T_DIR/got" "$T_DIR/want"

# every overload of ns::Cls::method, N = 2 calls each; names by address
"$SONDE" trace -q --backend tracefs -c "$bin 2" "u:$bin:ns::Cls::method" \
	>"$T_DIR/out" 2>"$T_DIR/err"
events "$T_DIR/out" | sed 's/:.*//' | sort | uniq -c |
	awk '{ print $2, $1 }' >"$T_DIR/got"
printf '%s\n' "ns__Cls__method 2" "ns__Cls__method_2 2" \
	"ns__Cls__method_3 2" >"$T_DIR/want"
expect_file_eq "ns::Cls::method: one probe per overload, exact counts" \
	"$T_DIR/got" "$T_DIR/want"

# one overload by its whole signature; this is arg1, x is arg2
"$SONDE" trace -q -c "$bin 3" "u:$bin:ns::Cls::method(int) x=arg2:s32" \
	>"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "ns::Cls::method(int): that overload only, its argument" \
	"$(events "$T_DIR/out" | tr '\n' ';')" \
	"ns__Cls__method_int_: x=1;ns__Cls__method_int_: x=2;ns__Cls__method_int_: x=3;"

"$SONDE" trace -q -c "$bin 2" "u:$bin:ns::inner::compute a=arg1:s64" \
	>"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "ns::inner::compute: by name without parameters" \
	"$(events "$T_DIR/out" | tr '\n' ';')" \
	"ns__inner__compute: a=10;ns__inner__compute: a=20;"

"$SONDE" trace -q -c "$bin 1" "ur:$bin:ns::inner::*" \
	>"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "ur: with a glob: demangled return probe name" \
	"$(events "$T_DIR/out" | sed 's/:.*//')" "ns__inner__compute__return"

"$SONDE" trace -q -c "$bin 1" "u:$bin:ns::nothing" >/dev/null 2>"$T_DIR/err"
expect_eq "no such C++ function: exit 2" "$?" 2
expect_grep "no such C++ function: says so" "no function matches 'ns::nothing'" \
	"$T_DIR/err"

hygiene_check "cxx: tracefs left as found"
finish
