#!/bin/bash
# Tracepoints on the bpf backend: the records a tracepoint program sends
# (the kernel's own, strings behind __data_loc included) and the tables it
# keeps in the kernel (count --by FIELD, hist --value FIELD), checked
# against what tp_writes.c does (its exec, rename and writes of known
# sizes) and bpftrace's count of the same run; -p and -c keep one
# process's records only; a --filter is refused in one sentence; the other
# backends, where they take tracepoints, print the same.
. "$(dirname "$0")/lib.sh"
require_root
require_uprobes
require_file "$SONDE" "$FIXTURES/tp_writes"
if ! "$SONDE" check | grep -q '^BPF: *yes'; then
	skip "$T_NAME" "no BPF here"
	finish
fi
for ev in sched/sched_process_exec task/task_rename \
	syscalls/sys_enter_write syscalls/sys_exit_write; do
	if [ ! -e "$TRACEFS/events/$ev/format" ]; then
		skip "$T_NAME" "no tracepoint $ev on this kernel"
		finish
	fi
done

set -m
fix=$(readlink -f "$FIXTURES/tp_writes")
hygiene_begin

# --- streaming: the records as the fixture makes them ---
"$SONDE" trace --backend bpf -v -c "$fix" t:sched:sched_process_exec \
	tracepoint:task:task_rename t:syscalls:sys_exit_write \
	>"$T_DIR/tr" 2>"$T_DIR/tr.err"
expect_eq "trace: exit status 0" "$?" 0
expect_grep "-v: one tracepoint event per probe" \
	'^sonde: bpf: 3 probes, 3 programs, one tracepoint event per probe$' "$T_DIR/tr.err"
events "$T_DIR/tr" >"$T_DIR/tr.ev"
# the fixture's pid: the one every record of it carries
pid=$(sed -n 's/.* \([0-9][0-9]*\)\/[0-9][0-9]* \[.*task_rename: .*newcomm="tp-renamed".*/\1/p' "$T_DIR/tr" | head -n 1)
[ -n "$pid" ] || bail "no task_rename to tp-renamed" "$(cat "$T_DIR/tr" "$T_DIR/tr.err")"
{
	echo "sched_process_exec: filename=\"$fix\" pid=$pid old_pid=$pid"
	echo "task_rename: pid=$pid oldcomm=\"tp_writes\" newcomm=\"tp-renamed\" oom_score_adj=0"
	for r in 3 3 3 3 3 7 7 100; do
		echo "sys_exit_write: __syscall_nr=1 ret=$r"
	done
	echo "task_rename: pid=$pid oldcomm=\"tp-renamed\" newcomm=\"tp_writes\" oom_score_adj=0"
	echo "sched_process_exec: filename=\"$fix\" pid=$pid old_pid=$pid"
	for r in 11 11 11 11; do
		echo "sys_exit_write: __syscall_nr=1 ret=$r"
	done
} >"$T_DIR/tr.want"
# from the first exec on: before it the -c child is still sonde's
sed -n '/^sched_process_exec: /,$p' "$T_DIR/tr.ev" >"$T_DIR/tr.got"
expect_file_eq "trace: exec (the __data_loc filename), rename (char[16]) and write returns as tp_writes.c makes them" \
	"$T_DIR/tr.got" "$T_DIR/tr.want"
expect_eq "trace: every record is the fixture's (pid $pid)" \
	"$(sed -n 's/.* \([0-9][0-9]*\)\/[0-9][0-9]* \[.*/\1/p' "$T_DIR/tr" | sort -u)" "$pid"

# the process's own exit, though the followed set (-c) lets it go there
"$SONDE" trace --backend bpf -c "$fix" t:sched:sched_process_exit \
	>"$T_DIR/ex" 2>"$T_DIR/ex.err"
expect_eq "trace -c t:sched:sched_process_exit: the fixture's exit, once" \
	"$(events "$T_DIR/ex" | sed 's/ pid=[0-9]* / pid=P /; s/ prio=[0-9]*//; s/ group_dead=1//')" \
	'sched_process_exit: comm="tp_writes" pid=P'

# ... and counted in the kernel (the same order of programs there)
"$SONDE" count --backend bpf -c "$fix" t:sched:sched_process_exit --by comm \
	>"$T_DIR/exc" 2>"$T_DIR/exc.err"
expect_eq "count -c t:sched:sched_process_exit --by comm: the fixture's exit, once" \
	"$(awk '$1 == "sched_process_exit" { print $2, $3 }' "$T_DIR/exc")" "tp_writes 1"

# --- in-kernel tables ---
"$SONDE" count --backend bpf -v -c "$fix" t:syscalls:sys_enter_write \
	--by count >"$T_DIR/c" 2>"$T_DIR/c.err"
expect_grep "count -v: counted in the kernel" \
	'^sonde: sys_enter_write: counted in the kernel (BPF' "$T_DIR/c.err"
