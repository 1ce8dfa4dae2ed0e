#!/bin/bash
# sonde inject on the host. This kernel has no inject files
# (CONFIG_TRACE_EVENT_INJECT), which its tracefs shows: one sentence, exit
# 2, for a tracepoint and for a running session's probe event. The rest
# (which instances a record goes to, the line written, refusals) on a copy
# of tracefs (SONDE_TRACEFS_ROOT) holding the kernel's own formats of the
# same two events and a regular file as each inject file; the kernel's
# side of it runs in the VM (tests/vm/tests/inject.sh).
. "$(dirname "$0")/lib.sh"
require_root
require_uprobes
bin=$FIXTURES/fixture_pie
require_file "$SONDE" "$bin"
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
tp=$TRACEFS/events/sched/sched_process_exec
[ -d "$tp" ] || bail "no sched:sched_process_exec in $TRACEFS"

nosuch="this kernel has no inject files (CONFIG_TRACE_EVENT_INJECT), so no record can be written into"
if [ -e "$tp/inject" ]; then
	skip "no inject file: one sentence" "this kernel has inject files"
else
	for ev in sched:sched_process_exec t:sched:sched_process_exec \
		tracepoint:sched:sched_process_exec sched/sched_process_exec; do
		"$SONDE" inject "$ev" pid=1 >"$T_DIR/out" 2>"$T_DIR/err"
		expect_eq "$ev: no inject file: exit 2" "$?" 2
		expect_eq "$ev: no inject file: one sentence" \
			"$(cat "$T_DIR/err")" \
			"sonde: $nosuch sched:sched_process_exec"
	done
fi

# a running session's probe event (its group as sonde trace -v says it)
hygiene_begin
start_bg "$SONDE" trace -v --backend tracefs -d 20 "u:$bin:add a=arg1:s32 b=arg2:u8 s=+0(%di):string" \
	>"$T_DIR/trace.out" 2>"$T_DIR/trace.err"
tracer=$BG
if wait_attached "$tracer" 15; then
	group=$(sed -n 's/.* in group \(sonde_[0-9_]*\)$/\1/p' "$T_DIR/trace.err")
	expect_eq "session: sonde trace -v names its group" \
		"$(echo "$group" | grep -c '^sonde_[0-9]*_[0-9]*$')" 1
	# the kernel's own formats, for the copy of tracefs below
	cp "$TRACEFS/events/$group/add/format" "$T_DIR/add.format"
	cp "$tp/format" "$T_DIR/exec.format"
	if [ ! -e "$TRACEFS/events/$group/add/inject" ]; then
		"$SONDE" inject "$group:add" a=1 >"$T_DIR/out" 2>"$T_DIR/err"
		expect_eq "session's event: no inject file: exit 2" "$?" 2
		expect_eq "session's event: no inject file: one sentence" \
			"$(cat "$T_DIR/err")" "sonde: $nosuch $group:add"
	fi
else
	not_ok "session: attached" "$(cat "$T_DIR/trace.err")"
fi
kill -INT "$tracer" 2>/dev/null
wait_exit "$tracer" 15
expect_eq "session: ends cleanly" "$RC" 0
hygiene_check "session: tracefs left as found"

"$SONDE" inject sched:no_such_event pid=1 >/dev/null 2>"$T_DIR/err"
expect_eq "unknown event: exit 2" "$?" 2
expect_grep "unknown event: says so" \
	"^sonde: no event sched:no_such_event (no events/sched/no_such_event in tracefs)$" \
	"$T_DIR/err"
"$SONDE" inject sched_process_exec pid=1 >/dev/null 2>"$T_DIR/err"
expect_eq "no SYSTEM: exit 2" "$?" 2
"$SONDE" inject -c true sched:sched_process_exec >/dev/null 2>"$T_DIR/err"
expect_eq "-c: refused, exit 2" "$?" 2

