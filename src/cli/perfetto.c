/* SPDX-License-Identifier: MIT */
/*
 * A timeline of the events in the Trace Event Format's JSON object form
 * (the format Chrome's trace viewer defined; Perfetto reads it):
 *   {"traceEvents":[...],"displayTimeUnit":"ns","otherData":{...}}
 * - an entry probe and the return probe at the same site (file and offset,
 *   or kernel symbol) make a slice on the thread's track: "B" at the entry
 *   with its args, "E" at the return with the return's args (viewers merge
 *   the two). B/E must nest per thread and come in increasing time per
 *   thread, so the events are sorted, holding back the last HOLD_NS (one
 *   ring per CPU: a thread that moved CPUs comes out of order);
 * - a return whose entry was not seen (the call began before the trace)
 *   is dropped and counted; a return of a function below the top of the
 *   thread's stack closes the slices above it at its time, marked
 *   "sonde_no_return"; an entry still open at the end is closed at the end
 *   time, marked "sonde_unfinished": the file stays valid and nests;
 * - any other probe is an instant ("ph":"i", "s":"t") on the thread;
 * - a running count per probe and process is a counter track ("ph":"C");
 * - sonde run's messages (perfetto_msg.c) are instants, without counts;
 * - processes and threads are named by metadata events ("ph":"M")
 *   from their comm, written at the end (names known by then).
 * Times are microseconds (float, ns precision) of the events' clock
 * (CLOCK_MONOTONIC); pid and tid are the kernel's.
 */
#include <inttypes.h>
#include <search.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agg.h"
#include "line.h"
#include "perfetto_int.h"

#define HOLD_NS 20000000ULL

static int cmp_tid(const void *a, const void *b)
{
	const struct thr *x = a, *y = b;

	return (x->tid > y->tid) - (x->tid < y->tid);
}

static int cmp_pid(const void *a, const void *b)
{
	const struct proc *x = a, *y = b;

	return (x->pid > y->pid) - (x->pid < y->pid);
}

bool probe_sites_same(const struct sonde_probe_site *x,
		      const struct sonde_probe_site *y)
{
	return x->offset == y->offset &&
	       !strcmp(x->path ? x->path : "", y->path ? y->path : "") &&
	       !strcmp(x->symbol ? x->symbol : "", y->symbol ? y->symbol : "");
}

/* The function at st still lacking a probe of st's kind, or a new one. */
static int fn_at(struct timeline *t, const struct sonde_probe_site *st,
		 const char *probe_name)
{
	struct tl_fn *grown;
	const char *name;
	int i;

	for (i = 0; i < t->nfns; i++)
		if (probe_sites_same(&t->fns[i].site, st) &&
		    (st->is_return ? t->fns[i].ret : t->fns[i].entry) < 0)
			return i;
	grown = realloc(t->fns, (t->nfns + 1) * sizeof(*grown));
	if (!grown)
		return -1;
	t->fns = grown;
	name = st->function ? st->function : st->symbol;
	grown[t->nfns] =
		(struct tl_fn){.site = *st,
			       .entry = -1,
			       .ret = -1,
			       .name = strdup(name ? name : probe_name)};
	if (!grown[t->nfns].name)
		return -1;
	return t->nfns++;
}

/* Pair each entry probe with the return probe at its site. */
static int pair_probes(struct timeline *t, struct sonde_session *s)
{
	struct sonde_probe_site st = {.sz = sizeof(st)};
	int i, f;

	for (i = 0; i < t->nprobes; i++) {
		t->probes[i].name = sonde_session__probe_name(s, i);
		t->probes[i].fn = -1;
		if (sonde_session__probe_site(s, i, &st))
			continue; /* a tracepoint: an instant */
		f = fn_at(t, &st, t->probes[i].name);
		if (f < 0)
			return -1;
		t->probes[i].fn = f;
		t->probes[i].ret = st.is_return;
		if (st.is_return)
			t->fns[f].ret = i;
		else
			t->fns[f].entry = i;
	}
	/* a function with only one of its two probes: instants */
	for (i = 0; i < t->nprobes; i++) {
		f = t->probes[i].fn;
		if (f >= 0 && (t->fns[f].entry < 0 || t->fns[f].ret < 0))
			t->probes[i].fn = -1;
	}
	return 0;
}

struct timeline *timeline_new(struct sonde_session *s, const char *path)
{
	struct timeline *t = calloc(1, sizeof(*t));

