// SPDX-License-Identifier: MIT
/*
 * Time order across CPUs. Each CPU's buffer (tracefs per_cpu pages, a perf
 * ring per CPU) is in time order, but a thread that moves between CPUs
 * leaves its events in several buffers. The readers copy records here and
 * hand them over merged by time stamp, holding back those too recent to
 * be sure that no other CPU still has an earlier one (as perf's
 * ordered-events queue and trace-cmd's merge do); the end of a session
 * flushes everything.
 *
 * And spec order on one site: the kernel calls the consumers of one
 * uprobe most recent first (kernel/events/uprobes.c consumer_add(): a
 * push on the head of the list, in 6.1 as in 6.18; kprobes likewise,
 * add_new_kprobe()), so the backends register the probes of a shared
 * site last first.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"
#include "order.h"

#define ALIGN8(x) (((x) + 7) & ~(size_t)7)

static int arena_room(struct oqueue *q, size_t more)
{
	uint8_t *grown;
	size_t cap;

	if (q->len + more <= q->cap)
		return 0;
	cap = q->cap ? q->cap : 65536;
	while (cap < q->len + more)
		cap *= 2;
	grown = realloc(q->buf, cap);
	if (!grown)
		return -ENOMEM;
	q->buf = grown;
	q->cap = cap;
	return 0;
}

static size_t arena_put(struct oqueue *q, const void *data, size_t len)
{
	size_t off = q->len;

	memcpy(q->buf + off, data, len);
	q->len += ALIGN8(len);
	return off;
}

int oq_push(struct oqueue *q, uint64_t ts, int cpu, const void *rec, size_t len,
	    uint64_t faults)
{
	struct oq_item *it;

	if (len > UINT32_MAX || arena_room(q, ALIGN8(len)))
		return -ENOMEM;
	if (q->n == q->cap_items) {
		size_t cap = q->cap_items ? q->cap_items * 2 : 1024;

		it = realloc(q->items, cap * sizeof(*it));
		if (!it)
			return -ENOMEM;
		q->items = it;
		q->cap_items = cap;
	}
	if (ts < q->flushed)
		q->late++;
	it = &q->items[q->n++];
	it->ts = ts;
	it->seq = q->seq++;
	it->off = arena_put(q, rec, len);
	it->len = (uint32_t)len;
	it->cpu = cpu;
	it->aux_len = 0;
	it->aux_off = 0;
	it->aux_kind = 0;
	it->faults = faults;
	it->tag = 0;
	it->unchecked = 0;
	return 0;
}

/* The last record of cpu, if it may still take an attachment. */
static struct oq_item *attach_point(struct oqueue *q, int cpu)
{
	size_t i;

	/* the CPU's last record is near the end: pushed in this read, or
	 * held back (then the newest of its CPU, sorted last) */
	for (i = q->n; i-- > 0;) {
		struct oq_item *it = &q->items[i];

		if (it->cpu != cpu)
			continue;
		return it->aux_len || it->aux_kind < 0 ? NULL : it;
	}
	return NULL;
}

int oq_attach(struct oqueue *q, int cpu, const void *data, size_t len, int kind)
{
	struct oq_item *it = attach_point(q, cpu);

	if (!it || len == 0 || len > UINT32_MAX || kind < 0)
		return 0;
	if (arena_room(q, ALIGN8(len)))
		return -ENOMEM;
	it->aux_off = arena_put(q, data, len);
	it->aux_len = (uint32_t)len;
	it->aux_kind = kind;
	return 1;
}

void oq_close_attach(struct oqueue *q, int cpu)
{
	struct oq_item *it = attach_point(q, cpu);

	if (it)
		it->aux_kind = -1;
}

