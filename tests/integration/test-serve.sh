#!/bin/bash
# tests/run: timeout 240
# sonde serve scraped by a real Prometheus (Debian's 2.42): a count of
# add() calls and a histogram of its first argument (fixture_pie: add(i,
# 2 * i) for i = 1..N, tests/fixtures/calls.c), queried back through
# Prometheus' HTTP API (/api/v1/query) against the values the fixture's
# source gives; /metrics parsed by promtool and by prom_text.py; label
# escapes through a program whose name has a quote and a backslash; a
# restart of a traced program (no reset seen by Prometheus, a series per
# pid); the series limit; SIGHUP keeping unchanged metrics' counts; a bad entry
# reported while the rest run; SIGTERM leaving nothing behind.
. "$(dirname "$0")/lib.sh"
require_root
require_uprobes
require_file "$SONDE" "$FIXTURES/fixture_pie"
for p in prometheus promtool python3; do
	if ! command -v $p >/dev/null; then
		skip "$T_NAME" "no $p (scripts/setup-deps installs it)"
		finish
	fi
done
if ! "$SONDE" check | grep -q '^BPF: *yes'; then
	skip "$T_NAME" "no BPF here"
	finish
fi
PROM_TEXT=$(dirname "$0")/prom_text.py
bin=$(readlink -f "$FIXTURES/fixture_pie")
hygiene_begin

