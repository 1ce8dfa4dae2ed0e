#!/bin/bash
# The bpf backend on a kernel without uprobe_multi links (Debian's 6.1,
# inside the VM, see tests/vm/README.md): one perf event per probe with the
# generated program on it gives the events tracefs gives; sonde check says
# what is missing; auto keeps tracefs for many probes and says why; a
# kprobe streams on a perf event too; SIGKILL leaves no breakpoint.
. "$SRC_DIR/tests/integration/lib.sh"
require_root
require_uprobes
set -m

if [ ! -x "$SONDE" ] || [ ! -x "$FIXTURES/fixture_pie" ]; then
	skip "$T_NAME" "no sonde or fixture in the VM image"
	exit 0
fi
"$SONDE" check >"$T_DIR/check" 2>&1
if ! grep -q '^BPF: *yes' "$T_DIR/check"; then
	skip "$T_NAME" "no BPF in this kernel"
	exit 0
fi
expect_grep "check: BPF ring buffer" '^BPF ringbuf: *yes' "$T_DIR/check"
expect_grep "check: no uprobe_multi on 6.1, with what sonde does instead" \
	'^uprobe_multi: *no (Linux 6.6: the bpf backend makes one perf event per probe)' "$T_DIR/check"
expect_grep "check: a kprobe_multi line" '^kprobe_multi: *' "$T_DIR/check"

bin=$(readlink -f "$FIXTURES/fixture_pie")
norm()
{
	sed 's/"time":[0-9.]*,//; s/"pid":[0-9]*,"tid":[0-9]*,"cpu":[0-9]*,//' "$1" | sort
}
hygiene_begin

SPEC="u:$bin:greet s=+0(%di):string c=\$comm arr=+0(%di):x8[3] q=+1(%di):u8 n=+0(%di):ustring"
for be in tracefs bpf; do
	"$SONDE" trace -v --backend $be -f json -c "$bin 3" "$SPEC" \
		"ur:$bin:add r=retval:s32" "u:$bin:mul3 a=arg1 b=arg2 c=arg3" \
		>"$T_DIR/json.$be" 2>"$T_DIR/err.$be"
	norm "$T_DIR/json.$be" >"$T_DIR/jn.$be"
done
expect_grep "the fallback: one perf event per probe" 'one perf event per probe' "$T_DIR/err.bpf"
expect_eq "9 events from each" "$(wc -l <"$T_DIR/jn.bpf" | tr -d ' ')/$(wc -l <"$T_DIR/jn.tracefs" | tr -d ' ')" 9/9
expect_file_eq "bpf (perf events) gives what tracefs gives" "$T_DIR/jn.bpf" "$T_DIR/jn.tracefs"

probes=
for f in add mul3 greet fact slow work main; do
	probes="$probes u:$bin:$f ur:$bin:$f"
done
# shellcheck disable=SC2086
"$SONDE" trace -v -c "$bin 1" $probes >/dev/null 2>"$T_DIR/auto"
expect_grep "auto: many probes keep tracefs without uprobe_multi, and say why" \
	'not the bpf backend: this kernel has no uprobe_multi links' "$T_DIR/auto"

# kprobes too (bpf-kprobe.sh has them in full): a kprobe PMU event each
# where the kernel has no kprobe_multi links (Debian's 6.1), else one
# link; SONDE_BPF_NO_MULTI=1 takes the fallback there too
if grep -q '^kprobe_multi: *yes' "$T_DIR/check"; then
	"$SONDE" trace -v --backend bpf -c "/bin/busybox cat /etc/sonde-vm.env" \
		"k:do_sys_openat2" >/dev/null 2>"$T_DIR/k"
	expect_grep "a kprobe: a kprobe_multi link where the kernel has them" \
		'bpf: 1 probe, 1 program, kprobe_multi links' "$T_DIR/k"
	knomulti=SONDE_BPF_NO_MULTI=1
else
	knomulti=SONDE_X=0
	# sonde check SPEC says so before anything is made
	"$SONDE" check 'k:vfs_*' >"$T_DIR/kcheck" 2>&1
	expect_grep "check k:vfs_*: one perf event per probe, and why" \
		'^bpf path: *one perf event per probe ([0-9]*): this kernel has no kprobe_multi links (CONFIG_FPROBE, 5.18)$' \
		"$T_DIR/kcheck"
	expect_grep "check k:vfs_*: auto keeps tracefs, and why" \
		'^backend: *tracefs (not the bpf backend: this kernel has no kprobe_multi links (CONFIG_FPROBE))$' \
		"$T_DIR/kcheck"
fi
env $knomulti "$SONDE" trace -v --backend bpf -c "/bin/busybox cat /etc/sonde-vm.env" \
	"k:do_sys_openat2" >/dev/null 2>"$T_DIR/k"
expect_grep "a kprobe: one perf event per probe too" 'one perf event per probe (no kprobe_multi)' "$T_DIR/k"

# SIGKILL: the perf events and their programs go with sonde's fds
start_bg "$SONDE" trace --backend bpf "u:$bin:add a=arg1:s32" >"$T_DIR/kout" 2>"$T_DIR/kerr"
spid=$BG
n=50
while [ $n -gt 0 ] && ! grep -q "$bin" "$TRACEFS/uprobe_profile" 2>/dev/null &&
	! ls -l /proc/"$spid"/fd 2>/dev/null | grep -q perf_event; do
	sleep 0.1
	n=$((n - 1))
done
sleep 0.5
kill -KILL "$spid"
wait "$spid" 2>/dev/null
sleep 0.3
"$bin" 2 >/dev/null
expect_eq "SIGKILL: the fixture runs unprobed" "$?" 0
if grep -q "$bin" "$TRACEFS/uprobe_profile" 2>/dev/null; then
	not_ok "SIGKILL: no uprobe left" "$(cat "$TRACEFS/uprobe_profile")"
else
	ok "SIGKILL: no uprobe left in uprobe_profile"
fi
hygiene_check "tracefs left as found"
finish
