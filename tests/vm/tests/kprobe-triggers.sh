#!/bin/bash
# Filters, triggers, stacks and in-kernel histograms on a real kprobe
# (inside the VM, see tests/vm/README.md): --filter on a string field,
# --trigger stacktrace (with a count and "if"), -s, --hist, traceoff and
# enable_event, on do_sys_openat2, which open_sys's legacy open(2) reaches
# (through __x64_sys_open; the loader's opens come through openat).
# Every sonde run must leave kprobe_events, uprobe_events and instances/ as
# found.
. "$SRC_DIR/tests/integration/lib.sh"
require_root

if [ ! -x "$SONDE" ]; then
	skip "$T_NAME" "no sonde binary in the VM image"
	exit 0
fi
if [ ! -w "$TRACEFS/kprobe_events" ]; then
	skip "$T_NAME" "this kernel has no kprobe_events"
	exit 0
fi
O=$FIXTURES/open_sys
require_file "$O"

file=/etc/sonde-vm.env
other=/etc/hostname
fn=do_sys_openat2
probe="k:$fn path=+0(arg2):ustring"

# run NAME 'OPEN_SYS ARGS' SONDE-TRACE-ARGS...: as in kprobe-seed.sh: trace
# open_sys ARGS with -c, events in $T_DIR/out; sets RC and PID; checks the
# exit status and that tracefs is as found.
run()
{
	local name=$1 args=$2
	shift 2
	hygiene_begin
	"$SONDE" trace -q -o "$T_DIR/out" -c "$O $args" "$@" \
		>"$T_DIR/child" 2>"$T_DIR/err"
	RC=$?
	PID=$(sed -n 's/^pid=\([0-9]*\) .*/\1/p' "$T_DIR/child" | head -n 1)
	if [ "$RC" = 0 ] && [ -n "$PID" ]; then
		ok "$name: exit status 0, child ran"
	else
		not_ok "$name: exit status 0, child ran" "exit $RC
stderr: $(cat "$T_DIR/err")
child: $(cat "$T_DIR/child")"
	fi
	hygiene_check "$name: tracefs left as found"
}

# mine: the child's events, "PROBE: (LOCATION) ARGS", in order.
mine()
{
	sed -n "s/^ *[0-9][0-9]*\.[0-9]* [^ ]* *$PID\/[0-9]* \[[0-9]*\] //p" \
		"$T_DIR/out"
}

# all_events: every event line of the output, whoever's.
all_events()
{
	grep -c '^ *[0-9][0-9]*\.[0-9]* .* [0-9][0-9]*/[0-9][0-9]* \[[0-9]*\] ' \
		"$T_DIR/out"
}

expect_count()
{
	local n
	n=$(mine | grep -c -e "$3")
	if [ "$n" = "$2" ]; then
		ok "$1"
	else
		not_ok "$1" "$n events match '$3', want $2; output:
$(head -n 30 "$T_DIR/out")"
	fi
}

# stacks: each event line of the child followed by its " => " frames, as
# "PATH|frame,frame,..." (frames without their +off/size).
stacks()
{
	awk -v pid="$PID" '
	/^ => / { if (cur != "") { f = $2; sub(/\+.*/, "", f);
			cur = cur (cur ~ /\|$/ ? "" : ",") f }; next }
	{ if (cur != "") print cur; cur = "" }
	$3 ~ "^" pid "/" { p = $0; sub(/.* path="/, "", p); sub(/".*/, "", p);
			   cur = p "|" }
	END { if (cur != "") print cur }' "$T_DIR/out"
}

ev="^$fn: ($fn+0x0/0x[0-9a-f]*) path="

# --- 4. --filter on a string field ------------------------------------------
# The child opens ld.so.cache and libc (openat) and FILE three times
# (open(2)); the filter lets exactly FILE's three opens through.
run "--filter glob" "$file 0 0 3" --filter 'path ~ "*sonde-vm*"' "$probe"
expect_count "--filter 'path ~ \"*sonde-vm*\"': FILE's 3 opens" 3 \
	"$ev\"$file\"\$"
expect_eq "--filter 'path ~ \"*sonde-vm*\"': nothing else" "$(all_events)" 3

run "--filter ==, other file" "$other" --filter "path == \"$file\"" "$probe"
expect_eq "--filter 'path == \"$file\"': opening $other passes nothing" \
	"$(all_events)" 0
run "--filter ==, that file" "$file" --filter "path == \"$file\"" "$probe"
expect_count "--filter 'path == \"$file\"': opening it passes 1" 1 \
	"$ev\"$file\"\$"
expect_eq "--filter 'path == \"$file\"': nothing else" "$(all_events)" 1

# --- 5. kernel stacks: the stacktrace trigger and -s ------------------------
run "--trigger stacktrace" "$file" --trigger stacktrace "$probe"
stacks >"$T_DIR/stacks"
expect_grep "--trigger stacktrace: FILE's event is followed by the open(2) stack" \
	"^$file|.*,$fn,__x64_sys_open,do_syscall_64,entry_SYSCALL_64_after_hwframe\$" \
	"$T_DIR/stacks"
