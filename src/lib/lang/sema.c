// SPDX-License-Identifier: MIT
/*
 * bpftrace's language: the checked tree. Every expression gets its type
 * (bpftrace 0.17's semantic_analyser.cpp rules: integers are 64-bit, a
 * map's and a variable's type is fixed by its first assignment and later
 * ones must agree), maps and scratch variables get their slots, builtins
 * are checked against the block's probes. Two passes, as bpftrace makes
 * them: the first, quiet one gives maps the types their assignments set
 * anywhere in the program; the second reports the first error. This file
 * holds the statements, the blocks and the passes; the types, the maps
 * and variables, the expressions and the calls are in sema_*.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lang_int.h"

int sema_err(struct sema *s, struct bt_loc loc, const char *fmt, ...)
{
	va_list ap;

	if (s->quiet)
		return -EINVAL;
	va_start(ap, fmt);
	bt_verror(s->err, s->p->text, s->p->filename, loc, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int stmt(struct sema *s, struct bt_node *n);

/* exit() and return end the probe's run: what follows them is not run
 * (bt_gen leaves it out); newer bpftrace warns */
static bool leaves(const struct bt_node *n)
{
	if (n->kind == BT_N_RETURN)
		return true;
	return n->kind == BT_N_EXPR && n->kid[0]->kind == BT_N_CALL &&
	       !strcmp(n->kid[0]->name, "exit");
}

/* a statement's whole text (an assignment's node is at its '=') */
static struct bt_loc stmt_loc(const struct bt_node *n)
{
	if (n->kind == BT_N_ASSIGN)
		return loc_span(n->kid[0]->loc, n->kid[1]->loc);
	if (n->kind == BT_N_EXPR)
		return n->kid[0]->loc;
	return n->loc;
}

static int block(struct sema *s, struct bt_node *n)
{
	int r, first = 0;
	bool warned = false;

	for (int i = 0; i < n->nkid; i++) {
		r = stmt(s, n->kid[i]);
		if (r < 0 && !s->quiet)
			return r;
		if (r < 0 && !first)
			first = r;
		if (s->quiet || warned || i + 1 == n->nkid ||
		    !leaves(n->kid[i]))
			continue;
		warned = true;
		if (bt_warn(s->p, stmt_loc(n->kid[i + 1]),
			    "Unreachable statement"))
			return -ENOMEM;
	}
	return first;
}

static int stmt(struct sema *s, struct bt_node *n)
{
	int r;

	switch (n->kind) {
	case BT_N_EXPR:
		if (sema_is_agg(n->kid[0]))
			return sema_err(
				s, n->kid[0]->loc,
				"%s() should be directly assigned to a map",
				n->kid[0]->name);
		return sema_expr(s, n->kid[0]);
	case BT_N_ASSIGN:
		if (n->kid[0]->kind == BT_N_MAP)
			return sema_map_assign(s, n);
		if (sema_is_agg(n->kid[1]))
			return sema_err(
				s, n->kid[1]->loc,
				"%s() should be directly assigned to a map",
				n->kid[1]->name);
		if ((r = sema_expr(s, n->kid[1])) < 0)
			return r;
		return sema_var_assign(s, n);
	case BT_N_IF:
	case BT_N_WHILE:
		if ((r = sema_expr(s, n->kid[0])) < 0)
			return r;
		if (!t_intlike(&n->kid[0]->type))
			return sema_err(s, n->kid[0]->loc,
					"Invalid condition in %s: %s",
					n->kind == BT_N_IF ? "if" : "while",
					t_kind_name(&n->kid[0]->type));
		if ((r = block(s, n->body)) < 0)
			return r;
		if (!n->orelse)
			return 0;
		return n->orelse->kind == BT_N_IF ? stmt(s, n->orelse)
						  : block(s, n->orelse);
	case BT_N_UNROLL:
		if (n->nkid && n->kid[0]->kind == BT_N_POSPARAM) {
			int64_t v;

			if ((r = sema_param_int(s, n->kid[0], &v)) < 0)
				return r;
			n->num = v < 0 ? 0 : (uint64_t)v;
		}
		if (n->num > 100)
			return sema_err(s, n->loc,
					"unroll maximum value is 100");
		if (n->num < 1)
			return sema_err(s, n->loc, "unroll minimum value is 1");
		return block(s, n->body);
	case BT_N_RETURN:
		return n->nkid ? sema_expr(s, n->kid[0]) : 0;
	case BT_N_BLOCK:
		return block(s, n);
	default:
		return sema_err(s, n->loc,
				"this statement is not supported yet");
	}
}

static void vars_free(struct bt_block *b)
{
	for (int j = 0; j < b->nvars; j++) {
		free(b->var_names[j]);
		type_free(&b->var_types[j]);
	}
	free(b->var_names);
	free(b->var_types);
	b->var_names = NULL;
	b->var_types = NULL;
	b->nvars = 0;
}

static void formats_free(struct bt_program *p)
{
	for (int i = 0; i < p->nformats; i++) {
		free(p->formats[i].fmt);
		type_free(&p->formats[i].args);
	}
	free(p->formats);
	p->formats = NULL;
	p->nformats = 0;
}

static int pass(struct sema *s)
{
	int r, first = 0;

	formats_free(s->p);
	for (int i = 0; i < s->p->nblocks; i++) {
		struct bt_block *b = &s->p->blocks[i];

		s->b = b;
		vars_free(b);
		r = 0;
		if (b->pred && (r = sema_expr(s, b->pred)) == 0 &&
		    !t_intlike(&b->pred->type)) {
			struct bt_loc l = b->pred->loc;

			l.col -= l.col > 0 ? 2 : 0;
			l.len += 4;
			r = sema_err(s, l, "Invalid type for predicate: %s",
				     t_kind_name(&b->pred->type));
		}
		if (r == 0)
			r = block(s, b->body);
		if (r < 0 && !s->quiet)
			return r;
		if (r < 0 && !first)
			first = r;
	}
	return first;
}

static int count_typed(const struct bt_program *p)
{
	int n = 0;

	for (int i = 0; i < p->nmaps; i++)
		n += p->maps[i].value.kind != BT_T_NONE;
	return n;
}

int bt_check(struct bt_program *p, char **params, int nparams,
	     bt_probe_info_fn info, void *ctx, struct lib_error *err)
{
	struct sema s = {.p = p, .info = info, .ctx = ctx, .err = err};
	int r;

	for (int i = 0; i < p->nparams; i++)
		free(p->params[i]);
	free(p->params);
	p->nparams = 0;
	p->params = calloc((size_t)(nparams ? nparams : 1), sizeof(char *));
	if (!p->params)
		return lib_error_set(err, ENOMEM, -1, "out of memory");
	for (; p->nparams < nparams; p->nparams++)
		if (!(p->params[p->nparams] = strdup(params[p->nparams])))
			return lib_error_set(err, ENOMEM, -1, "out of memory");
	/* quiet passes while they give maps new types (bpftrace's passes) */
	s.quiet = true;
	for (int i = 0, typed = -1; i < 10 && typed != count_typed(p); i++) {
		typed = count_typed(p);
		pass(&s);
	}
	s.quiet = false;
	bt_warnings_free(p);
	r = pass(&s);
	if (r == -ENOMEM && err && !err->err)
		lib_error_set(err, ENOMEM, -1, "out of memory");
	return r;
}
