#!/bin/bash
# The library's folders are the pipeline (docs/architecture.md), lowest
# stage first: base < spec < lang < sym < resolve < decode < args < agg < backend
# < api. Every `#include "..."` of src/lib/ is read from the source and its
# target's stage compared with the includer's: none may go up. internal.h holds the
# types every stage hands on (struct probe, session, event, backend); any
# stage may include it, and it may include only base/, spec/ and decode/
# headers.
# KNOWN lists what still goes up, each with its reason: an include that
# goes up and is not listed fails, and so does a listed one that is gone
# (the list must shrink with the code). Also: the CLI includes nothing of
# src/lib/, and every .c/.h of src/lib/ is in a stage's folder.
. "$(dirname "$0")/lib.sh"
SRC=$(cd "$(dirname "$0")/../.." && pwd)
LIB=$SRC/src/lib
require_file "$LIB/internal.h"

KNOWN=""

rank()
{
	case $1 in
	base) echo 1 ;; spec) echo 2 ;; lang) echo 3 ;; sym) echo 4 ;;
	resolve) echo 5 ;; decode) echo 6 ;; args) echo 7 ;; agg) echo 8 ;;
	backend) echo 9 ;; api) echo 10 ;;
	*) echo 0 ;;
	esac
}

# stage REL: the stage of a path relative to src/lib
stage()
{
	case $1 in
	internal.h) echo internal ;;
	*/*) echo "${1%%/*}" ;;
	*) echo top ;;
	esac
}

up="" stray="" n=0
while IFS= read -r f; do
	rel=${f#"$LIB"/}
	from=$(stage "$rel")
	case $from in
	internal) ;;
	top)
		stray="$stray $rel"
		continue
		;;
	*)
		[ "$(rank "$from")" -gt 0 ] || {
			stray="$stray $rel"
			continue
		}
		;;
	esac
	while IFS= read -r inc; do
		n=$((n + 1))
		# a quoted include is looked for beside the file, then in
		# src/lib (the include path)
		if [ -f "$(dirname "$f")/$inc" ]; then
			t=$(realpath -m "$(dirname "$f")/$inc")
		elif [ -f "$LIB/$inc" ]; then
			t=$(realpath -m "$LIB/$inc")
		else
			continue # a generated or outside header
		fi
		trel=${t#"$LIB"/}
		to=$(stage "$trel")
		[ "$to" = internal ] && continue
		if [ "$from" = internal ]; then
			case $to in base | spec | decode) continue ;; esac
		elif [ "$(rank "$to")" -le "$(rank "$from")" ]; then
			continue
		fi
		up="$up
$rel -> $trel"
	done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f")
done < <(find "$LIB" -name '*.[ch]' | sort)

[ "$n" -gt 100 ] || bail "read only $n includes from $LIB"
known=$(printf '%s\n' "$KNOWN" | sed 's/ *#.*//')
unknown="" gone=""
while IFS= read -r l; do
	[ -n "$l" ] || continue
	printf '%s\n' "$known" | grep -qxF -- "$l" || unknown="$unknown
$l"
done <<<"$up"
while IFS= read -r l; do
	[ -n "$l" ] || continue
	printf '%s\n' "$up" | grep -qxF -- "$l" || gone="$gone
$l"
done <<<"$known"
expect_eq "$n includes of src/lib: none goes up a stage (unlisted)" \
	"$unknown" ""
expect_eq "every include listed as going up still does" "$gone" ""
expect_eq "every file of src/lib is in a stage's folder" "$stray" ""

cli=$(grep -l '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' \
	"$SRC"/src/cli/*.[ch] | while read -r f; do
	sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f" |
		while read -r inc; do
			[ -f "$SRC/src/cli/$inc" ] || echo "${f#"$SRC"/} -> $inc"
		done
done)
expect_eq "the CLI includes only its own headers and <sonde/sonde.h>" \
	"$cli" ""
finish
