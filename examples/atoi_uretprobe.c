/* SPDX-License-Identifier: MIT */
/*
 * BCC's attach_uretprobe(name="c", sym="atoi") in C with libsonde: a
 * uretprobe on libc's atoi, attached to this process while it runs,
 * receiving each return value through a callback. (strlen would be the
 * classic, but in glibc it is an IFUNC: its symbol is the resolver.)
 *
 *   atoi_uretprobe [NUMBER...]   (as root)
 * Calls atoi() on each NUMBER (default: three known ones), prints one line
 * per traced return, "atoi__return returned N", and exits 0 when every
 * call was seen with its value.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sonde/sonde.h>

struct seen {
	long vals[64];
	int n;
};

static int on_event(const struct sonde_event *ev, void *ctx)
{
	struct seen *seen = ctx;
	long val = sonde_event__field_s64(ev, 0);

	printf("%s returned %ld (tid %d)\n", sonde_event__probe_name(ev), val,
	       sonde_event__tid(ev));
	if (seen->n < 64)
		seen->vals[seen->n++] = val;
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
	static char *defaults[] = { "42", "-7", "1000000" };
	struct sonde_session_opts opts = {
		.sz = sizeof(opts),
		.pid = getpid(), /* breakpoints fire only for us */
		.log = on_log,
	};
	char **words = argc > 1 ? argv + 1 : defaults;
	int nwords = argc > 1 ? argc - 1 : 3, i, found, err;
	struct sonde_session *s;
	struct seen seen = { 0 };
	volatile long sink = 0;
	/* called through a pointer: glibc's headers may inline atoi() into
	 * strtol() when optimizing, and then libc's atoi is never called */
	int (*volatile call_atoi)(const char *) = atoi;

	s = sonde_session__open(&opts);
	if (!s)
		return 1;
	sonde_session__set_callback(s, on_event, &seen);
	/* start with an entry probe, then attach the uretprobe while the
	 * session runs, as BCC programs attach probe after probe */
	if (sonde_session__add_probe(s, "u:libc:atoi", NULL) < 0 ||
	    sonde_session__start(s) < 0 ||
	    sonde_session__detach(s, 0) < 0 ||
	    sonde_session__add_probe(s, "ur:libc:atoi val=retval:s32",
				     NULL) < 0) {
		fprintf(stderr, "atoi_uretprobe: %s\n",
			sonde_session__errmsg(s));
		sonde_session__close(s);
		return 1;
	}
	for (i = 0; i < nwords; i++)
		sink += call_atoi(words[i]);
	/* wait until the events are in, at most a second */
	for (i = 0; i < 10 && seen.n < nwords; i++)
		if ((err = sonde_session__poll(s, 100)) < 0 && err != -EINTR)
			break;
	sonde_session__drain(s);
	sonde_session__close(s);
	/* every number must have been seen (other atoi calls of this
	 * process would be extra returns: fine) */
	for (i = 0, found = 0; i < nwords; i++) {
		int j;

		for (j = 0; j < seen.n; j++)
			if (seen.vals[j] == atoi(words[i]))
				break;
		found += j < seen.n;
	}
	printf("%d of %d atoi calls seen (sum %ld)\n", found, nwords,
	       (long)sink);
	return found == nwords ? 0 : 1;
}
