/* SPDX-License-Identifier: MIT */
/*
 * Probe specs -> struct probe_spec. sonde's own forms (u:, ur:, k:, kr:)
 * and bpftrace's names for them (uprobe:, uretprobe:, kprobe:,
 * kretprobe:, usdt:, U:), the kernel's kprobe_events/uprobe_events lines (p:, r:) and perf-tools'
 * shorthand (p:bash:readline). Memory only; nothing touches the kernel.
 * The ARGS are in spec_args.c.
 */
#include <stdarg.h>
#include <stdio.h>

#include "spec_int.h"

/* kernel/trace/trace_kprobe.c: MAXACTIVE_MAX */
#define MAXACTIVE_MAX 4096

/* Messages quote the user's text and names from the target: one line,
 * its control characters escaped (base/error.c). */
int spec_verr(struct lib_error *err, int col, const char *fmt, va_list ap)
{
	char raw[LIB_ERROR_SPEC_CUT];

	if (!err)
		return -EINVAL;
	vsnprintf(raw, sizeof(raw), fmt, ap);
	err->cut = LIB_ERROR_SPEC_CUT;
	err->cut_escaped = true;
	return lib_error_set(err, EINVAL, col, "%s", raw);
}

int spec_perr(struct parser *ps, const char *at, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = spec_verr(ps->err, at ? (int)(at - ps->text) : -1, fmt, ap);
	va_end(ap);
	return ret;
}

static const char *find_last_char(const char *s, const char *e, char c)
{
	while (e > s)
		if (*--e == c)
			return e;
	return NULL;
}

int spec_check_name(struct parser *ps, const char *s, const char *e,
		    const char *what, size_t max)
{
	const char *p;

	if (s == e)
		return spec_perr(ps, s, "missing %s name", what);
	for (p = s; p < e; p++)
		if (!name_char(*p, p == s))
			return spec_perr(ps, p,
					 "bad %s name '%.*s': use letters, "
					 "digits and '_', starting with a "
					 "letter or '_'",
					 what, (int)(e - s), s);
	if ((size_t)(e - s) > max)
		return spec_perr(ps, s,
				 "%s name '%.*s' is too long: at most %zu "
				 "characters",
				 what, (int)(e - s), s, max);
	return 0;
}

/* [GRP/]EV of the kernel's "p:[GRP/]EV" */
static int parse_event(struct parser *ps, const char *s, const char *e)
{
	const char *slash = find_char(s, e, '/');
	int ret;

	if (slash) {
		if (slash == s)
			return spec_perr(ps, s,
					 "missing group name before '/': "
					 "expected p:GROUP/EVENT");
		ret = spec_check_name(ps, s, slash, "group",
				      MAX_EVENT_NAME_LEN - 1);
		if (!ret)
			ret = set_str(ps, &ps->spec->group, s, slash);
		if (ret)
			return ret;
		s = slash + 1;
	}
	if (s == e)
		return spec_perr(ps, s,
				 "missing event name after '%.*s': expected "
				 "p:[GROUP/]EVENT",
				 (int)(s - ps->head), ps->head);
	ret = spec_check_name(ps, s, e, "event", MAX_EVENT_NAME_LEN - 1);
	return ret ? ret : set_str(ps, &ps->spec->event, s, e);
}

