#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""pprof_decode.py FILE: a gzipped pprof profile (profile.proto of
github.com/google/pprof) decoded by hand from the protobuf wire format, as
JSON: {"sample_type": [[type, unit]...], "stacks": {"root;...;leaf": value},
"functions": [...], "lines": [[function, file, line]...], "mappings": [file...],
"string_table_first": "", "comments": [...], "errors": [...]}. A sample's
stack is its location ids (leaf first) turned into the function names of
their lines (inlined first), printed root first. Written apart from sonde's
encoder to check it."""
import gzip
import json
import sys


def varint(b, i):
    v = shift = 0
    while True:
        c = b[i]
        i += 1
        v |= (c & 0x7F) << shift
        shift += 7
        if not c & 0x80:
            return v, i


def fields(b):
    """(field number, wire type, value) of each field of a message."""
    i = 0
    while i < len(b):
        key, i = varint(b, i)
        f, wt = key >> 3, key & 7
        if wt == 0:
            v, i = varint(b, i)
        elif wt == 2:
            n, i = varint(b, i)
            v = b[i:i + n]
            i += n
        elif wt == 1:
            v = b[i:i + 8]
            i += 8
        elif wt == 5:
            v = b[i:i + 4]
            i += 4
        else:
            raise ValueError("wire type %d" % wt)
        yield f, wt, v


def packed(wt, v):
    """A repeated varint field: packed (wire type 2) or one value."""
    if wt == 0:
        return [v]
    out, i = [], 0
    while i < len(v):
        x, i = varint(v, i)
        out.append(x)
    return out


def msg(b):
    d = {}
    for f, wt, v in fields(b):
        d.setdefault(f, []).append((wt, v))
    return d


def main():
    p = msg(gzip.decompress(open(sys.argv[1], "rb").read()))
    strings = [v.decode() for _, v in p.get(6, [])]
    errors = []
    s = lambda i: strings[i] if i < len(strings) else errors.append(
        "string %d out of range" % i)
    one = lambda m, f: m.get(f, [(0, 0)])[-1][1]
    funcs = {}
    for _, v in p.get(5, []):
        m = msg(v)
        funcs[one(m, 1)] = {"name": s(one(m, 2)), "file": s(one(m, 4)),
                            "start_line": one(m, 5)}
    locs, where = {}, set()
    for _, v in p.get(4, []):
        m = msg(v)
        lines = []
        for _, lv in m.get(4, []):
            lm = msg(lv)
            fid = one(lm, 1)
            if fid not in funcs:
                errors.append("function %d not defined" % fid)
                continue
            lines.append(funcs[fid]["name"])
            where.add((funcs[fid]["name"], funcs[fid]["file"], one(lm, 2)))
        locs[one(m, 1)] = {"address": one(m, 3), "lines": lines}
    stacks = {}
    for _, v in p.get(2, []):
        m = msg(v)
        ids = [x for wt, b in m.get(1, []) for x in packed(wt, b)]
        vals = [x for wt, b in m.get(2, []) for x in packed(wt, b)]
        names = []
        for i in ids:
            if i not in locs:
                errors.append("location %d not defined" % i)
                continue
            names.extend(locs[i]["lines"])  # leaf first, inlined first
        key = ";".join(reversed(names))
        stacks[key] = stacks.get(key, 0) + (vals[0] if vals else 0)
    types = []
    for _, v in p.get(1, []):
        m = msg(v)
        types.append([s(one(m, 1)), s(one(m, 2))])
    json.dump({"sample_type": types, "stacks": stacks,
               "functions": sorted(f["name"] for f in funcs.values()),
               "string_table_first": strings[0] if strings else None,
               "duration_nanos": one(p, 10), "errors": errors,
               "comments": [s(i) for wt, b in p.get(13, [])
                            for i in packed(wt, b)],
               "lines": sorted(where),
               "mappings": sorted(s(one(msg(v), 5)) for _, v in p.get(3, []))},
              sys.stdout, indent=1, sort_keys=True)
    print()


main()
