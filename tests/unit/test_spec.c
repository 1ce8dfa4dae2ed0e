/* SPDX-License-Identifier: MIT */
/* spec_parse(): one cmocka case per table row, named after its input. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "spec/spec.h"

struct ok_case {
	const char *text;
	enum probe_kind kind;
	const char *group, *event, *target, *symbol;
	const char *provider; /* usdt */
	uint64_t offset, addr, ref;
	bool has_addr, addr_is_offset;
	int maxactive;
	int target_col, symbol_col;
	/* "NAME=FETCH:TYPE ..." (":TYPE" left out when NULL) */
	const char *args;
};

static const struct ok_case ok_cases[] = {
	/* sonde's own forms */
	{"u:/bin/bash:readline", PROBE_UPROBE, .target = "/bin/bash",
	 .symbol = "readline", .target_col = 2, .symbol_col = 12},
	{"u:./demo:add a=arg1 b=arg2:s32", PROBE_UPROBE, .target = "./demo",
	 .symbol = "add", .target_col = 2, .symbol_col = 9,
	 .args = "a=%di:s64 b=%si:s32"},
	{"u:libc:malloc+4 arg1", PROBE_UPROBE, .target = "libc",
	 .symbol = "malloc", .offset = 4, .args = "arg1=%di:s64",
	 .target_col = 2, .symbol_col = 7},
	{"u:libc:malloc+0x10", PROBE_UPROBE, .target = "libc",
	 .symbol = "malloc", .offset = 16, .target_col = 2, .symbol_col = 7},
	{"u:./demo:0x1139", PROBE_UPROBE, .target = "./demo", .has_addr = true,
	 .addr = 0x1139, .target_col = 2, .symbol_col = 9},
	{"u:./demo:4409", PROBE_UPROBE, .target = "./demo", .has_addr = true,
	 .addr = 4409, .target_col = 2, .symbol_col = 9},
	{"ur:./demo:add retval", PROBE_URETPROBE, .target = "./demo",
	 .symbol = "add", .args = "retval=$retval:s64", .target_col = 3,
	 .symbol_col = 10},
	{"ur:./demo:add ret=retval:x32", PROBE_URETPROBE, .target = "./demo",
	 .symbol = "add", .args = "ret=$retval:x32", .target_col = 3,
	 .symbol_col = 10},
	{"u:./prog:ns::Klass::run arg1", PROBE_UPROBE, .target = "./prog",
	 .symbol = "ns::Klass::run", .args = "arg1=%di:s64", .target_col = 2,
	 .symbol_col = 9},
	{"u:./prog:_ZN2ns5Klass3runEv+8", PROBE_UPROBE, .target = "./prog",
	 .symbol = "_ZN2ns5Klass3runEv", .offset = 8, .target_col = 2,
	 .symbol_col = 9},
	{"k:do_sys_open", PROBE_KPROBE, .symbol = "do_sys_open",
	 .target_col = 2, .symbol_col = 2},
	{"k:do_sys_open+8 %di", PROBE_KPROBE, .symbol = "do_sys_open",
	 .offset = 8, .args = "di=%di", .target_col = 2, .symbol_col = 2},
	{"k:ext4:ext4_sync_file", PROBE_KPROBE, .target = "ext4",
	 .symbol = "ext4_sync_file", .target_col = 2, .symbol_col = 7},
	{"k:vmlinux:vfs_read", PROBE_KPROBE, .symbol = "vfs_read",
	 .target_col = 2, .symbol_col = 10},
	{"k:foo.isra.0", PROBE_KPROBE, .symbol = "foo.isra.0", .target_col = 2,
	 .symbol_col = 2},
	{"k:0xffffffff81000000", PROBE_KPROBE, .has_addr = true,
	 .addr = 0xffffffff81000000ull, .target_col = 2, .symbol_col = 2},
	{"kr:do_sys_open", PROBE_KRETPROBE, .symbol = "do_sys_open",
	 .target_col = 3, .symbol_col = 3},
	{"kr10:do_sys_open retval", PROBE_KRETPROBE, .symbol = "do_sys_open",
	 .maxactive = 10, .args = "retval=$retval:s64", .target_col = 5,
	 .symbol_col = 5},
	{"k:vfs_read $arg1 $arg2 comm", PROBE_KPROBE, .symbol = "vfs_read",
	 .args = "arg1=$arg1 arg2=$arg2 comm=$comm", .target_col = 2,
	 .symbol_col = 2},
	/* the kernel's own syntax, verbatim from the seed */
	{"p:myprobe do_sys_open dfd=%ax filename=%dx flags=%cx "
	 "mode=+4($stack)",
	 PROBE_KPROBE, .event = "myprobe", .symbol = "do_sys_open",
	 .args = "dfd=%ax filename=%dx flags=%cx mode=+4($stack)",
	 .target_col = 10, .symbol_col = 10},
	{"r:myretprobe do_sys_open $retval", PROBE_KRETPROBE,
	 .event = "myretprobe", .symbol = "do_sys_open", .args = "arg1=$retval",
	 .target_col = 13, .symbol_col = 13},
	{"p:myprobe do_sys_open", PROBE_KPROBE, .event = "myprobe",
	 .symbol = "do_sys_open", .target_col = 10, .symbol_col = 10},
	{"p:grp/ev do_sys_open+4", PROBE_KPROBE, .group = "grp", .event = "ev",
	 .symbol = "do_sys_open", .offset = 4, .target_col = 9,
	 .symbol_col = 9},
	{"r5:ret do_sys_open", PROBE_KRETPROBE, .event = "ret",
	 .symbol = "do_sys_open", .maxactive = 5, .target_col = 7,
	 .symbol_col = 7},
	{"r do_sys_open", PROBE_KRETPROBE, .symbol = "do_sys_open",
	 .target_col = 2, .symbol_col = 2},
	{"p:ev ext4:ext4_sync_file", PROBE_KPROBE, .event = "ev",
	 .target = "ext4", .symbol = "ext4_sync_file", .target_col = 5,
	 .symbol_col = 10},
	{"p:ev vfs_read%return", PROBE_KRETPROBE, .event = "ev",
	 .symbol = "vfs_read", .target_col = 5, .symbol_col = 5},
	{"p:grp/ev /bin/bash:0x4d6b0 %ax", PROBE_UPROBE, .group = "grp",
	 .event = "ev", .target = "/bin/bash", .has_addr = true,
	 .addr = 0x4d6b0, .addr_is_offset = true, .args = "arg1=%ax",
	 .target_col = 9, .symbol_col = 19},
	{"p /bin/bash:1234", PROBE_UPROBE, .target = "/bin/bash",
	 .has_addr = true, .addr = 1234, .addr_is_offset = true,
	 .target_col = 2, .symbol_col = 12},
	{"p:u /usr/bin/prog:0x1000(0x2008)", PROBE_UPROBE, .event = "u",
	 .target = "/usr/bin/prog", .has_addr = true, .addr = 0x1000,
	 .addr_is_offset = true, .ref = 0x2008, .target_col = 4,
	 .symbol_col = 18},
	{"r:ret /bin/bash:0x4d6b0 +0($retval):string", PROBE_URETPROBE,
	 .event = "ret", .target = "/bin/bash", .has_addr = true,
	 .addr = 0x4d6b0, .addr_is_offset = true,
	 .args = "arg1=+0($retval):string", .target_col = 6, .symbol_col = 16},
	{"p:ev ./demo:0x10%return", PROBE_URETPROBE, .event = "ev",
	 .target = "./demo", .has_addr = true, .addr = 0x10,
	 .addr_is_offset = true, .target_col = 5, .symbol_col = 12},
	/* the kernel's syntax with PATH:SYM[+OFF] (perf-tools, BCC); unnamed
	 * arguments named as the kernel names them: a good name keeps itself,
	 * else argN by position (trace_probe.c generate_probe_arg_name()) */
	{"p:ev ./dispatch:_Z16dispatch_commandP3THDPK8COM_DATA", PROBE_UPROBE,
	 .event = "ev", .target = "./dispatch",
	 .symbol = "_Z16dispatch_commandP3THDPK8COM_DATA", .target_col = 5,
	 .symbol_col = 16},
	{"p:grp/ev /bin/bash:readline+8 %ip %ax x=%bx %cx", PROBE_UPROBE,
	 .group = "grp", .event = "ev", .target = "/bin/bash",
	 .symbol = "readline", .offset = 8,
	 .args = "arg1=%ip arg2=%ax x=%bx arg4=%cx", .target_col = 9,
	 .symbol_col = 19},
	{"r:ev /opt/a:b/prog:ns::Klass::run $retval", PROBE_URETPROBE,
	 .event = "ev", .target = "/opt/a:b/prog", .symbol = "ns::Klass::run",
	 .args = "arg1=$retval", .target_col = 5, .symbol_col = 19},
	{"p:ev ./prog:ns::f(int)+4", PROBE_UPROBE, .event = "ev",
	 .target = "./prog", .symbol = "ns::f(int)", .offset = 4,
	 .target_col = 5, .symbol_col = 12},
	{"p:ev /bin/bash:readline comm arg2 %si", PROBE_UPROBE, .event = "ev",
	 .target = "/bin/bash", .symbol = "readline",
	 .args = "comm=$comm arg2=%si:s64 arg3=%si", .target_col = 5,
	 .symbol_col = 15},
	/* an empty target: every object of the process (-p) */
	{"u::readline", PROBE_UPROBE, .target = "", .symbol = "readline",
	 .target_col = 2, .symbol_col = 3},
	{"ur::malloc retval", PROBE_URETPROBE, .target = "", .symbol = "malloc",
	 .args = "retval=$retval:s64", .target_col = 3, .symbol_col = 4},
	/* USDT: names, fnmatch(3) patterns, an empty target */
	{"usdt:./t:prov:name", PROBE_UPROBE, .target = "./t", .symbol = "name",
	 .provider = "prov", .target_col = 5, .symbol_col = 14},
	{"usdt:./t:*", PROBE_UPROBE, .target = "./t", .symbol = "*",
	 .target_col = 5, .symbol_col = 9},
	{"usdt:./t:prov:*", PROBE_UPROBE, .target = "./t", .symbol = "*",
	 .provider = "prov", .target_col = 5, .symbol_col = 14},
	{"usdt:./t:*:na?e", PROBE_UPROBE, .target = "./t", .symbol = "na?e",
	 .provider = "*", .target_col = 5, .symbol_col = 11},
	{"usdt:./t:p[a-z]:[!x]*", PROBE_UPROBE, .target = "./t",
	 .symbol = "[!x]*", .provider = "p[a-z]", .target_col = 5,
	 .symbol_col = 16},
	{"usdt::prov:name arg1", PROBE_UPROBE, .target = "", .symbol = "name",
	 .provider = "prov", .args = "arg1=arg1", .target_col = 5,
	 .symbol_col = 11},
	/* perf-tools' shorthand */
	{"p:bash:readline", PROBE_UPROBE, .target = "bash",
	 .symbol = "readline", .target_col = 2, .symbol_col = 7},
	{"p:bash:readline %di", PROBE_UPROBE, .target = "bash",
	 .symbol = "readline", .args = "arg1=%di", .target_col = 2,
	 .symbol_col = 7},
	{"r:libc:gets +0($retval):string", PROBE_URETPROBE, .target = "libc",
	 .symbol = "gets", .args = "arg1=+0($retval):string", .target_col = 2,
	 .symbol_col = 7},
	{"p:/bin/bash:0x4d6b0", PROBE_UPROBE, .target = "/bin/bash",
	 .has_addr = true, .addr = 0x4d6b0, .addr_is_offset = true,
	 .target_col = 2, .symbol_col = 12},
	{"p:libc:malloc+4", PROBE_UPROBE, .target = "libc", .symbol = "malloc",
	 .offset = 4, .target_col = 2, .symbol_col = 7},
	/* arguments */
	{"  u:b:f   arg1   +0(arg2):string  ", PROBE_UPROBE, .target = "b",
	 .symbol = "f", .args = "arg1=%di:s64 arg2_0=+0(%si):string",
	 .target_col = 4, .symbol_col = 6},
	{"u:b:f\targ1\n%si", PROBE_UPROBE, .target = "b", .symbol = "f",
	 .args = "arg1=%di:s64 si=%si", .target_col = 2, .symbol_col = 4},
	{"u:b:f +0(+8(%di)):string -8(%bp):s32", PROBE_UPROBE, .target = "b",
	 .symbol = "f", .args = "di_8_0=+0(+8(%di)):string bp_m8=-8(%bp):s32",
	 .target_col = 2, .symbol_col = 4},
	{"u:b:f $stack $stack2 comm @+0x10 @0x601040 \\7 \\\"hi\"",
	 PROBE_UPROBE, .target = "b", .symbol = "f",
	 .args = "stack=$stack stack2=$stack2 comm=$comm addr=@+0x10 "
		 "addr_2=@0x601040 imm=\\7 str=\\\"hi\"",
	 .target_col = 2, .symbol_col = 4},
	{"k:f @jiffies:u64 @init_task+8:x64", PROBE_KPROBE, .symbol = "f",
	 .args = "jiffies=@jiffies:u64 init_task=@init_task+8:x64",
	 .target_col = 2, .symbol_col = 2},
	{"u:b:f %di %di arg1 arg1", PROBE_UPROBE, .target = "b", .symbol = "f",
	 .args = "di=%di di_2=%di arg1=%di:s64 "
		 "arg1_2=%di:s64",
	 .target_col = 2, .symbol_col = 4},
	/* a default name steps around a user's name given later */
	{"u:b:f %di di=%si", PROBE_UPROBE, .target = "b", .symbol = "f",
	 .args = "di_2=%di di=%si", .target_col = 2, .symbol_col = 4},
	{"u:b:f x=+0(%di):x8[4] y=+0(%si):b4@2/32 s=+0(%dx):string[2]",
	 PROBE_UPROBE, .target = "b", .symbol = "f",
	 .args = "x=+0(%di):x8[4] y=+0(%si):b4@2/32 s=+0(%dx):string[2]",
	 .target_col = 2, .symbol_col = 4},
	{"u:b:f name=comm:string c=$comm", PROBE_UPROBE, .target = "b",
	 .symbol = "f", .args = "name=$comm:string c=$comm", .target_col = 2,
	 .symbol_col = 4},
	{"u:b:f +0(%di):ustring +0(%di):symbol %ip:symstr", PROBE_UPROBE,
	 .target = "b", .symbol = "f",
	 .args = "di_0=+0(%di):ustring di_0_2=+0(%di):symbol ip=%ip:symstr",
	 .target_col = 2, .symbol_col = 4},
	{"u:b:f _x1=arg3:u8", PROBE_UPROBE, .target = "b", .symbol = "f",
	 .args = "_x1=%dx:u8", .target_col = 2, .symbol_col = 4},
};

