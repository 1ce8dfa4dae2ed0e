/* SPDX-License-Identifier: MIT */
/*
 * What sonde count, hist, latency and stack share (agg.h): their options,
 * the key and value of each event, and the run loop with -i, -d, -c, -p.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agg.h"
#include "options.h"

/* The copies of --by's lists the keys point into and the specs
 * agg_spec_with rewrites are referenced by the session's options until
 * the command ends: they are kept here and freed at exit. */
static void **owned;
static int nowned;

static void free_owned(void)
{
	while (nowned)
		free(owned[--nowned]);
	free(owned);
	owned = NULL;
}

static void *keep(void *p)
{
	void **grown;

	if (!p)
		return NULL;
	grown = realloc(owned, (nowned + 1) * sizeof(*owned));
	if (!grown)
		return p; /* lost at exit: harmless */
	if (!owned)
		atexit(free_owned);
	owned = grown;
	owned[nowned++] = p;
	return p;
}


static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int bad(const char *what, const char *val)
{
	fprintf(stderr, "%s: %s: '%s'\n", prog, what, val);
	return EXIT_USAGE;
}

static void key_parse(struct key_def *k, const char *name)
{
	static const char *const names[] = { "comm", "pid", "tid", "cpu" };
	size_t i;

	k->kind = KEY_FIELD;
	k->name = name;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(name, names[i]))
			k->kind = (enum key_kind)i;
}

