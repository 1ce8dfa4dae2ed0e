/* SPDX-License-Identifier: MIT */
/*
 * BCC's attach_uretprobe(name="c", sym="getenv") in C with libsonde: a
 * uretprobe on libc's getenv, attached to this process while it runs,
 * receiving the returned string through a callback. (strlen would be the
 * classic, but in glibc it is an IFUNC: its symbol is the resolver; atoi
 * is replaced by the sanitizers' interceptor in instrumented builds.)
 *
 *   getenv_uretprobe [VALUE...]   (as root)
 * Sets SONDE_EXAMPLE_<i>=VALUE (default: three known values), reads each
 * back with getenv(), prints one line per traced return,
 * "getenv__return returned VALUE", and exits 0 when every value was seen.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sonde/sonde.h>

#define MAXSEEN 64

struct seen {
	char vals[MAXSEEN][64];
	int n;
};

static int on_event(const struct sonde_event *ev, void *ctx)
{
	struct seen *seen = ctx;
	const char *val = sonde_event__field_str(ev, 0);

	printf("%s returned %s (tid %d)\n", sonde_event__probe_name(ev),
	       val ? val : "?", sonde_event__tid(ev));
	if (val && seen->n < MAXSEEN)
		snprintf(seen->vals[seen->n++], sizeof(seen->vals[0]), "%s",
			 val);
	return 0;
}

static void on_log(enum sonde_log_level lvl, const char *msg, void *ctx)
{
	(void)ctx;
	if (lvl == SONDE_LOG_WARN)
		fprintf(stderr, "libsonde: %s\n", msg);
}

int main(int argc, char **argv)
{
	static char *defaults[] = { "alpha", "two words", "x=1;y=2" };
	struct sonde_session_opts opts = {
		.sz = sizeof(opts),
		.pid = getpid(), /* breakpoints fire only for us */
		.log = on_log,
	};
	char **vals = argc > 1 ? argv + 1 : defaults;
	int nvals = argc > 1 ? argc - 1 : 3, i, j, found, err;
	/* called through a pointer, so the call really goes to libc */
	char *(*volatile call_getenv)(const char *) = getenv;
	struct sonde_session *s;
	struct seen seen = { 0 };
	char name[32];

	for (i = 0; i < nvals; i++) {
		snprintf(name, sizeof(name), "SONDE_EXAMPLE_%d", i);
		setenv(name, vals[i], 1);
	}
	s = sonde_session__open(&opts);
	if (!s)
		return 1;
	sonde_session__set_callback(s, on_event, &seen);
	/* start with an entry probe, then attach the uretprobe while the
	 * session runs, as BCC programs attach probe after probe */
	if (sonde_session__add_probe(s, "u:libc:getenv", NULL) < 0 ||
	    sonde_session__start(s) < 0 ||
	    sonde_session__detach(s, 0) < 0 ||
	    sonde_session__add_probe(s, "ur:libc:getenv val=+0(retval):string",
				     NULL) < 0) {
		fprintf(stderr, "getenv_uretprobe: %s\n",
			sonde_session__errmsg(s));
		sonde_session__close(s);
		return 1;
	}
	for (i = 0; i < nvals; i++) {
		snprintf(name, sizeof(name), "SONDE_EXAMPLE_%d", i);
		call_getenv(name);
	}
	/* wait until the events are in, at most a second */
	for (i = 0; i < 10 && seen.n < nvals; i++)
		if ((err = sonde_session__poll(s, 100)) < 0 && err != -EINTR)
			break;
	sonde_session__drain(s);
	sonde_session__close(s);
	/* every value must have been seen (other getenv calls of this
	 * process would be extra returns: fine) */
	for (i = 0, found = 0; i < nvals; i++) {
		for (j = 0; j < seen.n; j++)
			if (!strcmp(seen.vals[j], vals[i]))
				break;
		found += j < seen.n;
	}
	printf("%d of %d getenv calls seen\n", found, nvals);
	return found == nvals ? 0 : 1;
}
