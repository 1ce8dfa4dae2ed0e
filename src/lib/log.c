/* SPDX-License-Identifier: MIT */
/* The library never prints: messages go to the caller's log callback, and
 * the last error is kept for sonde_session__errmsg(). */
#include <errno.h>
#include <stdio.h>

#include "internal.h"

void slog(const struct sonde_session *s, enum sonde_log_level lvl,
	  const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	if (!s || !s->opts.log)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	s->opts.log(lvl, buf, s->opts.log_ctx);
}

void tfs_progress(struct sonde_session *s, const char *what, int done,
		  int total)
{
	if (s->opts.progress && total > 1)
		s->opts.progress(what, done, total, s->opts.progress_ctx);
}

int set_err(struct sonde_session *s, int err, int col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->errmsg, sizeof(s->errmsg), fmt, ap);
	va_end(ap);
	s->errcol = col;
	return err < 0 ? err : -err;
}

const char *sonde_session__errmsg(const struct sonde_session *s)
{
	return s ? s->errmsg : "";
}

int sonde_session__errcol(const struct sonde_session *s)
{
	return s ? s->errcol : -1;
}

const char *sonde_version(void)
{
	return "0.1.0";
}
