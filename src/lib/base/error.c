/* SPDX-License-Identifier: MIT */
/* The error carrier (error.h): one formatter for every stage, so each
 * message is escaped to one line and cut the same way. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <sonde/sonde.h>

#include "error.h"

static size_t room(const struct lib_error *e)
{
	return e->cut && e->cut < sizeof(e->msg) ? e->cut : sizeof(e->msg);
}

void lib_error_clear(struct lib_error *e)
{
	if (!e)
		return;
	e->err = 0;
	e->col = -1;
	e->msg[0] = '\0';
}

int lib_error_set(struct lib_error *e, int err, int col, const char *fmt, ...)
{
	char raw[LIB_ERROR_MSG];
	va_list ap;

	err = err < 0 ? -err : err;
	if (!e)
		return -err;
	va_start(ap, fmt);
	vsnprintf(raw, room(e), fmt, ap);
	va_end(ap);
	sonde_text__escape(e->msg, e->cut_escaped ? room(e) : sizeof(e->msg),
			   raw, 0);
	e->err = err;
	e->col = col;
	return -err;
}

void lib_error_append_lines(struct lib_error *e, const char *text)
{
	size_t n = strlen(e->msg), k,
	       len = e->cut_escaped ? room(e) : sizeof(e->msg);
	char line[LIB_ERROR_MSG];

	while (text && *text && n + 1 < len) {
		k = strcspn(text, "\n");
		snprintf(line, sizeof(line), "%.*s", (int)k, text);
		text += k + (text[k] == '\n');
		if (!*line && !*text)
			break; /* the last line's newline */
		e->msg[n++] = '\n';
		n += sonde_text__escape(e->msg + n, len - n, line, 0);
		n = n < len ? n : len - 1;
		e->msg[n] = '\0';
	}
}
