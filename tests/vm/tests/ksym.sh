#!/bin/bash
# Kernel symbols on a kernel with kprobes (run inside the VM by tests/vm/run):
# `sonde list k:GLOB` against the real available_filter_functions and
# kprobe blacklist, and the closest-names sentence for a misspelt function.
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

# do_sys_open and do_sys_openat2 (fs/open.c), in this order, nothing else.
"$SONDE" list 'k:do_sys_open*' >"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "list k:do_sys_open*: exit status" "$?" 0
printf 'do_sys_open\ndo_sys_openat2\n' >"$T_DIR/want"
expect_file_eq "list k:do_sys_open*: do_sys_open, do_sys_openat2" \
	"$T_DIR/out" "$T_DIR/want"
expect_grep "list k:do_sys_open*: count on stderr" \
	"^2 kernel functions matching 'do_sys_open\*'\$" "$T_DIR/err"

# Everything: what available_filter_functions has, sorted, without the
# kprobe blacklist.
"$SONDE" list k: >"$T_DIR/all" 2>/dev/null
expect_eq "list k:: exit status" "$?" 0
if sort -c "$T_DIR/all" 2>/dev/null; then
	ok "list k:: sorted"
else
	not_ok "list k:: sorted" "$(head -n 5 "$T_DIR/all")"
fi
n=$(wc -l <"$T_DIR/all")
naff=$(sort -u "$TRACEFS/available_filter_functions" | wc -l)
if [ "$n" -gt 1000 ] && [ "$n" -le "$naff" ]; then
	ok "list k:: $n functions, at most the $naff ftrace-able ones"
else
	not_ok "list k:: $n functions, at most the $naff ftrace-able ones"
fi
bl=/sys/kernel/debug/kprobes/blacklist
if [ -r "$bl" ]; then
	# a blacklisted function that ftrace can trace: listed by ftrace,
	# not by sonde
	f=$(awk 'NR == FNR { bl[$2]; next }
		!/ / && ($1 in bl) { print; exit }' "$bl" \
		"$TRACEFS/available_filter_functions")
	if [ -z "$f" ]; then
		skip "list k:: leaves out the blacklist" "no ftrace-able blacklisted function"
	elif grep -qx "$f" "$T_DIR/all"; then
		not_ok "list k:: leaves out the blacklist ($f)"
	else
		ok "list k:: leaves out the blacklist ($f)"
	fi
else
	skip "list k:: leaves out the blacklist" "$bl not readable"
fi

# Without debugfs mounted: sonde mounts it only for the read (or rebuilds
# the blacklist from kallsyms) and leaves the mounts as it found them.
if [ -n "${f:-}" ] && umount /sys/kernel/debug 2>/dev/null; then
	grep ' /sys/kernel/debug ' /proc/mounts >"$T_DIR/mounts.before"
	"$SONDE" list "k:$f" >"$T_DIR/out" 2>/dev/null
	grep ' /sys/kernel/debug ' /proc/mounts >"$T_DIR/mounts.after"
	if [ ! -s "$T_DIR/out" ]; then
		ok "no debugfs: $f still left out"
	else
		not_ok "no debugfs: $f still left out" "$(cat "$T_DIR/out")"
	fi
	expect_file_eq "no debugfs: mounts left as found" \
		"$T_DIR/mounts.after" "$T_DIR/mounts.before"
	mount -t debugfs debugfs /sys/kernel/debug
fi

# A misspelt function: exit 2 and the closest names, nothing left behind.
hygiene_begin
"$SONDE" trace -q -d 1 'k:do_sys_opn' >"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "trace k:do_sys_opn: exit status 2" "$?" 2
expect_grep "trace k:do_sys_opn: closest names" \
	"no kernel function 'do_sys_opn'; closest: do_sys_open, do_sys_openat2" \
	"$T_DIR/err"
hygiene_check "trace k:do_sys_opn: tracefs left as found"

# A blacklisted function: refused before the kernel sees it.
hygiene_begin
"$SONDE" trace -q -d 1 'k:do_int3' >"$T_DIR/out" 2>"$T_DIR/err"
rc=$?
if [ "$rc" -ne 0 ] && grep -q "'do_int3' is on the kprobe blacklist" \
	"$T_DIR/err"; then
	ok "trace k:do_int3: refused as blacklisted"
else
	not_ok "trace k:do_int3: refused as blacklisted" \
		"exit $rc, stderr: $(cat "$T_DIR/err")"
fi
hygiene_check "trace k:do_int3: tracefs left as found"

finish
