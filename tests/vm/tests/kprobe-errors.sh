#!/bin/bash
# What sonde says when a kprobe cannot be placed (inside the VM, see
# tests/vm/README.md): the mistakes sonde catches itself (unknown function
# with the closest names, the kprobe blacklist, a bad register, a module
# that is not loaded) and those only the kernel sees, whose error_log entry
# sonde quotes; then `sonde format` of a kprobe and a kretprobe and
# `sonde list k:GLOB`. Every run must leave kprobe_events, uprobe_events
# and instances/ as found.
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

fn=do_sys_openat2

# refused NAME STATUS SPEC: sonde trace SPEC exits with STATUS, prints
# nothing on stdout, leaves tracefs as found; stderr in $T_DIR/err.
refused()
{
	local rc
	hygiene_begin
	"$SONDE" trace -q -d 1 "$3" >"$T_DIR/out" 2>"$T_DIR/err"
	rc=$?
	expect_eq "$1: exit status $2" "$rc" "$2"
	[ -s "$T_DIR/out" ] && not_ok "$1: nothing on stdout" "$(cat "$T_DIR/out")"
	hygiene_check "$1: tracefs left as found"
}

# expect_err NAME LINE TEXT: line LINE of stderr is exactly TEXT.
expect_err()
{
	expect_eq "$1" "$(sed -n "${2}p" "$T_DIR/err")" "$3"
}

