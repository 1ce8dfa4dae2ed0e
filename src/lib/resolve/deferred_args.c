/* SPDX-License-Identifier: MIT */
/*
 * Deferred arguments: names only the probed file can resolve (DWARF
 * variables, $params, a USDT note's argN), rewritten once the target is
 * known. The resolver comes from dwarf.c or usdt.c; this file only knows
 * the grammar.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>

#include "spec/spec_int.h"

static int rerr(struct lib_error *err, int col, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int rerr(struct lib_error *err, int col, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = spec_verr(err, col, fmt, ap);
	va_end(ap);
	return ret;
}

bool spec_has_deferred(const struct probe_spec *spec)
{
	size_t i;

	for (i = 0; i < spec->nargs; i++)
		if (spec->args[i].deferred)
			return true;
	return false;
}

static bool is_string_type(const char *t)
{
	return t && (!strcmp(t, "string") || !strcmp(t, "ustring"));
}

static bool name_used(const struct probe_spec *spec, const char *name)
{
	size_t i;

	for (i = 0; i < spec->nargs; i++)
		if (spec->args[i].name && !strcmp(spec->args[i].name, name))
			return true;
	return false;
}

static bool is_ident(const char *s)
{
	const char *c;

	if (!s || !(isalpha((unsigned char)*s) || *s == '_'))
		return false;
	for (c = s; *c; c++)
		if (!isalnum((unsigned char)*c) && *c != '_')
			return false;
	return true;
}

/* "$params" at i -> one deferred argument per parameter, in place. */
static int expand_params(struct probe_spec *spec, size_t i,
			 const struct fetch_resolver *r, struct lib_error *err)
{
	struct probe_arg *a = &spec->args[i], keep = *a;
	struct lib_error pe = LIB_ERROR_SPEC_INIT;
	char **names = NULL;
	int n, k, ret = 0;

	n = r->params ? r->params(r->ctx, &names, &pe) : -ENOTSUP;
	if (n < 0)
		return rerr(err, keep.fetch_col, "%s",
			    pe.msg[0] ? pe.msg : "$params needs debug info");
	if (n == 0) {
		/* a function without parameters: $params fetches nothing */
		free(names);
		memmove(a, a + 1, (spec->nargs - i - 1) * sizeof(*a));
		spec->nargs--;
		free(keep.name);
		free(keep.fetch);
		return 0;
	}
	if (spec->nargs - 1 + n > MAX_TRACE_ARGS) {
		ret = rerr(err, keep.fetch_col,
			   "$params makes %zu arguments: the kernel takes at "
			   "most %d",
			   spec->nargs - 1 + n, MAX_TRACE_ARGS);
		goto out;
	}
	/* a name from DWARF becomes an argument's name in the kernel's
	 * definition and its fetch is read as a variable expression: only
	 * a C identifier can be either (a compiler never makes another) */
	for (k = 0; k < n; k++)
		if (!is_ident(names[k])) {
			ret = rerr(err, keep.fetch_col,
				   "parameter %d's name in the debug info, "
				   "'%s', is not an identifier: $params "
				   "cannot fetch it",
				   k + 1, names[k]);
			goto out;
		}
	/* spec->args has room for MAX_TRACE_ARGS (spec_args.c) */
	memmove(a + n, a + 1, (spec->nargs - i - 1) * sizeof(*a));
	for (k = 0; k < n; k++) {
		a[k] = (struct probe_arg){.col = keep.col,
					  .fetch_col = keep.fetch_col,
					  .deferred = true};
		a[k].fetch = names[k];
		names[k] = NULL;
	}
	spec->nargs += n - 1;
	for (k = 0; k < n; k++) {
		char buf[48];
		int m = 2;

		snprintf(buf, sizeof(buf), "%.31s", a[k].fetch);
		while (name_used(spec, buf))
			snprintf(buf, sizeof(buf), "%.28s_%d", a[k].fetch, m++);
		a[k].name = strdup(buf);
		if (!a[k].name)
			ret = -ENOMEM;
	}
	free(keep.name);
	free(keep.fetch);
out:
	for (k = 0; k < n; k++)
		free(names[k]);
	free(names);
	return ret;
}

static int resolve_one(struct probe_spec *spec, struct probe_arg *a,
		       const struct fetch_resolver *r, struct lib_error *err)
{
	char type[32] = "", *fetch;
	bool mem;

	fetch = fetch_rewrite_ex(a->fetch, spec->kind, a->fetch_col, err,
				 spec->usdt, r, is_string_type(a->type), NULL,
				 type, sizeof(type));
	if (!fetch)
		return errno == ENOMEM ? -ENOMEM : -EINVAL;
	free(a->fetch);
	a->fetch = fetch;
	a->deferred = false;
	if (!a->type && type[0]) {
		a->type = strdup(type);
		if (!a->type)
			return -ENOMEM;
	}
	/* what check_fetch_type() (spec_args.c) checks for plain args */
	mem = *fetch == '+' || *fetch == '-' || *fetch == '@' || *fetch == '\\';
	if (a->type && (is_string_type(a->type) || strchr(a->type, '[')) &&
	    !mem)
		return rerr(err, a->fetch_col,
			    "the %s lives in a register (%s): a %s is read "
			    "from memory",
			    a->name, fetch,
			    is_string_type(a->type) ? "string" : "array");
	if (strlen(fetch) + (a->type ? strlen(a->type) + 1 : 0) >
	    MAX_ARGSTR_LEN)
		return rerr(err, a->fetch_col,
			    "'%s' makes the fetch '%s', too long for the "
			    "kernel (at most %d characters of FETCH:TYPE)",
			    a->name, fetch, MAX_ARGSTR_LEN);
	return 0;
}

int spec_resolve_args(struct probe_spec *spec, const struct fetch_resolver *r,
		      const char *why_none, struct lib_error *err)
{
	size_t i;
	int ret;

	lib_error_clear(err);
	for (i = 0; i < spec->nargs; i++) {
		struct probe_arg *a = &spec->args[i];

		if (!a->deferred)
			continue;
		if (!r)
			return rerr(err, a->fetch_col,
				    "cannot resolve '%s': %s", a->fetch,
				    why_none ? why_none
					     : "the target has no debug info");
		if (!strcmp(a->fetch, "$params")) {
			ret = expand_params(spec, i, r, err);
			if (ret)
				return ret;
			i--; /* resolve what replaced it */
			continue;
		}
		ret = resolve_one(spec, a, r, err);
		if (ret)
			return ret;
	}
	return 0;
}
