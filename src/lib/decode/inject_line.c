/* SPDX-License-Identifier: MIT */
/*
 * The line an event's inject file takes, from FIELD=VALUE assignments
 * checked against the event's format. The kernel's parser
 * (kernel/trace/trace_events_inject.c: parse_field(), parse_entry())
 * takes a field of the event by name, a number where the first character
 * is a digit or '-' (kstrtoll/kstrtoull, base 0) or a string in '...' or
 * "..." for a string field, and stores a number cut to the field's size
 * without a word: sonde refuses what would be cut, so the record holds
 * what was asked. Fields not named are zero (strings empty).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode/fault.h"
#include "decode/inject_line.h"

/* kernel/trace/trace.h: MAX_FILTER_STR_VAL, a string's length bound */
#define MAX_STR 256
/* event_inject_write(): one write of less than PAGE_SIZE */
#define MAX_LINE 4095

/* sonde's own fields (fault.h): not the user's to set or to be told of */
static bool is_hidden(const char *name)
{
	return !strncmp(name, FAULT_HIDDEN_PREFIX, strlen(FAULT_HIDDEN_PREFIX));
}

static const struct field_layout *find_field(const struct event_format *ef,
					     const char *name, size_t len)
{
	const struct field_layout *special[] = {&ef->probe_ip, &ef->func,
						&ef->ret_ip};
	size_t i;

	for (i = 0; i < ef->nfields; i++)
		if (strlen(ef->fields[i].name) == len &&
		    !memcmp(ef->fields[i].name, name, len) &&
		    !is_hidden(ef->fields[i].name))
			return &ef->fields[i];
	for (i = 0; i < 3; i++)
		if (special[i]->name && strlen(special[i]->name) == len &&
		    !memcmp(special[i]->name, name, len))
			return special[i];
	return NULL;
}

/* How many fields a user may set: sonde's own come last (fault.c). */
static size_t user_fields(const struct event_format *ef)
{
	size_t n = 0;

	while (n < ef->nfields && !is_hidden(ef->fields[n].name))
		n++;
	return n;
}

/* "a, b and c": the fields a user may set */
static void field_names(const struct event_format *ef, char *buf, size_t len)
{
	size_t i, used = 0, n = user_fields(ef);

	buf[0] = '\0';
	for (i = 0; i < n && used < len; i++)
		used += snprintf(buf + used, len - used, "%s%s",
				 !i	      ? ""
				 : i + 1 == n ? " and "
					      : ", ",
				 ef->fields[i].name);
}

static int unknown(const struct event_format *ef, const char *name, size_t len,
		   struct lib_error *err)
{
	char names[1024];

	if (len > 7 && !strncmp(name, "common_", 7))
		return lib_error_set(err, EINVAL, -1,
				     "%.*s is set by the kernel (the injecting "
				     "process, flags, preemption): give the "
				     "event's own fields",
				     (int)len, name);
	field_names(ef, names, sizeof(names));
	if (!user_fields(ef))
		return lib_error_set(err, EINVAL, -1,
				     "%s has no field '%.*s': it has none to "
				     "set",
				     ef->name, (int)len, name);
	return lib_error_set(err, EINVAL, -1,
			     "%s has no field '%.*s': it has %s", ef->name,
			     (int)len, name, names);
}

static const char *type_name(const struct field_layout *f, char *buf,
			     size_t len)
{
	snprintf(buf, len, "%c%u", f->is_signed ? 's' : 'u', 8 * f->size);
	return buf;
}

/* A number as kstrtoll/kstrtoull read it, in the field's range. */
static int check_number(const struct field_layout *f, const char *v,
			struct lib_error *err)
{
	unsigned int bits = 8 * f->size;
	char *end, t[8];
	long long s;
	unsigned long long u;
	const char *p = v + (*v == '-');

	type_name(f, t, sizeof(t));
	/* the kernel: a digit or '-' first, then letters and digits */
	if (!*p || !((*v >= '0' && *v <= '9') || *v == '-'))
		return lib_error_set(err, EINVAL, -1,
				     "%s is a number (%s): '%s' is not one",
				     f->name, t, v);
	if (*v == '-' && !f->is_signed)
		return lib_error_set(err, EINVAL, -1,
				     "%s is unsigned (%s): '%s' is negative",
				     f->name, t, v);
	errno = 0;
	if (f->is_signed) {
		s = strtoll(v, &end, 0);
		if (*end || end == p || errno ||
		    (bits < 64 &&
		     (s < -(1LL << (bits - 1)) || s > (1LL << (bits - 1)) - 1)))
			goto range;
		return 0;
	}
	u = strtoull(v, &end, 0);
	if (*end || end == p || errno || (bits < 64 && u > (1ULL << bits) - 1))
		goto range;
	return 0;
range:
	if (*end && !errno)
		return lib_error_set(err, EINVAL, -1,
				     "%s is a number (%s): '%s' is not one "
				     "(42, -3, 0x2a or 052)",
				     f->name, t, v);
	return lib_error_set(err, ERANGE, -1,
			     "%s is %s: %s does not fit, and the kernel would "
			     "cut it",
			     f->name, t, v);
}

