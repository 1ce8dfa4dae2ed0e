#!/bin/bash
# Names sonde reads from outside are data, never terminal codes or spec
# text. A copy of fixture_pie whose symbols were renamed (objcopy
# --redefine-sym) to terminal escape sequences (ESC, BEL, DEL, a raw C1 CSI
# byte, C1 in UTF-8), to "spoof arg1=\1234" and to a name with a space, and
# a copy of fixture_usdt whose provider is an OSC sequence: list, trace
# (text, JSON, stacks) and error messages hold no raw control byte, and the
# escaped form is there; a glob that matches the spoof name traces exactly
# the arguments the spec asks, with the values calls.c passes (mul3(i, i+1,
# i+2)). The kernel's error_log: a refusal that logs nothing (a line over
# its 4096-byte limit) never quotes an older entry (one written here first,
# into a group of our own); a refusal that logs is quoted. A user who may
# not look into tracefs is told it needs root, not that the kernel lacks
# kprobes or uprobes.
. "$(dirname "$0")/lib.sh"
require_root
require_uprobes
require_file "$SONDE" "$FIXTURES/fixture_pie" "$FIXTURES/libfixture.so" \
	"$FIXTURES/fixture_usdt"
command -v objcopy >/dev/null || {
	skip "$T_NAME" "no objcopy"
	exit 0
}

hygiene_begin
d=$T_DIR/n
mkdir "$d" && chmod 755 "$T_DIR" "$d" || bail "no scratch dir"
cp "$FIXTURES/libfixture.so" "$d/" || bail "cp"
ESC_NAME=$'esc\e[31mRED\e]0;pwned-title\a'
ESC_SAFE='esc\x1b[31mRED\x1b]0;pwned-title\x07'
C1_NAME=$'c1\x9b[2J\xc2\x9bX\x7f'
C1_SAFE='c1\x9b[2J\xc2\x9bX\x7f'
SPOOF='spoof arg1=\1234'
objcopy --redefine-sym "add=$ESC_NAME" --redefine-sym "mul3=$SPOOF" \
	--redefine-sym "fact=$C1_NAME" --redefine-sym "greet=sp ace" \
	"$FIXTURES/fixture_pie" "$d/hostile" || bail "objcopy"
bin=$d/hostile

# raw control bytes (C0 but \n, DEL) or any byte >= 0x80 (no name here
# is meant to hold one raw: C1, bad UTF-8)
raw()
{
	LC_ALL=C grep -caP '[\x00-\x09\x0b-\x1f\x7f-\xff]' "$1"
}

# no_raw LABEL FILE...
no_raw()
{
	local label=$1 f n=0
	shift
	for f in "$@"; do
		n=$((n + $(raw "$f")))
	done
	if [ "$n" = 0 ]; then
		ok "$label: no raw control byte"
	else
		not_ok "$label: no raw control byte" "$(cat "$@" | od -c | head -20)"
	fi
}

# has LABEL TEXT FILE: the fixed string TEXT is in FILE
has()
{
	if grep -qF -e "$2" "$3"; then
		ok "$1"
	else
		not_ok "$1" "no '$2' in: $(head -5 "$3")"
	fi
}

# patch_section FILE SECTION OLD NEW: every OLD in the ELF section
# SECTION of FILE becomes NEW (as many bytes; python bytes escapes)
patch_section()
{
	python3 - "$@" <<'EOF'
import ast, struct, sys
path, secname, old, new = sys.argv[1:5]
old = ast.literal_eval("b'" + old + "'")
new = ast.literal_eval("b'" + new + "'")
assert len(old) == len(new)
b = bytearray(open(path, "rb").read())
shoff, = struct.unpack_from("<Q", b, 0x28)
shentsize, shnum, shstrndx = struct.unpack_from("<HHH", b, 0x3a)
def sh(i):
    return struct.unpack_from("<IIQQQQ", b, shoff + i * shentsize)
stroff = sh(shstrndx)[4]
done = 0
for i in range(shnum):
    name, _, _, _, off, size = sh(i)
    if bytes(b[stroff + name:b.index(0, stroff + name)]) != secname.encode():
        continue
    sec = bytes(b[off:off + size])
    done = sec.count(old)
    b[off:off + size] = sec.replace(old, new)
open(path, "wb").write(b)
sys.exit(0 if done else 1)
EOF
}

# the renamed symbols are really in the file (the reference: nm)
nm "$bin" >"$T_DIR/nm"
expect_eq "objcopy renamed add to an escape sequence" \
	"$(grep -caF "$ESC_NAME" "$T_DIR/nm")" 1

