#!/bin/bash
# tracefs is not mounted at boot on some machines: sonde mounts it itself.
# The test unmounts tracefs (only when nothing else uses it), runs a real
# trace, and checks that sonde mounted it and traced; tracefs is mounted
# again by the test whatever happens.
. "$(dirname "$0")/lib.sh"
require_root
require_uprobes
require_file "$SONDE" "$FIXTURES/fixture_pie"

mnt=/sys/kernel/tracing
hygiene_begin
if [ "$TRACEFS" != "$mnt" ]; then
	skip "sonde mounts tracefs" "tracefs is at $TRACEFS, not $mnt"
	finish
fi
if [ -n "$(ls "$mnt/instances")" ] || [ -n "$(cat "$mnt/dynamic_events")" ]; then
	skip "sonde mounts tracefs" "tracefs is in use (instances or probes)"
	finish
fi
if ! umount "$mnt" 2>/dev/null; then
	skip "sonde mounts tracefs" "tracefs is busy and cannot be unmounted"
	finish
fi
remount() { mountpoint -q "$mnt" || mount -t tracefs nodev "$mnt"; }
trap remount EXIT

bin=$FIXTURES/fixture_pie
"$SONDE" trace -q -c "$bin 2" "u:$bin:add a=arg1:s32" >"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "unmounted tracefs: trace exit status" "$?" 0
if mountpoint -q "$mnt" && grep -q " $mnt tracefs " /proc/mounts; then
	ok "sonde mounted tracefs on $mnt"
else
	not_ok "sonde mounted tracefs on $mnt" "$(grep tracefs /proc/mounts)"
fi
expect_eq "unmounted tracefs: both calls traced" \
	"$(events "$T_DIR/out" | tr '\n' ,)" "add: a=1,add: a=2,"
remount
hygiene_check "mount: tracefs left as found"
finish
