#!/bin/bash
# Tracepoints (t:SYSTEM:EVENT, tracepoint:SYSTEM:EVENT) on each backend
# that takes them, against exact values: the fixture tp_prog writes N bytes
# to fd K M times, forks once and execs a known path (tests/fixtures/
# tp_prog.c), and the kernel's own trace output of the same events, read
# from an instance this test sets up itself, says what each record held.
# Also: sonde list t:GLOB against events/, the format file, errors, and
# the top-level events' enable/filter/trigger left untouched.
. "$(dirname "$0")/lib.sh"
require_root
require_file "$SONDE" "$FIXTURES/tp_prog"
[ -e "$TRACEFS/events" ] || mount -t tracefs nodev "$TRACEFS" 2>/dev/null
for e in syscalls/sys_enter_write sched/sched_process_exec \
	sched/sched_process_fork; do
	if [ ! -e "$TRACEFS/events/$e/format" ]; then
		skip "$T_NAME" "no tracepoint $e in $TRACEFS/events"
		finish
	fi
done

# the backends that take tracepoints (bpf where this kernel has BPF)
BACKENDS=${TP_BACKENDS:-"tracefs perf bpf"}
if ! "$SONDE" check 2>/dev/null | grep -q '^BPF: *yes'; then
	skip "bpf backend" "no BPF here"
	BACKENDS=$(echo "$BACKENDS" | sed 's/ *bpf//')
fi
fix=$FIXTURES/tp_prog
N=7 K=9 M=5
EXEC=/bin/true

# The kernel's own record of the same events: an instance of this test's,
# removed at exit.
REF=$TRACEFS/instances/tptest_$$
ref_cleanup()
{
	local e
	[ -d "$REF" ] || return 0
	for e in syscalls/sys_enter_write sched/sched_process_exec \
		sched/sched_process_fork; do
		echo 0 >"$REF/events/$e/enable" 2>/dev/null
		echo 0 >"$REF/events/$e/filter" 2>/dev/null
	done
	rmdir "$REF" 2>/dev/null
}
trap 'ref_cleanup; cleanup_lib' EXIT

# top-level files of the events used, as found
toplevel()
{
	local e f
	for e in syscalls/sys_enter_write syscalls/sys_exit_write \
		sched/sched_process_exec sched/sched_process_fork \
		sched/sched_process_exit; do
		for f in enable filter trigger; do
			echo "$e/$f: $(cat "$TRACEFS/events/$e/$f" 2>&1)"
		done
	done
	echo "events/enable: $(cat "$TRACEFS/events/enable")"
	echo "set_event_pid: $(cat "$TRACEFS/set_event_pid" 2>&1)"
}
toplevel >"$T_DIR/top.before"

hygiene_begin
mkdir "$REF" || bail "cannot make instance $REF"
echo "count == $N" >"$REF/events/syscalls/sys_enter_write/filter"
for e in syscalls/sys_enter_write sched/sched_process_exec \
	sched/sched_process_fork; do
	echo 1 >"$REF/events/$e/enable" || bail "cannot enable $e in $REF"
done

# fixture_pid ERRFILE: P of the fixture's "tp_prog: pid=P child=C"
fixture_pid() { sed -n 's/^tp_prog: pid=\([0-9]*\) child=.*/\1/p' "$1"; }
fixture_child() { sed -n 's/^tp_prog: pid=[0-9]* child=\([0-9]*\)$/\1/p' "$1"; }
# ref_lines PID: the reference instance's lines of task PID
ref_lines() { grep -E -- "-$1 +\[[0-9]+\]" "$T_DIR/ref.trace"; }
# pids FILE: the pid of each event line (PID/TID)
pids() { sed -n 's/^ *[0-9.]* .* \([0-9]*\)\/[0-9]* \[[0-9]*\] .*/\1/p' "$1" | sort -u; }

# noise: another process writes N bytes again and again all along: -c
# must keep it out (the events are system-wide in the kernel)
(while :; do printf '%7s' x >/dev/null; sleep 0.01; done) &
NOISE=$!
T_BGPIDS="$T_BGPIDS $NOISE"