# --- list -----------------------------------------------------------------
"$SONDE" list "u:$bin" >"$T_DIR/list" 2>"$T_DIR/list.err"
no_raw "list u:" "$T_DIR/list" "$T_DIR/list.err"
has "list u: shows the ESC/BEL name escaped" "$ESC_SAFE" "$T_DIR/list"
has "list u: shows the C1/DEL name escaped" "$C1_SAFE" "$T_DIR/list"
has "list u: shows the spoof name as it is" "$SPOOF" "$T_DIR/list"
# each escaped name sits at its symbol's address (nm is the reference)
addr=$(grep -aF "$ESC_NAME" "$T_DIR/nm" | cut -d' ' -f1)
has "list u: the escaped name at nm's address" "$addr" "$T_DIR/list"
"$SONDE" list -v "u:$bin:esc*" >"$T_DIR/listv" 2>&1
no_raw "list -v u:GLOB" "$T_DIR/listv"

# --- errors ---------------------------------------------------------------
"$SONDE" trace "u:$bin:esc" >"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "unknown function: exit 2" "$?" 2
no_raw "unknown function, closest names" "$T_DIR/err"
has "unknown function: the closest name escaped" "$ESC_SAFE" "$T_DIR/err"
"$SONDE" trace -c "$bin 1" "u:$bin:esc* x=nosuch" >"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "a glob's only match cannot be probed: exit 2" "$?" 2
no_raw "a glob's skipped match named in the error" "$T_DIR/err"
has "the skipped match escaped in the error" "$ESC_SAFE" "$T_DIR/err"
"$SONDE" trace -v -c "$bin 1" "u:$bin:esc*" >"$T_DIR/out" 2>"$T_DIR/err"
no_raw "trace -v log" "$T_DIR/err"

# --- trace: text, JSON, stacks --------------------------------------------
# the comm is the name the program was run by: a symlink named with ESC
ln -s hostile "$d/"$'\e[7mrun'
"$SONDE" trace --backend tracefs --stack -c "$d/"$'\e[7mrun'" 2" \
	"u:$bin:esc* a=arg1:s32 b=arg2:s32" "u:$bin:c1*" \
	>"$T_DIR/out" 2>"$T_DIR/err"
rc=$?
no_raw "trace --stack, text" "$T_DIR/out" "$T_DIR/err"
expect_eq "trace --stack: add's arguments as calls.c passes them" \
	"$(events "$T_DIR/out" | grep '^esc' | sed 's/^[^:]*: //' | tr '\n' ,)" \
	"a=1 b=2,a=2 b=4,"
has "the stack frame named escaped" " => $ESC_SAFE" "$T_DIR/out"
has "the comm escaped" '\x1b[7mrun' "$T_DIR/out"
expect_eq "trace --stack: exit 0" "$rc" 0
"$SONDE" trace --backend tracefs -f json --stack -c "$d/"$'\e[7mrun'" 1" \
	"u:$bin:c1*" >"$T_DIR/out" 2>"$T_DIR/err"
no_raw "trace -f json --stack" "$T_DIR/out" "$T_DIR/err"
has "JSON: a name that is not UTF-8 as its bytes (\\u009b \\u00c2)" \
	'"stack":["c1\u009b[2J\u00c2\u009bX\u007f (hostile)"' "$T_DIR/out"
has "JSON: and named in not_utf8" '"not_utf8":["/stack/0"' "$T_DIR/out"
has "JSON: the comm's ESC as \\u001b" '"comm":"\u001b[7mrun"' "$T_DIR/out"
if command -v python3 >/dev/null; then
	if python3 -c 'import json,sys
for l in open(sys.argv[1], encoding="utf-8"): json.loads(l)' "$T_DIR/out"; then
		ok "JSON: every line parses (python3 json, strict UTF-8)"
	else
		not_ok "JSON: every line parses (python3 json, strict UTF-8)"
	fi
fi
"$SONDE" trace --backend tracefs -f csv -c "$bin 1" "u:$bin:c1*" \
	>"$T_DIR/out" 2>"$T_DIR/err"
no_raw "trace -f csv" "$T_DIR/out" "$T_DIR/err"
"$SONDE" count --backend tracefs -c "$d/"$'\e[7mrun'" 2" --by comm \
	"u:$bin:esc*" >"$T_DIR/out" 2>"$T_DIR/err"
no_raw "count --by comm (the summary)" "$T_DIR/out" "$T_DIR/err"
has "count: the comm key escaped" '\x1b[7mrun' "$T_DIR/out"

"$SONDE" latency --backend tracefs -c "$bin 2" "u:$bin:esc*" \
	>"$T_DIR/out" 2>"$T_DIR/err"
no_raw "latency (the function's name in the table)" "$T_DIR/out" "$T_DIR/err"
has "latency: the function named escaped" "$ESC_SAFE" "$T_DIR/out"