# caret_under NAME LINE WORD: the caret line after stderr line LINE points
# at the first character of WORD in it.
caret_under()
{
	local l c want
	l=$(sed -n "${2}p" "$T_DIR/err")
	c=$(sed -n "$(($2 + 1))p" "$T_DIR/err")
	want=${l%%"$3"*}
	if [ "$want" != "$l" ] && [ "$c" = "$(printf '%*s^' "${#want}" '')" ]; then
		ok "$1"
	else
		not_ok "$1" "$(cat "$T_DIR/err")"
	fi
}

# --- 8. what sonde catches before the kernel sees it ------------------------
refused "unknown function" 2 'k:do_sys_opn'
expect_err "unknown function: the sentence with the closest names" 1 \
	"sonde: no kernel function 'do_sys_opn'; closest: do_sys_open, do_sys_openat2, do_sys_poll"
expect_err "unknown function: the spec" 2 "  k:do_sys_opn"
caret_under "unknown function: caret under the name" 2 do_sys_opn

bl=/sys/kernel/debug/kprobes/blacklist
black=do_int3
if [ -r "$bl" ]; then
	# a blacklisted text symbol, straight from the kernel's list
	awk '{ print $2 }' "$bl" | grep -qx "$black" ||
		black=$(awk 'NR == FNR { b[$2]; next }
			($2 == "t" || $2 == "T") && ($3 in b) && NF == 3 {
				print $3; exit }' "$bl" /proc/kallsyms)
fi
refused "blacklisted $black" 2 "k:$black"
expect_err "blacklisted $black: the blacklist sentence" 1 \
	"sonde: '$black' is on the kprobe blacklist: the kernel refuses probes there"
caret_under "blacklisted $black: caret under the name" 2 "$black"

refused "bad register" 2 "k:$fn %zz"
expect_err "bad register: the unknown-register sentence" 1 \
	"sonde: unknown register '%zz': x86-64 registers are ax bx cx dx si di bp sp r8..r15 ip flags cs ss orig_ax"
expect_err "bad register: the spec" 2 "  k:$fn %zz"
caret_under "bad register: caret under %zz" 2 "%zz"

refused "module not loaded" 2 "k:sonde_nomod:$fn"
expect_err "module not loaded: the sentence" 1 \
	"sonde: module 'sonde_nomod' is not loaded (no [sonde_nomod] symbols in /proc/kallsyms)"

# --- 8. what only the kernel refuses: its error_log, quoted -----------------
# kernel_said NAME: stderr quotes the kernel's last error_log entry (the
# "[ts] trace_kprobe: error: ..." line, "Command:" and the caret line)
# exactly, after sonde's own first line.
kernel_said()
{
	tail -n 3 "$TRACEFS/error_log" >"$T_DIR/elog"
	sed -n '2,$p' "$T_DIR/err" >"$T_DIR/quoted"
	expect_file_eq "$1: the kernel's error_log entry, quoted whole" \
		"$T_DIR/quoted" "$T_DIR/elog"
}

# +1 is inside the 5-byte __fentry__ call every traced function starts with.
refused "offset off an instruction boundary" 2 "k:$fn+1"
expect_grep "offset off an instruction boundary: sonde's line names the probe" \
	"^sonde: the kernel refused probe '${fn}_0x1':\$" "$T_DIR/err"
expect_grep "offset off an instruction boundary: the kernel's message" \
	'^\[ *[0-9.]*\] trace_kprobe: error: Probe point is not an instruction boundary$' \
	"$T_DIR/err"
expect_grep "offset off an instruction boundary: the kernel's command" \
	"^  Command: p:sonde_[0-9_]*/${fn}_0x1 $fn+1 __sonde_pcomm=[$]comm\$" "$T_DIR/err"
caret_under "offset off an instruction boundary: the kernel's caret" 3 "$fn+1"
kernel_said "offset off an instruction boundary"

refused "unknown symbol in a fetch" 2 "k:$fn x=@sonde_no_such_symbol"
expect_grep "unknown symbol in a fetch: the kernel's message" \
	'^\[ *[0-9.]*\] trace_kprobe: error: Invalid probed address or symbol$' \
	"$T_DIR/err"
expect_grep "unknown symbol in a fetch: the kernel's command" \
	"^  Command: p:sonde_[0-9_]*/$fn $fn x=@sonde_no_such_symbol __sonde_pcomm=[$]comm\$" \
	"$T_DIR/err"
kernel_said "unknown symbol in a fetch"

# --- 9. sonde format --------------------------------------------------------
T1=$(printf '\t')
hygiene_begin
"$SONDE" format "k:$fn dfd=arg1:s32" >"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "format k: exit status" "$?" 0
expect_err_out() { expect_eq "$1" "$(sed -n "${2}p" "$T_DIR/out")" "$3"; }
expect_err_out "format k: name" 1 "name: $fn"
expect_grep "format k: ID" '^ID: [1-9][0-9]*$' "$T_DIR/out"
expect_err_out "format k: format:" 3 "format:"
expect_grep "format k: common_pid" \
	"^${T1}field:int common_pid;${T1}offset:4;${T1}size:4;${T1}signed:1;\$" \
	"$T_DIR/out"
expect_grep "format k: __probe_ip" \
	"^${T1}field:unsigned long __probe_ip;${T1}offset:8;${T1}size:8;${T1}signed:0;\$" \
	"$T_DIR/out"
expect_grep "format k: dfd is s32" \
	"^${T1}field:s32 dfd;${T1}offset:16;${T1}size:4;${T1}signed:1;\$" \
	"$T_DIR/out"
# (sonde adds a field of its own to each definition: __sonde_pcomm, the
# comm at the hit, which the kernel prints as any other)
expect_eq "format k: print fmt, last" "$(tail -n 1 "$T_DIR/out")" \
	'print fmt: "(%lx) dfd=%d __sonde_pcomm=\"%s\"", REC->__probe_ip, REC->dfd, __get_str(__sonde_pcomm)'
hygiene_check "format k: tracefs left as found"

hygiene_begin
"$SONDE" format -v "k:$fn dfd=arg1:s32" >"$T_DIR/out" 2>&1
expect_eq "format -v: exit status" "$?" 0
expect_grep "format -v: the kernel's definition line" \
	"^# p:sonde_[0-9_]*/$fn $fn dfd=%di:s32 __sonde_pcomm=[$]comm\$" "$T_DIR/out"
hygiene_check "format -v: tracefs left as found"

hygiene_begin
"$SONDE" format "kr:$fn fd=retval:s64" >"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "format kr: exit status" "$?" 0
expect_err_out "format kr: name" 1 "name: ${fn}__return"
expect_grep "format kr: __probe_func" \
	"^${T1}field:unsigned long __probe_func;${T1}offset:8;${T1}size:8;${T1}signed:0;\$" \
	"$T_DIR/out"
expect_grep "format kr: __probe_ret_ip" \
	"^${T1}field:unsigned long __probe_ret_ip;${T1}offset:16;${T1}size:8;${T1}signed:0;\$" \
	"$T_DIR/out"
expect_grep "format kr: fd is s64" \
	"^${T1}field:s64 fd;${T1}offset:24;${T1}size:8;${T1}signed:1;\$" \
	"$T_DIR/out"
expect_eq "format kr: print fmt" "$(tail -n 1 "$T_DIR/out")" \
	'print fmt: "(%lx <- %lx) fd=%Ld __sonde_pcomm=\"%s\"", REC->__probe_func, REC->__probe_ret_ip, REC->fd, __get_str(__sonde_pcomm)'
hygiene_check "format kr: tracefs left as found"

# --- 10. sonde list ---------------------------------------------------------
hygiene_begin
"$SONDE" list 'k:do_sys_open*' >"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "list k:do_sys_open*: exit status" "$?" 0
expect_eq "list k:do_sys_open*: do_sys_open, do_sys_openat2" \
	"$(tr '\n' ' ' <"$T_DIR/out")" "do_sys_open do_sys_openat2 "
expect_err "list k:do_sys_open*: the count" 1 \
	"2 kernel functions matching 'do_sys_open*'"
hygiene_check "list k:do_sys_open*: tracefs left as found"

finish