for b in $BACKENDS; do
	# the bpf backend refuses a filter (test-tracepoint-bpf.sh): its
	# writes of N bytes are picked out here instead
	FILTER=(--filter "count == $N")
	[ "$b" = bpf ] && FILTER=()
	pick() { if [ "$b" = bpf ]; then grep " count=$N\$"; else cat; fi; }
	# sys_enter_write: fd and count by name, the kernel's filter
	"$SONDE" trace -q --backend "$b" "${FILTER[@]}" \
		-c "$fix $N $K $M" 't:syscalls:sys_enter_write fd count' \
		>"$T_DIR/w.$b" 2>"$T_DIR/w.$b.err"
	expect_eq "$b: trace t:syscalls:sys_enter_write: exit status" "$?" 0
	P=$(fixture_pid "$T_DIR/w.$b.err")
	[ -n "$P" ] || bail "$b: the fixture printed no pid" "$(cat "$T_DIR/w.$b.err")"
	expect_eq "$b: --filter 'count == $N': the fixture's $M writes, fd and count as its source says" \
		"$(events "$T_DIR/w.$b" | pick | sort | uniq -c | sed 's/^ *//')" \
		"$M sys_enter_write: fd=$K count=$N"
	expect_eq "$b: -c: only the fixture's process (pid $P), not the other writer" \
		"$(pids "$T_DIR/w.$b")" "$P"
	cp "$REF/trace" "$T_DIR/ref.trace"
	expect_eq "$b: the kernel's own trace has the same $M records of pid $P" \
		"$(ref_lines "$P" | grep -cE "(sys_enter_write: |sys_write\()fd: (0x0*)?$K, buf: (0x)?[0-9a-f]+, count: (0x0*)?$N\)?\$")" \
		"$M"

	# -p PID: a shell that waits on a fifo, then execs the fixture (the
	# same pid); sonde ends when it exits
	rm -f "$T_DIR/go"
	mkfifo "$T_DIR/go"
	start_bg sh -c "read x <'$T_DIR/go'; exec '$fix' $N $K $M" \
		2>"$T_DIR/p.$b.err"
	TARGET=$BG
	"$SONDE" trace -q --backend "$b" -p "$TARGET" "${FILTER[@]}" \
		't:syscalls:sys_enter_write fd count' >"$T_DIR/p.$b" 2>&1 &
	SPID=$!
	T_BGPIDS="$T_BGPIDS $SPID"
	if wait_attached "$SPID"; then
		echo go >"$T_DIR/go"
		wait_exit "$TARGET" 20
		wait_exit "$SPID" 20
		expect_eq "$b: -p $TARGET: its $M writes, only its (status $RC)" \
			"$(events "$T_DIR/p.$b" | pick | sort | uniq -c | sed 's/^ *//') $(pids "$T_DIR/p.$b")" \
			"$M sys_enter_write: fd=$K count=$N $TARGET"
	else
		not_ok "$b: -p: sonde attached" "$(cat "$T_DIR/p.$b")"
		echo go >"$T_DIR/go"
	fi

	# count --by fd: fd K exactly M times
	"$SONDE" count -q --backend "$b" --by fd -c "$fix $N $K $M" \
		'tracepoint:syscalls:sys_enter_write' \
		>"$T_DIR/c.$b" 2>"$T_DIR/c.$b.err"
	expect_eq "$b: count --by fd: exit status" "$?" 0
	expect_eq "$b: count --by fd (tracepoint:): fd $K counted $M times" \
		"$(awk -v k="$K" '$1 == "sys_enter_write" && $2 == k { print $3 }' "$T_DIR/c.$b")" \
		"$M"

	# hist --value count: M values of N
	"$SONDE" hist -q --backend "$b" --value count "${FILTER[@]}" \
		-c "$fix $N $K $M" 't:syscalls:sys_enter_write' \
		>"$T_DIR/h.$b" 2>"$T_DIR/h.$b.err"
	if [ "$b" = bpf ]; then # and, unfiltered, the fixture's line on stderr
		L=$(grep '^tp_prog: pid=' "$T_DIR/h.$b.err" | wc -c)
		expect_grep "$b: hist --value count: $M values of $N and the $L bytes of its line" \
			"count $((M + 1)), sum $((M * N + L)), avg [0-9]*, min $N, max $L\$" "$T_DIR/h.$b"
	else
		expect_grep "$b: hist --value count: $M values of $N" \
			"count $M, sum $((M * N)), avg $N, min $N, max $N" "$T_DIR/h.$b"
	fi

	# sched_process_exec: the path the fixture execs, and its pid
	"$SONDE" trace -q --backend "$b" -c "$fix $N $K 1 $EXEC" \
		't:sched:sched_process_exec' \
		>"$T_DIR/x.$b" 2>"$T_DIR/x.$b.err"
	expect_eq "$b: trace t:sched:sched_process_exec: exit status" "$?" 0
	P=$(fixture_pid "$T_DIR/x.$b.err")
	expect_eq "$b: sched_process_exec: filename $EXEC, pid $P (the fixture's)" \
		"$(events "$T_DIR/x.$b" | grep "filename=\"$EXEC\"")" \
		"sched_process_exec: filename=\"$EXEC\" pid=$P old_pid=$P"
	cp "$REF/trace" "$T_DIR/ref.trace"
	expect_eq "$b: the kernel's own trace has that exec" \
		"$(grep -c "sched_process_exec: filename=$EXEC pid=$P old_pid=$P\$" "$T_DIR/ref.trace")" \
		1

	# sched_process_fork: parent and child pids, and the child's comm
	"$SONDE" trace -q --backend "$b" -c "$fix $N $K 1" \
		't:sched:sched_process_fork parent_pid child=child_pid' \
		>"$T_DIR/f.$b" 2>"$T_DIR/f.$b.err"
	P=$(fixture_pid "$T_DIR/f.$b.err")
	C=$(fixture_child "$T_DIR/f.$b.err")
	expect_eq "$b: sched_process_fork: parent_pid $P, child $C (NAME=FIELD)" \
		"$(events "$T_DIR/f.$b")" \
		"sched_process_fork: parent_pid=$P child=$C"
	cp "$REF/trace" "$T_DIR/ref.trace"
	expect_eq "$b: the kernel's own trace has that fork" \
		"$(grep -c "sched_process_fork: comm=tp_prog pid=$P child_comm=tp_prog child_pid=$C\$" "$T_DIR/ref.trace")" \
		1
	# no ARGS: every field of the format, strings as strings
	"$SONDE" trace -q --backend "$b" -c "$fix $N $K 1" \
		't:sched:sched_process_fork' >"$T_DIR/fa.$b" 2>"$T_DIR/fa.$b.err"
	P=$(fixture_pid "$T_DIR/fa.$b.err")
	C=$(fixture_child "$T_DIR/fa.$b.err")
	expect_eq "$b: no ARGS: every field by its format's name" \
		"$(events "$T_DIR/fa.$b")" \
		"sched_process_fork: parent_comm=\"tp_prog\" parent_pid=$P child_comm=\"tp_prog\" child_pid=$C"

	# a glob: each matching event (sched_process_exec and _exit); -c
	# follows the fixture's child too: its exit, and nothing else's
	"$SONDE" trace -q --backend "$b" -c "$fix $N $K 1 $EXEC" \
		't:sched:sched_process_ex*' >"$T_DIR/g.$b" 2>"$T_DIR/g.$b.err"
	P=$(fixture_pid "$T_DIR/g.$b.err")
	C=$(fixture_child "$T_DIR/g.$b.err")
	expect_eq "$b: t:sched:sched_process_ex*: the exec and exit of pid $P, the exit of its child $C, nothing else" \
		"$(events "$T_DIR/g.$b" | sed -n 's/^\(sched_process_ex[a-z]*\):.* pid=\([0-9]*\)\( .*\)*$/\1 \2/p' | grep -v "^sched_process_exec .*filename=" | sort -u | tr '\n' ,)" \
		"$(printf 'sched_process_exec %s\nsched_process_exit %s\nsched_process_exit %s\n' "$P" "$C" "$P" | sort -u | tr '\n' ,)"

	# a syscall's int argument in its unsigned long slot: the fixture's
	# open("/dev/null") is openat(AT_FDCWD, ...), AT_FDCWD -100 in
	# <fcntl.h>; O_WRONLY|O_CLOEXEC its flags
	"$SONDE" trace -q --backend "$b" -c "$fix $N $K 1" \
		't:syscalls:sys_enter_openat dfd flags' >"$T_DIR/d.$b" 2>"$T_DIR/d.$b.err"
	flags=$(printf '#include <fcntl.h>\nO_WRONLY|O_CLOEXEC\n' |
		cc -E -P - 2>/dev/null | tail -n 1)
	# no compiler (the VM): include/uapi/asm-generic/fcntl.h's values
	flags=$((${flags:-01|02000000}))
	expect_grep "$b: sys_enter_openat: dfd=-100 (AT_FDCWD, an int), flags=$flags" \
		"sys_enter_openat: dfd=-100 flags=$flags\$" "$T_DIR/d.$b"

	# latency: sys_enter_write to sys_exit_write: the M writes and the
	# one of the fixture's line on stderr
	"$SONDE" latency -q --backend "$b" -c "$fix $N $K $M" \
		't:syscalls:sys_enter_write' >"$T_DIR/l.$b" 2>"$T_DIR/l.$b.err"
	expect_grep "$b: latency t:syscalls:sys_enter_write: $((M + 1)) writes paired with their exits" \
		"^count $((M + 1)), " "$T_DIR/l.$b"

	# stack: the kernel's fork path (bpf records no stacks: it says so)
	"$SONDE" stack -q --backend "$b" -c "$fix $N $K 1" \
		't:sched:sched_process_fork' >"$T_DIR/s.$b" 2>"$T_DIR/s.$b.err"
	if [ "$b" = bpf ]; then
		expect_grep "$b: stack: refused in one sentence" \
			"the bpf backend records no stacks" "$T_DIR/s.$b.err"
	else
		expect_grep "$b: stack t:sched:sched_process_fork: kernel_clone in it" \
			"^ *kernel_clone+0x" "$T_DIR/s.$b"
	fi

	# a field the event lacks: exit 2, the fields listed, a caret
	lead='t:syscalls:sys_enter_write fd '
	"$SONDE" trace -q --backend "$b" -c "$fix $N $K 1" \
		't:syscalls:sys_enter_write fd nosuch' >"$T_DIR/e.$b" 2>"$T_DIR/e.$b.err"
	expect_eq "$b: a field the format lacks: exit 2" "$?" 2
	expect_grep "$b: ... the error lists the event's fields" \
		"syscalls:sys_enter_write has no field 'nosuch'; its fields: __syscall_nr fd buf count" \
		"$T_DIR/e.$b.err"
	expect_eq "$b: ... with a caret under the field" \
		"$(tail -n 1 "$T_DIR/e.$b.err")" \
		"$(printf '%*s^' $((2 + ${#lead})) '')"
