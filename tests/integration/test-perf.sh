#!/bin/bash
# --backend perf: uprobes through the uprobe PMU give the same fields and
# values as the tracefs backend, follow -p / -c / --follow-fork, record and
# symbolize stacks, count losses, and leave nothing behind even after
# SIGKILL (the probes belong to sonde's file descriptors).
. "$(dirname "$0")/lib.sh"
require_root
require_uprobes
require_file "$SONDE" "$FIXTURES/fixture_pie"
if [ ! -r /sys/bus/event_source/devices/uprobe/type ]; then
	skip "$T_NAME" "no uprobe PMU"
	finish
fi
set -m

bin=$FIXTURES/fixture_pie
# strip what differs from run to run: time, cpu, pid/tid
norm()
{
	sed 's/"time":[0-9.]*,//; s/"pid":[0-9]*,"tid":[0-9]*,"cpu":[0-9]*,//' "$1" | sort
}

hygiene_begin

# --- the same format and the same values as tracefs -----------------------
# (every arg kind: registers, $stack, $stackN, derefs, strings, $comm,
# bitfields, arrays, immediates; the fixture runs without ASLR so that
# addresses match too)
SPEC="u:$bin:greet a=arg1:s32 b=arg2:x16 s=+0(%di):string st=\$stack1 c=\$comm bf=+0(%di):b4@2/32 arr=+0(%di):x8[3] u=+0(%di):ustring i=\\7 e=\$stack q=+1(%di):u8 d=\$stack0 w=+0(%di):u64 h=+0(%di):s16[2]"
RSPEC="ur:$bin:add r=retval:s32 x=%ax"
# (tracefs also fetches the pointers of derefs, as hidden __sonde_p*
# fields after the args, to tell faults, and the comm at the hit,
# __sonde_pcomm: not part of the args' layout)
nohidden()
{
	grep -v '^ID:' | grep -v 'field:u64 __sonde_p' |
		grep -v 'field:__data_loc char\[\] __sonde_pcomm' |
		sed 's/ __sonde_p[0-9_]*=0x%Lx//g; s/, REC->__sonde_p[0-9_]*//g' |
		sed 's/ __sonde_pcomm=\\"%s\\"//; s/, __get_str(__sonde_pcomm)//'
}
for be in tracefs perf; do
	"$SONDE" format --backend $be "$SPEC" | nohidden >"$T_DIR/fmt.$be"
	"$SONDE" format --backend $be "$RSPEC" | nohidden >>"$T_DIR/fmt.$be"
done
expect_file_eq "format: the perf layout is the kernel's, byte for byte" \
	"$T_DIR/fmt.perf" "$T_DIR/fmt.tracefs"

R=
command -v setarch >/dev/null && R="setarch $(uname -m) -R"
for be in tracefs perf; do
	"$SONDE" trace --backend $be -f json -c "$R $bin 3" "$SPEC" "$RSPEC" \
		"u:$bin:mul3 a=arg1 b=arg2 c=arg3" "ur:$bin:mul3 r=retval" \
		>"$T_DIR/json.$be" 2>"$T_DIR/err.$be"
	norm "$T_DIR/json.$be" >"$T_DIR/jn.$be"
	"$SONDE" trace --backend $be -c "$bin 3" "u:$bin:add a=arg1:s32 b=arg2:s32" \
		"ur:$bin:add r=retval:s32" >"$T_DIR/text.$be" 2>&1
	events "$T_DIR/text.$be" | sort >"$T_DIR/tn.$be"
done
expect_eq "json: 12 events from each backend" \
	"$(wc -l <"$T_DIR/jn.perf" | tr -d ' ')/$(wc -l <"$T_DIR/jn.tracefs" | tr -d ' ')" "12/12"
expect_file_eq "json: perf gives what tracefs gives (every arg kind)" \
	"$T_DIR/jn.perf" "$T_DIR/jn.tracefs"
expect_grep "json: a string read from the process" '"s":"sonde-3"' "$T_DIR/json.perf"
expect_grep "json: uretprobe value" '"probe":"add__return","args":{"r":9,' "$T_DIR/json.perf"
expect_file_eq "text: perf gives what tracefs gives" "$T_DIR/tn.perf" "$T_DIR/tn.tracefs"
expect_grep "text: 6 events" '^sonde: 6 events, 0 lost' "$T_DIR/text.perf"

# --- auto streams through tracefs where it has uprobe_events (the kernel
# fetches the args: cheaper for the traced thread), says so with -v ------
"$SONDE" trace -v -d 1 "u:$bin:add a=arg1" >/dev/null 2>"$T_DIR/auto"
expect_grep "auto: tracefs for plain uprobes" 'backend: tracefs' "$T_DIR/auto"
"$SONDE" trace -v -c "$bin 1" "u:$bin:add a=arg1" >/dev/null 2>"$T_DIR/auto1"
expect_grep "auto: tracefs with -c (PMU events are not inherited)" \
	'backend: tracefs' "$T_DIR/auto1"
