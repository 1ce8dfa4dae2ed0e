#!/bin/bash
# Debug files fetched from a debuginfod server: a real `debuginfod -F` on
# localhost serves the `objcopy --only-keep-debug` file of a program whose
# debug info was stripped. With DEBUGINFOD_URLS, a parameter by name (only
# in the DWARF) and a static function (only in the debug file's .symtab)
# are probed with the values the C source passes (dbg_prog.c: hidden_sum(i,
# 3 * i)), the file lands in DEBUGINFOD_CACHE_PATH byte for byte the
# served one, and -v says it was fetched. Without DEBUGINFOD_URLS, or with
# --no-debuginfod, nothing is asked and the probe fails as before; a
# cached file with another build-id is refused; a server that is down or
# never answers (DEBUGINFOD_TIMEOUT) is a warning and sonde goes on
# without it (MiniDebugInfo, or the usual error).
# tests/run: timeout 240
. "$(dirname "$0")/lib.sh"
require_root
require_uprobes
F=$FIXTURES
require_file "$SONDE" "$F/dbg_prog" "$F/dbg_mini" "$F/dwarf_entry_O0"
if ! command -v debuginfod >/dev/null; then
	skip "$T_NAME" "no debuginfod server (package debuginfod)"
	exit 0
fi
export -n DEBUGINFOD_URLS DEBUGINFOD_CACHE_PATH DEBUGINFOD_TIMEOUT
unset DEBUGINFOD_URLS DEBUGINFOD_CACHE_PATH DEBUGINFOD_TIMEOUT

hygiene_begin
mkdir -p "$T_DIR/srv" "$T_DIR/bin"
prog=$T_DIR/bin/prog   # .symtab kept, no DWARF
bare=$T_DIR/bin/bare   # no .symtab either: hidden_sum only in the debug file
mini=$T_DIR/bin/mini   # no .symtab, MiniDebugInfo
objcopy --only-keep-debug "$F/dbg_prog" "$T_DIR/srv/prog.debug"
strip --strip-debug -o "$prog" "$F/dbg_prog"
strip --strip-all -o "$bare" "$F/dbg_prog"
cp "$F/dbg_mini" "$mini"

id_of()
{
	readelf -n "$1" 2>/dev/null | awk '/Build ID/ { print $3 }'
}
id=$(id_of "$F/dbg_prog")
[ -n "$id" ] || bail "dbg_prog has no build-id"
for f in "$prog" "$bare" "$mini" "$T_DIR/srv/prog.debug"; do
	[ "$(id_of "$f")" = "$id" ] || bail "$f lost the build-id"
done
if readelf -SW "$prog" | grep -q ' \.debug_info '; then
	bail "the stripped program still has DWARF"
fi
if readelf -SW "$bare" | grep -qE ' \.symtab | \.gnu_debuglink '; then
	bail "the bare program still has .symtab or a .gnu_debuglink"
fi
[ "$(id_of "$F/dwarf_entry_O0")" != "$id" ] ||
	bail "the fixtures need two different build-ids"

# WANT N: the events the C source makes: hidden_sum(i, 3 * i), i = 1..N
want()
{
	local i
	for ((i = 1; i <= $1; i++)); do
		printf 'hidden_sum: %s=%d %s=%d\n' "$2" "$i" "$3" $((3 * i))
	done | paste -sd' '
}
got()
{
	events "$1" | paste -sd' '
}
NAMED="u:$prog:hidden_sum a b"

# --- no DEBUGINFOD_URLS: nothing is asked, the error is the usual one -----
"$SONDE" check >"$T_DIR/check" 2>&1
expect_grep "check: off without DEBUGINFOD_URLS" \
	'^debuginfod: *no (DEBUGINFOD_URLS is not set)$' "$T_DIR/check"
