#!/bin/bash
# k:GLOB in the VM: every probe-able kernel function matching the glob gets
# a kprobe, the calls of a known program are seen on the functions it
# reaches, --max-probes refuses more than it allows, and nothing is left.
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
file=/etc/passwd
cmd="/bin/busybox cat $file"

# as many probes as `sonde list` names for the glob
want=$("$SONDE" list 'k:do_sys_open*' 2>/dev/null | wc -l | tr -d ' ')
hygiene_begin
"$SONDE" trace -v --backend tracefs -c "$cmd" 'k:do_sys_open*' \
	>"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "k:do_sys_open*: exit status" "$?" 0
expect_grep "k:do_sys_open*: tracing as many probes as sonde list names ($want)" \
	"tracing $want probes in group" "$T_DIR/err"
expect_grep "k:do_sys_open*: the cat's open seen on do_sys_openat2" \
	" busybox .*\] do_sys_openat2: (do_sys_openat2+0x0/" "$T_DIR/out"
hygiene_check "k:do_sys_open*: tracefs left as found"

hygiene_begin
"$SONDE" trace -q --max-probes 2 -d 1 'k:vfs_*' >"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "k:vfs_* over --max-probes 2: exit 2" "$?" 2
expect_grep "k:vfs_* over --max-probes 2: says why" "more than the limit of 2 probes" \
	"$T_DIR/err"
hygiene_check "k:vfs_*: tracefs left as found"
finish
