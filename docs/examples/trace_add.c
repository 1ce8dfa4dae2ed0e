/* SPDX-License-Identifier: MIT */
/*
 * trace_add: the example of libsonde(3). Puts a uprobe on add(a, b) of
 * TARGET and a uretprobe on its return, and prints each call's arguments
 * and result until Ctrl-C or SECS seconds (default 10).
 *
 *   cc -o trace_add trace_add.c $(pkg-config --cflags --libs libsonde)
 *   sudo ./trace_add ./prog 5
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sonde/sonde.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void log_cb(enum sonde_log_level level, const char *msg, void *ctx)
{
	(void)ctx;
	if (level <= SONDE_LOG_INFO)
		fprintf(stderr, "trace_add: %s\n", msg);
}

/* One line per event: probe name, pid, then NAME=VALUE for each field. */
static int on_event(const struct sonde_event *ev, void *ctx)
{
	unsigned long *count = ctx;
	int i;

	printf("%-12s pid=%d", sonde_event__probe_name(ev),
	       sonde_event__pid(ev));
	for (i = 0; i < sonde_event__field_count(ev); i++) {
		const char *name = sonde_event__field_name(ev, i);

		switch (sonde_event__field_kind(ev, i)) {
		case SONDE_FIELD_SIGNED:
			printf(" %s=%" PRId64, name,
			       sonde_event__field_s64(ev, i));
			break;
		case SONDE_FIELD_STRING:
			printf(" %s=\"%s\"", name,
			       sonde_event__field_str(ev, i));
			break;
		default:
			printf(" %s=0x%" PRIx64, name,
			       sonde_event__field_u64(ev, i));
		}
	}
	putchar('\n');
	(*count)++;
	return 0; /* non-zero would stop sonde_session__poll() */
}

static int add_probe(struct sonde_session *s, const char *spec)
{
	int err = sonde_session__add_probe(s, spec, NULL);
	int col = sonde_session__errcol(s);

	if (err >= 0)
		return 0;
	fprintf(stderr, "trace_add: %s\n", sonde_session__errmsg(s));
	if (col >= 0)
		fprintf(stderr, "  %s\n  %*s^\n", spec, col, "");
	return err;
}

int main(int argc, char **argv)
{
	struct sonde_session_opts opts = {
		.sz = sizeof(opts),
		.log = log_cb,
	};
	struct sonde_stats st = { .sz = sizeof(st) };
	struct sonde_session *s;
	unsigned long count = 0;
	char entry[512], ret[512];
	time_t end;
	int n, err;

	if (argc < 2) {
		fprintf(stderr, "usage: trace_add TARGET [SECS]\n");
		return 2;
	}
	end = time(NULL) + (argc > 2 ? atoi(argv[2]) : 10);
	snprintf(entry, sizeof(entry), "u:%s:add a=arg1:s32 b=arg2:s32",
		 argv[1]);
	snprintf(ret, sizeof(ret), "ur:%s:add sum=retval:s32", argv[1]);

	s = sonde_session__open(&opts);
	if (!s) {
		fprintf(stderr, "trace_add: %s\n", strerror(errno));
		return 1;
	}
	err = add_probe(s, entry);
	if (!err)
		err = add_probe(s, ret);
	if (err)
		goto out;
	sonde_session__set_callback(s, on_event, &count);
	/* the probes reach the kernel here */
	err = sonde_session__start(s);
	if (err) {
		fprintf(stderr, "trace_add: %s\n", sonde_session__errmsg(s));
		goto out;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	while (!stop && time(NULL) < end) {
		n = sonde_session__poll(s, 200);
		if (n < 0 && n != -EINTR) {
			err = n;
			fprintf(stderr, "trace_add: %s\n", strerror(-n));
			break;
		}
		fflush(stdout);
	}
	sonde_session__drain(s);
	if (!sonde_session__stats(s, &st))
		fprintf(stderr, "trace_add: %lu events, %" PRIu64 " lost\n",
			count, st.lost);
out:
	/* removes the probes and the instance, on every path */
	sonde_session__close(s);
	return err ? 1 : 0;
}
