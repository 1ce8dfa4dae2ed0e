#!/bin/bash
# sonde run: a uprobe's parameters by name (args.n, args alone as a
# record), arg6 and up, and positional parameters where bpftrace puts
# their text. Values on dwarf_entry (-O0: DWARF keeps the parameters in
# the frame; -O2: in registers) are checked against gdb on the same
# binary (`break FUNC`, then `print` of the parameter by name, which gdb
# reads through DWARF after the prologue) and against dwarf_entry.c
# (uprobeFunction1(n, 'x') with n[0] = 13 + i; uprobeMany(1, ..., 6,
# 70 + i, 'y')). What sonde cannot read is refused with exit status 2
# and its reason; tracefs is left as it was.
. "$(dirname "$0")/lib.sh"
require_root
require_uprobes
require_file "$SONDE" "$FIXTURES/dwarf_entry_O0" "$FIXTURES/dwarf_entry_O2" \
	"$FIXTURES/bt/uprobe_test"
if ! "$SONDE" check | grep -q '^BPF: *yes'; then
	skip "$T_NAME" "no BPF here"
	finish
fi
SONDE=$(readlink -f "$SONDE")
hygiene_begin
GDB=""
command -v gdb >/dev/null && GDB=gdb

# gdb_val BIN FUNC EXPR: EXPR at FUNC's first call (dwarf_entry 1)
gdb_val()
{
	"$GDB" -q -batch -ex "break $2" -ex run -ex "print $3" \
		--args "$1" 1 2>/dev/null | sed -n 's/^\$1 = \([^ ]*\).*/\1/p'
}

for o in O0 O2; do
	bin=$(readlink -f "$FIXTURES/dwarf_entry_$o")
	# --- by name: *args.n is n[0] = 13 + i, args.c is 'x' ---
	"$SONDE" run -e "uprobe:$bin:uprobeFunction1 {
		printf(\"%d %c %d\\n\", *args.n, args.c, args->c); }" \
		-c "$bin 3" >"$T_DIR/n.$o.all" 2>"$T_DIR/n.$o.err"
	expect_eq "$o: exit status 0" "$?" 0
	# the fixture's own last line is its sum (a number alone)
	sed '/^[0-9][0-9]*$/d' "$T_DIR/n.$o.all" >"$T_DIR/n.$o"
	printf 'Attaching 1 probe...\n14 x 120\n15 x 120\n16 x 120\n\n\n' \
		>"$T_DIR/n.want"
	expect_file_eq "$o: *args.n, args.c as dwarf_entry.c passes them" \
		"$T_DIR/n.$o" "$T_DIR/n.want"
	if [ -n "$GDB" ]; then
		expect_eq "$o: gdb's *n at the first call" \
			"$(gdb_val "$bin" uprobeFunction1 '*n')" 14
		expect_eq "$o: gdb's c at the first call" \
			"$(gdb_val "$bin" uprobeFunction1 c)" 120
	else
		skip "$o: gdb's values" "no gdb here"
	fi

	# --- args alone; a7 and a8 from the caller's stack ---
	"$SONDE" run -e "uprobe:$bin:uprobeMany { print(args);
		printf(\"%d %d\\n\", arg6, arg7); }" -c "$bin 2" \
		>"$T_DIR/m.$o.all" 2>"$T_DIR/m.$o.err"
	sed '/^[0-9][0-9]*$/d' "$T_DIR/m.$o.all" >"$T_DIR/m.$o"
	{
		echo "Attaching 1 probe..."
		for i in 1 2; do
			echo "{ .a1 = 1, .a2 = 2, .a3 = 3, .a4 = 4, .a5 = 5," \
				".a6 = 6, .a7 = $((70 + i)), .a8 = 121 }"
			echo "$((70 + i)) 121"
		done
		printf '\n\n'
	} >"$T_DIR/m.want"
	expect_file_eq "$o: args of uprobeMany, arg6 and arg7" "$T_DIR/m.$o" \
		"$T_DIR/m.want"
	if [ -n "$GDB" ]; then
		expect_eq "$o: gdb's a7 at the first call" \
			"$(gdb_val "$bin" uprobeMany a7)" 71
		expect_eq "$o: gdb's a8 at the first call" \
			"$(gdb_val "$bin" uprobeMany a8)" 121
	fi
done

# --- the record in a map, as a key, and in JSON ---
bin=$(readlink -f "$FIXTURES/dwarf_entry_O2")
"$SONDE" run -f json -e "uprobe:$bin:uprobeFunction1 { @[args.c] = args;
	@k[args] = 1; exit(); }" -c "$bin 1" >"$T_DIR/j" 2>&1
expect_grep "json: the record is an object" \
	'"@": {"120": {"n": [0-9]*, "c": 120}}' "$T_DIR/j"
expect_grep "json: a record key" '"@k": {"{ .n = 0x[0-9a-f]*, .c = 120 }": 1}' \
	"$T_DIR/j"

# --- refused, with the reason ---
ut=$(readlink -f "$FIXTURES/bt/uprobe_test")
refused()
{
	"$SONDE" run -e "$2" >"$T_DIR/r" 2>&1
	expect_eq "$1: exit status 2" "$?" 2
	expect_grep "$1: says why" "$3" "$T_DIR/r"
}
refused "__uint128_t" "uprobe:$ut:uprobeFunctionUint128 { print(args.w); }" \
	"'w' is a 128-bit __int128 unsigned, which is not read yet"
refused "uretprobe" "uretprobe:$ut:uprobeFunction1 { print(args.c); }" \
	"args is not available in a uretprobe"
refused "not at the entry" "uprobe:$ut:uprobeFunction1+4 { print(args.c); }" \
	"is not the first instruction of a function"

# --- positional parameters in the probe, unroll, lhist ---
out=$("$SONDE" run -e 'i:ms:$1 { printf("%d\n", $2); exit(); }' 200 42 2>&1)
expect_eq "i:ms:\$1" "$out" "$(printf 'Attaching 1 probe...\n42\n\n')"
out=$("$SONDE" run -e '$1 { $a = 1; unroll ($2) { $a += 1; }
	printf("a=%d\n", $a); exit(); }' BEGIN 10 2>&1)
expect_eq "\$1 as the probe, unroll (\$2)" "$out" \
	"$(printf 'Attaching 1 probe...\na=11\n\n')"
"$SONDE" run -e 'BEGIN { @ = lhist(5, $1, $2, $3); exit(); }' 0 10 5 \
	>"$T_DIR/l" 2>&1
expect_grep "lhist(5, \$1, \$2, \$3): 5 in [5, 10)" '^\[5, 10) *1 |' "$T_DIR/l"
"$SONDE" run -e 'i:ms:$3 { }' 1 >"$T_DIR/p" 2>&1
expect_eq "\$3 not given: exit status 2" "$?" 2
expect_grep "\$3 not given: said" '\$3 is used in a probe but not given' \
	"$T_DIR/p"

hygiene_check "tracefs as it was"
finish
