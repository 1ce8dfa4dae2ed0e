/* SPDX-License-Identifier: MIT */
/* The line buffer of the event printers (line.h), and cli_safe(). */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "line.h"

void l_flush(struct line *l)
{
	if (l->n)
		fwrite(l->buf, 1, l->n, l->out);
	l->n = 0;
}

void l_mem(struct line *l, const char *s, size_t len)
{
	if (l->n + len > sizeof(l->buf)) {
		l_flush(l);
		if (len > sizeof(l->buf)) {
			fwrite(s, 1, len, l->out);
			return;
		}
	}
	memcpy(l->buf + l->n, s, len);
	l->n += len;
}

void l_str(struct line *l, const char *s)
{
	l_mem(l, s, strlen(s));
}

void l_chr(struct line *l, char c)
{
	if (l->n == sizeof(l->buf))
		l_flush(l);
	l->buf[l->n++] = c;
}

void l_u64w(struct line *l, uint64_t v, int width, char pad)
{
	char d[24];
	int i = sizeof(d);

	do {
		d[--i] = '0' + v % 10;
		v /= 10;
	} while (v);
	while ((int)sizeof(d) - i < width)
		d[--i] = pad;
	l_mem(l, d + i, sizeof(d) - i);
}

void l_u64(struct line *l, uint64_t v)
{
	l_u64w(l, v, 0, ' ');
}

void l_s64(struct line *l, int64_t v)
{
	if (v < 0) {
		l_chr(l, '-');
		l_u64(l, -(uint64_t)v);
	} else {
		l_u64(l, v);
	}
}

void l_hex(struct line *l, uint64_t v)
{
	static const char digits[] = "0123456789abcdef";
	char d[18];
	int i = sizeof(d);

	do {
		d[--i] = digits[v & 15];
		v >>= 4;
	} while (v);
	d[--i] = 'x';
	d[--i] = '0';
	l_mem(l, d + i, sizeof(d) - i);
}

void l_time(struct line *l, int64_t ns, int decimals, int width)
{
	uint64_t u = ns < 0 ? -(uint64_t)ns : (uint64_t)ns;

	if (ns < 0) {
		l_chr(l, '-');
		width--;
	}
	l_u64w(l, u / 1000000000, width, ' ');
	l_chr(l, '.');
	if (decimals == 6)
		l_u64w(l, u % 1000000000 / 1000, 6, '0');
	else
		l_u64w(l, u % 1000000000, 9, '0');
}

/* Does s need sonde_text__escape() with flags? */
static bool needs_escape(const char *s, unsigned int flags)
{
	bool quoted = flags & (SONDE_ESCAPE_QUOTED | SONDE_ESCAPE_JSON);
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p >= 0x7f ||
		    (quoted && (*p == '"' || *p == '\\')) ||
		    ((flags & SONDE_ESCAPE_CSV) && *p == '\\'))
			return true;
	return false;
}

void l_safe(struct line *l, const char *s, unsigned int flags)
{
	char small[512], *big = NULL, *e = small;
	size_t n;

	if (!needs_escape(s, flags)) {
		l_str(l, s);
		return;
	}
	n = sonde_text__escape(small, sizeof(small), s, flags);
	if (n >= sizeof(small) && (big = malloc(n + 1)))
		sonde_text__escape(e = big, n + 1, s, flags);
	l_str(l, e);
	free(big);
}

#define SLOTS 8
/* The same for printf: the escaped copy lives until SLOTS more calls. */
static const char *safe_copy(const char *s, unsigned int flags)
{
	static char *slot[SLOTS];
	static unsigned int next;
	char **p = &slot[next++ % SLOTS];
	size_t n;

	if (!s || !needs_escape(s, 0))
		return s ? s : "";
	n = sonde_text__escape(NULL, 0, s, flags);
	free(*p);
	*p = malloc(n + 1);
	if (!*p)
		return "(out of memory)";
	sonde_text__escape(*p, n + 1, s, flags);
	return *p;
}

const char *cli_safe(const char *s)
{
	return safe_copy(s, 0);
}

const char *cli_safe_lines(const char *s)
{
	return safe_copy(s, SONDE_ESCAPE_LINES);
}
