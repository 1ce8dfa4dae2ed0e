/* SPDX-License-Identifier: MIT */
/*
 * Closest function names to a misspelt one: names that start with it,
 * then names that contain it (case aside), then names within a small
 * Levenshtein distance; best first.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "elf.h"

#define SUGGEST_MAXLEN 256

/* Levenshtein distance, or limit + 1 once it is sure to exceed limit. */
static size_t edit_distance(const char *a, size_t la, const char *b, size_t lb,
			    size_t limit, size_t *row)
{
	size_t i, j;

	if ((la > lb ? la - lb : lb - la) > limit)
		return limit + 1;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		size_t diag = row[0], rowmin;

		row[0] = i;
		rowmin = i;
		for (j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t v = diag + (a[i - 1] != b[j - 1]);

			if (up + 1 < v)
				v = up + 1;
			if (row[j - 1] + 1 < v)
				v = row[j - 1] + 1;
			diag = up;
			row[j] = v;
			if (v < rowmin)
				rowmin = v;
		}
		if (rowmin > limit)
			return limit + 1;
	}
	return row[lb];
}

struct cand {
	const char *name;
	unsigned int cat; /* 0 same but case, 1 prefix, 2 substring, 3 near */
	size_t dist;
};

static bool cand_better(const struct cand *x, const struct cand *y)
{
	if (x->cat != y->cat)
		return x->cat < y->cat;
	if (x->dist != y->dist)
		return x->dist < y->dist;
	return strcmp(x->name, y->name) < 0;
}

struct suggest {
	const char *q;
	size_t qlen, limit, row[SUGGEST_MAXLEN + 1];
	const char *prev;
	struct cand *best;
	int n, max;
};

static int consider(const struct elf_sym *sym, void *ctx)
{
	struct suggest *sg = ctx;
	const char *s = sym->name;
	size_t len = strlen(s);
	struct cand c = {.name = s};
	int k;

	/* names come sorted: one look per distinct name */
	if (sg->prev && !strcmp(sg->prev, s))
		return 0;
	sg->prev = s;
	/* "_name" are the implementation's own: only on request */
	if (s[0] == '_' && sg->q[0] != '_')
		return 0;
	if (len >= sg->qlen && strncasecmp(s, sg->q, sg->qlen) == 0)
		c.cat = len == sg->qlen ? 0 : 1;
	else if (strcasestr(s, sg->q))
		c.cat = 2;
	else
		c.cat = 3;
	c.dist = c.cat < 3 ? len - sg->qlen
			   : edit_distance(sg->q, sg->qlen, s, len, sg->limit,
					   sg->row);
	if (c.cat == 3 && c.dist > sg->limit)
		return 0;
	if (sg->n == sg->max && !cand_better(&c, &sg->best[sg->n - 1]))
		return 0;
	if (sg->n < sg->max)
		sg->n++;
	for (k = sg->n - 1; k > 0 && cand_better(&c, &sg->best[k - 1]); k--)
		sg->best[k] = sg->best[k - 1];
	sg->best[k] = c;
	return 0;
}

int elf_file_suggest(struct elf_file *ef, const char *name, const char **out,
		     int max)
{
	struct suggest *sg;
	int k, n;

	if (max <= 0 || !*name || strlen(name) > SUGGEST_MAXLEN)
		return 0;
	sg = calloc(1, sizeof(*sg));
	if (!sg)
		return 0;
	sg->best = calloc((size_t)max, sizeof(*sg->best));
	sg->q = name;
	sg->qlen = strlen(name);
	/* about one typo per three characters, as spell checkers allow */
	sg->limit = (sg->qlen + 2) / 3;
	sg->max = max;
	if (sg->best && elf_file_for_each_func(ef, consider, sg) == 0)
		for (k = 0; k < sg->n; k++)
			out[k] = sg->best[k].name;
	n = sg->best ? sg->n : 0;
	free(sg->best);
	free(sg);
	return n;
}
