#!/bin/bash
# kprobes and kretprobes through the bpf backend (Debian's 6.1 inside the
# VM, see tests/vm/README.md): the generated programs give the events the
# tracefs backend gives for the same kind of run (a kernel argument, a
# user string, a return value), through kprobe_multi links where the
# kernel has them and through one kprobe PMU perf event per probe
# (SONDE_BPF_NO_MULTI=1, and always for FUNC+OFF); sonde count --backend
# bpf counts a known number of opens exactly; nothing is left behind.
. "$SRC_DIR/tests/integration/lib.sh"
require_root

if [ ! -x "$SONDE" ] || [ ! -x "$FIXTURES/open_sys" ]; then
	skip "$T_NAME" "no sonde or open_sys in the VM image"
	exit 0
fi
if [ ! -w "$TRACEFS/kprobe_events" ]; then
	skip "$T_NAME" "this kernel has no kprobe_events"
	exit 0
fi
"$SONDE" check >"$T_DIR/check" 2>&1
if ! grep -q '^BPF: *yes' "$T_DIR/check"; then
	skip "$T_NAME" "no BPF in this kernel"
	exit 0
fi
# 6.1: kprobe_multi links need CONFIG_FPROBE; sonde check says which
kmulti=0
grep -q '^kprobe_multi: *yes' "$T_DIR/check" && kmulti=1
grep '^kprobe_multi:' "$T_DIR/check" | sed 's/^/# /'

fn=do_sys_openat2
file=/etc/sonde-vm.env
# busybox is static: "cat FILE" opens exactly one file, FILE
cmd="/bin/busybox cat $file"
O=$FIXTURES/open_sys

# "NAME: k=v ..." lines without the (ip) part
strip_ip()
{
	events "$1" | sed 's/: ([^)]*)/:/'
}

