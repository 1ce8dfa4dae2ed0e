#!/bin/bash
# Several kprobes and kretprobes on one kernel function come out in the
# order the specs were given, for every hit, on each backend (inside the
# VM, see tests/vm/README.md). The kernel runs the kprobes of one address
# newest first and a kretprobe's returns last in, first out: sonde
# registers them in an order that undoes both (order.c register_order()).
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
# busybox is static: "cat FILE" opens exactly FILE
cmd="/bin/busybox cat /etc/sonde-vm.env"
SPECS=("k:$fn a=arg1:s32" "k:$fn b=arg1:s32" "k:$fn c=arg1:s32"
	"kr:$fn r1=retval:s64" "kr:$fn r2=retval:s64")
backends="tracefs perf"
"$SONDE" check 2>/dev/null | grep -q '^BPF: *yes' && backends="$backends bpf"

for be in $backends; do
	hygiene_begin
	"$SONDE" trace -q --backend $be -c "$cmd" "${SPECS[@]}" \
		>"$T_DIR/out.$be" 2>"$T_DIR/err.$be"
	expect_eq "$be: exit status" "$?" 0
	# each event's first field name, in the order printed
	events "$T_DIR/out.$be" | sed 's/: ([^)]*)/:/' |
		sed -n 's/^[^:]*: *\([a-z0-9]*\)=.*/\1/p' >"$T_DIR/seq.$be"
	n=$(grep -c '^a$' "$T_DIR/seq.$be")
	want=$(for i in $(seq 1 "$n"); do printf 'a b c r1 r2 '; done)
	# every hit gives its five events, whatever their order
	sets=$(paste -d' ' - - - - - <"$T_DIR/seq.$be" |
		while read -r l; do echo $l | tr ' ' '\n' | sort | tr '\n' ' '; echo; done |
		sort -u)
	if [ "$n" -ge 1 ] && [ "$sets" = "a b c r1 r2 " ]; then
		ok "$be: $n hits, each with its three entries and two returns"
	else
		not_ok "$be: each hit with its five events" \
			"$(events "$T_DIR/out.$be" | head -n 20; cat "$T_DIR/err.$be")"
	fi
	if [ "$n" -ge 1 ] &&
		[ "$(tr '\n' ' ' <"$T_DIR/seq.$be")" = "$want" ]; then
		ok "$be: $n hits, each a b c then r1 r2, in spec order"
	else
		not_ok "$be: each hit in spec order" \
			"got: $(tr '\n' ' ' <"$T_DIR/seq.$be" | cut -c1-60)"
	fi
	hygiene_check "$be: tracefs left as found"
done
finish
