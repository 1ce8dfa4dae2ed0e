/* SPDX-License-Identifier: MIT */
/*
 * In-kernel aggregation, read back: the counts map's per-CPU entries
 * summed and handed to a sonde_agg as the hits that give the same
 * counts, sums and extremes, and the stats map's counters. Apart from
 * agg_bpf.c, which makes the maps and the programs that fill them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "agg_bpf.h"

int sonde_bpf_agg__stats(const struct sonde_bpf_agg *a,
			 struct sonde_bpf_agg_stats *st)
{
	struct sonde_bpf_agg_stats out = {.sz = sizeof(out)};
	uint64_t v;
	uint32_t i;

	if (!a || !st)
		return -EINVAL;
	i = AST_DROPPED;
	if (!bpf_map_lookup_elem(a->gen.stats_fd, &i, &v))
		out.dropped = v;
	i = AST_ORPHANS;
	if (!bpf_map_lookup_elem(a->gen.stats_fd, &i, &v))
		out.orphans = v;
	i = AST_FAULTS;
	if (!bpf_map_lookup_elem(a->gen.stats_fd, &i, &v))
		out.faults = v;
	out.links = a->multi_links;
	out.kprobe_multi_links = a->kmulti_links;
	out.perf_events = a->perf_events;
	memcpy(st, &out, st->sz && st->sz < sizeof(out) ? st->sz : sizeof(out));
	return 0;
}

/* floor division, for the spreading below */
static int64_t floor_div(int64_t x, int64_t y)
{
	int64_t q = x / y;

	return (x % y != 0 && (x < 0) != (y < 0)) ? q - 1 : q;
}

/*
 * One kernel entry {count, sum, min, max} as sonde_agg__add() calls that
 * give the same count, bucket, sum, min and max: min once, max once, and
 * the rest spread as evenly as integers allow, which keeps every value
 * in [min, max], so in the entry's bucket.
 */
struct entry {
	uint64_t count;
	int64_t sum, min, max;
};

static int add_entry(struct sonde_agg *out, const struct sonde_agg_key *key,
		     const struct entry *v, bool has_value)
{
	int64_t rest, q, r;
	uint64_t k;
	int err;

	if (!has_value || v->count == 1)
		return sonde_agg__add_n(out, key, has_value ? v->min : 0,
					v->count);
	k = v->count - 2;
	err = sonde_agg__add_n(out, key, v->min, 1);
	if (err == -ENOSPC) /* out is full: the other hits are dropped too */
		sonde_agg__add_dropped(out, v->count - 1);
	if (!err)
		err = sonde_agg__add_n(out, key, v->max, 1);
	if (err || !k)
		return err;
	rest = (int64_t)((uint64_t)v->sum - (uint64_t)v->min -
			 (uint64_t)v->max);
	q = floor_div(rest, (int64_t)k);
	r = rest - q * (int64_t)k;
	if (r)
		err = sonde_agg__add_n(out, key, q + 1, (uint64_t)r);
	if (!err)
		err = sonde_agg__add_n(out, key, q, k - (uint64_t)r);
	return err;
}

/* Key slots -> the agg's key tuple (comm: into the buffer comm). */
static void decode_key(const struct sonde_bpf_agg *a, const uint64_t *slots,
		       struct sonde_agg_key *key, char comm[][17])
{
	int k, slot = 1;

	for (k = 0; k < a->o.nkeys; k++) {
		const struct sonde_bpf_key *bk = &a->o.keys[k];

		memset(&key[k], 0, sizeof(key[k]));
		key[k].kind = SONDE_AGG_KEY_UNSIGNED;
		if (bk->src == SONDE_BPF_PROBE) {
			key[k].num = slots[0];
		} else if (bk->src == SONDE_BPF_PROBE_NAME) {
			key[k].kind = SONDE_AGG_KEY_STRING;
			key[k].str = slots[0] < (uint64_t)a->s->nprobes
					     ? a->s->probes[slots[0]].name
					     : "?";
		} else if (bk->src == SONDE_BPF_COMM) {
			memcpy(comm[k], &slots[slot], 16);
			comm[k][16] = '\0';
			key[k].kind = SONDE_AGG_KEY_STRING;
			key[k].str = comm[k];
			slot += 2;
		} else {
			key[k].num = slots[slot++];
			if (bk->src == SONDE_BPF_ARG)
				key[k].kind =
					(enum sonde_agg_key_kind)a->arg_kind[k];
		}
	}
}

int sonde_bpf_agg__read(struct sonde_bpf_agg *a, struct sonde_agg *out,
			bool clear)
{
	size_t ksz = 8 * a->key_slots, nkeys = 0, cap = 0, i;
	struct sonde_agg_key key[SONDE_AGG_MAX_KEYS];
	char comm[SONDE_AGG_MAX_KEYS][17];
	bool has_value =
		a->gen.value.src != GS_NONE || a->o.value.src != SONDE_BPF_NONE;
	struct agg_val *vals;
	struct entry sum;
	uint64_t min_ord, max_ord, dropped;
	uint32_t stat = AST_DROPPED;
	uint8_t *keys = NULL, *grown;
	int c, err = 0, fd = a->gen.counts_fd;

	if (!a || !out)
		return -EINVAL;
	vals = calloc(a->ncpus, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	/* the keys first: deleting while walking would restart the walk */
	for (;;) {
		if (nkeys == cap) {
			cap = cap ? 2 * cap : 256;
			grown = realloc(keys, cap * ksz);
			if (!grown) {
				err = -ENOMEM;
				goto out;
			}
			keys = grown;
		}
		if (bpf_map_get_next_key(
			    fd, nkeys ? keys + (nkeys - 1) * ksz : NULL,
			    keys + nkeys * ksz))
			break;
		nkeys++;
	}
	for (i = 0; i < nkeys && !err; i++) {
		const uint8_t *kp = keys + i * ksz;

		if (clear ? bpf_map_lookup_and_delete_elem(fd, kp, vals)
			  : bpf_map_lookup_elem(fd, kp, vals))
			continue; /* gone meanwhile */
		memset(&sum, 0, sizeof(sum));
		min_ord = max_ord = 0;
		for (c = 0; c < a->ncpus; c++) {
			sum.count += vals[c].count;
			sum.sum += vals[c].sum;
			if (vals[c].min_ord > min_ord)
				min_ord = vals[c].min_ord;
			if (vals[c].max_ord > max_ord)
				max_ord = vals[c].max_ord;
		}
		if (!sum.count)
			continue;
		sum.min = agg_min_decode(min_ord);
		sum.max = agg_max_decode(max_ord);
		decode_key(a, (const uint64_t *)kp, key, comm);
		err = add_entry(out, key, &sum, has_value);
		if (err == -ENOSPC) /* counted in out's dropped */
			err = 0;
	}
	/* the hits the kernel's full map could not hold */
	if (!bpf_map_lookup_elem(a->gen.stats_fd, &stat, &dropped)) {
		sonde_agg__add_dropped(out, dropped - a->dropped_read);
		if (clear)
			a->dropped_read = dropped;
	}
out:
	free(keys);
	free(vals);
	return err ? err : (int)nkeys;
}
