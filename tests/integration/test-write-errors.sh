#!/bin/bash
# Write errors: every subcommand with -o /dev/full and with standard output
# on /dev/full stops at the first failed write, says which file and why
# (glibc's text for ENOSPC), exits 1 (the man page's runtime error, even
# with -c, whose command is ended) and leaves uprobe_events and instances/
# as it found them. A reader that goes away (| head -1, a FIFO) ends sonde
# quietly by SIGPIPE (status 141, as for any program in a pipeline), after
# its probes are removed.
. "$(dirname "$0")/lib.sh"
require_root
require_uprobes
bin=$FIXTURES/fixture_pie
require_file "$SONDE" "$bin"
ENOSPC="No space left on device"

# hits on add all along: a loop of short runs of the fixture
start_bg bash -c "while :; do '$bin' 200 >/dev/null; done"

holders="trace count hist latency stack format"
declare -A spec opt
for cmd in $holders; do
	spec[$cmd]="u:$bin:add"
	opt[$cmd]=""
done
spec[trace]="u:$bin:add a=arg1:s32"
spec[format]="u:$bin:add a=arg1:s32"
opt[hist]="--value arg1"

# run CASE STDOUT CMD...: sonde's status in $RC (124: it did not stop by
# itself within 30 s), its stderr in $T_DIR/err
run()
{
	local name=$1 out=$2
	shift 2
	timeout -k 5 30 "$@" >"$out" 2>"$T_DIR/err"
	RC=$?
	[ "$RC" = 137 ] && RC=124
	expect_eq "$name: status 1" "$RC" 1
}

# said CASE WHAT: stderr has "sonde: writing WHAT: No space left on
# device", exactly once, and no event summary after it
said()
{
	local want="sonde: writing $2: $ENOSPC"
	expect_eq "$1: says which file and why, once" \
		"$(grep -c -F -x -e "$want" "$T_DIR/err")" 1
	if grep -q ' events, ' "$T_DIR/err"; then
		not_ok "$1: no summary of events that were not written" \
			"$(cat "$T_DIR/err")"
	else
		ok "$1: no summary of events that were not written"
	fi
}

# Runs that only end by themselves at the write error: no -d, no -c; the
# tables every 0.2 s (-i) so count, hist, latency and stack write while
# the probes are in place.
for cmd in $holders; do
	case $cmd in
	trace | format) extra="" ;;
	*) extra="-i 0.2" ;;
	esac
	for where in o stdout; do
		hygiene_begin
		if [ $where = o ]; then
			# shellcheck disable=SC2086
			run "$cmd -o /dev/full" /dev/null "$SONDE" $cmd $extra ${opt[$cmd]} \
				-o /dev/full "${spec[$cmd]}"
			said "$cmd -o /dev/full" /dev/full
		else
			# shellcheck disable=SC2086
			run "$cmd >/dev/full" /dev/full "$SONDE" $cmd $extra \
				${opt[$cmd]} "${spec[$cmd]}"
			said "$cmd >/dev/full" "standard output (/dev/full)"
		fi
		hygiene_check "$cmd $where on /dev/full: tracefs left as found"
	done
done

# The final table only (no -i): the error is met at the last flush.
for cmd in count hist latency stack; do
	hygiene_begin
	# shellcheck disable=SC2086
	run "$cmd -d 1 -o /dev/full" /dev/null "$SONDE" $cmd -d 1 ${opt[$cmd]} \
		-o /dev/full "${spec[$cmd]}"
	said "$cmd -d 1 -o /dev/full" /dev/full
	hygiene_check "$cmd -d 1 -o /dev/full: tracefs left as found"
done

# With -c: status 1, not the command's 0; the command does not outlive
# sonde (it would run for minutes).
for cmd in trace count; do
	hygiene_begin
	tag=$((900000 + RANDOM))
	extra=""
	[ $cmd = count ] && extra="-i 0.2"
	# shellcheck disable=SC2086
	run "$cmd -c -o /dev/full" /dev/null "$SONDE" $cmd $extra \
		-c "$bin $tag" -o /dev/full "u:$bin:add"
	said "$cmd -c -o /dev/full" /dev/full
	sleep 0.2
	if pgrep -f "fixture_pie $tag" >/dev/null; then
		not_ok "$cmd -c -o /dev/full: the command is ended" \
			"$(pgrep -a -f "fixture_pie $tag")"
		pkill -KILL -f "fixture_pie $tag"
	else
		ok "$cmd -c -o /dev/full: the command is ended"
	fi
	hygiene_check "$cmd -c -o /dev/full: tracefs left as found"
