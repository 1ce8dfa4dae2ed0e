/* SPDX-License-Identifier: MIT */
/*
 * Fetching debug files from debuginfod servers (see debuginfod.h).
 *
 * libdebuginfod is opened with dlopen() by its soname, as capstone is
 * (resolve/insn_boundary.c): linking it would load libcurl and its TLS
 * libraries into every sonde process, though most never need a debug
 * file from the network. A file the client returns is only a candidate:
 * debuginfo.c checks its build-id as for any other.
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "debuginfod.h"

#ifdef HAVE_DEBUGINFOD
#include <elfutils/debuginfod.h>
#else
#define DEBUGINFOD_SONAME "libdebuginfod.so.1"
#endif

static struct {
	bool off;
	sonde_log_fn log;
	void *ctx;
} cfg;

/* Each build-id asked once: the answer, for every later search. */
struct asked {
	struct asked *next;
	char *path; /* NULL: err */
	char *why;  /* the failure, for notes */
	int err;
	char hex[];
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct asked *asked;

void sonde_debuginfod_configure(bool enabled, sonde_log_fn log, void *ctx)
{
	pthread_mutex_lock(&lock);
	cfg.off = !enabled;
	cfg.log = log;
	cfg.ctx = ctx;
	pthread_mutex_unlock(&lock);
}

static void say(enum sonde_log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void say(enum sonde_log_level lvl, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (!cfg.log)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cfg.log(lvl, msg, cfg.ctx);
}

static const char *urls(void)
{
	const char *u = getenv("DEBUGINFOD_URLS");

	return u && u[strspn(u, " \t")] ? u : NULL;
}

#ifdef HAVE_DEBUGINFOD
static struct {
	__typeof__(debuginfod_begin) *begin;
	__typeof__(debuginfod_find_debuginfo) *find_debuginfo;
	__typeof__(debuginfod_set_progressfn) *set_progressfn;
	__typeof__(debuginfod_set_user_data) *set_user_data;
	__typeof__(debuginfod_get_user_data) *get_user_data;
	__typeof__(debuginfod_get_url) *get_url;
	__typeof__(debuginfod_end) *end;
} fn;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void load(void)
{
	void *h = dlopen(DEBUGINFOD_SONAME, RTLD_NOW | RTLD_LOCAL);

	if (!h)
		return;
	/* h stays open: the client may be used again */
	*(void **)&fn.find_debuginfo = dlsym(h, "debuginfod_find_debuginfo");
	*(void **)&fn.set_progressfn = dlsym(h, "debuginfod_set_progressfn");
	*(void **)&fn.set_user_data = dlsym(h, "debuginfod_set_user_data");
	*(void **)&fn.get_user_data = dlsym(h, "debuginfod_get_user_data");
	*(void **)&fn.get_url = dlsym(h, "debuginfod_get_url");
	*(void **)&fn.end = dlsym(h, "debuginfod_end");
	if (fn.find_debuginfo && fn.set_progressfn && fn.set_user_data &&
	    fn.get_user_data && fn.get_url && fn.end)
		*(void **)&fn.begin = dlsym(h, "debuginfod_begin");
}

static bool loaded(void)
{
	pthread_once(&once, load);
	return fn.begin;
}

/* One fetch's progress: said once the transfer has begun (a file in the
 * cache is returned without any), with the server that answers. */
struct transfer {
	const char *hex;
	bool said;
	struct timespec t0;
	long bytes;
};

static int progress(debuginfod_client *c, long done, long total)
{
	struct transfer *t = fn.get_user_data(c);
	const char *url;

	(void)total;
	if (!t)
		return 0;
	t->bytes = done;
	if (!t->said) {
		url = fn.get_url(c);
		say(SONDE_LOG_INFO, "fetching debug info for %s from %s",
		    t->hex, url ? url : urls());
		t->said = true;
	}
	return 0;
}

static int ask(const char *hex, char **out)
{
	struct transfer t = {.hex = hex};
	struct timespec t1;
	debuginfod_client *c;
	int fd;

	c = fn.begin();
	if (!c)
		return -ENOMEM;
	fn.set_user_data(c, &t);
	fn.set_progressfn(c, progress);
	clock_gettime(CLOCK_MONOTONIC, &t.t0);
	fd = fn.find_debuginfo(c, (const unsigned char *)hex, 0, out);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	fn.end(c);
	if (fd < 0)
		return fd;
	close(fd);
	if (t.said)
		say(SONDE_LOG_INFO, "fetched %ld bytes in %.1f s into %s",
		    t.bytes,
		    (double)(t1.tv_sec - t.t0.tv_sec) +
			    (double)(t1.tv_nsec - t.t0.tv_nsec) / 1e9,
		    *out);
	else
		say(SONDE_LOG_INFO, "debug info for %s from the debuginfod "
				    "cache: %s",
		    hex, *out);
	return 0;
}
#else
static bool loaded(void)
{
	return false;
}

static int ask(const char *hex, char **out)
{
	(void)hex;
	(void)out;
	return -ENOTSUP;
}
#endif

enum sonde_debuginfod_state sonde_debuginfod_state(void)
{
#ifndef HAVE_DEBUGINFOD
	if (!cfg.off && urls())
		return SONDE_DEBUGINFOD_NOT_BUILT;
#endif
	if (cfg.off)
		return SONDE_DEBUGINFOD_OFF;
	if (!urls())
		return SONDE_DEBUGINFOD_NO_URLS;
	return loaded() ? SONDE_DEBUGINFOD_READY : SONDE_DEBUGINFOD_NO_LIB;
}

/* The first time only: the answer, and what to say about it (why: the
 * failure in a few words, for the search's note). */
static int first_ask(const char *hex, const char *path, char **out,
		     char *why, size_t whylen)
{
	static bool told_lib;
	enum sonde_debuginfod_state st = sonde_debuginfod_state();
	int err;

	if (st != SONDE_DEBUGINFOD_READY) {
		snprintf(why, whylen,
			 st == SONDE_DEBUGINFOD_NO_LIB
				 ? "DEBUGINFOD_URLS is set but %s cannot be "
				   "loaded: install libdebuginfod1"
				 : "DEBUGINFOD_URLS is set but sonde was built "
				   "without libdebuginfod (%s)",
			 DEBUGINFOD_SONAME);
		if (!told_lib)
			say(SONDE_LOG_WARN, "%s%s", why,
			    st == SONDE_DEBUGINFOD_NO_LIB
				    ? " to fetch debug info"
				    : ": no debug info is fetched");
		told_lib = true;
		return -ENOTSUP;
	}
	err = ask(hex, out);
	if (err == -ENOENT) {
		snprintf(why, whylen, "no debuginfod server has build-id %s",
			 hex);
		say(SONDE_LOG_INFO, "%s of %s", why, path);
		return err;
	}
	/* the client's timeouts: DEBUGINFOD_TIMEOUT, DEBUGINFOD_MAXTIME */
	if (err == -ETIME)
		snprintf(why, whylen, "debuginfod: no answer in time "
				      "(DEBUGINFOD_TIMEOUT)");
	else if (err)
		snprintf(why, whylen, "debuginfod: %s", strerror(-err));
	if (err)
		say(SONDE_LOG_WARN,
		    "cannot fetch the debug info of %s (build-id %s) from %s: "
		    "%s",
		    path, hex, urls(), why + strlen("debuginfod: "));
	return err;
}

int debuginfod_fetch(const char *hex, const char *path, char **out,
		     char *note, size_t notelen)
{
	struct asked *a;
	char *got = NULL, why[256] = "";
	int err;

	*out = NULL;
	if (cfg.off || !urls())
		return -ENOENT;
	pthread_mutex_lock(&lock);
	for (a = asked; a && strcmp(a->hex, hex); a = a->next)
		;
	if (!a) {
		err = first_ask(hex, path, &got, why, sizeof(why));
		a = calloc(1, sizeof(*a) + strlen(hex) + 1);
		if (!a || (err && !(a->why = strdup(why)))) {
			free(a);
			free(got);
			pthread_mutex_unlock(&lock);
			return -ENOMEM;
		}
		strcpy(a->hex, hex);
		a->path = got;
		a->err = err;
		a->next = asked;
		asked = a;
	}
	err = a->err;
	if (err && note && notelen && !note[0])
		snprintf(note, notelen, "%s", a->why);
	if (!err && !(*out = strdup(a->path)))
		err = -ENOMEM;
	pthread_mutex_unlock(&lock);
	return err;
}