# --- a name is never spec text ---------------------------------------------
# spoof* matches "spoof arg1=\1234" (mul3): no argument but the ones asked,
# none renamed; mul3(i, i+1, i+2) as calls.c calls it
for be in tracefs perf bpf; do
	"$SONDE" trace --backend $be -c "$bin 2" \
		"u:$bin:spoof* a=arg1:s32 b=arg2:s32 c=arg3:s32" \
		>"$T_DIR/out" 2>"$T_DIR/err"
	rc=$?
	if [ "$be" = bpf ] && [ "$rc" = 2 ] && grep -q bpf "$T_DIR/err"; then
		skip "spoof*, $be: the asked args only" "$(head -1 "$T_DIR/err")"
		continue
	fi
	expect_eq "spoof*, $be: exactly a b c, values as calls.c passes" \
		"$(events "$T_DIR/out" | tr '\n' ,)" \
		"spoof_arg1__1234: a=1 b=2 c=3,spoof_arg1__1234: a=2 b=3 c=4,"
done
"$SONDE" trace --backend tracefs -c "$bin 1" "u:$bin:spoof*" \
	>"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "spoof* without args: no argument at all" \
	"$(events "$T_DIR/out" | tr '\n' ,)" "spoof_arg1__1234:,"
# the definition the kernel gets: the asked fetch only (and sonde's own
# hidden comm at the hit)
"$SONDE" format -v "u:$bin:spoof* a=arg1:s32" >"$T_DIR/fmt" 2>&1
def=$(grep '^# ' "$T_DIR/fmt")
if printf '%s\n' "$def" |
	grep -qx "# p:sonde_[0-9_]*/spoof_arg1__1234 $bin:0x[0-9a-f]* a=%di:s32 __sonde_pcomm=\$comm"; then
	ok "spoof*: the definition fetches a=%di only"
else
	not_ok "spoof*: the definition fetches a=%di only" "$def"
fi
# a name with a space: one word to the kernel (the event name), traced
"$SONDE" trace --backend tracefs -c "$bin 1" "u:$bin:sp* s=+0(arg1):string" \
	>"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "'sp ace' (greet): traced, its string as calls.c passes" \
	"$(events "$T_DIR/out" | grep -v '^spoof' | tr '\n' ,)" \
	'sp_ace: s="sonde-1",'

# --- DWARF: a parameter name that is not an identifier -----------------------
# greet(const char *name): "name" in .debug_str becomes "n m" + ESC; $params
# would make it an argument's name in the kernel's line and read it as an
# expression: refused, the name escaped
cp "$FIXTURES/fixture_pie" "$d/dw" || bail "cp dw"
patch_section "$d/dw" .debug_str '\0name\0' '\0n m\x1b\0' ||
	bail "patching .debug_str"
"$SONDE" trace --backend tracefs -c "$d/dw 1" "u:$d/dw:greet \$params" \
	>"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "\$params with a DWARF name 'n m\\x1b': exit 2" "$?" 2
no_raw "\$params with a DWARF name 'n m\\x1b'" "$T_DIR/err"
has "\$params: the name is not an identifier, escaped" \
	"'n m\\x1b', is not an identifier" "$T_DIR/err"

# --- USDT: a provider that is an OSC sequence --------------------------------
cp "$FIXTURES/fixture_usdt" "$d/usdt" || bail "cp usdt"
patch_section "$d/usdt" .note.stapsdt '\0fixture\0' '\0\x1b]0;pw\x07\0' ||
	bail "patching the USDT note"
"$SONDE" list "usdt:$d/usdt" >"$T_DIR/out" 2>"$T_DIR/err"
no_raw "list usdt: with an OSC provider" "$T_DIR/out" "$T_DIR/err"
has "list usdt: the provider escaped" '\x1b]0;pw\x07:tick' "$T_DIR/out"
"$SONDE" trace --backend tracefs -c "$d/usdt 1" "usdt:$d/usdt:*:tick" \
	>"$T_DIR/out" 2>"$T_DIR/err"
no_raw "trace usdt:*:tick with an OSC provider" "$T_DIR/out" "$T_DIR/err"
expect_eq "usdt:*:tick: its one hit, named by the probe" \
	"$(events "$T_DIR/out" | cut -d: -f1)" "tick"
"$SONDE" trace -c "$d/usdt 1" "usdt:$d/usdt:*:nosuch" \
	>"$T_DIR/out" 2>"$T_DIR/err"
no_raw "usdt: no match, error" "$T_DIR/err"

