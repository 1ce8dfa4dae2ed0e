# Shared helpers for sonde's integration tests; source it from bash.
#
# Each test script prints TAP lines ("ok N - name", "not ok N - name",
# "ok N - name # SKIP reason") and exits 0 when everything passed or was
# skipped, 1 otherwise. It runs on the host and in the busybox VM, so it
# sticks to POSIX options of grep/sed/awk and to busybox-compatible tools.
#
# Environment:
#   SONDE     the sonde binary (default: build/src/cli/sonde)
#   FIXTURES  built fixtures dir (default: build/tests/fixtures)
#   TRACEFS   tracefs mount point (default: /sys/kernel/tracing)
#   TMPDIR    scratch space (default: /tmp)

SONDE=${SONDE:-build/src/cli/sonde}
FIXTURES=${FIXTURES:-build/tests/fixtures}
TRACEFS=${TRACEFS:-/sys/kernel/tracing}

T_NUM=0
T_FAILED=0
T_NAME=$(basename "$0" .sh)
T_DIR=$(mktemp -d "${TMPDIR:-/tmp}/sonde-$T_NAME.XXXXXX")
T_BGPIDS=""

# --- TAP ------------------------------------------------------------------

ok()
{
	T_NUM=$((T_NUM + 1))
	echo "ok $T_NUM - $1"
}

# not_ok NAME [DETAIL]: DETAIL (may be multi-line) is printed as # comments.
not_ok()
{
	T_NUM=$((T_NUM + 1))
	T_FAILED=$((T_FAILED + 1))
	echo "not ok $T_NUM - $1"
	if [ -n "${2:-}" ]; then
		printf '%s\n' "$2" | head -n 40 | sed 's/^/#   /'
	fi
}

skip()
{
	T_NUM=$((T_NUM + 1))
	echo "ok $T_NUM - $1 # SKIP $2"
}

# check NAME CMD...: ok when CMD exits 0; its output is shown on failure.
check()
{
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then
		ok "$name"
	else
		not_ok "$name" "command: $*
$out"
	fi
}

expect_eq()
{
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		not_ok "$1" "got:  $2
want: $3"
	fi
}

# expect_file_eq NAME GOTFILE WANTFILE: compare two files, show a diff.
expect_file_eq()
{
	if cmp -s "$2" "$3"; then
		ok "$1"
	else
		not_ok "$1" "$(diff "$3" "$2" 2>&1 | head -n 30)"
	fi
}

# expect_grep NAME PATTERN FILE: FILE has a line matching the basic regex.
expect_grep()
{
	if grep -q -e "$2" "$3" 2>/dev/null; then
		ok "$1"
	else
		not_ok "$1" "no line matching '$2' in:
$(head -n 20 "$3" 2>/dev/null)"
	fi
}

# check_lines LABEL CMD...: run a checker (flame_check.py, out_check.py)
# whose lines are "ok<TAB>what" or "not ok<TAB>what<TAB>detail", as TAP.
check_lines()
{
	local label=$1 line what detail
	shift
	"$@" >"$T_DIR/check" 2>&1 ||
		not_ok "$label: ${2##*/} ran" "$(cat "$T_DIR/check")"
	while IFS=$'\t' read -r line what detail; do
		case $line in
		ok) ok "$label: $what" ;;
		"not ok") not_ok "$label: $what" "$detail" ;;
		*) not_ok "$label: ${2##*/} said" "$line $what $detail" ;;
		esac
	done <"$T_DIR/check"
}

# finish: the last line of every script.
finish()
{
	[ "$T_NUM" -gt 0 ] || echo "1..0 # no tests ran"
	[ "$T_FAILED" -eq 0 ]
	exit $?
}

# adopt_tap FILE: the TAP lines of another runner (tests/bt/run-cases),
# renumbered into this script's; its "not ok" without "# TODO" fail here.
adopt_tap()
{
	local line
	while IFS= read -r line; do
		case $line in
		"ok "*)
			T_NUM=$((T_NUM + 1))
			echo "ok $T_NUM ${line#ok * }"
			;;
		"not ok "*"# TODO"*)
			T_NUM=$((T_NUM + 1))
			echo "not ok $T_NUM ${line#not ok * }"
			;;
		"not ok "*)
			T_NUM=$((T_NUM + 1))
			T_FAILED=$((T_FAILED + 1))
			echo "not ok $T_NUM ${line#not ok * }"
			;;
		"1.."*) ;;
		*) echo "$line" ;;
		esac
	done <"$1"
}

