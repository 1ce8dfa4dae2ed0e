/* SPDX-License-Identifier: MIT */
/*
 * Strings in JSON and CSV (line.h). JSON is always valid UTF-8: a string
 * that is not UTF-8 is written as its bytes, each one code point
 * \u0000..\u00ff (a reader gets the bytes back by encoding the string as
 * ISO-8859-1), and the object says which strings those are in its
 * "not_utf8" list. A CSV cell holds the string's bytes but control
 * characters (tab, CR and LF kept) and bytes that are not UTF-8, which
 * are \xHH, and a backslash, doubled; a cell is quoted when it must be.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "line.h"

/* Append to nu: where + name (RFC 6901: ~ as ~0, / as ~1), as a JSON
 * string (a name is kernel or user text: escaped as any other). */
static void nu_add(struct not_utf8 *nu, const char *where, const char *name)
{
	char *ptr = malloc(strlen(where) + 2 * (name ? strlen(name) : 0) + 1);
	char *grown, *p;
	const char *s;
	size_t need;

	if (!ptr)
		return;
	p = stpcpy(ptr, where);
	for (s = name; s && *s; s++) {
		if (*s == '~' || *s == '/') {
			*p++ = '~';
			*p++ = *s == '~' ? '0' : '1';
		} else {
			*p++ = *s;
		}
	}
	*p = '\0';
	need = sonde_text__escape(NULL, 0, ptr, SONDE_ESCAPE_JSON) + 4;
	if (nu->n + need > nu->cap) {
		grown = realloc(nu->list, nu->cap + need + 256);
		if (!grown) {
			free(ptr);
			return;
		}
		nu->list = grown;
		nu->cap += need + 256;
	}
	p = nu->list + nu->n;
	if (nu->n)
		*p++ = ',';
	*p++ = '"';
	p += sonde_text__escape(p, need, ptr, SONDE_ESCAPE_JSON);
	*p++ = '"';
	nu->n = p - nu->list;
	free(ptr);
}

void l_json_str(struct line *l, const char *s, struct not_utf8 *nu,
		const char *where, const char *name)
{
	unsigned int flags = SONDE_ESCAPE_JSON;

	s = s ? s : "";
	if (!sonde_text__is_utf8(s)) {
		flags |= SONDE_ESCAPE_BYTES;
		if (nu)
			nu_add(nu, where, name);
	}
	l_chr(l, '"');
	l_safe(l, s, flags);
	l_chr(l, '"');
}

void l_not_utf8(struct line *l, struct not_utf8 *nu)
{
	if (nu->n) {
		l_str(l, ",\"not_utf8\":[");
		l_mem(l, nu->list, nu->n);
		l_chr(l, ']');
	}
	free(nu->list);
	*nu = (struct not_utf8){0};
}

void l_csv(struct line *l, const char *s)
{
	char small[512], *big = NULL, *e = small;
	size_t n;

	n = sonde_text__escape(small, sizeof(small), s ? s : "",
			       SONDE_ESCAPE_CSV);
	if (n >= sizeof(small) && (big = malloc(n + 1)))
		sonde_text__escape(e = big, n + 1, s, SONDE_ESCAPE_CSV);
	if (!strpbrk(e, ",\"\r\n")) {
		l_str(l, e);
	} else {
		l_chr(l, '"');
		for (s = e; *s; s++) {
			if (*s == '"')
				l_chr(l, '"');
			l_chr(l, *s);
		}
		l_chr(l, '"');
	}
	free(big);
}

void put_json_str(FILE *out, const char *s, struct not_utf8 *nu,
		  const char *where, const char *name)
{
	struct line l = {.out = out};

	l_json_str(&l, s, nu, where, name);
	l_flush(&l);
}

void put_not_utf8(FILE *out, struct not_utf8 *nu)
{
	struct line l = {.out = out};

	l_not_utf8(&l, nu);
	l_flush(&l);
}

void put_csv(FILE *out, const char *s)
{
	struct line l = {.out = out};

	l_csv(&l, s);
	l_flush(&l);
}
