#!/bin/bash
# A live session survives sweeps from another pid namespace: `sonde cleanup`
# and a tracefs session's start sweep, both run under `unshare --pid`,
# where the pid in the host session's group name means nothing. The host
# session keeps its probe and instance and still receives events (values
# checked against calls.c: add(i, 2i) returns 3i); after it ends nothing is
# left. A live owner's probe not yet enabled (so not EBUSY) is kept too.
# A session SIGKILLed in the namespace is provably dead (its lock is
# free) and `sonde cleanup` from the host removes it.
. "$(dirname "$0")/lib.sh"
require_root
require_uprobes
require_file "$SONDE" "$FIXTURES/fixture_pie"
command -v unshare >/dev/null || { skip "$T_NAME" "no unshare"; finish; }
unshare --pid --fork --mount-proc true 2>/dev/null ||
	{ skip "$T_NAME" "cannot make a pid namespace"; finish; }

bin=$(cd "$(dirname "$FIXTURES/fixture_pie")" && pwd)/fixture_pie
S=$(cd "$(dirname "$SONDE")" && pwd)/$(basename "$SONDE")
hygiene_begin

# the host session: add's entry, for 25 s at most, ended by SIGINT
start_bg "$S" trace --backend tracefs -d 25 -o "$T_DIR/host" \
	"u:$bin:add a=%di:s32 b=%si:s32"
host=$BG
wait_attached "$host" 20 || bail "the host session did not attach"
grp=$(ls "$TRACEFS/instances" | grep "^sonde_${host}_" | head -1)
[ -n "$grp" ] || bail "no instance of the host session"

alive()
{
	[ -d "$TRACEFS/instances/$grp" ] &&
		grep -q "^p:$grp/" "$TRACEFS/uprobe_events"
}

# a live owner whose probe is not enabled yet (as between a session's
# creating and enabling it): no EBUSY from the kernel protects it, only
# the sweep's proof of death; it holds its lock as a session does
off=$(file_offset "$bin" add) || bail "no offset for add"
mkdir -p /run/sonde || bail "cannot make /run/sonde"
hold_owner_lock
idle=$HOLDER
echo "p:sonde_$idle/add $bin:$off" >>"$TRACEFS/uprobe_events" ||
	bail "could not make the idle owner's probe"
mkdir "$TRACEFS/instances/sonde_$idle"

unshare --pid --fork --mount-proc "$S" cleanup >"$T_DIR/ns.out" 2>&1
expect_eq "cleanup in a new pid namespace: exit status" "$?" 0
if alive; then
	ok "cleanup in a new pid namespace: host probe and instance kept"
else
	not_ok "cleanup in a new pid namespace: host probe and instance kept" \
		"$(cat "$T_DIR/ns.out")"
fi
if grep -q "^p:sonde_$idle/add " "$TRACEFS/uprobe_events" &&
	[ -d "$TRACEFS/instances/sonde_$idle" ]; then
	ok "cleanup in a new pid namespace: a live owner's disabled probe kept"
else
	not_ok "cleanup in a new pid namespace: a live owner's disabled probe kept" \
		"$(cat "$T_DIR/ns.out")"
fi

# a tracefs session started in the namespace sweeps at its start
unshare --pid --fork --mount-proc "$S" trace --backend tracefs -d 1 \
	-o "$T_DIR/ns.trace" "u:$bin:mul3" >"$T_DIR/ns2.out" 2>&1
expect_eq "session in a new pid namespace: exit status" "$?" 0
if alive && grep -q "^p:sonde_$idle/add " "$TRACEFS/uprobe_events" &&
	[ -d "$TRACEFS/instances/sonde_$idle" ]; then
	ok "session in a new pid namespace: its sweep kept the host's groups"
else
	not_ok "session in a new pid namespace: its sweep kept the host's groups" \
		"$(cat "$T_DIR/ns2.out")"
fi

"$bin" 5 >/dev/null
sleep 0.5
kill -INT "$host"
wait_exit "$host" 20
expect_eq "host session: exit status after SIGINT" "$RC" 0
want="add: a=1 b=2,add: a=2 b=4,add: a=3 b=6,add: a=4 b=8,add: a=5 b=10,"
expect_eq "host session: still receives events, values as calls.c passes" \
	"$(events "$T_DIR/host" | tr '\n' ,)" "$want"
if [ -e "/run/sonde/$grp.lock" ] || [ -d "$TRACEFS/instances/$grp" ] ||
	grep -q "^p:$grp/" "$TRACEFS/uprobe_events"; then
	not_ok "host session: nothing left after it ended"
else
	ok "host session: nothing left after it ended"
fi

rmdir "$TRACEFS/instances/sonde_$idle"
echo "-:sonde_$idle/add" >>"$TRACEFS/uprobe_events"
kill "$idle"
rm -f "/run/sonde/sonde_$idle.lock"

# a session SIGKILLed inside a namespace, swept from the host
unshare --pid --fork --mount-proc sh -c "
	'$S' trace --backend tracefs -d 60 'u:$bin:add' >/dev/null 2>&1 &
	n=0
	while [ \$n -lt 100 ]; do
		ls '$TRACEFS/instances' | grep -q \"^sonde_\$!_\" && break
		sleep 0.1; n=\$((n + 1))
	done
	sleep 0.5
	ls '$TRACEFS/instances' | grep \"^sonde_\$!_\" >'$T_DIR/killed'
	kill -KILL \$!
" 2>/dev/null
kgrp=$(head -1 "$T_DIR/killed")
if [ -n "$kgrp" ] && [ -d "$TRACEFS/instances/$kgrp" ] &&
	[ -e "/run/sonde/$kgrp.lock" ]; then
	ok "SIGKILL in a namespace: its group, instance and lock file left"
else
	not_ok "SIGKILL in a namespace: its group, instance and lock file left" \
		"group '$kgrp'"
fi
"$S" cleanup >"$T_DIR/host.cleanup" 2>&1
expect_eq "cleanup from the host: exit status" "$?" 0
if [ -n "$kgrp" ] && ! [ -d "$TRACEFS/instances/$kgrp" ] &&
	! grep -q "^p:$kgrp/" "$TRACEFS/uprobe_events" &&
	! [ -e "/run/sonde/$kgrp.lock" ]; then
	ok "cleanup from the host: the killed session's group removed"
else
	not_ok "cleanup from the host: the killed session's group removed" \
		"$(cat "$T_DIR/host.cleanup")"
fi

# on a failure, undo by hand what the namespace's pids hide from hygiene
if [ -n "$kgrp" ]; then
	rmdir "$TRACEFS/instances/$kgrp" 2>/dev/null
	for ev in $(sed -n "s/^[pr]:\($kgrp\/[^ ]*\) .*/\1/p" \
		"$TRACEFS/uprobe_events"); do
		echo "-:$ev" >>"$TRACEFS/uprobe_events"
	done
	rm -f "/run/sonde/$kgrp.lock"
fi
hygiene_check "pid namespaces: tracefs left as found"
finish