static int parse_by(struct agg_cli *a, const char *v)
{
	char *list = keep(strdup(v)), *tok, *save = NULL;

	for (tok = strtok_r(list, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (a->nkeys == SONDE_AGG_MAX_KEYS - 1)
			return bad("--by takes at most 7 keys", v);
		key_parse(&a->keys[a->nkeys++], tok);
	}
	return a->nkeys ? 0 : bad("--by needs keys", v);
}

/* The options of count, hist, latency and stack (options.c). */
static int agg_option(int id, const char *v, void *ctx)
{
	struct agg_cli *a = ctx;
	char *end;

	switch (id) {
	case OPT_BY:
		return parse_by(a, v);
	case OPT_INTERVAL:
		a->interval = strtod(v, &end);
		if (*end || a->interval <= 0)
			return bad("-i needs seconds", v);
		return 0;
	case OPT_TOP:
		a->top = strtol(v, &end, 10);
		if (*end || a->top <= 0)
			return bad("--top needs a number", v);
		return 0;
	case OPT_VALUE:
		if (!*v)
			return bad("--value needs a field", v);
		key_parse(&a->value, v);
		a->has_value = true;
		return 0;
	case OPT_LINEAR:
		if (sscanf(v, "%ld,%ld,%ld", &a->min, &a->max, &a->step) != 3 ||
		    a->step <= 0 || a->max <= a->min)
			return bad("--linear takes MIN,MAX,STEP", v);
		a->linear = true;
		return 0;
	case OPT_MAX_KEYS:
		a->max_keys = strtoul(v, &end, 10);
		if (!*v || *end || *v == '-' || a->max_keys > 1U << 30)
			return bad("--max-keys needs a number of keys "
				   "(0: no limit)",
				   v);
		return 0;
	case OPT_IN_USER:
		a->in_user = true;
		return 0;
	case OPT_FOLDED:
		a->folded = true;
		return 0;
	case OPT_SVG:
		a->svg = v;
		return 0;
	}
	return EXIT_USAGE;
}

int agg_parse(int argc, char **argv, struct agg_cli *a,
	      void (*usage)(FILE *out))
{
	int st;

	a->max_keys = MAX_KEYS_DEFAULT;
	st = cli_parse_own(argc, argv, &a->o, usage, agg_option, a);
	a->out = stdout;
	return st;
}

/* Is name one of spec's arguments? */
static bool has_arg(const struct sonde_spec *spec, const char *name)
{
	const char *n;
	int i;

	for (i = 0; (n = sonde_spec__arg_name(spec, i)); i++)
		if (!strcmp(n, name))
			return true;
	return false;
}

/* argN (N digits), or retval of a return probe: a name fetched when asked
 * for */
static bool fetched_when_asked(const struct sonde_spec *spec, const char *nm)
{
	if (!strcmp(nm, "retval"))
		return sonde_spec__is_return(spec);
	return !strncmp(nm, "arg", 3) && nm[3] &&
	       strspn(nm + 3, "0123456789") == strlen(nm + 3);
}

/* arg3 and retval are fetched when asked for: `sonde hist u:bin:f
 * --value arg1` needs no argument list in the spec. The library parses
 * the spec (sonde_spec__parse()); one it cannot parse is left as it is,
 * for the session to say why. */
char *agg_spec_fetching(const char *spec, const char *const *names, int n)
{
	struct sonde_spec *parsed = sonde_spec__parse(spec);
	char *out = strdup(spec), *grown;
	int i, j;

	for (i = 0; parsed && out && i < n; i++) {
		const char *nm = names[i];

		if (!fetched_when_asked(parsed, nm) || has_arg(parsed, nm))
			continue;
		/* asked twice: once */
		for (j = 0; j < i && strcmp(names[j], nm); j++)
			;
		if (j < i || asprintf(&grown, "%s %s", out, nm) < 0)
			continue;
		free(out);
		out = grown;
	}
	sonde_spec__free(parsed);
	return out;
}

char *agg_spec_with(const char *spec, const char *const *names, int n)
{
	return keep(agg_spec_fetching(spec, names, n));
}

static int field_index(const struct sonde_event *ev, struct key_def *k,
		       int nprobes)
{
	int p = sonde_event__probe(ev), i, n;

	if (p < 0 || p >= nprobes)
		return -1;
	if (!k->field) {
		k->field = keep(malloc(nprobes * sizeof(int)));
		if (!k->field)
			return -1;
		for (i = 0; i < nprobes; i++)
			k->field[i] = -2;
	}
	if (k->field[p] == -2) {
		k->field[p] = -1;
		n = sonde_event__field_count(ev);
		for (i = 0; i < n; i++)
			if (!strcmp(sonde_event__field_name(ev, i), k->name))
				k->field[p] = i;
		if (k->field[p] < 0)
			fprintf(stderr, "%s: %s has no field '%s'\n", prog,
				sonde_event__probe_name(ev), k->name);
	}
	return k->field[p];
}

int agg_event_key(struct agg_cli *a, const struct sonde_event *ev,
		  struct sonde_agg_key *key)
{
	int i, f;

	key[0].kind = SONDE_AGG_KEY_STRING;
	key[0].str = sonde_event__probe_name(ev);
	for (i = 0; i < a->nkeys; i++) {
		struct sonde_agg_key *k = &key[i + 1];

		k->kind = SONDE_AGG_KEY_UNSIGNED;
		k->str = NULL;
		switch (a->keys[i].kind) {
		case KEY_COMM:
			k->kind = SONDE_AGG_KEY_STRING;
			k->str = sonde_event__comm(ev);
			break;
		case KEY_PID:
			k->num = sonde_event__pid(ev);
			break;
		case KEY_TID:
			k->num = sonde_event__tid(ev);
			break;
		case KEY_CPU:
			k->num = sonde_event__cpu(ev);
			break;
		default:
			f = field_index(ev, &a->keys[i], a->nprobes);
			if (f < 0) {
				k->kind = SONDE_AGG_KEY_STRING;
				k->str = "-";
				break;
			}
			switch (sonde_event__field_kind(ev, f)) {
			case SONDE_FIELD_STRING:
				k->kind = SONDE_AGG_KEY_STRING;
				k->str = sonde_event__field_str(ev, f) ?: "";
				break;
			case SONDE_FIELD_SIGNED:
				k->kind = SONDE_AGG_KEY_SIGNED;
				k->num = sonde_event__field_s64(ev, f);
				break;
			case SONDE_FIELD_HEX:
			case SONDE_FIELD_SYMBOL:
				k->kind = SONDE_AGG_KEY_HEX;
				/* fall through */
			default:
				k->num = sonde_event__field_u64(ev, f);
			}
		}
	}
	return a->nkeys + 1;
}

bool agg_event_value(struct agg_cli *a, const struct sonde_event *ev,
		     int64_t *v)
{
	int f = field_index(ev, &a->value, a->nprobes);

	if (f < 0)
		return false;
	switch (sonde_event__field_kind(ev, f)) {
	case SONDE_FIELD_STRING:
	case SONDE_FIELD_ARRAY:
		return false;
	case SONDE_FIELD_SIGNED:
		*v = sonde_event__field_s64(ev, f);
		return true;
	default:
		*v = (int64_t)sonde_event__field_u64(ev, f);
		return true;
	}
}

static bool field_left_out(struct agg_cli *a, const struct sonde_event *ev,
			   struct key_def *k)
{
	int f = field_index(ev, k, a->nprobes);

	if (f < 0)
		return false;
	if (sonde_event__field_fault(ev, f)) {
		a->faults++;
		a->table_faults++;
		return true;
	}
	if (sonde_event__field_unchecked(ev, f)) {
		a->unchecked++;
		a->table_unchecked++;
		return true;
	}
	return false;
}

bool agg_event_left_out(struct agg_cli *a, const struct sonde_event *ev)
{
	int i;

	for (i = 0; i < a->nkeys; i++)
		if (a->keys[i].kind == KEY_FIELD &&
		    field_left_out(a, ev, &a->keys[i]))
			return true;
	return a->has_value && a->value.kind == KEY_FIELD &&
	       field_left_out(a, ev, &a->value);
}

/* Hits of keys the tables had no room for, with the limit (-v: always). */
static void summary_dropped(struct agg_cli *a)
{
	uint64_t d = a->run_table ? a->dropped_run : a->dropped_intervals;

	if (!d && !a->o.verbose)
		return;
	if (!d) { /* -v: the limit, with no claim that it was reached */
		fprintf(stderr, "%s: no hits dropped (--max-keys %zu)\n", prog,
			a->max_keys);
		return;
	}
	if (!a->max_keys) {
		fprintf(stderr,
			"%s: %llu hits dropped: the kernel's table was full "
			"(--max-keys 0: no limit here, %d keys in the "
			"kernel)\n",
			prog, (unsigned long long)d, MAX_KEYS_DEFAULT);
		return;
	}
	fprintf(stderr,
		"%s: %llu hits dropped: the table was full (--max-keys "
		"%zu: the keys seen first are kept)\n",
		prog, (unsigned long long)d, a->max_keys);
}

static void summary(struct agg_cli *a)
{
	struct sonde_stats st = { .sz = sizeof(st) };
	FILE *e = stderr;

	if (!a->s || sonde_session__stats(a->s, &st))
		return;
	summary_dropped(a);
	if (!st.lost && !a->faults && !a->unchecked && !a->o.verbose)
		return;
	fprintf(e, "%s: ", prog);
	/* counted in the kernel, no event was read: only the faults */
	if (st.events || st.lost || !a->faults)
		fprintf(e, "%llu events, %llu lost%s",
			(unsigned long long)st.events,
			(unsigned long long)st.lost, a->faults ? ", " : "");
	if (a->faults)
		fprintf(e, "%llu faults", (unsigned long long)a->faults);
	if (a->unchecked)
		fprintf(e, ", %llu unchecked",
			(unsigned long long)a->unchecked);
	if (a->faults || a->unchecked)
		fprintf(e, " (left out of the %s)",
			!strcmp(a->cmd, "hist") ? "histogram" : "table");
	if (st.lost)
		fputs(": the tables miss them; a larger --buffer-kb keeps more",
		      e);
	fputc('\n', e);
}

/* Poll (or, when the kernel counts alone, wait) until a signal, -d, the
 * command's or process's end; a table every -i. */
static int loop(struct agg_cli *a, const struct agg_ops *ops, void *ctx,
		struct child *c, bool started)
{
	double deadline = a->o.duration ? now() + a->o.duration : 0;
	double tick = a->interval ? now() + a->interval : 0;
	double left;
	int timeout, n;

	while (!cli_stop_signal && !out_error(a->out)) {
		timeout = 200;
		if (deadline) {
			left = deadline - now();
			if (left <= 0)
				break;
			if (left * 1000 < timeout)
				timeout = left * 1000 + 1;
		}
		if (tick && (tick - now()) * 1000 < timeout)
			timeout = (tick - now()) * 1000 + 1;
		if (timeout < 0)
			timeout = 0;
		if (started) {
			n = sonde_session__poll(a->s, timeout);
			if (n < 0 && n != -EINTR && n != -ECANCELED)
				return n;
			if (ops->after_poll)
				ops->after_poll(a, ctx, false);
		} else {
			poll(NULL, 0, timeout);
		}
		if (tick && now() >= tick) {
			if (started)
				sonde_session__drain(a->s);
			if (ops->after_poll)
				ops->after_poll(a, ctx, true);
			ops->print(a, ctx, false);
			fflush(a->out);
			tick += a->interval;
		}
		if (c && child_done(c))
			break;
		if (a->o.pid && kill(a->o.pid, 0) < 0 && errno == ESRCH)
			break;
	}
	return 0;
}

int agg_main(struct agg_cli *a, const struct agg_ops *ops, void *ctx)
{
	struct child c = { .pid = -1, .go_fd = -1, .exec_fd = -1 };
	int status = 0, err, r;

	if (a->o.cmd) {
		err = child_spawn(a->o.cmd, &c);
		if (err) {
			fprintf(stderr, "%s: cannot start '%s': %s\n", prog,
				a->o.cmd, strerror(-err));
			return EXIT_RUNTIME;
		}
		a->o.pid = c.pid;
		a->o.follow_fork = true;
	}
	if (ops->prepare)
		ops->prepare(a, ctx);
	a->s = cli_session(&a->o, &status);
	if (!a->s)
		goto out_child;
	a->nprobes = sonde_session__probe_count(a->s);
	r = ops->setup ? ops->setup(a, ctx) : 0;
	if (r > 1) {
		status = r;
		goto out_session;
	}
	if (!r) {
		sonde_session__set_callback(a->s, ops->on_event, ctx);
		err = sonde_session__start(a->s);
		if (err) {
			print_error(NULL, sonde_session__errmsg(a->s), -1);
			status = error_status(err);
			goto out_session;
		}
	}
	/* -o FILE only now: a refused run leaves no file, an existing one
	 * untouched; nothing is printed before loop() */
	if (a->o.outfile && !(a->out = out_open(a->o.outfile))) {
		a->out = stdout;
		status = EXIT_RUNTIME;
		goto out_session;
	}
	a->color = cli_color(&a->o, a->out);
	if (a->o.cmd && (err = child_release(&c))) {
		fprintf(stderr, "%s: cannot run '%s': %s\n", prog, a->o.cmd,
			strerror(-err));
		status = EXIT_RUNTIME;
		if (a->out != stdout)
			out_discard(a->out);
		a->out = stdout;
		goto out_session;
	}
	err = loop(a, ops, ctx, a->o.cmd ? &c : NULL, !r);
	if (!r)
		sonde_session__drain(a->s);
	if (ops->after_poll)
		ops->after_poll(a, ctx, true);
	if (err) {
		fprintf(stderr, "%s: reading events: %s\n", prog,
			strerror(-err));
		status = EXIT_RUNTIME;
	}
	/* after a write error (printed by out_error): no more tables, and no
	 * summary of counts that were not all written */
	if (!out_error(a->out)) {
		ops->print(a, ctx, true);
		fflush(a->out);
	}
	if (out_error(a->out))
		status = EXIT_RUNTIME;
	else
		summary(a);
	if (a->o.cmd && !status) {
		if (!c.exited)
			child_kill(&c);
		status = child_exit_status(&c);
	}
out_session:
	cli_session_close(a->s);
	a->s = NULL;
out_child:
	if (c.pid > 0 && !c.exited)
		child_kill(&c);
	if (a->out != stdout && out_close(a->out))
		status = EXIT_RUNTIME;
	return status;
}
