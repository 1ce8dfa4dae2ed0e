#!/bin/bash
# --backend bpf: uprobes streamed through one BPF ring buffer by generated
# programs give the same events, fields and values as the tracefs backend
# (text and JSON), on uprobe_multi links and on the one-perf-event-per-
# probe fallback; -p keeps to one process; auto takes bpf for many probes
# and says so; SIGKILL of sonde leaves no breakpoint in the traced process.
. "$(dirname "$0")/lib.sh"
require_root
require_uprobes
require_file "$SONDE" "$FIXTURES/fixture_pie"
if ! "$SONDE" check | grep -q '^uprobe_multi: *yes'; then
	skip "$T_NAME" "no BPF uprobe_multi links here (tests/vm/tests/bpf-*.sh: the fallback)"
	finish
fi
set -m

bin=$(readlink -f "$FIXTURES/fixture_pie")
norm()
{ # strip what differs from run to run: time, cpu, pid/tid
	sed 's/"time":[0-9.]*,//; s/"pid":[0-9]*,"tid":[0-9]*,"cpu":[0-9]*,//' "$1" | sort
}
# the bpf backend's fds: its links (or perf events), then its epoll fd
wait_bpf()
{
	local pid=$1 n=100
	while [ $n -gt 0 ]; do
		ls -l /proc/"$pid"/fd 2>/dev/null | grep -Eq 'bpf_link|perf_event' &&
			[ "$(ls -l /proc/"$pid"/fd 2>/dev/null | grep -c eventpoll)" -ge 2 ] &&
			return 0
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}

hygiene_begin

# --- the same events as tracefs, every argument kind ----------------------
SPEC="u:$bin:greet a=arg1:s32 b=arg2:x16 s=+0(%di):string st=\$stack1 c=\$comm bf=+0(%di):b4@2/32 arr=+0(%di):x8[3] u=+0(%di):ustring i=\\7 e=\$stack q=+1(%di):u8 d=\$stack0 w=+0(%di):u64 h=+0(%di):s16[2]"
RSPEC="ur:$bin:add r=retval:s32 x=%ax"
R=
command -v setarch >/dev/null && R="setarch $(uname -m) -R"
# the fallback is asked for by the environment, which moves the stack:
# every run has the variable, set or empty, and a pad that makes the
# environment the same size byte for byte (the stack's alignment follows it)
for be in tracefs bpf bpf-perf; do
	nm= pad=x
	[ $be = bpf-perf ] && nm=1 pad=
	SONDE_BPF_NO_MULTI=$nm SONDE_TEST_PAD=$pad "$SONDE" trace -v --backend ${be%-perf} -f json \
		-c "$R $bin 3" "$SPEC" "$RSPEC" "u:$bin:mul3 a=arg1 b=arg2 c=arg3" \
		"ur:$bin:mul3 r=retval" >"$T_DIR/json.$be" 2>"$T_DIR/err.$be"
	norm "$T_DIR/json.$be" >"$T_DIR/jn.$be"
	SONDE_BPF_NO_MULTI=$nm "$SONDE" trace --backend ${be%-perf} -c "$bin 3" \
		"u:$bin:add a=arg1:s32 b=arg2:s32" "ur:$bin:add r=retval:s32" \
		"u:$bin:fact n=arg1:u32" >"$T_DIR/text.$be" 2>&1
	events "$T_DIR/text.$be" >"$T_DIR/tn.$be"
done
expect_eq "json: 12 events from each" \
	"$(wc -l <"$T_DIR/jn.bpf" | tr -d ' ')/$(wc -l <"$T_DIR/jn.bpf-perf" | tr -d ' ')/$(wc -l <"$T_DIR/jn.tracefs" | tr -d ' ')" "12/12/12"
expect_file_eq "json: bpf (uprobe_multi) gives what tracefs gives, every arg kind" \
	"$T_DIR/jn.bpf" "$T_DIR/jn.tracefs"
expect_file_eq "json: bpf (a perf event per probe) gives what tracefs gives" \
	"$T_DIR/jn.bpf-perf" "$T_DIR/jn.tracefs"
