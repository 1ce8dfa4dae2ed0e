#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Check a file against the Trace Event Format (JSON object form), as its
documentation states the rules, independently of sonde's writer:

- the file is one JSON object (Python's json parser) with a list
  "traceEvents"; "displayTimeUnit", when present, is "ms" or "ns";
  "otherData", when present, is an object;
- every event is an object with a one-letter "ph"; per phase the keys the
  format requires: B (name, ts, pid, tid), E (ts, pid, tid), X (name, ts,
  dur >= 0, pid, tid), i/I (name, ts, pid, tid; "s" one of g, p, t),
  C (name, ts, pid, args of numbers), M (a known metadata name, pid,
  args.name a string for *_name, tid for thread_*); ts and dur numbers,
  pid and tid integers, args an object;
- duration events: on each thread (pid, tid) a B comes before its E, they
  nest (an E closes the innermost open B; its name, when given, is that
  B's), and none is left open; their timestamps, and those of the
  thread's instants, never decrease on the thread; complete (X) events
  nest on their thread;
- a counter's timestamps (per pid and name) never decrease.

Prints a summary of what the file draws as JSON on stdout (slices with
their merged args, instants, last counter values, process and thread
names) and exits 0; prints each broken rule on stderr and exits 1.
"""
import json
import sys

METADATA = {"process_name", "process_labels", "process_sort_index",
            "thread_name", "thread_sort_index"}
REQUIRED = {
    "B": ("name", "ts", "pid", "tid"),
    "E": ("ts", "pid", "tid"),
    "X": ("name", "ts", "dur", "pid", "tid"),
    "i": ("name", "ts", "pid", "tid"),
    "I": ("name", "ts", "pid", "tid"),
    "C": ("name", "ts", "pid", "args"),
    "M": ("name", "pid", "args"),
}


def is_num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


class Checker:
    def __init__(self):
        self.errors = []
        self.open = {}      # (pid, tid) -> stack of B events
        self.last_ts = {}   # (pid, tid) -> ts; ("C", pid, name) -> ts
        self.xs = {}        # (pid, tid) -> X events
        self.out = {"slices": [], "instants": [], "counters": {},
                    "process_names": {}, "thread_names": {}}

    def err(self, i, msg):
        self.errors.append("event %d: %s" % (i, msg))

    def keys(self, i, e):
        ph = e["ph"]
        for k in REQUIRED.get(ph, ()):
            if k not in e:
                self.err(i, "ph %s without %s" % (ph, k))
                return False
        for k in ("ts", "dur"):
            if k in e and not is_num(e[k]):
                self.err(i, "%s is not a number" % k)
                return False
        for k in ("pid", "tid"):
            if k in e and not is_int(e[k]):
                self.err(i, "%s is not an integer" % k)
                return False
        if "args" in e and not isinstance(e["args"], dict):
            self.err(i, "args is not an object")
            return False
        if "name" in e and not isinstance(e["name"], str):
            self.err(i, "name is not a string")
            return False
        return True

    def in_order(self, i, key, ts):
        if ts < self.last_ts.get(key, float("-inf")):
            self.err(i, "ts %r before %r on track %r" %
                     (ts, self.last_ts[key], key))
        self.last_ts[key] = max(ts, self.last_ts.get(key, ts))

    def event(self, i, e):
        if not isinstance(e, dict):
            return self.err(i, "not an object")
        ph = e.get("ph")
        if not isinstance(ph, str) or len(ph) != 1:
            return self.err(i, "no one-letter ph")
        if not self.keys(i, e):
            return
        getattr(self, "ph_" + ph, self.ph_other)(i, e)

    def ph_B(self, i, e):
        key = (e["pid"], e["tid"])
        self.in_order(i, key, e["ts"])
        self.open.setdefault(key, []).append(e)

    def ph_E(self, i, e):
        key = (e["pid"], e["tid"])
        self.in_order(i, key, e["ts"])
        stack = self.open.get(key)
        if not stack:
            return self.err(i, "E without an open B on %r" % (key,))
        b = stack.pop()
        if "name" in e and e["name"] != b["name"]:
            self.err(i, "E %r closes B %r" % (e["name"], b["name"]))
        args = dict(b.get("args", {}))
        args.update(e.get("args", {}))   # E's args win, as documented
        self.out["slices"].append({
            "pid": e["pid"], "tid": e["tid"], "name": b["name"],
            "ts": b["ts"], "dur": e["ts"] - b["ts"], "args": args,
            "depth": len(stack)})

    def ph_X(self, i, e):
        if e["dur"] < 0:
            return self.err(i, "X with dur %r < 0" % e["dur"])
        self.xs.setdefault((e["pid"], e["tid"]), []).append(e)
        self.out["slices"].append({
            "pid": e["pid"], "tid": e["tid"], "name": e["name"],
            "ts": e["ts"], "dur": e["dur"], "args": e.get("args", {})})

    def ph_i(self, i, e):
        if e.get("s", "t") not in ("g", "p", "t"):
            return self.err(i, "instant scope %r" % e.get("s"))
        self.in_order(i, (e["pid"], e["tid"]), e["ts"])
        self.out["instants"].append({
            "pid": e["pid"], "tid": e["tid"], "name": e["name"],
            "ts": e["ts"], "args": e.get("args", {})})

    ph_I = ph_i

    def ph_C(self, i, e):
        if not all(is_num(v) for v in e["args"].values()):
            return self.err(i, "counter args not all numbers")
        self.in_order(i, ("C", e["pid"], e["name"]), e["ts"])
        self.out["counters"]["%d/%s" % (e["pid"], e["name"])] = e["args"]

    def ph_M(self, i, e):
        name = e["name"]
        if name not in METADATA:
            return self.err(i, "unknown metadata %r" % name)
        if name.startswith("thread_") and "tid" not in e:
            return self.err(i, "%s without tid" % name)
        if name.endswith("_name"):
            if not isinstance(e["args"].get("name"), str):
                return self.err(i, "%s without args.name" % name)
            if name == "process_name":
                self.out["process_names"][str(e["pid"])] = e["args"]["name"]
            else:
                self.out["thread_names"][str(e["tid"])] = e["args"]["name"]

    def ph_other(self, i, e):
        pass  # phases this checker does not model (async, flow, ...)

    def finish(self):
        for key, stack in self.open.items():
            if stack:
                self.errors.append("%d B event(s) left open on %r" %
                                   (len(stack), key))
        for key, xs in self.xs.items():
            xs.sort(key=lambda x: (x["ts"], -x["dur"]))
            ends = []
            for x in xs:
                while ends and ends[-1] <= x["ts"]:
                    ends.pop()
                if ends and x["ts"] + x["dur"] > ends[-1]:
                    self.errors.append("X %r overlaps its parent on %r" %
                                       (x["name"], key))
                ends.append(x["ts"] + x["dur"])


def check(path):
    c = Checker()
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except (OSError, ValueError) as ex:
        return ["not JSON: %s" % ex], None
    if not isinstance(doc, dict) or not isinstance(doc.get("traceEvents"),
                                                   list):
        return ["no traceEvents list in an object"], None
    if doc.get("displayTimeUnit", "ms") not in ("ms", "ns"):
        c.errors.append("displayTimeUnit %r" % doc["displayTimeUnit"])
    if not isinstance(doc.get("otherData", {}), dict):
        c.errors.append("otherData is not an object")
    for i, e in enumerate(doc["traceEvents"]):
        c.event(i, e)
    c.finish()
    c.out["otherData"] = doc.get("otherData", {})
    return c.errors, c.out


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: trace_event_check.py FILE")
    errors, out = check(sys.argv[1])
    for e in errors[:20]:
        print("trace_event_check: " + e, file=sys.stderr)
    if errors:
        sys.exit(1)
    json.dump(out, sys.stdout)
    print()


if __name__ == "__main__":
    main()
