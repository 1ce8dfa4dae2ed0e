#!/bin/bash
# The one option table (cli_options[] in src/cli/options.c) against its
# references: the man page docs/sonde.1 describes every option any
# subcommand lists; each subcommand's --help names exactly the options of
# the table it lists (read from the source, not from sonde); each is taken
# by the parser, in every spelling getopt_long gives it (-i4, -i 4,
# --interval=4), and an option's value is never read as an option.
. "$(dirname "$0")/lib.sh"
SRC=$(cd "$(dirname "$0")/../.." && pwd)
MAN=$SRC/docs/sonde.1
require_file "$SONDE" "$MAN" "$SRC/src/cli/options.c"

cmds="trace format check cleanup list count hist latency stack inject run serve"

# --- the man page describes every option -------------------------------------
missing=""
for cmd in $cmds; do
	"$SONDE" --list-options "$cmd"
done | sort -u >"$T_DIR/all"
[ -s "$T_DIR/all" ] || bail "sonde --list-options prints nothing"
while read -r opt; do
	m=$(printf '%s' "$opt" | sed 's/-/\\\\-/g')
	grep -qE -- "$m([^a-z-]|\$)" "$MAN" || missing="$missing $opt"
done <"$T_DIR/all"
expect_eq "docs/sonde.1 names each of the $(wc -l <"$T_DIR/all") options" \
	"$missing" ""

# --- the long names of the table, from the source ---------------------------
sed -n 's/^[[:space:]]*{ *OPT_[A-Z_]*, "\([a-z-]*\)",.*/--\1/p' \
	"$SRC/src/cli/options.c" | sort -u >"$T_DIR/src"
[ -s "$T_DIR/src" ] || bail "no cli_options[] rows in src/cli/options.c"
grep -- '^--' "$T_DIR/all" >"$T_DIR/all.long"
expect_file_eq "every long option of cli_options[] is listed by some subcommand" \
	"$T_DIR/all.long" "$T_DIR/src"

# --- --help lists what --list-options lists, and no other option ------------
for cmd in $cmds; do
	"$SONDE" "$cmd" --help >"$T_DIR/help" 2>&1
	st=$?
	grep -oE -- '^ +(-[a-z], )?--[a-z-]+' "$T_DIR/help" |
		sed 's/^ *//; s/, /\n/' | sort >"$T_DIR/help.opts"
	"$SONDE" --list-options "$cmd" | sort >"$T_DIR/list"
	expect_eq "$cmd --help: exit 0" "$st" 0
	expect_file_eq "$cmd --help: its options, as --list-options" \
		"$T_DIR/help.opts" "$T_DIR/list"
done

# --- the parser -----------------------------------------------------------------
# usage_ok CMD ARGS...: the options parse (--help after them: usage, 0)
usage_ok()
{
	local cmd=$1 out
	shift
	out=$("$SONDE" "$cmd" "$@" --help 2>&1) &&
		[ "${out#usage: sonde "$cmd"}" != "$out" ]
}
for spelling in "-i4" "-i 4" "--interval 4" "--interval=4" "--by=comm" \
	"--by comm,pid" "--max-keys=0" "--linear=0,10,1" "--top 3"; do
	# shellcheck disable=SC2086
	usage_ok count $spelling && ok "count $spelling: taken" ||
		not_ok "count $spelling: taken"
done
# a value that looks like an option stays the option's value
usage_ok count -c 'true -i 0 --by' && ok "count -c 'true -i 0 --by': a value" ||
	not_ok "count -c 'true -i 0 --by': a value"
usage_ok count --filter=--top && ok "count --filter=--top: a value" ||
	not_ok "count --filter=--top: a value"

# refused values: exit 2 with the option's own message
refused()
{
	local want=$1 out st
	shift
	out=$("$SONDE" "$@" 2>&1)
	st=$?
	if [ "$st" = 2 ] && [ "${out#*"$want"}" != "$out" ]; then
		ok "$*: exit 2, '$want'"
	else
		not_ok "$*: exit 2, '$want'" "status $st: $out"
	fi
}
refused "-i needs seconds" count -i0 u:x:y
refused "-i needs seconds" hist --interval=-1 u:x:y
refused "--top needs a number" stack --top x u:x:y
refused "--linear takes MIN,MAX,STEP" hist --linear 5,1,1 u:x:y
refused "--max-keys needs a number of keys" latency --max-keys -3 u:x:y
refused "--by needs keys" count --by , u:x:y
refused "-p needs a process id" trace -p 0 u:x:y
refused "--backend takes auto, tracefs, perf or bpf" count --backend x u:x:y
refused "-p and -c cannot be used together" count -p 1 -c true u:x:y
# the aggregating options belong to the aggregating subcommands
refused "usage: sonde trace" trace -i 1 u:x:y
refused "usage: sonde trace" trace --by comm u:x:y
refused "usage: sonde list" list --folded u:x
refused "usage: sonde count" count --no-such-option u:x:y
refused "usage: sonde count" count u:x:y --by

finish
