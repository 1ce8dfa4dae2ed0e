/* SPDX-License-Identifier: MIT */
/*
 * sonde run's maps read back: every entry of a program's map, the CPUs
 * of a per-CPU value summed into one struct bt_map_row (lang/bt.h), a
 * histogram's buckets gathered under their key, then printed by
 * decode/bt_maps.c; clear() and zero(); and the symbolizer the printers
 * call for ksym, usym and stacks (sym/).
 *
 * Per-CPU values as lang/bt.h lays them out (each CPU's copy 8-aligned,
 * as the kernel hands a per-CPU value to user space).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "internal.h"
#include "run_int.h"
#include "sym/ksym.h"

#define STACK_DEPTH 127

struct rows {
	struct bt_map_row *v;
	int n, cap;
	uint8_t *keys; /* n keys of key_size, owned */
	uint8_t *vals; /* n values (HASH kinds) */
};

static const struct bt_cmap *cmap_of(const struct sonde_run *r, int map)
{
	int i;

	for (i = 0; i < r->comp->nmaps; i++)
		if (r->comp->maps[i].map == map &&
		    r->comp->maps[i].kind <= BT_M_PERCPU_HIST)
			return &r->comp->maps[i];
	return NULL;
}

static size_t cpu_stride(const struct bt_cmap *m)
{
	return (m->value_size + 7) & ~7u;
}

/* Is a a better min (max) than b, as the value's type compares? */
static bool better(const struct bt_map *bm, int64_t a, int64_t b)
{
	bool min = bm->value.kind == BT_T_MIN;

	if (bm->value.is_signed)
		return min ? a < b : a > b;
	return min ? (uint64_t)a < (uint64_t)b : (uint64_t)a > (uint64_t)b;
}

/* The value of one key, the CPUs summed as the kind says (MIN and MAX
 * decoded: lang/bt.h bt_minmax_mask). */
static void sum_cpus(const struct bt_map *bm, const struct bt_cmap *m,
		     int ncpus, const uint8_t *v, struct bt_map_row *row)
{
	uint64_t mask = bt_minmax_mask(bm->value.kind == BT_T_MIN,
				       bm->value.is_signed);
	size_t st = cpu_stride(m);
	bool seen = false;
	int64_t a, b;
	int cpu;

	for (cpu = 0; cpu < ncpus; cpu++, v += st) {
		memcpy(&a, v, 8);
		b = 0;
		if (m->value_size >= 16)
			memcpy(&b, v + 8, 8);
		switch (bm->value.kind) {
		case BT_T_MIN:
		case BT_T_MAX:
			if (m->value_size >= 16 && !b)
				break; /* this CPU never saw the key */
			a = (int64_t)((uint64_t)a ^ mask);
			if (!seen || better(bm, a, row->value))
				row->value = a;
			seen = true;
			break;
		case BT_T_AVG:
		case BT_T_STATS:
			row->count += a;
			row->total += b;
			break;
		default: /* COUNT, SUM, a HIST bucket */
			row->value += a;
			break;
		}
	}
}

static int rows_grow(struct rows *rs, size_t ks, size_t vs)
{
	void *p;
	int cap = rs->cap ? 2 * rs->cap : 64;

	if (rs->n < rs->cap)
		return 0;
	if (!(p = realloc(rs->v, cap * sizeof(*rs->v))))
		return -ENOMEM;
	rs->v = p;
	if (!(p = realloc(rs->keys, cap * (ks ? ks : 1))))
		return -ENOMEM;
	rs->keys = p;
	if (!(p = realloc(rs->vals, cap * (vs ? vs : 1))))
		return -ENOMEM;
	rs->vals = p;
	rs->cap = cap;
	return 0;
}

static void rows_free(struct rows *rs)
{
	int i;

	for (i = 0; i < rs->n; i++)
		free(rs->v[i].buckets);
	free(rs->v);
	free(rs->keys);
	free(rs->vals);
}

