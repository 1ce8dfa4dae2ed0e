#!/bin/bash
# --cgroup PATH: probes see only the tasks of a cgroup (v2) and of its
# descendants. One fixture runs inside a new cgroup (add called N_IN
# times, calls.c), another outside (N_OUT times); each backend and path
# that takes --cgroup counts the inside one's only, tracefs refuses, and
# so do a missing path, a cgroup v1 directory and a plain directory.
# bpftrace's own cgroup filter (cgroup == cgroupid(PATH)) is the reference.
# tests/run: timeout 240
. "$(dirname "$0")/lib.sh"
require_root
require_uprobes
require_file "$SONDE" "$FIXTURES/fixture_pie"
v2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
[ -n "$v2" ] || { skip "$T_NAME" "no cgroup2 hierarchy mounted"; finish; }

set -m # a background job keeps the stdin it is given (not /dev/null)
bin=$(cd "$FIXTURES" && pwd)/fixture_pie
N_IN=5 N_OUT=7
cg=$v2/sonde-test-cgroup.$$
mkdir "$cg" "$cg/sub" || bail "cannot make a cgroup under $v2"
rm_cgroup()
{
	local d p
	for d in "$cg/sub" "$cg"; do
		# tasks left (a failed run): back to the root, then remove
		while read -r p; do
			echo "$p" >"$v2/cgroup.procs"
		done < <(cat "$d/cgroup.procs" 2>/dev/null)
		[ ! -d "$d" ] || rmdir "$d"
	done
}
trap 'rm_cgroup; cleanup_lib' EXIT
mkfifo "$T_DIR/in" "$T_DIR/out_go"

# start_pair CGROUP-DIR: the fixtures waiting, one in CGROUP-DIR ($in)
# and one outside ($out)
start_pair()
{
	: >"$T_DIR/ready_in"
	: >"$T_DIR/ready_out"
	start_bg "$bin" "$N_IN" --wait <>"$T_DIR/in" >"$T_DIR/ready_in"
	in=$BG
	echo "$in" >"$1/cgroup.procs" || bail "cannot move $in into $1"
	start_bg "$bin" "$N_OUT" --wait <>"$T_DIR/out_go" >"$T_DIR/ready_out"
	out=$BG
	wait_line "$T_DIR/ready_in" '^ready$' &&
		wait_line "$T_DIR/ready_out" '^ready$' ||
		bail "the fixtures did not start"
}

# run NAME CMD...: a tracer (sonde with --cgroup) on a started pair; its
# output in $T_DIR/got, status in $RC
run()
{
	local name=$1 spid
	shift
	start_bg "$@" >"$T_DIR/got" 2>"$T_DIR/err"
	spid=$BG
	wait_probes "$spid"
	kill -USR1 "$in" "$out"
	wait_exit "$in" 20
	wait_exit "$out" 20
	wait_exit "$spid" 15
	expect_eq "$name: exit status" "$RC" 0
	[ "$RC" = 0 ] || echo "# $(head -n 3 "$T_DIR/err")"
}

total() { awk '$1 == "total" { print $2 }' "$T_DIR/got"; }

hygiene_begin
spec="u:$bin:add a=arg1:s32"
for args in "count" "count --backend bpf" "count --backend perf" \
	"count --in-user" "count --in-user --backend bpf"; do
	start_pair "$cg"
	# shellcheck disable=SC2086 # the words of $args
	run "$args" "$SONDE" $args -d 30 -d 3 --cgroup "$cg" "u:$bin:add"
	expect_eq "$args: the inside fixture's calls only" "$(total)" "$N_IN"
done
for be in perf bpf; do
	start_pair "$cg"
	run "trace --backend $be" "$SONDE" trace --backend "$be" -d 3 \
		--cgroup "$cg" "$spec"
	expect_eq "trace --backend $be: the inside fixture's events" \
		"$(events "$T_DIR/got" | sed 's/^add: //' | tr '\n' ' ')" \
		"$(seq -s ' ' -f 'a=%g' 1 "$N_IN") "
	expect_eq "trace --backend $be: all of the inside process" \
		"$(awk '/ add: / { split($3, t, "/"); print t[1] }' "$T_DIR/got" | sort -u)" \
		"$in"
done
# by pid: one key, the inside process
start_pair "$cg"
run "count --by pid" "$SONDE" count --by pid -d 3 --cgroup "$cg" "u:$bin:add"
expect_eq "count --by pid: only the inside pid, N_IN times" \
	"$(awk '$1 == "add" { print $2, $3 }' "$T_DIR/got")" "$in $N_IN"
# a descendant's tasks are the cgroup's too
start_pair "$cg/sub"
run "a child cgroup" "$SONDE" count -d 3 --cgroup "$cg" "u:$bin:add"
expect_eq "a child cgroup's tasks are counted" "$(total)" "$N_IN"
# with -p: the bpf backend takes both; -p of the outside process: none
start_pair "$cg"
run "-p inside" "$SONDE" count -v -d 3 -p "$in" --cgroup "$cg" "u:$bin:add"
expect_eq "-p of the inside process: its calls" "$(total)" "$N_IN"
start_pair "$cg"
run "-p outside" "$SONDE" count -d 3 -p "$out" --cgroup "$cg" "u:$bin:add"
expect_eq "-p of the outside process: none" "$(total)" 0

# the reference: bpftrace's cgroup filter on the same pair
if command -v bpftrace >/dev/null; then
	start_pair "$cg"
	run "bpftrace" bpftrace -e \
		"uprobe:$bin:add /cgroup == cgroupid(\"$cg\")/ { @n = count(); }
		 interval:s:4 { exit(); }"
	expect_eq "bpftrace's count of the same cgroup" \
		"$(sed -n 's/^@n: //p' "$T_DIR/got")" "$N_IN"
else
	skip "bpftrace's count of the same cgroup" "no bpftrace"
fi

# refused, exit status 2, with a sentence
refuse()
{
	local name=$1 want=$2
	shift 2
	"$SONDE" count -d 1 "$@" "u:$bin:add" >/dev/null 2>"$T_DIR/err"
	expect_eq "$name: exit status" "$?" 2
	expect_grep "$name: said" "$want" "$T_DIR/err"
}
refuse "the tracefs backend" "the tracefs backend cannot limit probes to a cgroup" \
	--backend tracefs --cgroup "$cg"
refuse "a missing path" "--cgroup $cg/nonexistent: No such file" \
	--cgroup "$cg/nonexistent"
refuse "a plain directory" "is not a cgroup" --cgroup "$T_DIR"
v1=$(awk '$3 == "cgroup" { print $2; exit }' /proc/mounts)
if [ -n "$v1" ]; then
	refuse "a cgroup v1 directory" "is a cgroup v1 directory" --cgroup "$v1"
else
	skip "a cgroup v1 directory" "no cgroup v1 hierarchy mounted"
fi

hygiene_check "cgroup: tracefs left as found"
rm_cgroup
[ ! -d "$cg" ] && ok "the cgroup is removed" || not_ok "the cgroup is removed"
finish
