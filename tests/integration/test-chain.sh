#!/bin/bash
# A known call chain, main -> chain_a -> chain_b -> chain_c, probed in
# chain_c after its prologue (at a function's first instruction a
# frame-pointer walk cannot see the direct caller yet): the stack is
# exactly that chain, symbolized, in text and folded form, on the perf and
# the tracefs backends. `sonde stack` prints at the end, when the -c
# command has already exited.
. "$(dirname "$0")/lib.sh"
require_root
require_uprobes
bin=$FIXTURES/chain
require_file "$SONDE" "$bin"
command -v objdump >/dev/null || { skip "$T_NAME" "no objdump"; finish; }

# the first instruction after "mov %rsp,%rbp" in chain_c
set -- $(objdump -d "$bin" | awk '
	/^[0-9a-f]+ <chain_c>:$/ { start = $1; on = 1; next }
	on && /^$/ { exit }
	on && split($0, f, "\t") >= 3 {
		a = $1; sub(":", "", a)
		if (seen) { print start, a; exit }
		if (f[3] ~ /^mov +%rsp,%rbp/) seen = 1
	}')
off=""
[ $# = 2 ] && off=$((16#$2 - 16#$1))
if [ -z "$off" ]; then
	skip "$T_NAME" "no frame setup found in chain_c"
	finish
fi

for be in perf tracefs; do
	hygiene_begin
	"$SONDE" stack -q --backend $be --folded -c "$bin 3" "u:$bin:chain_c+$off" \
		>"$T_DIR/folded" 2>"$T_DIR/err"
	expect_eq "$be: folded: exit status" "$?" 0
	expect_grep "$be: folded: main;chain_a;chain_b;chain_c, 3 times" \
		';main;chain_a;chain_b;chain_c 3$' "$T_DIR/folded"
	"$SONDE" stack -q --backend $be -c "$bin 3" "u:$bin:chain_c+$off" \
		>"$T_DIR/text" 2>"$T_DIR/err"
	expect_eq "$be: text: exit status" "$?" 0
	# (perf unwinds with the CFI by default: past main to _start, each
	# frame with its " at FILE:LINE")
	got=$(sed -n 's/^    \([a-z_]*\)+0x[0-9a-f]* (chain)\( at [^ ]*:[0-9]*\)\{0,1\}$/\1/p' \
		"$T_DIR/text" | awk '{ print } $1 == "main" { exit }' | tr '\n' ' ')
	expect_eq "$be: text: the chain, innermost first, symbolized" \
		"$got" "chain_c chain_b chain_a main "
	hygiene_check "$be: tracefs left as found"
done
finish