expect_grep "--trigger stacktrace: frames symbolized as func+0xoff/0xsize" \
	"^ => __x64_sys_open+0x[0-9a-f]*/0x[0-9a-f]*\$" "$T_DIR/out"
n=$(mine | wc -l)
expect_eq "--trigger stacktrace: one stack per event ($n)" \
	"$(grep -c ',do_syscall_64,' "$T_DIR/stacks")" "$n"

run "-s" "$file" -s "$probe"
stacks >"$T_DIR/stacks"
expect_grep "-s: FILE's event is followed by its kernel stack" \
	"^$file|$fn,__x64_sys_open,do_syscall_64,entry_SYSCALL_64_after_hwframe\$" \
	"$T_DIR/stacks"
n=$(mine | wc -l)
expect_eq "-s: one stack per event ($n)" \
	"$(grep -c ',do_syscall_64,' "$T_DIR/stacks")" "$n"

hygiene_begin
"$SONDE" trace -q -s -f json -o "$T_DIR/out" -c "$O $file" "$probe" \
	>"$T_DIR/child" 2>"$T_DIR/err"
expect_eq "-s -f json: exit status" "$?" 0
expect_grep "-s -f json: the stack as an array" \
	"\"args\":{\"path\":\"$file\"},\"stack\":\[\"$fn+0x[0-9a-f]*/0x[0-9a-f]*\",\"__x64_sys_open+0x[0-9a-f]*/0x[0-9a-f]*\",\"do_syscall_64+" \
	"$T_DIR/out"
hygiene_check "-s -f json: tracefs left as found"

# A count and a condition: one stack, on the first open of FILE.
run "--trigger 'stacktrace:1 if ...'" "$file 0 0 3" \
	--trigger 'stacktrace:1 if path ~ "*sonde-vm*"' "$probe"
stacks >"$T_DIR/stacks"
expect_eq "--trigger 'stacktrace:1 if path ~ ...': one stack in all" \
	"$(grep -c '^ => do_syscall_64+' "$T_DIR/out")" 1
expect_eq "--trigger 'stacktrace:1 if path ~ ...': on FILE's first open" \
	"$(grep -n '|.' "$T_DIR/stacks" | cut -d'|' -f1)" \
	"$(grep -n "^$file|" "$T_DIR/stacks" | head -n 1 | cut -d'|' -f1)"
expect_count "--trigger 'stacktrace:1 if path ~ ...': every event still printed" \
	3 "$ev\"$file\"\$"

# --- 6. --hist: the kernel's table, at the end ------------------------------
run "--hist keys=common_pid" "$file 0 0 5" \
	--hist 'keys=common_pid:vals=hitcount' "$probe"
n=$(mine | wc -l)
expect_count "--hist keys=common_pid: FILE opened 5 times" 5 "$ev\"$file\"\$"
expect_grep "--hist keys=common_pid: hitcount of the child = its $n events" \
	"^{ common_pid: *$PID } hitcount: *$n\$" "$T_DIR/out"
last_ev=$(grep -n '^ *[0-9][0-9]*\.[0-9]* ' "$T_DIR/out" | tail -n 1 | cut -d: -f1)
hdr=$(grep -n "^# $fn\$" "$T_DIR/out" | cut -d: -f1)
if [ -n "$hdr" ] && [ "$hdr" -gt "${last_ev:-0}" ] &&
	[ "$(sed -n "$((hdr + 1))p" "$T_DIR/out")" = "# event histogram" ]; then
	ok "--hist: '# $fn' then the kernel's table, after the events"
else
	not_ok "--hist: '# $fn' then the kernel's table, after the events" \
		"$(cat "$T_DIR/out")"
fi
expect_grep "--hist: the trigger as the kernel shows it" \
	'^# trigger info: hist:keys=common_pid:vals=hitcount:sort=hitcount:size=[0-9]* \[active\]$' \
	"$T_DIR/out"

run "--hist keys=path" "$file 0 0 5" --hist 'keys=path' "$probe"
expect_grep "--hist keys=path: FILE's hitcount is 5" \
	"^{ path: $file *} hitcount: *5\$" "$T_DIR/out"

# --- 7. traceoff and enable_event -------------------------------------------
top_on=$(cat "$TRACEFS/tracing_on")
run "--trigger traceoff:1" "$file 0 0 3" --trigger traceoff:1 "$probe"
expect_eq "--trigger traceoff:1: the session's buffer stops after 1 event" \
	"$(all_events)" 1
expect_eq "--trigger traceoff:1: the top-level tracing_on untouched" \
	"$(cat "$TRACEFS/tracing_on")" "$top_on"

sx=$TRACEFS/events/sched/sched_process_exit
if [ -d "$sx" ]; then
	before=$(cat "$sx/enable") btrig=$(cat "$sx/trigger")
	run "--trigger enable_event" "$file" \
		--trigger 'enable_event:sched:sched_process_exit:1' "$probe"
	expect_count "--trigger enable_event: the probe's events still printed" \
		1 "$ev\"$file\"\$"
	expect_eq "--trigger enable_event: top-level sched_process_exit untouched" \
		"$(cat "$sx/enable") $(cat "$sx/trigger")" "$before $btrig"
else
	skip "--trigger enable_event" "no sched:sched_process_exit"
fi

finish