	if (!t)
		goto oom;
	t->path = path;
	t->nprobes = sonde_session__probe_count(s);
	t->probes = calloc(t->nprobes ? t->nprobes : 1, sizeof(*t->probes));
	if (t->probes && !pair_probes(t, s))
		return t;
	timeline_free(t);
oom:
	fprintf(stderr, "%s: the timeline: out of memory\n", prog);
	return NULL;
}

struct rec *timeline_add_rec(struct timeline *t, uint64_t ts)
{
	struct rec *r;

	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 4096;

		r = realloc(t->buf, cap * sizeof(*r));
		if (!r) {
			t->oom = true;
			return NULL;
		}
		t->buf = r;
		t->cap = cap;
	}
	r = &t->buf[t->n++];
	*r = (struct rec){.ts = ts};
	if (ts > t->max_ts)
		t->max_ts = ts;
	return r;
}

int timeline_event(const struct sonde_event *ev, void *ctx)
{
	struct timeline *t = ctx;
	int p = sonde_event__probe(ev);
	struct rec *r;
	size_t len;
	FILE *m;

	if (p < 0 || p >= t->nprobes)
		return 0;
	if (sonde_event__pid(ev) <= 0) {
		/* a thread gone before its process could be read: no track
		 * to put it on */
		t->no_pid++;
		return 0;
	}
	r = timeline_add_rec(t, sonde_event__time_ns(ev));
	if (!r)
		return 1;
	r->pid = sonde_event__pid(ev);
	r->tid = sonde_event__tid(ev);
	r->probe = p;
	r->ret = t->probes[p].ret;
	snprintf(r->comm, sizeof(r->comm), "%s", sonde_event__comm(ev));
	if (sonde_event__field_count(ev) > 0 &&
	    (m = open_memstream(&r->args, &len))) {
		print_json_args(m, ev);
		if (fclose(m)) {
			free(r->args);
			r->args = NULL;
		}
	}
	return 0;
}

/* time order; at one instant an entry before a return (as latency) */
static int cmp_rec(const void *x, const void *y)
{
	const struct rec *a = x, *b = y;

	if (a->ts != b->ts)
		return a->ts < b->ts ? -1 : 1;
	return (int)a->ret - (int)b->ret;
}

static FILE *out_of(struct timeline *t, FILE *out)
{
	if (!t->path)
		return out;
	if (!t->own && !t->failed && !(t->own = out_open(t->path)))
		t->failed = true;
	return t->own;
}

static void start(struct timeline *t, FILE *f)
{
	if (!t->started)
		fputs("{\"traceEvents\":[\n", f);
	t->started = true;
}

/* ",\n" between events */
static void next(struct timeline *t, FILE *f)
{
	if (t->nwritten++)
		fputs(",\n", f);
}

static void put_ts(FILE *f, uint64_t ns)
{
	fprintf(f, "%" PRIu64 ".%03u", ns / 1000, (unsigned int)(ns % 1000));
}

/* {"name":NAME,"ph":PH,"ts":TS,"pid":P,"tid":T — the caller ends it */
static void head(struct timeline *t, FILE *f, const char *name, char ph,
		 uint64_t ts, int pid, int tid)
{
	next(t, f);
	fputs("{\"name\":", f);
	put_json_str(f, name, NULL, "", NULL);
	fprintf(f, ",\"cat\":\"sonde\",\"ph\":\"%c\",\"ts\":", ph);
	put_ts(f, ts);
	fprintf(f, ",\"pid\":%d,\"tid\":%d", pid, tid);
}

/* ,"args":{ARGS plus "mark":true} */
static void tail_args(FILE *f, const char *args, const char *mark)
{
	if (!args && !mark) {
		fputs("}", f);
		return;
	}
	fputs(",\"args\":", f);
	if (!mark) {
		fprintf(f, "%s}", args);
		return;
	}
	if (args && strcmp(args, "{}"))
		fprintf(f, "%.*s,\"%s\":true}}", (int)strlen(args) - 1, args,
			mark);
	else
		fprintf(f, "{\"%s\":true}}", mark);
}

static struct thr *thread_of(struct timeline *t, const struct rec *r)
{
	struct thr key = {.tid = r->tid}, *th, **found;

	found = tfind(&key, &t->threads, cmp_tid);
	if (found)
		return *found;
	th = calloc(1, sizeof(*th));
	if (!th)
		return NULL;
	th->tid = r->tid;
	th->pid = r->pid;
	if (!tsearch(th, &t->threads, cmp_tid)) {
		free(th);
		return NULL;
	}
	return th;
}

