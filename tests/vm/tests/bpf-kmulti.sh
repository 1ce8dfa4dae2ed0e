#!/bin/bash
# k:GLOB through one kprobe_multi link (the bpf backend, on a kernel with
# CONFIG_FPROBE: tests/vm/build-kernel's, see tests/vm/README.md): sonde
# check names the path, the events stream and count exactly as through
# one kprobe PMU event per probe (SONDE_BPF_NO_MULTI=1) and through
# tracefs, and the counts are the kernel's own: kprobe events made here by
# hand on every function of the glob (available_filter_functions), read
# back from the trace file of a private instance.
. "$SRC_DIR/tests/integration/lib.sh"
require_root

if [ ! -x "$SONDE" ] || [ ! -x "$FIXTURES/open_sys" ]; then
	skip "$T_NAME" "no sonde or open_sys in the VM image"
	exit 0
fi
if [ ! -w "$TRACEFS/kprobe_events" ]; then
	skip "$T_NAME" "this kernel has no kprobe_events"
	exit 0
fi
"$SONDE" check >"$T_DIR/check" 2>&1
if ! grep -q '^kprobe_multi: *yes' "$T_DIR/check"; then
	skip "$T_NAME" "no kprobe_multi links in this kernel ($(grep '^kprobe_multi:' "$T_DIR/check"))"
	exit 0
fi

glob='vfs_*'
O=$FIXTURES/open_sys
file=/etc/sonde-vm.env
cmd="$O $file 0 0 21"

# The kernel's own list: every function of the glob ftrace can patch
# (vfs_* has no blacklisted one), once each; GCC's clones keep their
# suffix (vfs_foo.isra.0)
grep '^vfs_' "$TRACEFS/available_filter_functions" | sed 's/ .*//' |
	sort -u >"$T_DIR/funcs"
n=$(wc -l <"$T_DIR/funcs" | tr -d ' ')
if [ "$n" -le 8 ]; then
	bail "only $n functions match $glob here: the test needs more than 8"
fi

# --- sonde check SPEC: which path -------------------------------------------
hygiene_begin
"$SONDE" check "k:$glob" >"$T_DIR/c.auto" 2>&1
expect_eq "check: exit status" "$?" 0
expect_grep "check: the glob's $n functions" "^probes: *$n\$" "$T_DIR/c.auto"
expect_grep "check: auto takes bpf for more than 8 probes" \
	'^backend: *bpf (more than 8 probes' "$T_DIR/c.auto"
expect_grep "check: one kprobe_multi link for all $n" \
	"^bpf path: *kprobe_multi (1 link, $n functions)\$" "$T_DIR/c.auto"
SONDE_BPF_NO_MULTI=1 "$SONDE" check --backend bpf "k:$glob" >"$T_DIR/c.perf" 2>&1
expect_grep "check: SONDE_BPF_NO_MULTI: one perf event per probe, and why" \
	"^bpf path: *one perf event per probe ($n): SONDE_BPF_NO_MULTI is set\$" \
	"$T_DIR/c.perf"
"$SONDE" check --backend bpf "k:$glob" k:vfs_read+4 >"$T_DIR/c.off" 2>&1
expect_grep "check: FUNC+OFF is not for kprobe_multi, and why" \
	"^bpf path: *one perf event per probe ($((n + 1))): probe .* is FUNC+OFF" \
	"$T_DIR/c.off"
"$SONDE" check k:vfs_read k:vfs_write >"$T_DIR/c.two" 2>&1
expect_grep "check: 2 probes stay on tracefs, and why" \
	'^backend: *tracefs (2 probes: the bpf backend is taken for more than 8)' \
	"$T_DIR/c.two"
hygiene_check "check: tracefs left as found"

