#!/bin/bash
# A process whose pid an earlier, traced process had: its events carry its
# own comm, never the earlier one's. tracefs keeps a pid -> comm table
# (saved_cmdlines) written only by events that went through its ring; a
# pid traced there once keeps its old name in it. The test traces a copy of
# the fixture named "stalename" through tracefs, then makes the next
# process get the same pid (/proc/sys/kernel/ns_last_pid) and traces the
# fixture itself on each backend, as a shell's child that is gone by the
# time its events are read: its events must say fixture_pie (the
# name exec gave it, as /proc and ps show), or <...> where the backend
# cannot know it, never stalename.
. "$(dirname "$0")/lib.sh"
require_root
require_uprobes
require_file "$SONDE" "$FIXTURES/fixture_pie"
[ -w /proc/sys/kernel/ns_last_pid ] || { skip "$T_NAME" "no ns_last_pid"; finish; }

bin=$(readlink -f "$FIXTURES/fixture_pie")
stale=$T_DIR/stalename
cp "$bin" "$stale"
cp "$FIXTURES"/libfixture.so "$T_DIR"/ 2>/dev/null
hygiene_begin

for be in bpf perf tracefs; do
	got=
	for try in $(seq 15); do
		"$SONDE" trace --backend tracefs -c "$stale 1" "u:$stale:add" \
			>"$T_DIR/first" 2>/dev/null
		P=$(awk 'NR == 1 { split($3, a, "/"); print a[1] }' "$T_DIR/first")
		[ -n "$P" ] || continue
		grep -q "^ *$P stalename\$" "$TRACEFS/saved_cmdlines" || continue
		# the next forks get P - 2 (sonde), P - 1 (its -c shell), then
		# P (the fixture: the shell's child, reaped at once, so gone
		# when its events are read)
		echo $((P - 3)) >/proc/sys/kernel/ns_last_pid
		"$SONDE" trace --backend $be -c "sh -c '$bin 2; true'" "u:$bin:add" \
			>"$T_DIR/out.$be" 2>"$T_DIR/err.$be"
		Q=$(awk 'NR == 1 { split($3, a, "/"); print a[1] }' "$T_DIR/out.$be")
		if [ "$Q" = "$P" ]; then
			got=$try
			break
		fi
	done
	if [ -z "$got" ]; then
		skip "$be: the traced command never got the reused pid" "tried 15 times"
		continue
	fi
	echo "# $be: pid $P reused (try $got)"
	comms=$(awk '{ print $2 }' "$T_DIR/out.$be" | sort -u | tr '\n' ' ')
	expect_eq "$be: two events" "$(wc -l <"$T_DIR/out.$be" | tr -d ' ')" 2
	case $comms in
	*stalename*) not_ok "$be: the events' comm is not the pid's earlier owner's" "$comms" ;;
	"fixture_pie " | "<...> ") ok "$be: the events' comm is not the pid's earlier owner's ($comms)" ;;
	*) not_ok "$be: the events' comm is fixture_pie or <...>" "$comms" ;;
	esac
done
case $(awk '{ print $2 }' "$T_DIR/out.bpf" 2>/dev/null | sort -u) in
fixture_pie) ok "bpf: the comm taken at the hit" ;;
*) [ -s "$T_DIR/out.bpf" ] && not_ok "bpf: the comm taken at the hit" "$(head -2 "$T_DIR/out.bpf")" ;;
esac

hygiene_check "nothing left behind"
finish