struct bad_case {
	const char *text;
	int col;
	const char *msg;
};

static const struct bad_case bad_cases[] = {
	{"", 0, "empty probe spec"},
	{"   ", 3, "empty probe spec"},
	{"x:foo", 0,
	 "unknown probe type 'x': expected u or uprobe, ur or uretprobe, "
	 "k or kprobe, kr or kretprobe, t or tracepoint, usdt or U, p or r"},
	{"usdt:./demo", 11, "missing probe name after 'usdt:./demo'"},
	{"usdt:./demo:p:", 14, "missing probe name"},
	{"do_sys_open", 0, "is not a probe spec"},
	{"-:myprobe", 0, "removes an event"},
	{"u", 1, "missing ':' after 'u'"},
	{"u:", 2, "missing target after 'u:'"},
	{"u::", 2, "missing target"},
	{"p::readline", 2, "missing target"},
	{"usdt:", 5, "missing target after 'usdt:'"},
	{"usdt:./t:a.b", 10, "bad probe name 'a.b'"},
	{"usdt:./t:p*:x/y", 13, "bad probe name 'x/y'"},
	{"usdt:./t:p*:x*/y", 14, "bad probe pattern 'x*/y'"},
	{"usdt:./t:a.*:x", 10, "bad provider pattern 'a.*'"},
	{"p:e /bin/bash:readline+zz", 22, "offset '+zz' is not a number"},
	{"r:e /bin/bash:readline+8", 22,
	 "return probe goes at the function entry"},
	{"p:e /bin/bash:0x10 %si arg1=%di", 23,
	 "argument name 'arg1' is used twice"},
	{"u:./demo", 8, "missing ':SYMBOL' after 'u:./demo'"},
	{"u:./demo:", 9, "missing symbol after 'u:TARGET:'"},
	{"u:./demo:add+zz", 12, "offset '+zz' is not a number"},
	{"u:./demo:add+", 12, "offset '+' is not a number"},
	{"u:./demo:+4", 9, "missing symbol before '+'"},
	{"u:./demo:0x12zz", 9, "address '0x12zz' is not a number"},
	{"ur:./demo:add+4", 13, "a return probe goes at the function entry"},
	{"kr:do_sys_open+4", 14, "drop '+4'"},
	{"k:", 2, "missing function after 'k:'"},
	{"k:do-sys", 4, "unexpected '-' in function name"},
	{"k::f", 2, "missing module before ':'"},
	{"k:mod:", 6, "missing function after 'MODULE:'"},
	{"k:vmlinu*:f", 2, "a wildcard in the module name is not supported"},
	{"kr0:f", 2, "maxactive '0' must be 1..4096"},
	{"kr5000:f", 2, "maxactive '5000' must be 1..4096"},
	{"krx:f", 0, "unknown probe type 'krx'"},
	{"p:1bad do_sys_open", 2, "bad event name '1bad'"},
	{"p:my-probe do_sys_open", 4, "bad event name 'my-probe'"},
	{"p:g.x/ev do_sys_open", 3, "bad group name 'g.x'"},
	{"p:/ev do_sys_open", 2, "missing group name before '/'"},
	{"p:grp/ do_sys_open", 6, "missing event name after 'p:grp/'"},
	{"p: do_sys_open", 2, "missing event name after 'p:'"},
	{"p:ev", 4, "missing location after 'p:ev'"},
	{"p", 1, "missing location"},
	{"p:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	 " f",
	 2, "too long"},
	{"r5:bash:readline", 1, "maxactive (rN) is for kretprobes"},
	{"r5 /bin/bash:0x10", 1, "maxactive (rN) is for kretprobes"},
	{"p:e /bin/bash", 13, "missing ':OFFSET' after the path"},
	{"p:e /bin/bash:", 14, "missing offset after ':'"},
	{"p:e /bin/bash:0x10(0x20", 23, "missing ')'"},
	{"p:e /bin/bash:0x10(zz)", 19, "ref_ctr offset 'zz'"},
	{"p:e /bin/bash:0x1g", 14, "offset '0x1g' is not a number"},
	{"p:bash:", 7, "missing symbol after 'p:TARGET:'"},
	{"p::readline", 2, "missing target after 'p:'"},
	{"r:bash:readline+8", 15, "return probe goes at the function entry"},
	/* arguments */
	{"u:./demo:add arg7", 13, "arg7 is passed on the stack"},
	{"u:./demo:add $arg1", 13, "uprobes do not take $argN; use argN"},
	{"u:./demo:add $retval", 13, "$retval is only for return probes"},
	{"u:./demo:add retval", 13, "retval is only for return probes"},
	{"ur:./demo:add arg1", 14, "return probe"},
	{"u:./demo:add %rax", 13, "the kernel calls it '%ax'"},
	{"u:./demo:add x=+8(%rdi):u32", 18, "unknown register 'rdi'"},
	{"u:./demo:add =arg1", 13, "missing NAME before '='"},
	{"u:./demo:add x=", 15, "missing FETCH after '='"},
	{"u:./demo:add :u32", 13, "missing FETCH"},
	{"u:./demo:add 1x=arg1", 13, "bad argument name '1x'"},
	{"u:./demo:add a-b=arg1", 14, "bad argument name 'a-b'"},
	{"u:./demo:add common_pid=arg1", 13, "taken by the event's own"},
	/* the kernel's syntax names it after itself: the kernel refuses */
	{"p:ev /bin/true:0x10 __probe_ip", 20, "taken by the event's own"},
	{"u:./demo:add a=arg1 a=arg2", 20, "argument name 'a' is used twice"},
	{"u:./demo:add arg1:u128", 18, "unknown type 'u128'"},
	{"u:./demo:add arg1:", 18, "missing TYPE"},
	{"u:./demo:add +0(arg1):u8[100]", 25, "must be 1..64"},
	{"u:./demo:add arg1:string", 18, "write +0(arg1):string"},
	{"u:./demo:add %di:ustring", 17, "write +0(%di):ustring"},
	{"u:./demo:add arg1:u8[4]", 20, "an array is read from memory"},
	{"u:./demo:add $comm:u32", 19, "'$comm' is a string"},
	{"u:./demo:add comm:string[2]", 18, "'comm' is a string"},
	{"u:./demo:add \\\"x\":u8", 18, "is a string"},
	{"k:f @+0x10", 4, "@+OFFSET (a file offset) is for uprobes"},
	{"u:b:f @jiffies", 6, "@SYMBOL is for kprobes"},
	{"k:f+4 $arg1", 6, "$argN works only at function entry"},
	{"u:b:f +0(%di", 12, "missing ')'"},
	{"u:b:f arg1:b4@30/32", 11, "does not fit"},
	/* TYPE follows the last ':', so ":string" is left in FETCH */
	{"u:b:f x=+0(+0(+0(+0(+0(%di))))):string:x", 31,
	 "unexpected ':string' after ')'"},
	{"u:b:f aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa=arg1", 6,
	 "argument name 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' is too long"},
	{"u:b:f +0x1000(+0x1000(+0x1000(+0x1000(+0x1000(+0x1000(+0x1000("
	 "%di))))))):string",
	 6, "argument too long for the kernel"},
};

