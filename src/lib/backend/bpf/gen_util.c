/* SPDX-License-Identifier: MIT */
/* The instruction buffer and its labels (gen_int.h), and the fetches an
 * aggregation program reads (bpf_int.h). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gen_int.h"

void prog_buf_free(struct prog_buf *b)
{
	free(b->insns);
	memset(b, 0, sizeof(*b));
}

void gen_emitn(struct gen *g, const struct bpf_insn *in, size_t n)
{
	struct prog_buf *b = g->b;
	struct bpf_insn *grown;

	if (b->err)
		return;
	if (b->n + n > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 128;

		while (cap < b->n + n)
			cap *= 2;
		grown = realloc(b->insns, cap * sizeof(*grown));
		if (!grown) {
			b->err = -ENOMEM;
			return;
		}
		b->insns = grown;
		b->cap = cap;
	}
	memcpy(b->insns + b->n, in, n * sizeof(*in));
	b->n += n;
}

int gen_label_new(struct gen *g)
{
	if (g->nlabels == MAX_LABELS) {
		g->b->err = -E2BIG;
		return 0;
	}
	g->label[g->nlabels] = SIZE_MAX;
	return g->nlabels++;
}

void gen_label_here(struct gen *g, int l)
{
	g->label[l] = g->b->n;
}

/* A jump whose offset is filled in when the program is finished. */
void gen_jump(struct gen *g, struct bpf_insn in, int l)
{
	if (g->nfix == MAX_FIXUPS) {
		g->b->err = -E2BIG;
		return;
	}
	g->fix[g->nfix].at = g->b->n;
	g->fix[g->nfix++].label = l;
	gen_emitn(g, &in, 1);
}

int gen_finish(struct gen *g)
{
	int i;

	for (i = 0; !g->b->err && i < g->nfix; i++) {
		size_t to = g->label[g->fix[i].label];

		if (to == SIZE_MAX)
			return -EINVAL;
		g->b->insns[g->fix[i].at].off =
			(int16_t)(to - g->fix[i].at - 1);
	}
	return g->b->err;
}

/* "%REG", "$retval", or "+OFF(...)" / "-OFF(...)" / "+uOFF(...)" around
 * one of them: the register and the offsets, innermost first. */
int gen_parse_chain(const char *f, size_t len, struct gsrc_spec *g)
{
	const char *p = f + 1, *open;
	char *end;
	long long off;
	char reg[8];
	int err;

	if (len == 7 && !strncmp(f, "$retval", 7)) {
		g->regoff = gen_reg_offset("ax");
		return 0;
	}
	if (len > 1 && len < sizeof(reg) + 1 && f[0] == '%') {
		memcpy(reg, f + 1, len - 1);
		reg[len - 1] = '\0';
		g->regoff = gen_reg_offset(reg);
		return g->regoff < 0 ? -ENOTSUP : 0;
	}
	if (len < 4 || (f[0] != '+' && f[0] != '-') || f[len - 1] != ')')
		return -ENOTSUP;
	if (*p == 'u')
		p++;
	open = memchr(p, '(', len - (p - f));
	if (!open)
		return -ENOTSUP;
	errno = 0;
	off = strtoll(p, &end, 0);
	if (end != open || errno)
		return -ENOTSUP;
	err = gen_parse_chain(open + 1, len - (open + 1 - f) - 1, g);
	if (err)
		return err;
	if (g->nderef == GSRC_MAX_DEREF)
		return -ENOTSUP;
	g->deref[g->nderef++] = f[0] == '-' ? -off : off;
	return 0;
}
