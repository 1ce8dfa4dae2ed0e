#!/bin/bash
# --call-graph dwarf on code without frame pointers (stack_dwarf: -O2
# -fomit-frame-pointer -g): a probe on chain_c's first instruction gives
# the whole chain main -> chain_a -> chain_b -> chain_step (inlined into
# chain_b) -> chain_c, each frame's file:line, exactly as gdb's backtrace
# at a breakpoint on the same address, on every backend that copies the
# user stack. --call-graph fp on the same code stops at once: the kernel
# walks %rbp, which no function here keeps as a frame pointer (the caller
# of chain_c is there only because sonde reads it from [sp] at a
# function's first instruction, perf_entry_stack.c). -f json's and -f
# csv's stacks hold the same frames.
. "$(dirname "$0")/lib.sh"
require_root
require_uprobes
bin=$FIXTURES/stack_dwarf
require_file "$SONDE" "$bin"
command -v gdb >/dev/null || { skip "$T_NAME" "no gdb"; finish; }

# gdb's frames up to main: "NAME FILE:LINE" each, and which one gdb says
# is inlined into the next
gdb -batch -ex 'break *chain_c' -ex run -ex bt -ex 'frame 1' -ex 'info frame' \
	--args "$bin" 1 >"$T_DIR/gdb" 2>&1
want=$(sed -n 's/^#[0-9]* *\(0x[0-9a-f]* in \)\{0,1\}\([A-Za-z_0-9]*\) (.*) at .*\/\([^/]*:[0-9]*\)$/\2 \3/p' \
	"$T_DIR/gdb" | awk '{ print } $1 == "main" { exit }' | tr '\n' ' ' |
	sed 's/ $//')
gdb_inlined=$(grep -c '^ inlined into frame 2' "$T_DIR/gdb")
case $want in
"chain_c stack_dwarf.c:"*" chain_step "*" chain_b "*" chain_a "*" main "*) ;;
*) bail "no chain from gdb: '$want'" "$(cat "$T_DIR/gdb")" ;;
esac
expect_eq "gdb: chain_step (frame 1) is inlined into chain_b" "$gdb_inlined" 1

# sonde's frames up to main, as gdb's: "NAME FILE:LINE", a line per event
frames()
{
	sed -n -e 's/^ => \([A-Za-z_0-9]*\)\(+0x[0-9a-f]*\)\{0,1\} (\(stack_dwarf\|inlined\))\( at \(.*\)\)\{0,1\}$/\1 \5/p' \
		-e 's/.* chain_c:$/EVENT/p' "$1" |
		awk '$1 == "EVENT" { if (n++) printf "\n"; on = 1; sep = ""; next }
			on { printf "%s%s", sep, $0; sep = " " }
			$1 == "main" { on = 0 } END { if (n) printf "\n" }'
}

# both keep the maps of the process from its mmap records (bpf: a dummy
# perf event on the process of -c): the fixture exits at once, before
# sonde reads its events
for backend in perf bpf; do
	hygiene_begin
	"$SONDE" trace -q -s --backend $backend --call-graph dwarf -c "$bin 2" \
		"u:$bin:chain_c" >"$T_DIR/out" 2>"$T_DIR/err"
	rc=$?
	expect_eq "$backend, dwarf: 2 events, each with gdb's chain and lines" \
		"$rc $(frames "$T_DIR/out" | wc -l) $(frames "$T_DIR/out" | sort -u)" \
		"0 2 $want"
	expect_eq "$backend, dwarf: chain_step is the frame marked inlined" \
		"$(sed -n 's/^ => \(.*\) (inlined) at .*/\1/p' "$T_DIR/out" | sort -u)" \
		"chain_step"
	hygiene_check "$backend, dwarf: tracefs left as found"

	# JSON's "stack" and CSV's stack cell: the same frames as the text,
	# each a string (Python's parsers), innermost first
	"$SONDE" trace -q -s --backend $backend --call-graph dwarf -c "$bin 1" \
		-f json "u:$bin:chain_c" >"$T_DIR/json" 2>"$T_DIR/err"
	"$SONDE" trace -q -s --backend $backend --call-graph dwarf -c "$bin 1" \
		-f csv "u:$bin:chain_c" >"$T_DIR/csv" 2>"$T_DIR/err"
	expect_eq "$backend, dwarf: JSON and CSV stacks hold gdb's chain, as the text" \
		"$(python3 - "$T_DIR/json" "$T_DIR/csv" <<'PY'
