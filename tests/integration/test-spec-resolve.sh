#!/bin/bash
# Where a spec puts its probe, checked against binutils on the same file:
# USDT provider/name patterns attach to exactly the notes readelf -n lists
# and fire with the C source's values; an empty target with -p (u::SYM,
# usdt::PROV:NAME) finds the library of the process that has it; an address
# outside the executable segments (readelf -l) or inside an instruction
# (objdump -d) is refused naming them; the kernel's p:PATH:SYM[+OFF] lands
# on the symbol's file offset and names unnamed arguments as the kernel
# itself does for the same definition.
. "$(dirname "$0")/lib.sh"
require_root
require_uprobes
bin=$FIXTURES/spec_sites
lib=$FIXTURES/libsites.so
require_file "$SONDE" "$bin" "$lib"
bin=$(realpath "$bin")
lib=$(realpath "$lib")
N=3

# loads FILE: "OFFSET VADDR FILESZ FLAGS" of each PT_LOAD readelf -l prints
loads()
{
	readelf -lW "$1" | awk '$1 == "LOAD" {
		f = ""; for (i = 7; i < NF; i++) f = f $i
		print $2, $3, $5, f }'
}

# vaddr_offset FILE VADDR: the file offset of VADDR through those headers.
vaddr_offset()
{
	local v=$(($2)) off va sz fl
	while read -r off va sz fl; do
		if [ "$v" -ge $((va)) ] && [ "$v" -lt $((va + sz)) ]; then
			printf '0x%x\n' $((v - va + off))
			return 0
		fi
	done <<EOT
$(loads "$1")
EOT
	return 1
}

# exec_segments FILE [off]: "0xLO..0xHI" of each PT_LOAD with PF_X (virtual
# addresses, or file offsets), ", "-separated.
exec_segments()
{
	local off va sz fl lo out=""
	while read -r off va sz fl; do
		case $fl in *E*) ;; *) continue ;; esac
		lo=$((va))
		[ "${2:-}" = off ] && lo=$((off))
		out="$out${out:+, }$(printf '0x%x..0x%x' $lo $((lo + sz)))"
	done <<EOT
$(loads "$1")
EOT
	echo "$out"
}

# notes FILE: "PROVIDER NAME LOCATION" of each USDT note, in note order.
notes()
{
	readelf -nW "$1" | awk '/Provider:/ { p = $NF } /Name:/ { n = $NF }
		/Location:/ { sub(/,$/, "", $2); print p, n, $2 }'
}

# offsets of the definitions `sonde format -v` shows, sorted
defined_offsets()
{
	sed -n 's/^# [pr]:[^ ]* [^ ]*:\(0x[0-9a-f]*\).*/\1/p' "$1" | sort
}

# --- USDT provider and name patterns ----------------------------------------

hygiene_begin
notes "$bin" >"$T_DIR/notes"
[ -s "$T_DIR/notes" ] || bail "readelf -n lists no USDT notes in $bin"
for pat in '*' 'sites:*' '*:alpha' 'oth?r:[a-b]*'; do
	case $pat in
	*:*) pp=${pat%%:*} np=${pat#*:} ;;
	*) pp='*' np=$pat ;;
	esac
	while read -r p n loc; do
		# shellcheck disable=SC2053 # the pattern is the point
		[[ $p == $pp && $n == $np ]] && vaddr_offset "$bin" "$loc"
	done <"$T_DIR/notes" | sort >"$T_DIR/want"
	"$SONDE" format -v "usdt:$bin:$pat" >"$T_DIR/out" 2>&1
	rc=$?
	defined_offsets "$T_DIR/out" >"$T_DIR/got"
	if [ "$rc" = 0 ] && [ -s "$T_DIR/want" ] && cmp -s "$T_DIR/got" "$T_DIR/want"; then
		ok "usdt:BIN:$pat: a probe on each note readelf -n lists for it ($(wc -l <"$T_DIR/want" | tr -d ' '))"
	else
		not_ok "usdt:BIN:$pat: a probe on each note readelf -n lists for it" \
			"status $rc; want $(cat "$T_DIR/want"); got:
$(cat "$T_DIR/out")"
	fi
done

# the values, from spec_sites.c; event names as for one probe each (a
# second probe of the same name, in note order, gets _2)
want_usdt()
{
	local i
	awk '{ k = $1 ":" $2; c[$2]++; print k, (c[$2] > 1 ? $2 "_" c[$2] : $2) }' \
		"$T_DIR/notes" >"$T_DIR/names"
	ev() { awk -v k="$1" '$1 == k { print $2 }' "$T_DIR/names"; }
	for i in $(seq 1 $N); do
		case $1 in *sites:alpha*) echo "$(ev sites:alpha): arg1=$i arg2=$((2 * i))" ;; esac
		case $1 in *sites:beta*) echo "$(ev sites:beta): arg1=-$i" ;; esac
		case $1 in *other:alpha*) echo "$(ev other:alpha): arg1=$((i + 1000))" ;; esac
	done
}
for c in '*|sites:alpha sites:beta other:alpha' 'sites:*|sites:alpha sites:beta' \
	'*:alpha|sites:alpha other:alpha'; do
	pat=${c%%|*}
	want_usdt "${c#*|}" | sort >"$T_DIR/want"
	"$SONDE" trace -c "$bin $N" "usdt:$bin:$pat" >"$T_DIR/out" 2>"$T_DIR/err"
	rc=$?
	events "$T_DIR/out" | sort >"$T_DIR/got"
	if [ "$rc" = 0 ] && cmp -s "$T_DIR/got" "$T_DIR/want"; then
		ok "usdt:BIN:$pat fires with the source's values"
	else
		not_ok "usdt:BIN:$pat fires with the source's values" \
			"status $rc; $(diff "$T_DIR/want" "$T_DIR/got"); $(cat "$T_DIR/err")"
	fi
done

"$SONDE" trace -q -c "$bin 1" "usdt:$bin:nomatch*" >"$T_DIR/out" 2>"$T_DIR/err"
rc=$?
if [ "$rc" = 2 ] && grep -q "no USDT probe matches 'nomatch\*' in $bin" "$T_DIR/err"; then
	ok "a USDT pattern without a match: refused, named (status 2)"
else
	not_ok "a USDT pattern without a match: refused, named" "status $rc; $(cat "$T_DIR/err")"
fi
hygiene_check "USDT patterns: tracefs left as found"

# --- an empty target: every object of -p PID --------------------------------

start_bg "$bin" $N --wait >"$T_DIR/ready"
fpid=$BG
wait_line "$T_DIR/ready" '^ready$' || bail "spec_sites did not start"
want=$(readelf -sW "$lib" | awk '$4 == "FUNC" && $8 == "site_lib" { print "0x" $2; exit }')
want=$(vaddr_offset "$lib" "$want")
start_bg "$SONDE" trace -p "$fpid" 'u::site_lib a=arg1:s32' \
	'ur::site_lib r=retval:s32' 'usdt::libsites:ping' \
	>"$T_DIR/out" 2>"$T_DIR/err"
spid=$BG
wait_attached "$spid" || not_ok "-p: attached" "$(cat "$T_DIR/err")"
got=$(sed -n "s/^p:sonde_${spid}_[0-9]*\/site_lib \([^ ]*\).*/\1/p" "$TRACEFS/uprobe_events")
expect_eq "u::site_lib -p: uprobe_events has libsites.so at site_lib's file offset (readelf)" \
	"${got%%:*}:$(printf '0x%x' $((${got##*:})))" "$lib:$want"
kill -USR1 "$fpid"
wait_exit "$fpid" 20
wait_exit "$spid" 5
for i in $(seq 1 $N); do
	echo "site_lib: a=$i"
	echo "site_lib__return: r=$((5 * i))"
	echo "ping: arg1=$i arg2=$((7 * i))"