# --- error_log: only what sonde's own write logged ---------------------------
# an unrelated entry first, in a group of our own (a file that is not there:
# nothing is created)
grp=sondetest_$$
echo "p:$grp/stale /nonexistent/$grp:0x0" >>"$TRACEFS/uprobe_events" 2>/dev/null
if grep -q "$grp/stale" "$TRACEFS/error_log"; then
	ok "an unrelated error_log entry is there"
else
	not_ok "an unrelated error_log entry is there" "$(tail -3 "$TRACEFS/error_log")"
fi
# a definition over the kernel's 4096 bytes: refused (EINVAL), and the
# kernel logs nothing in error_log (trace_parse_run_command: a pr_warn)
args=$(for i in $(seq 100 219); do printf 'a%sxxxxxxxxxxxxxxxxxxxxxxxxxx=arg1 ' "$i"; done)
for be in tracefs perf; do
	"$SONDE" trace --backend $be -c "$FIXTURES/fixture_pie 1" \
		"u:$FIXTURES/fixture_pie:add $args" >"$T_DIR/out" 2>"$T_DIR/err"
	rc=$?
	if grep -q "$grp" "$T_DIR/err"; then
		not_ok "$be: no error_log entry of this refusal: the older one not quoted" \
			"$(head -3 "$T_DIR/err")"
	else
		ok "$be: no error_log entry of this refusal: the older one not quoted"
	fi
	has "$be: says the kernel logged no reason" "logged no reason" "$T_DIR/err"
	expect_eq "$be: refused: exit 2" "$rc" 2
done
# a refusal the kernel logs: its own entry quoted, caret and all
"$SONDE" trace --backend tracefs -c "$FIXTURES/fixture_pie 1" \
	"u:$FIXTURES/fixture_pie:add a=%di:symstr" >"$T_DIR/out" 2>"$T_DIR/err"
has "a logged refusal: the kernel's own entry quoted" \
	"error: Unknown type is specified" "$T_DIR/err"
has "a logged refusal: its own command" "fixture_pie:0x" "$T_DIR/err"
if grep -q "$grp" "$T_DIR/err"; then
	not_ok "a logged refusal: not the unrelated entry"
else
	ok "a logged refusal: not the unrelated entry"
fi
grep -q "$grp" "$TRACEFS/uprobe_events" &&
	echo "-:$grp/stale" >>"$TRACEFS/uprobe_events"

# --- a user who may not look into tracefs -----------------------------------
if command -v setpriv >/dev/null && id nobody >/dev/null 2>&1; then
	# sanitizer reports (tests/run's log dir is root's) go where nobody
	# may write, and fail the test below
	san=$T_DIR/san
	mkdir -p "$san" && chmod 1777 "$san"
	as_nobody()
	{
		ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}log_path=$san/asan" \
		UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}log_path=$san/ubsan" \
			setpriv --reuid=nobody --regid="$(id -g nobody)" \
			--clear-groups "$@"
	}
	as_nobody "$SONDE" trace -d 0.1 k:vfs_read >"$T_DIR/out" 2>"$T_DIR/err"
	rc=$?
	has "non-root k:: needs root" "needs root" "$T_DIR/err"
	has "non-root k:: permission denied" "Permission denied" "$T_DIR/err"
	if grep -q "has no kprobes" "$T_DIR/err"; then
		not_ok "non-root k:: not 'no kprobes'" "$(cat "$T_DIR/err")"
	else
		ok "non-root k:: not 'no kprobes'"
	fi
	expect_eq "non-root k:: exit 1 (runtime, not a spec error)" "$rc" 1
	as_nobody "$SONDE" trace --backend tracefs -d 0.1 \
		"u:$bin:sp*" >"$T_DIR/out" 2>"$T_DIR/err"
	has "non-root u:: needs root" "needs root" "$T_DIR/err"
	if grep -q "has no uprobes" "$T_DIR/err"; then
		not_ok "non-root u:: not 'no uprobes'" "$(cat "$T_DIR/err")"
	else
		ok "non-root u:: not 'no uprobes'"
	fi
	as_nobody "$SONDE" check >"$T_DIR/out" 2>&1
	if grep -q "^uprobes: *unknown (needs root" "$T_DIR/out" &&
		grep -q "^kprobes: *unknown (needs root" "$T_DIR/out"; then
		ok "non-root check: uprobes and kprobes unknown, needs root"
	else
		not_ok "non-root check: uprobes and kprobes unknown, needs root" \
			"$(cat "$T_DIR/out")"
	fi
	if [ -n "$(ls -A "$san")" ]; then
		not_ok "non-root runs: no sanitizer report" "$(cat "$san"/* | head -30)"
	else
		ok "non-root runs: no sanitizer report"
	fi
else
	skip "non-root: permission, not absence" "no setpriv or no user nobody"
fi

rm -rf "$d"
hygiene_check "hostile names: tracefs left as found"
finish
