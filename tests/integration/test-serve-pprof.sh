#!/bin/bash
# tests/run: timeout 240
# sonde serve's profile endpoint: GET /debug/pprof/profile?seconds=N of a
# kind stack entry over the flame fixture (main -> outer_a -> mid_b ->
# leaf_c N times, main -> side_d -> leaf_c M times, main -> outer_a ->
# leaf_c K times: tests/fixtures/flame.c). The gzipped profile.proto is
# read by go tool pprof (-traces) and by pprof_decode.py (the wire format
# by hand); the stacks and counts must be the source's, those of the run
# during the N seconds only (a run before is left out). /metrics answers
# while a profile waits, with the entry's probes and lost hits; bad
# seconds= gives 400; no stack entry gives 404; a SIGHUP while a profile
# waits keeps the counts; with call-graph dwarf each caller's line is its
# call's in flame.c; max-series bounds the stacks kept, the hits past it
# said; nothing left behind.
. "$(dirname "$0")/lib.sh"
require_root
require_uprobes
require_file "$SONDE" "$FIXTURES/flame"
if ! command -v python3 >/dev/null; then
	skip "$T_NAME" "no python3 (scripts/setup-deps installs it)"
	finish
fi
DECODE=$(dirname "$0")/pprof_decode.py
bin=$(readlink -f "$FIXTURES/flame")
hygiene_begin

