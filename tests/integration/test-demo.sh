#!/bin/bash
# The quick start's trace of the demo program (scripts/demo) shows every
# price() call with its arguments and result, and every ship() item.
. "$(dirname "$0")/lib.sh"
require_root
require_uprobes
DEMO=${DEMO:-$(dirname "$SONDE")/../../demo/sonde-demo}
require_file "$SONDE" "$DEMO"

hygiene_begin
"$SONDE" trace -q -o "$T_DIR/out" -c "$DEMO" \
	"u:$DEMO:price qty=arg1:s32 unit=arg2:s32" \
	"ur:$DEMO:price cents=retval:s32" \
	"u:$DEMO:ship item=+0(arg1):string cents=arg2:s32" \
	>"$T_DIR/stdout" 2>"$T_DIR/err"
expect_eq "demo: exit status" "$?" 0
expect_grep "demo: the program's own output" '^  total  *61\.10$' "$T_DIR/stdout"
events "$T_DIR/out" >"$T_DIR/ev"
expect_eq "demo: 10 price calls, 10 returns, 10 ships" \
	"$(grep -c '^price: ' "$T_DIR/ev") $(grep -c '^price__return: ' "$T_DIR/ev") $(grep -c '^ship: ' "$T_DIR/ev")" \
	"10 10 10"
expect_eq "demo: first order line" "$(head -n 3 "$T_DIR/ev" | tr '\n' ,)" \
	'price: qty=2 unit=350,price__return: cents=700,ship: item="coffee" cents=700,'
expect_grep "demo: 10% off for four or more (5 x 90 -> 405)" '^price__return: cents=405$' "$T_DIR/ev"
hygiene_check "demo: tracefs left as found"

finish