# --- a copy of tracefs --------------------------------------------------
[ -s "$T_DIR/add.format" ] || bail "no format of the session's event"
R=$T_DIR/tracefs
g=sonde_1_0
mkevent() # DIR SYS EV FORMAT: events/SYS/EV under DIR, disabled
{
	mkdir -p "$1/events/$2/$3"
	[ -n "$4" ] && cp "$4" "$1/events/$2/$3/format"
	: >"$1/events/$2/$3/inject"
	echo 0 >"$1/events/$2/$3/enable"
}
mkinstance() # NAME
{
	mkdir -p "$R/instances/$1"
	echo 1 >"$R/instances/$1/tracing_on"
	: >"$R/instances/$1/set_event_pid"
	mkevent "$R/instances/$1" $g add
	mkevent "$R/instances/$1" sched sched_process_exec
}
mkevent "$R" $g add "$T_DIR/add.format"
mkevent "$R" sched sched_process_exec "$T_DIR/exec.format"
echo 1 >"$R/tracing_on"
: >"$R/set_event_pid"
mkinstance $g
mkinstance sonde_2_0
mkinstance other
echo 1 >"$R/instances/$g/events/$g/add/enable"
echo 1 >"$R/instances/sonde_2_0/events/$g/add/enable"
echo 1 >"$R/instances/other/events/$g/add/enable"
inj() # the injected line in instance $1 ("" top level), event $2
{
	cat "$R${1:+/instances/$1}/events/$2/inject"
}
clear()
{
	find "$R" -name inject -exec sh -c ': >"$1"' _ {} \;
}
export SONDE_TRACEFS_ROOT=$R

"$SONDE" inject "$g:add" a=-5 b=255 s=hello >"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "copy: exit status" "$?" 0
expect_eq "copy: the kernel's syntax, strings quoted" \
	"$(inj $g $g/add)" 'a=-5 b=255 s="hello"'
expect_eq "copy: into every running session where it is enabled" \
	"$(inj sonde_2_0 $g/add)" 'a=-5 b=255 s="hello"'
expect_eq "copy: not into an instance not a session's" "$(inj other $g/add)" ""
expect_eq "copy: not into the top level" "$(inj "" $g/add)" ""
expect_eq "copy: says where it went" "$(sort "$T_DIR/err" | tr '\n' ,)" \
	"sonde: injected into instance $g,sonde: injected into instance sonde_2_0,"
clear
"$SONDE" inject -q --instance other "$g/add" a=0x7fffffff >"$T_DIR/out" \
	2>"$T_DIR/err"
expect_eq "--instance: only there" \
	"$(inj other $g/add),$(inj $g $g/add),$(cat "$T_DIR/err")" "a=0x7fffffff,,"
clear
"$SONDE" inject --top-level t:sched:sched_process_exec \
	filename=/bin/true pid=42 old_pid=-1 >"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "--top-level: a tracepoint" \
	"$(inj "" sched/sched_process_exec)" 'filename="/bin/true" pid=42 old_pid=-1'
expect_grep "--top-level: says so" "^sonde: injected into the top-level instance$" \
	"$T_DIR/err"
"$SONDE" inject sched:sched_process_exec pid=1 >/dev/null 2>"$T_DIR/err"
expect_eq "enabled nowhere: exit 1" "$?" 1
expect_grep "enabled nowhere: says how to go on" \
	"^sonde: no running sonde session has sched:sched_process_exec enabled" \
	"$T_DIR/err"

# refused before anything is written
clear
check_refused() # NAME STATUS PATTERN ARGS...
{
	local name=$1 st=$2 pat=$3
	shift 3
	"$SONDE" inject "$@" >/dev/null 2>"$T_DIR/err"
	expect_eq "$name: exit $st" "$?" "$st"
	expect_grep "$name: one sentence" "$pat" "$T_DIR/err"
	expect_eq "$name: nothing written" \
		"$(find "$R" -name inject -size +0 | wc -l)" 0
}
check_refused "u8 256" 2 "^sonde: b is u8: 256 does not fit, and the kernel would cut it$" \
	"$g:add" b=256
check_refused "unknown field" 2 "^sonde: add has no field 'c': it has a, b and s$" \
	"$g:add" a=1 c=2
check_refused "negative unsigned" 2 "^sonde: b is unsigned (u8): '-1' is negative$" \
	"$g:add" b=-1
check_refused "not a number" 2 "'zz' is not one" "$g:add" a=zz
check_refused "a string too long" 2 "at most 255 characters" "$g:add" \
	"s=$(printf '%0300d' 0)"
check_refused "common_pid" 2 "common_pid is set by the kernel" "$g:add" \
	common_pid=1
check_refused "no such instance" 2 "^sonde: no tracing instance nope$" \
	--instance nope "$g:add" a=1
check_refused "instance and top level" 2 "not both" --instance other \
	--top-level "$g:add" a=1
echo 123 >"$R/instances/sonde_2_0/set_event_pid"
check_refused "a session with a pid filter" 2 \
	"^sonde: instance sonde_2_0 records only the processes in its set_event_pid" \
	"$g:add" a=1
: >"$R/instances/sonde_2_0/set_event_pid"
echo 0 >"$R/instances/$g/tracing_on"
check_refused "tracing off" 2 \
	"^sonde: tracing is off in instance $g (tracing_on is 0): the kernel would drop the record$" \
	"$g:add" a=1
echo 1 >"$R/instances/$g/tracing_on"

finish
