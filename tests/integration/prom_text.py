#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Prometheus' text exposition format 0.0.4, parsed strictly and checked,
independently of sonde: for tests/integration/test-serve.sh.

    prom_text.py FILE     print {"help":..,"type":..,"samples":[[name,
                          {label: value}, value], ...]} as JSON; exit 1
                          with the reason on a line that breaks the format

Checked: HELP/TYPE lines (HELP escapes \\\\ and \\n), metric and label names,
label value escapes (\\\\, \\", \\n only), a TYPE before a family's samples
and one per family, counters' samples named as the family, histograms'
_bucket/_sum/_count with le ascending per series, cumulative counts that
never decrease, a last bucket le="+Inf" equal to _count, the final newline.
"""
import json
import math
import re
import sys

NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")


class Bad(Exception):
    pass


def unescape(s, quote):
    out, i = [], 0
    while i < len(s):
        c = s[i]
        if c == "\\":
            if i + 1 == len(s):
                raise Bad("a lone backslash")
            n = s[i + 1]
            if n == "\\":
                out.append("\\")
            elif n == "n":
                out.append("\n")
            elif n == '"' and quote:
                out.append('"')
            else:
                raise Bad("unknown escape \\" + n)
            i += 2
            continue
        if c == '"' and quote:
            raise Bad("an unescaped quote")
        out.append(c)
        i += 1
    return "".join(out)


def labels(text, pos):
    """{a="x",b="y"} at text[pos] (after '{'): (dict, position after '}')"""
    res = {}
    while True:
        if text[pos] == "}":
            return res, pos + 1
        m = LABEL.match(text, pos)
        if not m:
            raise Bad("bad label name at %d" % pos)
        name = m.group(0)
        pos = m.end()
        if text[pos : pos + 2] != '="':
            raise Bad("label %s: no =\"" % name)
        pos += 2
        end = pos
        while text[end] != '"':
            end += 2 if text[end] == "\\" else 1
        if name in res:
            raise Bad("label %s twice" % name)
        res[name] = unescape(text[pos:end], True)
        pos = end + 1
        if text[pos] == ",":
            pos += 1
        elif text[pos] != "}":
            raise Bad("no ',' or '}' after label %s" % name)


def number(s):
    if s in ("+Inf", "-Inf", "NaN"):
        return float(s.replace("+", ""))
    return float(s)


def family_of(name, types):
    for suffix in ("_bucket", "_sum", "_count"):
        base = name[: -len(suffix)]
        if name.endswith(suffix) and types.get(base) == "histogram":
            return base
    return name


def parse(text):
    if text and not text.endswith("\n"):
        raise Bad("the last line does not end with a newline")
    helps, types, samples = {}, {}, []
    for no, line in enumerate(text.split("\n")[:-1], 1):
        try:
            if not line.strip():
                continue
            if line.startswith("#"):
                parts = line.split(" ", 3)
                if len(parts) >= 3 and parts[1] in ("HELP", "TYPE"):
                    if not NAME.fullmatch(parts[2]):
                        raise Bad("bad metric name " + parts[2])
                    rest = parts[3] if len(parts) > 3 else ""
                    if parts[1] == "HELP":
                        if parts[2] in helps:
                            raise Bad("a second HELP")
                        helps[parts[2]] = unescape(rest, False)
                    else:
                        if parts[2] in types:
                            raise Bad("a second TYPE")
                        if rest not in ("counter", "gauge", "histogram",
                                        "summary", "untyped"):
                            raise Bad("bad type " + rest)
                        if any(family_of(s[0], types) == parts[2]
                               for s in samples):
                            raise Bad("TYPE after the family's samples")
                        types[parts[2]] = rest
                continue
            m = NAME.match(line)
            if not m:
                raise Bad("no metric name")
            name, pos, lab = m.group(0), m.end(), {}
            if line[pos : pos + 1] == "{":
                lab, pos = labels(line, pos + 1)
            fields = line[pos:].split()
            if line[pos : pos + 1] != " " or len(fields) not in (1, 2):
                raise Bad("no value after the labels")
            samples.append([name, lab, number(fields[0])])
        except (Bad, IndexError, ValueError) as e:
            raise Bad("line %d: %s: %r" % (no, e, line))
    check(types, samples)
    return {"help": helps, "type": types, "samples": samples}


def check(types, samples):
    series = {}
    for name, lab, v in samples:
        fam = family_of(name, types)
        if fam not in types:
            raise Bad("%s: no TYPE" % name)
        if types[fam] == "counter" and (name != fam or v < 0):
            raise Bad("%s: a counter's sample is named as its family, >= 0"
                      % name)
        if types[fam] != "histogram":
            continue
        key = (fam, tuple(sorted((k, x) for k, x in lab.items() if k != "le")))
        s = series.setdefault(key, {"le": [], "count": None})
        if name.endswith("_bucket"):
            if "le" not in lab:
                raise Bad("%s: a bucket without le" % name)
            s["le"].append((number(lab["le"]), v))
        elif name.endswith("_count"):
            s["count"] = v
    for (fam, lab), s in series.items():
        les = s["le"]
        if not les or les[-1][0] != math.inf:
            raise Bad("%s%s: no le=\"+Inf\" bucket last" % (fam, dict(lab)))
        for (a, ca), (b, cb) in zip(les, les[1:]):
            if not a < b or cb < ca:
                raise Bad("%s%s: buckets le=%s,%s not ascending/cumulative"
                          % (fam, dict(lab), a, b))
        if s["count"] != les[-1][1]:
            raise Bad("%s%s: _count %s != +Inf bucket %s"
                      % (fam, dict(lab), s["count"], les[-1][1]))


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        text = f.read()
    try:
        print(json.dumps(parse(text)))
    except Bad as e:
        print("prom_text.py: %s" % e, file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