static struct proc *proc_of(struct timeline *t, const struct rec *r)
{
	struct proc key = {.pid = r->pid}, *p, **found;

	found = tfind(&key, &t->procs, cmp_pid);
	if (found)
		return *found;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->pid = r->pid;
	p->counts = calloc(t->nprobes ? t->nprobes : 1, sizeof(*p->counts));
	if (!p->counts || !tsearch(p, &t->procs, cmp_pid)) {
		free(p->counts);
		free(p);
		return NULL;
	}
	return p;
}

/* The process's name: its main thread's comm when seen, else the first
 * thread's seen (a process whose main thread never hit a probe). */
static void name_proc(struct proc *p, const struct rec *r)
{
	if (p->main_seen)
		return;
	if (r->tid == r->pid || !p->name[0])
		memcpy(p->name, r->comm, sizeof(p->name));
	p->main_seen = r->tid == r->pid;
}

static void end_slice(struct timeline *t, FILE *f, struct thr *th, uint64_t ts,
		      const char *args, const char *mark)
{
	head(t, f, t->fns[th->stack[--th->depth]].name, 'E', ts, th->pid,
	     th->tid);
	tail_args(f, args, mark);
}

static bool push(struct thr *th, int fn)
{
	int *grown;

	if (th->depth == th->cap) {
		grown = realloc(th->stack,
				(th->cap ? th->cap * 2 : 16) * sizeof(*grown));
		if (!grown)
			return false;
		th->stack = grown;
		th->cap = th->cap ? th->cap * 2 : 16;
	}
	th->stack[th->depth++] = fn;
	return true;
}

/* A return: close its function's innermost open slice (those above it
 * lost their return), or drop it when it has none. */
static void on_return(struct timeline *t, FILE *f, struct thr *th,
		      const struct rec *r, int fn)
{
	int d;

	for (d = th->depth - 1; d >= 0 && th->stack[d] != fn; d--)
		;
	if (d < 0) {
		t->orphan_returns++;
		return;
	}
	while (th->depth - 1 > d) {
		t->no_return++;
		end_slice(t, f, th, r->ts, NULL, "sonde_no_return");
	}
	end_slice(t, f, th, r->ts, r->args, NULL);
}

static void counter(struct timeline *t, FILE *f, struct proc *p,
		    const struct rec *r, const char *name)
{
	char title[300];

	snprintf(title, sizeof(title), "%s calls", name);
	head(t, f, title, 'C', r->ts, r->pid, r->tid);
	fprintf(f, ",\"args\":{\"count\":%" PRIu64 "}}", ++p->counts[r->probe]);
}

static void write_rec(struct timeline *t, FILE *f, const struct rec *r)
{
	const struct tl_probe *pr = &t->probes[r->probe];
	struct thr *th = thread_of(t, r);
	struct proc *p = proc_of(t, r);

	if (!th || !p) {
		t->oom = true;
		return;
	}
	if (r->ts < th->last_ts) {
		/* came later than HOLD_NS after younger events of its
		 * thread: it would break the thread's time order */
		t->late++;
		return;
	}
	th->last_ts = r->ts;
	th->pid = r->pid;
	memcpy(th->comm, r->comm, sizeof(th->comm));
	name_proc(p, r);
	if (pr->fn < 0) {
		head(t, f, pr->name, 'i', r->ts, r->pid, r->tid);
		fputs(",\"s\":\"t\"", f);
		tail_args(f, r->args, NULL);
		if (!t->own_names) /* messages: no count (probes grow) */
			counter(t, f, p, r, pr->name);
	} else if (pr->ret) {
		on_return(t, f, th, r, pr->fn);
	} else if (push(th, pr->fn)) {
		head(t, f, t->fns[pr->fn].name, 'B', r->ts, r->pid, r->tid);
		tail_args(f, r->args, NULL);
		counter(t, f, p, r, t->fns[pr->fn].name);
	} else {
		t->oom = true;
	}
}

int timeline_flush(struct timeline *t, FILE *out, bool final)
{
	FILE *f = out_of(t, out);
	size_t i, done = 0;

	if (!f)
		return 1;
	start(t, f);
	if (t->n)
		qsort(t->buf, t->n, sizeof(*t->buf), cmp_rec);
	for (i = 0; i < t->n; i++) {
		if (!final && t->buf[i].ts + HOLD_NS > t->max_ts)
			break;
		write_rec(t, f, &t->buf[i]);
		free(t->buf[i].args);
		done++;
	}
	if (done)
		memmove(t->buf, t->buf + done, (t->n - done) * sizeof(*t->buf));
	t->n -= done;
	return out_error(f) ? 1 : 0;
}

