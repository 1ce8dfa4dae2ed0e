#!/bin/bash
# Chroots: -p PID of a process run by chroot(2) (same mount namespace, a
# root of its own). /proc/PID/maps names the chroot's files by their host
# paths; the library short name, an absolute path inside the chroot and the
# program must resolve to the very files the process maps (device and
# inode), never to the host's file of the same name. Counts are those of
# calls.c: with N and --lib, snprintf N * 2 times, add and lib_add N times.
. "$(dirname "$0")/lib.sh"
require_root
require_uprobes
require_file "$SONDE" "$FIXTURES/fixture_pie" "$FIXTURES/libfixture.so"
command -v chroot >/dev/null || { skip "$T_NAME" "no chroot"; finish; }

set -m # a background job keeps the stdin it is given (not /dev/null)
N=7
root=$T_DIR/root
mkdir -p "$root"
mkfifo "$T_DIR/go"
# the fixture, and each library ldd names at the same path inside
host_libc=
for lib in $(ldd "$FIXTURES/fixture_pie" | grep -o '/[^ ]*'); do
	case $lib in
	*/libfixture.so) continue ;;
	*/libc.so.*) host_libc=$lib ;;
	esac
	mkdir -p "$root$(dirname "$lib")"
	cp "$lib" "$root$lib"
done
[ -n "$host_libc" ] || bail "ldd names no libc" "$(ldd "$FIXTURES/fixture_pie")"
libdir=$(dirname "$host_libc")
cp "$FIXTURES/libfixture.so" "$root$libdir/"
cp "$FIXTURES/fixture_pie" "$root/fixture_pie"
# the chroot's libc is a modified copy: another inode, other bytes
printf 'sonde-test-chroot' >>"$root$host_libc"
bound=
unbind() { [ -z "$bound" ] || umount "$root$host_libc"; bound=; }
trap 'unbind; cleanup_lib' EXIT

# run_fixture: the fixture chrooted and waiting; its pid in $fpid
run_fixture()
{
	: >"$T_DIR/ready"
	start_bg chroot "$root" /fixture_pie "$N" --wait --lib \
		<>"$T_DIR/go" >"$T_DIR/ready"
	fpid=$BG
	wait_line "$T_DIR/ready" '^ready$' || bail "the chrooted fixture did not start"
}

# run_sonde NAME SONDE-ARGS...: sonde on the waiting fixture, then the
# fixture runs to its end; sonde's stdout in $T_DIR/out, stderr in err
run_sonde()
{
	local name=$1 spid
	shift
	start_bg "$SONDE" "$@" -v -p "$fpid" >"$T_DIR/out" 2>"$T_DIR/err"
	spid=$BG
	# count keeps no epoll fd
	if [ "$1" = count ]; then
		wait_probes "$spid"
	else
		wait_attached "$spid"
	fi || not_ok "$name: attached" "$(cat "$T_DIR/err")"
	kill -USR1 "$fpid"
	wait_exit "$fpid" 20
	wait_exit "$spid" 10
	expect_eq "$name: sonde's exit status" "$RC" 0
}

count_of() { awk -v p="$1" '$1 == p { print $2 }' "$T_DIR/out"; }

# the file sonde says it probed, as "PATH INODE"
probed()
{
	sed -n "s|^sonde: probing \(.*$1\) (device [0-9a-f:]*, inode \([0-9]*\))\$|\1 \2|p" \
		"$T_DIR/err" | head -n 1
}

hygiene_begin
if [ "$(stat -c %i "$host_libc")" = "$(stat -c %i "$root$host_libc")" ]; then
	bail "the chroot's libc copy has the host's inode"
fi
run_fixture
expect_eq "the fixture runs in its own root" "$(readlink "/proc/$fpid/root")" \
	"$(cd "$root" && pwd -P)"
run_sonde "different libc" count u:libc:snprintf u:fixture_pie:add \
	u:libfixture:lib_add
expect_eq "different libc: snprintf of the chroot's libc" \
	"$(count_of snprintf)" $((N * 2))
expect_eq "different libc: add" "$(count_of add)" "$N"
expect_eq "different libc: lib_add" "$(count_of lib_add)" "$N"
expect_eq "different libc: -v names the chroot's copy (host path, inode)" \
	"$(probed libc.so.6)" \
	"$(cd "$root" && pwd -P)$host_libc $(stat -c %i "$root$host_libc")"

# an absolute path inside the chroot, traced by tracefs: the chroot's file
run_fixture
run_sonde "absolute path" trace --backend tracefs \
	"u:$host_libc:snprintf" "u:/fixture_pie:add a=arg1:s32"
expect_eq "absolute path: snprintf events" \
	"$(events "$T_DIR/out" | grep -c '^snprintf:')" $((N * 2))
expect_eq "absolute path: add's arguments" \
	"$(events "$T_DIR/out" | sed -n 's/^add: a=//p' | tr '\n' ' ')" \
	"$(seq -s ' ' 1 "$N") "
expect_eq "absolute path: -v names the chroot's copy" \
	"$(probed libc.so.6 | cut -d' ' -f2)" "$(stat -c %i "$root$host_libc")"

# an empty target: each object the process maps that has the function
run_fixture
run_sonde "every object" count u::snprintf u::lib_add
expect_eq "every object: snprintf of the chroot's libc" \
	"$(count_of snprintf)" $((N * 2))
expect_eq "every object: lib_add" "$(count_of lib_add)" "$N"

# the same file as the host's (bind mount): the host's inode, probed
mount --bind "$host_libc" "$root$host_libc" && bound=1
run_fixture
run_sonde "same libc" count --backend perf u:libc:snprintf u:fixture_pie:add
expect_eq "same libc: snprintf" "$(count_of snprintf)" $((N * 2))
expect_eq "same libc: add" "$(count_of add)" "$N"
expect_eq "same libc: -v names a path to the host's inode" \
	"$(probed libc.so.6 | cut -d' ' -f2)" "$(stat -L -c %i "$host_libc")"
unbind

# a name the chroot does not have: never the host's library
run_fixture
"$SONDE" count -p "$fpid" -d 1 u:libm:cos >"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "a library only the host has: refused" "$?" 2
expect_grep "a library only the host has: the chroot's ld.so.cache named" \
	"/proc/$fpid/root/etc/ld.so.cache" "$T_DIR/err"
kill -USR1 "$fpid"
wait_exit "$fpid" 20

hygiene_check "chroot: tracefs left as found"
finish
