#!/bin/bash
# Paths the kernel's uprobe_events parser misreads: it cuts a line at '#'
# and splits it on isspace() (' ' \t \n \v \f \r and 0xa0), so a symlink to
# a file named "a:0x15ec#x" once put the probe on the file "a" at offset
# 0x15ec. Through a symlink to a copy of the fixture whose name holds such a
# byte, each backend either refuses (exit 2, the byte named) or traces the
# right file: add's arguments as calls.c passes them, add(i, 2i). (tracefs
# refuses; so does perf for one process, whose probes are tracefs-made
# events; perf on the whole system uses the PMU and bpf uprobe_multi, which
# take the path as a string: both trace.) Never a
# probe on another file (a decoy "a" sits where a cut path would land);
# tracefs left as found.
. "$(dirname "$0")/lib.sh"
require_root
require_uprobes
require_file "$SONDE" "$FIXTURES/fixture_pie" "$FIXTURES/libfixture.so"

hygiene_begin
d=$T_DIR/h
mkdir "$d" || bail "no scratch dir"
cp "$FIXTURES/fixture_pie" "$FIXTURES/libfixture.so" "$d/" || bail "cp"
cp "$FIXTURES/fixture_pie" "$d/a" # the decoy
want="add: a=1 b=2,add: a=2 b=4,add: a=3 b=6,"

# try NAME LABEL REFUSED_ON_TRACEFS
try()
{
	local f="$d/$1" label=$2 bad=$3 be rc out
	cp "$d/fixture_pie" "$f" || { not_ok "$label: copy made"; return; }
	ln -sfn "$f" "$d/link"
	for be in tracefs perf perf-system bpf; do
		if [ "$be" = perf-system ]; then
			start_bg "$SONDE" trace --backend perf -d 20 \
				-o "$T_DIR/out" \
				"u:$d/link:add a=%di:s32 b=%si:s32" 2>"$T_DIR/err"
			wait_attached "$BG" 10 && "$d/link" 3 >/dev/null
			sleep 0.3
			kill -INT "$BG" 2>/dev/null
			wait_exit "$BG" 10
			rc=$RC
		else
			"$SONDE" trace --backend "$be" -c "$d/link 3" \
				"u:$d/link:add a=%di:s32 b=%si:s32" \
				>"$T_DIR/out" 2>"$T_DIR/err"
			rc=$?
		fi
		out=$(events "$T_DIR/out" | tr '\n' ,)
		if [ -n "$bad" ] && { [ "$be" = tracefs ] || [ "$be" = perf ]; }; then
			if [ "$rc" = 2 ] && grep -q "byte $bad" "$T_DIR/err"; then
				ok "$label, $be: refused, exit 2, byte $bad named"
			else
				not_ok "$label, $be: refused, exit 2, byte $bad named" \
					"rc $rc: $(head -3 "$T_DIR/err")"
			fi
			continue
		fi
		if [ "$be" = bpf ] && [ "$rc" = 2 ] &&
			grep -q "bpf" "$T_DIR/err"; then
			skip "$label, $be: traced" "$(head -1 "$T_DIR/err")"
			continue
		fi
		if [ "$rc" = 0 ] && [ "$out" = "$want" ]; then
			ok "$label, $be: traced, values as calls.c passes"
		else
			not_ok "$label, $be: traced, values as calls.c passes" \
				"rc $rc, got '$out': $(head -3 "$T_DIR/err")"
		fi
	done
	rm -f "$f" "$d/link"
}

try 'a:0x15ec#x' "'#' after a ':OFFSET'" 0x23
try 'a#b' "'#'" 0x23
try 'a:b' "':'" ""
try $'a\rb' "'\\r'" 0x0d
try $'a\vb' "'\\v'" 0x0b
try $'a\fb' "'\\f'" 0x0c
try $'a\xa0b' "0xa0" 0xa0
try 'a b' "' '" 0x20
try $'a\tb' "'\\t'" 0x09

# whatever happened, no probe ever named the decoy
if grep -q "$d/a:" "$TRACEFS/uprobe_events"; then
	not_ok "no probe on the decoy file"
else
	ok "no probe on the decoy file"
fi
rm -rf "$d"
hygiene_check "hostile paths: tracefs left as found"
finish
