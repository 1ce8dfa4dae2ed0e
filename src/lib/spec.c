/* SPDX-License-Identifier: MIT */
/*
 * Probe specs -> struct probe_spec. sonde's own forms (u:, ur:, k:, kr:),
 * the kernel's kprobe_events/uprobe_events lines (p:, r:) and perf-tools'
 * shorthand (p:bash:readline). Memory only; nothing touches the kernel.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec.h"

/* kernel/trace/trace_probe.h */
#define MAX_TRACE_ARGS 128
#define MAX_ARG_NAME_LEN 32
#define MAX_ARGSTR_LEN 63
#define MAX_EVENT_NAME_LEN 64
/* kernel/trace/trace_kprobe.c: MAXACTIVE_MAX */
#define MAXACTIVE_MAX 4096

/* Field names every probe event already has (trace_probe.c
 * reserved_field_names). */
static const char *const reserved_names[] = {
	"common_type", "common_flags", "common_preempt_count", "common_pid",
	"common_tgid", "__probe_ip", "__probe_ret_ip", "__probe_func",
};

struct parser {
	const char *text;
	const char *head;	/* the first word */
	struct probe_spec *spec;
	struct spec_error *err;
	bool *named;		/* args[i] has a user-given NAME */
	const char *maxactive_at;
	const char *p;		/* where the ARGS start */
};

/* Messages quote the user's text: keep them on one printable line. */
static void one_line(char *msg)
{
	for (; *msg; msg++)
		if (iscntrl((unsigned char)*msg))
			*msg = '?';
}

