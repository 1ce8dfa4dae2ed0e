#!/bin/bash
# The seed's kprobe lines and what they fetch, for real (inside the VM, see
# tests/vm/README.md): the kernel-syntax lines verbatim, the portable form
# of the same probe with the values open(2) passed (dfd, path, flags, mode),
# a string on a user pointer and on a kernel pointer, kretprobe return
# values, maxactive, FUNC+OFF and $argN. The traced program is open_sys,
# which opens a file with the legacy open(2) syscall (fs/open.c:
# SYSCALL_DEFINE3(open) -> do_sys_open(AT_FDCWD, filename, flags, mode)).
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
# What SYSCALL_DEFINE3(open) reaches: do_sys_open, or, where the compiler
# inlined do_sys_open into the syscall (Debian's 6.1), do_sys_openat2.
fn=do_sys_openat2
seed='p:myprobe do_sys_open dfd=%ax filename=%dx flags=%cx mode=+4($stack)'
seedr='r:myretprobe do_sys_open $retval'
# (the kernel names an unnamed $retval "arg1": kprobetrace.rst's example
# output, trace_probe.c generate_probe_arg_name())
# open(2) on 64-bit adds O_LARGEFILE (fs/open.c force_o_largefile()): what
# do_sys_open and open_how.flags see is FLAGS | 0x8000.
O_CLOEXEC=0x80000 O_CREAT=0x40 O_WRONLY=0x1 O_LARGEFILE=0x8000

