#!/bin/bash
# sonde run end to end on the uprobe fixture (calls.c): the values a
# program prints and its maps at the end checked against what calls.c
# does (add(i, 2i) for i = 1..N, its return 3i) and against bpftrace
# 0.17's output for the same program and workload; errors with a caret
# (exit 2); --dry-run attaches nothing; -c and -p; a script with
# `#!/usr/bin/env -S sonde run` and its $1; nothing left behind: tracefs
# as it was, and no breakpoint left in a process that outlives the run
# (ended by SIGINT, or its -c child by SIGKILL).
. "$(dirname "$0")/lib.sh"
require_root
require_uprobes
require_file "$SONDE" "$FIXTURES/fixture_pie"
if ! "$SONDE" check | grep -q '^BPF: *yes'; then
	skip "$T_NAME" "no BPF here"
	finish
fi

set -m
fix=$(readlink -f "$FIXTURES/fixture_pie")
SONDE=$(readlink -f "$SONDE")
hygiene_begin
BT=""
command -v bpftrace >/dev/null && BT=bpftrace

# run_both NAME PROGRAM CMD: sonde's stdout in $T_DIR/NAME.s (status in
# $RS), bpftrace's in $T_DIR/NAME.b when it is here
run_both()
{
	"$SONDE" run -e "$2" -c "$3" >"$T_DIR/$1.s" 2>"$T_DIR/$1.serr"
	RS=$?
	if [ -n "$BT" ]; then
		timeout 60 "$BT" -e "$2" -c "$3" >"$T_DIR/$1.b" 2>"$T_DIR/$1.berr"
	fi
}

# same_as_bpftrace NAME: sonde printed what bpftrace printed
same_as_bpftrace()
{
	if [ -z "$BT" ]; then
		skip "$1: the same as bpftrace" "no bpftrace here"
		return
	fi
	expect_file_eq "$1: the same output as bpftrace 0.17" "$T_DIR/$1.s" \
		"$T_DIR/$1.b"
}

# --- printf of the arguments: calls.c calls add(i, 2i), i = 1..4 ---
run_both printf "uprobe:$fix:add { printf(\"%d %d\\n\", arg0, arg1); }" "$fix 4"
expect_eq "printf: exit status is the command's (0)" "$RS" 0
{
	echo "Attaching 1 probe..."
	for i in 1 2 3 4; do echo "$i $((2 * i))"; done
	printf '\n\n'
} >"$T_DIR/printf.want"
expect_file_eq "printf: add's arguments as calls.c passes them" \
	"$T_DIR/printf.s" "$T_DIR/printf.want"
same_as_bpftrace printf

# --- maps keyed by arg0, printed at the end (distinct values: bpftrace
# sorts by value, and leaves ties in the kernel's hash order) ---
run_both count "uprobe:$fix:add { @b[arg0] = sum(arg1); @all = count(); }" \
	"$fix 3"
{
	echo "Attaching 1 probe..."
	printf '\n\n'
	echo "@all: 3"
	echo "@b[1]: 2"
	echo "@b[2]: 4"
	echo "@b[3]: 6"
} >"$T_DIR/count.want"
expect_file_eq "count, sum: add(i, 2i) for i = 1..3 (calls.c)" \
	"$T_DIR/count.s" "$T_DIR/count.want"
same_as_bpftrace count

# --- uretprobe: retval = 3i, summed: 3 * (1 + ... + 5) = 45 ---
run_both ret "uretprobe:$fix:add { @sum = sum(retval); @max = max(retval); }" \
	"$fix 5"
expect_grep "uretprobe: sum(retval) is 45" '^@sum: 45$' "$T_DIR/ret.s"
expect_grep "uretprobe: max(retval) is 15" '^@max: 15$' "$T_DIR/ret.s"
same_as_bpftrace ret

# --- a predicate and BEGIN/END ---
run_both pred "BEGIN { printf(\"begin\\n\"); } uprobe:$fix:add /arg0 > 2/ { @big = count(); } END { printf(\"end\\n\"); }" \
	"$fix 5"
expect_eq "BEGIN first, END last, /arg0 > 2/ counts 3 of 5" \
	"$(grep -v '^$' "$T_DIR/pred.s" | tr '\n' ' ')" \
	"Attaching 3 probes... begin end @big: 3 "
same_as_bpftrace pred

# --- errors: a caret under the token, exit 2 ---
"$SONDE" run -e 'BEGIN { nosuchfn(); }' >"$T_DIR/e1" 2>"$T_DIR/e1.err"
expect_eq "unknown function: exit 2" "$?" 2
expect_grep "unknown function: the place is stdin:1:" '^stdin:1:' "$T_DIR/e1.err"
expect_grep "unknown function: the line is shown" '^BEGIN { nosuchfn(); }$' \
	"$T_DIR/e1.err"
# the tildes from column 9 (nosuchfn)
expect_grep "unknown function: marked under it" '^        ~' "$T_DIR/e1.err"
"$SONDE" run -e "uprobe:$fix:no_such_function { }" >"$T_DIR/e2" 2>"$T_DIR/e2.err"
expect_eq "a function the target lacks: exit 2" "$?" 2
expect_grep "a function the target lacks: named" 'no_such_function' "$T_DIR/e2.err"
expect_eq "refused runs print nothing on stdout" \
	"$(cat "$T_DIR/e1" "$T_DIR/e2")" ""

# --- --dry-run: instructions, nothing attached ---
"$SONDE" run --dry-run -e "uprobe:$fix:add { @[arg0] = count(); }" \
	>"$T_DIR/dry" 2>"$T_DIR/dry.err"