static int perr(struct parser *ps, const char *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int perr(struct parser *ps, const char *at, const char *fmt, ...)
{
	va_list ap;

	if (ps->err) {
		ps->err->col = at ? (int)(at - ps->text) : -1;
		va_start(ap, fmt);
		vsnprintf(ps->err->msg, sizeof(ps->err->msg), fmt, ap);
		va_end(ap);
		one_line(ps->err->msg);
	}
	return -EINVAL;
}

static int oom(struct parser *ps)
{
	perr(ps, NULL, "out of memory");
	return -ENOMEM;
}

static const char *skip_ws(const char *p)
{
	while (*p && isspace((unsigned char)*p))
		p++;
	return p;
}

static const char *word_end(const char *p)
{
	while (*p && !isspace((unsigned char)*p))
		p++;
	return p;
}

static bool span_eq(const char *s, const char *e, const char *word)
{
	size_t n = strlen(word);

	return (size_t)(e - s) == n && !memcmp(s, word, n);
}

static bool is_digits(const char *s, const char *e)
{
	if (s == e)
		return false;
	for (; s < e; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

/* As kstrtoul(s, 0): 0x hex, 0 octal, else decimal; all of [s, e). */
static bool parse_num(const char *s, const char *e, unsigned long long *v)
{
	char buf[32];
	char *end;
	size_t n = e - s;

	if (!n || n >= sizeof(buf) || !isdigit((unsigned char)*s))
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	errno = 0;
	*v = strtoull(buf, &end, 0);
	return !errno && *end == '\0';
}

static const char *find_char(const char *s, const char *e, char c)
{
	return memchr(s, c, e - s);
}

static const char *find_last_char(const char *s, const char *e, char c)
{
	while (e > s)
		if (*--e == c)
			return e;
	return NULL;
}

static int set_str(struct parser *ps, char **dst, const char *s,
		   const char *e)
{
	*dst = strndup(s, e - s);
	return *dst ? 0 : oom(ps);
}

static bool name_char(char c, bool first)
{
	return isalpha((unsigned char)c) || c == '_' ||
	       (!first && isdigit((unsigned char)c));
}

/* Event, group and argument names: is_good_name() in trace_probe.h. */
static int check_name(struct parser *ps, const char *s, const char *e,
		      const char *what, size_t max)
{
	const char *p;

	if (s == e)
		return perr(ps, s, "missing %s name", what);
	for (p = s; p < e; p++)
		if (!name_char(*p, p == s))
			return perr(ps, p, "bad %s name '%.*s': use letters, "
					   "digits and '_', starting with a "
					   "letter or '_'",
				    what, (int)(e - s), s);
	if ((size_t)(e - s) > max)
		return perr(ps, s, "%s name '%.*s' is too long: at most %zu "
				   "characters", what, (int)(e - s), s, max);
	return 0;
}

/* [GRP/]EV of the kernel's "p:[GRP/]EV" */
static int parse_event(struct parser *ps, const char *s, const char *e)
{
	const char *slash = find_char(s, e, '/');
	int ret;

	if (slash) {
		if (slash == s)
			return perr(ps, s, "missing group name before '/': "
					   "expected p:GROUP/EVENT");
		ret = check_name(ps, s, slash, "group", MAX_EVENT_NAME_LEN - 1);
		if (!ret)
			ret = set_str(ps, &ps->spec->group, s, slash);
		if (ret)
			return ret;
		s = slash + 1;
	}
	if (s == e)
		return perr(ps, s, "missing event name after '%.*s': expected "
				   "p:[GROUP/]EVENT", (int)(s - ps->head),
			    ps->head);
	ret = check_name(ps, s, e, "event", MAX_EVENT_NAME_LEN - 1);
	return ret ? ret : set_str(ps, &ps->spec->event, s, e);
}

static bool kernel_sym_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '.';
}

/*
 * SYM[+OFF] or ADDR at [s, e). ctx names what came before, for "missing
 * symbol after 'u:TARGET:'". Kernel symbols are C identifiers, possibly
 * with GCC suffixes (".isra.0"); user symbols are taken as written.
 */
static int parse_symoff(struct parser *ps, const char *s, const char *e,
			bool kernel, const char *ctx)
{
	struct probe_spec *spec = ps->spec;
	const char *plus, *p;
	unsigned long long v;

	spec->symbol_col = (int)(s - ps->text);
	if (s == e)
		return perr(ps, s, "missing %s after '%s': expected %sSYMBOL "
				   "or %s0xADDRESS",
			    kernel ? "function" : "symbol", ctx, ctx, ctx);
	if (isdigit((unsigned char)*s)) {
		if (!parse_num(s, e, &v))
			return perr(ps, s, "address '%.*s' is not a number: "
					   "expected e.g. 0x4d6b0",
				    (int)(e - s), s);
		spec->addr = v;
		spec->has_addr = true;
		return 0;
	}
	plus = find_char(s, e, '+');
	if (plus == s)
		return perr(ps, s, "missing %s before '+': expected %sSYMBOL+OFF",
			    kernel ? "function" : "symbol", ctx);
	if (kernel) {
		for (p = s; p < (plus ? plus : e); p++)
			if (!kernel_sym_char(*p) ||
			    (p == s && isdigit((unsigned char)*p)))
				return perr(ps, p, "unexpected '%c' in function "
						   "name: expected %sFUNC[+OFF]",
					    *p, ctx);
	}
	if (set_str(ps, &spec->symbol, s, plus ? plus : e))
		return -ENOMEM;
	if (!plus)
		return 0;
	if (!parse_num(plus + 1, e, &v))
		return perr(ps, plus, "offset '%.*s' is not a number: expected "
				      "e.g. +4 or +0x10", (int)(e - plus), plus);
	if (probe_kind_is_return(spec->kind))
		return perr(ps, plus, "a return probe goes at the function "
				      "entry: drop '%.*s'", (int)(e - plus),
			    plus);
	spec->offset = v;
	return 0;
}

/* u:TARGET:SYM[+OFF], ur:TARGET:SYM, u:TARGET:0xADDR; also perf-tools'
 * p:TARGET:SYM, where an address is a file offset. */
static int parse_user(struct parser *ps, const char *s, const char *e,
		      const char *type, bool addr_is_offset)
{
	struct probe_spec *spec = ps->spec;
	const char *colon = find_char(s, e, ':');
	char ctx[16];
	int ret;

	if (colon == s || s == e)
		return perr(ps, s, "missing target after '%s:': expected "
				   "%s:TARGET:SYMBOL", type, type);
	if (!colon)
		return perr(ps, e, "missing ':SYMBOL' after '%.*s': expected "
				   "%s:TARGET:SYMBOL or %s:TARGET:0xADDRESS",
			    (int)(e - ps->head), ps->head, type, type);
	spec->target_col = (int)(s - ps->text);
	ret = set_str(ps, &spec->target, s, colon);
	if (ret)
		return ret;
	snprintf(ctx, sizeof(ctx), "%s:TARGET:", type);
	ret = parse_symoff(ps, colon + 1, e, false, ctx);
	if (!ret && spec->has_addr)
		spec->addr_is_offset = addr_is_offset;
	return ret;
}

/* FUNC[+OFF], MOD:FUNC[+OFF] or ADDR, for k: and the kernel's p:/r: */
static int parse_kernel_loc(struct parser *ps, const char *s, const char *e,
			    const char *ctx)
{
	struct probe_spec *spec = ps->spec;
	const char *colon = find_char(s, e, ':');
	int ret;

	spec->target_col = (int)(s - ps->text);
	if (colon) {
		if (colon == s)
			return perr(ps, s, "missing module before ':': "
					   "expected MODULE:FUNC");
		ret = set_str(ps, &spec->target, s, colon);
		if (ret)
			return ret;
		s = colon + 1;
		ctx = "MODULE:";
	}
	return parse_symoff(ps, s, e, true, ctx);
}

/* "/path:0xOFF[(0xREF)]" of uprobe_events (uprobetracer.rst). */
static int parse_uprobe_loc(struct parser *ps, const char *s, const char *e)
{
	struct probe_spec *spec = ps->spec;
	const char *colon = find_last_char(s, e, ':');
	const char *off, *open, *oe;
	unsigned long long v;
	int ret;

	if (!colon)
		return perr(ps, e, "missing ':OFFSET' after the path: expected "
				   "%.*s:0xOFFSET", (int)(e - s), s);
	if (colon == s)
		return perr(ps, s, "missing path before ':OFFSET'");
	spec->target_col = (int)(s - ps->text);
	ret = set_str(ps, &spec->target, s, colon);
	if (ret)
		return ret;
	off = colon + 1;
	spec->symbol_col = (int)(off - ps->text);
	open = find_char(off, e, '(');
	oe = open ? open : e;
	if (off == oe)
		return perr(ps, off, "missing offset after ':': expected "
				     "PATH:0xOFFSET");
	if (!isdigit((unsigned char)*off))
		return perr(ps, off, "uprobe_events takes a file offset, not "
				     "'%.*s': write u:PATH:SYMBOL to probe by "
				     "name", (int)(oe - off), off);
	if (!parse_num(off, oe, &v))
		return perr(ps, off, "offset '%.*s' is not a number: expected "
				     "e.g. 0x4d6b0", (int)(oe - off), off);
	spec->addr = v;
	spec->has_addr = true;
	spec->addr_is_offset = true;
	if (!open)
		return 0;
	if (e[-1] != ')')
		return perr(ps, e, "missing ')' after the ref_ctr offset: "
				   "expected PATH:0xOFFSET(0xREF)");
	if (!parse_num(open + 1, e - 1, &v))
		return perr(ps, open + 1, "ref_ctr offset '%.*s' is not a "
					  "number", (int)(e - open - 2),
			    open + 1);
	spec->ref_ctr_offset = v;
	return 0;
}

static void set_kind(struct probe_spec *spec, bool user, bool ret)
{
	if (user)
		spec->kind = ret ? PROBE_URETPROBE : PROBE_UPROBE;
	else
		spec->kind = ret ? PROBE_KRETPROBE : PROBE_KPROBE;
}

/* The location word of the kernel's "p[:EV] LOC" / "r[N][:EV] LOC". */
static int parse_location(struct parser *ps, const char *s, const char *e,
			  bool ret)
{
	static const char suffix[] = "%return";
	const size_t n = sizeof(suffix) - 1;
	const char *colon = find_last_char(s, e, ':');
	bool user;

	/* "LOC%return" is the newer spelling of 'r' (kprobetrace.rst) */
	if ((size_t)(e - s) > n && !memcmp(e - n, suffix, n)) {
		e -= n;
		ret = true;
	}
	user = find_char(s, e, '/') ||
	       (colon && isdigit((unsigned char)colon[1]));
	set_kind(ps->spec, user, ret);
	if (user && ps->maxactive_at)
		return perr(ps, ps->maxactive_at, "maxactive (rN) is for "
						  "kretprobes: uprobes take "
						  "plain 'r'");
	if (user)
		return parse_uprobe_loc(ps, s, e);
	return parse_kernel_loc(ps, s, e, "");
}

static int parse_maxactive(struct parser *ps, const char *s, const char *e)
{
	unsigned long long v;

	if (s == e)
		return 0;
	if (!parse_num(s, e, &v) || v == 0 || v > MAXACTIVE_MAX)
		return perr(ps, s, "maxactive '%.*s' must be 1..%d",
			    (int)(e - s), s, MAXACTIVE_MAX);
	ps->maxactive_at = s;
	ps->spec->maxactive = (int)v;
	return 0;
}

/* p[:[GRP/]EV] LOC, r[N][:[GRP/]EV] LOC, or perf-tools' p:TARGET:SYM */
static int parse_kernel_syntax(struct parser *ps, const char *s,
			       const char *te, const char *e)
{
	bool ret = *s == 'r';
	const char *colon, *loc, *le;
	char type[16];
	int err;

	err = parse_maxactive(ps, s + 1, te);
	if (err)
		return err;
	if (te < e) {
		/* Two colons in the first word: perf-tools' shorthand. The
		 * kernel's own syntax puts the location in a second word. */
		colon = find_char(te + 1, e, ':');
		if (colon) {
			set_kind(ps->spec, true, ret);
			if (ps->maxactive_at)
				return perr(ps, ps->maxactive_at,
					    "maxactive (rN) is for kretprobes: "
					    "uprobes take plain 'r'");
			snprintf(type, sizeof(type), "%c", *s);
			return parse_user(ps, te + 1, e, type, true);
		}
		err = parse_event(ps, te + 1, e);
		if (err)
			return err;
	}
	loc = skip_ws(e);
	le = word_end(loc);
	if (loc == le)
		return perr(ps, e, "missing location after '%.*s': expected "
				   "FUNC[+OFF] or /PATH:0xOFFSET",
			    (int)(e - ps->head), ps->head);
	ps->p = le;
	return parse_location(ps, loc, le, ret);
}

static int parse_head(struct parser *ps, const char *s, const char *e)
{
	const char *te = find_char(s, e, ':');
	bool has_colon = te != NULL;

	if (!te)
		te = e;
	ps->p = e;
	if (span_eq(s, te, "u") || span_eq(s, te, "ur")) {
		if (!has_colon)
			return perr(ps, te, "missing ':' after '%.*s': expected "
					    "%.*s:TARGET:SYMBOL", (int)(te - s),
				    s, (int)(te - s), s);
		set_kind(ps->spec, true, te - s == 2);
		return parse_user(ps, te + 1, e, te - s == 2 ? "ur" : "u",
				  false);
	}
	if (*s == 'k' && (te - s == 1 || (s[1] == 'r' &&
					  (te - s == 2 || is_digits(s + 2, te))))) {
		if (!has_colon)
			return perr(ps, te, "missing ':' after '%.*s': expected "
					    "%.*s:FUNC", (int)(te - s), s,
				    (int)(te - s), s);
		set_kind(ps->spec, false, te - s > 1);
		if (te - s > 2 && parse_maxactive(ps, s + 2, te))
			return -EINVAL;
		if (te + 1 == e)
			return perr(ps, e, "missing function after '%.*s': "
					   "expected %.*sFUNC", (int)(e - s), s,
				    (int)(e - s), s);
		return parse_kernel_loc(ps, te + 1, e,
					te - s > 1 ? "kr:" : "k:");
	}
	if (span_eq(s, te, "p") || (*s == 'r' && (te - s == 1 ||
						 is_digits(s + 1, te))))
		return parse_kernel_syntax(ps, s, te, e);
	if (*s == '-')
		return perr(ps, s, "'-:EVENT' removes an event; give a probe "
				   "to add, e.g. u:/bin/bash:readline");
	if (!has_colon)
		return perr(ps, s, "'%.*s' is not a probe spec: expected "
				   "TYPE:..., e.g. u:/bin/bash:readline or "
				   "k:do_sys_open", (int)(e - s), s);
	return perr(ps, s, "unknown probe type '%.*s': expected u, ur, k, kr, "
			   "p or r", (int)(te - s), s);
}

/* First '=' (find_eq) or last ':' outside parentheses and quotes. */
static const char *find_top(const char *s, const char *e, char c, bool last)
{
	const char *found = NULL;
	bool quoted = false;
	int depth = 0;

	for (; s < e; s++) {
		if (*s == '"')
			quoted = !quoted;
		else if (quoted)
			continue;
		else if (*s == '(')
			depth++;
		else if (*s == ')')
			depth--;
		else if (*s == c && depth == 0) {
			found = s;
			if (!last)
				break;
		}
	}
	return found;
}

static bool is_reserved(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(reserved_names) / sizeof(*reserved_names); i++)
		if (!strcmp(name, reserved_names[i]))
			return true;
	return false;
}

static void append(char *buf, size_t sz, const char *s, const char *e)
{
	size_t len = strlen(buf), n = e - s;

	if (len + n >= sz)
		n = sz - len - 1;
	memcpy(buf + len, s, n);
	buf[len + n] = '\0';
}

static void append_str(char *buf, size_t sz, const char *s)
{
	append(buf, sz, s, s + strlen(s));
}

/* A readable field name for an unnamed FETCH, before sanitizing:
 * %di -> di, $stack2 -> stack2, +8(%di) -> di_8, -8(%bp) -> bp_m8. */
static void base_name(const char *s, const char *e, char *buf, size_t sz)
{
	const char *open, *p;

	switch (*s) {
	case '%':
	case '$':
		append(buf, sz, s + 1, e);
		break;
	case '@':
		if (s[1] == '+' || isdigit((unsigned char)s[1])) {
			append_str(buf, sz, "addr");
			break;
		}
		for (p = s + 1; p < e && *p != '+' && *p != '-'; p++)
			;
		append(buf, sz, s + 1, p);
		break;
	case '\\':
		append_str(buf, sz, s[1] == '"' ? "str" : "imm");
		break;
	case '+':
	case '-':
		open = find_char(s, e, '(');
		if (!open || e[-1] != ')')
			break;
		base_name(open + 1, e - 1, buf, sz);
		append_str(buf, sz, *s == '-' ? "_m" : "_");
		p = s + 1;
		if (*p == 'u')
			p++;
		append(buf, sz, p, open);
		break;
	default:
		append(buf, sz, s, e);
	}
}

static char *default_name(const char *s, const char *e)
{
	char buf[MAX_ARG_NAME_LEN + 1] = "";
	size_t i;

	base_name(s, e, buf, MAX_ARG_NAME_LEN - 4);	/* room for "_NNN" */
	for (i = 0; buf[i]; i++)
		if (!name_char(buf[i], false))
			buf[i] = '_';
	if (!buf[0] || isdigit((unsigned char)buf[0]))
		return strdup("arg");
	return strdup(buf);
}

static bool is_portable_int(const char *s, const char *e)
{
	return span_eq(s, e, "retval") ||
	       (e - s > 3 && !memcmp(s, "arg", 3) && is_digits(s + 3, e));
}

/* Checks that need both FETCH and TYPE (traceprobe_parse_probe_arg_body). */
static int check_fetch_type(struct parser *ps, struct probe_arg *a,
			    const char *fs, const char *fe, const char *ts)
{
	const char *k = a->fetch, *t = a->type;
	bool mem = *k == '+' || *k == '-' || *k == '@';
	bool str_src = !strcmp(k, "$comm") || !strcmp(k, "$COMM") ||
		       !strncmp(k, "\\\"", 2);
	const char *br = t ? strchr(t, '[') : NULL;
	size_t tl = t ? (br ? (size_t)(br - t) : strlen(t)) : 0;
	bool is_str = t && ((tl == 6 && !strncmp(t, "string", 6)) ||
			    (tl == 7 && !strncmp(t, "ustring", 7)));

	if (str_src && t && (br || strcmp(t, "string")))
		return perr(ps, ts, "'%.*s' is a string: drop ':%s' or write "
				    ":string", (int)(fe - fs), fs, t);
	if (is_str && !mem && !str_src && *k != '\\')
		return perr(ps, ts, "type '%.*s' reads the string at an "
				    "address: write +0(%.*s):%s",
			    (int)tl, t, (int)(fe - fs), fs, t);
	if (br && !mem)
		return perr(ps, ts + (br - t), "an array is read from memory: "
					       "write +0(%.*s):%s",
			    (int)(fe - fs), fs, t);
	if (ps->spec->kind == PROBE_KPROBE && ps->spec->offset &&
	    strstr(k, "$arg"))
		return perr(ps, fs, "$argN works only at function entry: drop "
				    "the '+%llu' of the kprobe or use "
				    "registers",
			    (unsigned long long)ps->spec->offset);
	if (strlen(k) + (t ? strlen(t) + 1 : 0) > MAX_ARGSTR_LEN)
		return perr(ps, fs, "argument too long for the kernel: at "
				    "most %d characters of FETCH:TYPE",
			    MAX_ARGSTR_LEN);
	return 0;
}

static int parse_arg(struct parser *ps, const char *s, const char *e)
{
	struct probe_spec *spec = ps->spec;
	struct probe_arg *a = &spec->args[spec->nargs];
	const char *eq = find_top(s, e, '=', false);
	const char *fs = eq ? eq + 1 : s, *colon, *fe;
	char *fetch = NULL;
	int ret;

	a->col = (int)(s - ps->text);
	if (eq == s)
		return perr(ps, s, "missing NAME before '=': expected "
				   "NAME=FETCH");
	if (eq) {
		ret = check_name(ps, s, eq, "argument", MAX_ARG_NAME_LEN);
		if (!ret)
			ret = set_str(ps, &a->name, s, eq);
		if (ret)
			return ret;
		if (is_reserved(a->name))
			return perr(ps, s, "argument name '%s' is taken by the "
					   "event's own fields: choose another",
				    a->name);
	}
	colon = find_top(fs, e, ':', true);
	fe = colon ? colon : e;
	if (fs == fe)
		return perr(ps, fs, "missing FETCH%s: expected e.g. arg1, %%di "
				    "or +0(arg1):string",
			    eq ? " after '='" : "");
	fetch = strndup(fs, fe - fs);
	if (!fetch)
		return oom(ps);
	a->fetch = fetch_rewrite(fetch, spec->kind, (int)(fs - ps->text),
				 ps->err);
	free(fetch);
	if (!a->fetch)
		return errno == ENOMEM ? -ENOMEM : -EINVAL;
	if (colon) {
		if (set_str(ps, &a->type, colon + 1, e))
			return -ENOMEM;
		if (fetch_check_type(a->type, (int)(colon + 1 - ps->text),
				     ps->err))
			return -EINVAL;
	} else if (is_portable_int(fs, fe)) {
		/* so that argN and retval print in decimal */
		a->type = strdup("s64");
		if (!a->type)
			return oom(ps);
	}
	ret = check_fetch_type(ps, a, fs, fe, colon ? colon + 1 : e);
	if (ret)
		return ret;
	ps->named[spec->nargs] = eq != NULL;
	if (!eq) {
		a->name = default_name(fs, fe);
		if (!a->name)
			return oom(ps);
	}
	return 0;
}

static bool name_taken(struct parser *ps, size_t i, const char *name)
{
	size_t j;

	if (is_reserved(name))
		return true;
	for (j = 0; j < ps->spec->nargs; j++)
		if (j != i && (ps->named[j] || j < i) &&
		    !strcmp(ps->spec->args[j].name, name))
			return true;
	return false;
}

/* User names must differ; defaults get _2, _3... around them. */
static int assign_names(struct parser *ps)
{
	struct probe_spec *spec = ps->spec;
	char buf[MAX_ARG_NAME_LEN + 8];
	struct probe_arg *a;
	size_t i, j;
	int n;

	for (i = 0; i < spec->nargs; i++)
		for (j = 0; j < i && ps->named[i]; j++)
			if (ps->named[j] &&
			    !strcmp(spec->args[i].name, spec->args[j].name))
				return perr(ps, ps->text + spec->args[i].col,
					    "argument name '%s' is used twice",
					    spec->args[i].name);
	for (i = 0; i < spec->nargs; i++) {
		a = &spec->args[i];
		if (ps->named[i] || !name_taken(ps, i, a->name))
			continue;
		for (n = 2;; n++) {
			snprintf(buf, sizeof(buf), "%s_%d", a->name, n);
			if (!name_taken(ps, i, buf))
				break;
		}
		free(a->name);
		a->name = strdup(buf);
		if (!a->name)
			return oom(ps);
	}
	return 0;
}

static int parse_args(struct parser *ps)
{
	struct probe_spec *spec = ps->spec;
	const char *s = skip_ws(ps->p), *e;
	int ret;

	while (*s) {
		e = word_end(s);
		if (spec->nargs == MAX_TRACE_ARGS)
			return perr(ps, s, "too many arguments: the kernel "
					   "takes at most %d", MAX_TRACE_ARGS);
		if (!spec->args) {
			spec->args = calloc(MAX_TRACE_ARGS, sizeof(*spec->args));
			ps->named = calloc(MAX_TRACE_ARGS, sizeof(*ps->named));
			if (!spec->args || !ps->named)
				return oom(ps);
		}
		ret = parse_arg(ps, s, e);
		spec->nargs++;	/* so that spec_free() sees a partial arg */
		if (ret)
			return ret;
		s = skip_ws(e);
	}
	return assign_names(ps);
}

int spec_parse(const char *text, struct probe_spec *spec,
	       struct spec_error *err)
{
	struct parser ps = { .text = text, .spec = spec, .err = err };
	const char *s, *e;
	int ret;

	memset(spec, 0, sizeof(*spec));
	if (err) {
		err->col = -1;
		err->msg[0] = '\0';
	}
	if (!text)
		return perr(&ps, NULL, "empty probe spec");
	s = skip_ws(text);
	e = word_end(s);
	ps.head = s;
	if (s == e)
		return perr(&ps, s, "empty probe spec: expected e.g. "
				    "u:/bin/bash:readline or k:do_sys_open");
	ret = parse_head(&ps, s, e);
	if (!ret)
		ret = parse_args(&ps);
	free(ps.named);
	if (ret)
		spec_free(spec);
	return ret;
}

void spec_free(struct probe_spec *spec)
{
	size_t i;

	if (!spec)
		return;
	for (i = 0; i < spec->nargs; i++) {
		free(spec->args[i].name);
		free(spec->args[i].fetch);
		free(spec->args[i].type);
	}
	free(spec->args);
	free(spec->group);
	free(spec->event);
	free(spec->target);
	free(spec->symbol);
	memset(spec, 0, sizeof(*spec));
}