static int by_time(const void *a, const void *b)
{
	const struct oq_item *x = a, *y = b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static bool sorted(const struct oqueue *q)
{
	size_t i;

	for (i = 1; i < q->n; i++)
		if (by_time(&q->items[i - 1], &q->items[i]) > 0)
			return false;
	return true;
}

/* Keep items [from, n): their bytes move to the front of a fresh arena. */
static int keep_tail(struct oqueue *q, size_t from)
{
	size_t i, need = 0, len = 0;
	uint8_t *dst;

	for (i = from; i < q->n; i++)
		need += ALIGN8(q->items[i].len) + ALIGN8(q->items[i].aux_len);
	if (from == q->n) {
		q->n = 0;
		q->len = 0;
		return 0;
	}
	if (q->spare_cap < need) {
		dst = realloc(q->spare, need);
		if (!dst)
			return -ENOMEM;
		q->spare = dst;
		q->spare_cap = need;
	}
	dst = q->spare;
	for (i = from; i < q->n; i++) {
		struct oq_item *it = &q->items[i];

		memcpy(dst + len, q->buf + it->off, it->len);
		it->off = len;
		len += ALIGN8(it->len);
		if (it->aux_len) {
			memcpy(dst + len, q->buf + it->aux_off, it->aux_len);
			it->aux_off = len;
			len += ALIGN8(it->aux_len);
		}
	}
	memmove(q->items, q->items + from, (q->n - from) * sizeof(*q->items));
	q->n -= from;
	q->spare = q->buf;
	q->buf = dst;
	i = q->spare_cap;
	q->spare_cap = q->cap;
	q->cap = i;
	q->len = len;
	return 0;
}

int oq_flush(struct oqueue *q, uint64_t upto, oq_fn fn, void *ctx)
{
	size_t i;
	int ret = 0, err;

	if (!q->n)
		return 0;
	/* a single CPU's records, or a round that did not cross, are
	 * already in order: no sort */
	if (!sorted(q))
		qsort(q->items, q->n, sizeof(*q->items), by_time);
	for (i = 0; i < q->n && q->items[i].ts <= upto; i++) {
		const struct oq_item *it = &q->items[i];

		ret = fn(it, q->buf + it->off,
			 it->aux_len ? q->buf + it->aux_off : NULL, ctx);
		if (ret) {
			i++;
			break;
		}
	}
	if (i && q->items[i - 1].ts > q->flushed)
		q->flushed = q->items[i - 1].ts;
	if (!ret && upto > q->flushed && upto != UINT64_MAX)
		q->flushed = upto;
	err = keep_tail(q, i);
	return ret ? ret : err;
}

void oq_free(struct oqueue *q)
{
	free(q->buf);
	free(q->spare);
	free(q->items);
	memset(q, 0, sizeof(*q));
}

uint64_t order_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* A probe's site: the file and offset of a uprobe, the function (or
 * address) and offset of a kprobe. */
static int site_cmp(const struct probe *x, const struct probe *y)
{
	bool ux = probe_kind_is_user(x->spec.kind);
	bool uy = probe_kind_is_user(y->spec.kind);
	bool tx = probe_is_tracepoint(x), ty = probe_is_tracepoint(y);
	const char *a, *b;
	int c;

	/* a tracepoint: its event (the session has each once) */
	if (tx != ty)
		return tx ? -1 : 1;
	if (tx) {
		c = strcmp(x->spec.group, y->spec.group);
		return c ? c : strcmp(x->spec.event, y->spec.event);
	}

	if (ux != uy)
		return ux ? -1 : 1;
	if (ux) {
		a = x->path ? x->path : "";
		b = y->path ? y->path : "";
		c = strcmp(a, b);
		if (c)
			return c;
		return x->offset < y->offset ? -1 : x->offset > y->offset;
	}
	a = x->spec.symbol ? x->spec.symbol : "";
	b = y->spec.symbol ? y->spec.symbol : "";
	c = strcmp(a, b);
	if (c)
		return c;
	if (x->spec.offset != y->spec.offset)
		return x->spec.offset < y->spec.offset ? -1 : 1;
	return x->spec.addr < y->spec.addr ? -1 : x->spec.addr > y->spec.addr;
}

static int by_site(const void *a, const void *b, void *ctx)
{
	const struct probe *p = ctx;

	return site_cmp(&p[*(const int *)a], &p[*(const int *)b]);
}

bool probes_share_site(const struct sonde_session *s)
{
	bool shared = false;
	int i, *idx;

	if (s->nprobes < 2)
		return false;
	if (s->nprobes == 2)
		return !site_cmp(&s->probes[0], &s->probes[1]);
	idx = malloc(s->nprobes * sizeof(int));
	if (!idx)
		return true; /* the careful answer */
	for (i = 0; i < s->nprobes; i++)
		idx[i] = i;
	qsort_r(idx, s->nprobes, sizeof(int), by_site, s->probes);
	for (i = 1; i < s->nprobes && !shared; i++)
		shared = !by_site(&idx[i - 1], &idx[i], s->probes);
	free(idx);
	return shared;
}

/* The kernel runs the handlers of one address newest first: uprobe
 * consumers (kernel/events/uprobes.c consumer_add()) and kprobes
 * (kernel/kprobes.c add_new_kprobe(): list_add_rcu() at the head), seen
 * on 6.1 and 6.18. So they are registered last first. A kretprobe's
 * return handlers then run last in, first out from its entry handlers
 * (kernel/trace/rethook.c), that is oldest first: kretprobes are
 * registered first first, before the rest. */
int register_order(const struct sonde_session *s, int n)
{
	int i, k = 0;

	for (i = 0; i < s->nprobes; i++) {
		const struct probe *p = &s->probes[i];

		if (probe_kind_is_kernel(p->spec.kind) &&
		    probe_kind_is_return(p->spec.kind) && k++ == n)
			return i;
	}
	for (i = s->nprobes - 1; i >= 0; i--) {
		const struct probe *p = &s->probes[i];

		if (!(probe_kind_is_kernel(p->spec.kind) &&
		      probe_kind_is_return(p->spec.kind)) &&
		    k++ == n)
			return i;
	}
	return n; /* n out of range: as given */
}
