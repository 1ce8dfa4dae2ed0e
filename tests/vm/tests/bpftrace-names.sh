#!/bin/bash
# bpftrace's kprobe: and kretprobe: (run inside the VM by tests/vm/run):
# do_sys_openat2 for a child that opens one file; the path is the one it was
# given, the return value the lowest free fd (3: POSIX open(2) takes the
# lowest, and 0-2 are open), on each backend; the same events as sonde's
# k:/kr:; a glob and the subcommands that read the word themselves.
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

# open(2) reaches do_sys_openat2 on 6.1 (fs/open.c).
fn=do_sys_openat2
file=/etc/sonde-vm.env
# busybox is static, so "cat FILE" opens exactly one file: FILE, as fd 3.
cmd="/bin/busybox cat $file"
want="$fn: path=\"$file\",${fn}__return: fd=3,"

# run K KR OUT [OPTIONS]: entry and return in the given words
run()
{
	local k=$1 kr=$2 out=$3
	shift 3
	"$SONDE" trace -q "$@" -c "$cmd" "$k:$fn path=+0(arg2):ustring" \
		"$kr:$fn fd=retval:s64" >"$out" 2>"$T_DIR/err"
}

strip_ip()
{
	events "$1" | sed 's/: ([^)]*)/:/' | tr '\n' ,
}

for backend in tracefs perf bpf; do
	hygiene_begin
	run kprobe kretprobe "$T_DIR/out" --backend $backend
	expect_eq "$backend: kprobe:/kretprobe: exit status" "$?" 0
	expect_eq "$backend: kprobe: path, kretprobe: fd 3, nothing else" \
		"$(strip_ip "$T_DIR/out")" "$want"
	hygiene_check "$backend: tracefs left as found"
done

run k kr "$T_DIR/short"
run kprobe kretprobe "$T_DIR/long"
expect_eq "k:/kr: give the events kprobe:/kretprobe: give" \
	"$(strip_ip "$T_DIR/long")" "$(strip_ip "$T_DIR/short")"

# a glob: every do_sys_open* function, as kallsyms lists them
hygiene_begin
"$SONDE" count -c "$cmd" "kprobe:do_sys_open*" >"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "kprobe:GLOB count: exit status" "$?" 0
expect_grep "kprobe:do_sys_open*: do_sys_openat2 once" \
	"^do_sys_openat2 *1$" "$T_DIR/out"
hygiene_check "kprobe:GLOB: tracefs left as found"

# list and latency read the word themselves
"$SONDE" list "kprobe:do_sys_open*" >"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "list kprobe:GLOB: the functions list k:GLOB names" \
	"$(awk '{ print $NF }' "$T_DIR/out" | sort | tr '\n' ' ')" \
	"$("$SONDE" list "k:do_sys_open*" 2>/dev/null | awk '{ print $NF }' |
		sort | tr '\n' ' ')"
expect_grep "list kprobe:GLOB: do_sys_openat2" "do_sys_openat2" "$T_DIR/out"
hygiene_begin
"$SONDE" latency -c "$cmd" "kprobe:$fn" >"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "latency kprobe:: exit status" "$?" 0
expect_grep "latency kprobe:: the one call paired" "^count 1," "$T_DIR/out"
hygiene_check "latency: tracefs left as found"

finish