"$SONDE" trace -v --filter 'a > 0' -c "$bin 1" "u:$bin:add a=arg1" \
	>/dev/null 2>"$T_DIR/auto2"
expect_grep "auto: tracefs for a probe with a filter" 'backend: tracefs' "$T_DIR/auto2"
# --backend perf with a filter: a tracefs-made event read through perf
"$SONDE" trace --backend perf --filter 'a > 2' -c "$bin 4" \
	"u:$bin:add a=arg1:s32" >"$T_DIR/filt" 2>&1
expect_eq "perf + --filter: the kernel filters a tracepoint event" \
	"$(events "$T_DIR/filt" | tr '\n' ' ')" "add: a=3 add: a=4 "

# --- -p: threads started after attach; another process is not traced -----
mkfifo "$T_DIR/go"
start_bg "$bin" 4 --wait --threads 3 <>"$T_DIR/go" >"$T_DIR/ready"
fpid=$BG
wait_line "$T_DIR/ready" '^ready$' || bail "fixture did not start"
start_bg "$SONDE" trace --backend perf -p "$fpid" "u:$bin:add a=arg1:s32 b=arg2:s32" \
	>"$T_DIR/pout" 2>"$T_DIR/perr"
spid=$BG
wait_attached "$spid" || bail "sonde did not attach" "$(cat "$T_DIR/perr")"
"$bin" 7 >/dev/null
kill -USR1 "$fpid"
wait_exit "$fpid" 20
wait_exit "$spid" 5
for t in 1 2 3; do for i in 1 2 3 4; do echo "add: a=$i b=$((2 * i))"; done; done |
	sort >"$T_DIR/want"
events "$T_DIR/pout" | sort >"$T_DIR/got"
expect_file_eq "-p: the 3 threads started after attach, not the other process" \
	"$T_DIR/got" "$T_DIR/want"
expect_eq "-p: 3 thread ids" "$(awk '{ split($3, p, "/"); if (p[2] != p[1]) print p[2] }' \
	"$T_DIR/pout" | sort -u | wc -l | tr -d ' ')" 3

# --- --follow-fork: a child the process forks later -----------------------
for ff in "" --follow-fork; do
	rm -f "$T_DIR/go2"
	mkfifo "$T_DIR/go2"
	start_bg sh -c 'read x <"$1"; "$2" 2; true' sh "$T_DIR/go2" "$bin"
	shpid=$BG
	start_bg "$SONDE" trace --backend perf $ff -p "$shpid" "u:$bin:add a=arg1:s32" \
		>"$T_DIR/fout$ff" 2>"$T_DIR/ferr$ff"
	spid=$BG
	wait_attached "$spid" || bail "sonde did not attach" "$(cat "$T_DIR/ferr$ff")"
	echo go >"$T_DIR/go2"
	wait_exit "$shpid" 20
	wait_exit "$spid" 5
done
expect_eq "--follow-fork: the child's calls" \
	"$(events "$T_DIR/fout--follow-fork" | tr '\n' ' ')" "add: a=1 add: a=2 "
expect_eq "without --follow-fork: not the child's" "$(events "$T_DIR/fout" | wc -l | tr -d ' ')" 0

