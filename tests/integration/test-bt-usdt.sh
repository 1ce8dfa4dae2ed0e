#!/bin/bash
# USDT probes in `sonde run` beyond bpftrace's ported cases: arguments at
# base + index * scale + displacement (which the kernel's uprobe
# fetchargs cannot read; the program reads them), checked against the
# fixture's C source (bt_usdt_args.c: 0xf7f6f5f4f3f2f1f0 cast to each
# type) and against bpftrace 0.17 on the same fixture where it is
# installed; the `probe` builtin of a wildcard, one name per site, as
# bpftrace 0.17 prints them in a map.
. "$(dirname "$0")/lib.sh"
require_root
require_uprobes
F=$(cd "$FIXTURES" && pwd)/bt/usdt_args
require_file "$SONDE" "$F"
hygiene_begin

want="-579005069656919568 -579005069656919568 4092785136 -202182160 61936 -3600 240 -16"
prog="usdt:$F:usdt_args:index_* { printf(\"%lld \", arg0); }"
got=$(timeout 30 "$SONDE" run -e "$prog" -c "$F" 2>&1 | grep -v '^Attaching')
expect_eq "index arguments: the C source's values" "$(echo $got)" "$want"

# names: the map's keys, sorted (bpftrace's order of equal counts is not
# defined)
names()
{
	grep '^@\[' "$1" | sed 's/\]: .*//' | sort
}
prog="usdt:$F:usdt_args:reg_* { @[probe] = count(); }"
timeout 30 "$SONDE" run -e "$prog" -c "$F" >"$T_DIR/sonde" 2>&1
expect_eq "probe: one name per site" "$(names "$T_DIR/sonde" | wc -l)" 8
expect_grep "probe: the full name" \
	"^@\[usdt:$F:usdt_args:reg_u64\]: 1$" "$T_DIR/sonde"
if command -v bpftrace >/dev/null; then
	timeout 60 bpftrace -e "$prog" -c "$F" >"$T_DIR/bpftrace" 2>&1
	names "$T_DIR/sonde" >"$T_DIR/sonde.names"
	names "$T_DIR/bpftrace" >"$T_DIR/bpftrace.names"
	expect_file_eq "probe: the names bpftrace 0.17 prints" \
		"$T_DIR/sonde.names" "$T_DIR/bpftrace.names"
	prog="usdt:$F:usdt_args:index_* { printf(\"%lld \", arg0); }"
	bt=$(timeout 60 bpftrace -e "$prog" -c "$F" 2>&1 |
		grep -v '^Attaching\|RLIMIT')
	expect_eq "index arguments: as bpftrace 0.17 reads them" \
		"$(echo $got)" "$(echo $bt)"
else
	skip "probe: the names bpftrace 0.17 prints" "bpftrace not installed"
	skip "index arguments: as bpftrace 0.17 reads them" \
		"bpftrace not installed"
fi
hygiene_check "bt-usdt: tracefs as found"
finish