static void append_arg(char *buf, size_t sz, const struct probe_arg *a)
{
	size_t len = strlen(buf);

	snprintf(buf + len, sz - len, "%s%s=%s%s%s", len ? " " : "", a->name,
		 a->fetch, a->type ? ":" : "", a->type ? a->type : "");
}

#define assert_str_or_null(a, b)                                               \
	do {                                                                   \
		if (b)                                                         \
			assert_non_null(a);                                    \
		if (b)                                                         \
			assert_string_equal(a, b);                             \
		else                                                           \
			assert_null(a);                                        \
	} while (0)

static void ok_case(void **state)
{
	const struct ok_case *c = *state;
	struct lib_error err;
	struct probe_spec s;
	char args[1024] = "";
	size_t i;

	if (spec_parse(c->text, &s, &err))
		fail_msg("'%s' refused at col %d: %s", c->text, err.col,
			 err.msg);
	assert_int_equal(s.kind, c->kind);
	assert_str_or_null(s.group, c->group);
	assert_str_or_null(s.event, c->event);
	assert_str_or_null(s.target, c->target);
	assert_str_or_null(s.symbol, c->symbol);
	assert_str_or_null(s.provider, c->provider);
	assert_int_equal(s.offset, c->offset);
	assert_int_equal(s.has_addr, c->has_addr);
	assert_int_equal(s.addr, c->addr);
	assert_int_equal(s.addr_is_offset, c->addr_is_offset);
	assert_int_equal(s.ref_ctr_offset, c->ref);
	assert_int_equal(s.maxactive, c->maxactive);
	assert_int_equal(s.target_col, c->target_col);
	assert_int_equal(s.symbol_col, c->symbol_col);
	for (i = 0; i < s.nargs; i++) {
		append_arg(args, sizeof(args), &s.args[i]);
		/* each argument's column points at its first character */
		assert_false(c->text[s.args[i].col] == ' ' ||
			     c->text[s.args[i].col] == '\0');
	}
	assert_string_equal(args, c->args ? c->args : "");
	spec_free(&s);
	assert_null(s.args);
	assert_int_equal(s.nargs, 0);
}