awk '$1 == "sys_enter_write" { print $2, $3 }' "$T_DIR/c" | sort -n >"$T_DIR/c.got"
printf '3 5\n7 2\n11 4\n100 1\n' >"$T_DIR/c.want"
expect_file_eq "count --by count: the sizes tp_writes.c writes, as often" \
	"$T_DIR/c.got" "$T_DIR/c.want"

"$SONDE" count --backend bpf -c "$fix" t:syscalls:sys_enter_write \
	t:syscalls:sys_exit_write --by comm >"$T_DIR/cc" 2>"$T_DIR/cc.err"
awk '$1 ~ /^sys_/ { print $1, $2, $3 }' "$T_DIR/cc" | sort >"$T_DIR/cc.got"
printf '%s\n' "sys_enter_write tp-renamed 8" "sys_enter_write tp_writes 4" \
	"sys_exit_write tp-renamed 8" "sys_exit_write tp_writes 4" >"$T_DIR/cc.want"
expect_file_eq "count of two tracepoints --by comm" "$T_DIR/cc.got" "$T_DIR/cc.want"

"$SONDE" hist --backend bpf -c "$fix" t:syscalls:sys_enter_write \
	--value count >"$T_DIR/h" 2>"$T_DIR/h.err"
awk '/^\[/ && $3 != 0 { print $1, $2, $3 }' "$T_DIR/h" >"$T_DIR/h.got"
printf '%s\n' "[2, 4) 5" "[4, 8) 2" "[8, 16) 4" "[64, 128) 1" >"$T_DIR/h.want"
expect_file_eq "hist --value count (log2): the fixture's sizes" "$T_DIR/h.got" "$T_DIR/h.want"
expect_grep "hist: count, sum, min, max of 3x5 + 7x2 + 100 + 11x4" \
	'^count 12, sum 173, avg 14, min 3, max 100$' "$T_DIR/h"

"$SONDE" hist --backend bpf -c "$fix" t:syscalls:sys_exit_write \
	--value ret --linear 0,120,10 >"$T_DIR/hl" 2>"$T_DIR/hl.err"
awk '/^\[/ && $3 != 0 { print $1, $2, $3 }' "$T_DIR/hl" >"$T_DIR/hl.got"
printf '%s\n' "[0, 10) 7" "[10, 20) 4" "[100, 110) 1" >"$T_DIR/hl.want"
expect_file_eq "hist --value ret --linear (a signed long field)" "$T_DIR/hl.got" "$T_DIR/hl.want"

# bpftrace's count of the same run, where it is installed
if command -v bpftrace >/dev/null 2>&1; then
	bpftrace -c "$fix" -e 'tracepoint:syscalls:sys_enter_write /pid == cpid/ { @[args->count] = count(); }' \
		>"$T_DIR/bt" 2>"$T_DIR/bt.err"
	sed -n 's/^@\[\([0-9]*\)\]: \([0-9]*\)$/\1 \2/p' "$T_DIR/bt" | sort -n >"$T_DIR/bt.got"
	expect_file_eq "count --by count: bpftrace counts the same" \
		"$T_DIR/c.got" "$T_DIR/bt.got"
else
	skip "count --by count: bpftrace counts the same" "no bpftrace"
fi

# the same tables from the events streamed and counted in user space
"$SONDE" count --backend bpf --in-user -c "$fix" t:syscalls:sys_enter_write \
	--by count >"$T_DIR/cu" 2>"$T_DIR/cu.err"
expect_file_eq "count --in-user (the records streamed) prints the kernel's table" \
	"$T_DIR/cu" "$T_DIR/c"

# -c follows the command's children (the followed set, follow.c): a shell
# that runs the fixture twice writes nothing itself
"$SONDE" count --backend bpf -c "sh -c '$fix; $fix'" t:syscalls:sys_enter_write \
	--by count >"$T_DIR/cf" 2>"$T_DIR/cf.err"
awk '$1 == "sys_enter_write" { print $2, $3 }' "$T_DIR/cf" | sort -n >"$T_DIR/cf.got"
printf '3 10\n7 4\n11 8\n100 2\n' >"$T_DIR/cf.want"
expect_file_eq "count -c: the command's two children, each counted" \
	"$T_DIR/cf.got" "$T_DIR/cf.want"

# --- -p: one process, while another makes the same records ---
mkfifo "$T_DIR/go"
start_bg "$fix" --wait <>"$T_DIR/go" >"$T_DIR/ready"
fpid=$BG
wait_line "$T_DIR/ready" '^ready$' || bail "fixture did not start"
start_bg "$SONDE" count --backend bpf -p "$fpid" t:syscalls:sys_enter_write \
	--by count >"$T_DIR/p" 2>"$T_DIR/p.err"
spid=$BG
sleep 1
"$fix" # the same records from another process, not counted
kill -USR1 "$fpid"
wait_exit "$fpid" 20
sleep 0.5
kill -INT "$spid" 2>/dev/null # it ends with the process
wait_exit "$spid" 10
awk '$1 == "sys_enter_write" { print $2, $3 }' "$T_DIR/p" | sort -n >"$T_DIR/p.got"
expect_file_eq "count -p: that process's writes only, not the other's" \
	"$T_DIR/p.got" "$T_DIR/c.want"

