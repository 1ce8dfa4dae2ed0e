/* SPDX-License-Identifier: MIT */
/*
 * sonde serve --listen ADDR:PORT CONFIG: a long-lived exporter. Each
 * entry of CONFIG (serve_config.c) is a count, histogram or latency kept
 * in the kernel (serve_metrics.c); GET /metrics (serve_http.c) reads the
 * kernel's tables and answers in Prometheus' text format. SIGHUP reads
 * CONFIG again, keeping the tables of unchanged entries; SIGTERM and
 * SIGINT end it, with nothing left in the kernel.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "options.h"
#include "serve.h"

/* Tell systemd (a Type=notify unit) what state the agent is in: READY=1
 * once the entries are in place and the port listens, RELOADING=1 while
 * CONFIG is read again, STOPPING=1 on the way out, each with a STATUS=
 * line (running >= 0: how many of n metrics run). Nothing when not
 * started by systemd ($NOTIFY_SOCKET unset) or built without libsystemd. */
static void notify(const char *state, const char *status, int running, int n)
{
#ifdef HAVE_SYSTEMD
	if (running >= 0)
		sd_notifyf(0, "%s\nSTATUS=%d of %d metrics running", state,
			   running, n);
	else
		sd_notifyf(0, "%s\nSTATUS=%s", state, status ? status : "");
#else
	(void)state;
	(void)status;
	(void)running;
	(void)n;
#endif
}

static volatile sig_atomic_t reload;

static void on_hup(int sig)
{
	(void)sig;
	reload = 1;
}

static void usage(FILE *out)
{
	fprintf(out, "usage: sonde serve --listen ADDR:PORT CONFIG [options]\n"
		     "  export counts and histograms kept in the kernel to Prometheus\n"
		     "  (GET /metrics), and call stacks to pprof\n"
		     "  (GET /debug/pprof/profile); SIGHUP reloads CONFIG (sonde-serve(1))\n");
	cli_options_help(out, CMD_SERVE);
}

struct serve {
	struct cli_opts o;
	const char *listen;
	const char *path;
	struct serve_config c;
};

static int serve_option(int id, const char *v, void *ctx)
{
	struct serve *sv = ctx;

	if (id != OPT_LISTEN)
		return EXIT_USAGE;
	sv->listen = v;
	return 0;
}

static void say(const struct serve *sv, const char *fmt, const char *a,
		const char *b)
{
	if (!sv->o.quiet)
		fprintf(stderr, fmt, prog, a, b);
}

/* Open the tables of c's good entries, taking those of old's that did
 * not change (old may be NULL); say what does not run. */
static int open_entries(struct serve *sv, struct serve_config *c,
			struct serve_config *old)
{
	int i, j, running = 0;
	bool kept;

	for (i = 0; i < c->n; i++) {
		struct serve_entry *e = &c->e[i];

		kept = false;
		for (j = 0; old && !e->error && !kept && j < old->n; j++)
			if ((old->e[j].t || old->e[j].st) &&
			    serve_entry_same(e, &old->e[j])) {
				e->t = old->e[j].t;
				e->st = old->e[j].st;
				old->e[j].t = NULL;
				old->e[j].st = NULL;
				kept = true;
			}
		if (!e->t && !e->st && !e->error &&
		    (e->kind == SERVE_STACK ? serve_stacks_open(e, &sv->o)
					    : serve_table_open(e, &sv->o)) &&
		    !e->error)
			e->error = strdup("out of memory");
		if (e->error)
			fprintf(stderr, "%s: %s: metric %s: %s\n", prog,
				sv->path, e->name, e->error);
		else
			running++;
		if ((e->t || e->st) && sv->o.verbose)
			say(sv, "%s: metric %s: %s\n", e->name,
			    kept ? "kept, with its counts" : "in place");
	}
	if (!sv->o.quiet)
		fprintf(stderr, "%s: %d of %d metrics running, on %s\n", prog,
			running, c->n, sv->listen);
	return running;
}

static void do_reload(struct serve *sv)
{
	struct serve_config c;
	int running;

	if (serve_config_read(sv->path, &c)) {
		fprintf(stderr, "%s: %s: out of memory: configuration kept\n",
			prog, sv->path);
		serve_config_free(&c);
		return;
	}
	if (c.error) { /* unreadable: the running entries go on */
		fprintf(stderr, "%s: %s: configuration kept\n", prog, c.error);
		free(sv->c.error);
		sv->c.error = c.error;
		c.error = NULL;
		serve_config_free(&c);
		return;
	}
	say(sv, "%s: %s: %s\n", sv->path, "reloading");
	notify("RELOADING=1", "reading the configuration again", -1, 0);
	running = open_entries(sv, &c, &sv->c);
	serve_config_free(&sv->c); /* the tables of entries that went */
	sv->c = c;
	notify("READY=1", NULL, running, c.n);
}

