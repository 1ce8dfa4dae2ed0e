#!/bin/bash
# Variables by name on probes at a function's entry, in the shapes of
# bpftrace's uprobe_test (struct members, char and int arrays, a pointer
# to a struct holding pointers, nested structs, bitfields, a char), built
# -O0 (stack slots the prologue writes: the probe goes after the prologue),
# -O2 (registers, location lists: read at the entry) and -O0 with DWARF 4
# (DW_AT_bit_offset). Values are checked against the C source on every
# backend and against gdb stopped at the same address; the address after
# the prologue against gdb's own `break FUNC`. Refusals: an explicit
# address inside the prologue, a signed bitfield, a 16-byte integer, a
# variable on a return probe.
. "$(dirname "$0")/lib.sh"
require_root
require_uprobes
F=$FIXTURES
require_file "$SONDE" "$F/dwarf_entry_O0" "$F/dwarf_entry_O2" \
	"$F/dwarf_entry_O0_dwarf4"

N=3
# the probes, "FUNC ARGS" (the same for every build)
PROBES=(
	"uprobeFunction1 n0=n[0] n1=n[1] c"
	"uprobeFunction2 a=foo1->a b=foo1->b:string c=foo1->c b0=foo1->b[0] a2=foo2->a c2=foo2->c[2]"
	"uprobeBar a=bar->foos[0]->a s=bar->foos[1]->b:string x=bar->x"
	"uprobeNested id=o->id x=o->in.x y=o->in.y"
	"uprobeFlags lo=f->lo mid=f->mid one=f->one hi=f->hi w1=f->w1 w2=f->w2"
	"uprobeMany a1 a7 a8"
)

# what dwarf_entry.c passes, for i = 1..N
want()
{
	local i
	for i in $(seq 1 "$1"); do
		echo "uprobeFunction1: n0=$((13 + i)) n1=$((7 * i)) c=120"
		echo "uprobeFunction2: a=$((123 + i)) b=\"hello\" c={1,2,$((3 + i))} b0=104 a2=456 c2=6"
		echo "uprobeBar: a=456 s=\"hello\" x=$((40 + i))"
		echo "uprobeNested: id=$((1000 + i)) x=$i y=-$i"
		echo "uprobeFlags: lo=$i mid=$((200 + i)) one=1 hi=$((300000 + i)) w1=703710 w2=$((0x12345678 + i))"
		echo "uprobeMany: a1=1 a7=$((70 + i)) a8=121"
	done
}

specs()
{
	local p
	for p in "${PROBES[@]}"; do
		echo "u:$1:$p"
	done
}

# vaddr_of FILE OFF: the virtual address of file offset OFF (binutils'
# view of the PT_LOAD segments), as a decimal number
vaddr_of()
{
	local o=$(($2)) off va sz
	while read -r off va sz; do
		off=$((off)) va=$((va)) sz=$((sz))
		if [ "$o" -ge "$off" ] && [ "$o" -lt $((off + sz)) ]; then
			echo $((o - off + va))
			return 0
		fi
	done <<EOT
$(readelf -lW "$1" | awk '$1 == "LOAD" { print $2, $3, $5 }')
EOT
	return 1
}

sym_vaddr()
{
	readelf -sW "$1" | awk -v s="$2" \
		'$4 == "FUNC" && $8 == s { print "0x" $2; exit }'
}

# probe_delta BIN FUNC ARGS...: how far past FUNC sonde puts the probe
# (from the file offset it writes to uprobe_events)
probe_delta()
{
	local bin=$1 fn=$2 off v
	shift 2
	off=$("$SONDE" format -v "u:$bin:$fn $*" 2>/dev/null |
		sed -n 's/^# p:[^ ]* [^ ]*:\(0x[0-9a-f]*\).*/\1/p')
	[ -n "$off" ] || return 1
	v=$(vaddr_of "$bin" "$off") || return 1
	echo $((v - $(sym_vaddr "$bin" "$fn")))
}

# gdb_line BIN FUNC DELTA ARGS...: "FUNC: name=value ..." as gdb prints
# them stopped at FUNC+DELTA on the first call (i = 1)
gdb_line()
{
	local bin=$1 fn=$2 delta=$3 a name expr cmds=() out
	shift 3
	cmds+=(-ex "break *$fn+$delta" -ex run -ex 'echo @@\n')
	for a in "$@"; do
		name=${a%%=*} expr=${a#*=}
		case $expr in
		*:string) cmds+=(-ex "printf \"$name=\\\"%s\\\"\\n\", ${expr%:string}") ;;
		*) cmds+=(-ex "echo $name=" -ex "output/d $expr" -ex 'echo \n') ;;
		esac
	done
	out=$(timeout 60 gdb -nx -batch -iex 'set debuginfod enabled off' \
		"${cmds[@]}" --args "$bin" 1 2>/dev/null |
		sed -n '/^@@$/,$p' | sed 1d | sed 's/, /,/g' | paste -sd' ')
	echo "$fn: $out"
}