# system-wide, the tracer's own writes (its tables every second) are not
# among what it counts
start_bg "$SONDE" count --backend bpf -i 1 -d 3 t:syscalls:sys_enter_write \
	--by pid >"$T_DIR/self" 2>"$T_DIR/self.err"
spid=$BG
wait_exit "$spid" 20
ntables=$(grep -c '^-- [0-9:]* --$' "$T_DIR/self")
expect_eq "count system-wide: sonde's own writes left out (pid $spid, $ntables tables written)" \
	"$([ "$ntables" -ge 2 ] && echo written) $(awk -v p="$spid" '$1 == "sys_enter_write" && $2 == p' "$T_DIR/self")" \
	"written "

# sonde's programs hide nothing from other tracers: the AND of a
# tracepoint's programs decides whether its perf events (anyone's) get the
# hit, so perf stat counts the fixture's writes and a fork while sonde has
# a program on each (a streaming one, a count, the followed set's)
if command -v perf >/dev/null 2>&1 && [ -x "$FIXTURES/tp_prog" ]; then
	start_bg "$SONDE" trace --backend bpf -d 8 t:syscalls:sys_enter_write \
		>/dev/null 2>&1
	s1=$BG
	start_bg "$SONDE" count --backend bpf -d 8 t:syscalls:sys_enter_write \
		>/dev/null 2>&1
	s2=$BG
	start_bg "$SONDE" trace --backend bpf -c "sleep 8" t:task:task_rename \
		>/dev/null 2>&1
	s3=$BG
	sleep 3
	perf stat -x, -e syscalls:sys_enter_write -- "$fix" 2>"$T_DIR/ps" >/dev/null
	perf stat -x, -e sched:sched_process_fork -- "$FIXTURES/tp_prog" 7 9 1 \
		2>"$T_DIR/ps2" >/dev/null
	expect_eq "perf stat beside sonde's programs: the fixture's 12 writes, tp_prog's fork" \
		"$(sed -n 's/^\([0-9]*\),.*syscalls:sys_enter_write.*/\1/p' "$T_DIR/ps") $(sed -n 's/^\([0-9]*\),.*sched:sched_process_fork.*/\1/p' "$T_DIR/ps2")" \
		"12 1"
	for p in $s1 $s2 $s3; do
		kill -INT "$p" 2>/dev/null
		wait_exit "$p" 10
	done
else
	skip "perf stat beside sonde's programs" "no perf here"
fi

# --- what the bpf backend does not do, said in one sentence ---
"$SONDE" trace --backend bpf --filter 'count == 7' -c "$fix" \
	t:syscalls:sys_enter_write >/dev/null 2>"$T_DIR/f"
expect_eq "--filter on --backend bpf: exit 2" "$?" 2
expect_grep "--filter on --backend bpf: the reason" \
	'has a filter, which only the tracefs backend applies' "$T_DIR/f"
"$SONDE" count --backend bpf -c "$fix" t:sched:sched_process_exec \
	--by filename >/dev/null 2>"$T_DIR/s"
expect_grep "count --by a string field on --backend bpf: the reason" \
	"aggregates integer fields, and 'filename' of sched_process_exec is a string" "$T_DIR/s"

# --- the other backends, where they take tracepoints: the same output ---
for be in tracefs perf; do
	if ! "$SONDE" trace --backend $be -c true t:task:task_rename \
		>/dev/null 2>"$T_DIR/$be.probe"; then
		skip "trace --backend $be prints what bpf does" \
			"the $be backend does not take tracepoints: $(head -n 1 "$T_DIR/$be.probe")"
		continue
	fi
	"$SONDE" trace --backend $be -c "$fix" t:sched:sched_process_exec \
		tracepoint:task:task_rename t:syscalls:sys_exit_write >"$T_DIR/tr.$be" 2>&1
	events "$T_DIR/tr.$be" | sed -n '/^sched_process_exec: /,$p' >"$T_DIR/tr.$be.got"
	pid2=$(sed -n 's/^task_rename: pid=\([0-9]*\) .*/\1/p' "$T_DIR/tr.$be.got" | head -n 1)
	sed "s/=$pid /=$pid2 /g; s/=$pid\$/=$pid2/" "$T_DIR/tr.got" >"$T_DIR/tr.bpf.as.$be"
	expect_file_eq "trace --backend $be prints what bpf does" \
		"$T_DIR/tr.$be.got" "$T_DIR/tr.bpf.as.$be"
	"$SONDE" count --backend $be --in-user -c "$fix" t:syscalls:sys_enter_write \
		--by count >"$T_DIR/c.$be" 2>/dev/null
	expect_file_eq "count --by count on --backend $be: the bpf table" \
		"$T_DIR/c.$be" "$T_DIR/c"
done

hygiene_check "tracefs left as found"
finish