done | sort >"$T_DIR/want"
events "$T_DIR/out" | sort >"$T_DIR/got"
expect_file_eq "u::SYM, ur::SYM, usdt::PROV:NAME with -p: fire in the library, values of spec_sites.c" \
	"$T_DIR/got" "$T_DIR/want"

start_bg "$bin" 1 --wait >"$T_DIR/ready2"
fpid=$BG
wait_line "$T_DIR/ready2" '^ready$' || bail "spec_sites did not start"
"$SONDE" trace -q -p "$fpid" 'u::no_such_function_zz' >"$T_DIR/out" 2>"$T_DIR/err"
rc=$?
if [ "$rc" = 2 ] && grep -q "objects mapped by pid $fpid has a function 'no_such_function_zz'" "$T_DIR/err"; then
	ok "u::SYM that no object has: refused, named (status 2)"
else
	not_ok "u::SYM that no object has: refused, named" "status $rc; $(cat "$T_DIR/err")"
fi
"$SONDE" trace -q -p "$fpid" 'usdt::nosuch:probe' >"$T_DIR/out" 2>"$T_DIR/err"
rc=$?
if [ "$rc" = 2 ] && grep -q "has a USDT probe 'nosuch:probe'" "$T_DIR/err"; then
	ok "usdt::PROV:NAME that no object has: refused, named (status 2)"
else
	not_ok "usdt::PROV:NAME that no object has: refused, named" "status $rc; $(cat "$T_DIR/err")"
fi
kill -USR1 "$fpid"
wait_exit "$fpid" 20
"$SONDE" trace -q -d 1 'u::site_lib' >"$T_DIR/out" 2>"$T_DIR/err"
rc=$?
if [ "$rc" = 2 ] && grep -q "give its -p PID" "$T_DIR/err"; then
	ok "u::SYM without -p: refused, says to give -p (status 2)"
else
	not_ok "u::SYM without -p: refused, says to give -p" "status $rc; $(cat "$T_DIR/err")"
fi
# -c: the program is not running yet when the probes are placed (its
# process is still sonde's fork), so its objects are unknown
"$SONDE" trace -q -c "$bin 1" 'usdt::sites:alpha' >"$T_DIR/out" 2>"$T_DIR/err"
rc=$?
if [ "$rc" = 2 ] && grep -q "has not started its program yet" "$T_DIR/err"; then
	ok "usdt::PROV:NAME with -c: refused, says why (status 2)"
else
	not_ok "usdt::PROV:NAME with -c: refused, says why" "status $rc; $(cat "$T_DIR/err")"
fi
hygiene_check "empty target: tracefs left as found"

# --- addresses that are not instructions --------------------------------------

# refused ADDR-SPEC PATTERN: exit 2 and the message has PATTERN (fixed)
refused()
{
	"$SONDE" trace -q -c "$bin 1" "$1" >"$T_DIR/out" 2>"$T_DIR/err"
	rc=$?
	if [ "$rc" = 2 ] && grep -qF -e "$2" "$T_DIR/err"; then
		ok "$1: refused, naming $3 (status 2)"
	else
		not_ok "$1: refused, naming $3" "status $rc; want '$2'; $(cat "$T_DIR/err")"
	fi
}
bash=$(realpath /bin/bash)
refused "u:/bin/bash:0xa" \
	"0xa is not in an executable segment of $bash (r-x: $(exec_segments "$bash"))" \
	"bash's r-x segments (readelf -l)"
refused "u:$bin:0x10a" \
	"0x10a is not in an executable segment of $bin (r-x: $(exec_segments "$bin"))" \
	"the r-x segments (readelf -l)"
ro=$(readelf -SW "$bin" | awk '$2 == ".rodata" { print "0x" $5 }')
refused "p:ev $bin:$ro" \
	"file offset $(printf '0x%x' $((ro))) is not in an executable segment of $bin (r-x, file offsets: $(exec_segments "$bin" off))" \
	"the r-x segments' file offsets (readelf -l)"