static void page(struct serve_buf *b, void *ctx)
{
	struct serve *sv = ctx;

	serve_metrics_write(&sv->c, b);
}

static int profile_start(const char *query, void **snap, int *seconds,
			 char *msg, size_t len, void *ctx)
{
	struct serve *sv = ctx;

	return serve_pprof_start(&sv->c, query, snap, seconds, msg, len);
}

static int profile_end(void *snap, int seconds, struct serve_buf *b, void *ctx)
{
	struct serve *sv = ctx;
	int i;

	for (i = 0; i < sv->c.n; i++)
		serve_stacks_poll(&sv->c.e[i], true);
	return serve_pprof_end(&sv->c, snap, seconds, b);
}

/* The stack entries' event fds after the server's; how many in all. */
static int stack_pollfds(struct serve *sv, struct pollfd *fds, int n, int max)
{
	int i;

	for (i = 0; i < sv->c.n && n < max; i++)
		if (sv->c.e[i].st)
			fds[n++] = (struct pollfd){
				.fd = serve_stacks_fd(&sv->c.e[i]),
				.events = POLLIN,
			};
	return n;
}

/* Every CHECK_SECS: has a probed file been replaced (an upgrade)? */
#define CHECK_SECS 2

static void check_files(struct serve *sv)
{
	static time_t last;
	time_t now = time(NULL);
	int i;

	if (now - last < CHECK_SECS)
		return;
	last = now;
	for (i = 0; i < sv->c.n; i++)
		serve_table_check(&sv->c.e[i]);
}

static int loop(struct serve *sv, struct serve_http *h)
{
	struct pollfd fds[64];
	struct timespec tick = {.tv_sec = 1}, fast = {.tv_nsec = 20000000};
	struct serve_pages pages = {page, profile_start, profile_end, sv};
	sigset_t block, old;
	int n = serve_http_nfds(h), all, i;

	if (n > (int)(sizeof(fds) / sizeof(fds[0])))
		return EXIT_RUNTIME;
	/* the signals wake ppoll() only: none is lost between the checks */
	sigemptyset(&block);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &old);
	while (!cli_stop_signal) {
		if (reload) {
			reload = 0;
			do_reload(sv);
			continue;
		}
		serve_http_pollfds(h, fds);
		all = stack_pollfds(sv, fds, n, (int)(sizeof(fds) / sizeof(fds[0])));
		/* events held for time order are not signalled again: look
		 * every 20 ms while stacks are counted */
		if (ppoll(fds, all, all > n ? &fast : &tick, &old) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "%s: poll: %s\n", prog, strerror(errno));
			break;
		}
		for (i = 0; i < sv->c.n; i++)
			serve_stacks_poll(&sv->c.e[i], false);
		serve_http_service(h, fds, &pages);
		check_files(sv);
		/* a ppoll() that returns ready fds keeps the signals that
		 * came meanwhile pending: let them in now, or busy
		 * connections would hold off SIGTERM and SIGHUP */
		sigprocmask(SIG_SETMASK, &old, NULL);
		sigprocmask(SIG_BLOCK, &block, NULL);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	return 0;
}

int cmd_serve(int argc, char **argv)
{
	struct sigaction sa = {.sa_handler = on_hup};
	struct serve sv = {0};
	struct serve_http *h;
	int status;

	status = cli_parse_own(argc, argv, &sv.o, usage, serve_option, &sv);
	if (status)
		return status;
	if (!sv.listen || sv.o.nprobes != 1) {
		fprintf(stderr, "%s: serve needs --listen ADDR:PORT and one CONFIG file\n",
			prog);
		usage(stderr);
		return EXIT_USAGE;
	}
	sv.path = sv.o.probes[0];
	status = serve_config_read(sv.path, &sv.c);
	if (status || sv.c.error) {
		fprintf(stderr, "%s: %s\n", prog,
			sv.c.error ? sv.c.error : strerror(-status));
		serve_config_free(&sv.c);
		return EXIT_USAGE;
	}
	h = serve_http_open(sv.listen, &status);
	if (!h) {
		serve_config_free(&sv.c);
		return status;
	}
	/* SIGINT and SIGTERM end the loop (cli_stop_signal); SIGHUP reloads */
	cli_hold();
	sigemptyset(&sa.sa_mask);
	sigaction(SIGHUP, &sa, NULL);
	notify("READY=1", NULL, open_entries(&sv, &sv.c, NULL), sv.c.n);
	status = loop(&sv, h);
	notify("STOPPING=1", "removing the probes", -1, 0);
	serve_http_close(h);
	serve_config_free(&sv.c);
	cli_release();
	if (!sv.o.quiet)
		fprintf(stderr, "%s: stopped; the probes are removed\n", prog);
	return status;
}