for build in O0 O2 O0_dwarf4; do
	bin=$F/dwarf_entry_$build
	want $N | sort >"$T_DIR/want"
	mapfile -t S < <(specs "$bin")
	for backend in tracefs perf bpf; do
		hygiene_begin
		"$SONDE" trace --backend $backend -c "$bin $N" "${S[@]}" \
			>"$T_DIR/out" 2>"$T_DIR/err"
		expect_eq "$build $backend: exit status" "$?" 0
		events "$T_DIR/out" | sort >"$T_DIR/got"
		expect_file_eq "$build $backend: every value as the C source passes it" \
			"$T_DIR/got" "$T_DIR/want"
		hygiene_check "$build $backend: tracefs left as found"
	done

	# the same address in gdb: the same values on the first call
	if ! command -v gdb >/dev/null; then
		skip "$build: values against gdb" "gdb is not installed"
		continue
	fi
	want 1 >"$T_DIR/want1"
	for p in "${PROBES[@]}"; do
		fn=${p%% *}
		# shellcheck disable=SC2086 # the args are words
		delta=$(probe_delta "$bin" $p)
		if [ -z "$delta" ]; then
			not_ok "$build $fn: sonde format gives the probe's offset"
			continue
		fi
		# shellcheck disable=SC2086
		got=$(gdb_line "$bin" "$fn" "$delta" ${p#* })
		expect_eq "$build $fn+$delta: gdb reads what the C source passes" \
			"$got" "$(grep "^$fn:" "$T_DIR/want1")"
		case $build in
		O2)
			expect_eq "$build $fn: parameters in registers, probed at the entry" \
				"$delta" 0
			;;
		*)
			# gdb's `break FUNC` skips the prologue too
			g=$(timeout 60 gdb -nx -batch -iex 'set debuginfod enabled off' \
				-ex "break $fn" "$bin" 2>/dev/null |
				sed -n 's/^Breakpoint 1 at \(0x[0-9a-f]*\):.*/\1/p')
			expect_eq "$build $fn: after the prologue where gdb's 'break $fn' is" \
				"$delta" "$((g - $(sym_vaddr "$bin" "$fn")))"
			;;
		esac
	done
done

O0=$F/dwarf_entry_O0
hygiene_begin
"$SONDE" format -v "u:$O0:uprobeFunction2 a=foo1->a" >/dev/null \
	2>"$T_DIR/err"
expect_grep "-v says the probe moved past the prologue" \
	"^sonde: uprobeFunction2: 'foo1' is in its stack slot only after the prologue: probing uprobeFunction2+0x[0-9a-f]* " \
	"$T_DIR/err"

# an explicit address is not moved: inside the prologue it is refused
"$SONDE" trace -d 0.1 "u:$O0:uprobeFunction2+0 a=foo1->a" >/dev/null \
	2>"$T_DIR/err"
expect_eq "+0 inside the prologue: exit 2" "$?" 2
expect_grep "+0 inside the prologue: says why" \
	"^sonde: 'foo1' is written to its stack slot by the prologue of uprobeFunction2, which ends at uprobeFunction2+0x" \
	"$T_DIR/err"