static bool span_has_any(const char *s, const char *e, const char *set)
{
	for (; s < e; s++)
		if (strchr(set, *s))
			return true;
	return false;
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
	bool glob;

	spec->symbol_col = (int)(s - ps->text);
	if (s == e)
		return spec_perr(ps, s,
				 "missing %s after '%s': expected %sSYMBOL "
				 "or %s0xADDRESS",
				 kernel ? "function" : "symbol", ctx, ctx, ctx);
	if (isdigit((unsigned char)*s)) {
		if (!parse_num(s, e, &v))
			return spec_perr(ps, s,
					 "address '%.*s' is not a number: "
					 "expected e.g. 0x4d6b0",
					 (int)(e - s), s);
		spec->addr = v;
		spec->has_addr = true;
		return 0;
	}
	plus = find_char(s, e, '+');
	if (plus == s)
		return spec_perr(ps, s,
				 "missing %s before '+': expected %sSYMBOL+OFF",
				 kernel ? "function" : "symbol", ctx);
	/* a kernel pattern (k:vfs_*) is the name's other grammar */
	glob = ps->pattern && ps->glob_form &&
	       span_has_any(s, plus ? plus : e, "*?[");
	if (kernel) {
		for (p = s; p < (plus ? plus : e); p++)
			if ((!kernel_sym_char(*p) &&
			     !(glob && strchr("*?[]!^-", *p))) ||
			    (p == s && isdigit((unsigned char)*p)))
				return spec_perr(ps, p,
						 "unexpected '%c' in function "
						 "name: expected %sFUNC[+OFF]",
						 *p, ctx);
	}
	if (set_str(ps, &spec->symbol, s, plus ? plus : e))
		return -ENOMEM;
	if (!plus)
		return 0;
	if (!parse_num(plus + 1, e, &v))
		return spec_perr(ps, plus,
				 "offset '%.*s' is not a number: expected "
				 "e.g. +4 or +0x10",
				 (int)(e - plus), plus);
	if (probe_kind_is_return(spec->kind))
		return spec_perr(ps, plus,
				 "a return probe goes at the function "
				 "entry: drop '%.*s'",
				 (int)(e - plus), plus);
	spec->offset = v;
	spec->has_offset = true;
	return 0;
}

/* u:TARGET:SYM[+OFF], ur:TARGET:SYM, u:TARGET:0xADDR; also perf-tools'
 * p:TARGET:SYM, where an address is a file offset. */
