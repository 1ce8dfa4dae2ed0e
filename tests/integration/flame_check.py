#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Check a flame graph of `sonde stack --svg` (test-flame-svg.sh).

usage: flame_check.py SVG FOLDED [NAME=HITS...] [--dom OUT.json]

The SVG is parsed with xml.etree (so it is well-formed XML, its names
escaped); its boxes are read back (name and hits from each <title>, place
from each <rect>) and checked against each other (widths proportional to
hits, each box on a parent that holds it, children side by side from the
parent's left edge, at most the parent's hits) and against FOLDED, the
`--folded` lines of the same run: the stacks rebuilt from the boxes (a
box's hits not in its children end there) are exactly the folded lines.
NAME=HITS: the hits of all boxes called NAME add up to HITS (counts from
the fixture's C source). --dom writes the boxes and the script as JSON for
flame_js.js. Prints one line per check: "ok<TAB>what" or
"not ok<TAB>what<TAB>detail".
"""
import json
import re
import sys
import xml.etree.ElementTree as ET

NS = "{http://www.w3.org/2000/svg}"
WIDTH, PAD, FRAME_H = 1200, 10, 16  # flame_svg.h, flame_svg.c
TIP = re.compile(r"^(.*) \((\d+) hits?, ([0-9.]+)%\)$", re.S)


def say(good, what, detail=""):
    if good:
        print("ok\t" + what)
    else:
        print("not ok\t" + what + "\t" + str(detail).replace("\n", " | ")[:900])


def read_boxes(root):
    frames = [g for g in root.iter(NS + "g") if g.get("id") == "frames"]
    if len(frames) != 1:
        return None
    boxes = []
    for g in frames[0].findall(NS + "g"):
        tip = g.find(NS + "title").text or ""
        m = TIP.match(tip)
        r = g.find(NS + "rect")
        t = g.find(NS + "text")
        boxes.append({
            "tip": tip,
            "name": m.group(1) if m else None,
            "hits": int(m.group(2)) if m else None,
            "pct": float(m.group(3)) if m else None,
            "x": float(r.get("x")),
            "y": float(r.get("y")),
            "w": float(r.get("width")),
            "text": t.text or "",
        })
    return boxes


def read_folded(path):
    want = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                continue
            stack, n = line.rsplit(" ", 1)
            want[stack] = want.get(stack, 0) + int(n)
    return want


def main(argv):
    dom_out = None
    if "--dom" in argv:
        i = argv.index("--dom")
        dom_out = argv[i + 1]
        del argv[i:i + 2]
    svg, folded, counts = argv[1], argv[2], argv[3:]
    try:
        tree = ET.parse(svg)
    except ET.ParseError as e:
        say(False, "the SVG is well-formed XML (xml.etree)", e)
        return
    say(True, "the SVG is well-formed XML (xml.etree)")
    root = tree.getroot()
    say(root.tag == NS + "svg" and root.get("width") == str(WIDTH),
        "root element: svg, %d wide" % WIDTH, root.tag)
    scripts = list(root.iter(NS + "script"))
    refs = [(el.tag, k, v) for el in root.iter() for k, v in el.attrib.items()
            if k.endswith("href") or k == "src" or
            (v.startswith("url(") and not v.startswith("url(#"))]
    say(len(scripts) == 1 and scripts[0].text and not refs,
        "self-contained: one inline script, nothing referenced outside",
        refs)
    boxes = read_boxes(root)
    if not boxes:
        say(False, "boxes in <g id=\"frames\">", "none")
        return
    bad = [b["tip"] for b in boxes if b["name"] is None]
    say(not bad, "every box's title: NAME (N hits, P%)", bad)
    if bad:
        return

    want = read_folded(folded)
    total = sum(want.values())
    top = boxes[0]
    say(top["name"] == "all" and top["hits"] == total and
        abs(top["x"] - PAD) < 1e-3 and abs(top["w"] - (WIDTH - 2 * PAD)) < 1e-3,
        "root box 'all': every hit of --folded (%d), the whole width" % total,
        top)
    scale = top["w"] / top["hits"]
    bad = [b["tip"] for b in boxes
           if abs(b["w"] - b["hits"] * scale) > 0.002 or
           abs(b["pct"] - 100.0 * b["hits"] / total) > 0.0051]
    say(not bad, "each box as wide as its hits (%.3f px a hit), its share "
        "right" % scale, bad)

    # the tree, from the geometry: a box's parent is the box one row
    # lower whose span holds it
    for b in boxes:
        b["depth"] = round((top["y"] - b["y"]) / FRAME_H)
        b["kids"] = []
    orphans = []
    for b in boxes[1:]:
        ps = [p for p in boxes if p["depth"] == b["depth"] - 1 and
              p["x"] - 0.01 <= b["x"] and b["x"] + b["w"] <= p["x"] + p["w"] + 0.01]
        if len(ps) != 1:
            orphans.append((b["tip"], len(ps)))
        else:
            b["parent"] = ps[0]
            ps[0]["kids"].append(b)
    say(not orphans and all(b["depth"] > 0 for b in boxes[1:]),
        "each box stands on exactly one parent that spans it", orphans)
    bad = []
    for p in boxes:
        kids = sorted(p["kids"], key=lambda k: k["x"])
        edge = p["x"]
        for k in kids:
            if abs(k["x"] - edge) > 0.002:
                bad.append("%s: child %s at %.3f, not %.3f" %
                           (p["tip"], k["tip"], k["x"], edge))
            edge = k["x"] + k["w"]
        if sum(k["hits"] for k in kids) > p["hits"]:
            bad.append("%s: children hold more hits" % p["tip"])
        names = [k["name"] for k in kids]
        if names != sorted(names) or len(set(names)) != len(names):
            bad.append("%s: children %s not one each, in name order" %
                       (p["tip"], names))
    say(not bad, "children side by side from the parent's left edge, "
        "one per name, in name order, at most the parent's hits", bad)

    got = {}
    for b in boxes:
        own = b["hits"] - sum(k["hits"] for k in b["kids"])
        if own <= 0 or b is top:
            continue
        path, p = [], b
        while p is not top:
            path.append(p["name"])
            p = p["parent"]
        stack = ";".join(reversed(path))
        got[stack] = got.get(stack, 0) + own
    say(got == want, "the stacks the boxes make are the --folded lines, "
        "counts equal", "got %s want %s" % (got, want))

    for c in counts:
        name, n = c.rsplit("=", 1)
        have = sum(b["hits"] for b in boxes if b["name"] == name)
        say(have == int(n), "%s: %s hits in its boxes (the C source)" %
            (name, n), have)

    bad = []
    for b in boxes:
        t, fit = b["text"], int((b["w"] - 6) / 7.2)
        if not (t == b["name"] or t == "" or
                (t.endswith("..") and b["name"].startswith(t[:-2]))):
            bad.append((b["tip"], t))
        elif len(t) > max(fit, 0):
            bad.append((b["tip"], t, "longer than the box"))
    say(not bad, "labels: the name, or its start and '..', fitting the box",
        bad)

    if dom_out:
        with open(dom_out, "w", encoding="utf-8") as f:
            json.dump({"script": scripts[0].text,
                       "boxes": [{k: b[k] for k in ("tip", "x", "y", "w",
                                                    "text")}
                                 for b in boxes]}, f)


if __name__ == "__main__":
    main(sys.argv)
