#!/bin/bash
# What `meson install` puts down, and libsonde's pkg-config file: installed
# into a DESTDIR, the man pages and the bash completion are where man and
# bash-completion look; `pkg-config --static --libs libsonde` names every
# library libsonde.so needs (its DT_NEEDED, readelf -d, is the reference);
# docs/examples/trace_add.c links against libsonde.a with only what
# pkg-config gives (and fails without --static), and that program traces
# add() of fixture_pie with the values calls.c computes.
. "$(dirname "$0")/lib.sh"
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$(cd "$(dirname "$SONDE")/../.." && pwd)
require_file "$SONDE" "$FIXTURES/fixture_pie" "$BUILD/build.ninja"
for t in meson pkg-config cc readelf; do
	if ! command -v "$t" >/dev/null 2>&1; then
		skip "$T_NAME" "no $t"
		finish
	fi
done

D=$T_DIR/dest
if ! out=$(meson install -C "$BUILD" --no-rebuild --destdir "$D" 2>&1); then
	bail "meson install --destdir failed" "$out"
fi
pc=$(find "$D" -name libsonde.pc | head -n 1)
[ -n "$pc" ] || bail "no libsonde.pc installed" "$(cd "$D" && find .)"
prefix=$(sed -n 's/^prefix=//p' "$pc")
P=$D$prefix

for f in bin/sonde share/man/man1/sonde.1 share/man/man1/sonde-run.1 share/man/man3/libsonde.3 \
	share/bash-completion/completions/sonde include/sonde/sonde.h; do
	if [ -f "$P/$f" ]; then
		ok "installed: \$prefix/$f"
	else
		not_ok "installed: \$prefix/$f" "$(cd "$D" && find . -type f)"
	fi
done
bash -n "$P/share/bash-completion/completions/sonde" &&
	grep -q '^complete -F _sonde sonde$' \
		"$P/share/bash-completion/completions/sonde" &&
	ok "the completion file registers _sonde for sonde" ||
	not_ok "the completion file registers _sonde for sonde"

libdir=$(dirname "$(dirname "$pc")")
so=$(ls "$libdir"/libsonde.so.*.*.* 2>/dev/null | head -n 1)
[ -n "$so" ] || bail "no libsonde.so.X.Y.Z in $libdir"
export PKG_CONFIG_PATH=$(dirname "$pc")
PC="pkg-config --define-variable=prefix=$P"
static_libs=$($PC --static --libs libsonde) ||
	bail "pkg-config --static --libs libsonde failed" "$static_libs"

# DT_NEEDED lib<name>.so.N -> -l<name>; libc and the sanitizer runtimes
# come from the compiler driver.
missing=""
for n in $(readelf -dW "$so" | sed -n 's/.*Shared library: \[lib\(.*\)\.so.*\]/\1/p'); do
	case $n in c | asan | ubsan | m | gcc_s | stdc++ | pthread | dl) continue ;; esac
	case " $static_libs " in
	*" -l$n "*) ;;
	*) missing="$missing -l$n" ;;
	esac
done
if [ -z "$missing" ]; then
	ok "--static --libs covers every DT_NEEDED of libsonde.so"
else
	not_ok "--static --libs covers every DT_NEEDED of libsonde.so" \
		"missing:$missing
pkg-config: $static_libs"
fi

# libsonde.a: the objects libsonde.so is made of (libsonde_internal.a, a
# thin archive linked whole into it), in place of the shared library.
rm -f "$libdir"/libsonde.so*
if ! out=$(cd "$BUILD/src/lib" &&
	ar rcs "$libdir/libsonde.a" $(ar t libsonde_internal.a) 2>&1); then
	bail "could not make libsonde.a" "$out"
fi
san=$(grep -o -- '-fsanitize=[a-z,]*' "$BUILD/build.ninja" | head -n 1)
ex=$SRC/docs/examples/trace_add.c
# shellcheck disable=SC2086
if out=$(cc $san -o "$T_DIR/trace_add" "$ex" $($PC --cflags libsonde) \
	$static_libs 2>&1); then
	ok "trace_add.c links against libsonde.a with pkg-config --static"
else
	not_ok "trace_add.c links against libsonde.a with pkg-config --static" \
		"$out"
fi
# shellcheck disable=SC2086
out=$(cc $san -o "$T_DIR/trace_add_ns" "$ex" $($PC --cflags libsonde) \
	$($PC --libs libsonde) 2>&1)
case $out in
*"undefined reference to"*)
	ok "without --static: undefined references (the check can fail)" ;;
*) not_ok "without --static: undefined references (the check can fail)" \
	"$out" ;;
esac

if [ "$(id -u)" != 0 ] || [ ! -e "$TRACEFS/uprobe_events" ]; then
	skip "trace_add (static) traces add()" "needs root and uprobes"
	finish
fi
[ -x "$T_DIR/trace_add" ] || finish
# calls.c: add(i, 2 * i) returns 3 * i, i = 1..N
N=3
for i in $(seq 1 $N); do
	echo "add a=$i b=$((2 * i))"
	echo "add__return sum=$((3 * i))"
done >"$T_DIR/want"
hygiene_begin
start_bg "$T_DIR/trace_add" "$FIXTURES/fixture_pie" 10 \
	>"$T_DIR/out" 2>"$T_DIR/err"
tp=$BG
if wait_line "$T_DIR/err" "tracing 2 probes" 10; then
	"$FIXTURES/fixture_pie" $N >/dev/null
	wait_line "$T_DIR/out" "sum=$((3 * N))" 5
fi
kill -INT "$tp" 2>/dev/null
wait_exit "$tp" 10
expect_eq "trace_add (static): exit status" "$RC" 0
sed 's/ pid=[0-9]*//; s/  */ /g' "$T_DIR/out" >"$T_DIR/got"
expect_file_eq "trace_add (static): add's args and return values as in calls.c" \
	"$T_DIR/got" "$T_DIR/want"
hygiene_check "trace_add (static): tracefs left as found"
finish