# bail REASON: a broken precondition fails the script once.
bail()
{
	not_ok "$T_NAME: $1" "${2:-}"
	exit 1
}

require_root()
{
	if [ "$(id -u)" != 0 ]; then
		skip "$T_NAME" "needs root"
		exit 0
	fi
}

require_uprobes()
{
	if [ ! -e "$TRACEFS/uprobe_events" ]; then
		mount -t tracefs nodev "$TRACEFS" 2>/dev/null
		if [ ! -e "$TRACEFS/uprobe_events" ]; then
			skip "$T_NAME" "no uprobe_events in $TRACEFS"
			exit 0
		fi
	fi
}

# require_file PATH...: fixtures and the binary must have been built.
require_file()
{
	local f
	for f in "$@"; do
		[ -e "$f" ] || bail "missing $f (build first)"
	done
}

# --- processes --------------------------------------------------------------

# start_bg CMD...: start CMD in the background, remember it for the exit trap.
# The pid is left in $BG.
start_bg()
{
	"$@" &
	BG=$!
	T_BGPIDS="$T_BGPIDS $BG"
}

# wait_exit PID SECS: wait for a background child for at most SECS; its exit
# status is left in $RC (124 if it had to be killed).
wait_exit()
{
	local pid=$1 n=$(($2 * 10))
	while kill -0 "$pid" 2>/dev/null && [ "$n" -gt 0 ]; do
		# A zombie still answers kill -0: check the state.
		case "$(sed -n 's/^State:[[:space:]]*\(.\).*/\1/p' \
			/proc/"$pid"/status 2>/dev/null)" in
		Z | "") break ;;
		esac
		sleep 0.1
		n=$((n - 1))
	done
	if [ "$n" -le 0 ]; then
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		RC=124
		return
	fi
	wait "$pid"
	RC=$?
}

# wait_attached SONDEPID [SECS]: wait until the session of that sonde process
# has an enabled event in its own instance (instances/sonde_<pid>_N: its
# probes or a tracepoint), or its perf events or BPF links and the epoll fd
# that comes after them (the perf and bpf backends).
wait_attached()
{
	local pid=$1 n=$((${2:-10} * 10)) f
	while [ "$n" -gt 0 ]; do
		# events/enable of an instance: 0 none enabled, X some, 1 all
		for f in "$TRACEFS"/instances/sonde_"$pid"_*/events/enable; do
			case $(cat "$f" 2>/dev/null) in 1 | X) return 0 ;; esac
		done
		ls -l /proc/"$pid"/fd 2>/dev/null | grep -q 'anon_inode:\(\[perf_event\]\|bpf_link\)' &&
			ls -l /proc/"$pid"/fd 2>/dev/null | grep -q 'anon_inode:\[eventpoll\]' &&
			return 0
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}

# --- tracefs hygiene --------------------------------------------------------

tracefs_state()
{
	local f
	for f in uprobe_events kprobe_events dynamic_events; do
		[ -r "$TRACEFS/$f" ] || continue
		echo "== $f"
		sort "$TRACEFS/$f"
	done
	echo "== instances"
	ls "$TRACEFS/instances" 2>/dev/null | sort
}

# hygiene_diff BEFORE AFTER WORK: what changed, as a diff. On a shared
# machine other sessions and tools come and go: an entry named NAME_<pid>
# (sonde_<pid>_<n>, another tool's instance) counts only when it is new and
# its owner is dead, which is a leak; WORK is a scratch file prefix.
hygiene_diff()
{
	local pid alive=" " work=$3
	for pid in $(awk '{ n = $0; if (sub(/^[pr][0-9]*:/, "", n)) sub(/\/.*/, "", n)
		if (match(n, /_[0-9]+/)) print substr(n, RSTART + 1, RLENGTH - 1) }' \
		"$1" "$2" | sort -u); do
		kill -0 "$pid" 2>/dev/null && alive="$alive$pid "
	done
	awk -v alive="$alive" -v ob="$work.b" -v oa="$work.a" '
		function owner(l,   n) {
			n = l
			if (sub(/^[pr][0-9]*:/, "", n))
				sub(/\/.*/, "", n)
			else if (l ~ /^== / || l ~ /[ \/]/)
				return ""
			if (!match(n, /_[0-9]+/))
				return ""
			return substr(n, RSTART + 1, RLENGTH - 1)
		}
		FNR == NR {
			o = owner($0)
			if (o == "") print > ob
			else before[$0] = 1
			next
		}
		{
			o = owner($0)
			if (o == "") print > oa
			else if (index(alive, " " o " ") == 0 && !($0 in before))
				print > oa
		}' "$1" "$2"
	touch "$work.b" "$work.a"
	diff "$work.b" "$work.a"
}

