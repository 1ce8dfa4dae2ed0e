#!/bin/bash
# sonde inject on a kernel with inject files (CONFIG_TRACE_EVENT_INJECT;
# run inside the VM by tests/vm/run): a record injected into a running
# session's uprobe or kprobe event appears in sonde trace's output with the
# injected values, passes or fails its --filter, and lands in its --hist
# table; a record injected into a tracepoint. The reference for each is
# the kernel itself: the same record injected into an instance of this
# script's own ("sonde_ref" is not a session's: instances/sonde_ref would
# be, so it is "ref_inject"), read back from its trace and hist files.
# On a kernel without inject files: the one sentence, then a skip.
. "$SRC_DIR/tests/integration/lib.sh"
require_root

if [ ! -x "$SONDE" ]; then
	skip "$T_NAME" "no sonde binary in the VM image"
	exit 0
fi
bin=$FIXTURES/fixture_pie
tp=sched:sched_process_exec
if [ ! -e "$TRACEFS/events/sched/sched_process_exec/inject" ]; then
	"$SONDE" inject "$tp" pid=1 >/dev/null 2>"$T_DIR/err"
	expect_eq "no inject file: exit 2, one sentence" "$?:$(cat "$T_DIR/err")" \
		"2:sonde: this kernel has no inject files (CONFIG_TRACE_EVENT_INJECT), so no record can be written into $tp"
	skip "$T_NAME" "this kernel has no inject files (CONFIG_TRACE_EVENT_INJECT)"
	finish
fi

REF=$TRACEFS/instances/ref_inject
cleanup_ref()
{
	local t
	[ -d "$REF" ] || return 0
	for t in $(ls "$REF/events" 2>/dev/null | grep '^sonde_'); do
		[ -e "$REF/events/$t/add/trigger" ] &&
			echo '!hist:keys=a' >>"$REF/events/$t/add/trigger" 2>/dev/null
		[ -e "$REF/events/$t/add/filter" ] &&
			echo 0 >"$REF/events/$t/add/filter" 2>/dev/null
	done
	rmdir "$REF"
}
trap 'cleanup_ref; cleanup_lib' EXIT
cleanup_ref
mkdir "$REF" || bail "cannot make $REF"

# session SPEC [OPTIONS]: sonde trace on the tracefs backend, system-wide
# (a session with -p or -c filters by pid: the kernel drops a record the
# inject command writes), until SIGINT; its group in $group
session()
{
	local spec=$1
	shift
	start_bg "$SONDE" trace -v --backend tracefs -d 60 "$@" "$spec" \
		>"$T_DIR/trace.out" 2>"$T_DIR/trace.err"
	tracer=$BG
	group=
	enabled "$tracer" || return 1
	group=$(sed -n 's/.* in group \(sonde_[0-9_]*\)$/\1/p' "$T_DIR/trace.err")
	[ -n "$group" ]
}
# enabled PID: its session's event is enabled in its instance: "1", or
# "1*" with a trigger (soft mode, trace_events.c event_enable_read())
enabled()
{
	local n=300 f
	while [ $n -gt 0 ]; do
		for f in "$TRACEFS"/instances/sonde_"$1"_*/events/sonde_"$1"_*/*/enable; do
			case $(cat "$f" 2>/dev/null) in 1*) return 0 ;; esac
		done
		kill -0 "$1" 2>/dev/null || return 1
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}
stop()
{
	kill -INT "$tracer" 2>/dev/null
	wait_exit "$tracer" 30
}
# snap: the reference instance's trace, read while the session's event
# exists (removing a probe event resets every buffer: trace_events.c)
snap()
{
	cat "$REF/trace" >"$T_DIR/ref.trace"
}
# ref_fields EVENT: the fields of the snapped trace lines of EVENT, as
# "EVENT: a=1 b=2" ("(ip)" left out), in order
# (less sonde's own field, __sonde_pcomm: an injected record has no comm)
ref_fields()
{
	sed -n "s/^.* $1: /$1: /p" "$T_DIR/ref.trace" |
		sed "s/^$1: ([^)]*) /$1: /; s/ __sonde_pcomm=[^ ]*//"
}
inject()
{
	"$SONDE" inject "$@" >"$T_DIR/inj.out" 2>"$T_DIR/inj.err"
}

# 1. the values, in sonde trace's output and in the kernel's trace
hygiene_begin
if session "u:$bin:add a=arg1:s32 b=arg2:s32 s=+0(arg1):string"; then
	inject "$group:add" a=7 b=-3 s=injected
	expect_eq "uprobe event: exit status" "$?" 0
	expect_eq "uprobe event: says where it went" "$(cat "$T_DIR/inj.err")" \
		"sonde: injected into instance $group"
	inject --instance ref_inject "$group:add" a=7 b=-3 s=injected
	expect_eq "reference instance: exit status" "$?" 0
	snap
	stop
	expect_eq "uprobe event: the kernel's trace has the record" \
		"$(ref_fields add)" 'add: a=7 b=-3 s="injected"'
	expect_eq "uprobe event: sonde trace prints the injected values" \
		"$(events "$T_DIR/trace.out")" "$(ref_fields add)"
	echo >"$REF/trace"
else
	not_ok "uprobe session attached" "$(cat "$T_DIR/trace.err")"
	stop
fi
hygiene_check "uprobe event: tracefs left as found"

