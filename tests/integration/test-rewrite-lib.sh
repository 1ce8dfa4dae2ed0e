#!/bin/bash
# A traced library overwritten in place (truncated, then rewritten shorter)
# while `trace -s` runs, on the backends that record stacks (tracefs, perf;
# bpf records none and streams the same rewrite without -s): sonde does not
# crash, ends with status 0 on SIGINT,
# leaves nothing in tracefs, names the frames read before the rewrite (the
# names nm gives the library) and prints the later ones as bare addresses
# in the library, never names read from the new contents.
. "$(dirname "$0")/lib.sh"
require_root
require_uprobes
require_file "$SONDE" "$FIXTURES/fixture_pie" "$FIXTURES/libfixture.so"

W=$T_DIR/w
mkdir -p "$W"
# the library is cut to its first 8 KiB: its code stays (the fixture runs
# on, to die of SIGBUS at exit, where it writes its data past 8 KiB), its
# symbol names (.strtab) are gone, a page or more past the new end
strtab=$(readelf -SW "$FIXTURES/libfixture.so" |
	sed -n 's/.* \.strtab  *STRTAB  *[0-9a-f]*  *\([0-9a-f]*\) .*/\1/p')
[ -n "$strtab" ] && [ $((16#$strtab)) -ge 8192 ] ||
	bail "libfixture.so: .strtab at '$strtab', not past 8 KiB"

# wait_sleeping PID: the fixture is in slow()'s nanosleep, its calls done
wait_sleeping()
{
	local n=50
	while [ "$n" -gt 0 ]; do
		grep -q nanosleep /proc/"$1"/wchan 2>/dev/null && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}

hygiene_begin
# perf twice: walking frame pointers, and unwinding copied stacks with the
# CFI (the default), which it does not trust in a rewritten file either
for run in tracefs perf perf-dwarf; do
	be=${run%-dwarf} cg=fp
	[ "$run" = perf-dwarf ] && cg=dwarf
	# fixture_pie loads libfixture.so from its own directory ($ORIGIN)
	cp "$FIXTURES/fixture_pie" "$FIXTURES/libfixture.so" "$W/"
	lib=$W/libfixture.so
	nm -D "$lib" | grep -q ' T lib_add' || bail "no lib_add in $lib"
	out=$T_DIR/out.$run err=$T_DIR/err.$run
	start_bg "$SONDE" trace --backend "$be" --call-graph $cg -s "u:$lib:lib_add" \
		>"$out" 2>"$err"
	spid=$BG
	wait_attached "$spid" || bail "$run: sonde did not attach" "$(cat "$err")"
	# one hit named from the file as it is: its symbols are read now
	# (the fixture lives on in slow() so that its maps can be read)
	start_bg "$W/fixture_pie" 1 --lib --slow 1500
	# (the CFI's unwinding gives " at FILE:LINE" after the name, from the
	# same file, and as trusted as its symbols)
	wait_line "$out" '^ => lib_add (libfixture.so)\( at fixture_lib\.c:[0-9]*\)\{0,1\}$' 5
	wait_exit "$BG" 5
	expect_grep "$run: frame named before the rewrite" \
		'^ => lib_add (libfixture.so)\( at fixture_lib\.c:[0-9]*\)\{0,1\}$' "$out"
	# three more hits, read only after the rewrite
	kill -STOP "$spid"
	start_bg "$W/fixture_pie" 3 --lib --slow 3000
	fpid=$BG
	wait_sleeping "$fpid" || not_ok "$run: fixture reached slow()"
	head -c 8192 "$FIXTURES/libfixture.so" >"$lib"
	kill -CONT "$spid"
	sleep 1
	kill -INT "$spid"
	wait_exit "$spid" 10
	expect_eq "$run: no crash, status 0 after SIGINT" "$RC" 0
	# its SIGBUS at exit is expected: no job report for it
	{ wait_exit "$fpid" 10; } 2>/dev/null
	expect_eq "$run: no line of the rewritten library" \
		"$(grep -c '^ => 0x[0-9a-f]* (libfixture.so) at ' "$out")" 0
	sed -i 's/ at [^ ]*:[0-9]*$//' "$out"
	expect_eq "$run: four events" "$(grep -c 'lib_add:' "$out")" 4
	expect_eq "$run: the three later lib frames are bare addresses" \
		"$(grep -c '^ => 0x[0-9a-f]* (libfixture.so)$' "$out")" 3
	expect_eq "$run: no other name in the rewritten library" \
		"$(grep '(libfixture.so)$' "$out" | grep -vc -e '=> lib_add (' \
			-e '=> 0x[0-9a-f]* (')" 0
	if [ $cg = fp ]; then
		expect_eq "$run: the program's own frames still named, each event" \
			"$(grep -c '^ => main+0x[0-9a-f]* (fixture_pie)$' "$out")" 4
	else
		# no CFI is taken from the rewritten file: the three later
		# stacks end there, none goes on with a frame it would guess
		expect_eq "$run: the first stack whole, the later ones end at the rewritten library" \
			"$(grep -c '^ => main+0x[0-9a-f]* (fixture_pie)$' "$out") $(awk '
				/lib_add:$/ { if (n) print last; n = 0; next }
				/^ => / { n++; last = $0 } END { if (n) print last }' "$out" |
				grep -c '^ => 0x[0-9a-f]* (libfixture.so)$')" "1 3"
	fi
	hygiene_check "$run: tracefs left as found"
	rm -f "$W"/*
done

# bpf records no stacks, and reads nothing of the file once attached: the
# same rewrite while it streams
# wait_bpf PID: its links (or perf events), then its epoll fd (as in
# test-bpf-stream.sh)
wait_bpf()
{
	local n=100
	while [ $n -gt 0 ]; do
		ls -l /proc/"$1"/fd 2>/dev/null | grep -Eq 'bpf_link|perf_event' &&
			[ "$(ls -l /proc/"$1"/fd 2>/dev/null | grep -c eventpoll)" -ge 2 ] &&
			return 0
		kill -0 "$1" 2>/dev/null || return 1
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}
cp "$FIXTURES/fixture_pie" "$FIXTURES/libfixture.so" "$W/"
lib=$W/libfixture.so out=$T_DIR/out.bpf err=$T_DIR/err.bpf
start_bg "$SONDE" trace --backend bpf "u:$lib:lib_add a=arg1:s32" \
	>"$out" 2>"$err"
spid=$BG
if wait_bpf "$spid"; then
	kill -STOP "$spid"
	start_bg "$W/fixture_pie" 3 --lib --slow 3000
	fpid=$BG
	wait_sleeping "$fpid" || not_ok "bpf: fixture reached slow()"
	head -c 8192 "$FIXTURES/libfixture.so" >"$lib"
	kill -CONT "$spid"
	sleep 1
	kill -INT "$spid"
	wait_exit "$spid" 10
	expect_eq "bpf: no crash, status 0 after SIGINT" "$RC" 0
	{ wait_exit "$fpid" 10; } 2>/dev/null
	expect_eq "bpf: the three hits, a=1..3 as the fixture calls lib_add" \
		"$(sed -n 's/.*lib_add: a=\([0-9]*\)$/\1/p' "$out" | tr '\n' ,)" "1,2,3,"
	hygiene_check "bpf: tracefs left as found"
else
	wait_exit "$spid" 5
	skip "bpf: rewrite while streaming" "no bpf here: $(head -n 1 "$err")"
fi
finish
