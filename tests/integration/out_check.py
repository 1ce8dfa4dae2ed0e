#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Check sonde's JSON and CSV output with Python's own parsers
(test-out-formats.sh), against docs/json.md.

usage: out_check.py MODE ARGS...
  events-json FILE REF ROUNDS   trace -f json of out_strings' out_str(i, s)
  events-csv FILE REF ROUNDS    the same, -f csv
  count-json FILE REF ROUNDS    count --by s of the same
  count-csv FILE REF ROUNDS
  time FILE json|csv mono|rel|wall LOW HIGH
      every event's time parses and is within [LOW - 1, HIGH + 1] (mono,
      wall: seconds of that clock read around the run; rel: seconds from
      0 to the run's length), in the order of the lines
  agg-json FILE TYPE            one table object of TYPE, each string key
  agg-csv FILE HEADER           a header HEADER (comma-separated), the
                                same column count on every record

REF is `out_strings hex`: "i HEX" per string, the bytes the C source holds.
The files are read as bytes and decoded as strict UTF-8 (a byte that is
not UTF-8 fails). Prints one line per check: "ok<TAB>what" or
"not ok<TAB>what<TAB>detail".
"""
import csv
import datetime
import io
import json
import re
import sys

SCHEMA = "sonde/1"
EVENT_KEYS = {"schema": str, "comm": str, "pid": int, "tid": int,
              "cpu": int, "probe": str, "args": dict}


def say(good, what, detail=""):
    if good:
        print("ok\t%s" % what)
    else:
        print("not ok\t%s\t%s" % (what, str(detail)[:400].replace("\n", " ")))
    return good


def text_of(path):
    return open(path, "rb").read().decode("utf-8")  # strict


def ref_of(path):
    ref = {}
    for line in open(path):
        i, h = line.split()
        ref[int(i)] = b"" if h == "-" else bytes.fromhex(h)
    return ref


def is_utf8(b):
    try:
        b.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def json_bytes(obj, ptr, value):
    """The bytes of a JSON string by docs/json.md: Latin-1 when the
    object's not_utf8 names it, else UTF-8."""
    if ptr in obj.get("not_utf8", []):
        return value.encode("latin-1")
    return value.encode("utf-8")


CSV_ESC = re.compile(rb"\\(\\|x([0-9a-f]{2}))")


def csv_bytes(cell):
    """The bytes of a CSV cell by docs/json.md: undo \\\\ and \\xHH."""
    return CSV_ESC.sub(lambda m: b"\\" if m.group(1) == b"\\"
                       else bytes([int(m.group(2), 16)]), cell.encode("utf-8"))


def json_lines(path):
    out = []
    for n, line in enumerate(text_of(path).splitlines(), 1):
        try:
            out.append(json.loads(line))
        except ValueError as e:
            say(False, "line %d parses (json)" % n, e)
            return None
    say(True, "%d lines parse (json, strict UTF-8)" % len(out))
    return out


def csv_rows(path):
    rows = list(csv.reader(io.StringIO(text_of(path), newline=""),
                           strict=True))
    widths = {len(r) for r in rows}
    say(len(widths) == 1, "the same column count on every line (csv)",
        widths)
    return rows


def check_strings(label, got, ref, rounds):
    """got: (index, bytes, marked) per event/row."""
    bad = [(i, b, ref.get(i)) for i, b, _ in got if ref.get(i) != b]
    say(not bad, "%s: each string equals the C source's bytes" % label,
        bad[:3])
    seen = {}
    for i, _, _ in got:
        seen[i] = seen.get(i, 0) + 1
    say(seen == {i: rounds for i in ref},
        "%s: every string, %d times" % (label, rounds), seen)
    if all(m is None for _, _, m in got):
        return
    marks = [(i, m) for i, b, m in got
             if m != (not is_utf8(ref.get(i, b"")))]
    say(not marks, "%s: not_utf8 exactly for the strings that are not "
        "UTF-8" % label, marks[:3])


def events_json(path, refp, rounds):
    evs = json_lines(path)
    if evs is None:
        return
    ref = ref_of(refp)
    typed = [e for e in evs if all(isinstance(e.get(k), t) and
                                   not isinstance(e.get(k), bool)
                                   for k, t in EVENT_KEYS.items())
             and isinstance(e.get("time"), (int, float))]
    say(len(typed) == len(evs), "every event has the members of "
        "docs/json.md, numbers as numbers", len(evs) - len(typed))
    say(all(e["schema"] == SCHEMA for e in evs), "schema is " + SCHEMA)
    got = [(e["args"]["i"], json_bytes(e, "/args/s", e["args"]["s"]),
            "/args/s" in e.get("not_utf8", [])) for e in evs]
    check_strings("json", got, ref, rounds)