/* A histogram's bucket count added under its key (the key's row made at
 * its first bucket). */
static int add_bucket(struct rows *rs, const uint8_t *key, size_t ks,
		      uint64_t bucket, uint64_t count)
{
	uint64_t *b;
	int i;

	if (bucket > 4096)
		return -EBADMSG;
	for (i = 0; i < rs->n; i++)
		if (!memcmp(rs->keys + i * ks, key, ks))
			break;
	if (i == rs->n) {
		if (rows_grow(rs, ks, 0))
			return -ENOMEM;
		memset(&rs->v[i], 0, sizeof(rs->v[i]));
		memcpy(rs->keys + i * ks, key, ks);
		rs->n++;
	}
	if ((int)bucket >= rs->v[i].nbuckets) {
		b = realloc(rs->v[i].buckets, (bucket + 1) * sizeof(*b));
		if (!b)
			return -ENOMEM;
		memset(b + rs->v[i].nbuckets, 0,
		       (bucket + 1 - rs->v[i].nbuckets) * sizeof(*b));
		rs->v[i].buckets = b;
		rs->v[i].nbuckets = (int)bucket + 1;
	}
	rs->v[i].buckets[bucket] += count;
	return 0;
}

static int read_rows(struct sonde_run *r, const struct bt_map *bm,
		     const struct bt_cmap *m, struct rows *rs)
{
	bool percpu = m->kind != BT_M_HASH;
	size_t ks = m->key_size, vlen, hks;
	uint8_t *key = calloc(2, ks + 8), *next, *val;
	struct bt_map_row row;
	bool first = true;
	int err = 0, i;

	vlen = percpu ? cpu_stride(m) * r->ncpus : m->value_size;
	val = calloc(1, vlen + 8);
	if (!key || !val) {
		err = -ENOMEM;
		goto out;
	}
	next = key + ks + 8;
	hks = m->kind == BT_M_PERCPU_HIST ? ks - 8 : ks;
	while (!bpf_map_get_next_key(m->fd, first ? NULL : key, next)) {
		first = false;
		memcpy(key, next, ks);
		if (bpf_map_lookup_elem(m->fd, key, val))
			continue; /* deleted meanwhile */
		memset(&row, 0, sizeof(row));
		if (percpu)
			sum_cpus(bm, m, r->ncpus, val, &row);
		if (m->kind == BT_M_PERCPU_HIST) {
			uint64_t bucket;

			memcpy(&bucket, key + hks, 8);
			err = add_bucket(rs, key, hks, bucket,
					 (uint64_t)row.value);
			if (err)
				goto out;
			continue;
		}
		if (rows_grow(rs, ks, m->value_size)) {
			err = -ENOMEM;
			goto out;
		}
		if (!percpu && m->value_size >= 8)
			memcpy(&row.value, val, 8);
		memcpy(rs->keys + rs->n * ks, key, ks);
		memcpy(rs->vals + rs->n * m->value_size, val, m->value_size);
		rs->v[rs->n++] = row;
	}
	/* the pointers once the arrays no longer move */
	for (i = 0; i < rs->n; i++) {
		rs->v[i].key = rs->keys + i * hks;
		if (!percpu)
			rs->v[i].bytes = rs->vals + i * m->value_size;
	}
out:
	free(key);
	free(val);
	return err;
}

int run_print_map(struct sonde_run *r, int map, int top, int div, bool print)
{
	const struct bt_cmap *m = cmap_of(r, map);
	struct rows rs = {0};
	struct bt_symbolizer sym;
	struct bt_map_row zero;
	int err;

	if (map < 0 || map >= r->prog->nmaps || !m || m->fd < 0)
		return run_err(r, EBADMSG, "print() of no map");
	err = read_rows(r, &r->prog->maps[map], m, &rs);
	if (err) {
		rows_free(&rs);
		return run_err(r, -err, "reading the map @%s: %s",
			       r->prog->maps[map].name, strerror(-err));
	}
	run_symbolizer(r, &sym);
	if (print && !rs.n && bt_map_zero_row(&r->prog->maps[map], &zero))
		bt_print_map(r->opts.out, &r->prog->maps[map], &zero, 1,
			     r->opts.json, top, div, &sym);
	else
		bt_print_map(r->opts.out, &r->prog->maps[map], rs.v, rs.n,
			     r->opts.json, top, div, &sym);
	rows_free(&rs);
	return 0;
}

