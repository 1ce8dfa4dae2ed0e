/* SPDX-License-Identifier: MIT */
/* sonde serve's text: a growing buffer for the exposition and the HTTP
 * replies, and Prometheus' escapes. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "serve.h"

static bool grow(struct serve_buf *b, size_t more)
{
	size_t cap = b->cap ? b->cap : 4096;
	char *p;

	if (b->failed)
		return false;
	while (cap < b->len + more + 1)
		cap *= 2;
	if (cap == b->cap)
		return true;
	p = realloc(b->p, cap);
	if (!p) {
		b->failed = true;
		return false;
	}
	b->p = p;
	b->cap = cap;
	return true;
}

void serve_buf_put(struct serve_buf *b, const char *s, size_t n)
{
	if (!grow(b, n))
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void serve_buf_add(struct serve_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !grow(b, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void serve_buf_free(struct serve_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

void serve_buf_escaped(struct serve_buf *b, const char *s, bool label)
{
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p; p++) {
		if (*p == '\\')
			serve_buf_put(b, "\\\\", 2);
		else if (*p == '\n')
			serve_buf_put(b, "\\n", 2);
		else if (*p == '"' && label)
			serve_buf_put(b, "\\\"", 2);
		else if (*p < 0x20 || *p >= 0x7f) /* the text must be UTF-8 */
			serve_buf_add(b, "\\\\x%02x", *p);
		else
			serve_buf_put(b, (const char *)p, 1);
	}
}