static void bad_case(void **state)
{
	const struct bad_case *c = *state;
	struct lib_error err;
	struct probe_spec s;
	int ret = spec_parse(c->text, &s, &err);

	if (!ret) {
		spec_free(&s);
		fail_msg("'%s' was accepted", c->text);
	}
	assert_int_equal(ret, -EINVAL);
	if (err.col != c->col)
		fail_msg("'%s': caret at %d, expected %d (%s)", c->text,
			 err.col, c->col, err.msg);
	if (!strstr(err.msg, c->msg))
		fail_msg("message '%s' lacks '%s'", err.msg, c->msg);
	/* one line, and the spec is left empty */
	assert_null(strchr(err.msg, '\n'));
	assert_null(s.args);
	assert_null(s.target);
	assert_null(s.symbol);
}

static void arg_columns(void **state)
{
	const char *text = "u:b:f  a=arg1   +0(%si):string";
	struct probe_spec s;
	struct lib_error err;

	(void)state;
	assert_int_equal(spec_parse(text, &s, &err), 0);
	assert_int_equal(s.nargs, 2);
	assert_int_equal(s.args[0].col, 7);
	assert_int_equal(s.args[1].col, 16);
	spec_free(&s);
}

static void many_args(void **state)
{
	char text[4096] = "u:b:f";
	struct probe_spec s;
	struct lib_error err;
	int i;

	(void)state;
	for (i = 0; i < 128; i++)
		strcat(text, " %di");
	assert_int_equal(spec_parse(text, &s, &err), 0);
	assert_int_equal(s.nargs, 128);
	assert_string_equal(s.args[0].name, "di");
	assert_string_equal(s.args[1].name, "di_2");
	assert_string_equal(s.args[127].name, "di_128");
	spec_free(&s);
	strcat(text, " %si");
	assert_int_equal(spec_parse(text, &s, &err), -EINVAL);
	assert_int_equal(err.col, 5 + 128 * 4 + 1);
	assert_non_null(strstr(err.msg, "at most 128"));
}

