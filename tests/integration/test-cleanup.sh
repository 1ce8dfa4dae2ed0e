#!/bin/bash
# sonde cleanup removes the groups and instances of dead sessions (made here
# by hand, as a SIGKILLed sonde leaves them: with an unlocked lock file in
# /run/sonde) and never those of a live one (its lock held) nor those whose
# owner cannot be proven dead (no lock file: it says so); `sonde cleanup
# GROUP` removes a named one without a lock file, never a live one's.
. "$(dirname "$0")/lib.sh"
require_root
require_uprobes
require_file "$SONDE" "$FIXTURES/fixture_pie"
command -v readelf >/dev/null || { skip "$T_NAME" "no readelf"; finish; }

bin=$FIXTURES/fixture_pie
off=$(file_offset "$bin" add) || bail "no offset for add"
hygiene_begin

sh -c 'exit 0' &
dead=$!
wait "$dead"
kill -0 "$dead" 2>/dev/null && bail "pid $dead is not dead"
sh -c 'exit 0' &
nolock=$!
wait "$nolock"
mkdir -p /run/sonde || bail "cannot make /run/sonde"
: >"/run/sonde/sonde_$dead.lock"
: >"/run/sonde/sonde_${dead}_2.lock"
# the live owner: its pid names the group, it holds the lock
hold_owner_lock
live=$HOLDER

mk()
{
	echo "p:$1/add $bin:$off" >>"$TRACEFS/uprobe_events" &&
		mkdir "$TRACEFS/instances/$1"
}
mk "sonde_$dead" || bail "could not make a dead session's group"
mk "sonde_${dead}_2"
mk "sonde_$live"
mk "sonde_$nolock"
# not sonde's: must stay
echo "p:sondetest_$$/add $bin:$off" >>"$TRACEFS/uprobe_events"

"$SONDE" cleanup >"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "cleanup: exit status" "$?" 0

has_group() { grep -q "^p:$1/add " "$TRACEFS/uprobe_events"; }
has_inst() { [ -d "$TRACEFS/instances/$1" ]; }

for g in "sonde_$dead" "sonde_${dead}_2"; do
	if has_group "$g"; then not_ok "cleanup: dead $g group removed"; else ok "cleanup: dead $g group removed"; fi
	if has_inst "$g"; then not_ok "cleanup: dead $g instance removed"; else ok "cleanup: dead $g instance removed"; fi
done
if has_group "sonde_$live" && has_inst "sonde_$live"; then
	ok "cleanup: live session's group and instance kept"
else
	not_ok "cleanup: live session's group and instance kept"
fi
if has_group "sonde_$nolock" && has_inst "sonde_$nolock"; then
	ok "cleanup: a group without a lock file (not provably dead) kept"
else
	not_ok "cleanup: a group without a lock file (not provably dead) kept"
fi
for g in "sonde_$dead" "sonde_${dead}_2"; do
	if [ -e "/run/sonde/$g.lock" ]; then not_ok "cleanup: $g lock file removed"; else ok "cleanup: $g lock file removed"; fi
done
if has_group "sondetest_$$"; then
	ok "cleanup: a group not named sonde_<pid> kept"
else
	not_ok "cleanup: a group not named sonde_<pid> kept"
fi

expect_grep "cleanup: says which group it left and how to remove it" \
	"^left sonde_$nolock: it has no lock file in /run/sonde, so its owner cannot be proven dead .*: sonde cleanup sonde_$nolock\$" "$T_DIR/out"

# sonde cleanup GROUP: the user vouches that its owner is dead
"$SONDE" cleanup "sonde_$live" >"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "cleanup GROUP: a live session's: exit 1" "$?" 1
expect_grep "cleanup GROUP: a live session's: says so" "sonde_$live: its session is alive" "$T_DIR/err"
if has_group "sonde_$live" && has_inst "sonde_$live"; then
	ok "cleanup GROUP: a live session's group and instance kept"
else
	not_ok "cleanup GROUP: a live session's group and instance kept"
fi
"$SONDE" cleanup "sonde_$nolock" >"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "cleanup GROUP: one without a lock file: exit 0" "$?" 0
if has_group "sonde_$nolock" || has_inst "sonde_$nolock"; then
	not_ok "cleanup GROUP: one without a lock file: removed"
else
	ok "cleanup GROUP: one without a lock file: removed"
fi
expect_grep "cleanup GROUP: names what it removed" "removed probe sonde_$nolock/add" "$T_DIR/out"
"$SONDE" cleanup "sonde_$nolock" >"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "cleanup GROUP: gone already: exit 1" "$?" 1
expect_grep "cleanup GROUP: gone already: says so" "sonde_$nolock: no such group" "$T_DIR/err"
"$SONDE" cleanup "sondetest_$$" >"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "cleanup GROUP: not a session's name: exit 2" "$?" 2
if has_group "sondetest_$$"; then
	ok "cleanup GROUP: not a session's name: kept"
else
	not_ok "cleanup GROUP: not a session's name: kept"
fi

# undo what this test made
for g in "sonde_$dead" "sonde_${dead}_2" "sonde_$live" "sonde_$nolock"; do
	rm -f "/run/sonde/$g.lock"
	rmdir "$TRACEFS/instances/$g" 2>/dev/null
	has_group "$g" && echo "-:$g/add" >>"$TRACEFS/uprobe_events"
done
echo "-:sondetest_$$/add" >>"$TRACEFS/uprobe_events"
kill "$live"
hygiene_check "cleanup: tracefs left as found"

finish
