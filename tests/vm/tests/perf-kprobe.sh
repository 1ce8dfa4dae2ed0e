#!/bin/bash
# --backend perf with real kprobes (inside the VM, see tests/vm/README.md):
# arg-less kprobes and kretprobes through the kprobe PMU (nothing appears in
# kprobe_events, nothing stays after SIGKILL), kprobes with args through a
# tracefs-made event read as PERF_TYPE_TRACEPOINT, and -s stacks with
# kernel frames then user frames.
. "$SRC_DIR/tests/integration/lib.sh"
require_root
set -m

if [ ! -x "$SONDE" ]; then
	skip "$T_NAME" "no sonde binary in the VM image"
	exit 0
fi
if [ ! -r /sys/bus/event_source/devices/kprobe/type ]; then
	skip "$T_NAME" "this kernel has no kprobe PMU"
	exit 0
fi

fn=do_sys_openat2
file=/etc/sonde-vm.env
# busybox is static: "cat FILE" opens exactly one file, FILE
opens()
{
	local i
	for i in 1 2 3; do /bin/busybox cat "$file" >/dev/null; done
}

# trace_bg NAME ARGS...: sonde trace in the background until attached
trace_bg()
{
	local name=$1
	shift
	start_bg "$SONDE" trace "$@" >"$T_DIR/$name.out" 2>"$T_DIR/$name.err"
	spid=$BG
	wait_attached "$spid" 20 || bail "$name: sonde did not attach" \
		"$(cat "$T_DIR/$name.err")"
}

stop_bg()
{
	kill -INT "$spid"
	wait_exit "$spid" 20
}

hygiene_begin

# k: no args: the kprobe PMU, not kprobe_events
trace_bg pmu --backend perf -v "k:$fn" "kr:$fn"
if grep -q sonde_ "$TRACEFS/kprobe_events"; then
	not_ok "k: PMU: nothing in kprobe_events while tracing" \
		"$(cat "$TRACEFS/kprobe_events")"
else
	ok "k: PMU: nothing in kprobe_events while tracing"
fi
opens
stop_bg
expect_eq "k: PMU: ends on SIGINT" "$RC" 0
expect_grep "k: PMU: backend perf" 'backend: perf' "$T_DIR/pmu.err"
expect_grep "k: PMU: the entry, located" \
	" busybox .*\] $fn: ($fn+0x0/0x[0-9a-f]*)\$" "$T_DIR/pmu.out"
expect_grep "k: PMU: the return, caller <- func" \
	" busybox .*\] ${fn}__return: (.* <- $fn[^)]*)\$" "$T_DIR/pmu.out"
n=$(grep -c " busybox .*\] ${fn}: \| busybox .*\] ${fn}__return: " "$T_DIR/pmu.out")
if [ "$n" -ge 2 ] && [ $((n % 2)) = 0 ]; then
	ok "k: PMU: entries and returns in pairs from busybox cat ($n)"
else
	not_ok "k: PMU: entries and returns in pairs from busybox cat" "$n"
fi

# k: with args: a tracefs-made kprobe event, read through perf
trace_bg tp --backend perf "k:$fn path=+0(arg2):ustring" "kr:$fn fd=retval:s64"
opens
stop_bg
expect_grep "k: args: the path fetched by the kernel" \
	"\] $fn: ($fn+0x0/0x[0-9a-f]*) path=\"$file\"\$" "$T_DIR/tp.out"
expect_grep "kr: args: the fd" \
	"\] ${fn}__return: (.*) fd=[0-9][0-9]*\$" "$T_DIR/tp.out"
hygiene_check "k: args: kprobe_events left as found"

# -s: kernel frames, then the user frames of busybox
trace_bg stack --backend perf -s "k:$fn"
opens
stop_bg
awk "/ busybox .*\] $fn:/ { on = 1; next } /^ => / && on { print; next } { on = 0 }" \
	"$T_DIR/stack.out" >"$T_DIR/frames"
expect_grep "-s: a kernel frame: the syscall" '^ => .*sys_openat' "$T_DIR/frames"
expect_grep "-s: a user frame in busybox" '^ => .*(busybox)' "$T_DIR/frames"
first_user=$(grep -n '(busybox)' "$T_DIR/frames" | head -n1 | cut -d: -f1)
last_kernel=$(grep -n 'sys_openat' "$T_DIR/frames" | head -n1 | cut -d: -f1)
if [ -n "$first_user" ] && [ -n "$last_kernel" ] &&
	[ "$last_kernel" -lt "$first_user" ]; then
	ok "-s: kernel frames before user frames"
else
	not_ok "-s: kernel frames before user frames" "$(head -n 20 "$T_DIR/frames")"
fi

# SIGKILL: a PMU kprobe belongs to sonde's fds
trace_bg kill --backend perf "k:$fn"
kill -KILL "$spid"
wait "$spid" 2>/dev/null
if grep -q sonde_ "$TRACEFS/kprobe_events" "$TRACEFS/kprobe_profile"; then
	not_ok "SIGKILL: no kprobe left" "$(cat "$TRACEFS/kprobe_profile")"
else
	ok "SIGKILL: no kprobe left (kprobe_events, kprobe_profile)"
fi
hygiene_check "perf: tracefs left as found"
finish
