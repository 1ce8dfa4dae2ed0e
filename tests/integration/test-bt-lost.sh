#!/bin/bash
# sonde run never drops a message without saying so: a printf the ring
# buffer has no room for is counted in the kernel and said as bpftrace
# 0.17 says it, "Lost N events" (JSON: {"type": "lost_events", ...}).
# The ring is made one page small (SONDE_RUN_RING_BYTES, for tests only)
# so that calls.c's N calls of add() overflow it; the reference is N, the
# calls calls.c makes: the lines received plus the events said lost are
# exactly N (with -f perfetto: the instants in the timeline plus the
# losses said on stderr). With the usual ring, the same run loses nothing.
. "$(dirname "$0")/lib.sh"
require_root
require_uprobes
require_file "$SONDE" "$FIXTURES/fixture_pie"
if ! "$SONDE" check | grep -q '^BPF: *yes'; then
	skip "$T_NAME" "no BPF here"
	finish
fi

fix=$(readlink -f "$FIXTURES/fixture_pie")
hygiene_begin
N=20000
prog="uprobe:$fix:add { printf(\"add %d\\n\", arg0); }"

# received FILE, lost FILE: the printf lines, the sum of the Lost lines
received() { grep -c '^add [0-9]*$' "$1"; }
lost() { awk '/^Lost [0-9]+ events$/ { n += $2 } END { print n + 0 }' "$1"; }

SONDE_RUN_RING_BYTES=4096 "$SONDE" run -e "$prog" -c "$fix $N" \
	>"$T_DIR/small" 2>"$T_DIR/small.err"
expect_eq "one-page ring: exit status" "$?" 0
r=$(received "$T_DIR/small") l=$(lost "$T_DIR/small")
check "one-page ring: events lost, and said ($r received, $l lost)" \
	[ "$l" -gt 0 ]
expect_eq "one-page ring: received + said lost = calls.c's $N calls" \
	"$((r + l))" "$N"
expect_eq "one-page ring: every line a printf's, a Lost line, or the frame" \
	"$(grep -c -v -E '^(add [0-9]+|Lost [0-9]+ events|Attaching 1 probe\.\.\.|)$' \
		"$T_DIR/small")" 0

SONDE_RUN_RING_BYTES=4096 "$SONDE" run -f json -e "$prog" -c "$fix $N" \
	>"$T_DIR/small.json" 2>"$T_DIR/small.json.err"
l=$(sed -n 's/^{"type": "lost_events", "data": {"events": \([0-9]*\)}}$/\1/p' \
	"$T_DIR/small.json" | awk '{ n += $1 } END { print n + 0 }')
r=$(grep -c '"data": "add [0-9]*\\n"' "$T_DIR/small.json")
check "json, one-page ring: lost_events records ($l)" [ "$l" -gt 0 ]
expect_eq "json, one-page ring: received + lost = $N" "$((r + l))" "$N"

# -f perfetto: the text is not written, the loss is said on stderr
SONDE_RUN_RING_BYTES=4096 "$SONDE" run -f perfetto -o "$T_DIR/tl.json" \
	-e "$prog" -c "$fix $N" >/dev/null 2>"$T_DIR/tl.err"
expect_eq "timeline, one-page ring: exit status" "$?" 0
r=$(python3 -c 'import json, sys
print(sum(e["ph"] == "i" for e in json.load(open(sys.argv[1]))["traceEvents"]))' \
	"$T_DIR/tl.json")
l=$(awk '/warning: [0-9]+ messages lost/ { n += $3 } END { print n + 0 }' \
	"$T_DIR/tl.err")
check "timeline, one-page ring: loss said on stderr ($l)" [ "$l" -gt 0 ]
expect_eq "timeline, one-page ring: instants + said lost = $N" "$((r + l))" "$N"

"$SONDE" run -e "$prog" -c "$fix $N" >"$T_DIR/usual" 2>"$T_DIR/usual.err"
expect_eq "usual ring: all of calls.c's $N calls received" \
	"$(received "$T_DIR/usual")" "$N"
expect_eq "usual ring: no Lost line" "$(grep -c '^Lost' "$T_DIR/usual")" 0

hygiene_check "bt-lost: tracefs as found"
finish
