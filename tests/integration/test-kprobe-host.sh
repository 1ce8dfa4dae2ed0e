#!/bin/bash
# On a kernel without kprobes (CONFIG_KPROBE_EVENTS off, like the development
# machines): a kprobe spec, in sonde's syntax or the kernel's, is refused
# with one sentence naming what is missing, before anything is created, and
# `sonde check` says kprobes and hist triggers are missing. The kprobe paths
# themselves are tested in the VM (tests/vm/tests/kprobe-*.sh).
. "$(dirname "$0")/lib.sh"
require_root
require_uprobes
require_file "$SONDE" "$FIXTURES/fixture_pie"

if [ -e "$TRACEFS/kprobe_events" ]; then
	skip "$T_NAME" "this kernel has kprobe_events (the VM tests cover it)"
	exit 0
fi

nokprobes='sonde: this kernel has no kprobes (CONFIG_KPROBE_EVENTS)'

# try NAME SPEC...: exit 2 and the sentence as the first line of stderr.
try()
{
	local name=$1 rc
	shift
	hygiene_begin
	"$SONDE" trace -q -d 1 "$@" >"$T_DIR/out" 2>"$T_DIR/err"
	rc=$?
	expect_eq "$name: exit status 2" "$rc" 2
	expect_eq "$name: one sentence naming CONFIG_KPROBE_EVENTS" \
		"$(head -n 1 "$T_DIR/err")" "$nokprobes"
	expect_eq "$name: no events printed" "$(cat "$T_DIR/out")" ""
	hygiene_check "$name: tracefs left as found"
}

try "k:do_sys_open" 'k:do_sys_open'
try "kr:do_sys_open" 'kr:do_sys_open fd=retval:s64'
try "seed line" \
	'p:myprobe do_sys_open dfd=%ax filename=%dx flags=%cx mode=+4($stack)'
try "seed return line" 'r:myretprobe do_sys_open $retval'
# A uprobe before the kprobe: refused as a whole, the uprobe not left behind.
try "uprobe then kprobe" "u:$SONDE:main" 'k:do_sys_open'

hygiene_begin
"$SONDE" format 'k:do_sys_open' >"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "format k:do_sys_open: exit status 2" "$?" 2
expect_eq "format k:do_sys_open: the same sentence" \
	"$(head -n 1 "$T_DIR/err")" "$nokprobes"
hygiene_check "format k:do_sys_open: tracefs left as found"

# --hist needs hist triggers, which this kernel lacks as well.
hygiene_begin
"$SONDE" trace -q -d 1 --hist 'keys=common_pid' \
	"u:$FIXTURES/fixture_pie:add" >"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "--hist: exit status 2" "$?" 2
expect_eq "--hist: one sentence naming CONFIG_HIST_TRIGGERS" \
	"$(head -n 1 "$T_DIR/err")" \
	'sonde: this kernel has no hist triggers (CONFIG_HIST_TRIGGERS)'
hygiene_check "--hist: tracefs left as found"

"$SONDE" check >"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "check: exit status" "$?" 0
expect_grep "check: kprobes: no (CONFIG_KPROBE_EVENTS)" \
	'^kprobes: *no (CONFIG_KPROBE_EVENTS)$' "$T_DIR/out"
expect_grep "check: hist triggers: no" '^hist triggers: *no\b' "$T_DIR/out"
expect_grep "check: uprobes: yes" '^uprobes: *yes' "$T_DIR/out"

finish