import csv, json, re, sys
ev = json.loads(open(sys.argv[1], encoding="utf-8").read())
rows = list(csv.DictReader(open(sys.argv[2], encoding="utf-8", newline="")))
for frames in (ev["stack"], rows[0]["stack"].split(";")):
    out = []
    for f in frames:
        m = re.match(r"([A-Za-z_0-9]*)(\+0x[0-9a-f]*)? \((stack_dwarf|inlined)\)( at (.*))?$", f)
        if m:
            out.append("%s %s" % (m.group(1), m.group(5) or ""))
            if m.group(1) == "main":
                break
    print(" ".join(out))
PY
)" "$want
$want"

	# sonde stack: the same chain, once, 3 hits; folded: names root first
	"$SONDE" stack -q --backend $backend --call-graph dwarf,4096 -c "$bin 3" \
		"u:$bin:chain_c" --folded >"$T_DIR/out" 2>"$T_DIR/err"
	expect_eq "$backend, stack --folded, dwarf,4096: one stack, main to chain_c, 3 hits" \
		"$? $(sed 's/^.*main;/main;/' "$T_DIR/out")" \
		"0 main;chain_a;chain_b;chain_step (inlined);chain_c 3"
done

# bpf system-wide (no -c, no -p: no mmap records), a process that exits
# at once: its maps come from /proc when its first stack is unwound, in
# time or too late; then a warning says so, never a wrong frame
hygiene_begin
"$SONDE" trace -s --backend bpf -d 3 "u:$bin:chain_c" >"$T_DIR/out" 2>"$T_DIR/err" &
spid=$!
wait_attached "$spid" || bail "sonde did not attach" "$(cat "$T_DIR/err")"
"$bin" 1
wait "$spid"
if grep -q '^ => chain_b' "$T_DIR/out"; then
	expect_eq "bpf system-wide: maps read in time, gdb's chain" \
		"$(frames "$T_DIR/out" | sort -u)" "$want"
else
	expect_eq "bpf system-wide: the event, with its probed frame alone" \
		"$(grep -c '^ => ' "$T_DIR/out") $(grep -c ' chain_c:$' "$T_DIR/out")" "1 1"
	expect_grep "bpf system-wide, maps gone: a warning says the frames are not known" \
		"exited before its maps were read: its user stacks hold only the probed address" "$T_DIR/err"
fi
hygiene_check "bpf system-wide: tracefs left as found"

# -v says which call graph the default took
"$SONDE" stack -v -c "$bin 1" "u:$bin:chain_c" >"$T_DIR/out" 2>"$T_DIR/err"
expect_grep "default: dwarf, said with -v" \
	'^sonde: user stacks: dwarf (--call-graph dwarf): 8192 bytes' "$T_DIR/err"

# frame pointers: chain_c and its caller from [sp], then nothing: %rbp is
# no frame pointer in this code (the kernel's walk ends at once)
"$SONDE" trace -q -s --backend perf --call-graph fp -c "$bin 1" \
	"u:$bin:chain_c" >"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "fp: the stack stops after chain_b (no frame pointers)" \
	"$? $(sed -n 's/^ => \([A-Za-z_0-9]*\).*(stack_dwarf)$/\1/p' "$T_DIR/out" |
		tr '\n' ' ' | sed 's/ $//')" "0 chain_c chain_b"

# trace without -s: --call-graph has nothing to walk
"$SONDE" trace -q --call-graph dwarf -c "$bin 1" "u:$bin:chain_c" >"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "trace --call-graph without -s: a usage error, said" \
	"$? $(cat "$T_DIR/err")" "2 sonde: --call-graph says how stacks are walked: it needs -s"
"$SONDE" trace -q -s --call-graph dwarf,100 -c "$bin 1" "u:$bin:chain_c" >"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "--call-graph dwarf,100 (not a multiple of 8): a usage error" "$?" 2

# tracefs copies no user stack: dwarf is refused, with the reason
"$SONDE" trace -q -s --backend tracefs --call-graph dwarf -c "$bin 1" \
	"u:$bin:chain_c" >"$T_DIR/out" 2>"$T_DIR/err"
rc=$?
expect_grep "tracefs: --call-graph dwarf refused, the reason said" \
	'the tracefs backend does not copy user stacks' "$T_DIR/err"
expect_eq "tracefs: --call-graph dwarf exits 2 (cannot be done here)" "$rc" 2
finish
