/* SPDX-License-Identifier: MIT */
/*
 * A probe's ARGS: whitespace-separated [NAME=]FETCH[:TYPE]. FETCH goes
 * through fetch_rewrite(), TYPE through fetch_check_type(); what needs both
 * is checked here, as traceprobe_parse_probe_arg_body() would.
 */
#include <stdio.h>

#include "spec_int.h"

/* Field names every probe event already has (trace_probe.c
 * reserved_field_names). */
static const char *const reserved_names[] = {
	"common_type", "common_flags", "common_preempt_count", "common_pid",
	"common_tgid", "__probe_ip",   "__probe_ret_ip",       "__probe_func",
};

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
	size_t i, j;

	base_name(s, e, buf, MAX_ARG_NAME_LEN - 4); /* room for "_NNN" */
	/* "req->path" -> "req_path", "arr[2]" -> "arr_2" */
	for (i = 0, j = 0; buf[i]; i++) {
		if (name_char(buf[i], false))
			buf[j++] = buf[i];
		else if (j && buf[j - 1] != '_')
			buf[j++] = '_';
	}
	while (j > 1 && buf[j - 1] == '_')
		j--;
	buf[j] = '\0';
	if (!buf[0] || isdigit((unsigned char)buf[0]))
		return strdup("arg");
	return strdup(buf);
}

/* The kernel's name for an unnamed argument i (0-based): the FETCH itself
 * when it is a good name (a BTF variable, kernels with
 * CONFIG_PROBE_EVENTS_BTF_ARGS), else "argN" by position
 * (trace_probe.c generate_probe_arg_name()). */
static char *kernel_name(const char *s, const char *e, size_t i)
{
	const char *p;
	char buf[16];

	for (p = s; p < e && name_char(*p, p == s); p++)
		;
	if (p == e && (size_t)(e - s) <= MAX_ARG_NAME_LEN)
		return strndup(s, e - s);
	snprintf(buf, sizeof(buf), "arg%zu", i + 1);
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
		return spec_perr(ps, ts,
				 "'%.*s' is a string: drop ':%s' or write "
				 ":string",
				 (int)(fe - fs), fs, t);
	if (is_str && !mem && !str_src && *k != '\\')
		return spec_perr(ps, ts,
				 "type '%.*s' reads the string at an "
				 "address: write +0(%.*s):%s",
				 (int)tl, t, (int)(fe - fs), fs, t);
	if (br && !mem)
		return spec_perr(ps, ts + (br - t),
				 "an array is read from memory: "
				 "write +0(%.*s):%s",
				 (int)(fe - fs), fs, t);
	if (ps->spec->kind == PROBE_KPROBE && ps->spec->offset &&
	    strstr(k, "$arg"))
		return spec_perr(ps, fs,
				 "$argN works only at function entry: drop "
				 "the '+%llu' of the kprobe or use "
				 "registers",
				 (unsigned long long)ps->spec->offset);
	if (strlen(k) + (t ? strlen(t) + 1 : 0) > MAX_ARGSTR_LEN)
		return spec_perr(ps, fs,
				 "argument too long for the kernel: at "
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
		return spec_perr(ps, s,
				 "missing NAME before '=': expected "
				 "NAME=FETCH");
	if (eq) {
		ret = spec_check_name(ps, s, eq, "argument", MAX_ARG_NAME_LEN);
		if (!ret)
			ret = set_str(ps, &a->name, s, eq);
		if (ret)
			return ret;
		if (is_reserved(a->name))
			return spec_perr(ps, s,
					 "argument name '%s' is taken by the "
					 "event's own fields: choose another",
					 a->name);
	}
	colon = find_top(fs, e, ':', true);
	fe = colon ? colon : e;
	if (fs == fe)
		return spec_perr(ps, fs,
				 "missing FETCH%s: expected e.g. arg1, %%di "
				 "or +0(arg1):string",
				 eq ? " after '='" : "");
	fetch = strndup(fs, fe - fs);
	if (!fetch)
		return oom(ps);
	a->fetch_col = (int)(fs - ps->text);
	a->fetch = fetch_rewrite_ex(fetch, spec->kind, a->fetch_col, ps->err,
				    spec->usdt, NULL, false, &a->deferred,
				    NULL, 0);
	free(fetch);
	if (!a->fetch)
		return errno == ENOMEM ? -ENOMEM : -EINVAL;
	if (a->deferred && eq && !strcmp(a->fetch, "$params"))
		return spec_perr(ps, s,
				 "$params takes no NAME: each parameter is "
				 "named after itself");
	if (a->deferred && colon && !strcmp(a->fetch, "$params"))
		return spec_perr(ps, colon,
				 "$params takes no TYPE: each parameter has "
				 "its own");
	if (colon) {
		if (set_str(ps, &a->type, colon + 1, e))
			return -ENOMEM;
		if (fetch_check_type(a->type, (int)(colon + 1 - ps->text),
				     ps->err))
			return -EINVAL;
	} else if (is_portable_int(fs, fe) && !a->deferred) {
		/* so that argN and retval print in decimal */
		a->type = strdup("s64");
		if (!a->type)
			return oom(ps);
	}
	/* deferred: checked once resolved (deferred_args.c) */
	ret = a->deferred ? 0
			  : check_fetch_type(ps, a, fs, fe, colon ? colon + 1 : e);
	if (ret)
		return ret;
	ps->named[spec->nargs] = eq != NULL;
	if (!eq && ps->kernel_names) {
		a->name = kernel_name(fs, fe, spec->nargs);
		/* as the kernel's: a clash is refused, not renamed
		 * (trace_probe.c traceprobe_conflict_field_name()) */
		ps->named[spec->nargs] = true;
		if (a->name && is_reserved(a->name))
			return spec_perr(ps, s,
					 "argument name '%s' is taken by the "
					 "event's own fields: give it another, "
					 "NAME=%s",
					 a->name, a->name);
	} else if (!eq) {
		a->name = default_name(fs, fe);
	}
	if (!a->name)
		return oom(ps);
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
				return spec_perr(
					ps, ps->text + spec->args[i].col,
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

int spec_parse_args(struct parser *ps)
{
	struct probe_spec *spec = ps->spec;
	const char *s = skip_ws(ps->p), *e;
	int ret;

	while (*s) {
		e = word_end(s);
		if (spec->nargs == MAX_TRACE_ARGS)
			return spec_perr(ps, s,
					 "too many arguments: the kernel "
					 "takes at most %d",
					 MAX_TRACE_ARGS);
		if (!spec->args) {
			spec->args =
				calloc(MAX_TRACE_ARGS, sizeof(*spec->args));
			ps->named = calloc(MAX_TRACE_ARGS, sizeof(*ps->named));
			if (!spec->args || !ps->named)
				return oom(ps);
		}
		ret = parse_arg(ps, s, e);
		spec->nargs++; /* so that spec_free() sees a partial arg */
		if (ret)
			return ret;
		s = skip_ws(e);
	}
	return assign_names(ps);
}
