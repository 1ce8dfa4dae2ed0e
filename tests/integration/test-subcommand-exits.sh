#!/bin/bash
# Every subcommand, every way it ends: a closed pipe (| head -1), SIGINT,
# SIGTERM, SIGHUP and SIGQUIT (while the probes are made and while events
# flow; trace also each other signal whose default is to end a process),
# -d, the -c command's exit and an error half-way through setup. Those that
# put probes in the kernel (trace, count, hist, latency, stack, format)
# leave uprobe_events and instances/ as they found them; list, check and
# cleanup end as any program does on a closed pipe.
. "$(dirname "$0")/lib.sh"
require_root
require_uprobes
bin=$FIXTURES/fixture_pie
many=$FIXTURES/libmany.so
require_file "$SONDE" "$bin" "$many"
set -m # background jobs get SIGINT like a terminal user's would

# hits on add all along: a loop of short runs of the fixture
start_bg bash -c "while :; do '$bin' 200; done"
load=$BG

# the subcommands that hold a session, each with one probe on add (a
# spec with arguments is one word) and the options it needs
holders="trace count hist latency stack format"
declare -A spec opt
for cmd in $holders; do
	spec[$cmd]="u:$bin:add"
	opt[$cmd]=""
done
spec[trace]="u:$bin:add a=arg1:s32"
spec[format]="u:$bin:add a=arg1:s32"
opt[hist]="--value arg1"

# ended CASE: sonde's status is in $RC, 124 when it had to be killed
ended()
{
	if [ "$RC" = 124 ]; then
		not_ok "$1: sonde exits" "$(tail -n 5 "$T_DIR/err")"
	else
		ok "$1: sonde exits (status $RC)"
	fi
}

# A closed pipe: the reader goes away after the first line. Tables come
# every 0.2 s (-i), so the second one meets the closed pipe.
for cmd in $holders; do
	hygiene_begin
	case $cmd in
	trace | format) extra="" ;;
	*) extra="-i 0.2" ;;
	esac
	# shellcheck disable=SC2086
	timeout -k 5 60 "$SONDE" $cmd $extra ${opt[$cmd]} "${spec[$cmd]}" 2>"$T_DIR/err" |
		head -n 1 >"$T_DIR/out"
	RC=${PIPESTATUS[0]}
	[ "$RC" = 124 ] || [ "$RC" = 137 ] && RC=124
	ended "$cmd | head -1"
	expect_eq "$cmd | head -1: one line read" "$(wc -l <"$T_DIR/out" | tr -d ' ')" 1
	hygiene_check "$cmd | head -1: tracefs left as found"
done
# format ends as any program whose reader left: by SIGPIPE (the issue's
# own case, on libc)
hygiene_begin
(timeout -k 5 30 "$SONDE" format -v 'u:libc:strlen' 2>&1
	echo "rc=$?" >"$T_DIR/rc") | head -n 2 >"$T_DIR/out"
expect_eq "format -v libc strlen | head -2: ends by SIGPIPE" "$(cat "$T_DIR/rc")" rc=141
hygiene_check "format -v libc strlen | head -2: tracefs left as found"

# list, check, cleanup: nothing of the kernel's is held, the default
# action of SIGPIPE ends them
for c in "list u:libc:*" "check" "cleanup"; do
	hygiene_begin
	# shellcheck disable=SC2086
	timeout -k 5 60 "$SONDE" $c 2>"$T_DIR/err" | head -n 1 >"$T_DIR/out"
	RC=${PIPESTATUS[0]}
	[ "$RC" = 124 ] || [ "$RC" = 137 ] && RC=124
	ended "${c%% *} | head -1"
	hygiene_check "${c%% *} | head -1: tracefs left as found"
done
expect_eq "list u:libc:* | head -1: ends by SIGPIPE" \
	"$(timeout 60 "$SONDE" list 'u:libc:*' 2>/dev/null | head -n 1 >/dev/null
		echo "${PIPESTATUS[0]}")" 141