expect_grep "json: a string read from the process" '"s":"sonde-3"' "$T_DIR/json.bpf"
expect_grep "json: uretprobe value" '"probe":"add__return","args":{"r":9,"x":9}' "$T_DIR/json.bpf"
expect_grep "-v: uprobe_multi links" 'bpf: 4 probes, 4 programs, uprobe_multi links' "$T_DIR/err.bpf"
expect_grep "-v: the fallback" 'one perf event per probe' "$T_DIR/err.bpf-perf"
expect_file_eq "text: bpf gives what tracefs gives, in order" "$T_DIR/tn.bpf" "$T_DIR/tn.tracefs"
expect_file_eq "text: the fallback too" "$T_DIR/tn.bpf-perf" "$T_DIR/tn.tracefs"
expect_grep "text: 11 events, 0 lost" '^sonde: 11 events, 0 lost' "$T_DIR/text.bpf"
# the return probe's __probe_func is the function's address in the process
"$SONDE" trace --backend bpf -f json -c "$R $bin 1" "ur:$bin:add" >"$T_DIR/rf.bpf" 2>/dev/null
"$SONDE" trace --backend tracefs -f json -c "$R $bin 1" "ur:$bin:add" >"$T_DIR/rf.tracefs" 2>/dev/null
expect_eq "uretprobe: the same ip as tracefs (__probe_func)" \
	"$(grep -o '"ip":[0-9]*' "$T_DIR/rf.bpf")" "$(grep -o '"ip":[0-9]*' "$T_DIR/rf.tracefs")"

# --- auto: bpf for more than 8 probes, tracefs/perf for a few -------------
probes=
for f in add mul3 greet fact slow work main; do
	probes="$probes u:$bin:$f ur:$bin:$f"
done
# shellcheck disable=SC2086
"$SONDE" trace -v -c "$bin 2" $probes >"$T_DIR/auto" 2>"$T_DIR/autoerr"
expect_grep "auto: 14 probes take the bpf backend, said with -v" \
	'14 probes: the bpf backend' "$T_DIR/autoerr"
expect_grep "auto: and the events arrive" '^sonde: [1-9][0-9]* events, 0 lost' "$T_DIR/autoerr"
"$SONDE" trace -v -c "$bin 1" "u:$bin:add" >/dev/null 2>"$T_DIR/auto1"
if grep -q 'backend: bpf' "$T_DIR/auto1"; then
	not_ok "auto: one probe is not the bpf backend's"
else
	ok "auto: one probe is not the bpf backend's"
fi
# shellcheck disable=SC2086
"$SONDE" trace -v --filter 'arg1 > 0' -c "$bin 1" $probes >/dev/null 2>"$T_DIR/auto2"
expect_grep "auto: a filter keeps tracefs, with the reason" \
	'not the bpf backend: probe .* has a filter' "$T_DIR/auto2"

# --- refusals: one sentence each ------------------------------------------
"$SONDE" trace --backend bpf -d 1 "k:do_sys_openat2" >/dev/null 2>"$T_DIR/r1"
# (a kernel without kprobes says that first)
expect_grep "kprobe refused with a sentence" \
	'bpf backend streams uprobes only\|this kernel has no kprobes' "$T_DIR/r1"
"$SONDE" trace --backend bpf -s --call-graph fp -d 1 "u:$bin:add" >/dev/null 2>"$T_DIR/r2"
expect_grep "frame-pointer stacks refused with a sentence" \
	'the bpf backend walks no frame pointers' "$T_DIR/r2"

# --- -p: one process only, its threads started after attach ---------------
mkfifo "$T_DIR/go"
start_bg "$bin" 4 --wait --threads 3 <>"$T_DIR/go" >"$T_DIR/ready"
fpid=$BG
wait_line "$T_DIR/ready" '^ready$' || bail "fixture did not start"
for nm in "" 1; do
	start_bg env SONDE_BPF_NO_MULTI=$nm "$SONDE" trace --backend bpf -p "$fpid" \
		"u:$bin:add a=arg1:s32 b=arg2:s32" >"$T_DIR/pout$nm" 2>"$T_DIR/perr$nm"
	spid=$BG
	wait_bpf "$spid" || bail "sonde did not attach" "$(cat "$T_DIR/perr$nm")"
	"$bin" 7 >/dev/null # another process: not traced
	sleep 0.3
	kill -INT "$spid"
	wait_exit "$spid" 5
