#!/bin/bash
# Bad input gets a clear message and the documented exit status, and
# leaves nothing behind.
. "$(dirname "$0")/lib.sh"
require_root
require_uprobes
require_file "$SONDE" "$FIXTURES/fixture_pie"

bin=$FIXTURES/fixture_pie
hygiene_begin

# bad_spec NAME SPEC BADTEXT: exit 2, the spec echoed with a caret line whose
# caret is under (the start of) BADTEXT.
bad_spec()
{
	"$SONDE" trace -q -d 1 "$2" >"$T_DIR/out" 2>"$T_DIR/err"
	expect_eq "$1: exit status 2" "$?" 2
	local want col
	col=$(awk -v spec="$2" -v bad="$3" '
		index($0, spec) { s = index($0, spec) + (bad == "" ? length(spec) : index(spec, bad) - 1); next }
		s && /^ *\^/ { print (index($0, "^") == s) ? "ok" : "caret at " index($0, "^") " want " s; exit }
		{ s = 0 }' "$T_DIR/err")
	if [ "$col" = ok ]; then
		ok "$1: caret under '$3'"
	else
		not_ok "$1: caret under '$3'" "${col:-no spec line followed by a caret line}
$(cat "$T_DIR/err")"
	fi
}

bad_spec "bad type" "u:$bin:add a=arg1:s99" "s99"
bad_spec "unknown probe kind" "x:$bin:add" "x:"
bad_spec "bad fetcharg" "u:$bin:add a=%nosuchreg" "%nosuchreg"
bad_spec "missing symbol" "u:$bin:" ""

"$SONDE" trace >/dev/null 2>"$T_DIR/err"
expect_eq "trace without a probe: status 2" "$?" 2
"$SONDE" no-such-command >/dev/null 2>"$T_DIR/err"
expect_eq "unknown subcommand: status 2" "$?" 2
"$SONDE" trace -f yaml "u:$bin:add" >/dev/null 2>"$T_DIR/err"
expect_eq "unknown -f format: status 2" "$?" 2

# a target that is not ELF: one sentence naming it (the spec and a caret
# under the target may follow)
printf '#!/bin/sh\necho not an ELF file\n' >"$T_DIR/script.sh"
"$SONDE" trace -q -d 1 "u:$T_DIR/script.sh:main" >"$T_DIR/out" 2>"$T_DIR/err"
rc=$?
first=$(head -n 1 "$T_DIR/err")
case $first in
*script.sh*ELF* | *ELF*script.sh*) named=1 ;;
*) named=0 ;;
esac
if [ "$rc" -ne 0 ] && [ "$named" = 1 ] &&
	[ "$(wc -l <"$T_DIR/err" | tr -d ' ')" -le 3 ]; then
	ok "non-ELF target: one sentence naming it (status $rc): $first"
else
	not_ok "non-ELF target: one sentence naming it" "status $rc; stderr: $(cat "$T_DIR/err")"
fi

"$SONDE" trace -q -d 1 "u:/no/such/file:main" >"$T_DIR/out" 2>"$T_DIR/err"
rc=$?
if [ "$rc" -ne 0 ] && grep -q "/no/such/file" "$T_DIR/err"; then
	ok "missing target: refused, named (status $rc)"
else
	not_ok "missing target: refused, named" "status $rc; stderr: $(cat "$T_DIR/err")"
fi

"$SONDE" trace -q -d 1 "u:$bin:no_such_function_xyz" >"$T_DIR/out" 2>"$T_DIR/err"
rc=$?
if [ "$rc" -ne 0 ] && grep -q "no_such_function_xyz" "$T_DIR/err"; then
	ok "unknown symbol: refused, named (status $rc)"
else
	not_ok "unknown symbol: refused, named" "status $rc; stderr: $(cat "$T_DIR/err")"
fi

# A breakpoint must never land inside an instruction or on a lock prefix
# (the traced program would die of SIGILL): the offset is refused. The
# fixture's add starts with a 1-byte nop, then a lock-prefixed add.
if ! "$SONDE" --version | grep -q "instruction check: capstone"; then
	skip "offset inside an instruction" "built without capstone"
else
	"$SONDE" trace -q -c "$bin 1" "u:$bin:add+3" >"$T_DIR/out" 2>"$T_DIR/err"
	rc=$?
	if [ "$rc" -eq 2 ] && grep -q "add+0x3 is inside an instruction" "$T_DIR/err" &&
		grep -q "start at add+0x1 and add+0x" "$T_DIR/err"; then
		ok "offset inside an instruction: refused with the boundaries around it"
	else
		not_ok "offset inside an instruction: refused with the boundaries around it" \
			"status $rc; stderr: $(cat "$T_DIR/err")"
	fi
	"$SONDE" trace -q -c "$bin 1" "u:$bin:add+1" >"$T_DIR/out" 2>"$T_DIR/err"
	rc=$?
	if [ "$rc" -eq 2 ] && grep -q "lock prefix" "$T_DIR/err"; then
		ok "lock-prefixed instruction: refused with a sentence"
	else
		not_ok "lock-prefixed instruction: refused with a sentence" \
			"status $rc; stderr: $(cat "$T_DIR/err")"
	fi
fi

hygiene_check "errors: tracefs left as found"
finish