expect_eq "--dry-run: exit 0" "$?" 0
expect_grep "--dry-run: the program's exit instruction" 'exit' "$T_DIR/dry"
if grep -q '^Attaching' "$T_DIR/dry"; then
	not_ok "--dry-run: attaches nothing" "$(head "$T_DIR/dry")"
else
	ok "--dry-run: attaches nothing"
fi

# --- -p: a running process; SIGINT ends the run through END ---
mkfifo "$T_DIR/in"
"$fix" 3 --wait --slow 100000 <"$T_DIR/in" >"$T_DIR/fix.out" &
fpid=$!
exec 7>"$T_DIR/in"
wait_line "$T_DIR/fix.out" ready 10 || bail "fixture not ready"
"$SONDE" run -p "$fpid" -e "BEGIN { printf(\"go\\n\"); } uprobe:$fix:add { @[arg1] = count(); } END { printf(\"end\\n\"); }" \
	>"$T_DIR/p.out" 2>"$T_DIR/p.err" &
spid=$!
if wait_line "$T_DIR/p.out" '^go$' 10; then
	echo >&7 # the fixture goes on: add 3 times, then slow() for 100 s
	sleep 1
	kill -INT "$spid"
	wait_exit "$spid" 10
	expect_eq "-p, SIGINT: sonde ends by the signal (130)" "$RC" 130
	{
		echo "Attaching 3 probes..."
		echo go
		echo end
		printf '\n\n'
		echo "@[2]: 1"
		echo "@[4]: 1"
		echo "@[6]: 1"
	} >"$T_DIR/p.want"
	expect_file_eq "-p: the process's 3 calls of add, END and the map after SIGINT" \
		"$T_DIR/p.out" "$T_DIR/p.want"
	# the kernel's worker restores the text a moment after sonde ends
	# (backend/release.c)
	n=0
	while [ -n "$(text_vs_file "$fpid" "$fix")" ] && [ "$n" -lt 100 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	expect_eq "-p: no breakpoint left in the process's text after SIGINT" \
		"$(text_vs_file "$fpid" "$fix")" ""
else
	not_ok "-p: BEGIN ran" "$(cat "$T_DIR/p.out" "$T_DIR/p.err")"
	kill -KILL "$spid" 2>/dev/null
fi
exec 7>&-
kill -KILL "$fpid" 2>/dev/null
wait "$fpid" 2>/dev/null

# --- -c: the child killed by SIGKILL ends the run ---
"$SONDE" run -c "$fix 2 --slow 100000" \
	-e "uprobe:$fix:add { @n = count(); } uprobe:$fix:slow { printf(\"slow %d\\n\", pid); }" \
	>"$T_DIR/k.out" 2>"$T_DIR/k.err" &
spid=$!
if wait_line "$T_DIR/k.out" '^slow [0-9]' 10; then
	kill -KILL "$(sed -n 's/^slow //p' "$T_DIR/k.out")"
	wait_exit "$spid" 10
	expect_eq "-c child killed: sonde ends with the child's status (137)" \
		"$RC" 137
	expect_grep "-c child killed: the map is printed" '^@n: 2$' "$T_DIR/k.out"
else
	not_ok "-c: the child ran" "$(cat "$T_DIR/k.out" "$T_DIR/k.err")"
	kill -KILL "$spid" 2>/dev/null
fi

# --- a script: #!/usr/bin/env -S sonde run, $1 ---
printf '#!/usr/bin/env -S %s run\n// count the calls of add with arg0 >= $1\nuprobe:%s:add /arg0 >= $1/ { @ = count(); }\n' \
	"$SONDE" "$fix" >"$T_DIR/script.bt"
chmod +x "$T_DIR/script.bt"
"$T_DIR/script.bt" -c "$fix 6" 4 >"$T_DIR/script.out" 2>"$T_DIR/script.err"
expect_eq "script: exit 0" "$?" 0
expect_grep "script: \$1 = 4 counts add(4..6): 3" '^@: 3$' "$T_DIR/script.out"

# --- -f json ---
"$SONDE" run -f json -c "$fix 2" -e "uprobe:$fix:add { printf(\"%d\\n\", arg0); }" \
	>"$T_DIR/json.out" 2>"$T_DIR/json.err"
{
	echo '{"type": "attached_probes", "data": {"probes": 1}}'
	echo '{"type": "printf", "data": "1\n"}'
	echo '{"type": "printf", "data": "2\n"}'
} >"$T_DIR/json.want"
grep -v '^$' "$T_DIR/json.out" >"$T_DIR/json.got"
expect_file_eq "-f json: bpftrace's JSON lines" "$T_DIR/json.got" "$T_DIR/json.want"

# --- min() and max() of any sign, unsigned where the type is: the values
# the program's own literals give (bpftrace 0.17 differs, sonde-run.1) ---
"$SONDE" run -e 'BEGIN { @a = max((uint64)0xffffffffffffff00);
	@a = max((uint64)7); @b = min((uint64)5); @b = min((uint64)0xfffffffffffffff0);
	@c = min(-9223372036854775807); @c = min(3); @d = max(-5); @d = max(-9);
	@e = min(0); exit(); }' >"$T_DIR/minmax.out" 2>"$T_DIR/minmax.err"
printf 'Attaching 1 probe...\n\n\n@a: 18446744073709551360\n@b: 5\n@c: -9223372036854775807\n@d: -5\n@e: 0\n' \
	>"$T_DIR/minmax.want"
expect_file_eq "min/max: of any sign, unsigned for uint64" "$T_DIR/minmax.out" \
	"$T_DIR/minmax.want"

hygiene_check "tracefs as it was"
finish
