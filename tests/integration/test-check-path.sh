#!/bin/bash
# sonde check PROBE...: how many probes the specs make, the backend they
# take (auto's choice and why) and how the bpf backend attaches them (one
# uprobe_multi link per file, kind and argument list, or one perf event
# per probe, and why), told before anything reaches the kernel. The
# probes are functions of fixture_pie named in its C source
# (tests/fixtures/calls.c); the VM test bpf-kmulti covers kprobe_multi.
. "$(dirname "$0")/lib.sh"
require_root
require_uprobes
require_file "$SONDE" "$FIXTURES/fixture_pie"
"$SONDE" check >"$T_DIR/feat" 2>&1
if ! grep -q '^uprobe_multi: *yes' "$T_DIR/feat"; then
	skip "$T_NAME" "no uprobe_multi links here"
	finish
fi

bin=$(readlink -f "$FIXTURES/fixture_pie")
hygiene_begin

# 7 entries (one group: same kind, file, no arguments) and 2 returns
# (another): 9 probes, 2 links
nine=()
for f in add mul3 greet fact slow work main; do
	nine+=("u:$bin:$f")
done
nine+=("ur:$bin:add" "ur:$bin:mul3")
"$SONDE" check "${nine[@]}" >"$T_DIR/nine" 2>&1
expect_eq "9 probes: exit status" "$?" 0
expect_grep "9 probes: counted" '^probes: *9$' "$T_DIR/nine"
expect_grep "9 probes: auto takes bpf, and says why" \
	'^backend: *bpf (more than 8 probes: multi links make and remove them at once)$' \
	"$T_DIR/nine"
expect_grep "9 probes: 2 uprobe_multi links (entries, returns)" \
	'^bpf path: *uprobe_multi (2 links, 9 probes)$' "$T_DIR/nine"

# an argument list of its own is a group of its own
"$SONDE" check "${nine[@]}" "u:$bin:add a=arg1:s32" >"$T_DIR/ten" 2>&1
expect_grep "10 probes, one with arguments: 3 links" \
	'^bpf path: *uprobe_multi (3 links, 10 probes)$' "$T_DIR/ten"

SONDE_BPF_NO_MULTI=1 "$SONDE" check "${nine[@]}" >"$T_DIR/nomulti" 2>&1
expect_grep "SONDE_BPF_NO_MULTI: one perf event per probe, and why" \
	'^bpf path: *one perf event per probe (9): SONDE_BPF_NO_MULTI is set$' \
	"$T_DIR/nomulti"

"$SONDE" check "u:$bin:add" "ur:$bin:add" >"$T_DIR/two" 2>&1
expect_grep "2 probes: auto keeps tracefs, and says why" \
	'^backend: *tracefs (2 probes: the bpf backend is taken for more than 8)$' \
	"$T_DIR/two"
"$SONDE" check --backend perf "u:$bin:add" >"$T_DIR/perf" 2>&1
expect_grep "--backend perf: asked for" '^backend: *perf (asked for)$' "$T_DIR/perf"

# a filter is the tracefs backend's: auto leaves bpf for it
"$SONDE" check --filter 'common_pid > 0' "${nine[@]}" >"$T_DIR/filter" 2>&1
expect_grep "9 probes with a filter: not bpf, and why" \
	'^backend: *tracefs (not the bpf backend: probe .* has a filter, which only the tracefs backend applies)$' \
	"$T_DIR/filter"

# a bad spec: the spec error, exit 2, as trace gives it
"$SONDE" check "u:$bin:no_such_function" >"$T_DIR/bad" 2>&1
expect_eq "a function that does not exist: exit status 2" "$?" 2
expect_grep "a function that does not exist: says so" 'no_such_function' "$T_DIR/bad"

# nothing reached the kernel
if grep -q "$bin" "$TRACEFS/uprobe_events"; then
	not_ok "no uprobe made" "$(cat "$TRACEFS/uprobe_events")"
else
	ok "no uprobe made"
fi
hygiene_check "tracefs left as found"
finish