# --- the reference: kprobe events by hand, comm open_sys ----------------------
G=sondekm$$
I=$TRACEFS/instances/$G
ref_cleanup()
{
	[ -d "$I" ] && echo 0 >"$I/events/$G/enable" 2>/dev/null
	[ -d "$I" ] && rmdir "$I"
	grep "^[pr]:$G/" "$TRACEFS/kprobe_events" | sed 's/^[pr]:\([^ ]*\) .*/-:\1/' |
		while read -r l; do echo "$l" >>"$TRACEFS/kprobe_events"; done
}
hygiene_begin
while read -r f; do
	# an event name has no dots
	echo "p:$G/$(echo "$f" | tr . _) $f" >>"$TRACEFS/kprobe_events" ||
		not_ok "reference: kprobe event on $f"
done <"$T_DIR/funcs"
mkdir "$I"
for e in "$I"/events/"$G"/*/; do
	echo 'comm == "open_sys"' >"$e/filter"
done
echo 1 >"$I/events/$G/enable"
"$O" "$file" 0 0 21 >/dev/null
echo 0 >"$I/events/$G/enable"
# "  open_sys-123  [000] ..... 1.234: vfs_open: (vfs_open+0x0/0x40)"
sed -n "s/^ *open_sys-[0-9]* .* \([A-Za-z0-9_]*\): (.*/\1/p" "$I/trace" |
	sort | uniq -c | awk '{ print $2, $1 }' >"$T_DIR/ref"
ref_cleanup
hygiene_check "reference: tracefs left as found"
if grep -q '^vfs_open 2[1-9]$\|^vfs_open [3-9][0-9]$' "$T_DIR/ref"; then
	ok "reference: open_sys's 21 opens are in vfs_open"
else
	not_ok "reference: open_sys's 21 opens are in vfs_open" "$(cat "$T_DIR/ref")"
fi