# --- SIGKILL: the probe and its breakpoint go with sonde's fds ------------
# (system-wide: the uprobe PMU; with -p a tracefs-made event: its
# breakpoint goes too, its definition is swept by the next session)
off=$(file_offset "$bin" add)
byte_at()
{ # PID ADDR: the byte of the process's memory, in hex
	dd if=/proc/"$1"/mem bs=1 count=1 skip="$2" iflag=skip_bytes 2>/dev/null | od -An -tx1 | tr -d ' '
}
start_bg "$bin" 2 --wait <>"$T_DIR/go" >"$T_DIR/ready2"
fpid=$BG
wait_line "$T_DIR/ready2" '^ready$' || bail "fixture did not start"
addr=
rbin=$(readlink -f "$bin")
while read -r range _ pgoff _ _ path; do
	[ "$path" = "$rbin" ] || continue
	s=$((16#${range%-*})) e=$((16#${range#*-})) o=$((16#$pgoff))
	if [ $((off)) -ge $o ] && [ $((off)) -lt $((o + e - s)) ]; then
		addr=$((s + off - o))
		break
	fi
done </proc/"$fpid"/maps
orig=$(dd if="$bin" bs=1 count=1 skip=$((off)) 2>/dev/null | od -An -tx1 | tr -d ' ')
start_bg "$SONDE" trace --backend perf "u:$bin:add a=arg1:s32" \
	>"$T_DIR/kout" 2>"$T_DIR/kerr"
spid=$BG
wait_attached "$spid" || bail "sonde did not attach" "$(cat "$T_DIR/kerr")"
expect_eq "SIGKILL: int3 at add while sonde runs" "$(byte_at "$fpid" "$addr")" cc
kill -KILL "$spid"
wait "$spid" 2>/dev/null
sleep 0.2
expect_eq "SIGKILL: add's first byte restored ($orig)" "$(byte_at "$fpid" "$addr")" "$orig"
if ls "$TRACEFS/instances" | grep -q "sonde_$spid"; then
	not_ok "SIGKILL: no instance left"
else
	ok "SIGKILL: no instance left"
fi
if grep -q "sonde_$spid" "$TRACEFS/uprobe_events" "$TRACEFS/uprobe_profile"; then
	not_ok "SIGKILL: no uprobe left" "$(grep "sonde_$spid" "$TRACEFS/uprobe_profile")"
else
	ok "SIGKILL: no uprobe left in uprobe_events or uprobe_profile"
fi
start_bg "$SONDE" trace --backend perf -p "$fpid" "u:$bin:add a=arg1:s32" \
	>"$T_DIR/kout" 2>"$T_DIR/kerr"
spid=$BG
wait_attached "$spid" || bail "sonde did not attach" "$(cat "$T_DIR/kerr")"
expect_eq "SIGKILL -p: int3 at add while sonde runs" "$(byte_at "$fpid" "$addr")" cc
kill -KILL "$spid"
wait "$spid" 2>/dev/null
sleep 0.2
expect_eq "SIGKILL -p: add's first byte restored" "$(byte_at "$fpid" "$addr")" "$orig"
"$SONDE" cleanup >/dev/null 2>&1
kill -USR1 "$fpid"
wait_exit "$fpid" 10
expect_eq "SIGKILL: the fixture runs on unprobed" "$RC" 0

# --- -s: stacks, symbolized after the process has exited ------------------
start_bg "$bin" 1 --wait --fact 3 <>"$T_DIR/go" >"$T_DIR/ready3"
fpid=$BG
wait_line "$T_DIR/ready3" '^ready$' || bail "fixture did not start"
start_bg "$SONDE" trace --backend perf -s -p "$fpid" "u:$bin:fact n=arg1:s32" \
	>"$T_DIR/sout" 2>"$T_DIR/serr"
spid=$BG
wait_attached "$spid" || bail "sonde did not attach" "$(cat "$T_DIR/serr")"
kill -STOP "$spid" # sonde reads nothing until the fixture is gone
kill -USR1 "$fpid"
wait_exit "$fpid" 10
kill -CONT "$spid"
wait_exit "$spid" 5
expect_grep "-s: innermost frame fact" '^ => fact (fixture_pie)' "$T_DIR/sout"
expect_grep "-s: fact's caller fact" '^ => fact+0x[0-9a-f]* (fixture_pie)' "$T_DIR/sout"
expect_grep "-s: work" '^ => work+0x[0-9a-f]* (fixture_pie)' "$T_DIR/sout"
expect_grep "-s: main, for a process that exited before printing" \
	'^ => main+0x[0-9a-f]* (fixture_pie)' "$T_DIR/sout"
"$SONDE" trace --backend perf -s -f json -c "$bin 1 --fact 2" "u:$bin:fact n=arg1:s32" \
	>"$T_DIR/sjson" 2>&1
expect_grep "-s -c json: stack of a command that has exited" \
	'"stack":\["fact (fixture_pie)\( at calls\.c:[0-9]*\)\{0,1\}","work+0x[0-9a-f]* (fixture_pie)\( at calls\.c:[0-9]*\)\{0,1\}","main+' "$T_DIR/sjson"

# --- lost samples: a tiny ring and a stopped reader -----------------------
N=3000
start_bg "$SONDE" trace --backend perf --buffer-kb 4 "u:$bin:add a=arg1:s32 b=arg2:s32" \
	>"$T_DIR/lout" 2>"$T_DIR/lerr"
spid=$BG
wait_attached "$spid" || bail "sonde did not attach" "$(cat "$T_DIR/lerr")"
kill -STOP "$spid"
"$bin" $N
kill -CONT "$spid"
sleep 1
kill -INT "$spid"
wait_exit "$spid" 10
got=$(events "$T_DIR/lout" | wc -l | tr -d ' ')
lost=$(sed -n 's/^sonde: [0-9]* events, \([0-9]*\) lost.*/\1/p' "$T_DIR/lerr")
if [ -n "$lost" ] && [ "$lost" -gt 0 ] && [ "$got" -lt "$N" ]; then
	ok "lost: $got of $N shown, $lost reported lost (PERF_RECORD_LOST)"
else
	not_ok "lost: reported" "shown $got; $(cat "$T_DIR/lerr")"
fi
expect_eq "lost: shown + lost = calls made" "$((got + ${lost:-0}))" "$N"
expect_grep "lost: per CPU" 'cpu[0-9]*: [0-9]' "$T_DIR/lerr"

hygiene_check "perf: tracefs left as found"
finish