# The previous run's links and perf events are released by the kernel
# after sonde ends: sonde hands them to the unix garbage collector, which
# on 6.1.192 runs in a workqueue (net/unix/garbage.c unix_gc() ->
# queue_work), and their last fput() is a kernel worker's (delayed_fput),
# seconds later under load in TCG. A kretprobe made while another return
# hook is still on the function reports that hook's trampoline as its
# return address (arch_rethook_trampoline), so each run first waits, up to
# 30 s, until ftrace hooks no function (enabled_functions is empty), and
# says so if one stays hooked.
unhooked()
{
	local n=0
	while [ -s "$TRACEFS/enabled_functions" ] && [ $n -lt 300 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	if [ -s "$TRACEFS/enabled_functions" ]; then
		not_ok "$1: the previous run's hooks released within 30 s" \
			"$(head -n 5 "$TRACEFS/enabled_functions")"
	elif [ $n -gt 0 ]; then
		echo "# $1: the previous run's hooks were released after $n/10 s"
	fi
}

# trace_both TAG ENV... -- SPEC...: the same run through tracefs and bpf
trace_both()
{
	local tag=$1 be
	shift
	for be in tracefs bpf; do
		unhooked "$tag $be"
		hygiene_begin
		env "$@" "$SONDE" trace -v --backend $be -c "$cmd" "${SPECS[@]}" \
			>"$T_DIR/out.$tag.$be" 2>"$T_DIR/err.$tag.$be"
		expect_eq "$tag $be: exit status" "$?" 0
		hygiene_check "$tag $be: tracefs left as found"
		strip_ip "$T_DIR/out.$tag.$be" >"$T_DIR/ev.$tag.$be"
		events "$T_DIR/out.$tag.$be" >"$T_DIR/full.$tag.$be"
	done
}

SPECS=("k:$fn dfd=arg1:s32 path=+0(arg2):ustring" "kr:$fn fd=retval:s64")
for mode in multi perf; do
	if [ $mode = multi ] && [ $kmulti = 0 ]; then
		skip "$mode: kprobe_multi links" "sonde check: no kprobe_multi here"
		continue
	fi
	envs=(SONDE_X=0)
	[ $mode = perf ] && envs=(SONDE_BPF_NO_MULTI=1)
	trace_both $mode "${envs[@]}"
	if [ $mode = multi ]; then
		expect_grep "$mode: -v says kprobe_multi links" \
			'bpf: 2 probes, 2 programs, kprobe_multi links' "$T_DIR/err.$mode.bpf"
	else
		expect_grep "$mode: -v says one perf event per probe" \
			'bpf: 2 probes, 2 programs, one perf event per probe' "$T_DIR/err.$mode.bpf"
	fi
	expect_grep "$mode: bpf: the open, with dfd and the exact path" \
		"^$fn: dfd=-100 path=\"$file\"\$" "$T_DIR/ev.$mode.bpf"
	expect_grep "$mode: bpf: the return, a valid fd" \
		"^${fn}__return: fd=[0-9][0-9]*\$" "$T_DIR/ev.$mode.bpf"
	expect_file_eq "$mode: bpf gives what tracefs gives" \
		"$T_DIR/ev.$mode.bpf" "$T_DIR/ev.$mode.tracefs"
	# (FUNC+OFF) and (RET <- FUNC) too: __probe_ip, __probe_ret_ip and
	# __probe_func as the kernel's kprobe events have them
	# The kernel's own kretprobe sometimes reports its return trampoline
	# as the return address on tests/vm/build-kernel's 6.1.192 (seen after
	# a kprobe_multi session, with no function left in enabled_functions):
	# then the reference itself is wrong; the entries are still compared
	# and bpf's return must be the real caller
	if grep -q '(arch_rethook_trampoline+0x0/' "$T_DIR/full.$mode.tracefs"; then
		grep -v '__return: ' "$T_DIR/full.$mode.tracefs" >"$T_DIR/ent.$mode.tracefs"
		grep -v '__return: ' "$T_DIR/full.$mode.bpf" >"$T_DIR/ent.$mode.bpf"
		expect_file_eq "$mode: and the same entry addresses" \
			"$T_DIR/ent.$mode.bpf" "$T_DIR/ent.$mode.tracefs"
		expect_grep "$mode: bpf: the return to the real caller" \
			"^${fn}__return: (__x64_sys_openat+0x[0-9a-f]*/0x[0-9a-f]* <- $fn) fd=" \
			"$T_DIR/full.$mode.bpf"
		expect_grep "$mode: tracefs: sonde says the caller is not known" \
			'the kernel gave its return trampoline (arch_rethook_trampoline' \
			"$T_DIR/err.$mode.tracefs"
		skip "$mode: and the same return address" \
			"the kernel's kretprobe reported arch_rethook_trampoline as its return address"
	else
		expect_file_eq "$mode: and the same probe addresses" \
			"$T_DIR/full.$mode.bpf" "$T_DIR/full.$mode.tracefs"
	fi
done

# kernel memory: struct filename's name (a kernel pointer to a kernel
# string, fs/namei.c do_filp_open()); a plain string at a user address
# reads user memory, as the kernel's own fetch does on x86-64
SPECS=("k:do_filp_open name=+0(+0(arg2)):string" "k:$fn path=+0(arg2):string")
trace_both kmem SONDE_X=0
expect_grep "kmem: bpf: the kernel string" \
	"^do_filp_open: name=\"$file\"\$" "$T_DIR/ev.kmem.bpf"
expect_grep "kmem: bpf: string at a user address" \
	"^$fn: path=\"$file\"\$" "$T_DIR/ev.kmem.bpf"
expect_file_eq "kmem: bpf gives what tracefs gives" \
	"$T_DIR/full.kmem.bpf" "$T_DIR/full.kmem.tracefs"

# FUNC+0: the entry, on a kprobe_multi link where the kernel has them,
# else a kprobe PMU event (any other offset: always a PMU event)
hygiene_begin
"$SONDE" trace -v --backend bpf -c "$cmd" "k:$fn+0 dfd=arg1:s32" \
	>"$T_DIR/out.off" 2>"$T_DIR/err.off"
expect_eq "k:FUNC+0: exit status" "$?" 0
strip_ip "$T_DIR/out.off" >"$T_DIR/ev.off"
expect_grep "k:FUNC+0: the open" "^$fn: dfd=-100\$" "$T_DIR/ev.off"
if [ $kmulti = 1 ]; then
	expect_grep "k:FUNC+0: on a kprobe_multi link (the entry)" \
		"bpf: 1 probe, 1 program, kprobe_multi links" "$T_DIR/err.off"
else
	expect_grep "k:FUNC+0: on a perf event" "one perf event per probe" "$T_DIR/err.off"
fi
if ! grep -q "^$fn: dfd=-100\$" "$T_DIR/ev.off"; then
	sed 's/^/#   /' "$T_DIR/out.off" "$T_DIR/err.off"
fi
hygiene_check "k:FUNC+0: tracefs left as found"

# count: runs of open_sys that open FILE K times each; the loader's own
# opens are the same in every run, so K=21 counts 20 more than K=1
count_opens()
{ # BACKEND K ENV...
	local be=$1 k=$2
	shift 2
	env "$@" "$SONDE" count -v --backend "$be" --by comm -c "$O $file 0 0 $k" \
		"k:$fn" >"$T_DIR/c.$be.$k" 2>"$T_DIR/cerr.$be.$k"
	awk '$1 == "'"$fn"'" && $2 == "open_sys" { print $3 }' "$T_DIR/c.$be.$k"
}
for mode in multi perf; do
	[ $mode = multi ] && [ $kmulti = 0 ] && continue
	envs=(SONDE_X=0)
	[ $mode = perf ] && envs=(SONDE_BPF_NO_MULTI=1)
	hygiene_begin
	a=$(count_opens bpf 1 "${envs[@]}")
	b=$(count_opens bpf 21 "${envs[@]}")
	t=$(count_opens tracefs 21)
	hygiene_check "count $mode: tracefs left as found"
	expect_grep "count $mode: counted in the kernel (BPF)" \
		"counted in the kernel (BPF" "$T_DIR/cerr.bpf.21"
	expect_eq "count $mode: 20 more opens counted for 20 more" \
		"$((${b:-0} - ${a:-0}))" 20
	expect_eq "count $mode: bpf counts what tracefs counts" "${b:-none}" "${t:-none}"
done
# hist of a kretprobe's return value in the kernel: the same buckets as
# tracefs gives (open_sys's fds are all 3)
hygiene_begin
for be in bpf tracefs; do
	"$SONDE" hist -v --backend $be -c "$O $file 0 0 21" \
		"kr:$fn fd=retval:s64" --value fd >"$T_DIR/h.$be" 2>"$T_DIR/herr.$be"
	expect_eq "hist $be: exit status" "$?" 0
done
hygiene_check "hist: tracefs left as found"
expect_grep "hist: aggregated in the kernel (BPF)" "aggregated in the kernel (BPF" \
	"$T_DIR/herr.bpf"
expect_grep "hist: at least 21 fds of 3" '^\[2, 4) *[0-9]* |' "$T_DIR/h.bpf"
# (without open_sys's own "pid=PID fd=FD" lines)
grep -v '^pid=' "$T_DIR/h.bpf" >"$T_DIR/ht.bpf"
grep -v '^pid=' "$T_DIR/h.tracefs" >"$T_DIR/ht.tracefs"
expect_file_eq "hist: bpf's table is tracefs's" "$T_DIR/ht.bpf" "$T_DIR/ht.tracefs"
finish