# run NAME 'OPEN_SYS ARGS' SONDE-TRACE-ARGS...: trace open_sys ARGS with -c;
# events in $T_DIR/out, the child's "pid=N fd=N" lines in $T_DIR/child.
# Sets RC, PID and FD (the child's last fd), checks the exit status and
# that tracefs is as found.
run()
{
	local name=$1 args=$2
	shift 2
	hygiene_begin
	"$SONDE" trace -q -o "$T_DIR/out" -c "$O $args" "$@" \
		>"$T_DIR/child" 2>"$T_DIR/err"
	RC=$?
	PID=$(sed -n 's/^pid=\([0-9]*\) .*/\1/p' "$T_DIR/child" | head -n 1)
	FD=$(sed -n 's/^pid=.* fd=\([0-9-]*\)$/\1/p' "$T_DIR/child" | tail -n 1)
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

# expect_count NAME N PATTERN: exactly N of the child's events match.
expect_count()
{
	local n
	n=$(mine | grep -c -e "$3")
	if [ "$n" = "$2" ]; then
		ok "$1"
	else
		not_ok "$1" "$n events match '$3', want $2; the child's ($PID):
$(mine | head -n 20)
all:
$(head -n 20 "$T_DIR/out")"
	fi
}

# raw_hits FUNC: how many times one open_sys run enters FUNC, asked of
# tracefs directly (no sonde), in group and instance kptest_seed.
raw_hits()
{
	local g=kptest_seed i=$TRACEFS/instances/kptest_seed n
	echo "p:$g/probe $1" >>"$TRACEFS/kprobe_events" || return 1
	mkdir "$i"
	echo 1 >"$i/events/$g/probe/enable"
	"$O" "$file" >/dev/null
	echo 0 >"$i/events/$g/probe/enable"
	# the comm comes from the kernel's saved_cmdlines, which may have
	# lost it by the time trace is read ("<...>")
	n=$(grep -c -E ' (open_sys|<\.\.\.>)-[0-9]+ .* probe: ' "$i/trace")
	rmdir "$i"
	echo "-:$g/probe" >>"$TRACEFS/kprobe_events"
	echo "$n"
}

hex() { printf '0x%x' "$(($1))"; }

# --- does open(2) reach do_sys_open here? -----------------------------------
hygiene_begin
ctl=$(raw_hits __x64_sys_open)
expect_eq "raw kprobe: open_sys's open(2) enters __x64_sys_open once" "$ctl" 1
dso=$(raw_hits do_sys_open)
n_fn=$(raw_hits $fn)
hygiene_check "raw kprobes: tracefs left as found"
if [ "$dso" = 0 ]; then
	echo "# do_sys_open is not called by open(2) on $(uname -r): it is" \
		"inlined into __x64_sys_open, which calls $fn ($n_fn hit(s))"
fi

# --- 1. the seed's lines, verbatim ------------------------------------------
hygiene_begin
"$SONDE" format "$seed" >"$T_DIR/fmt" 2>"$T_DIR/err"
expect_eq "seed line verbatim: sonde format exit status" "$?" 0
expect_grep "seed line verbatim: event myprobe" '^name: myprobe$' "$T_DIR/fmt"
for f in dfd filename flags mode; do
	expect_grep "seed line verbatim: field $f" \
		"^[[:space:]]field:u64 $f;" "$T_DIR/fmt"
done
hygiene_check "seed line verbatim: format: tracefs left as found"

run "seed lines verbatim" "$file $O_CLOEXEC 0" "$seed" "$seedr"
expect_count "seed lines verbatim: myprobe hits as a raw kprobe on do_sys_open ($dso)" \
	"$dso" '^myprobe: (do_sys_open+0x0/0x[0-9a-f]*) dfd=0x[0-9a-f]* filename=0x[0-9a-f]* flags=0x[0-9a-f]* mode=0x[0-9a-f]*$'
if [ "$dso" -gt 0 ]; then
	expect_count "seed lines verbatim: myretprobe's \$retval is open_sys's fd" \
		1 "^myretprobe: (__x64_sys_open+0x[0-9a-f]*/0x[0-9a-f]* <- do_sys_open) arg1=$(hex "$FD")\$"
else
	skip "seed lines verbatim: catch open_sys's open(2)" \
		"do_sys_open is never called on this kernel (see above)"
fi

# The same lines on the function open(2) reaches: each of the child's
# opens enters and returns; the legacy open(2) is the one returning to
# __x64_sys_open (the loader's opens use openat), with open_sys's fd.
run "seed lines on $fn" "$file $O_CLOEXEC 0" \
	"${seed/do_sys_open/$fn}" "${seedr/do_sys_open/$fn}"
n=$(mine | grep -c "^myprobe: ($fn+0x0/0x[0-9a-f]*) dfd=")
if [ "$n" -ge 1 ] && [ "$n" = "$(mine | grep -c '^myretprobe: ')" ]; then
	ok "seed lines on $fn: the child's entries ($n) all return"
else
	not_ok "seed lines on $fn: the child's entries ($n) all return" \
		"$(mine)"
fi
expect_count "seed lines on $fn: open(2) returns open_sys's fd ($FD)" 1 \
	"^myretprobe: (__x64_sys_open+0x[0-9a-f]*/0x[0-9a-f]* <- $fn) arg1=$(hex "$FD")\$"

# --- the portable form: the values open(2) was given ------------------------
if [ "$dso" -gt 0 ]; then
	run "k:do_sys_open portable args" "$file $O_CLOEXEC 0" \
		'k:do_sys_open dfd=arg1:s32 filename=+0(arg2):ustring flags=arg3:x32 mode=arg4:x32'
	expect_count "k:do_sys_open: dfd=AT_FDCWD, the path, flags|O_LARGEFILE" 1 \
		"^do_sys_open: (do_sys_open+0x0/0x[0-9a-f]*) dfd=-100 filename=\"$file\" flags=$(hex "$O_CLOEXEC | $O_LARGEFILE") mode=0x0\$"
else
	skip "k:do_sys_open: dfd=AT_FDCWD, the path, flags|O_LARGEFILE" \
		"do_sys_open is never called on this kernel"
fi
# do_sys_openat2(dfd, filename, struct open_how *how): how->flags and
# how->mode (include/uapi/linux/openat2.h; fs/open.c build_open_how()).
portable="k:$fn dfd=arg1:s32 filename=+0(arg2):ustring flags=+0(arg3):x64 mode=+8(arg3):x64"
run "k:$fn portable args, O_CLOEXEC" "$file $O_CLOEXEC 0" "$portable"
expect_count "k:$fn: dfd=AT_FDCWD, the path, O_CLOEXEC|O_LARGEFILE, mode 0" 1 \
	"^$fn: ($fn+0x0/0x[0-9a-f]*) dfd=-100 filename=\"$file\" flags=$(hex "$O_CLOEXEC | $O_LARGEFILE") mode=0x0\$"

new=$T_DIR/new-file
run "k:$fn portable args, O_CREAT 0644" \
	"$new $((O_CREAT | O_WRONLY | O_CLOEXEC)) 0644" "$portable"
expect_count "k:$fn: O_CREAT|O_WRONLY|O_CLOEXEC|O_LARGEFILE, mode 0644" 1 \
	"^$fn: ($fn+0x0/0x[0-9a-f]*) dfd=-100 filename=\"$new\" flags=$(hex "$O_CREAT | $O_WRONLY | $O_CLOEXEC | $O_LARGEFILE") mode=0x1a4\$"

# --- 2. strings: kernel pointer ---------------------------------------------
# do_filp_open(dfd, struct filename *pathname, ...): pathname->name is the
# first member (include/linux/fs.h), a kernel copy of the path.
run "k:do_filp_open kernel string" "$file" \
	'k:do_filp_open name=+0(+0(arg2)):string'
expect_count "k:do_filp_open: name=+0(+0(arg2)):string is the path" 1 \
	"^do_filp_open: (do_filp_open+0x0/0x[0-9a-f]*) name=\"$file\"\$"

# --- 3. kretprobes, maxactive, FUNC+OFF, $argN ------------------------------
run "kr:$fn" "$file" "kr:$fn fd=retval:s64"
expect_count "kr:$fn: fd=retval is open_sys's fd ($FD), back in __x64_sys_open" 1 \
	"^${fn}__return: (__x64_sys_open+0x[0-9a-f]*/0x[0-9a-f]* <- $fn) fd=$FD\$"

hygiene_begin
"$SONDE" format -v "kr10:$fn fd=retval:s64" >"$T_DIR/fmt" 2>&1
expect_eq "kr10: format exit status" "$?" 0
expect_grep "kr10: maxactive 10 in the kernel's definition" \
	"^# r10:sonde_[0-9_]*/${fn}__return $fn fd=[$]retval:s64 __sonde_pcomm=[$]comm\$" "$T_DIR/fmt"
hygiene_check "kr10: format: tracefs left as found"

run "kr10:$fn" "$file 0 0 3" "kr10:$fn fd=retval:s64"
expect_count "kr10:$fn: the three open(2) calls return fd $FD" 3 \
	"^${fn}__return: (__x64_sys_open+0x[0-9a-f]*/0x[0-9a-f]* <- $fn) fd=$FD\$"

hygiene_begin
"$SONDE" trace -q -f json -o "$T_DIR/out" -c "$O $file" "kr:$fn fd=retval:s64" \
	>"$T_DIR/child" 2>"$T_DIR/err"
expect_eq "kr:$fn -f json: exit status" "$?" 0
expect_grep "kr:$fn -f json: location and fd" \
	"\"probe\":\"${fn}__return\",\"location\":\"__x64_sys_open+0x[0-9a-f]*/0x[0-9a-f]* <- $fn\",\"args\":{\"fd\":3}}" \
	"$T_DIR/out"
hygiene_check "kr:$fn -f json: tracefs left as found"

# FUNC+OFF: the first offset after the entry that is an instruction
# boundary (the kernel refuses others: "Probe point is not an instruction
# boundary"), found by asking the kernel through sonde format.
hygiene_begin
off=
for n in $(seq 1 32); do
	if "$SONDE" format "k:$fn+$n" >/dev/null 2>&1; then
		off=$n
		break
	fi
done
hygiene_check "k:$fn+OFF: finding an offset left tracefs as found"
if [ -z "$off" ]; then
	not_ok "k:$fn+OFF: an instruction boundary within 32 bytes"
else
	ok "k:$fn+OFF: +$off is the first instruction boundary after the entry"
	h=$(printf '%x' "$off")
	run "k:$fn+$off" "$file" "k:$fn" "k:$fn+$off"
	n=$(mine | grep -c "^$fn: ($fn+0x0/0x[0-9a-f]*)\$")
	expect_count "k:$fn+$off: as many hits at +0x$h as at the entry ($n)" \
		"$n" "^${fn}_0x$h: ($fn+0x$h/0x[0-9a-f]*)\$"
	[ "$n" -ge 1 ] || not_ok "k:$fn+$off: the entry was hit"
fi

# $argN: the kernel's own function-argument fetches (no names given:
# "arg1"; x86-64 passes int dfd in %edi, zero-extended).
run "k:$fn \$argN" "$file" \
	"k:$fn \$arg1 dfd=\$arg1:s32 path=+0(\$arg2):ustring flags=+0(\$arg3):x64"
expect_count "k:$fn \$arg1..\$arg3: AT_FDCWD, the path, the flags" 1 \
	"^$fn: ($fn+0x0/0x[0-9a-f]*) arg1=0xffffff9c dfd=-100 path=\"$file\" flags=$(hex "$O_LARGEFILE")\$"

finish