done
kill "$NOISE" 2>/dev/null

"$SONDE" trace -q -c "$fix $N $K 1" 't:sched:no_such_event' \
	>"$T_DIR/u" 2>"$T_DIR/u.err"
expect_eq "an event the kernel lacks: exit 2" "$?" 2
expect_grep "... named in the message" "no tracepoint 'sched:no_such_event'" \
	"$T_DIR/u.err"

# a glob with fields: the events that lack one are skipped and counted
want=0 skipped=0
for d in "$TRACEFS"/events/syscalls/sys_enter_open*; do
	if grep -q ' filename;' "$d/format"; then
		want=$((want + 1))
	else
		skipped=$((skipped + 1))
	fi
done
"$SONDE" trace -v -c "$fix $N $K 1" 't:syscalls:sys_enter_open* filename' \
	>"$T_DIR/o" 2>"$T_DIR/o.err"
expect_eq "a glob with a field: exit status" "$?" 0
expect_grep "... the events without the field are skipped ($want kept, $skipped skipped, as their format files say)" \
	"$want tracepoints*, $skipped skipped (without the fields asked for)" \
	"$T_DIR/o.err"
expect_grep "... the fixture's open of /dev/null (openat) is there" \
	"sys_enter_openat: filename=" "$T_DIR/o"

