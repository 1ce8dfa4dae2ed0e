#!/bin/bash
# Variables by name from DWARF on fixture_dwarf: parameters, a struct
# member through a pointer, a nested member, an array element, strings
# through char * and char[], a global's element, $params; refusals with a
# sentence (optimized out: where it does live; no debug info).
. "$(dirname "$0")/lib.sh"
require_root
require_uprobes
bin=$FIXTURES/fixture_dwarf
require_file "$SONDE" "$bin"

N=3
want()
{
	local i
	for i in $(seq 1 $N); do
		echo "sum: a=$i b=$((2 * i)) c=-$i"
		echo "handle: id=$i path=\"/p/$i\" x=$((10 * i)) y=$((20 * i)) v2=$((i + 2)) tag=\"t-$i\" mode=$((i % 3))"
		echo "scale: k=$i t=7"
		echo "sum_2: a=$i b=$((2 * i)) c=-$i"
	done
}
want | sort >"$T_DIR/want"

for backend in tracefs perf; do
	hygiene_begin
	"$SONDE" trace --backend $backend -c "$bin $N" "u:$bin:sum a b c" \
		"u:$bin:handle id=req->id path=req->path:string x=req->pt.x y=req->pt.y v2=req->vals[2] tag=req->tag:string mode" \
		"u:$bin:scale k t=table[2]" "u:$bin:sum \$params" \
		>"$T_DIR/out" 2>"$T_DIR/err"
	expect_eq "$backend: exit status" "$?" 0
	events "$T_DIR/out" | sort >"$T_DIR/got"
	expect_file_eq "$backend: every variable by name, exact" \
		"$T_DIR/got" "$T_DIR/want"
	hygiene_check "$backend: tracefs left as found"
done

# refusals: exit 2, one sentence, the caret under the argument
"$SONDE" trace -d 0.1 "u:$bin:main i" >/dev/null 2>"$T_DIR/err"
expect_eq "optimized out: exit 2" "$?" 2
expect_grep "optimized out: says where it does live" \
	"^sonde: 'i' is optimized out at this address of main; it is the constant 1 at main+0x[0-9a-f]*\.\.+0x[0-9a-f]*, in %[a-z0-9]* at main+.* (probe main+0x[0-9a-f]* to read it)$" \
	"$T_DIR/err"
expect_eq "optimized out: caret under 'i'" \
	"$(sed -n 3p "$T_DIR/err" | awk '{ print index($0, "^") }')" \
	"$(sed -n 2p "$T_DIR/err" | awk '{ print index($0, " i") + 1 }')"

"$SONDE" trace -d 0.1 "u:$bin:handle req->nope" >/dev/null 2>"$T_DIR/err"
expect_eq "no such member: exit 2" "$?" 2
expect_grep "no such member: names the struct" \
	"^sonde: 'req' (struct req) has no member 'nope'$" "$T_DIR/err"

"$SONDE" trace -d 0.1 "ur:$bin:sum a" >/dev/null 2>"$T_DIR/err"
expect_eq "variable on a return probe: exit 2" "$?" 2

objcopy --strip-debug "$bin" "$T_DIR/nodebug" 2>/dev/null
"$SONDE" trace -d 0.1 "u:$T_DIR/nodebug:sum a" >/dev/null 2>"$T_DIR/err"
expect_eq "no debug info: exit 2" "$?" 2
expect_grep "no debug info: says so" \
	"^sonde: .*/nodebug has no debug info (DWARF): variables cannot be fetched by name; use argN or registers, or install its debug file$" \
	"$T_DIR/err"

# sonde list -v: the DWARF signature beside each function
addr=$(nm "$bin" | awk '$3 == "sum" { print $1 }')
"$SONDE" list -q -v "u:$bin:sum" >"$T_DIR/out" 2>"$T_DIR/err"
expect_eq "list -v: exit status" "$?" 0
expect_eq "list -v: address, size, name, signature" "$(cat "$T_DIR/out")" \
	"$addr      9 sum  int sum(int a, int b, short int c)"
"$SONDE" list -q -v "u:$bin:handle" >"$T_DIR/out" 2>"$T_DIR/err"
expect_grep "list -v: a struct pointer parameter" \
	" handle  long int handle(struct req \*req, int mode)$" "$T_DIR/out"
"$SONDE" list -v "u:$T_DIR/nodebug:sum" >"$T_DIR/out" 2>"$T_DIR/err"
expect_grep "list -v without debug info: says so, lists anyway" \
	"no debug info, so no signatures$" "$T_DIR/err"
expect_eq "list -v without debug info: the function, unadorned" \
	"$(awk '{ print $3, NF }' "$T_DIR/out")" "sum 3"

finish
