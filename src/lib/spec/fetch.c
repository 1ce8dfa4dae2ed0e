/* SPDX-License-Identifier: MIT */
/*
 * The fetcharg grammar of kprobe_events / uprobe_events
 * (Documentation/trace/kprobetrace.rst, uprobetracer.rst), checked before
 * the kernel sees it, plus sonde's portable names (argN, retval, comm).
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec_int.h"

/* kernel/trace/trace_probe.h: FETCH_INSN_MAX is 16 ops per argument, so a
 * deeper chain of dereferences could never load. */
#define MAX_DEREF_DEPTH 12
/* kernel/trace/trace_probe.h: MAX_ARRAY_LEN */
#define MAX_ARRAY_LEN 64

struct out {
	char *p;
	size_t len, cap;
	bool oom;
};

struct ctx {
	const char *s; /* the whole fetch being parsed */
	int col;       /* column of s[0] in the spec text */
	enum probe_kind kind;
	struct lib_error *err;
	struct out out;
	/* deferred names (fetch_rewrite_ex) */
	bool usdt, defer, want_string, deferred;
	const struct fetch_resolver *r;
	char *type;
	size_t typelen;
};

/* x86-64 pt_regs names (arch/x86/kernel/ptrace.c regoffset_table); ds, es,
 * fs and gs are only in the 32-bit table. */
static const char *const x86_64_regs[] = {
	"ax",  "bx",  "cx", "dx",    "si",  "di",  "bp",
	"sp",  "r8",  "r9", "r10",   "r11", "r12", "r13",
	"r14", "r15", "ip", "flags", "cs",  "ss",  "orig_ax",
};

/* System V AMD64 ABI integer argument registers, in order. */
static const char *const abi_arg_regs[] = {"di", "si", "dx", "cx", "r8", "r9"};

