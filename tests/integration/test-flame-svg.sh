#!/bin/bash
# sonde stack --svg FILE: the flame graph parsed as XML (python3's
# xml.etree) and its boxes read back (flame_check.py): widths proportional
# to the hits in their titles, each box on a parent that spans it, the
# stacks the boxes make equal to the --folded lines of the same run, and
# the hits of each function equal to the calls the fixture's C source
# makes (flame.c: leaf_c through a->b->c N times, d->c M times, a->c K
# times; mid_b probed too). Its script run in node on a stand-in DOM
# (flame_js.js): a click zooms (the box and what stands on it across the
# width, the boxes under it faded, the others hidden), Search marks the
# matches and counts a match inside another once, Escape undoes. C++
# template names (< > &, " (", '+'; binutils' c++filt is the reference)
# and names with control bytes and bad UTF-8 (objcopy) come through as
# text. rsvg-convert, when there, renders it. -i and an empty FILE are
# refused; the probes are after the prologue, as in test-chain.sh (a
# frame-pointer walk at a function's first instruction misses the caller).
. "$(dirname "$0")/lib.sh"
require_root
require_uprobes
bin=$FIXTURES/flame
require_file "$SONDE" "$bin"
HERE=$(cd "$(dirname "$0")" && pwd)
for t in python3 objdump; do
	command -v $t >/dev/null || { skip "$T_NAME" "no $t"; finish; }
done