static int parse_user(struct parser *ps, const char *s, const char *e,
		      const char *type, bool addr_is_offset)
{
	struct probe_spec *spec = ps->spec;
	const char *colon = find_char(s, e, ':');
	char ctx[32];
	int ret;

	/* u::SYM, ur::SYM: every object a process maps (-p), as
	 * bpftrace's uprobe::SYM; resolved by expand_spec.c */
	if (s == e || (colon == s && (colon + 1 == e || *type != 'u')))
		return spec_perr(ps, s,
				 "missing target after '%s:': expected "
				 "%s:TARGET:SYMBOL",
				 type, type);
	if (!colon)
		return spec_perr(ps, e,
				 "missing ':SYMBOL' after '%.*s': expected "
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
			return spec_perr(ps, s,
					 "missing module before ':': "
					 "expected MODULE:FUNC");
		if (find_char(s, colon, '*') || find_char(s, colon, '?') ||
		    find_char(s, colon, '['))
			return spec_perr(ps, s,
					 "a wildcard in the module name is "
					 "not supported yet");
		/* "vmlinux" is the kernel itself, as bpftrace and perf
		 * name it: no module */
		ret = colon - s == 7 && !strncmp(s, "vmlinux", 7)
			      ? 0
			      : set_str(ps, &spec->target, s, colon);
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
	const char *colon = NULL, *off, *open, *oe, *p;
	bool slash = find_char(s, e, '/') != NULL;
	unsigned long long v;
	int ret;

	/* the path ends at the first ':' after its last '/' (a C++ symbol
	 * may hold "::"), or at the last ':' of a path without '/' */
	for (p = s; p < e; p++) {
		if (*p == '/')
			colon = NULL;
		else if (*p == ':' && (!colon || !slash))
			colon = p;
	}
	if (!colon)
		return spec_perr(ps, e,
				 "missing ':OFFSET' after the path: expected "
				 "%.*s:0xOFFSET",
				 (int)(e - s), s);
	if (colon == s)
		return spec_perr(ps, s, "missing path before ':OFFSET'");
	spec->target_col = (int)(s - ps->text);
	ret = set_str(ps, &spec->target, s, colon);
	if (ret)
		return ret;
	off = colon + 1;
	spec->symbol_col = (int)(off - ps->text);
	/* PATH:SYM[+OFF], as perf-tools and the BCC examples write it:
	 * resolved as u:PATH:SYM[+OFF] is */
	if (off < e && !isdigit((unsigned char)*off))
		return parse_symoff(ps, off, e, false, "PATH:");
	open = off < e ? find_char(off, e, '(') : NULL;
	oe = open ? open : e;
	if (off == oe)
		return spec_perr(ps, off,
				 "missing offset after ':': expected "
				 "PATH:0xOFFSET");
	if (!parse_num(off, oe, &v))
		return spec_perr(ps, off,
				 "offset '%.*s' is not a number: expected "
				 "e.g. 0x4d6b0",
				 (int)(oe - off), off);
	spec->addr = v;
	spec->has_addr = true;
	spec->addr_is_offset = true;
	if (!open)
		return 0;
	if (e[-1] != ')')
		return spec_perr(ps, e,
				 "missing ')' after the ref_ctr offset: "
				 "expected PATH:0xOFFSET(0xREF)");
	if (!parse_num(open + 1, e - 1, &v))
		return spec_perr(ps, open + 1,
				 "ref_ctr offset '%.*s' is not a "
				 "number",
				 (int)(e - open - 2), open + 1);
	spec->ref_ctr_offset = v;
	return 0;
}

/* A USDT provider or probe name, or an fnmatch(3) pattern of them
 * ("*", "read_*", "[ab]?"): expand_spec.c adds one probe per match. */
static int check_usdt_name(struct parser *ps, const char *s, const char *e,
			   const char *what)
{
	const char *p;

	if (!s || s == e || !span_has_any(s, e, "*?["))
		return spec_check_name(ps, s, e, what, 255);
	for (p = s; p < e; p++)
		if (!name_char(*p, false) && !strchr("*?[]!^-", *p))
			return spec_perr(ps, p,
					 "bad %s pattern '%.*s': use letters, "
					 "digits, '_' and the wildcards * ? "
					 "[...]",
					 what, (int)(e - s), s);
	return (size_t)(e - s) > 255
		       ? spec_perr(ps, s, "%s pattern too long", what)
		       : 0;
}

/* The first ':' of [s, e) outside "...", or NULL. */
static const char *colon_unquoted(const char *s, const char *e)
{
	bool q = false;

	for (; s < e; s++) {
		if (q && *s == '\\' && s + 1 < e)
			s++;
		else if (*s == '"')
			q = !q;
		else if (*s == ':' && !q)
			return s;
	}
	return NULL;
}

/* A provider or probe name at [s, e): a name or pattern, or "..." (as
 * bpftrace takes a name that is not an identifier, e.g. one with quotes
 * in it: "\"probe1\""), its \" and \\ unescaped. */
static int usdt_field(struct parser *ps, const char *s, const char *e,
		      const char *what, char **out)
{
	const char *p;
	char *d;
	int ret;

	if (s == e || *s != '"') {
		ret = check_usdt_name(ps, s, e, what);
		return ret ? ret : set_str(ps, out, s, e);
	}
	if (e - s < 3 || e[-1] != '"')
		return spec_perr(ps, s,
				 "unterminated or empty quoted %s name", what);
	*out = d = calloc(1, e - s);
	if (!d)
		return oom(ps);
	for (p = s + 1; p < e - 1; p++) {
		if (*p == '\\' && p + 1 < e - 1)
			p++;
		else if (*p == '"')
			return spec_perr(ps, p, "a '\"' inside a quoted %s "
					 "name: write \\\"", what);
		*d++ = *p;
	}
	return 0;
}

/* usdt:TARGET:[PROVIDER:]NAME: the probe's locations and arguments come
 * from the target's .note.stapsdt when the probe is resolved. An empty
 * PROVIDER (usdt:TARGET::NAME, as bpftrace writes it) is any provider. */
static int parse_usdt(struct parser *ps, const char *s, const char *e)
{
	struct probe_spec *spec = ps->spec;
	const char *colon = find_char(s, e, ':'), *n, *pc;
	int ret;

	/* usdt::[PROVIDER:]NAME: every object a process maps (-p) */
	if (s == e)
		return spec_perr(ps, s,
				 "missing target after 'usdt:': expected "
				 "usdt:TARGET:[PROVIDER:]NAME");
	if (!colon || colon + 1 == e)
		return spec_perr(ps, colon ? colon + 1 : e,
				 "missing probe name after '%.*s': expected "
				 "usdt:TARGET:[PROVIDER:]NAME",
				 (int)((colon ? colon + 1 : e) - ps->head),
				 ps->head);
	spec->kind = PROBE_UPROBE;
	spec->usdt = true;
	spec->target_col = (int)(s - ps->text);
	ret = set_str(ps, &spec->target, s, colon);
	if (ret)
		return ret;
	n = colon + 1;
	pc = colon_unquoted(n, e);
	if (pc) {
		ret = pc == n ? 0 : usdt_field(ps, n, pc, "provider",
					       &spec->provider);
		if (ret)
			return ret;
		n = pc + 1;
	}
	spec->symbol_col = (int)(n - ps->text);
	return usdt_field(ps, n, e, "probe", &spec->symbol);
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
		return spec_perr(ps, ps->maxactive_at,
				 "maxactive (rN) is for "
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
		return spec_perr(ps, s, "maxactive '%.*s' must be 1..%d",
				 (int)(e - s), s, MAXACTIVE_MAX);
	ps->maxactive_at = s;
	ps->spec->maxactive = (int)v;
	return 0;
}

/* p[:[GRP/]EV] LOC, r[N][:[GRP/]EV] LOC, or perf-tools' p:TARGET:SYM */
static int parse_kernel_syntax(struct parser *ps, const char *s, const char *te,
			       const char *e)
{
	bool ret = *s == 'r';
	const char *colon, *loc, *le;
	char type[16];
	int err;

	ps->kernel_names = true;
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
				return spec_perr(
					ps, ps->maxactive_at,
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
		return spec_perr(ps, e,
				 "missing location after '%.*s': expected "
				 "FUNC[+OFF] or /PATH:0xOFFSET",
				 (int)(e - ps->head), ps->head);
	ps->p = le;
	return parse_location(ps, loc, le, ret);
}

/*
 * bpftrace's probe words (its docs/reference_guide.md, "Probes"): the
 * long names mean what sonde's short ones do, with the same grammar after
 * the colon. Returns the short name for s..te, or NULL.
 */
static const char *type_alias(const char *s, const char *te)
{
	static const char *const names[][2] = {
		{"uprobe", "u"},     {"uretprobe", "ur"}, {"kprobe", "k"},
		{"kretprobe", "kr"}, {"U", "usdt"},
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (span_eq(s, te, names[i][0]))
			return names[i][1];
	return NULL;
}

/* u:, ur:, uprobe:, uretprobe: TARGET:SYM[+OFF] or TARGET:0xADDR */
static int parse_user_type(struct parser *ps, const char *s, const char *te,
			   const char *e, bool ret)
{
	char type[16];

	snprintf(type, sizeof(type), "%.*s", (int)(te - s), s);
	if (te == e)
		return spec_perr(ps, te,
				 "missing ':' after '%s': expected "
				 "%s:TARGET:SYMBOL",
				 type, type);
	set_kind(ps->spec, true, ret);
	ps->glob_form = true;
	return parse_user(ps, te + 1, e, type, false);
}

/* k:, kr[N]:, kprobe:, kretprobe: [MOD:]FUNC[+OFF] or ADDR; digits is
 * kr's maxactive (empty for the others) */
static int parse_kernel_type(struct parser *ps, const char *s, const char *te,
			     const char *e, bool ret, const char *digits)
{
	char ctx[16];

	snprintf(ctx, sizeof(ctx), "%.*s:", (int)(te - s), s);
	if (te == e)
		return spec_perr(ps, te,
				 "missing ':' after '%.*s': expected "
				 "%sFUNC",
				 (int)(te - s), s, ctx);
	set_kind(ps->spec, false, ret);
	ps->glob_form = true;
	if (digits < te && parse_maxactive(ps, digits, te))
		return -EINVAL;
	if (te + 1 == e)
		return spec_perr(ps, e,
				 "missing function after '%s': "
				 "expected %sFUNC",
				 ctx, ctx);
	return parse_kernel_loc(ps, te + 1, e, ctx);
}

static int parse_head(struct parser *ps, const char *s, const char *e)
{
	const char *te = find_char(s, e, ':');
	const char *alias;

	if (!te)
		te = e;
	ps->p = e;
	alias = type_alias(s, te);
	if (span_eq(s, te, "usdt") || (alias && !strcmp(alias, "usdt"))) {
		if (te == e)
			return spec_perr(ps, te,
					 "missing ':' after '%.*s': expected "
					 "%.*s:TARGET:[PROVIDER:]NAME",
					 (int)(te - s), s, (int)(te - s), s);
		return parse_usdt(ps, te + 1, e);
	}
	if (span_eq(s, te, "t") || span_eq(s, te, "tracepoint")) {
		if (te == e)
			return spec_perr(ps, te,
					 "missing ':' after '%.*s': expected "
					 "%.*s:SYSTEM:EVENT",
					 (int)(te - s), s, (int)(te - s), s);
		return spec_parse_tracepoint(ps, te + 1, e,
					     te - s == 1 ? "t" : "tracepoint");
	}
	if (span_eq(s, te, "u") || span_eq(s, te, "ur"))
		return parse_user_type(ps, s, te, e, te - s == 2);
	if (alias && *alias == 'u')
		return parse_user_type(ps, s, te, e, alias[1] == 'r');
	if (*s == 'k' &&
	    (te - s == 1 ||
	     (s[1] == 'r' && (te - s == 2 || is_digits(s + 2, te)))))
		return parse_kernel_type(ps, s, te, e, te - s > 1,
					 te - s > 2 ? s + 2 : te);
	if (alias && *alias == 'k')
		return parse_kernel_type(ps, s, te, e, alias[1] == 'r', te);
	if (span_eq(s, te, "p") ||
	    (*s == 'r' && (te - s == 1 || is_digits(s + 1, te))))
		return parse_kernel_syntax(ps, s, te, e);
	if (*s == '-')
		return spec_perr(ps, s,
				 "'-:EVENT' removes an event; give a probe "
				 "to add, e.g. u:/bin/bash:readline");
	if (te == e)
		return spec_perr(ps, s,
				 "'%.*s' is not a probe spec: expected "
				 "TYPE:..., e.g. u:/bin/bash:readline or "
				 "k:do_sys_open",
				 (int)(e - s), s);
	return spec_perr(ps, s,
			 "unknown probe type '%.*s': expected u or uprobe, "
			 "ur or uretprobe, k or kprobe, kr or kretprobe, "
			 "t or tracepoint, usdt or U, p or r",
			 (int)(te - s), s);
}

/* Does the function name several? A pattern ('*', '?', '['), or a C++
 * name with "::" and no parameter list, which may name several overloads. */
static bool is_pattern(const struct probe_spec *spec)
{
	const char *sym = spec->symbol;

	if (strpbrk(sym, "*?["))
		return true;
	return probe_kind_is_user(spec->kind) && strstr(sym, "::") &&
	       !strchr(sym, '(');
}

static int parse(const char *text, struct probe_spec *spec,
		 struct lib_error *err, bool pattern)
{
	struct parser ps = {
		.text = text, .spec = spec, .err = err, .pattern = pattern};
	const char *s, *e;
	int ret;

	memset(spec, 0, sizeof(*spec));
	lib_error_clear(err);
	if (!text)
		return spec_perr(&ps, NULL, "empty probe spec");
	s = skip_ws(text);
	e = word_end(s);
	ps.head = s;
	if (s == e)
		return spec_perr(&ps, s,
				 "empty probe spec: expected e.g. "
				 "u:/bin/bash:readline or k:do_sys_open");
	ret = parse_head(&ps, s, e);
	if (!ret && ps.glob_form && spec->symbol)
		spec->pattern = is_pattern(spec);
	if (!ret)
		ret = spec->kind == PROBE_TRACEPOINT
			      ? spec_parse_tracepoint_args(&ps)
			      : spec_parse_args(&ps);
	free(ps.named);
	if (ret)
		spec_free(spec);
	return ret;
}

int spec_parse(const char *text, struct probe_spec *spec, struct lib_error *err)
{
	return parse(text, spec, err, false);
}

int spec_parse_pattern(const char *text, struct probe_spec *spec,
		       struct lib_error *err)
{
	return parse(text, spec, err, true);
}
