#!/bin/bash
# The bash completion (completion/sonde.bash): bash with bash-completion's
# main script and the completion sourced, COMP_WORDS/COMP_CWORD/COMP_LINE/
# COMP_POINT set as readline sets them (':' and '=' are word breaks), _sonde
# called, COMPREPLY checked against independent references: the command and
# option tables in src/cli/*.c, the program itself accepting each option,
# readelf's FUNC symbols and USDT notes of the fixtures, /proc/kallsyms.
. "$(dirname "$0")/lib.sh"
SRC=$(cd "$(dirname "$0")/../.." && pwd)
COMPL=$SRC/completion/sonde.bash
BC=${BASH_COMPLETION:-/usr/share/bash-completion/bash_completion}
require_file "$SONDE" "$COMPL" "$FIXTURES/fixture_usdt" "$FIXTURES/fixture_pie"
if [ ! -r "$BC" ]; then
	skip "$T_NAME" "no bash-completion ($BC)"
	finish
fi
SONDE=$(cd "$(dirname "$SONDE")" && pwd)/$(basename "$SONDE")
FIX=$(cd "$FIXTURES" && pwd)

# complete LINE: the candidates bash would get for LINE with the cursor at
# its end, one per line. LINE is split as readline splits it with the
# default COMP_WORDBREAKS: at blanks, and ':' and '=' are words of their own.
complete_line()
{
	bash --norc --noprofile -c '
		. "$1" && . "$2" || exit 1
		line=$3
		words=() w=""
		for ((i = 0; i < ${#line}; i++)); do
			c=${line:i:1}
			case $c in
			" ") [ -n "$w" ] && words+=("$w"); w="" ;;
			[:=]) [ -n "$w" ] && words+=("$w"); words+=("$c"); w="" ;;
			*) w+=$c ;;
			esac
		done
		if [ -n "$w" ] || [ "${line: -1}" = " " ]; then
			words+=("$w")
		fi
		COMP_WORDS=("${words[@]}")
		COMP_CWORD=$((${#words[@]} - 1))
		COMP_LINE=$line
		COMP_POINT=${#line}
		_sonde sonde "${words[COMP_CWORD]}" "${words[COMP_CWORD - 1]}"
		printf "%s\n" "${COMPREPLY[@]}"' complete "$BC" "$COMPL" "$1"
}

# complete_set LINE: the candidates, sorted, duplicates removed.
complete_set()
{
	complete_line "$1" | sed '/^$/d' | sort -u
}

# --- subcommands: the commands[] table of src/cli/main.c ---------------------
sed -n 's/^[[:space:]]*{ "\([a-z]*\)", cmd_[a-z_]*,.*/\1/p' \
	"$SRC/src/cli/main.c" | sort >"$T_DIR/cmds.want"
[ -s "$T_DIR/cmds.want" ] || bail "no commands[] table in src/cli/main.c"
complete_set "$SONDE " | grep -v '^-' >"$T_DIR/cmds.got"
expect_file_eq "subcommands: every entry of commands[] in main.c" \
	"$T_DIR/cmds.got" "$T_DIR/cmds.want"
expect_eq "subcommands: a prefix ('la')" "$(complete_set "$SONDE la")" latency

# --- options -----------------------------------------------------------------
# cli_options[] of src/cli/options.c, the one table of the parser and of
# --help: `sonde --list-options CMD` prints what CMD lists. The completion
# offers exactly those, and --help names each of them.
"$SONDE" --list-options trace | sort >"$T_DIR/opts.want"
[ -s "$T_DIR/opts.want" ] || bail "sonde --list-options trace prints nothing"
complete_set "$SONDE trace -" >"$T_DIR/opts.got"
expect_file_eq "trace -: exactly the options of cli_options[] for trace" \
	"$T_DIR/opts.got" "$T_DIR/opts.want"
for cmd in $(cat "$T_DIR/cmds.want"); do
	"$SONDE" --list-options "$cmd" | sort >"$T_DIR/opts.$cmd.want"
	complete_set "$SONDE $cmd -" >"$T_DIR/opts.$cmd.got"
	expect_file_eq "$cmd -: exactly the options cli_options[] lists for $cmd" \
		"$T_DIR/opts.$cmd.got" "$T_DIR/opts.$cmd.want"
	"$SONDE" "$cmd" --help >"$T_DIR/help.$cmd" 2>&1
	missing=""
	while read -r opt; do
		case $opt in
		--*) grep -qE -- "(^|[ ,])$opt( |\$)" "$T_DIR/help.$cmd" ||
			missing="$missing $opt" ;;
		-?) grep -qE -- "(^| )$opt, --" "$T_DIR/help.$cmd" ||
			missing="$missing $opt" ;;
		esac
	done <"$T_DIR/opts.$cmd.want"
	expect_eq "$cmd --help: names each option it lists" "$missing" ""
done
expect_eq "trace --ba: --backend" "$(complete_set "$SONDE trace --ba")" \
	--backend

# Each option offered to each subcommand is one the program takes: `sonde
# CMD OPT [VALUE] --help` prints that command's usage and exits 0.
value_of()
{
	case $1 in
	-p | --pid) echo $$ ;;
	-c | --command) echo true ;;
	-e | --program) echo "BEGIN{exit()}" ;;
	-d | --duration | -i | --interval | --top | --buffer-kb | \
		--max-probes | --max-keys) echo 4 ;;
	-f | --format) echo json ;;
	-o | --output | --svg | --perfetto) echo "$T_DIR/out" ;;
	--filter | --trigger | --hist) echo x ;;
	--backend) echo auto ;;
	--time) echo wall ;;
	--color) echo never ;;
	--debug-dir | --cgroup) echo "$T_DIR" ;;
	--by) echo comm ;;
	--value) echo arg1 ;;
	--linear) echo 0,10,1 ;;
	--instance) echo x ;;
	--call-graph) echo dwarf ;;
	--listen) echo 127.0.0.1:9464 ;;
	esac
}
for cmd in $(cat "$T_DIR/cmds.want"); do
	bad=""
	n=0
	for opt in $(complete_set "$SONDE $cmd -"); do
		[ "$opt" = -h ] || [ "$opt" = --help ] && continue
		n=$((n + 1))
		v=$(value_of "$opt")
		# shellcheck disable=SC2086
		if ! out=$("$SONDE" "$cmd" "$opt" $v --help 2>&1) ||
			[ "${out#usage: sonde "$cmd"}" = "$out" ]; then
			bad="$bad$opt: $out
