/* SPDX-License-Identifier: MIT */
/* Private to the spec grammar (spec.c, spec_args.c, fetch.c). */
#ifndef SONDE_SPEC_INT_H
#define SONDE_SPEC_INT_H

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "spec.h"

/* kernel/trace/trace_probe.h */
#define MAX_TRACE_ARGS 128
#define MAX_ARG_NAME_LEN 32
#define MAX_ARGSTR_LEN 63
#define MAX_EVENT_NAME_LEN 64

struct parser {
	const char *text;
	const char *head; /* the first word */
	struct probe_spec *spec;
	struct lib_error *err;
	bool *named; /* args[i] has a user-given NAME */
	const char *maxactive_at;
	const char *p; /* where the ARGS start */
	/* the kernel's p:/r: syntax: an unnamed argument is named as the
	 * kernel names it (trace_probe.c generate_probe_arg_name()) */
	bool kernel_names;
	/* spec_parse_pattern(): the kernel function is an fnmatch(3) pattern */
	bool pattern;
	/* u:, ur:, k:, kr[N]:, the forms whose function may be a pattern */
	bool glob_form;
};

/* Fill err (when not NULL) with col and the message, cut at
 * LIB_ERROR_SPEC_CUT as every spec error. Returns -EINVAL. */
int spec_verr(struct lib_error *err, int col, const char *fmt, va_list ap);
/* Fill err: col is at - text (-1 when at is NULL). Returns -EINVAL. */
int spec_perr(struct parser *ps, const char *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Event, group and argument names: is_good_name() in trace_probe.h. */
int spec_check_name(struct parser *ps, const char *s, const char *e,
		    const char *what, size_t max);
/* The ARGS from ps->p on: spec->args, nargs, unique names. */
int spec_parse_args(struct parser *ps);
/* spec_tracepoint.c: SYSTEM:EVENT at [s, e) of t:/tracepoint: (type names
 * the prefix as written), and a tracepoint's [NAME=]FIELD arguments. */
int spec_parse_tracepoint(struct parser *ps, const char *s, const char *e,
			  const char *type);
int spec_parse_tracepoint_args(struct parser *ps);

static inline int oom(struct parser *ps)
{
	spec_perr(ps, NULL, "out of memory");
	return -ENOMEM;
}

static inline const char *skip_ws(const char *p)
{
	while (*p && isspace((unsigned char)*p))
		p++;
	return p;
}

static inline const char *word_end(const char *p)
{
	while (*p && !isspace((unsigned char)*p))
		p++;
	return p;
}

static inline bool span_eq(const char *s, const char *e, const char *word)
{
	size_t n = strlen(word);

	return (size_t)(e - s) == n && !memcmp(s, word, n);
}

static inline bool is_digits(const char *s, const char *e)
{
	if (s == e)
		return false;
	for (; s < e; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

/* As kstrtoul(s, 0): 0x hex, 0 octal, else decimal; all of [s, e). */
static inline bool parse_num(const char *s, const char *e,
			     unsigned long long *v)
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

static inline const char *find_char(const char *s, const char *e, char c)
{
	return memchr(s, c, e - s);
}

static inline int set_str(struct parser *ps, char **dst, const char *s,
			  const char *e)
{
	*dst = strndup(s, e - s);
	return *dst ? 0 : oom(ps);
}

static inline bool name_char(char c, bool first)
{
	return isalpha((unsigned char)c) || c == '_' ||
	       (!first && isdigit((unsigned char)c));
}

#endif
