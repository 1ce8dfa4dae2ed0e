#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Compare what a timeline draws (trace_event_check.py's summary, JSON)
with what the timeline fixture did (its stdout: "pid PID" and a line
"call NAME TID A B DURATION_NS" per tl_work call, timed by the fixture
itself with CLOCK_MONOTONIC around the call). Prints "KEY VALUE" lines
for the test to compare with the fixture's C source:

  process NAME          the name of the fixture's pid
  thread_NAME NAME      the name of each worker's tid
  work_NAME N           tl_work slices on that worker's thread
  leaf_nested N         tl_leaf slices one level inside a tl_work slice
  args_NAME ok|...      each slice's a, b, retval = the call's A, B, A+B
  leaf_args ok|...      each tl_leaf's arg1 = its tl_work's a
  ticks K,K,K           tl_tick instants on the main thread, their k
  counter N             the last "tl_work calls" count of the process
  dur_worst_us X        the largest |slice dur - fixture's dur|, in us
  dur_within TOL ok|... every slice within TOL_US + 10% of the fixture's
Arguments: SUMMARY FIXTURE_OUT TOL_US [noret]
"""
import json
import sys


def main():
    summary = json.load(open(sys.argv[1]))
    tol_us = float(sys.argv[3])
    noret = sys.argv[4:] == ["noret"]  # the return fetched no retval
    pid, calls = None, {}
    for line in open(sys.argv[2]):
        f = line.split()
        if f[:1] == ["pid"]:
            pid = int(f[1])
        elif f[:1] == ["call"]:
            calls.setdefault(f[1], []).append(
                (int(f[2]), int(f[3]), int(f[4]), int(f[5])))
    print("process", summary["process_names"].get(str(pid), "-"))
    slices = sorted(summary["slices"], key=lambda s: s["ts"])
    worst, bad = 0.0, []
    for name, cs in sorted(calls.items()):
        tid = cs[0][0]
        print("thread_" + name, summary["thread_names"].get(str(tid), "-"))
        work = [s for s in slices if s["name"] == "tl_work" and
                s["pid"] == pid and s["tid"] == tid]
        print("work_" + name, len(work))
        got = [(s["args"].get("a"), s["args"].get("b"),
                s["args"].get("retval")) for s in work]
        want = [(a, b, None if noret else a + b) for _, a, b, _ in cs]
        print("args_" + name, "ok" if got == want else
              "got=%s,want=%s" % (got, want))
        for s, (_, _, _, ns) in zip(work, cs):
            d = abs(s["dur"] - ns / 1000.0)
            worst = max(worst, d)
            if d > tol_us + 0.1 * ns / 1000.0:
                bad.append("%.1f/%.1f" % (s["dur"], ns / 1000.0))
    works = [s for s in slices if s["name"] == "tl_work"]
    leaves = [s for s in slices if s["name"] == "tl_leaf"]
    nested, leaf_bad = 0, []
    for lf in leaves:
        outer = [w for w in works if w["tid"] == lf["tid"] and
                 w["ts"] <= lf["ts"] and
                 lf["ts"] + lf["dur"] <= w["ts"] + w["dur"]]
        if len(outer) == 1 and lf.get("depth", 1) == 1:
            nested += 1
            if lf["args"].get("arg1") != outer[0]["args"].get("a"):
                leaf_bad.append(lf["args"])
    print("leaf_nested", nested)
    print("leaf_args", "ok" if not leaf_bad else leaf_bad[:3])
    ticks = [i for i in sorted(summary["instants"], key=lambda i: i["ts"])
             if i["name"] == "tl_tick" and i["tid"] == pid]
    print("ticks", ",".join(str(i["args"].get("k")) for i in ticks))
    c = summary["counters"].get("%s/tl_work calls" % pid, {})
    print("counter", c.get("count", "-"))
    print("dur_worst_us", "%.1f" % worst)
    print("dur_within", "ok" if not bad else ",".join(bad[:5]))


if __name__ == "__main__":
    main()