"
		fi
	done
	if [ -n "$bad" ]; then
		not_ok "$cmd: each of the $n options offered is taken" "$bad"
	else
		ok "$cmd: each of the $n options offered (besides -h) is taken"
	fi
done
for cmd in count hist latency; do
	complete_set "$SONDE $cmd --" | grep -qx -- --by &&
		ok "$cmd: --by offered" || not_ok "$cmd: --by offered"
done
complete_set "$SONDE stack --f" | grep -qx -- --folded &&
	ok "stack: --folded offered" || not_ok "stack: --folded offered"
expect_eq "hist --v: --value and --verbose" \
	"$(complete_set "$SONDE hist --v" | tr '\n' ' ')" "--value --verbose "

# --- option values -------------------------------------------------------------
expect_eq "--backend: auto bpf perf tracefs" \
	"$(complete_set "$SONDE trace --backend " | tr '\n' ' ')" \
	"auto bpf perf tracefs "
for b in $(complete_set "$SONDE trace --backend "); do
	"$SONDE" trace --backend "$b" --help >/dev/null 2>&1 ||
		not_ok "--backend $b is taken by sonde"
done
expect_eq "--backend=b: bpf" "$(complete_set "$SONDE count --backend=b")" bpf
expect_eq "run -f: json perfetto text" \
	"$(complete_set "$SONDE run -f " | tr '\n' ' ')" "json perfetto text "
expect_eq "--format=j: json" "$(complete_set "$SONDE trace --format=j")" json
expect_eq "trace -f: csv json perfetto text" \
	"$(complete_set "$SONDE trace -f " | sort | tr '\n' ' ')" \
	"csv json perfetto text "
expect_eq "latency -f: csv json perfetto text" \
	"$(complete_set "$SONDE latency -f " | sort | tr '\n' ' ')" \
	"csv json perfetto text "