entry=$(sym_vaddr "$O0" uprobeFunction2)
"$SONDE" trace -d 0.1 "u:$O0:$entry a=foo1->a" >/dev/null 2>"$T_DIR/err"
expect_eq "the entry address: refused (exit 2)" "$?" 2
d=$(probe_delta "$O0" uprobeFunction2 "a=foo1->a")
"$SONDE" trace -q -c "$O0 2" "u:$O0:uprobeFunction2+$d a=foo1->a" \
	>"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "+$d (the prologue's end) given: read there" \
	"$(events "$T_DIR/out" | sed 's/^[^:]*: //' | paste -sd' ')" \
	"a=124 a=125"
# $params: every parameter, six in registers and two on the stack
for build in O0 O2; do
	bin=$F/dwarf_entry_$build
	"$SONDE" trace -q -c "$bin 1" "u:$bin:uprobeMany \$params" \
		>"$T_DIR/out" 2>"$T_DIR/err"
	expect_eq "$build \$params: each parameter as passed" \
		"$(events "$T_DIR/out")" \
		"uprobeMany: a1=1 a2=2 a3=3 a4=4 a5=5 a6=6 a7=71 a8=121"
done

# an argument the caller passed on the stack is in place from the entry
# on, at the CFA: %sp+8 at the entry, %sp+16 after push %rbp, %bp+16
# after mov %rsp,%rbp (the instructions checked with objdump)
insns=$(objdump -d --no-show-raw-insn "$O0" |
	sed -n '/<uprobeMany>:/,/^$/p' | sed -n '2,3p' |
	awk '{ printf "%s%s %s", (NR > 1 ? "; " : ""), $2, $3 }')
if [ "$insns" != "push %rbp; mov %rsp,%rbp" ]; then
	not_ok "uprobeMany starts with push %rbp; mov %rsp,%rbp" "$insns"
fi
for o in 0 1 4; do
	"$SONDE" trace -q -c "$O0 2" "u:$O0:uprobeMany+$o a7" \
		>"$T_DIR/out" 2>"$T_DIR/err"
	expect_eq "a stack-passed argument at +$o (in the prologue): read there" \
		"$(events "$T_DIR/out" | sed 's/^[^:]*: //' | paste -sd' ')" \
		"a7=71 a7=72"
done
# -O2: the location list is valid at the entry, +0 reads it there
O2=$F/dwarf_entry_O2
"$SONDE" trace -q -c "$O2 2" "u:$O2:uprobeFunction2+0 a=foo1->a" \
	>"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "-O2 +0: read at the entry" \
	"$(events "$T_DIR/out" | paste -sd' ')" \
	"uprobeFunction2: a=124 uprobeFunction2: a=125"

# a wildcard's matches are placed as by name; the functions without foo1
# are skipped
for build in O0 O2; do
	bin=$F/dwarf_entry_$build
	"$SONDE" trace -q -c "$bin 2" "u:$bin:uprobe* a=foo1->a c2=foo1->c[2]" \
		>"$T_DIR/out" 2>"$T_DIR/err"
	expect_eq "$build wildcard: the values of the one function with foo1" \
		"$(events "$T_DIR/out" | paste -sd' ')" \
		"uprobeFunction2: a=124 c2=4 uprobeFunction2: a=125 c2=5"
done

# fetch types: an int array as s32[3], bitfields as the kernel's b<W>@<O>/<S>
for build in O0 O0_dwarf4; do
	"$SONDE" format -v "u:$F/dwarf_entry_$build:uprobeFlags lo=f->lo mid=f->mid w1=f->w1 w2=f->w2" \
		2>/dev/null | grep '^# p:' | sed 's/ __sonde_p[^ ]*//g' >"$T_DIR/def"
	expect_grep "$build: bitfields as b<W>@<O>/<S>" \
		" lo=+0([^ ]*):b4@0/32 mid=+0([^ ]*):b8@4/32 w1=+0([^ ]*):b20@32/64 w2=+8([^ ]*):b30@0/64$" \
		"$T_DIR/def"
done
# (the fault checks' hidden pointer fields, __sonde_p*, left out)
"$SONDE" format -v "u:$O0:uprobeFunction2 c=foo1->c b=foo1->b" 2>/dev/null |
	grep '^# p:' | sed 's/ __sonde_p[^ ]*//g' >"$T_DIR/def"
expect_grep "arrays as ELEM[N]" " c=+16([^ ]*):s32\[3\] b=+4([^ ]*):s8\[10\]$" \
	"$T_DIR/def"

# refusals: exit 2 and the reason
refuse()
{
	"$SONDE" trace -d 0.1 "$2" >/dev/null 2>"$T_DIR/err"
	expect_eq "$1: exit 2" "$?" 2
	expect_grep "$1: says why" "$3" "$T_DIR/err"
}
refuse "a signed bitfield" "u:$O0:uprobeFlags f->neg" \
	"^sonde: the bitfield 'neg' cannot be fetched: it is signed"
refuse "a bitfield as a string" "u:$O0:uprobeFlags f->lo:string" \
	"^sonde: 'f->lo' is a bitfield: drop :string"
refuse "a 16-byte integer" "u:$O0:uprobeFunction2 foo1->d" \
	"^sonde: 'foo1->d' is 16 bytes wide"
refuse "a variable on a return probe" "ur:$O0:uprobeFunction2 foo1->a" \
	"a return probe has only retval"
hygiene_check "tracefs left as found"

# return probes: each function's return value on the first call, as gdb's
# `finish` from the same function gives it, on every backend
RETS="uprobeFunction1:s32 uprobeBar:s32 uprobeNested:s64 uprobeFlags:u32 uprobeMany:s64"
for build in O0 O2; do
	bin=$F/dwarf_entry_$build
	if ! command -v gdb >/dev/null; then
		skip "$build: return values against gdb" "gdb is not installed"
		continue
	fi
	: >"$T_DIR/gwant"
	for r in $RETS; do
		fn=${r%%:*}
		v=$(timeout 60 gdb -nx -batch -iex 'set debuginfod enabled off' \
			-ex "break $fn" -ex run -ex finish --args "$bin" 1 2>/dev/null |
			sed -n 's/^Value returned is \$[0-9]* = \(-\{0,1\}[0-9]*\).*/\1/p')
		echo "${fn}__return: r=$v" >>"$T_DIR/gwant"
	done
	sort "$T_DIR/gwant" >"$T_DIR/gwant.s"
	specs=()
	for r in $RETS; do
		specs+=("ur:$bin:${r%%:*} r=retval:${r#*:}")
	done
	for backend in tracefs perf bpf; do
		hygiene_begin
		"$SONDE" trace -q --backend $backend -c "$bin 1" "${specs[@]}" \
			>"$T_DIR/out" 2>"$T_DIR/err"
		expect_eq "$build $backend ur: exit status" "$?" 0
		events "$T_DIR/out" | sort >"$T_DIR/got"
		expect_file_eq "$build $backend ur: return values as gdb's finish gives them" \
			"$T_DIR/got" "$T_DIR/gwant.s"
		hygiene_check "$build $backend ur: tracefs left as found"
	done
done

finish