read -r port port2 < <(python3 -c '
import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(*[x.getsockname()[1] for x in s])')

# get PORT PATH FILE: GET PATH into FILE; prints "STATUS TYPE|DISPOSITION"
get()
{
	python3 - "$@" <<'EOF'
import sys, urllib.request, urllib.error
try:
    r = urllib.request.urlopen("http://127.0.0.1:%s%s" % tuple(sys.argv[1:3]),
                               timeout=30)
except urllib.error.HTTPError as e:
    r = e
open(sys.argv[3], "wb").write(r.read())
print(r.status, "%s|%s" % (r.headers["Content-Type"],
                           r.headers["Content-Disposition"]))
EOF
}

# serve_up PORT CONF ERR: start sonde serve, wait for /metrics; pid in $BG
serve_up()
{
	local n=50
	start_bg "$SONDE" serve --listen "127.0.0.1:$1" "$2" 2>"$3"
	until get "$1" /metrics "$T_DIR/m" >/dev/null 2>&1 || [ "$n" -le 0 ]; do
		sleep 0.2
		n=$((n - 1))
	done
	[ "$n" -gt 0 ]
}

# profile_run PORT FILE: a 2 s profile into FILE, flame N M K run in it
profile_run()
{
	get "$1" "/debug/pprof/profile?seconds=2" "$2" >"$2.status" &
	local g=$!
	T_BGPIDS="$T_BGPIDS $g"
	sleep 0.5
	"$bin" $N $M $K
	wait_exit "$g" 15
}

N=7 M=4 K=3
conf=$T_DIR/serve.conf
cat >"$conf" <<EOF
metric flame_stacks
	kind stack
	call-graph fp
	probe u:$bin:leaf_c
metric flame_calls
	kind count
	probe u:$bin:leaf_c
metric bad_stack
	kind stack
	probe u:$bin:leaf_c
	labels comm
EOF
if ! serve_up "$port" "$conf" "$T_DIR/serve.err"; then
	not_ok "sonde serve with a stack entry answers /metrics" \
		"$(cat "$T_DIR/serve.err")"
	finish
fi
spid=$BG
ok "sonde serve with a stack entry answers /metrics"
expect_grep "a stack with labels: said" \
	'metric bad_stack: line 8: a stack takes no labels' "$T_DIR/serve.err"

# a run before the profile starts: not in it
"$bin" 2 2 2
sleep 0.5
get "$port" "/debug/pprof/profile?seconds=3" "$T_DIR/p.pb.gz" >"$T_DIR/p.status" &
gpid=$!
T_BGPIDS="$T_BGPIDS $gpid"
sleep 0.7
"$bin" $N $M $K
# /metrics while the profile waits: at once
t0=$(date +%s%N)
st=$(get "$port" /metrics "$T_DIR/m1")
t1=$(date +%s%N)
expect_eq "/metrics while a profile waits: 200" "${st%% *}" 200
check "/metrics while a profile waits: within 1 s ($(((t1 - t0) / 1000000)) ms)" \
	test $(((t1 - t0) / 1000000)) -lt 1000
wait_exit "$gpid" 15
expect_eq "profile: 200, application/octet-stream, attachment" \
	"$(cat "$T_DIR/p.status")" \
	'200 application/octet-stream|attachment; filename="profile"'

want="__libc_start_call_main;main;outer_a;leaf_c $K
__libc_start_call_main;main;outer_a;mid_b;leaf_c $N
__libc_start_call_main;main;side_d;leaf_c $M"
python3 "$DECODE" "$T_DIR/p.pb.gz" >"$T_DIR/p.json"
got=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
for k, v in sorted(d["stacks"].items()): print(k, v)' "$T_DIR/p.json")
expect_eq "pprof_decode.py: the stacks and counts of the run in the window" \
	"$got" "$want"
got=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(d["sample_type"], repr(d["string_table_first"]), d["errors"],
      2.5e9 < d["duration_nanos"] < 4.5e9, d["comments"], sys.argv[2] in d["mappings"])' \
	"$T_DIR/p.json" "$(basename "$bin")")
expect_eq "pprof_decode.py: samples/count, \"\" first, no dangling ids, ~3 s, no hits lost, the fixture's mapping" \
	"$got" "[['samples', 'count']] '' [] True [] True"
expect_grep "/metrics: the stack entry's probes" \
	'^sonde_probes_attached{metric="flame_stacks"} 1$' "$T_DIR/m1"
expect_grep "/metrics: the stack entry's lost hits" \
	'^sonde_events_lost_total{metric="flame_stacks"} 0$' "$T_DIR/m1"

# go tool pprof (-traces: each sample's count, then its frames leaf first)
if command -v go >/dev/null; then
	HOME=$T_DIR go tool pprof -traces "$T_DIR/p.pb.gz" >"$T_DIR/traces" \
		2>"$T_DIR/traces.err"
	got=$(python3 -c '
import re, sys
out, cur = [], None
for l in open(sys.argv[1]):
    if l.startswith("-----"):
        if cur: out.append(cur)
        cur = None
        continue
    m = re.match(r"\s+(\d+)\s+(\S+)$", l)
    if m:
        cur = [int(m.group(1)), [m.group(2)]]
    elif cur and l.strip():
        cur[1].append(l.strip())
if cur: out.append(cur)
for n, f in sorted((";".join(reversed(f)), n) for n, f in out): print(n, f)
' "$T_DIR/traces")
	expect_eq "go tool pprof -traces: the same stacks and counts" "$got" "$want"
else
	skip "go tool pprof reads it" "no go (scripts/setup-deps installs golang-go)"
fi

for q in seconds=abc seconds=0 seconds=301 "seconds=5x"; do
	st=$(get "$port" "/debug/pprof/profile?$q" "$T_DIR/bad")
	expect_eq "?$q: 400" "${st%% *}" 400
done

# SIGHUP while a profile waits: the unchanged stack entry keeps its
# counts, the profile is still the growth over its seconds
get "$port" "/debug/pprof/profile?seconds=3" "$T_DIR/h.pb.gz" >"$T_DIR/h.status" &
gpid=$!
T_BGPIDS="$T_BGPIDS $gpid"
sleep 0.5
"$bin" 1 1 1
kill -HUP "$spid"
sleep 0.5
"$bin" 1 2 0
wait_exit "$gpid" 15
expect_grep "SIGHUP: kept" 'reloading' "$T_DIR/serve.err"
got=$(python3 "$DECODE" "$T_DIR/h.pb.gz" | python3 -c '
import json, sys
d = json.load(sys.stdin)
for k, v in sorted(d["stacks"].items()): print(k, v)')
expect_eq "SIGHUP while a profile waits: the runs before and after it" "$got" \
	"__libc_start_call_main;main;outer_a;leaf_c 1
__libc_start_call_main;main;outer_a;mid_b;leaf_c 2
__libc_start_call_main;main;side_d;leaf_c 3"
kill -TERM "$spid"
wait_exit "$spid" 10
expect_eq "SIGTERM: status 0" "$RC" 0

# no stack entry: 404, said
cat >"$T_DIR/count.conf" <<EOF
metric flame_calls
	kind count
	probe u:$bin:leaf_c
EOF
if serve_up "$port2" "$T_DIR/count.conf" "$T_DIR/count.err"; then
	st=$(get "$port2" "/debug/pprof/profile?seconds=1" "$T_DIR/none")
	expect_eq "no stack entry: 404" "${st%% *}" 404
	expect_grep "no stack entry: said" 'no running entry of kind stack' \
		"$T_DIR/none"
	kill -TERM "$BG"
	wait_exit "$BG" 10
else
	not_ok "sonde serve with a count entry" "$(cat "$T_DIR/count.err")"
fi

# call-graph dwarf: the same stacks (below main: libc's start), each
# caller's frame at the line of its call in flame.c (grep's numbers)
cat >"$T_DIR/dwarf.conf" <<EOF
metric flame_stacks
	kind stack
	call-graph dwarf
	probe u:$bin:leaf_c
EOF
if serve_up "$port2" "$T_DIR/dwarf.conf" "$T_DIR/dwarf.err"; then
	profile_run "$port2" "$T_DIR/d.pb.gz"
	python3 "$DECODE" "$T_DIR/d.pb.gz" >"$T_DIR/d.json"
	got=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
for k, v in sorted(d["stacks"].items()): print(k[k.index(";main;") + 1:], v)
print(sorted("%s:%d" % (f, l) for f, fi, l in d["lines"]
             if fi.endswith("flame.c") and f != "leaf_c"))' "$T_DIR/d.json")
	src=$(dirname "$0")/../fixtures/flame.c
	at()
	{
		grep -n "$1" "$src" | cut -d: -f1
	}
	lines=$(python3 -c 'import sys; print(sorted(sys.argv[1:]))' \
		"main:$(at 'outer_a(i, 1);')" "main:$(at 'side_d(i);')" \
		"main:$(at 'outer_a(i, 0);')" "mid_b:$(at '^	leaf_c(i);' | head -1)" \
		"outer_a:$(at 'mid_b(i);')" "outer_a:$(at '		leaf_c(i);')" \
		"side_d:$(at '^	leaf_c(i);' | tail -1)")
	expect_eq "call-graph dwarf: the stacks, counts and call lines" "$got" \
		"main;outer_a;leaf_c $K
main;outer_a;mid_b;leaf_c $N
main;side_d;leaf_c $M
$lines"
	kill -TERM "$BG"
	wait_exit "$BG" 10
else
	not_ok "sonde serve with a dwarf stack entry" "$(cat "$T_DIR/dwarf.err")"
fi

# max-series 2: the first two stacks kept (outer_a -> mid_b's N, then
# side_d's M); the K hits of the third are not counted, and said
cat >"$T_DIR/max.conf" <<EOF
metric flame_stacks
	kind stack
	call-graph fp
	max-series 2
	probe u:$bin:leaf_c
EOF
if serve_up "$port2" "$T_DIR/max.conf" "$T_DIR/max.err"; then
	profile_run "$port2" "$T_DIR/x.pb.gz"
	got=$(python3 "$DECODE" "$T_DIR/x.pb.gz" | python3 -c '
import json, sys
d = json.load(sys.stdin)
for k, v in sorted(d["stacks"].items()): print(k, v)
print(d["comments"])')
	expect_eq "max-series 2: two stacks, the third's hits said" "$got" \
		"__libc_start_call_main;main;outer_a;mid_b;leaf_c $N
__libc_start_call_main;main;side_d;leaf_c $M
['flame_stacks: $K hits not counted (lost, without a stack, or past max-series)']"
	get "$port2" /metrics "$T_DIR/mx" >/dev/null
	expect_grep "max-series 2: /metrics' lost hits" \
		"^sonde_events_lost_total{metric=\"flame_stacks\"} $K\$" "$T_DIR/mx"
	kill -TERM "$BG"
	wait_exit "$BG" 10
else
	not_ok "sonde serve with max-series 2" "$(cat "$T_DIR/max.err")"
fi
hygiene_check "hygiene: uprobe/kprobe/dynamic events and instances as found"
finish
