#!/bin/bash
# Teardown of many probes: on tracefs (the kernel takes ~50 ms a uprobe) a
# line on stderr says what is going on once it takes more than a second, a
# second SIGINT ends sonde at once with a message, and 'sonde cleanup' then
# leaves uprobe_events and instances/ as found; the perf and bpf backends
# exit at once and the kernel restores the traced text behind them. The
# traced text is checked against the library file itself (/proc/PID/mem).
# About 40 s.
. "$(dirname "$0")/lib.sh"
require_root
require_uprobes
lib=$FIXTURES/libmany.so
loop=$FIXTURES/fixture_many_loop
require_file "$SONDE" "$lib" "$loop"
hygiene_begin

start_bg "$loop" 0 200
traced=$BG
sleep 0.2

text_diff() { text_vs_file "$traced" "$lib"; }
now() { date +%s%N; }
ms() { echo $((($2 - $1) / 1000000)); }

spec="u:$lib:f00[01]??" # 200 probes

# tracefs: the progress line, then a second SIGINT; in a process group
# of its own, which the SIGINTs go to, as a terminal's Ctrl-C does
setsid "$SONDE" trace --backend tracefs -p "$traced" "$spec" >/dev/null \
	2>"$T_DIR/err" &
s=$!
wait_attached "$s" 30 || bail "tracefs session did not start" "$(cat "$T_DIR/err")"
[ -n "$(text_diff)" ] && ok "tracefs: the probes are in the traced text" ||
	not_ok "tracefs: the probes are in the traced text"
kill -INT -- -"$s"
if wait_line "$T_DIR/err" "removing 200 probes" 5; then
	ok "tracefs: a line says that 200 probes are being removed"
else
	not_ok "tracefs: a line says that 200 probes are being removed" "$(cat "$T_DIR/err")"
fi
t0=$(now)
kill -INT -- -"$s"
wait_exit "$s" 5
t1=$(now)
expect_eq "tracefs: a second SIGINT ends sonde (status 130)" "$RC" 130
[ "$(ms "$t0" "$t1")" -lt 1000 ] &&
	ok "tracefs: ... within 1 s ($(ms "$t0" "$t1") ms)" ||
	not_ok "tracefs: ... within 1 s ($(ms "$t0" "$t1") ms)"
expect_grep "tracefs: it says the rest is left to sonde cleanup" \
	"left to 'sonde cleanup'" "$T_DIR/err"
expect_eq "tracefs: ... once" "$(grep -c "left to 'sonde cleanup'" "$T_DIR/err")" 1
# the removal ran in a child of the same session: it has ended too
# (a zombie at most, if its parent went first)
sleep 0.5
expect_eq "tracefs: no process of the session is left" \
	"$(ps -o stat= -s "$s" | grep -vc "^Z")" 0
grep -q "sonde_${s}_" "$TRACEFS/uprobe_events" &&
	ok "tracefs: probes were left" || not_ok "tracefs: probes were left"
"$SONDE" cleanup >"$T_DIR/cl" 2>&1
expect_eq "cleanup: no probe of the interrupted session is left" \
	"$(grep -c "sonde_${s}_" "$TRACEFS/uprobe_events")" 0
expect_eq "cleanup: the traced text is the file's again" "$(text_diff)" ""

# perf (system-wide) and bpf: sonde exits at once, the kernel's worker
# restores the text behind it
for be in perf bpf; do
	"$SONDE" trace --backend "$be" "$spec" >/dev/null 2>"$T_DIR/err" &
	s=$!
	n=0
	while [ -z "$(text_diff)" ] && [ "$n" -lt 300 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	[ -n "$(text_diff)" ] || bail "$be session did not attach" "$(cat "$T_DIR/err")"
	sleep 0.5
	t0=$(now)
	kill -INT "$s"
	wait_exit "$s" 60
	t1=$(now)
	expect_eq "$be: SIGINT ends sonde (status 0)" "$RC" 0
	[ "$(ms "$t0" "$t1")" -lt 2000 ] &&
		ok "$be: 200 probes, sonde exits within 2 s ($(ms "$t0" "$t1") ms)" ||
		not_ok "$be: 200 probes, sonde exits within 2 s ($(ms "$t0" "$t1") ms)"
	n=0
	while [ -n "$(text_diff)" ] && [ "$n" -lt 600 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	t2=$(now)
	expect_eq "$be: the kernel restored the traced text ($(ms "$t0" "$t2") ms after SIGINT)" \
		"$(text_diff)" ""
done
hygiene_check "teardown: tracefs as found"
finish