static void free_zeroed(void **state)
{
	struct probe_spec s = {0};
	struct lib_error err;

	(void)state;
	spec_free(&s);
	spec_free(NULL);
	assert_int_equal(spec_parse(NULL, &s, &err), -EINVAL);
	spec_free(&s);
	/* err may be NULL */
	assert_int_equal(spec_parse("x:y", &s, NULL), -EINVAL);
	assert_int_equal(spec_parse("u:b:f arg1", &s, NULL), 0);
	spec_free(&s);
}

/* A wildcard probe's text is parsed as written, pattern and all
 * (expand.c hands the match over as data): the kernel function may be a
 * pattern there, and only there. */
static void kernel_pattern(void **state)
{
	struct probe_spec s;
	struct lib_error err;

	(void)state;
	assert_int_equal(spec_parse("k:do_sys_open* a=%di", &s, &err),
			 -EINVAL);
	assert_int_equal(err.col, 13);
	assert_int_equal(
		spec_parse_pattern("k:do_sys_open* a=%di", &s, &err), 0);
	assert_string_equal(s.symbol, "do_sys_open*");
	assert_int_equal(s.nargs, 1);
	spec_free(&s);
	assert_int_equal(spec_parse_pattern("kr:vfs_[rw]?ad", &s, &err), 0);
	spec_free(&s);
	/* the rest of the grammar holds: still no spaces or '#' */
	assert_int_equal(spec_parse_pattern("k:vfs_#* a=%di", &s, &err),
			 -EINVAL);
}