hygiene_begin()
{
	tracefs_state >"$T_DIR/hygiene.before"
}

# remove_leftovers: undo whatever sonde left behind since hygiene_begin, so
# one leak fails one test instead of every test after it.
owner_alive()
{
	local pid=${1#sonde_}
	pid=${pid%%[!0-9]*}
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

remove_leftovers()
{
	local i ev f
	for i in $(ls "$TRACEFS/instances" 2>/dev/null); do
		case $i in sonde_*) ;; *) continue ;; esac
		grep -qx "$i" "$T_DIR/hygiene.before" && continue
		owner_alive "$i" && continue
		echo 0 >"$TRACEFS/instances/$i/tracing_on" 2>/dev/null
		rmdir "$TRACEFS/instances/$i" 2>/dev/null
	done
	for f in uprobe_events kprobe_events; do
		[ -w "$TRACEFS/$f" ] || continue
		for ev in $(sed -n 's/^[pr][0-9]*:\(sonde_[^ ]*\) .*/\1/p' \
			"$TRACEFS/$f"); do
			grep -q "^[pr][0-9]*:$ev " "$T_DIR/hygiene.before" &&
				continue
			owner_alive "$ev" && continue
			echo "-:$ev" >>"$TRACEFS/$f" 2>/dev/null
		done
	done
}

# hygiene_check NAME: uprobe/kprobe/dynamic events and instances/ are as
# hygiene_begin found them.
hygiene_check()
{
	local d n=0
	tracefs_state >"$T_DIR/hygiene.after"
	# another session on the machine may be removing its probes just as
	# its process ended: what is gone within 3 s was not ours to leave
	until d=$(hygiene_diff "$T_DIR/hygiene.before" \
		"$T_DIR/hygiene.after" "$T_DIR/hd"); do
		n=$((n + 1))
		[ "$n" -le 3 ] || break
		sleep 1
		tracefs_state >"$T_DIR/hygiene.after"
	done
	if [ "$n" -le 3 ]; then
		ok "$1"
	else
		not_ok "$1" "tracefs changed:
$d"
		remove_leftovers
	fi
}

# --- output parsing ---------------------------------------------------------

# events FILE: the "PROBE: name=value ..." part of each text event line
# ("  TIME COMM PID/TID [CPU] PROBE: ..."), in order.
events()
{
	sed -n 's/^ *[0-9][0-9]*\.[0-9]* .* [0-9][0-9]*\/[0-9][0-9]* \[[0-9][0-9]*\] \([A-Za-z_][A-Za-z0-9_]*:.*\)$/\1/p' "$1"
}

# json_events FILE: each JSON line rewritten as "PROBE: name=value ...",
# the same shape events() gives, so text and JSON compare against one list.
# Fails (and prints "JSON-ERROR ...") on a line that is not a valid object.
json_events()
{
	awk -f "$(dirname "${BASH_SOURCE[0]}")/json.awk" "$1"
}

# json_field FILE KEY: top-level KEY of each JSON line (time, pid, comm ...).
json_field()
{
	awk -v only="$2" -f "$(dirname "${BASH_SOURCE[0]}")/json.awk" "$1"
}

# wait_probes PID: wait until the tracer PID (sonde count, bpftrace) holds
# perf events or BPF links, as count does without an epoll fd, then a
# moment for them to be enabled; 1 if it ended first.
wait_probes()
{
	until ls -l "/proc/$1/fd" 2>/dev/null |
		grep -q 'anon_inode:\(\[perf_event\]\|bpf_link\)'; do
		kill -0 "$1" 2>/dev/null || return 1
		sleep 0.1
	done
	sleep 0.5
}