"$SONDE" trace -q -c "$prog 2" "$NAMED" >/dev/null 2>"$T_DIR/err"
expect_eq "no DEBUGINFOD_URLS: a parameter by name fails (exit 2)" "$?" 2
expect_grep "no DEBUGINFOD_URLS: says there is no debug info" \
	"$prog has no debug info (DWARF)" "$T_DIR/err"

# --- the server -------------------------------------------------------------
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url=http://127.0.0.1:$port
start_bg env -u DEBUGINFOD_URLS debuginfod -F -p "$port" -t 0 -g 0 \
	-d "$T_DIR/db.sqlite" "$T_DIR/srv" >"$T_DIR/server.log" 2>&1
server=$BG
# until it has scanned the file: its /buildid/ID/debuginfo answers
python3 - "$url/buildid/$id/debuginfo" "$T_DIR/served" <<'EOF' ||
import sys, time, urllib.request
for _ in range(300):
    try:
        with urllib.request.urlopen(sys.argv[1], timeout=2) as r:
            open(sys.argv[2], "wb").write(r.read())
            sys.exit(0)
    except Exception:
        time.sleep(0.1)
sys.exit(1)
EOF
	bail "debuginfod did not serve $id in 30 s" "$(cat "$T_DIR/server.log")"
expect_file_eq "the server serves the debug file" "$T_DIR/served" \
	"$T_DIR/srv/prog.debug"

export DEBUGINFOD_URLS=$url
"$SONDE" check >"$T_DIR/check" 2>&1
expect_grep "check: on with DEBUGINFOD_URLS" \
	"^debuginfod: *yes (DEBUGINFOD_URLS=$url)$" "$T_DIR/check"
"$SONDE" check --no-debuginfod >"$T_DIR/check" 2>&1
expect_grep "check: --no-debuginfod turns it off" \
	'^debuginfod: *no (--no-debuginfod)$' "$T_DIR/check"

# --- --no-debuginfod: nothing fetched ---------------------------------------
export DEBUGINFOD_CACHE_PATH=$T_DIR/cache-off
"$SONDE" trace -v --no-debuginfod -c "$prog 2" "$NAMED" >/dev/null \
	2>"$T_DIR/err"
expect_eq "--no-debuginfod: the parameter by name fails (exit 2)" "$?" 2
expect_eq "--no-debuginfod: nothing fetched" \
	"$(grep -c fetching "$T_DIR/err")/$(ls "$T_DIR/cache-off" 2>/dev/null |
		grep -c "$id")" "0/0"

# --- fetched: a parameter by name --------------------------------------------
export DEBUGINFOD_CACHE_PATH=$T_DIR/cache
"$SONDE" trace -v -c "$prog 3" "$NAMED" >"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "fetched: exit status" "$?" 0
expect_eq "fetched: a and b are what the C source passes" \
	"$(got "$T_DIR/out")" "$(want 3 a b)"
expect_grep "-v: says what is fetched from where" \
	"^sonde: fetching debug info for $id from $url" "$T_DIR/err"
expect_grep "-v: the debug file is the one in the cache" \
	"^sonde: debug info of $prog: $T_DIR/cache/$id/debuginfo$" "$T_DIR/err"
expect_file_eq "the cache holds the served file" \
	"$T_DIR/cache/$id/debuginfo" "$T_DIR/srv/prog.debug"
expect_eq "fetched: no warning" "$(grep -c warning "$T_DIR/err")" 0

# --- fetched: a static function only in the debug file's .symtab ----------
"$SONDE" trace -q -c "$bare 2" "u:$bare:hidden_sum x=arg1:s32 y=arg2:s32" \
	>"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "a function only in the debug file: exit status" "$?" 0
expect_eq "a function only in the debug file: the C source's values" \
	"$(got "$T_DIR/out")" "$(want 2 x y)"
want_addr=$(readelf -sW "$F/dbg_prog" |
	awk '$8 == "hidden_sum" { print $2 }')