done
kill -USR1 "$fpid"
wait_exit "$fpid" 20
# again, now with the threads running while sonde listens
mkfifo "$T_DIR/go3"
start_bg "$bin" 4 --wait --threads 3 <>"$T_DIR/go3" >"$T_DIR/ready3"
fpid=$BG
wait_line "$T_DIR/ready3" '^ready$' || bail "fixture did not start"
start_bg "$SONDE" trace --backend bpf -p "$fpid" "u:$bin:add a=arg1:s32 b=arg2:s32" \
	>"$T_DIR/pout2" 2>"$T_DIR/perr2"
spid=$BG
wait_bpf "$spid" || bail "sonde did not attach" "$(cat "$T_DIR/perr2")"
"$bin" 7 >/dev/null
kill -USR1 "$fpid"
wait_exit "$fpid" 20
wait_exit "$spid" 5
for t in 1 2 3; do for i in 1 2 3 4; do echo "add: a=$i b=$((2 * i))"; done; done |
	sort >"$T_DIR/want"
events "$T_DIR/pout2" | sort >"$T_DIR/got"
expect_file_eq "-p: the 3 threads started after attach, not the other process" \
	"$T_DIR/got" "$T_DIR/want"
expect_eq "-p: nothing from another process while the target waited" \
	"$(events "$T_DIR/pout")$(events "$T_DIR/pout1")" ""
expect_grep "-p: sonde ends with the process" '^sonde: 12 events, 0 lost' "$T_DIR/perr2"

# --- SIGKILL: links and perf events go with sonde's fds -------------------
off=$(file_offset "$bin" add)
byte_at()
{ # PID ADDR: the byte of the process's memory, in hex
	dd if=/proc/"$1"/mem bs=1 count=1 skip="$2" iflag=skip_bytes 2>/dev/null | od -An -tx1 | tr -d ' '
}
mkfifo "$T_DIR/go4"
start_bg "$bin" 2 --wait <>"$T_DIR/go4" >"$T_DIR/ready4"
fpid=$BG
wait_line "$T_DIR/ready4" '^ready$' || bail "fixture did not start"
addr=
while read -r range _ pgoff _ _ path; do
	[ "$path" = "$bin" ] || continue
	s=$((16#${range%-*})) e=$((16#${range#*-})) o=$((16#$pgoff))
	if [ $((off)) -ge $o ] && [ $((off)) -lt $((o + e - s)) ]; then
		addr=$((s + off - o))
		break
	fi
done </proc/"$fpid"/maps
orig=$(dd if="$bin" bs=1 count=1 skip=$((off)) 2>/dev/null | od -An -tx1 | tr -d ' ')
for mode in "" "-p $fpid" "NOMULTI"; do
	nm=
	[ "$mode" = NOMULTI ] && nm=1 mode=
	# shellcheck disable=SC2086
	start_bg env SONDE_BPF_NO_MULTI=$nm "$SONDE" trace --backend bpf $mode \
		"u:$bin:add a=arg1:s32" >"$T_DIR/kout" 2>"$T_DIR/kerr"
	spid=$BG
	wait_bpf "$spid" || bail "sonde did not attach" "$(cat "$T_DIR/kerr")"
	what="SIGKILL${mode:+ -p}${nm:+ (perf events)}"
	expect_eq "$what: int3 at add while sonde runs" "$(byte_at "$fpid" "$addr")" cc
	kill -KILL "$spid"
	wait "$spid" 2>/dev/null
	sleep 0.2
	expect_eq "$what: add's first byte restored ($orig)" "$(byte_at "$fpid" "$addr")" "$orig"
done
if grep -q "$bin" "$TRACEFS/uprobe_profile"; then
	not_ok "SIGKILL: no uprobe left" "$(grep "$bin" "$TRACEFS/uprobe_profile")"
else
	ok "SIGKILL: no uprobe left in uprobe_profile"
fi
kill -USR1 "$fpid"
wait_exit "$fpid" 10
expect_eq "SIGKILL: the fixture runs on unprobed" "$RC" 0

hygiene_check "tracefs left as found"
finish
