#!/bin/bash
# The kernel's own syntax, verbatim: p:[GRP/]EV /path:0xOFF ARGS and r:...,
# with the file offset computed here with binutils; and u:TARGET:0xADDR.
. "$(dirname "$0")/lib.sh"
require_root
require_uprobes
require_file "$SONDE" "$FIXTURES/fixture_pie" "$FIXTURES/fixture_nopie"
if ! command -v readelf >/dev/null; then
	skip "$T_NAME" "no readelf"
	finish
fi

for fx in fixture_pie fixture_nopie; do
	bin=$FIXTURES/$fx
	off=$(file_offset "$bin" add) || bail "no offset for add in $bin"
	hygiene_begin
	"$SONDE" trace -q -c "$bin 3" "p:myadd $bin:$off a=%di:s32 b=%si:s32" \
		"r:myadd_ret $bin:$off r=\$retval:s32" >"$T_DIR/out" 2>"$T_DIR/err"
	expect_eq "$fx p:/r: at $off: exit status" "$?" 0
	expect_eq "$fx p:/r: at $off: every call" \
		"$(events "$T_DIR/out" | sort | tr '\n' ,)" \
		"myadd: a=1 b=2,myadd: a=2 b=4,myadd: a=3 b=6,myadd_ret: r=3,myadd_ret: r=6,myadd_ret: r=9,"
	hygiene_check "$fx p:/r: tracefs left as found"
done

# u:TARGET:0xADDR is a symbol-table address (the value nm prints); for the
# non-PIE fixture that differs from the file offset.
bin=$FIXTURES/fixture_nopie
addr=0x$(nm "$bin" | awk '$3 == "add" { print $1; exit }' | sed 's/^0*//')
hygiene_begin
"$SONDE" trace -q -c "$bin 2" "u:$bin:$addr a=arg1:s32" >"$T_DIR/out" \
	2>"$T_DIR/err"
expect_eq "u:TARGET:$addr: exit status" "$?" 0
expect_eq "u:TARGET:$addr: every call" \
	"$(events "$T_DIR/out" | sed 's/^[^:]*: //' | tr '\n' ,)" "a=1,a=2,"
hygiene_check "u:TARGET:0xADDR: tracefs left as found"

# u:TARGET:SYM+OFF at add's second instruction (a boundary objdump gives)
bin=$FIXTURES/fixture_pie
# (not a lock-prefixed one: x86 uprobes refuse those)
rel=$(objdump -d "$bin" | awk '
	/^[0-9a-f]+ <add>:$/ { inadd = 1; next }
	inadd && /^$/ { exit }
	inadd && /^ *[0-9a-f]+:/ {
		# a long instruction goes on with a line of bytes alone
		if (split($0, f, "\t") < 3) next
		sub(":", "", $1)
		if (n == 0 || f[3] !~ /^lock /) a[n++] = $1
		if (n == 2) exit
	}
	END { if (n == 2) print a[0], a[1] }')
if [ -n "$rel" ]; then
	set -- $rel
	rel=$((16#$2 - 16#$1))
	hygiene_begin
	"$SONDE" trace -q -c "$bin 2" "u:$bin:add+$rel b=arg2:s32" >"$T_DIR/out" \
		2>"$T_DIR/err"
	expect_eq "u:TARGET:add+$rel: exit status" "$?" 0
	expect_eq "u:TARGET:add+$rel: two hits, args still in registers" \
		"$(events "$T_DIR/out" | sed 's/^[^:]*: //' | tr '\n' ,)" "b=2,b=4,"
	hygiene_check "u:TARGET:SYM+OFF: tracefs left as found"
else
	skip "u:TARGET:SYM+OFF" "objdump found no second instruction in add"
fi

finish
