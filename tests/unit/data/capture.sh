#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Re-make the ring-page and format fixtures of test_ring.c / test_decode.c
# from a real kernel. Needs root and tracefs with uprobes.
#
#   sudo tests/unit/data/capture.sh [OUTDIR]     (default: this directory)
#
# It builds capprog.c in a temporary directory, puts a uprobe and a
# uretprobe on sonde_cap_target() in the group "sondecap", enables them
# in a private instance (buffer_percent 0, so the top-level buffer sees
# nothing), runs the program pinned to CPU 0 and copies the binary pages
# of per_cpu/cpu0/trace_pipe_raw:
#   page_basic.bin   3 entry + 3 return events (values: capprog.c calls[])
#   page_extend.bin  2 calls 300 ms apart: a time-extend record between
#   page_lost.bin    2000 calls into a 4 KB/CPU buffer: pages that carry
#                    the "events lost" bits of the commit word
#   page_8k.bin      as page_basic.bin with buffer_subbuf_size_kb = 8
#   format_ent, format_ret   the events' format files
#   format_sched_switch      a tracepoint's (char[16] strings in place)
#   header_page, header_page_8k   events/header_page (4 KB and 8 KB pages)
# format_kretprobe is not made here: this kernel has no kprobes, so it was
# written by hand in the layout of kernel/trace/trace_kprobe.c
# (kretprobe_event_define_fields(): __probe_func, __probe_ret_ip, args).
# The trap removes the instance and the probes on every exit path.
set -eu

T=/sys/kernel/tracing
OUT=${1:-$(cd "$(dirname "$0")" && pwd)}
SRC=$(cd "$(dirname "$0")" && pwd)/capprog.c
GRP=sondecap
INST=$T/instances/sondecap_$$
TMP=$(mktemp -d)

cleanup() {
	[ -d "$INST" ] && {
		echo 0 > "$INST/tracing_on" 2>/dev/null || true
		echo 0 > "$INST/events/$GRP/enable" 2>/dev/null || true
		rmdir "$INST" || true
	}
	echo "-:$GRP/ent" >> $T/uprobe_events 2>/dev/null || true
	echo "-:$GRP/ret" >> $T/uprobe_events 2>/dev/null || true
	rm -rf "$TMP"
	if grep -q "$GRP/" $T/uprobe_events; then
		echo "capture.sh: probes of $GRP left behind" >&2
		exit 1
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

cc -O2 -o "$TMP/capprog" "$SRC"
BIN=$TMP/capprog
# File offset of the function: objdump -F prints "(File Offset: 0x...)".
OFF=$(objdump -d -F "$BIN" |
	sed -n 's/^[0-9a-f]* <sonde_cap_target> (File Offset: \(0x[0-9a-f]*\)):$/\1/p')
[ -n "$OFF" ] || { echo "capture.sh: no sonde_cap_target" >&2; exit 1; }

# x86-64 SysV: a=%di b=%si s=%dx arr=%cx. One of each fetch type.
echo "p:$GRP/ent $BIN:$OFF a=%di:s32 b=%si:u64 hx=%si:x64 s=+0(%dx):string" \
	"arr=+0(%cx):u8[4] bf=%di:b4@4/32 c=%di:s8 h=%si:x16 comm=\$comm" \
	>> $T/uprobe_events
echo "r:$GRP/ret $BIN:$OFF rv=\$retval:s32" >> $T/uprobe_events

cp $T/events/header_page "$OUT/header_page"
cp $T/events/$GRP/ent/format "$OUT/format_ent"
cp $T/events/$GRP/ret/format "$OUT/format_ret"
cp $T/events/sched/sched_switch/format "$OUT/format_sched_switch"

mkdir "$INST"
echo 0 > "$INST/buffer_percent"

# Run MODE ARGS with the events enabled, then copy every page of cpu0.
run() {
	file=$1
	bs=$2
	shift 2
	echo 0 > "$INST/tracing_on"
	echo > "$INST/trace"
	echo 1 > "$INST/events/$GRP/enable"
	echo 1 > "$INST/tracing_on"
	taskset -c 0 "$BIN" "$@" > /dev/null
	echo 0 > "$INST/tracing_on"
	echo 0 > "$INST/events/$GRP/enable"
	# nonblock: dd stops with EAGAIN once the buffer is empty.
	dd if="$INST/per_cpu/cpu0/trace_pipe_raw" of="$OUT/$file" bs=$bs \
		iflag=nonblock status=none 2>/dev/null || true
	[ -s "$OUT/$file" ] || { echo "capture.sh: $file empty" >&2; exit 1; }
}

run page_basic.bin 4096 basic
run page_extend.bin 4096 extend
echo 8 > "$INST/buffer_subbuf_size_kb"
cp "$INST/events/header_page" "$OUT/header_page_8k"
run page_8k.bin 8192 basic
echo 4 > "$INST/buffer_subbuf_size_kb"
echo 4 > "$INST/buffer_size_kb"
run page_lost.bin 4096 many 2000
chmod 644 "$OUT"/format_* "$OUT"/header_page*
ls -l "$OUT"/page_*.bin