# after_prologue FUNC BIN: FUNC's offset of the instruction after
# "mov %rsp,%rbp" (objdump), empty when there is none
after_prologue()
{
	set -- $(objdump -d "$2" | awk -v fn="$1" '
		$0 ~ "^[0-9a-f]+ <" fn ">:$" { start = $1; on = 1; next }
		on && /^$/ { exit }
		on && split($0, f, "\t") >= 3 {
			a = $1; sub(":", "", a)
			if (seen) { print start, a; exit }
			if (f[3] ~ /^mov +%rsp,%rbp/) seen = 1
		}')
	[ $# = 2 ] && echo $((16#$2 - 16#$1))
}

# check_svg LABEL SVG FOLDED [NAME=HITS...]: flame_check.py's lines as TAP
check_svg()
{
	local label=$1
	shift
	check_lines "$label" python3 "$HERE/flame_check.py" "$@"
}

c_off=$(after_prologue leaf_c "$bin")
b_off=$(after_prologue mid_b "$bin")
if [ -z "$c_off" ] || [ -z "$b_off" ]; then
	skip "$T_NAME" "no frame setup found in leaf_c, mid_b"
	finish
fi

N=7 M=4 K=3
hygiene_begin
"$SONDE" stack -q --folded --svg "$T_DIR/flame.svg" -c "$bin $N $M $K" \
	"u:$bin:leaf_c+$c_off" "u:$bin:mid_b+$b_off" >"$T_DIR/folded" 2>"$T_DIR/err"
expect_eq "exit status" "$?" 0
hygiene_check "tracefs left as found"
# the C source's counts, in the folded lines first
for want in "main;outer_a;mid_b;leaf_c $N" "main;side_d;leaf_c $M" \
	"main;outer_a;leaf_c $K" "main;outer_a;mid_b $N"; do
	expect_grep "folded: ...;$want" ";$want\$" "$T_DIR/folded"
done
expect_eq "folded: four stacks" "$(wc -l <"$T_DIR/folded")" 4
check_svg "svg" "$T_DIR/flame.svg" "$T_DIR/folded" \
	"leaf_c=$((N + M + K))" "mid_b=$((2 * N))" "outer_a=$((2 * N + K))" \
	"side_d=$M" "main=$((2 * N + M + K))" --dom "$T_DIR/dom.json"

# --top 2: the two stacks --folded prints, N through mid_b and M through d
"$SONDE" stack -q --top 2 --folded --svg "$T_DIR/top.svg" -c "$bin $N $M $K" \
	"u:$bin:leaf_c+$c_off" >"$T_DIR/top.folded" 2>"$T_DIR/err"
expect_eq "--top 2: exit status" "$?" 0
check_svg "--top 2" "$T_DIR/top.svg" "$T_DIR/top.folded" "leaf_c=$((N + M))" \
	"side_d=$M" "mid_b=$N"
expect_grep "--top 2: the subtitle says so" '2 stacks (--top: the most frequent of 3)' \
	"$T_DIR/top.svg"

# the script: click, search, Escape (node, on a stand-in DOM)
TOTAL=$((2 * N + M + K))
if command -v node >/dev/null && [ -s "$T_DIR/dom.json" ]; then
	node "$HERE/flame_js.js" "$T_DIR/dom.json" start zoom=mid_b zoom=all \
		zoom=side_d unzoom 'search=^leaf_c$' escape \
		'search=^(outer_a|mid_b)$' escape >"$T_DIR/js" 2>&1
	expect_eq "script: runs (node)" "$?" 0
	# box NAME HITS X WIDTH FLAGS of one step, widths to 0.01 px
	js_box()
	{
		awk -F '\t' -v s="$1" -v n="$2" -v h="$3" '
			$1 == s && $2 == "box" && $3 == n && $4 == h {
				printf "%.2f %.2f %s\n", $5, $6, $7 }' "$T_DIR/js"
	}
	expect_eq "zoom=mid_b: mid_b across the width" \
		"$(js_box zoom=mid_b mid_b $((2 * N)))" "10.00 1180.00 "
	expect_eq "zoom=mid_b: its leaf_c half as wide (N of 2N hits)" \
		"$(js_box zoom=mid_b leaf_c $N)" "10.00 590.00 "
	expect_eq "zoom=mid_b: outer_a under it, across, faded" \
		"$(js_box zoom=mid_b outer_a $((2 * N + K)))" "10.00 1180.00 under"
	expect_eq "zoom=mid_b: boxes beside it hidden (side_d, the other leaf_c)" \
		"$(awk -F '\t' '$1 == "zoom=mid_b" && $2 == "box" && ($3 == "side_d" || $4 == '$K' || $4 == '$M')' "$T_DIR/js")" ""
	expect_grep "zoom=mid_b: Reset zoom shown" '^zoom=mid_b	unzoom	shown$' "$T_DIR/js"
	expect_grep "zoom=mid_b: label the name" '^zoom=mid_b	label	mid_b	mid_b$' "$T_DIR/js"
	for s in unzoom zoom=all; do
		expect_eq "$s: every box back where the file put it" \
			"$(awk -F '\t' -v s=$s '$1 == s && $2 != "label" { $1 = ""; print }' "$T_DIR/js")" \
			"$(awk -F '\t' '$1 == "start" { $1 = ""; print }' "$T_DIR/js")"
	done
	expect_grep "search leaf_c: N+M+K of all hits" \
		"^search=^leaf_c\$	matched	Matched: $((N + M + K)) of $TOTAL hits (" "$T_DIR/js"
	expect_eq "search leaf_c: its three boxes marked, only they" \
		"$(awk -F '\t' '$1 == "search=^leaf_c$" && $7 == "match" { print $3 }' "$T_DIR/js" | tr '\n' ' ')" \
		"leaf_c leaf_c leaf_c "
	expect_grep "search outer_a|mid_b: mid_b inside outer_a counted once (2N+K)" \
		"matched	Matched: $((2 * N + K)) of $TOTAL hits (" "$T_DIR/js"
	expect_eq "zoom=side_d: side_d and its leaf_c across the width" \
		"$(js_box zoom=side_d side_d $M; js_box zoom=side_d leaf_c $M)" \
		"10.00 1180.00 
10.00 1180.00 "
	expect_eq "escape: the marks cleared" \
		"$(awk -F '\t' '$1 == "escape" && ($7 != "" || ($2 == "matched" && $3 != ""))' "$T_DIR/js")" ""
else
	skip "script: click, search, Escape" "no node"
fi

if command -v rsvg-convert >/dev/null; then
	rsvg-convert -o "$T_DIR/flame.png" "$T_DIR/flame.svg" 2>"$T_DIR/rsvg"
	expect_eq "rsvg-convert renders it" "$?:$(head -c 4 "$T_DIR/flame.png" | tail -c 3)" "0:PNG"
else
	skip "rsvg-convert renders it" "no rsvg-convert (librsvg2-bin)"
fi

# C++: the names c++filt gives, escaped in the file, equal after parsing
cxx=$FIXTURES/flame_tmpl
if [ -x "$cxx" ] && command -v c++filt >/dev/null && command -v nm >/dev/null; then
	leaf=$(nm "$cxx" | awk '$3 ~ /^_Z8leaf_tpl/ { print $3 }')
	via=$(nm "$cxx" | awk '$3 ~ /^_Z3via/ { print $3 }')
	plus=$(nm "$cxx" | awk '$3 ~ /^_Zpl/ { print $3 }')
	off=$(after_prologue "$leaf" "$cxx")
	"$SONDE" stack -q --folded --svg "$T_DIR/cxx.svg" -c "$cxx 5 2" \
		"u:$cxx:$leaf+$off" >"$T_DIR/cxx.folded" 2>"$T_DIR/err"
	expect_eq "c++: exit status" "$?" 0
	L=$(c++filt "$leaf") V=$(c++filt "$via") P=$(c++filt "$plus")
	expect_eq "c++: folded lines, names as c++filt gives them" \
		"$(sed 's/^.*;main;/main;/' "$T_DIR/cxx.folded" | sort)" \
		"$(printf '%s\n' "main;$V;$L 5" "main;$P;$L 2" | sort)"
	check_svg "c++ svg" "$T_DIR/cxx.svg" "$T_DIR/cxx.folded" "$L=7" "$V=5" "$P=2"
	expect_grep "c++: < > & escaped in the file" \
		'<title>long leaf_tpl&lt;int, 3&gt;(Box&lt;int&gt;&amp;) (5 hits' "$T_DIR/cxx.svg"
else
	skip "c++ names" "no flame_tmpl, c++filt or nm"
fi

# names with control bytes, bad UTF-8 and XML specials (objcopy)
if command -v objcopy >/dev/null; then
	HOSTILE=$'b\e[31m<&"\'\x9b>'
	SAFE='b\x1b[31m<&"'"'"'\x9b>'
	objcopy --redefine-sym "mid_b=$HOSTILE" "$bin" "$T_DIR/hostile" &&
		chmod 755 "$T_DIR" "$T_DIR/hostile"
	"$SONDE" stack -q --folded --svg "$T_DIR/hostile.svg" -c "$T_DIR/hostile 2 1 1" \
		"u:$T_DIR/hostile:leaf_c+$c_off" >"$T_DIR/hostile.folded" 2>"$T_DIR/err"
	expect_eq "hostile name: exit status" "$?" 0
	check_svg "hostile name" "$T_DIR/hostile.svg" "$T_DIR/hostile.folded" \
		"$SAFE=2" "leaf_c=4"
	expect_eq "hostile name: no raw control byte or byte >= 0x80 in the file" \
		"$(LC_ALL=C grep -caP '[\x00-\x09\x0b-\x1f\x7f-\xff]' "$T_DIR/hostile.svg")" 0
else
	skip "hostile names" "no objcopy"
fi

# refused before anything runs: no probe, no file
hygiene_begin
"$SONDE" stack --svg "$T_DIR/i.svg" -i 1 -c "$bin 1 1 1" "u:$bin:leaf_c" \
	>/dev/null 2>"$T_DIR/err"
expect_eq "-i with --svg: exit 2" "$?" 2
expect_grep "-i with --svg: says why" "svg draws the whole run" "$T_DIR/err"
expect_eq "-i with --svg: no file" "$(ls "$T_DIR/i.svg" 2>/dev/null)" ""
"$SONDE" stack --svg "" -c "$bin 1 1 1" "u:$bin:leaf_c" >/dev/null 2>"$T_DIR/err"
expect_eq "--svg '': exit 2" "$?" 2
"$SONDE" stack -q --svg "$T_DIR/no/such/dir/x.svg" -c "$bin 1 1 1" "u:$bin:leaf_c" \
	>/dev/null 2>"$T_DIR/err"
expect_eq "--svg in a missing directory: exit 1" "$?" 1
expect_grep "--svg in a missing directory: names the file" "no/such/dir/x.svg" "$T_DIR/err"
hygiene_check "refusals: tracefs left as found"
finish
