#!/bin/bash
# sonde run's timeline: -f perfetto and --perfetto FILE. Each printf or
# print(value) message is an instant on its thread's track, named after
# its probe, args {"msg": the text}. The file is checked by
# trace_event_check.py (the Trace Event Format's rules, written from its
# documentation), then what it draws is compared with the timeline
# fixture's C source (threads tl_alpha and tl_beta: 7 and 5 calls of
# tl_work(a, b), a = i, b = 100 + i and a = 1000 + i, b = 2000 + i; the
# main thread's tl_tick(1..3)) and with the tids the fixture printed.
# The text output with --perfetto is the same as without it.
# tests/run: timeout 120
. "$(dirname "$0")/lib.sh"
require_root
require_uprobes
F=$FIXTURES/timeline
require_file "$SONDE" "$F"
command -v python3 >/dev/null || bail "python3 is needed"
hygiene_begin

PROG="BEGIN { printf(\"start\\n\"); }
uprobe:$F:tl_work { printf(\"%d %d\\n\", arg0, arg1); }
uprobe:$F:tl_tick { print(arg0); }
END { printf(\"end\\n\"); }"

# check SUMMARY FIXTURE_OUT: one word per line, compared below
check()
{
	python3 - "$1" "$2" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
calls = {}  # name -> (tid, [(a, b)]) from the fixture's own output
pid = None
for line in open(sys.argv[2]):
    w = line.split()
    if w[0] == "pid":
        pid = int(w[1])
    elif w[0] == "call":
        calls.setdefault(w[1], (int(w[2]), []))[1].append((int(w[3]), int(w[4])))
names = s["thread_names"]
work = [i for i in s["instants"] if i["name"].endswith(":tl_work")]
for t in ("tl_alpha", "tl_beta"):
    tid, ab = calls[t]
    mine = [i for i in work if i["tid"] == tid]
    ts = [i["ts"] for i in mine]
    print(t, len(mine), names.get(str(tid)),
          [i["args"]["msg"] for i in mine] == ["%d %d\n" % x for x in ab],
          all(i["pid"] == pid for i in mine),
          all(x < y for x, y in zip(ts, ts[1:])))
tick = [i for i in s["instants"] if i["name"].endswith(":tl_tick")]
print("tick", [i["args"]["msg"] for i in tick] == ["1\n", "2\n", "3\n"],
      all(i["tid"] == pid for i in tick), s["process_names"].get(str(pid)))
be = {i["name"]: i for i in s["instants"] if i["name"] in ("BEGIN", "END")}
b, e = be.get("BEGIN"), be.get("END")
print("begin_end", b is not None and e is not None and
      b["args"]["msg"] == "start\n" and e["args"]["msg"] == "end\n" and
      b["pid"] == e["pid"] != pid and
      b["ts"] < min(i["ts"] for i in work) and
      e["ts"] > max(i["ts"] for i in work + tick),
      len(s["instants"]) == 12 + 3 + 2)
EOF
}

expect_checks()
{
	local c=$T_DIR/chk
	check "$2.sum" "$3" >"$c" 2>&1 || { not_ok "$1: compared" "$(cat "$c")"; return; }
	expect_eq "$1: tl_alpha's 7 instants, named, msg 'a b' = the args, pid, time increasing" \
		"$(grep '^tl_alpha' "$c")" "tl_alpha 7 tl_alpha True True True"
	expect_eq "$1: tl_beta's 5 instants, named, msg 'a b' = the args, pid, time increasing" \
		"$(grep '^tl_beta' "$c")" "tl_beta 5 tl_beta True True True"
	expect_eq "$1: print(arg0) of tl_tick on the main thread, process named" \
		"$(grep '^tick' "$c")" "tick True True timeline"
	expect_eq "$1: BEGIN first and END last, on sonde's thread; 17 instants" \
		"$(grep '^begin_end' "$c")" "begin_end True True"
}


# -f perfetto -o FILE: the timeline is the output
"$SONDE" run -f perfetto -o "$T_DIR/a.json" -e "$PROG" -c "$F" \
	>"$T_DIR/fx.a" 2>"$T_DIR/err.a"
expect_eq "-f perfetto: exit status" "$?" 0
trace_event_valid "-f perfetto" "$T_DIR/a.json" &&
	expect_checks "-f perfetto" "$T_DIR/a.json" "$T_DIR/fx.a"
hygiene_check "-f perfetto: tracefs left as found"

# --perfetto FILE: the text as without it, and the timeline
"$SONDE" run -o "$T_DIR/plain.txt" -e "$PROG" -c "$F" >"$T_DIR/fx.p" 2>&1
expect_eq "text only: exit status" "$?" 0
"$SONDE" run --perfetto "$T_DIR/b.json" -o "$T_DIR/b.txt" -e "$PROG" -c "$F" \
	>"$T_DIR/fx.b" 2>"$T_DIR/err.b"
expect_eq "--perfetto FILE: exit status" "$?" 0
expect_eq "--perfetto FILE: the text output is the same as without it" \
	"$(cmp "$T_DIR/plain.txt" "$T_DIR/b.txt" 2>&1 && echo same)" same
expect_eq "text output: the fixture's 12 calls and 3 ticks printed" \
	"$(grep -c '^[0-9]* [0-9]*$' "$T_DIR/b.txt") $(grep -cx '[123]' "$T_DIR/b.txt")" "12 3"
trace_event_valid "--perfetto FILE" "$T_DIR/b.json" &&
	expect_checks "--perfetto FILE" "$T_DIR/b.json" "$T_DIR/fx.b"
hygiene_check "--perfetto FILE: tracefs left as found"

# refused: one JSON document cannot hold both; no file written
"$SONDE" run -f perfetto --perfetto "$T_DIR/x" -e 'BEGIN { exit(); }' \
	>/dev/null 2>"$T_DIR/err"
expect_eq "run -f perfetto --perfetto FILE: refused (exit 2)" "$?" 2
"$SONDE" run -f csv -e 'BEGIN { exit(); }' >/dev/null 2>"$T_DIR/err"
expect_eq "run -f csv: still refused (exit 2)" "$?" 2
[ ! -e "$T_DIR/x" ] && ok "refused runs wrote no file" ||
	not_ok "refused runs wrote no file"
finish
