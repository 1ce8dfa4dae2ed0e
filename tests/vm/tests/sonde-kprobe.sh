#!/bin/bash
# sonde with real kprobes and kretprobes (run inside the VM by tests/vm/run):
# k:, kr: and the seed's own kernel-syntax line, traced for a child started
# with -c; each run must leave kprobe_events and instances/ as found.
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

# Any sonde_* kprobe a failed run left behind, so one leak fails one test.
kprobe_leftovers()
{
	local ev
	for ev in $(sed -n 's/^[pr][0-9]*:\(sonde_[^ ]*\) .*/\1/p' \
		"$TRACEFS/kprobe_events"); do
		echo "-:$ev" >>"$TRACEFS/kprobe_events" 2>/dev/null
	done
}

# open(2) reaches do_sys_openat2 on 6.1 (fs/open.c).
fn=do_sys_openat2
file=/etc/sonde-vm.env
# busybox is static, so "cat FILE" opens exactly one file: FILE.
cmd="/bin/busybox cat $file"

check "sonde check: kprobes yes" sh -c "'$SONDE' check | grep -q '^kprobes: *yes'"
check "sonde check: hist triggers yes" \
	sh -c "'$SONDE' check | grep -q '^hist triggers: *yes'"
check "sonde check: kprobe PMU yes" \
	sh -c "'$SONDE' check | grep -q '^kprobe PMU: *yes'"

# k: with a portable argument and a user string
hygiene_begin
"$SONDE" trace -q -c "$cmd" "k:$fn path=+0(arg2):ustring" \
	>"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "k: exit status" "$?" 0
events "$T_DIR/out" >"$T_DIR/ev"
expect_grep "k: the child's open, with its path" \
	"^$fn: ($fn+0x0/0x[0-9a-f]*) path=\"$file\"\$" "$T_DIR/ev"
hygiene_check "k: tracefs left as found"
kprobe_leftovers

# kr: the return value is the new fd, not an error
hygiene_begin
"$SONDE" trace -q -c "$cmd" "kr:$fn fd=retval:s64" \
	>"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "kr: exit status" "$?" 0
events "$T_DIR/out" >"$T_DIR/ev"
expect_grep "kr: return value is the fd" "^${fn}__return: (.* <- $fn) fd=[0-9][0-9]*\$" \
	"$T_DIR/ev"
hygiene_check "kr: tracefs left as found"
kprobe_leftovers

# Entry and return in one session, in order.
hygiene_begin
"$SONDE" trace -q -c "$cmd" "k:$fn path=+0(arg2):ustring" "kr:$fn fd=retval:s64" \
	>"$T_DIR/out" 2>"$T_DIR/err"
events "$T_DIR/out" >"$T_DIR/ev"
expect_eq "k+kr: entry then return, nothing else" \
	"$(grep "^$fn" "$T_DIR/ev" | sed 's/: ([^)]*)/:/' | tr '\n' ,)" \
	"$fn: path=\"$file\",${fn}__return: fd=$(sed -n \
		"s/^${fn}__return: (.* <- $fn) fd=\([0-9]*\)\$/\1/p" "$T_DIR/ev" | head -n1),"
hygiene_check "k+kr: tracefs left as found"
kprobe_leftovers

# The seed's line, verbatim: the kernel's own syntax is accepted as is. On
# 6.1 openat() inlines do_sys_open into __x64_sys_openat, so that probe is
# accepted but never fires; the same line on do_sys_openat2 must hit.
seed='p:myprobe do_sys_open dfd=%ax filename=%dx flags=%cx mode=+4($stack)'
hygiene_begin
"$SONDE" trace -q -c "$cmd" "$seed" >"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "seed line: exit status" "$?" 0
hygiene_check "seed line: tracefs left as found"
kprobe_leftovers

hygiene_begin
"$SONDE" trace -q -c "$cmd" "${seed/do_sys_open/$fn}" \
	>"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "seed line on $fn: exit status" "$?" 0
events "$T_DIR/out" >"$T_DIR/ev"
expect_grep "seed line on $fn: myprobe hits with its four fields" \
	'^myprobe: ([^)]*) dfd=[^ ]* filename=[^ ]* flags=[^ ]* mode=' "$T_DIR/ev"
hygiene_check "seed line on $fn: tracefs left as found"
kprobe_leftovers

# A function that does not exist: one clear sentence, nothing left behind.
hygiene_begin
"$SONDE" trace -q -d 1 "k:sonde_no_such_function_xyz" >"$T_DIR/out" 2>"$T_DIR/err"
rc=$?
if [ "$rc" -ne 0 ] && [ -s "$T_DIR/err" ]; then
	ok "unknown kernel function: fails with a message"
else
	not_ok "unknown kernel function: fails with a message" \
		"exit $rc, stderr: $(cat "$T_DIR/err")"
fi
hygiene_check "unknown kernel function: tracefs left as found"
kprobe_leftovers

finish