# --- count: multi, perf, tracefs against the reference ------------------------
# links_gone NAME: once sonde has ended, no function is left hooked by
# ftrace (a kprobe_multi link is an fprobe: enabled_functions lists its
# functions while it lives), waiting up to 3 s for the kernel's release
links_gone()
{
	local n=0
	while [ -s "$TRACEFS/enabled_functions" ] && [ $n -lt 30 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	if [ -s "$TRACEFS/enabled_functions" ]; then
		not_ok "$1: no function left hooked after sonde ends" \
			"$(head -n 5 "$TRACEFS/enabled_functions")"
	else
		ok "$1: no function left hooked after sonde ends"
	fi
}

count_run()
{ # TAG BACKEND ENV...
	local tag=$1 be=$2
	shift 2
	hygiene_begin
	env "$@" "$SONDE" count -v --backend "$be" --by comm -c "$cmd" "k:$glob" \
		>"$T_DIR/n.$tag" 2>"$T_DIR/nerr.$tag"
	expect_eq "count $tag: exit status" "$?" 0
	hygiene_check "count $tag: tracefs left as found"
	links_gone "count $tag"
	awk '$2 == "open_sys" && $3 ~ /^[0-9]+$/ { print $1, $3 }' "$T_DIR/n.$tag" |
		sort >"$T_DIR/nc.$tag"
	# all of the -c child's hits, whatever its comm then
	awk '$3 ~ /^[0-9]+$/ { n[$1] += $3 } END { for (f in n) print f, n[f] }' \
		"$T_DIR/n.$tag" | sort >"$T_DIR/na.$tag"
}
count_run multi bpf SONDE_X=0
expect_grep "count multi: one kprobe_multi link" \
	"(BPF, kprobe_multi link)" "$T_DIR/nerr.multi"
expect_grep "count multi: counted in the kernel (BPF)" \
	"counted in the kernel (BPF" "$T_DIR/nerr.multi"
count_run perf bpf SONDE_BPF_NO_MULTI=1
expect_grep "count perf: one perf event per probe" \
	"one perf event per probe" "$T_DIR/nerr.perf"
count_run tracefs tracefs
# comm open_sys: after the exec, as the kernel's filter has it (a BPF
# program reads the comm when it runs)
expect_file_eq "count multi: the kernel's own counts, function by function" \
	"$T_DIR/nc.multi" "$T_DIR/ref"
expect_file_eq "count perf: the same" "$T_DIR/nc.perf" "$T_DIR/ref"
# tracefs records carry no comm (sonde reads /proc after the fact: the
# child's hits before its exec are open_sys's too): the whole child's
# counts, every comm summed, compared
expect_file_eq "count perf: the child's hits, as many as multi's" \
	"$T_DIR/na.perf" "$T_DIR/na.multi"
expect_file_eq "count tracefs: the child's hits, as many as multi's" \
	"$T_DIR/na.tracefs" "$T_DIR/na.multi"

# --- trace: the same events in the same order ---------------------------------
trace_run()
{ # TAG BACKEND ENV...
	local tag=$1 be=$2
	shift 2
	hygiene_begin
	env "$@" "$SONDE" trace -v --backend "$be" -c "$cmd" "k:$glob" \
		>"$T_DIR/t.$tag" 2>"$T_DIR/terr.$tag"
	expect_eq "trace $tag: exit status" "$?" 0
	hygiene_check "trace $tag: tracefs left as found"
	links_gone "trace $tag"
	# the child's events, with the probe address
	events "$T_DIR/t.$tag" >"$T_DIR/te.$tag"
}
trace_run auto auto
expect_grep "trace auto: $n probes take the bpf backend" \
	"$n probes: the bpf backend" "$T_DIR/terr.auto"
expect_grep "trace auto: through one kprobe_multi link" \
	"bpf: $n probes, 1 program, kprobe_multi links" "$T_DIR/terr.auto"
trace_run perf bpf SONDE_BPF_NO_MULTI=1
trace_run tracefs tracefs
# the events of comm open_sys (after the exec; bpf's comm is the one at
# the hit): the kernel's own counts
grep ' open_sys ' "$T_DIR/t.auto" >"$T_DIR/t.auto.exec"
events "$T_DIR/t.auto.exec" | sed 's/: .*//' | sort | uniq -c |
	awk '{ print $2, $1 }' >"$T_DIR/tc.auto"
expect_file_eq "trace multi: the kernel's own counts" "$T_DIR/tc.auto" "$T_DIR/ref"
expect_file_eq "trace multi: tracefs's events, in order, with their addresses" \
	"$T_DIR/te.auto" "$T_DIR/te.tracefs"
expect_file_eq "trace perf: the same" "$T_DIR/te.perf" "$T_DIR/te.tracefs"
expect_grep "trace multi: vfs_open at its entry" \
	'^vfs_open: (vfs_open+0x0/0x[0-9a-f]*)$' "$T_DIR/te.auto"

# --- kr:GLOB: return probes through one link too ------------------------------
hygiene_begin
for tag in multi perf; do
	e=SONDE_X=0
	[ $tag = perf ] && e=SONDE_BPF_NO_MULTI=1
	env $e "$SONDE" count -v --backend bpf --by comm -c "$cmd" "kr:$glob" \
		>"$T_DIR/r.$tag" 2>"$T_DIR/rerr.$tag"
	expect_eq "kr count $tag: exit status" "$?" 0
	links_gone "kr count $tag"
	awk '$2 == "open_sys" && $3 ~ /^[0-9]+$/ { sub(/__return$/, "", $1); print $1, $3 }' \
		"$T_DIR/r.$tag" | sort >"$T_DIR/rc.$tag"
done
hygiene_check "kr: tracefs left as found"
expect_grep "kr count multi: one kprobe_multi link" "(BPF, kprobe_multi link)" \
	"$T_DIR/rerr.multi"
expect_file_eq "kr count multi: as many returns as the kernel's entries" \
	"$T_DIR/rc.multi" "$T_DIR/ref"
expect_file_eq "kr count perf: the same" "$T_DIR/rc.perf" "$T_DIR/ref"
finish