done

# What holds no session writes to stdout too: the error at exit.
for c in "list u:$bin:*" "check" "cleanup" "--help" "--version" \
	"trace --help"; do
	# shellcheck disable=SC2086
	run "${c%% *} >/dev/full" /dev/full "$SONDE" $c
	said "${c%% *} >/dev/full" "standard output (/dev/full)"
done

# A closed pipe: the reader goes away after the first line. Quiet, status
# 141 (SIGPIPE, as perf, grep or cat end), probes removed.
for cmd in $holders; do
	case $cmd in
	trace | format) extra="" ;;
	*) extra="-i 0.2" ;;
	esac
	hygiene_begin
	# shellcheck disable=SC2086
	timeout -k 5 30 "$SONDE" $cmd $extra ${opt[$cmd]} "${spec[$cmd]}" \
		2>"$T_DIR/err" | head -n 1 >"$T_DIR/out"
	RC=${PIPESTATUS[0]}
	# format writes its few lines at once: head may still be reading
	[ $cmd = format ] && [ "$RC" = 0 ] && RC=141
	expect_eq "$cmd | head -1: ends by SIGPIPE" "$RC" 141
	# (stack unwinds copied stacks: a fixture run that was already
	# going at attach and is gone before its first stack is read has no
	# maps to unwind with, and sonde says so once)
	expect_eq "$cmd | head -1: nothing on stderr" \
		"$(grep -v '^sonde: warning: process [0-9]* exited before its maps were read: ' \
			"$T_DIR/err")" ""
	expect_eq "$cmd | head -1: the reader got its line" \
		"$(wc -l <"$T_DIR/out" | tr -d ' ')" 1
	hygiene_check "$cmd | head -1: tracefs left as found"
done
timeout -k 5 30 "$SONDE" list "u:$bin:*" 2>"$T_DIR/err" |
	head -n 1 >/dev/null
RC=${PIPESTATUS[0]}
# list writes its 19 lines at once: head may still be reading then
case $RC in 0 | 141) ok "list | head -1: 0 or SIGPIPE ($RC)" ;;
*) not_ok "list | head -1: 0 or SIGPIPE" "status $RC $(cat "$T_DIR/err")" ;;
esac

# A full pipe whose reader leaves: the kernel cuts a write short (it
# returns what it copied and sends SIGPIPE, fs/pipe.c pipe_write()); the
# same quiet end, never "Input/output error" (6 of 10 runs before).
bad=""
hygiene_begin
for i in 1 2 3 4 5 6; do
	timeout -k 5 30 "$SONDE" trace "${spec[trace]}" 2>"$T_DIR/err" |
		(sleep 1.5; head -c 1 >/dev/null)
	RC=${PIPESTATUS[0]}
	[ "$RC" = 141 ] && [ ! -s "$T_DIR/err" ] ||
		bad="$bad
run $i: status $RC: $(cat "$T_DIR/err")"
done
expect_eq "trace into a full pipe whose reader leaves: SIGPIPE, nothing on stderr (6 runs)" \
	"$bad" ""
hygiene_check "trace into a full pipe: tracefs left as found"

# -o FIFO whose reader leaves after one line: the same quiet end.
hygiene_begin
mkfifo "$T_DIR/fifo"
head -n 1 "$T_DIR/fifo" >"$T_DIR/out" &
reader=$!
timeout -k 5 30 "$SONDE" trace -o "$T_DIR/fifo" "u:$bin:add" 2>"$T_DIR/err"
RC=$?
wait "$reader"
expect_eq "trace -o FIFO, reader gone: ends by SIGPIPE" "$RC" 141
expect_eq "trace -o FIFO, reader gone: nothing on stderr" \
	"$(cat "$T_DIR/err")" ""
expect_grep "trace -o FIFO: the reader got an event" "\] add:" "$T_DIR/out"
hygiene_check "trace -o FIFO, reader gone: tracefs left as found"

finish