/* A string value: quoted as the kernel wants it, into q. */
static int check_string(const struct field_layout *f, const char *v, char *q,
			size_t qlen, struct lib_error *err)
{
	size_t n = strlen(v), max;
	const char *body = v;
	char open = 0;

	if (n >= 2 && (*v == '"' || *v == '\'') && v[n - 1] == *v) {
		open = *v;
		body = v + 1;
		n -= 2;
	} else if (!strchr(v, '"')) {
		open = '"';
	} else if (!strchr(v, '\'')) {
		open = '\'';
	} else {
		return lib_error_set(err, EINVAL, -1,
				     "%s: the kernel cannot take a string "
				     "with both ' and \" in it",
				     f->name);
	}
	/* the kernel's string ends at the first unescaped quote; a '\' is
	 * kept as it is, and escapes the character after it */
	if (memchr(body, open, n) || (n && body[n - 1] == '\\'))
		return lib_error_set(err, EINVAL, -1,
				     "%s: %c or a final \\ inside the string "
				     "would end it early: quote it with the "
				     "other quote",
				     f->name, open);
	max = f->is_dynamic ? MAX_STR - 1 : f->size - 1;
	if (n > max)
		return lib_error_set(err, ERANGE, -1,
				     "%s holds at most %zu characters: the "
				     "value has %zu, and the kernel would cut "
				     "it",
				     f->name, max, n);
	snprintf(q, qlen, "%c%.*s%c", open, (int)n, body, open);
	return 0;
}

static int check_one(const struct event_format *ef, const char *a,
		     const struct field_layout **seen, char *out, size_t len,
		     struct lib_error *err)
{
	const char *eq = strchr(a, '=');
	const struct field_layout *f;
	char q[MAX_STR + 4];
	int ret;

	if (!eq || eq == a)
		return lib_error_set(err, EINVAL, -1, "'%s' is not FIELD=VALUE",
				     a);
	f = find_field(ef, a, (size_t)(eq - a));
	if (!f)
		return unknown(ef, a, (size_t)(eq - a), err);
	*seen = f;
	if (f->type == FT_ARRAY)
		return lib_error_set(err, EINVAL, -1,
				     "%s is an array: the kernel injects "
				     "numbers and strings only",
				     f->name);
	if (f->type == FT_STRING) {
		ret = check_string(f, eq + 1, q, sizeof(q), err);
		if (!ret)
			snprintf(out, len, "%s=%s", f->name, q);
		return ret;
	}
	ret = check_number(f, eq + 1, err);
	if (!ret)
		snprintf(out, len, "%s=%s", f->name, eq + 1);
	return ret;
}

int inject_line(const struct event_format *ef, const char *const *assign, int n,
		char **line, struct lib_error *err)
{
	const struct field_layout **seen;
	char *buf, one[MAX_STR + 80];
	size_t used = 0;
	int i, j, ret = 0;

	*line = NULL;
	buf = calloc(1, MAX_LINE + 1);
	seen = calloc(n > 0 ? n : 1, sizeof(*seen));
	if (!buf || !seen) {
		ret = lib_error_set(err, ENOMEM, -1, "out of memory");
		goto out;
	}
	for (i = 0; i < n && !ret; i++) {
		ret = check_one(ef, assign[i], &seen[i], one, sizeof(one), err);
		for (j = 0; !ret && j < i; j++)
			if (seen[j] == seen[i])
				ret = lib_error_set(err, EINVAL, -1,
						    "%s is set twice",
						    seen[i]->name);
		if (!ret && used + strlen(one) + 1 > MAX_LINE)
			ret = lib_error_set(err, E2BIG, -1,
					    "the record's values make more "
					    "than %d bytes: the kernel takes "
					    "less than a page",
					    MAX_LINE);
		if (!ret)
			used += snprintf(buf + used, MAX_LINE + 1 - used,
					 "%s%s", i ? " " : "", one);
	}
	if (!ret) {
		*line = buf;
		buf = NULL;
	}
out:
	free(seen);
	free(buf);
	return ret;
}
