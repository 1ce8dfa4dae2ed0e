#!/bin/bash
# USDT immediates at the limits of 64 and 32 bits (fixture_usdt_limits: the
# notes say "8@$-1 -8@$-9223372036854775808 4@$-1 -4@$-2147483648", as
# readelf -n shows) reach the kernel as the values the C source passes:
# ULLONG_MAX, LLONG_MIN, UINT_MAX, INT_MIN (getconf and shell arithmetic
# for the references), on every backend.
. "$(dirname "$0")/lib.sh"
require_root
require_uprobes
bin=$FIXTURES/fixture_usdt_limits
require_file "$SONDE" "$bin"

readelf -n "$bin" >"$T_DIR/notes"
expect_grep "readelf: the note's arguments are immediates" \
	'Arguments: 8@\$-1 -8@\$-9223372036854775808 4@\$-1 -4@\$-2147483648' \
	"$T_DIR/notes"
want="consts: arg1=$(getconf ULONG_MAX) arg2=$((-9223372036854775807 - 1))"
want="$want arg3=$(getconf UINT_MAX) arg4=$(getconf INT_MIN)"
hygiene_begin
for be in tracefs perf bpf; do
	"$SONDE" trace --backend "$be" -c "$bin" "usdt:$bin:limits:consts" \
		>"$T_DIR/out" 2>"$T_DIR/err"
	rc=$?
	if [ "$be" = bpf ] && [ "$rc" != 0 ] && grep -qi 'bpf' "$T_DIR/err"; then
		skip "bpf: limits" "$(head -n 1 "$T_DIR/err")"
		continue
	fi
	expect_eq "$be: exit status" "$rc" 0
	expect_eq "$be: the four limits" "$(events "$T_DIR/out")" "$want"
done
hygiene_check "usdt limits: tracefs left as found"
finish
