#!/bin/bash
# Containers: -p PID of a process in its own mount namespace, running a
# private copy of the fixture at a path that does not exist outside it.
# The target path, a symlink inside that root (absolute: it must resolve
# in the container, not on the host) and a library short name (through the
# process's maps) all resolve inside /proc/PID/root.
. "$(dirname "$0")/lib.sh"
require_root
require_uprobes
require_file "$SONDE" "$FIXTURES/fixture_pie" "$FIXTURES/libfixture.so"
if ! command -v unshare >/dev/null || ! unshare -m true 2>/dev/null; then
	skip "$T_NAME" "cannot make a mount namespace (unshare -m)"
	finish
fi

set -m # a background job keeps the stdin it is given (not /dev/null)
ct=$T_DIR/ct
mkdir -p "$ct"
mkfifo "$T_DIR/go"
fix=$(cd "$FIXTURES" && pwd)
# inside: a tmpfs over $ct (empty outside), the program and its library
# copied in, and an absolute symlink to it
cat >"$T_DIR/inside.sh" <<EOT
mount -t tmpfs none "$ct" || exit 1
mkdir "$ct/app"
cp "$fix/fixture_pie" "$fix/libfixture.so" "$ct/app/"
ln -s "$ct/app/fixture_pie" "$ct/app/link"
exec "$ct/app/fixture_pie" 3 --wait --lib
EOT

hygiene_begin
start_bg unshare -m --propagation private bash "$T_DIR/inside.sh" \
	<>"$T_DIR/go" >"$T_DIR/ready"
upid=$BG
wait_line "$T_DIR/ready" '^ready$' || bail "the contained fixture did not start"
# unshare execs bash, which execs the fixture: the same pid
fpid=$upid
grep -q fixture_pie "/proc/$fpid/cmdline" 2>/dev/null ||
	bail "no fixture process" "$(cat "$T_DIR/ready" /proc/$fpid/cmdline 2>&1)"
if [ -e "$ct/app/fixture_pie" ]; then
	not_ok "the fixture's path does not exist outside"
else
	ok "the fixture's path does not exist outside"
fi

start_bg "$SONDE" trace -p "$fpid" "u:$ct/app/link:add a=arg1:s32" \
	"u:fixture:lib_add x=arg1:s32" >"$T_DIR/out" 2>"$T_DIR/err"
spid=$BG
if wait_attached "$spid"; then
	ok "-p: attached inside the container's root"
else
	not_ok "-p: attached inside the container's root" "$(cat "$T_DIR/err")"
fi
kill -USR1 "$fpid"
wait_exit "$upid" 20
wait_exit "$spid" 5
[ "$RC" = 124 ] && not_ok "sonde ends with the traced process"
for i in 1 2 3; do
	echo "add: a=$i"
	echo "lib_add: x=$i"
done >"$T_DIR/want"
events "$T_DIR/out" >"$T_DIR/got"
expect_file_eq "-p: the private copy traced through a symlink and a short name" \
	"$T_DIR/got" "$T_DIR/want"

hygiene_check "container: tracefs left as found"
finish
