/* SPDX-License-Identifier: MIT */
/* The library never prints: messages go to the caller's log callback, and
 * the last error is kept for sonde_session__errmsg(). Both are escaped
 * here, once (base/escape.c, base/error.c): names from ELF files, USDT
 * notes and the kernel reach them through %s and may hold terminal escape
 * sequences. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

void slog(const struct sonde_session *s, enum sonde_log_level lvl,
	  const char *fmt, ...)
{
	char buf[1024], safe[1024];
	va_list ap;

	if (!s || !s->opts.log)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	sonde_text__escape(safe, sizeof(safe), buf, 0);
	s->opts.log(lvl, safe, s->opts.log_ctx);
}

void tfs_progress(struct sonde_session *s, const char *what, int done,
		  int total)
{
	if (s->opts.progress && total > 1)
		s->opts.progress(what, done, total, s->opts.progress_ctx);
}

int set_err(struct sonde_session *s, int err, int col, const char *fmt, ...)
{
	char buf[LIB_ERROR_MSG];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return lib_error_set(&s->err, err, col, "%s", buf);
}

void err_quote(struct sonde_session *s, const char *text)
{
	lib_error_append_lines(&s->err, text);
}

const char *sonde_session__errmsg(const struct sonde_session *s)
{
	return s ? s->err.msg : "";
}

int sonde_session__errcol(const struct sonde_session *s)
{
	return s ? s->err.col : -1;
}

const char *sonde_version(void)
{
	return "0.1.0";
}