def events_csv(path, refp, rounds):
    rows = csv_rows(path)
    ref = ref_of(refp)
    head = ["time", "comm", "pid", "tid", "cpu", "probe", "location", "i",
            "s", "args.comm", "faults", "unchecked"]
    say(rows[0] == head, "the header names each column", rows[0])
    col = {n: k for k, n in enumerate(rows[0])}
    recs = rows[1:]
    say(all(re.fullmatch(r"[0-9]+\.[0-9]{9}", r[col["time"]]) and
            r[col["pid"]].isdigit() and r[col["i"]].isdigit()
            for r in recs), "time, pid and i are numbers")
    say(all(r[col["args.comm"]] == "out_strings" == r[col["comm"]]
            for r in recs), "a field named comm is args.comm, its own column")
    got = [(int(r[col["i"]]), csv_bytes(r[col["s"]]), None) for r in recs]
    check_strings("csv", got, ref, rounds)
    raw = open(path, "rb").read()
    say(not re.search(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", raw),
        "no raw control byte but tab, CR and LF in the file")


def count_json(path, refp, rounds):
    objs = json_lines(path)
    if objs is None:
        return
    ref = ref_of(refp)
    say(len(objs) == 1 and objs[0].get("schema") == SCHEMA and
        objs[0].get("type") == "count", "one count object with its schema")
    rows = objs[0]["rows"]
    inv = {b: i for i, b in ref.items()}
    got = [(inv.get(json_bytes(r, "/s", r["s"]), -1),
            json_bytes(r, "/s", r["s"]), "/s" in r.get("not_utf8", []))
           for r in rows]
    check_strings("count json", got, ref, 1)
    say(all(r["count"] == rounds for r in rows),
        "json: each string counted %d times" % rounds)


def count_csv(path, refp, rounds):
    rows = csv_rows(path)
    ref = ref_of(refp)
    say(rows[0] == ["probe", "s", "count"], "count csv header", rows[0])
    keys = sorted(csv_bytes(r[1]) for r in rows[1:])
    say(keys == sorted(ref.values()),
        "csv: the keys are the C source's strings", keys)
    say(all(r[2] == str(rounds) for r in rows[1:]),
        "csv: each counted %d times" % rounds)


def parse_time(v, fmt, kind):
    if kind == "wall":
        assert isinstance(v, str)
        t = datetime.datetime.fromisoformat(v)
        assert t.tzinfo is not None and re.search(r"\.\d{6}[+-]\d\d:\d\d$", v)
        return t.timestamp()
    if fmt == "json":
        assert isinstance(v, (int, float)) and not isinstance(v, bool)
    else:
        assert re.fullmatch(r"-?[0-9]+\.[0-9]{9}", v)
    return float(v)


def times(path, fmt, kind, low, high):
    if fmt == "json":
        objs = json_lines(path)
        vals = [o["time"] for o in objs]
    else:
        rows = csv_rows(path)
        vals = [r[0] for r in rows[1:]]
    try:
        ts = [parse_time(v, fmt, kind) for v in vals]
    except (AssertionError, ValueError) as e:
        say(False, "%s %s: every time parses" % (fmt, kind), e)
        return
    say(len(ts) > 0, "%s %s: %d times parse" % (fmt, kind, len(ts)))
    lo, hi = float(low), float(high)
    out = [t for t in ts if not lo - 1 <= t <= hi + 1]
    say(not out, "%s %s: within a second of [%.3f, %.3f]" % (fmt, kind, lo,
                                                              hi), out[:3])
    say(all(a <= b for a, b in zip(ts, ts[1:])),
        "%s %s: in order (never backwards)" % (fmt, kind))
    if kind == "rel":
        say(0 <= ts[0] < 1, "rel: the first event near 0", ts[0])


def agg_json(path, typ):
    objs = json_lines(path)
    if objs is None:
        return
    say(len(objs) >= 1 and all(o.get("schema") == SCHEMA and
                               o.get("type") == typ for o in objs),
        "%s: schema and type" % typ, objs[:1])


def agg_csv(path, header):
    rows = csv_rows(path)
    say(rows[0] == header.split(","), "header " + header, rows[0])
    say(len(rows) > 1, "records follow the header")


def perfetto(path, refp, rounds):
    """-f perfetto's timeline: one strict UTF-8 JSON document; each
    out_str event's args.s by the byte rule of docs/json.md (no
    not_utf8 there: Latin-1 exactly where the source is not UTF-8)."""
    doc = json.loads(text_of(path))
    evs = [e for e in doc["traceEvents"]
           if e.get("name") == "out_str" and e.get("ph") == "i"]
    ref = ref_of(refp)
    got = [(e["args"]["i"],
            e["args"]["s"].encode("utf-8" if is_utf8(ref.get(
                e["args"]["i"], b"")) else "latin-1"), None) for e in evs]
    say(True, "one JSON document, strict UTF-8")
    check_strings("perfetto", got, ref, rounds)


def main():
    mode, args = sys.argv[1], sys.argv[2:]
    fn = {"events-json": events_json, "events-csv": events_csv,
          "count-json": count_json, "count-csv": count_csv,
          "time": times, "agg-json": agg_json, "agg-csv": agg_csv,
          "perfetto": perfetto}[mode]
    if mode in ("events-json", "events-csv", "count-json", "count-csv",
                "perfetto"):
        args[2] = int(args[2])
    try:
        fn(*args)
    except Exception as e:  # a malformed file: one failed check
        say(False, mode + " ran", repr(e))


main()