expect_eq "count -f: csv json text" \
	"$(complete_set "$SONDE count -f " | sort | tr '\n' ' ')" "csv json text "
expect_eq "--time: mono rel wall" \
	"$(complete_set "$SONDE trace --time " | tr '\n' ' ')" "mono rel wall "
expect_eq "--color=a: always auto" \
	"$(complete_set "$SONDE count --color=a" | tr '\n' ' ')" "always auto "

mkdir -p "$T_DIR/files/subdir"
: >"$T_DIR/files/out.txt"
expect_eq "-o: file names" \
	"$(complete_set "$SONDE trace -o $T_DIR/files/o")" "$T_DIR/files/out.txt"
expect_eq "--debug-dir: directories only" \
	"$(complete_set "$SONDE trace --debug-dir $T_DIR/files/")" \
	"$T_DIR/files/subdir"
expect_eq "--cgroup: directories only" \
	"$(complete_set "$SONDE count --cgroup $T_DIR/files/")" \
	"$T_DIR/files/subdir"
v2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
# a cgroup of our own when we may make one: the list is not empty
mkcg=
[ -n "$v2" ] && [ "$(id -u)" = 0 ] && mkdir "$v2/sonde-test-completion.$$" &&
	mkcg=$v2/sonde-test-completion.$$
if [ -n "$mkcg" ] || [ -n "$(find "$v2" -mindepth 1 -maxdepth 1 -type d)" ]; then
	expect_eq "--cgroup with nothing typed: the cgroup2 mount's directories" \
		"$(complete_set "$SONDE count --cgroup " | sort | tr '\n' ' ')" \
		"$(find "$v2" -mindepth 1 -maxdepth 1 -type d | sort | tr '\n' ' ')"
else
	skip "--cgroup with nothing typed" "no cgroup2 directory to offer"
fi
[ -z "$mkcg" ] || rmdir "$mkcg"
expect_eq "-c: files" \
	"$(complete_set "$SONDE trace -c $T_DIR/files/ou")" "$T_DIR/files/out.txt"

# --- probe specs ------------------------------------------------------------
expect_eq "trace: the spec prefixes" \
	"$(complete_set "$SONDE trace " | tr '\n' ' ')" \
	"k: kr: p: r: u: ur: usdt: "
expect_eq "list: the prefixes list takes" \
	"$(complete_set "$SONDE list " | tr '\n' ' ')" "k: u: usdt: "
expect_eq "trace us: usdt:" "$(complete_set "$SONDE trace us")" "usdt:"

# u:TARGET: a path, completed like a file name, ending in ':'
complete_set "$SONDE trace u:$FIX/fixture_u" >"$T_DIR/target"
expect_grep "u:PATH: the fixture's path, ending in ':'" \
	"^$FIX/fixture_usdt:\$" "$T_DIR/target"
if type -P ls >/dev/null; then
	complete_set "$SONDE trace u:ls" | grep -x 'ls:' >"$T_DIR/prog"
	expect_eq "u:ls: a program found in PATH" "$(cat "$T_DIR/prog")" "ls:"
fi
expect_eq "u:libc: the libc shorthand" \
	"$(complete_set "$SONDE trace u:lib" | grep -x 'libc:')" "libc:"

# readelf's defined FUNC symbols (versions dropped), the reference
funcs()
{
	readelf -sW "$1" | awk '$4 == "FUNC" && $7 != "UND" {
		n = $8; sub(/@.*/, "", n); print n }' | sort -u
}
for f in fixture_usdt fixture_pie libfixture.so; do
	funcs "$FIX/$f" >"$T_DIR/funcs.want"
	complete_set "$SONDE trace u:$FIX/$f:" >"$T_DIR/funcs.got"
	expect_file_eq "u:$f: exactly its FUNC symbols (readelf -s)" \
		"$T_DIR/funcs.got" "$T_DIR/funcs.want"
done
funcs "$FIX/fixture_pie" | grep '^a' >"$T_DIR/funcs.want"
complete_set "$SONDE trace ur:$FIX/fixture_pie:a" >"$T_DIR/funcs.got"
expect_file_eq "ur:fixture_pie:a: its FUNC symbols starting with 'a'" \
	"$T_DIR/funcs.got" "$T_DIR/funcs.want"

