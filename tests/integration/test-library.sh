#!/bin/bash
# libsonde as an outside program sees it: the shared library exports only
# the public API (sonde_*, by version script), and an installed copy is
# found through pkg-config and builds and runs a program that uses it.
. "$(dirname "$0")/lib.sh"
require_root
B=$(cd "$(dirname "$FIXTURES")/.." && pwd)
SRC=$(cd "$(dirname "$0")/../.." && pwd)
lib=$(ls "$B"/src/lib/libsonde.so.* 2>/dev/null | head -n 1)
require_file "$lib" "$FIXTURES/fixture_pie"
for t in nm pkg-config cc meson; do
	command -v "$t" >/dev/null || { skip "library" "no $t"; finish; }
done

bad=$(nm -D --defined-only "$lib" | awk '$2 ~ /[TDBR]/ && $3 !~ /^sonde_/ {print $3}' |
	grep -v '^SONDE_' | head -n 5)
expect_eq "libsonde.so exports only sonde_* symbols" "$bad" ""
expect_grep "libsonde.so exports the session API" "sonde_session__open" \
	<(nm -D --defined-only "$lib")
expect_grep "exports carry the SONDE_0.1 version" "sonde_session__open@@SONDE_0.1" \
	<(nm -D --defined-only --with-symbol-versions "$lib" 2>/dev/null ||
		nm -D --defined-only "$lib")

dest=$T_DIR/dest
if DESTDIR=$dest meson install -C "$B" --no-rebuild >"$T_DIR/install" 2>&1; then
	ok "meson install into a staging directory"
else
	not_ok "meson install into a staging directory" "$(tail -n 20 "$T_DIR/install")"
	finish
fi
pc=$(find "$dest" -name libsonde.pc | head -n 1)
prefix=$(sed -n 's/^prefix=//p' "$pc")
# the staged tree stands in for the prefix
sed "s|^prefix=.*|prefix=$dest$prefix|" "$pc" >"$T_DIR/libsonde.pc"
export PKG_CONFIG_PATH=$T_DIR
# a sanitizer build's library needs its runtime first in the program
san=""
ldd "$lib" | grep -q libasan && san="-fsanitize=address,undefined"
if cc $san -o "$T_DIR/trace_add" "$SRC/docs/examples/trace_add.c" \
	$(pkg-config --cflags --libs libsonde) >"$T_DIR/cc" 2>&1; then
	ok "pkg-config --cflags --libs libsonde builds a program"
else
	not_ok "pkg-config --cflags --libs libsonde builds a program" "$(cat "$T_DIR/cc")"
	finish
fi
libdir=$(pkg-config --variable=libdir libsonde)
hygiene_begin
# trace_add traces every process for SECS seconds: run the fixture then
LD_LIBRARY_PATH=$libdir "$T_DIR/trace_add" "$FIXTURES/fixture_pie" 4 \
	>"$T_DIR/out" 2>"$T_DIR/err" &
tracer=$!
if wait_attached "$tracer" 10; then
	"$FIXTURES/fixture_pie" 2
else
	not_ok "trace_add attached" "$(cat "$T_DIR/err")"
fi
wait "$tracer"
expect_eq "the installed library traces: exit status" "$?" 0
expect_grep "the installed library traces: add's arguments" "a=1 b=2" "$T_DIR/out"
expect_grep "the installed library traces: add's return" "sum=3" "$T_DIR/out"
hygiene_check "library: tracefs left as found"
finish