# Signals while events flow (after 1.5 s), and at instants spread over a
# 40-function glob on tracefs: the probes written and enabled (0.05 s),
# events flowing or, for format, its probes being removed one by one
# (0.2 s, 0.4 s).
for cmd in $holders; do
	for run in "INT 1.5 one" "TERM 1.5 one" "HUP 1.5 one" "QUIT 1.5 one" \
		"INT 0.05 glob" "HUP 0.2 glob" "TERM 0.4 glob"; do
		set -- $run
		sig=$1 delay=$2
		[ $cmd = format ] && [ $3 = one ] && continue
		hygiene_begin
		if [ $3 = glob ]; then
			# shellcheck disable=SC2086
			start_bg "$SONDE" $cmd --backend tracefs ${opt[$cmd]} \
				"u:$many:f000[0-3]?" >"$T_DIR/out" 2>"$T_DIR/err"
		else
			# shellcheck disable=SC2086
			start_bg "$SONDE" $cmd ${opt[$cmd]} "${spec[$cmd]}" \
				>"$T_DIR/out" 2>"$T_DIR/err"
		fi
		# "one": events flow from the moment the probe is enabled, however
		# long a loaded machine takes to get there (count and hist keep
		# their counts in the kernel: no event ring for wait_attached to
		# see, the delay alone)
		case $3.$cmd in
		one.trace | one.latency | one.stack) wait_attached "$BG" 30 ;;
		esac
		sleep "$delay"
		kill -"$sig" "$BG" 2>/dev/null
		wait_exit "$BG" 60
		ended "$cmd SIG$sig at ${delay}s ($3)"
		hygiene_check "$cmd SIG$sig at ${delay}s ($3): tracefs left as found"
	done
done

# the other signals whose default is to end a process: trace ends through
# its teardown on each
for sig in USR1 USR2 ALRM VTALRM PROF XCPU XFSZ; do
	hygiene_begin
	start_bg "$SONDE" trace "${spec[trace]}" >"$T_DIR/out" 2>"$T_DIR/err"
	wait_attached "$BG" 30
	sleep 0.5
	kill -"$sig" "$BG" 2>/dev/null
	wait_exit "$BG" 30
	# the summary is the teardown's; events lost to a loaded machine are
	# not this test's matter
	expect_eq "trace SIG$sig: ends with status 0 and its summary" \
		"$RC $(tail -n 1 "$T_DIR/err" | sed 's/[0-9][0-9]* events, [0-9][0-9]* lost/N events, N lost/')" \
		"0 sonde: N events, N lost"
	hygiene_check "trace SIG$sig: tracefs left as found"
done

# -d: each ends by itself with status 0
for cmd in trace count hist latency stack; do
	hygiene_begin
	# shellcheck disable=SC2086
	start_bg "$SONDE" $cmd -d 0.5 ${opt[$cmd]} "${spec[$cmd]}" >"$T_DIR/out" 2>"$T_DIR/err"
	wait_exit "$BG" 20
	expect_eq "$cmd -d 0.5: status 0" "$RC" 0
	hygiene_check "$cmd -d 0.5: tracefs left as found"
done

# -c: the command's end ends sonde, with the command's status
for cmd in trace count hist latency stack; do
	hygiene_begin
	# shellcheck disable=SC2086
	timeout -k 5 60 "$SONDE" $cmd -c "$bin 3" ${opt[$cmd]} "${spec[$cmd]}" \
		>"$T_DIR/out" 2>"$T_DIR/err"
	expect_eq "$cmd -c: status 0" "$?" 0
	hygiene_check "$cmd -c: tracefs left as found"
	# shellcheck disable=SC2086
	timeout -k 5 60 "$SONDE" $cmd -c "sh -c 'exit 7'" ${opt[$cmd]} "u:$bin:add" \
		>"$T_DIR/out" 2>"$T_DIR/err"
	expect_eq "$cmd -c 'exit 7': the command's status" "$?" 7
done

# an error half-way: the first probe is made, the second cannot be
for cmd in $holders; do
	hygiene_begin
	# shellcheck disable=SC2086
	timeout -k 5 60 "$SONDE" $cmd -d 5 ${opt[$cmd]} "u:$bin:add" \
		"u:$bin:no_such_function_xyz" >"$T_DIR/out" 2>"$T_DIR/err"
	expect_eq "$cmd, unknown symbol in 2nd probe: status 2, named" \
		"$? $(grep -q no_such_function_xyz "$T_DIR/err" && echo named)" "2 named"
	hygiene_check "$cmd, unknown symbol in 2nd probe: tracefs left as found"
done

set +m # no job-control notice for the load loop's end
kill -KILL "$load" 2>/dev/null
wait "$load" 2>/dev/null
finish