cleanup_lib()
{
	local p
	for p in $T_BGPIDS; do
		kill -KILL "$p" 2>/dev/null
	done
	rm -rf "$T_DIR"
}
trap cleanup_lib EXIT

# --- ELF ----------------------------------------------------------------------

# file_offset FILE SYM: the file offset of function SYM as "0x...", computed
# with binutils (symbol value -> the PT_LOAD segment holding it), so tests
# check sonde against an independent implementation.
file_offset()
{
	local v seg off va sz
	v=$(readelf -sW "$1" | awk -v s="$2" \
		'$4 == "FUNC" && $8 == s { print $2; exit }')
	[ -n "$v" ] || return 1
	v=$((16#$v))
	while read -r off va sz; do
		off=$((off)) va=$((va)) sz=$((sz))
		if [ "$v" -ge "$va" ] && [ "$v" -lt $((va + sz)) ]; then
			printf '0x%x\n' $((v - va + off))
			return 0
		fi
	done <<EOT
$(readelf -lW "$1" | awk '$1 == "LOAD" { print $2, $3, $5 }')
EOT
	return 1
}

# wait_line FILE PATTERN [SECS]: wait until FILE has a line matching PATTERN.
wait_line()
{
	local n=$((${3:-10} * 10))
	while [ "$n" -gt 0 ]; do
		grep -q -e "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}

# text_vs_file PID FILE: the bytes of PID's executable mapping of FILE
# that differ from the same range of the file (cmp -l lines, at most 5):
# empty when no breakpoint (int3) is left in the process's text.
text_vs_file()
{
	local pid=$1 file=$2 start end off s e o
	read -r start end off <<EOT
$(awk -v f="$(readlink -f "$file")" '$6 == f && $2 ~ /x/ {
	split($1, a, "-"); print a[1], a[2], $3; exit }' /proc/"$pid"/maps)
EOT
	[ -n "$start" ] || { echo "no mapping of $file"; return; }
	s=$((16#$start)) e=$((16#$end)) o=$((16#$off))
	dd if=/proc/"$pid"/mem iflag=skip_bytes,count_bytes skip=$s \
		count=$((e - s)) bs=65536 2>/dev/null >"$T_DIR/text.mem"
	dd if="$file" iflag=skip_bytes,count_bytes skip=$o count=$((e - s)) \
		bs=65536 2>/dev/null >"$T_DIR/text.file"
	cmp -l "$T_DIR/text.file" "$T_DIR/text.mem" 2>&1 | head -n 5
}

# hold_owner_lock: a background process that holds /run/sonde/sonde_PID.lock
# (PID its own) as a live session holds its group's lock; its pid in
# $HOLDER once the lock on the file at that path is surely held. A loaded
# machine can take seconds, and a sweep of another session can unlink a
# lock file it found free just before (the holder then holds a lock on a
# file gone from the path): then a new holder is started.
hold_owner_lock()
{
	local i try
	mkdir -p /run/sonde || bail "cannot make /run/sonde"
	for try in 1 2 3 4 5 6; do
		(exec 9>"/run/sonde/sonde_$BASHPID.lock" && flock 9 &&
			exec sleep 600) &
		HOLDER=$!
		T_BGPIDS="$T_BGPIDS $HOLDER"
		for i in $(seq 100); do
			flock -n "/run/sonde/sonde_$HOLDER.lock" true \
				2>/dev/null || return 0
			sleep 0.1
		done
		kill "$HOLDER" 2>/dev/null
		rm -f "/run/sonde/sonde_$HOLDER.lock"
	done
	bail "no lock file held in /run/sonde after 6 tries"
}

# trace_event_valid LABEL FILE: FILE passes trace_event_check.py (the
# Trace Event Format's rules); its summary is left in FILE.sum
trace_event_valid()
{
	if python3 "$(dirname "${BASH_SOURCE[0]}")/trace_event_check.py" \
		"$2" >"$2.sum" 2>"$2.err"; then
		ok "$1: a valid Trace Event Format file"
		return 0
	fi
	not_ok "$1: a valid Trace Event Format file" \
		"$(cat "$2.err"; head -c 600 "$2")"
	return 1
}