expect_eq "list: hidden_sum at its address (readelf)" \
	"$("$SONDE" list -q "u:$bare:hidden*" 2>&1 | awk '{ print $1 }')" \
	"$(printf '%016x' "0x$want_addr")"
env -u DEBUGINFOD_URLS "$SONDE" trace -q -c "$bare 1" \
	"u:$bare:hidden_sum" >/dev/null 2>"$T_DIR/err"
expect_eq "a function only in the debug file, no DEBUGINFOD_URLS: exit 2" \
	"$?" 2
expect_grep "... no function 'hidden_sum'" "no function 'hidden_sum'" \
	"$T_DIR/err"

# --- a cached file with another build-id is refused ---------------------------
mkdir -p "$T_DIR/cache-wrong/$id"
objcopy --only-keep-debug "$F/dwarf_entry_O0" \
	"$T_DIR/cache-wrong/$id/debuginfo"
DEBUGINFOD_CACHE_PATH=$T_DIR/cache-wrong "$SONDE" trace -v -c "$prog 1" \
	"$NAMED" >"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "another build-id: not used (exit 2)" "$?" 2
expect_grep "another build-id: said why" \
	"$T_DIR/cache-wrong/$id/debuginfo was refused: its build-id differs from the file's" \
	"$T_DIR/err"
expect_eq "another build-id: no event" "$(got "$T_DIR/out")" ""

# --- the server stopped -------------------------------------------------------
kill -TERM "$server"
wait_exit "$server" 10
if [ "$RC" != 124 ]; then
	ok "the server stopped on SIGTERM"
else
	not_ok "the server stopped on SIGTERM" "killed after 10 s"
fi

"$SONDE" trace -v -c "$prog 2" "$NAMED" >"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "server down, in the cache: exit status" "$?" 0
expect_eq "server down, in the cache: the C source's values" \
	"$(got "$T_DIR/out")" "$(want 2 a b)"
expect_grep "server down, in the cache: -v says so" \
	"^sonde: debug info for $id from the debuginfod cache: $T_DIR/cache/$id/debuginfo$" \
	"$T_DIR/err"

export DEBUGINFOD_CACHE_PATH=$T_DIR/cache-down
"$SONDE" trace -c "$prog 1" "$NAMED" >"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "server down: the parameter by name fails (exit 2)" "$?" 2
expect_grep "server down: a warning" \
	"^sonde: warning: cannot fetch the debug info of $prog (build-id $id) from $url: Connection refused$" \
	"$T_DIR/err"
expect_grep "server down: the usual error, with why" \
	"$prog has no debug info (DWARF).*(debuginfod: Connection refused)" \
	"$T_DIR/err"
expect_eq "server down: warned once" \
	"$(grep -c 'warning: cannot fetch' "$T_DIR/err")" 1

export DEBUGINFOD_CACHE_PATH=$T_DIR/cache-mini
"$SONDE" trace -v -c "$mini 2" "u:$mini:hidden_sum x=arg1:s32 y=arg2:s32" \
	>"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "server down, MiniDebugInfo: exit status" "$?" 0
expect_eq "server down, MiniDebugInfo: the C source's values" \
	"$(got "$T_DIR/out")" "$(want 2 x y)"
expect_grep "server down, MiniDebugInfo: a warning" \
	"^sonde: warning: cannot fetch the debug info of $mini" "$T_DIR/err"

# --- a server that never answers: DEBUGINFOD_TIMEOUT --------------------------
start_bg python3 -c '
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0)); s.listen(16)
print(s.getsockname()[1], flush=True)
held = []
while True:
    held.append(s.accept()[0])
' >"$T_DIR/mute.port"
mute=$BG
for _ in $(seq 50); do
	[ -s "$T_DIR/mute.port" ] && break
	sleep 0.1
done
export DEBUGINFOD_URLS=http://127.0.0.1:$(cat "$T_DIR/mute.port")
export DEBUGINFOD_CACHE_PATH=$T_DIR/cache-mute
t0=$(date +%s%N)
DEBUGINFOD_TIMEOUT=1 DEBUGINFOD_RETRY_LIMIT=0 \
	"$SONDE" trace -c "$prog 1" "$NAMED" >/dev/null 2>"$T_DIR/err"
rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
expect_eq "no answer: the parameter by name fails (exit 2)" "$rc" 2
expect_grep "no answer: a warning naming DEBUGINFOD_TIMEOUT" \
	"^sonde: warning: cannot fetch the debug info of $prog .*: no answer in time (DEBUGINFOD_TIMEOUT)$" \
	"$T_DIR/err"
if [ "$ms" -lt 10000 ]; then
	ok "no answer: given up after DEBUGINFOD_TIMEOUT=1 ($ms ms)"
else
	not_ok "no answer: given up after DEBUGINFOD_TIMEOUT=1" "$ms ms"
fi
kill -TERM "$mute"
wait "$mute" 2>/dev/null

# --- no libdebuginfod.so.1: said once, as a warning ---------------------------
# hidden in a private mount namespace: an empty file bound over it
lib=$(ldconfig -p | awk '$1 == "libdebuginfod.so.1" { print $NF; exit }')
if [ -z "$lib" ] || ! unshare -m true 2>/dev/null; then
	skip "no library: said once" "no libdebuginfod.so.1, or no unshare -m"
else
	export DEBUGINFOD_URLS=$url DEBUGINFOD_CACHE_PATH=$T_DIR/cache-nolib
	: >"$T_DIR/empty"
	# another program with MiniDebugInfo (another build-id): two
	# files whose debug file is missing, both probed through their MDI
	"$(dirname "$0")/../fixtures/mkdebug.sh" mini "$F/dwarf_entry_O0" \
		"$T_DIR/bin/mini2"
	# shellcheck disable=SC2016 # expanded by the inner shell
	unshare -m sh -c 'mount --bind "$1" "$2" && shift 2 && exec "$@"' \
		sh "$T_DIR/empty" "$lib" "$SONDE" trace -c "$mini 2" \
		"u:$mini:hidden_sum x=arg1:s32 y=arg2:s32" \
		"u:$T_DIR/bin/mini2:main" >"$T_DIR/out" 2>"$T_DIR/err"
	expect_eq "no library, MiniDebugInfo: exit status" "$?" 0
	expect_eq "no library, MiniDebugInfo: the C source's values" \
		"$(got "$T_DIR/out")" "$(want 2 x y)"
	expect_grep "no library: a warning saying what to install" \
		"^sonde: warning: DEBUGINFOD_URLS is set but libdebuginfod.so.1 cannot be loaded: install libdebuginfod1 to fetch debug info$" \
		"$T_DIR/err"
	expect_eq "no library: said once for two files" \
		"$(grep -c 'warning: DEBUGINFOD_URLS' "$T_DIR/err")" 1
	unshare -m sh -c 'mount --bind "$1" "$2" && shift 2 && exec "$@"' \
		sh "$T_DIR/empty" "$lib" "$SONDE" trace -c "$prog 1" "$NAMED" \
		>/dev/null 2>"$T_DIR/err"
	expect_eq "no library: the parameter by name fails (exit 2)" "$?" 2
	expect_grep "no library: the usual error, with why" \
		"$prog has no debug info (DWARF).*(DEBUGINFOD_URLS is set but libdebuginfod.so.1 cannot be loaded: install libdebuginfod1)$" \
		"$T_DIR/err"
	unshare -m sh -c 'mount --bind "$1" "$2" && shift 2 && exec "$@"' \
		sh "$T_DIR/empty" "$lib" "$SONDE" check >"$T_DIR/check" 2>&1
	expect_grep "no library: check says so" \
		'^debuginfod: *no (DEBUGINFOD_URLS is set but libdebuginfod.so.1 cannot be loaded: install libdebuginfod1)$' \
		"$T_DIR/check"
fi

hygiene_check "tracefs left as found"
finish