# usdt:TARGET: PROVIDER:NAME of each stapsdt note (readelf -n)
readelf -n "$FIX/fixture_usdt" | awk '/Provider:/ { p = $2 }
	/Name:/ { print p ":" $2 }' | sort -u >"$T_DIR/usdt.want"
[ -s "$T_DIR/usdt.want" ] || bail "readelf -n shows no USDT notes"
complete_set "$SONDE trace usdt:$FIX/fixture_usdt:" >"$T_DIR/usdt.got"
expect_file_eq "usdt:fixture_usdt: every probe of its notes (readelf -n)" \
	"$T_DIR/usdt.got" "$T_DIR/usdt.want"
expect_eq "usdt:fixture_usdt:fixture:ti: one probe" \
	"$(complete_set "$SONDE trace usdt:$FIX/fixture_usdt:fixture:ti")" \
	"tick"

# k: kernel functions, each a text symbol of /proc/kallsyms
if ! "$SONDE" list -q 'k:vfs_*' >/dev/null 2>&1; then
	skip "k: kernel functions" "sonde list k: refuses here: $("$SONDE" \
		list -q 'k:vfs_*' 2>&1 | head -n 1)"
elif ! awk '$3 == "vfs_read" { f = 1 } END { exit !f }' /proc/kallsyms; then
	skip "k: kernel functions" "no vfs_read in /proc/kallsyms"
else
	complete_set "$SONDE trace k:vfs_rea" >"$T_DIR/k.got"
	awk '$2 ~ /^[tT]$/ && index($3, "vfs_rea") == 1 { print $3 }' \
		/proc/kallsyms | sort -u >"$T_DIR/k.text"
	extra=$(comm -23 "$T_DIR/k.got" "$T_DIR/k.text")
	if [ -s "$T_DIR/k.got" ] && [ -z "$extra" ] &&
		grep -qx vfs_read "$T_DIR/k.got"; then
		ok "k:vfs_rea: kernel text symbols (kallsyms), vfs_read among them"
	else
		not_ok "k:vfs_rea: kernel text symbols (kallsyms), vfs_read among them" \
			"got: $(cat "$T_DIR/k.got")
not text symbols in kallsyms: $extra"
	fi
	expect_eq "kr:vfs_read: the same for kretprobes" \
		"$(complete_set "$SONDE trace kr:vfs_read" | grep -x vfs_read)" \
		vfs_read
fi

# Readline's own split, not the emulation above: an interactive bash on a
# pty completes 'u:FIXTURE:ma' with the real COMP_WORDBREAKS.
if command -v python3 >/dev/null 2>&1; then
	timeout -k 2 30 python3 - "$BC" "$COMPL" "$SONDE trace u:$FIX/fixture_pie:ma" \
		"$T_DIR/pty.out" <<'EOF' >"$T_DIR/pty.log" 2>&1
import os, pty, select, sys, time
bc, compl, line, out = sys.argv[1:5]
pid, fd = pty.fork()
if pid == 0:
    os.execvp('bash', ['bash', '--norc', '--noprofile', '-i'])
def drain(secs):
    end = time.time() + secs
    while time.time() < end:
        if select.select([fd], [], [], 0.1)[0]:
            try:
                os.read(fd, 65536)
            except OSError:
                return
os.write(fd, ('. %s; . %s; _t() { _sonde "$@"; printf "%%s\\n" '
              '"${COMPREPLY[@]}" > %s; }; complete -F _t %s\n'
              % (bc, compl, out, line.split()[0])).encode())
drain(1)
os.write(fd, line.encode() + b'\t')
for _ in range(50):
    if os.path.exists(out):
        break
    drain(0.1)
drain(0.3)
os.kill(pid, 9)  # an interactive bash ignores SIGTERM
os.waitpid(pid, 0)
EOF
	expect_eq "pty: readline completes u:fixture_pie:ma to main" \
		"$(sort -u "$T_DIR/pty.out" 2>/dev/null)" \
		"$(funcs "$FIX/fixture_pie" | grep '^ma')"
else
	skip "pty: readline's own split" "no python3"
fi
finish