# 2. --filter: the kernel applies the session's filter to injected records
hygiene_begin
if session "u:$bin:add a=arg1:s32 b=arg2:s32" --filter 'a > 5'; then
	for a in 3 9 5 6; do
		inject "$group:add" a=$a b=$((a * 2)) || break
		inject --instance ref_inject "$group:add" a=$a b=$((a * 2))
	done
	echo 'a > 5' >"$REF/events/$group/add/filter"
	for a in 3 9 5 6; do
		inject --instance ref_inject "$group:add" a=$a b=$((a * 2))
	done
	echo 0 >"$REF/events/$group/add/filter"
	snap
	stop
	expect_eq "--filter 'a > 5': 9 and 6 pass, 3 and 5 do not" \
		"$(events "$T_DIR/trace.out" | tr '\n' ,)" "add: a=9 b=18,add: a=6 b=12,"
	expect_eq "--filter: as the kernel filters in an instance of its own" \
		"$(ref_fields add | tail -n +5 | tr '\n' ,)" \
		"$(events "$T_DIR/trace.out" | tr '\n' ,)"
	echo >"$REF/trace"
else
	not_ok "filtered session attached" "$(cat "$T_DIR/trace.err")"
	stop
fi
hygiene_check "--filter: tracefs left as found"

# 3. --hist: injected records land in the session's hist table
hygiene_begin
if session "u:$bin:add a=arg1:s32" --hist 'keys=a'; then
	echo 'hist:keys=a' >>"$REF/events/$group/add/trigger"
	for a in 7 7 9 7; do
		inject "$group:add" a=$a
		inject --instance ref_inject "$group:add" a=$a
	done
	hist_ref=$(grep -E '^\{ ' "$REF/events/$group/add/hist" | sort)
	echo '!hist:keys=a' >>"$REF/events/$group/add/trigger"
	stop
	expect_eq "--hist: 7 three times, 9 once" \
		"$(grep -E '^\{ ' "$T_DIR/trace.out" | tr -s ' ' | sort | tr '\n' ,)" \
		"{ a: 7 } hitcount: 3,{ a: 9 } hitcount: 1,"
	expect_eq "--hist: the table the kernel keeps in an instance of its own" \
		"$(grep -E '^\{ ' "$T_DIR/trace.out" | sort)" "$hist_ref"
else
	not_ok "hist session attached" "$(cat "$T_DIR/trace.err")"
	stop
fi
hygiene_check "--hist: tracefs left as found"

# 4. a kprobe event, filtered so that only the injected record passes
fn=do_sys_openat2
if [ -w "$TRACEFS/kprobe_events" ]; then
	hygiene_begin
	if session "k:$fn dfd=arg1:s32 flags=arg3:x64" --filter 'dfd == 4242'; then
		inject "$group:$fn" dfd=4242 flags=0x241
		expect_eq "kprobe event: exit status" "$?" 0
		inject --instance ref_inject "$group:$fn" dfd=4242 flags=0x241
		snap
		stop
		expect_eq "kprobe event: sonde trace prints the injected values" \
			"$(events "$T_DIR/trace.out" | sed 's/: ([^)]*)/:/')" \
			"$(ref_fields $fn)"
		expect_eq "kprobe event: the kernel's trace has the record" \
			"$(ref_fields $fn)" "$fn: dfd=4242 flags=0x241"
		echo >"$REF/trace"
	else
		not_ok "kprobe session attached" "$(cat "$T_DIR/trace.err")"
		stop
	fi
	hygiene_check "kprobe event: tracefs left as found"
else
	skip "kprobe event" "no kprobe_events"
fi

# 5. a session with -c records only its processes (set_event_pid): the
# kernel drops a record written by another process, and says it wrote it,
# so sonde inject refuses
hygiene_begin
if session "u:$bin:add a=arg1:s32" -c "/bin/busybox sleep 3"; then
	inject "$group:add" a=5
	expect_eq "a -c session: refused, exit 2" "$?" 2
	expect_grep "a -c session: says why" \
		"^sonde: instance $group records only the processes in its set_event_pid" \
		"$T_DIR/inj.err"
	# what the kernel does with such a write: takes it, records nothing
	echo a=5 >"$TRACEFS/instances/$group/events/$group/add/inject"
	expect_eq "a -c session: the kernel answers the write as done" "$?" 0
	wait_exit "$tracer" 30
	expect_eq "a -c session: and the record is not there" \
		"$(events "$T_DIR/trace.out")" ""
else
	not_ok "-c session attached" "$(cat "$T_DIR/trace.err")"
	stop
fi
hygiene_check "a -c session: tracefs left as found"

# 6. a tracepoint, t:SYSTEM:EVENT and SYSTEM:EVENT
inject --instance ref_inject "t:$tp" filename=/injected/path pid=77 old_pid=-1
expect_eq "tracepoint: exit status" "$?" 0
inject --instance ref_inject "$tp" filename="'two words'" pid=78 old_pid=78
snap
expect_eq "tracepoint: the kernel's trace has both records" \
	"$(ref_fields sched_process_exec | tr '\n' ,)" \
	"sched_process_exec: filename=/injected/path pid=77 old_pid=-1,sched_process_exec: filename=two words pid=78 old_pid=78,"
inject --instance ref_inject "$tp" pid=4294967296
expect_eq "tracepoint: a pid_t past s32 is refused (exit 2)" "$?" 2
expect_grep "tracepoint: and says why" "^sonde: pid is s32: 4294967296 does not fit" \
	"$T_DIR/inj.err"
inject --instance ref_inject "$tp" comm=x
expect_grep "tracepoint: unknown field: the ones it has" \
	"^sonde: sched_process_exec has no field 'comm': it has filename, pid and old_pid$" \
	"$T_DIR/inj.err"

cleanup_ref
check "reference instance removed" test ! -d "$REF"
finish