int run_clear_map(struct sonde_run *r, int map, bool zero)
{
	const struct bt_cmap *m = cmap_of(r, map);
	size_t vlen;
	uint8_t *key, *next, *val;
	bool first = true;
	int err = 0;

	if (!m || m->fd < 0)
		return run_err(r, EBADMSG, "clear() of no map");
	vlen = m->kind == BT_M_HASH ? m->value_size : cpu_stride(m) * r->ncpus;
	key = calloc(2, m->key_size + 8);
	val = calloc(1, vlen + 8);
	if (!key || !val) {
		err = run_err(r, ENOMEM, "out of memory");
		goto out;
	}
	next = key + m->key_size + 8;
	/* zero(): each value zeroed in place; clear(): each key deleted,
	 * from the first again since the one just deleted has no next */
	while (!bpf_map_get_next_key(m->fd, first || !zero ? NULL : key,
				     next)) {
		first = false;
		memcpy(key, next, m->key_size);
		if (zero)
			bpf_map_update_elem(m->fd, key, val, BPF_EXIST);
		else if (bpf_map_delete_elem(m->fd, key))
			break;
	}
out:
	free(key);
	free(val);
	return err;
}

/* "name+0x1a/0x80 [mod]" (ksym.c) or "name+0x1a (file)" (symbolize.c)
 * as bpftrace's "name+26" */
static void short_sym(const char *in, char *buf, size_t len)
{
	const char *plus = strstr(in, "+0x");
	unsigned long long off = 0;
	size_t n;

	n = plus ? (size_t)(plus - in) : strcspn(in, " ");
	if (plus)
		off = strtoull(plus + 1, NULL, 16);
	snprintf(buf, len, "%.*s+%llu", (int)n, in, off);
}

static void sym_k(void *ctx, uint64_t addr, char *buf, size_t len)
{
	char tmp[512];

	(void)ctx;
	if (ksym_addr_to_name(addr, tmp, sizeof(tmp)))
		snprintf(buf, len, "0x%" PRIx64, addr);
	else
		short_sym(tmp, buf, len);
}

static void sym_u(void *ctx, uint64_t addr, uint32_t tgid, char *buf,
		  size_t len)
{
	struct sonde_run *r = ctx;
	char tmp[512];

	if (symcache_name(&r->syms, (int)tgid, addr, tmp, sizeof(tmp)) ||
	    !strncmp(tmp, "0x", 2))
		snprintf(buf, len, "0x%" PRIx64, addr);
	else
		short_sym(tmp, buf, len);
}

static int sym_stack(void *ctx, int64_t id, bool user, uint32_t tgid,
		     uint64_t *frames, int max)
{
	struct sonde_run *r = ctx;
	uint64_t ips[STACK_DEPTH];
	uint32_t key = (uint32_t)id;
	int n;

	(void)user;
	(void)tgid;
	if (id < 0)
		return (int)id;
	if (r->comp->stacks < 0)
		return -ENOENT;
	memset(ips, 0, sizeof(ips));
	if (bpf_map_lookup_elem(r->comp->maps[r->comp->stacks].fd, &key, ips))
		return -errno;
	for (n = 0; n < max && n < STACK_DEPTH && ips[n]; n++)
		frames[n] = ips[n];
	return n;
}

void run_symbolizer(struct sonde_run *r, struct bt_symbolizer *s)
{
	s->ksym = sym_k;
	s->usym = sym_u;
	s->stack = sym_stack;
	s->ctx = r;
	s->c = r->comp;
}
