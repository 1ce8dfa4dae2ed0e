#!/bin/bash
# SIGKILL at random instants while a session makes its probes, streams and
# removes them, on each backend; then 'sonde cleanup'. Afterwards
# uprobe_events and instances/ are as found, the traced process's text is
# byte for byte the library file's (read through /proc/PID/mem and compared
# with the file itself: no int3 left), and the kernel logged no "leaking
# uprobe" for any of the killed processes. KILL_STORM_KILLS (default 1)
# kills per phase and backend: 9 kills, under 60 s here; 4 gives 36.
# KILL_STORM_PHASES (default "create stream teardown") picks the phases.
. "$(dirname "$0")/lib.sh"
require_root
require_uprobes
lib=$FIXTURES/libmany.so
loop=$FIXTURES/fixture_many_loop
require_file "$SONDE" "$lib" "$loop"
kills=${KILL_STORM_KILLS:-1}
hygiene_begin

start_bg "$loop" 0 100
traced=$BG
sleep 0.2

text_diff() { text_vs_file "$traced" "$lib"; }
# the kernel's uprobe_warn(): "uprobe: COMM:PID failed to unregister,
# leaking uprobe"; only the processes killed here count, and only lines
# logged since this test began (a pid reused from an earlier run's leak
# is not this run's)
killed=" "
# the kernel's timestamp of the last line before the test ("[ 123.456]")
dmesg_since=$(dmesg 2>/dev/null | tail -n 1 |
	sed -n 's/^\[ *\([0-9.]*\)\].*/\1/p')
leaks()
{
	dmesg 2>/dev/null | awk -v t="${dmesg_since:-0}" '
		match($0, /^\[ *[0-9.]+\]/) {
			s = substr($0, 2, RLENGTH - 2) + 0
			if (s > t + 0) print
		}' | sed -n 's/.*uprobe: [^ ]*:\([0-9][0-9]*\) failed to unregister.*/\1/p' |
		while read -r p; do
			case $killed in *" $p "*) echo "$p" ;; esac
		done
}

[ -z "$(text_diff)" ] || bail "the traced text differs from the file before any probe"
# 20 probes: creation and removal (~1 s on tracefs) long enough to be hit
spec="u:$lib:f000[01]?"
total=0 bad="" left=""
for be in tracefs perf bpf; do
	for phase in ${KILL_STORM_PHASES:-create stream teardown}; do
		for k in $(seq "$kills"); do
			"$SONDE" trace -q --backend "$be" -p "$traced" "$spec" \
				>/dev/null 2>"$T_DIR/err" &
			s=$!
			killed="$killed$s "
			# a random instant: in creation 0-1 s in, in streaming
			# 0-0.5 s after the probes are on, in teardown 0-1 s
			# after SIGINT
			r=$((RANDOM % 1000))
			case $phase in
			create) sleep "0.$(printf %03d "$r")" ;;
			stream)
				wait_attached "$s" 10
				sleep "0.$(printf %03d $((r / 2)))"
				;;
			teardown)
				wait_attached "$s" 10
				sleep 0.3
				kill -INT "$s" 2>/dev/null
				sleep "0.$(printf %03d "$r")"
				;;
			esac
			kill -KILL "$s" 2>/dev/null
			wait "$s" 2>/dev/null
			total=$((total + 1))
			# the kernel's worker may still hold handed-over perf
			# events, which keeps their tracefs events busy: cleanup
			# again until the group is gone and the text restored
			n=0
			while [ "$n" -lt 50 ]; do
				"$SONDE" cleanup >/dev/null 2>&1
				grep -q "sonde_${s}_" "$TRACEFS/uprobe_events" ||
					[ -n "$(text_diff)" ] || break
				sleep 0.2
				n=$((n + 1))
			done
			grep -q "sonde_${s}_" "$TRACEFS/uprobe_events" &&
				left="$left
$be $phase kill $k: $(grep -c "sonde_${s}_" "$TRACEFS/uprobe_events") probes of sonde_${s}_ left after cleanup: $("$SONDE" cleanup -v 2>&1 | tail -n 3)"
			d=$(text_diff)
			[ -z "$d" ] || bad="$bad
$be $phase kill $k: text differs from the file:
$d"
		done
	done
done
expect_eq "$total kills: no int3 left in the traced text" "$bad" ""
expect_eq "$total kills: sonde cleanup removed every killed session's probes" "$left" ""
expect_eq "$total kills: no 'leaking uprobe' from the kernel" "$(leaks)" 
kill -0 "$traced" 2>/dev/null && ok "the traced process lived through it" ||
	not_ok "the traced process lived through it"
hygiene_check "$total kills, then cleanup: tracefs as found"
finish