/* twalk has no context argument: the walks below use these */
static struct timeline *walk_t;
static FILE *walk_f;
static uint64_t walk_end;

/* A metadata event naming a process or thread; none for a comm sonde
 * could not read ("<...>": the thread was gone): the viewer shows the id */
static void name(struct timeline *t, FILE *f, const char *what, int pid,
		 int tid, const char *comm)
{
	if (!comm[0] || !strcmp(comm, "<...>")) {
		t->unnamed++;
		return;
	}
	head(t, f, what, 'M', 0, pid, tid);
	fputs(",\"args\":{\"name\":", f);
	put_json_str(f, comm, NULL, "", NULL);
	fputs("}}", f);
}

static void close_thread(const void *node, VISIT v, int level)
{
	struct thr *th = *(struct thr *const *)node;

	(void)level;
	if (v != postorder && v != leaf)
		return;
	while (th->depth) {
		walk_t->unfinished++;
		end_slice(walk_t, walk_f, th,
			  th->last_ts > walk_end ? th->last_ts : walk_end, NULL,
			  "sonde_unfinished");
	}
	name(walk_t, walk_f, "thread_name", th->pid, th->tid, th->comm);
}

static void name_process(const void *node, VISIT v, int level)
{
	struct proc *p = *(struct proc *const *)node;

	(void)level;
	if (v != postorder && v != leaf)
		return;
	name(walk_t, walk_f, "process_name", p->pid, p->pid, p->name);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void say(uint64_t n, const char *what)
{
	if (n)
		fprintf(stderr, "%s: timeline: %" PRIu64 " %s\n", prog, n,
			what);
}

int timeline_end(struct timeline *t, FILE *out)
{
	FILE *f = t->started ? out_of(t, out) : NULL;

	if (!f)
		return t->started || t->failed ? EXIT_RUNTIME : 0;
	walk_t = t;
	walk_f = f;
	/* the events' clock: the end is now, after every event */
	walk_end = now_ns();
	twalk(t->threads, close_thread);
	twalk(t->procs, name_process);
	fprintf(f,
		"\n],\n\"displayTimeUnit\":\"ns\",\n\"otherData\":{"
		"\"producer\":\"sonde\",\"returns_without_entry\":%" PRIu64
		",\"closed_without_return\":%" PRIu64
		",\"unfinished_at_end\":%" PRIu64
		",\"out_of_order_dropped\":%" PRIu64
		",\"without_process_dropped\":%" PRIu64
		",\"without_name\":%" PRIu64 "}}\n",
		t->orphan_returns, t->no_return, t->unfinished, t->late,
		t->no_pid, t->unnamed);
	say(t->orphan_returns, "returns without entry (dropped)");
	say(t->no_return, "slices closed without their return");
	say(t->unfinished, "slices still open at the end (closed there)");
	say(t->late, "events too late for their thread's order (dropped)");
	say(t->no_pid,
	    "events of threads gone before sonde read their process (dropped)");
	if (t->oom)
		fprintf(stderr, "%s: timeline: out of memory: events missing\n",
			prog);
	if (fflush(f) == EOF || out_error(f))
		t->oom = true;
	if (t->own && out_close(t->own))
		t->oom = true;
	t->own = NULL;
	return t->oom ? EXIT_RUNTIME : 0;
}

static void free_thr(void *p)
{
	struct thr *th = p;

	free(th->stack);
	free(th);
}

static void free_proc(void *p)
{
	struct proc *pr = p;

	free(pr->counts);
	free(pr);
}

void timeline_free(struct timeline *t)
{
	size_t i;
	int k;

	if (!t)
		return;
	for (i = 0; i < t->n; i++)
		free(t->buf[i].args);
	free(t->buf);
	tdestroy(t->threads, free_thr);
	tdestroy(t->procs, free_proc);
	for (k = 0; k < t->nfns; k++)
		free(t->fns[k].name);
	for (k = 0; t->own_names && k < t->nprobes; k++)
		free((char *)t->probes[k].name);
	free(t->fns);
	free(t->probes);
	/* not ended: a run that failed half way leaves no file */
	if (t->own)
		out_discard(t->own);
	free(t);
}