# linked without -z separate-code: the headers and .rodata share the r-x
# segment with the code; the executable sections as readelf -S lists them
nosep=$FIXTURES/spec_sites_nosep
if [ -e "$nosep" ]; then
	nosep=$(realpath "$nosep")
	secs=$(readelf -SW "$nosep" | sed -n 's/^ *\[ *[0-9]*\] //p' |
		while read -r name type addr off size es flg rest; do
			case $type:$flg in NOBITS:*) continue ;; *:*A*X* | *:*X*A*) ;; *) continue ;; esac
			printf '%s %s 0x%x..0x%x' "${sep:-}" "$name" $((16#$addr)) $((16#$addr + 16#$size))
			sep=,
		done)
	secs=${secs# }
	refused "u:$nosep:0x10a" \
		"0x10a is in an executable segment of $nosep but not in its code (executable sections: $secs)" \
		"the r-x sections (readelf -S)"
	ro=$(readelf -SW "$nosep" | awk '$2 == ".rodata" { print $4 }')
	refused "u:$nosep:0x$ro" \
		"0x$(printf '%x' $((16#$ro))) is in an executable segment of $nosep but not in its code" \
		".rodata, outside the r-x sections (readelf -S)"
else
	skip "an address in an r-x segment outside the code" "no spec_sites_nosep"
fi

# site_step's instructions as objdump decodes them: the first that is
# longer than one byte, and the one after it
objdump -d -F --no-show-raw-insn "$bin" |
	awk '/<site_step>/ { on = 1; fa = $1
			if (match($0, /File Offset: 0x[0-9a-f]+/))
				fo = substr($0, RSTART + 13, RLENGTH - 13)
			next }
		on && /^$/ { exit }
		on { sub(/:$/, "", $1); print "0x" fa, fo, "0x" $1 }' |
	while read -r fa fo a; do
		if [ -n "${prev:-}" ] && [ $((a - prev)) -gt 1 ]; then
			echo "$fa $fo $prev $a"
			break
		fi
		prev=$a
	done >"$T_DIR/insn"
read -r fn fo s e <"$T_DIR/insn"
if ! "$SONDE" --version | grep -q "instruction check: capstone"; then
	skip "an address inside an instruction" "built without capstone"
elif [ -z "$e" ]; then
	not_ok "objdump: a multi-byte instruction in site_step" "$(cat "$T_DIR/insn")"
else
	in=$((s + 1))
	k=$((in - fn))
	fs=$((s - fn + fo)) fe=$((e - fn + fo))
	refused "u:$bin:$(printf '0x%x' $in)" \
		"site_step+$(printf '0x%x' $k) is inside an instruction ($(printf '0x%x' $in), in the $((e - s))-byte instruction at $(printf '0x%x' $s))" \
		"the instruction (objdump -d)"
	refused "u:$bin:site_step+$k" \
		"the instructions around it start at site_step+$(printf '0x%x' $((s - fn))) and site_step+$(printf '0x%x' $((e - fn))) ($(printf '0x%x' $s), $(printf '0x%x' $e))" \
		"the boundaries (objdump -d)"
	refused "p:ev $bin:$(printf '0x%x' $((in - fn + fo)))" \
		"(file offset $(printf '0x%x' $((in - fn + fo))), in the $((e - s))-byte instruction at $(printf '0x%x' $fs)): a breakpoint there would corrupt it; the instructions around it start at site_step+$(printf '0x%x' $((s - fn))) and site_step+$(printf '0x%x' $((e - fn))) ($(printf '0x%x' $fs), $(printf '0x%x' $fe))" \
		"file offsets of the boundaries (objdump -F)"
	# what works keeps working: the boundary itself
	"$SONDE" trace -c "$bin $N" "u:$bin:$(printf '0x%x' $e) a=%di:s32" >"$T_DIR/out" 2>"$T_DIR/err"
	rc=$?
	expect_eq "u:BIN:ADDR on a boundary (objdump) still fires, status $rc" \
		"$(events "$T_DIR/out" | sed 's/^[^:]*: //' | tr '\n' ' ')" \
		"$(for i in $(seq 1 $N); do printf 'a=%d ' "$i"; done)"
fi

# --- the kernel's syntax with PATH:SYM[+OFF] ----------------------------------

sym=$(readelf -sW "$bin" | awk '$4 == "FUNC" && $8 == "site_step" { print "0x" $2; exit }')
off=$(vaddr_offset "$bin" "$sym")
k=$((${e:-$fn} - fn)) # an instruction boundary in site_step (objdump), or 0
start_bg "$bin" $N --wait >"$T_DIR/ready3"
fpid=$BG
wait_line "$T_DIR/ready3" '^ready$' || bail "spec_sites did not start"
start_bg "$SONDE" trace -p "$fpid" "p:ev $bin:site_step %di:s32 %si:s64" \
	"p:ev2 $bin:site_step+$k %ip %ax x=%bx %cx" \
	"r:ret $bin:site_step \$retval:s64" >"$T_DIR/out" 2>"$T_DIR/err"
spid=$BG
wait_attached "$spid" || not_ok "kernel syntax -p: attached" "$(cat "$T_DIR/err")"
cp "$TRACEFS/uprobe_events" "$T_DIR/ue"
# the kernel's own names for the same unnamed arguments, in a group of ours
grp=sdtest_$$
echo "p:$grp/ev $bin:$off %ip %ax x=%bx %cx" >>"$TRACEFS/uprobe_events"
knames=$(grep "^p:$grp/ev " "$TRACEFS/uprobe_events" |
	sed 's/^[^ ]* [^ ]* //; s/=[^ ]*//g')
echo "-:$grp/ev" >>"$TRACEFS/uprobe_events"
kill -USR1 "$fpid"
wait_exit "$fpid" 20
wait_exit "$spid" 5
# def EVENT: sonde's line for EVENT in uprobe_events, as the kernel shows it
def() { grep "^[pr]:sonde_${spid}_[0-9]*/$1 " "$T_DIR/ue"; }
at() { printf '0x%x' $(($(def "$1" | sed 's/^[^ ]* [^ ]*:\(0x[0-9a-f]*\).*/\1/'))); }
expect_eq "p:ev PATH:SYM: uprobe_events has the symbol's file offset (readelf)" \
	"$(at ev)" "$off"
expect_eq "p:ev PATH:SYM+OFF: uprobe_events has the symbol's file offset + OFF" \
	"$(at ev2)" "$(printf '0x%x' $((off + k)))"
expect_eq "r:ev PATH:SYM: a return probe at the symbol's file offset" \
	"$(at ret)" "$off"
# (less sonde's own hidden fields, __sonde_p*: the comm at the hit)
snames=$(def ev2 | sed 's/^[^ ]* [^ ]* //; s/ __sonde_p[^ ]*//g; s/=[^ ]*//g')
if [ -n "$knames" ] && [ "$snames" = "$knames" ]; then
	ok "unnamed arguments named as the kernel names them ($snames)"
else
	not_ok "unnamed arguments named as the kernel names them" \
		"kernel: '$knames'; sonde: '$snames'"
fi
for i in $(seq 1 $N); do
	echo "ev: arg1=$i arg2=$((3 * i))"
	echo "ret: arg1=$((4 * i))"
done | sort >"$T_DIR/want"
events "$T_DIR/out" | grep -v '^ev2:' | sort >"$T_DIR/got"
expect_file_eq "p:ev PATH:SYM and r:ev PATH:SYM fire with spec_sites.c's values" \
	"$T_DIR/got" "$T_DIR/want"
expect_eq "p:ev PATH:SYM+OFF fires once a call" \
	"$(events "$T_DIR/out" | grep -c '^ev2: arg1=')" "$N"
hygiene_check "addresses and the kernel syntax: tracefs left as found"

finish
