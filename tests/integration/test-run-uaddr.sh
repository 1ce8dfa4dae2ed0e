#!/bin/bash
# sonde run's uaddr("SYM"): the address of a data symbol of the probed
# binary, dereferenced with the symbol's own size. Values checked against
# the fixture's source (uaddr_globals.c: G_A 0x55555555, G_B
# (int)0x88888888, G_C 0x33333333, G_D 8 (char), G_L -5 (long)), on a
# non-PIE binary (where bpftrace 0.17 prints the same: compared) and a PIE
# one (bpftrace 0.17 reads 0 there; newer bpftrace's case "uaddr pie elf"
# expects the values), at a uprobe and a uretprobe; an unknown symbol and
# a probe without a binary refused with exit 2.
. "$(dirname "$0")/lib.sh"
require_root
require_uprobes
require_file "$SONDE" "$FIXTURES/uaddr_globals" "$FIXTURES/uaddr_globals_pie"
if ! "$SONDE" check | grep -q '^BPF: *yes'; then
	skip "$T_NAME" "no BPF here"
	finish
fi

exe=$(readlink -f "$FIXTURES/uaddr_globals")
pie=$(readlink -f "$FIXTURES/uaddr_globals_pie")
SONDE=$(readlink -f "$SONDE")
hygiene_begin
BT=""
command -v bpftrace >/dev/null && BT=bpftrace

body='printf("%x %x %d %d %ld\n", *uaddr("G_A"), *uaddr("G_C"), *uaddr("G_B"), *uaddr("G_D"), *uaddr("G_L")); @b = *uaddr("G_B"); @d = *uaddr("G_D"); @l = *uaddr("G_L");'
{
	echo "Attaching 1 probe..."
	echo "55555555 33333333 -2004318072 8 -5"
	echo "55555555 33333333 -2004318072 8 -5"
	printf '\n\n'
	echo "@b: -2004318072"
	echo "@d: 8"
	echo "@l: -5"
} >"$T_DIR/want"

for f in exe pie; do
	bin=${!f}
	for kind in uprobe uretprobe; do
		prog="$kind:$bin:tick { $body }"
		"$SONDE" run -e "$prog" -c "$bin 2" >"$T_DIR/$f.$kind" \
			2>"$T_DIR/$f.$kind.err"
		expect_eq "$f $kind: exit status 0" "$?" 0
		expect_file_eq "$f $kind: the globals' values as uaddr_globals.c sets them" \
			"$T_DIR/$f.$kind" "$T_DIR/want"
	done
done

if [ -n "$BT" ]; then
	timeout 60 "$BT" -e "uprobe:$exe:tick { $body }" -c "$exe 2" \
		>"$T_DIR/bt.out" 2>"$T_DIR/bt.err"
	expect_file_eq "non-PIE: the same output as bpftrace 0.17" \
		"$T_DIR/exe.uprobe" "$T_DIR/bt.out"
else
	skip "non-PIE: the same output as bpftrace 0.17" "no bpftrace here"
fi

"$SONDE" run -e "uprobe:$pie:tick { printf(\"%d\\n\", *uaddr(\"G_NONE\")); }" \
	-c "$pie" >"$T_DIR/none.out" 2>&1
expect_eq "an unknown symbol: exit 2" "$?" 2
expect_grep "an unknown symbol: said, with its name" \
	"Could not resolve symbol: $pie:G_NONE" "$T_DIR/none.out"
"$SONDE" run -e 'BEGIN { printf("%d\n", *uaddr("G_A")); exit(); }' \
	>"$T_DIR/begin.out" 2>&1
expect_eq "uaddr() in BEGIN (no binary): exit 2" "$?" 2
expect_grep "uaddr() in BEGIN: refused with a reason" \
	"uaddr() is supported in uprobe" "$T_DIR/begin.out"

hygiene_check "tracefs as it was"
finish