static char *case_name(const char *prefix, const char *in)
{
	char *s, *p;

	if (asprintf(&s, "%s %s", prefix, *in ? in : "(empty)") < 0)
		abort();
	for (p = s; *p; p++) /* TAP wants one line per case */
		if (*p == '\n' || *p == '\t' || *p == '#')
			*p = ' ';
	return s;
}

int main(void)
{
	size_t nok = sizeof(ok_cases) / sizeof(*ok_cases);
	size_t nbad = sizeof(bad_cases) / sizeof(*bad_cases);
	struct CMUnitTest *t = calloc(nok + nbad + 4, sizeof(*t));
	size_t n = 0, i;
	int ret;

	if (!t)
		return 1;
	for (i = 0; i < nok; i++, n++) {
		t[n].name = case_name("parse", ok_cases[i].text);
		t[n].test_func = ok_case;
		t[n].initial_state = (void *)&ok_cases[i];
	}
	for (i = 0; i < nbad; i++, n++) {
		t[n].name = case_name("reject", bad_cases[i].text);
		t[n].test_func = bad_case;
		t[n].initial_state = (void *)&bad_cases[i];
	}
	t[n].name = "argument columns";
	t[n++].test_func = arg_columns;
	t[n].name = "128 arguments, and no more";
	t[n++].test_func = many_args;
	t[n].name = "spec_free on a zeroed spec, NULL text, NULL err";
	t[n++].test_func = free_zeroed;
	t[n].name = "a kernel function pattern, only in a wildcard's text";
	t[n++].test_func = kernel_pattern;
	ret = _cmocka_run_group_tests("spec", t, n, NULL, NULL);
	for (i = 0; i < nok + nbad; i++)
		free((char *)t[i].name);
	free(t);
	return ret;
}