static void set_error(struct lib_error *err, int col, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Messages quote the user's text and names from the target: one line,
 * its control characters escaped (spec_verr()). */
static void set_error(struct lib_error *err, int col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	spec_verr(err, col, fmt, ap);
	va_end(ap);
}

static void put(struct out *o, const char *s, size_t n)
{
	char *p;

	if (o->oom)
		return;
	if (o->len + n + 1 > o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 64;

		while (cap < o->len + n + 1)
			cap *= 2;
		p = realloc(o->p, cap);
		if (!p) {
			o->oom = true;
			return;
		}
		o->p = p;
		o->cap = cap;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
	o->p[o->len] = '\0';
}

static void puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

bool fetch_is_register(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(x86_64_regs) / sizeof(x86_64_regs[0]); i++)
		if (!strcmp(name, x86_64_regs[i]))
			return true;
	return false;
}

static int fail(struct ctx *c, const char *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct ctx *c, const char *at, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = spec_verr(c->err, c->col + (int)(at - c->s), fmt, ap);
	va_end(ap);
	return ret;
}

static int parse(struct ctx *c, const char *s, const char *e, int depth);

static int parse_reg(struct ctx *c, const char *s, const char *e)
{
	char name[16];
	size_t n = e - s - 1;

	if (n == 0)
		return fail(c, s,
			    "missing register name after '%%': "
			    "expected e.g. %%di, %%ax or %%r8");
	if (n < sizeof(name)) {
		memcpy(name, s + 1, n);
		name[n] = '\0';
		if (fetch_is_register(name)) {
			put(&c->out, s, e - s);
			return 0;
		}
		/* %rdi, %eax: the kernel wants the bare pt_regs name */
		if ((name[0] == 'r' || name[0] == 'e') &&
		    fetch_is_register(name + 1) && !isdigit(name[1]))
			return fail(c, s,
				    "unknown register '%s': the kernel "
				    "calls it '%%%s'",
				    name, name + 1);
	}
	return fail(c, s,
		    "unknown register '%.*s': x86-64 registers are "
		    "ax bx cx dx si di bp sp r8..r15 ip flags cs ss "
		    "orig_ax",
		    (int)(e - s), s);
}

static int parse_var(struct ctx *c, const char *s, const char *e, int depth)
{
	const char *v = s + 1;
	unsigned long long n;

	if (span_eq(v, e, "retval")) {
		if (!probe_kind_is_return(c->kind))
			return fail(c, s,
				    "$retval is only for return probes: "
				    "use ur:, kr: or r:");
	} else if (span_eq(v, e, "comm") || span_eq(v, e, "COMM")) {
		if (depth)
			return fail(c, s, "$comm cannot be dereferenced");
	} else if (span_eq(v, e, "params") && c->defer) {
		if (depth || s != c->s || e != c->s + strlen(c->s))
			return fail(c, s,
				    "$params stands alone: it becomes one "
				    "argument per parameter");
		c->deferred = true;
	} else if (span_eq(v, e, "stack")) {
		/* the stack pointer itself */
	} else if (e - v > 5 && !memcmp(v, "stack", 5)) {
		if (!is_digits(v + 5, e) || !parse_num(v + 5, e, &n))
			return fail(c, s,
				    "'%.*s' is not a stack slot: "
				    "expected $stackN (N >= 0) or $stack",
				    (int)(e - s), s);
	} else if (e - v > 3 && !memcmp(v, "arg", 3)) {
		if (probe_kind_is_user(c->kind))
			return fail(c, s,
				    "uprobes do not take $argN; use "
				    "argN (sonde rewrites it to the ABI "
				    "register)");
		if (!is_digits(v + 3, e) || !parse_num(v + 3, e, &n) || !n)
			return fail(c, s,
				    "'%.*s' is not an argument: "
				    "expected $argN with N >= 1",
				    (int)(e - s), s);
	} else {
		return fail(c, s,
			    "unknown variable '%.*s': expected $stackN, "
			    "$stack, $retval, $comm%s",
			    (int)(e - s), s,
			    probe_kind_is_user(c->kind) ? "" : " or $argN");
	}
	put(&c->out, s, e - s);
	return 0;
}

static bool is_sym_char(char ch)
{
	return isalnum((unsigned char)ch) || ch == '_' || ch == '.';
}

static int parse_mem(struct ctx *c, const char *s, const char *e)
{
	unsigned long long v;
	const char *p;

	if (s + 1 == e)
		return fail(c, s,
			    "missing address after '@': expected "
			    "@ADDR%s",
			    probe_kind_is_user(c->kind) ? " or @+OFFSET"
							: " or @SYMBOL");
	if (isdigit((unsigned char)s[1])) {
		if (!parse_num(s + 1, e, &v))
			return fail(c, s + 1, "address '%.*s' is not a number",
				    (int)(e - s - 1), s + 1);
	} else if (s[1] == '+') {
		if (!probe_kind_is_user(c->kind))
			return fail(c, s,
				    "@+OFFSET (a file offset) is for "
				    "uprobes; kprobes take @ADDR or "
				    "@SYMBOL");
		if (!parse_num(s + 2, e, &v))
			return fail(c, s + 1,
				    "file offset '%.*s' is not a "
				    "number",
				    (int)(e - s - 1), s + 1);
	} else {
		if (probe_kind_is_user(c->kind))
			return fail(c, s,
				    "@SYMBOL is for kprobes; uprobes take "
				    "@ADDR or @+OFFSET");
		if (!isalpha((unsigned char)s[1]) && s[1] != '_')
			return fail(c, s + 1,
				    "bad symbol '%.*s': expected "
				    "@SYMBOL[+|-OFFSET]",
				    (int)(e - s - 1), s + 1);
		for (p = s + 1; p < e && is_sym_char(*p); p++)
			;
		if (p < e && (*p == '+' || *p == '-')) {
			if (!parse_num(p + 1, e, &v))
				return fail(c, p,
					    "offset '%.*s' is not a "
					    "number",
					    (int)(e - p), p);
		} else if (p < e) {
			return fail(c, p,
				    "unexpected '%c' in symbol: expected "
				    "@SYMBOL[+|-OFFSET]",
				    *p);
		}
	}
	put(&c->out, s, e - s);
	return 0;
}

/* Index of the ')' matching the '(' at open, or NULL. */
static const char *match_paren(const char *open, const char *e)
{
	int depth = 0;
	bool quoted = false;
	const char *p;

	for (p = open; p < e; p++) {
		if (*p == '"')
			quoted = !quoted;
		else if (quoted)
			continue;
		else if (*p == '(')
			depth++;
		else if (*p == ')' && --depth == 0)
			return p;
	}
	return NULL;
}

static int parse_deref(struct ctx *c, const char *s, const char *e, int depth)
{
	const char *p = s + 1, *open, *close;
	unsigned long long v;
	int ret;

	if (depth >= MAX_DEREF_DEPTH)
		return fail(c, s, "too many nested dereferences (at most %d)",
			    MAX_DEREF_DEPTH);
	if (p < e && *p == 'u')
		p++; /* user-memory dereference */
	open = memchr(p, '(', e - p);
	if (!open)
		return fail(c, s,
			    "'%.*s' needs a (FETCH) after the offset: "
			    "expected e.g. +8(%%di)",
			    (int)(e - s), s);
	if (!parse_num(p, open, &v))
		return fail(c, p,
			    "offset '%.*s' is not a number: expected "
			    "+|-[u]OFFSET(FETCH)",
			    (int)(open - s), s);
	close = match_paren(open, e);
	if (!close)
		return fail(c, e, "missing ')' to close '(' at column %d",
			    c->col + (int)(open - c->s));
	if (close + 1 != e)
		return fail(c, close + 1, "unexpected '%.*s' after ')'",
			    (int)(e - close - 1), close + 1);
	if (open + 1 == close)
		return fail(c, close,
			    "missing FETCH inside '()': expected "
			    "e.g. +8(%%di)");
	put(&c->out, s, open + 1 - s);
	ret = parse(c, open + 1, close, depth + 1);
	if (ret)
		return ret;
	put(&c->out, ")", 1);
	return 0;
}

static int parse_imm(struct ctx *c, const char *s, const char *e, int depth)
{
	unsigned long long v;
	const char *n = s + 1, *q;

	if (n < e && *n == '"') {
		if (depth)
			return fail(c, s,
				    "an immediate string cannot be "
				    "dereferenced");
		if (e - n < 2 || e[-1] != '"')
			return fail(c, e,
				    "missing closing '\"' of the "
				    "immediate string");
		if (memchr(n + 1, '"', e - n - 2))
			return fail(c, memchr(n + 1, '"', e - n - 2),
				    "unexpected '\"' inside the immediate "
				    "string");
		for (q = n + 1; q < e - 1; q++)
			/* the kernel's isspace() splits the definition there
			 * (0xa0 too: its ctype is Latin-1), '#' starts a
			 * comment, control bytes are not text */
			if ((unsigned char)*q < 0x20 || *q == 0x7f ||
			    (unsigned char)*q == 0xa0 || *q == '#')
				return fail(c, q,
					    "byte 0x%02x cannot be in an "
					    "immediate string: the kernel "
					    "would not read it as written",
					    (unsigned char)*q);
	} else {
		/* kernel str_to_immediate(): [+|-]NUMBER */
		if (n < e && (*n == '-' || *n == '+'))
			n++;
		if (!parse_num(n, e, &v))
			return fail(c, s + 1,
				    "immediate '%.*s' is not a "
				    "number: expected \\NUMBER or "
				    "\\\"STRING\"",
				    (int)(e - s), s);
	}
	put(&c->out, s, e - s);
	return 0;
}

/* perf probe's variable syntax: NAME ( ->MEMBER | .MEMBER | [N] )*.
 * Returns NULL when [s, e) is one, else where it stops fitting. */
static const char *var_expr_bad(const char *s, const char *e)
{
	const char *p = s;

	if (p == e || !name_char(*p, true))
		return p;
	while (p < e && name_char(*p, false))
		p++;
	while (p < e) {
		if (*p == '.' || (*p == '-' && p + 1 < e && p[1] == '>')) {
			p += *p == '.' ? 1 : 2;
			if (p == e || !name_char(*p, true))
				return p;
			while (p < e && name_char(*p, false))
				p++;
		} else if (*p == '[') {
			p++;
			if (p == e || !isdigit((unsigned char)*p))
				return p;
			while (p < e && isdigit((unsigned char)*p))
				p++;
			if (p == e || *p != ']')
				return p;
			p++;
		} else {
			return p;
		}
	}
	return NULL;
}

/* A name for the resolver: 0 handled, 1 not the resolver's, or -errno. */
static int resolve_name(struct ctx *c, const char *s, const char *e,
			int depth)
{
	struct lib_error re = LIB_ERROR_SPEC_INIT;
	char *name, *fetch = NULL, type[32] = "";
	bool whole = depth == 0 && s == c->s && !s[e - s];
	int ret;

	if (!c->r) {
		c->deferred = true;
		put(&c->out, s, e - s);
		return 0;
	}
	name = strndup(s, e - s);
	if (!name) {
		c->out.oom = true;
		return 0;
	}
	ret = c->r->name(c->r->ctx, name, whole && c->want_string, &fetch, type,
			 sizeof(type), &re);
	free(name);
	if (ret < 0)
		return fail(c, s, "%s", re.msg[0] ? re.msg : strerror(-ret));
	if (ret > 0)
		return 1;
	puts_(&c->out, fetch);
	free(fetch);
	if (whole && c->type)
		snprintf(c->type, c->typelen, "%s", type);
	return 0;
}

static int parse_portable(struct ctx *c, const char *s, const char *e,
			  int depth)
{
	bool argn = e - s > 3 && !memcmp(s, "arg", 3) && is_digits(s + 3, e);
	const char *bad;
	unsigned long long n;
	int ret;

	/* a USDT probe's argN is the note's, a DWARF name the debug info's;
	 * both are known only once the target is */
	if (c->defer && (argn ? c->usdt : !var_expr_bad(s, e) &&
					      !span_eq(s, e, "retval") &&
					      !span_eq(s, e, "comm"))) {
		ret = resolve_name(c, s, e, depth);
		if (ret <= 0)
			return ret;
	}
	if (c->defer && !argn) {
		bad = var_expr_bad(s, e);
		if (bad && bad != s && isalpha((unsigned char)*s))
			return fail(c, bad,
				    "unexpected '%.*s' in variable '%.*s': "
				    "expected NAME, NAME->MEMBER, "
				    "NAME.MEMBER or NAME[N]",
				    (int)(e - bad), bad, (int)(e - s), s);
	}

	if (e - s > 3 && !memcmp(s, "arg", 3) && is_digits(s + 3, e)) {
		if (!parse_num(s + 3, e, &n) || n == 0)
			return fail(c, s,
				    "'%.*s': arguments count from 1 "
				    "(arg1 is the first)",
				    (int)(e - s), s);
		if (n > 6)
			return fail(c, s,
				    "arg%llu is passed on the stack on "
				    "x86-64: use +%llu($stack) at "
				    "function entry",
				    n, (n - 6) * 8);
		if (probe_kind_is_return(c->kind))
			return fail(c, s,
				    "arg%llu on a return probe would "
				    "read %%%s after the call clobbered "
				    "it: fetch arguments at entry (u:/k:)",
				    n, abi_arg_regs[n - 1]);
		put(&c->out, "%", 1);
		puts_(&c->out, abi_arg_regs[n - 1]);
		return 0;
	}
	if (span_eq(s, e, "retval")) {
		if (!probe_kind_is_return(c->kind))
			return fail(c, s,
				    "retval is only for return probes: "
				    "use ur:, kr: or r:");
		puts_(&c->out, "$retval");
		return 0;
	}
	if (span_eq(s, e, "comm")) {
		if (depth)
			return fail(c, s, "comm cannot be dereferenced");
		puts_(&c->out, "$comm");
		return 0;
	}
	return fail(c, s,
		    "unknown fetch '%.*s': expected %%REG, $stackN, "
		    "$retval, $comm, @ADDR, +OFF(FETCH), \\IMM, argN, "
		    "retval or comm",
		    (int)(e - s), s);
}

static int parse(struct ctx *c, const char *s, const char *e, int depth)
{
	if (s == e)
		return fail(c, s,
			    "missing FETCH: expected e.g. arg1, %%di, "
			    "$stack1 or +0(arg1)");
	switch (*s) {
	case '%':
		return parse_reg(c, s, e);
	case '$':
		return parse_var(c, s, e, depth);
	case '@':
		return parse_mem(c, s, e);
	case '+':
	case '-':
		return parse_deref(c, s, e, depth);
	case '\\':
		return parse_imm(c, s, e, depth);
	default:
		return parse_portable(c, s, e, depth);
	}
}

static char *rewrite(struct ctx *c, const char *fetch)
{
	if (!fetch) {
		set_error(c->err, c->col, "missing FETCH");
		errno = EINVAL;
		return NULL;
	}
	if (parse(c, fetch, fetch + strlen(fetch), 0)) {
		free(c->out.p);
		errno = EINVAL;
		return NULL;
	}
	if (c->out.oom) {
		free(c->out.p);
		set_error(c->err, -1, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	return c->out.p;
}

char *fetch_rewrite_ex(const char *fetch, enum probe_kind kind, int col,
		       struct lib_error *err, bool usdt,
		       const struct fetch_resolver *r, bool want_string,
		       bool *deferred, char *type, size_t typelen)
{
	struct ctx c = {.s = fetch, .col = col, .kind = kind, .err = err,
			.usdt = usdt, .defer = probe_kind_is_user(kind),
			.want_string = want_string, .r = r, .type = type,
			.typelen = typelen};
	char *out;

	if (type && typelen)
		type[0] = '\0';
	out = rewrite(&c, fetch);
	if (deferred)
		*deferred = out && c.deferred;
	if (out && c.deferred && !r) {
		/* kept as written until the target resolves it */
		free(out);
		out = strdup(fetch);
		if (!out)
			set_error(err, -1, "out of memory");
	}
	return out;
}

char *fetch_rewrite(const char *fetch, enum probe_kind kind, int col,
		    struct lib_error *err)
{
	struct ctx c = {.s = fetch, .col = col, .kind = kind, .err = err};

	return rewrite(&c, fetch);
}

static int check_bitfield(const char *t, const char *e, int col,
			  struct lib_error *err)
{
	unsigned long w, o, sz;
	char *p;

	/* b<bit-width>@<bit-offset>/<container-size> (kprobetrace.rst) */
	if (!isdigit((unsigned char)t[1]))
		goto bad;
	w = strtoul(t + 1, &p, 10);
	if (*p != '@' || !isdigit((unsigned char)p[1]))
		goto bad;
	o = strtoul(p + 1, &p, 10);
	if (*p != '/' || !isdigit((unsigned char)p[1]))
		goto bad;
	sz = strtoul(p + 1, &p, 10);
	if (p != e)
		goto bad;
	if (sz != 8 && sz != 16 && sz != 32 && sz != 64) {
		set_error(err, col,
			  "bitfield container size %lu must be 8, "
			  "16, 32 or 64",
			  sz);
		return -EINVAL;
	}
	if (w == 0 || w > sz || o >= sz || w + o > sz) {
		set_error(err, col,
			  "bitfield %.*s does not fit: width >= 1 "
			  "and width + offset <= %lu",
			  (int)(e - t), t, sz);
		return -EINVAL;
	}
	return 0;
bad:
	set_error(err, col,
		  "bad bitfield '%.*s': expected "
		  "b<WIDTH>@<OFFSET>/<SIZE>, e.g. b4@2/32",
		  (int)(e - t), t);
	return -EINVAL;
}

int fetch_check_type(const char *type, int col, struct lib_error *err)
{
	static const char *const basic[] = {
		"u8",	  "u16",     "u32",    "u64",	 "s8",	"s16",
		"s32",	  "s64",     "x8",     "x16",	 "x32", "x64",
		"string", "ustring", "symbol", "symstr",
	};
	const char *br, *e;
	unsigned long long n;
	size_t i;

	if (!type || !*type) {
		set_error(err, col,
			  "missing TYPE after ':': expected e.g. "
			  "u32, s64, x64 or string");
		return -EINVAL;
	}
	e = type + strlen(type);
	br = strchr(type, '[');
	if (br) {
		if (e[-1] != ']' || e - br < 2) {
			set_error(err, col + (int)(e - type),
				  "missing ']' after the array length: "
				  "expected TYPE[N]");
			return -EINVAL;
		}
		if (!parse_num(br + 1, e - 1, &n) || !n || n > MAX_ARRAY_LEN) {
			set_error(err, col + (int)(br + 1 - type),
				  "array length '%.*s' must be 1..%d",
				  (int)(e - br - 2), br + 1, MAX_ARRAY_LEN);
			return -EINVAL;
		}
		e = br;
	}
	if (type[0] == 'b' && e - type > 1 && isdigit((unsigned char)type[1]))
		return check_bitfield(type, e, col, err);
	for (i = 0; i < sizeof(basic) / sizeof(basic[0]); i++)
		if (span_eq(type, e, basic[i]))
			return 0;
	set_error(err, col,
		  "unknown type '%.*s': expected u8..u64, s8..s64, "
		  "x8..x64, string, ustring, symbol, symstr or "
		  "b<W>@<O>/<S>",
		  (int)(e - type), type);
	return -EINVAL;
}