# two free ports on 127.0.0.1 (bound and released by the kernel's choice)
read -r port pport < <(python3 -c '
import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(*[x.getsockname()[1] for x in s])')

conf=$T_DIR/serve.conf
write_conf()
{
	cat >"$conf" <<EOF
# sonde serve's test configuration
metric fixture_add_calls
	kind count
	help Calls of add() in "$bin"\\
	probe u:$bin:add
	labels comm
metric fixture_add_first
	kind hist
	help The first argument of add()
	probe u:$bin:add
	value arg1
metric fixture_add_second
	kind count
	help Calls of add() per second argument, 3 series at most
	probe u:$bin:add
	labels arg2
	max-series ${2:-3}
metric fixture_nothing
	kind count
	probe u:$bin:no_such_function
metric fixture_app_calls
	kind count
	probe u:$app:add
metric fixture_rerun_calls
	kind count
	probe u:$rerun:add
metric fixture_rerun_by_pid
	kind count
	probe u:$rerun:add
	labels pid
$1
EOF
}
# a copy of the fixture, replaced later as an upgrade replaces a program
app=$T_DIR/app
cp "$bin" "$app"
# another copy, run twice: a restart (a new process, the same file)
rerun=$T_DIR/rerun
cp "$bin" "$rerun"
write_conf "metric fixture_fact
	kind latency
	probe u:$bin:fact"

# metrics FILE: GET /metrics into FILE; 0 when the reply was 200
metrics()
{
	python3 - "$port" "$1" <<'EOF'
import sys, urllib.request
r = urllib.request.urlopen("http://127.0.0.1:%s/metrics" % sys.argv[1], timeout=5)
open(sys.argv[2], "wb").write(r.read())
ct = r.headers["Content-Type"]
sys.exit(0 if r.status == 200 and ct.startswith("text/plain; version=0.0.4") else 1)
EOF
}

# sample JSON NAME [LABEL VALUE]: the value of sample NAME with exactly
# that label (or none) in prom_text.py's JSON, or "none"
sample()
{
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
want = dict([sys.argv[3:5]]) if len(sys.argv) > 3 else {}
v = [s[2] for s in d["samples"] if s[0] == sys.argv[2] and s[1] == want]
print("%g" % v[0] if len(v) == 1 else "none")' "$@"
}

# promq EXPR: the value of Prometheus' instant query EXPR (one series),
# "none" for no series, "many" for more than one
promq()
{
	python3 - "$pport" "$1" <<'EOF'
import json, sys, urllib.parse, urllib.request
u = "http://127.0.0.1:%s/api/v1/query?query=%s" % (
    sys.argv[1], urllib.parse.quote(sys.argv[2]))
try:
    d = json.load(urllib.request.urlopen(u, timeout=5))
except Exception as e:
    print("error:", e)
    sys.exit(0)
r = d["data"]["result"] if d.get("status") == "success" else None
print("error" if r is None else "none" if not r else
      "many" if len(r) > 1 else r[0]["value"][1])
EOF
}

# wait_promq EXPR WANT SECS: until the query gives WANT; the last value
# is left in $GOT
wait_promq()
{
	local n=$(($3 * 2))
	while [ "$n" -gt 0 ]; do
		GOT=$(promq "$1")
		[ "$GOT" = "$2" ] && return 0
		sleep 0.5
		n=$((n - 1))
	done
	return 1
}

start_bg "$SONDE" serve --listen "127.0.0.1:$port" "$conf" 2>"$T_DIR/serve.err"
spid=$BG
n=50
until metrics "$T_DIR/m0" 2>/dev/null || [ "$n" -le 0 ]; do
	sleep 0.2
	n=$((n - 1))
done
if [ "$n" -le 0 ]; then
	not_ok "sonde serve answers GET /metrics" "$(cat "$T_DIR/serve.err")"
	finish
fi
ok "sonde serve answers GET /metrics (text/plain; version=0.0.4)"
expect_grep "the bad entry is said on stderr" \
	'metric fixture_nothing: probe .*no_such_function' "$T_DIR/serve.err"
expect_grep "the others run" '7 of 8 metrics running' "$T_DIR/serve.err"

cat >"$T_DIR/prom.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: sonde
    static_configs:
      - targets: ['127.0.0.1:$port']
EOF
start_bg prometheus --config.file="$T_DIR/prom.yml" \
	--storage.tsdb.path="$T_DIR/tsdb" \
	--web.listen-address="127.0.0.1:$pport" 2>"$T_DIR/prom.err"
ppid_=$BG
if ! wait_promq 'up{job="sonde"}' 1 30; then
	not_ok "Prometheus scrapes sonde (up == 1)" "got $GOT
$(tail -5 "$T_DIR/prom.err")"
	kill "$spid" "$ppid_"
	finish
fi
ok "Prometheus scrapes sonde (up == 1)"

# the calls: N = 100 as fixture_pie, 7 through a symbolic link (the same
# file, so the same probes) whose name, the process's comm, has a quote
# and a backslash
weird='fx"q\b'
ln -s "$bin" "$T_DIR/$weird"
"$bin" 100
(cd "$T_DIR" && "./$weird" 7)

wait_promq 'fixture_add_calls_total{comm="fixture_pie"}' 100 20
expect_eq "Prometheus: fixture_add_calls_total{comm=fixture_pie} (exact)" \
	"$GOT" 100
wait_promq 'fixture_add_calls_total{comm="fx\"q\\b"}' 7 10
expect_eq "Prometheus: the escaped comm label's series" "$GOT" 7
# the first arguments: 1..100 and 1..7 (calls.c); the median, the bucket
# bounds and the counts at them from that list, not from sonde
read -r rank le_lo le_hi c_lo c_hi < <(python3 -c '
v = sorted(list(range(1, 101)) + list(range(1, 8)))
rank = len(v) / 2
med = v[len(v) // 2]
hi = 1
while hi <= med: hi *= 2
lo = hi // 2
print(rank, lo - 1, hi - 1, sum(x <= lo - 1 for x in v), sum(x <= hi - 1 for x in v))')
wait_promq 'fixture_add_first_count' 107 10
expect_eq "Prometheus: fixture_add_first_count" "$GOT" 107
expect_eq "Prometheus: the bucket under the median, le=$le_lo" \
	"$(promq "fixture_add_first_bucket{le=\"$le_lo\"}")" "$c_lo"
expect_eq "Prometheus: the median's bucket, le=$le_hi" \
	"$(promq "fixture_add_first_bucket{le=\"$le_hi\"}")" "$c_hi"
q=$(promq 'histogram_quantile(0.5, fixture_add_first_bucket)')
if python3 -c "import sys; sys.exit(not ($le_lo < float('$q') <= $le_hi))"; then
	ok "Prometheus: histogram_quantile(0.5) = $q, in ($le_lo, $le_hi]"
else
	not_ok "Prometheus: histogram_quantile(0.5) in ($le_lo, $le_hi]" "got $q"
fi
expect_eq "Prometheus: fixture_add_first_sum (1..100 + 1..7)" \
	"$(promq fixture_add_first_sum)" $((5050 + 28))
expect_eq "Prometheus: fixture_fact_seconds_count (fact(5) twice: 10 calls)" \
	"$(promq fixture_fact_seconds_count)" 10
expect_eq "Prometheus: sonde_config_errors" "$(promq sonde_config_errors)" 1
expect_eq "Prometheus: sonde_config_error_info of the bad entry" \
	"$(promq 'count(sonde_config_error_info{metric="fixture_nothing"})')" 1

# the text itself: promtool's checks, then a strict parse
check "/metrics answers" metrics "$T_DIR/m1"
check "promtool check metrics: no problem" \
	sh -c "promtool check metrics <'$T_DIR/m1'"
if python3 "$PROM_TEXT" "$T_DIR/m1" >"$T_DIR/m1.json" 2>"$T_DIR/parse.err"; then
	ok "prom_text.py parses /metrics (format 0.0.4, histograms cumulative)"
else
	not_ok "prom_text.py parses /metrics" "$(cat "$T_DIR/parse.err")"
fi
expect_eq "label value escapes: comm '$weird' read back" \
	"$(sample "$T_DIR/m1.json" fixture_add_calls_total comm "$weird")" 7
expect_eq "HELP escapes: the backslash read back" \
	"$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["help"]["fixture_add_calls_total"])' "$T_DIR/m1.json")" \
	"Calls of add() in \"$bin\"\\"
# 107 calls with 100 distinct second arguments (2 * i: 2..200, and 2..14
# again): 3 series kept, the rest summed in __overflow__. The kernel's
# map holds 2 * 3 + 64 = 70 label sets (sonde-serve(1)): the 100-call run
# filled it with 2..140, so 142..200 (30 calls) found no room: lost, and
# counted in the overflow series too, so the sum is still every call.
series=$(python3 -c '
import json, sys
s = [x for x in json.load(open(sys.argv[1]))["samples"] if x[0] == "fixture_add_second_total"]
over = [x[2] for x in s if x[1]["arg2"] == "__overflow__"]
kept = sorted(int(x[1]["arg2"]) for x in s if x[1]["arg2"] != "__overflow__")
print(kept, int(over[0]) if over else 0, int(sum(x[2] for x in s)))' "$T_DIR/m1.json")
expect_eq "max-series 3: 2, 4, 6 kept (2 calls each), the rest in __overflow__, the sum is every call" \
	"$series" "[2, 4, 6] $((107 - 6)) 107"
expect_eq "sonde_series_overflow_keys: 70 in the kernel's map, less 3" \
	"$(sample "$T_DIR/m1.json" sonde_series_overflow_keys metric fixture_add_second)" 67
expect_eq "sonde_events_lost_total: the 30 calls of 142..200" \
	"$(sample "$T_DIR/m1.json" sonde_events_lost_total metric fixture_add_second)" 30
expect_eq "sonde_probes_attached of the count" \
	"$(sample "$T_DIR/m1.json" sonde_probes_attached metric fixture_add_calls)" 1

# HTTP: a client that sends half a request and waits does not hold up a
# scrape (the server never blocks); other paths, methods and requests
python3 - "$port" >"$T_DIR/http.out" 2>&1 <<'EOF'
import socket, sys, time
port = int(sys.argv[1])
def ask(raw):
    c = socket.create_connection(("127.0.0.1", port), timeout=5)
    c.sendall(raw)
    out = b""
    while True:
        d = c.recv(65536)
        if not d:
            break
        out += d
    c.close()
    return out
slow = socket.create_connection(("127.0.0.1", port), timeout=5)
slow.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
t = time.monotonic()
r = ask(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
print("while-slow", r.split(b"\r\n")[0].decode(), "%.1f" % (time.monotonic() - t))
slow.sendall(b"\r\n")
print("slow", slow.recv(100).split(b"\r\n")[0].decode())
slow.close()
body = r.split(b"\r\n\r\n", 1)[1]
h = ask(b"HEAD /metrics HTTP/1.1\r\n\r\n")
head, rest = h.split(b"\r\n\r\n", 1)
cl = [l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")]
print("head", head.split(b"\r\n")[0].decode(), len(rest),
      abs(int(cl[0].split(b":")[1]) - len(body)) < 200)
for raw in (b"GET /nothing HTTP/1.1\r\n\r\n", b"POST /metrics HTTP/1.1\r\n\r\n",
            b"NONSENSE\r\n\r\n", b"GET /metrics HTTP/2.0\r\n\r\n"):
    print("status", ask(raw).split(b"\r\n")[0].decode())
EOF
expect_grep "HTTP: a scrape is answered while another client is half-way" \
	'^while-slow HTTP/1.1 200 OK 0\.[0-4]$' "$T_DIR/http.out"
expect_grep "HTTP: the slow client gets its answer too" \
	'^slow HTTP/1.1 200 OK$' "$T_DIR/http.out"
expect_grep "HTTP: HEAD: the headers, no body" \
	'^head HTTP/1.1 200 OK 0 True$' "$T_DIR/http.out"
expect_eq "HTTP: 404, 405, 400, 400" \
	"$(sed -n 's/^status HTTP\/1.1 \([0-9]*\).*/\1/p' "$T_DIR/http.out" | tr '\n' ' ')" \
	"404 405 400 400 "

# an upgrade: the program replaced by a new file at its path (a new
# inode, as dpkg and install(1) do); the new file is probed too and the
# count goes on from where it was
LD_LIBRARY_PATH=$(dirname "$bin") "$app" 5 # libfixture.so
wait_promq 'fixture_app_calls_total' 5 10
expect_eq "upgrade: the program's calls before" "$GOT" 5
expect_eq "upgrade: no reopen time before" \
	"$(promq 'sonde_target_reopen_timestamp_seconds{metric="fixture_app_calls"}')" 0
cp "$bin" "$app.new"
t_up=$(date +%s)
mv -f "$app.new" "$app"
wait_promq 'sonde_target_reopens_total{metric="fixture_app_calls"}' 1 15
expect_eq "upgrade: the replaced file is seen and the new one probed" "$GOT" 1
t_seen=$(promq 'sonde_target_reopen_timestamp_seconds{metric="fixture_app_calls"}')
if [ -n "$t_seen" ] && [ "$t_seen" -ge "$t_up" ] 2>/dev/null &&
	[ "$t_seen" -le "$(date +%s)" ]; then
	ok "upgrade: the gauge says when ($((t_seen - t_up)) s after the mv)"
else
	not_ok "upgrade: the gauge says when" "mv at $t_up, gauge: '$t_seen', now $(date +%s)"
fi
expect_grep "upgrade: said on stderr" \
	"metric fixture_app_calls: $app was replaced: probing the new file" \
	"$T_DIR/serve.err"
LD_LIBRARY_PATH=$(dirname "$bin") "$app" 7
wait_promq 'fixture_app_calls_total' 12 10
expect_eq "upgrade: the new file's calls are added (5 + 7)" "$GOT" 12
expect_eq "upgrade: the old file's probe stays, the new one's is added" \
	"$(promq 'sonde_probes_attached{metric="fixture_app_calls"}')" 2
expect_eq "upgrade: the other metrics were not touched" \
	"$(promq 'sonde_target_reopens_total{metric="fixture_add_calls"}')" 0

# a restart: the program exits and a new process of the same file makes
# more calls while Prometheus scrapes; the count goes on (no reset seen
# by Prometheus) and each pid has its series. The pids from the shell.
LD_LIBRARY_PATH=$(dirname "$bin") "$rerun" 20 &
rpid1=$!
wait "$rpid1"
wait_promq 'fixture_rerun_calls_total' 20 10
expect_eq "restart: the first run's calls (add() 20 times, calls.c)" "$GOT" 20
sleep 2 # a few scrapes between the two processes
LD_LIBRARY_PATH=$(dirname "$bin") "$rerun" 30 &
rpid2=$!
wait "$rpid2"
wait_promq 'fixture_rerun_calls_total' 50 10
expect_eq "restart: the second process's calls are added (20 + 30)" "$GOT" 50
expect_eq "restart: Prometheus saw no counter reset" \
	"$(promq 'resets(fixture_rerun_calls_total[1m])')" 0
expect_eq "restart: no reset of the per-pid series either" \
	"$(promq 'sum(resets(fixture_rerun_by_pid_total[1m]))')" 0
expect_eq "restart: the first pid's series" \
	"$(promq "fixture_rerun_by_pid_total{pid=\"$rpid1\"}")" 20
expect_eq "restart: the second pid's series" \
	"$(promq "fixture_rerun_by_pid_total{pid=\"$rpid2\"}")" 30
expect_eq "restart: two pid series, nothing else" \
	"$(promq 'count(fixture_rerun_by_pid_total)')" 2

# SIGHUP: the latency entry goes, a count of mul3 comes, the count per
# second argument changes (max-series 4: a new table), the others stay
write_conf "metric fixture_mul3_calls
	kind count
	probe u:$bin:mul3" 4
kill -HUP "$spid"
wait_promq 'count(fixture_mul3_calls_total)' 1 10
expect_eq "SIGHUP: the new entry runs" "$GOT" 1
"$bin" 10
wait_promq 'fixture_add_calls_total{comm="fixture_pie"}' 110 10
expect_eq "SIGHUP: an unchanged entry kept its count (100 + 10)" "$GOT" 110
expect_eq "SIGHUP: a changed entry starts again from 0 (10 calls since)" \
	"$(promq 'sum(fixture_add_second_total)')" 10
expect_eq "SIGHUP: the new entry counts from its start" \
	"$(promq 'fixture_mul3_calls_total')" 10
metrics "$T_DIR/m2"
expect_eq "SIGHUP: the removed entry is gone from /metrics" \
	"$(grep -c '^fixture_fact' "$T_DIR/m2")" 0
# a file that cannot be read: what runs goes on, and it is said
mv "$conf" "$conf.away"
kill -HUP "$spid"
sleep 0.5
metrics "$T_DIR/m3"
expect_grep "an unreadable file is reported" \
	'^sonde_config_error_info{metric="",error=".*No such file' "$T_DIR/m3"
expect_grep "and the metrics run on" \
	'^fixture_add_calls_total{comm="fixture_pie"} 110$' "$T_DIR/m3"
mv "$conf.away" "$conf"

# bad entries, each said with its line, the good one running
cat >"$T_DIR/bad.conf" <<EOF
metric ok_one
	kind count
	probe u:$bin:add
metric no_kind
	probe u:$bin:add
metric hist_without_value
	kind hist
	probe u:$bin:add
metric ok_one
	kind count
	probe u:$bin:mul3
metric unknown_setting
	kind count
	colour blue
	probe u:$bin:add
metric bad-name
	kind count
	probe u:$bin:add
EOF
bport=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
start_bg "$SONDE" serve --listen "127.0.0.1:$bport" "$T_DIR/bad.conf" 2>"$T_DIR/bad.err"
bpid=$BG
n=50
until grep -q 'metrics running' "$T_DIR/bad.err" || [ "$n" -le 0 ]; do
	sleep 0.2
	n=$((n - 1))
done
expect_eq "bad entries: what is said, with the lines" \
	"$(sed -n 's/^sonde: .*bad.conf: metric //p' "$T_DIR/bad.err")" \
	"no_kind: line 4: no kind (count, hist, latency or stack)
hist_without_value: line 6: a hist needs 'value FIELD'
ok_one: line 9: metric 'ok_one' is defined twice (line 1)
unknown_setting: line 14: unknown setting 'colour'
bad-name: line 16: 'bad-name' cannot be a metric name ([a-zA-Z_:][a-zA-Z0-9_:]*)"
expect_grep "bad entries: the good one runs" '1 of 6 metrics running' \
	"$T_DIR/bad.err"
# SIGKILL: the links and maps are the process's file descriptors
{
	kill -KILL "$bpid"
	wait_exit "$bpid" 10
} 2>/dev/null # not bash's "Killed"
hygiene_check "SIGKILL: nothing left in tracefs"
# SIGINT, as Ctrl-C: the same end as SIGTERM
start_bg "$SONDE" serve --listen "127.0.0.1:$bport" "$T_DIR/bad.conf" 2>"$T_DIR/int.err"
bpid=$BG
n=50
until grep -q 'metrics running' "$T_DIR/int.err" || [ "$n" -le 0 ]; do
	sleep 0.2
	n=$((n - 1))
done
kill -INT "$bpid"
wait_exit "$bpid" 20
expect_eq "SIGINT: exit 0" "$RC" 0
hygiene_check "SIGINT: nothing left in tracefs"
"$SONDE" serve "$T_DIR/bad.conf" >/dev/null 2>&1
expect_eq "no --listen: exit 2" "$?" 2
out=$("$SONDE" serve --listen "127.0.0.1:$bport" "$T_DIR/none.conf" 2>&1)
expect_eq "a CONFIG that cannot be read: exit 2" "$?:$out" \
	"2:sonde: $T_DIR/none.conf: No such file or directory"
out=$("$SONDE" serve --listen "127.0.0.1:$port" "$conf" 2>&1)
expect_eq "an address in use: exit 1" "$?:${out##*: }" \
	"1:Address already in use"
for a in nonsense 127.0.0.1:65536 1.2.3.4.5:80 127.0.0.1:; do
	out=$(timeout 10 "$SONDE" serve --listen "$a" "$conf" 2>&1)
	expect_eq "--listen $a: exit 2, said" "$?:${out%%:*}" "2:sonde"
done

kill "$ppid_"
wait_exit "$ppid_" 20
# SIGTERM while scrapes keep coming (4 clients, back to back): the
# server is never idle, and still ends at once
python3 - "$port" 2>/dev/null <<'EOF' &
import socket, sys, threading
def hammer():
    while True:
        try:
            c = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2)
            c.sendall(b"GET /metrics HTTP/1.1\r\n\r\n")
            while c.recv(65536):
                pass
            c.close()
        except OSError:
            return
ts = [threading.Thread(target=hammer) for _ in range(4)]
for t in ts: t.start()
for t in ts: t.join()
EOF
hpid=$!
T_BGPIDS="$T_BGPIDS $hpid"
sleep 1
kill -TERM "$spid"
wait_exit "$spid" 5
expect_eq "SIGTERM under back-to-back scrapes: ends within 5 s, status 0" "$RC" 0
wait_exit "$hpid" 10
expect_grep "SIGTERM: said" 'stopped; the probes are removed' "$T_DIR/serve.err"
hygiene_check "hygiene: uprobe/kprobe/dynamic events and instances as found"
finish