# sonde list t:GLOB against events/
"$SONDE" list -q 't:sched:sched_process_*' >"$T_DIR/list" 2>"$T_DIR/list.err"
expect_eq "list t:sched:sched_process_*: exit status" "$?" 0
ls "$TRACEFS/events/sched" | grep '^sched_process_' |
	sed 's/^/t:sched:/' | sort >"$T_DIR/list.want"
expect_file_eq "list t:sched:sched_process_*: the events of events/sched" \
	"$T_DIR/list" "$T_DIR/list.want"
"$SONDE" list -q 't:sys*:sys_enter_write*' >"$T_DIR/list2" 2>&1
expect_eq "list with globs in both parts" "$(tr '\n' ' ' <"$T_DIR/list2")" \
	"$(for e in $(ls "$TRACEFS/events/syscalls" | grep '^sys_enter_write'); do
		printf 't:syscalls:%s ' "$e"; done)"

# sonde format: the kernel's own format file
"$SONDE" format -q 't:sched:sched_process_exec' >"$T_DIR/fmt" 2>&1
# (copied: a tracefs file says size 0, which cmp takes for a difference)
cat "$TRACEFS/events/sched/sched_process_exec/format" >"$T_DIR/fmt.want"
expect_file_eq "format t:sched:sched_process_exec: the kernel's format file" \
	"$T_DIR/fmt" "$T_DIR/fmt.want"

ref_cleanup
toplevel >"$T_DIR/top.after"
expect_file_eq "the top-level events' enable, filter and trigger untouched" \
	"$T_DIR/top.after" "$T_DIR/top.before"
hygiene_check "tracefs left as found (no instance, nothing in dynamic_events)"

finish
