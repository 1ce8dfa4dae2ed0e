#!/bin/bash
# Time order and spec order, checked against order_prog.c's loops, on the
# tracefs, perf and bpf backends:
# - a thread moving to the next CPU (sched_setaffinity) before each call of
#   order_mark(i), i = 0..1999: the events come out as i = 0, 1, ... 1999,
#   with non-decreasing times, and on more than one CPU (the per-CPU
#   buffers are merged by time stamp);
# - three probes on order_twice and two on its return, for i = 1..3: each
#   hit gives first, second, third (then rfirst, rsecond with the return
#   value i * 10) in the order of the specs (the kernel calls a site's
#   consumers most recent first: sonde registers them last first).
. "$(dirname "$0")/lib.sh"
require_root
require_uprobes
bin=$FIXTURES/order_prog
require_file "$SONDE" "$bin"
ncpu=$(getconf _NPROCESSORS_ONLN)
n=2000

backends="tracefs perf"
"$SONDE" check --backend bpf >/dev/null 2>&1 && backends="$backends bpf"

want_twice=$(for i in 1 2 3; do
	echo "order_twice: first=0x1 i=$i"
	echo "order_twice_2: second=0x2 i=$i"
	echo "order_twice_3: third=0x3 i=$i"
	echo "order_twice__return: rfirst=0x1 r=$((i * 10))"
	echo "order_twice__return_2: rsecond=0x2 r=$((i * 10))"
done)

for be in $backends; do
	hygiene_begin
	# -o: the events in a file of their own, not in the stdout the
	# child shares ("hops N" once landed inside a line of events)
	rm -f "$T_DIR/hop"
	"$SONDE" trace -q --backend $be -o "$T_DIR/hop" -c "$bin hop $n" \
		"u:$bin:order_mark i=arg1:s32" >"$T_DIR/hop.child" 2>"$T_DIR/err"
	expect_eq "$be: hop: exit status" "$?" 0
	got=$(events "$T_DIR/hop" | sed -n 's/^order_mark: i=//p' | tr '\n' ' ')
	expect_eq "$be: hop: i = 0..$((n - 1)), each once, in order" \
		"$got" "$(seq 0 $((n - 1)) | tr '\n' ' ')"
	bad=$(awk '/ order_mark: / { t = $1 + 0; if (seen++ && t < p) b++; p = t }
		END { print b + 0 }' "$T_DIR/hop")
	expect_eq "$be: hop: times never go back" "$bad" 0
	cpus=$(sed -n 's/.* \[\([0-9]*\)\] order_mark:.*/\1/p' "$T_DIR/hop" | sort -u | wc -l)
	if [ "$ncpu" -gt 1 ]; then
		expect_eq "$be: hop: the events came from $ncpu CPUs" "$cpus" "$ncpu"
	fi

	"$SONDE" trace -q --backend $be -c "$bin twice 3" \
		"u:$bin:order_twice first=\\1 i=arg1:s32" \
		"u:$bin:order_twice second=\\2 i=arg1:s32" \
		"u:$bin:order_twice third=\\3 i=arg1:s32" \
		"ur:$bin:order_twice rfirst=\\1 r=retval:s32" \
		"ur:$bin:order_twice rsecond=\\2 r=retval:s32" \
		>"$T_DIR/twice" 2>"$T_DIR/err"
	expect_eq "$be: twice: exit status" "$?" 0
	expect_eq "$be: twice: each hit's events in spec order" \
		"$(events "$T_DIR/twice")" "$want_twice"
	hygiene_check "$be: tracefs left as found"
done
finish
