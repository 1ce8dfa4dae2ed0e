// SPDX-License-Identifier: MIT
/*
 * bpftrace's language: the functions (str, buf, print, clear, delete,
 * count, hist, lhist, ...) with bpftrace 0.17's rules and messages. What
 * sonde does not run yet is refused here, at its place. The builtins are
 * in sema_builtin.c, printf's format in sema_format.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lang_int.h"

static const char *const aggs[] = {"count", "sum",   "min",  "max",
				   "avg",   "stats", "hist", "lhist"};

bool sema_is_agg(const struct bt_node *n)
{
	if (n->kind != BT_N_CALL)
		return false;
	for (size_t i = 0; i < sizeof(aggs) / sizeof(*aggs); i++)
		if (!strcmp(n->name, aggs[i]))
			return true;
	return false;
}

static int nargs(struct sema *s, struct bt_node *n, int min, int max)
{
	static const char *const num[] = {"no", "one", "two", "three"};

	if (n->nkid >= min && n->nkid <= max)
		return 0;
	if (min == max)
		return sema_err(
			s, n->loc,
			min <= 1 ? "%s() requires %s argument%s (%d provided)"
				 : "%s() requires %s arguments%s (%d provided)",
			n->name, min == 4 ? "4" : num[min < 4 ? min : 3],
			min == 0 ? "s" : "", n->nkid);
	return sema_err(s, n->loc,
			"%s() takes %d to %d arguments (%d provided)", n->name,
			min, max, n->nkid);
}

/* An integer literal (or -literal) argument. */
static bool literal(const struct bt_node *n, int64_t *v)
{
	if (n->kind == BT_N_INT) {
		*v = (int64_t)n->num;
		return true;
	}
	if (n->kind == BT_N_UNOP && n->op == '-' &&
	    n->kid[0]->kind == BT_N_INT) {
		*v = -(int64_t)n->kid[0]->num;
		return true;
	}
	return false;
}

int sema_agg(struct sema *s, struct bt_node *n, struct bt_type *val)
{
	int i, r;
	int64_t lv[3];

	for (i = 0; strcmp(n->name, aggs[i]); i++)
		;
	memset(val, 0, sizeof(*val));
	val->kind = BT_T_COUNT + i;
	val->size = i == 4 || i == 5 ? 16 : 8;
	if ((r = nargs(s, n,
		       i == 0	? 0
		       : i == 7 ? 4
				: 1,
		       i == 0			? 0
		       : i == 7			? 4
		       : i == 6 && n->nkid == 2 ? 2 /* hist(x, bits) */
						: 1)) < 0)
		return r;
	/* newer bpftrace's hist(x, bits): bits 0 is 0.17's hist(x) */
	if (i == 6 && n->nkid == 2) {
		int64_t bits;

		if (!literal(n->kid[1], &bits) || bits < 0 || bits > 5)
			return sema_err(s, n->kid[1]->loc,
					"hist(): the second argument (bits) "
					"must be an integer literal 0 to 5");
		if (bits)
			return sema_err(s, n->kid[1]->loc,
					"hist() with bits other than 0 is not "
					"supported yet");
	}
	for (int k = 0; k < n->nkid; k++)
		if ((r = sema_expr(s, n->kid[k])) < 0)
			return r;
	if (i == 0)
		return 0;
	if (!t_intlike(&n->kid[0]->type))
		return sema_err(
			s, n->loc,
			"%s() only supports integer arguments (%s provided)",
			n->name, t_kind_name(&n->kid[0]->type));
	val->isize =
		n->kid[0]->type.kind == BT_T_PTR ? 8 : n->kid[0]->type.isize;
	val->is_signed = t_signed(&n->kid[0]->type);
	if (i != 7)
		return 0;
	for (int k = 0; k < 3; k++) {
		struct bt_node *b = n->kid[k + 1];

		/* lhist(x, $1, $2, $3): the parameters are the literals */
		if (b->kind == BT_N_POSPARAM) {
			if ((r = sema_param_int(s, b, &lv[k])) < 0)
				return r;
			b->kind = BT_N_INT;
			b->num = (uint64_t)lv[k];
		}
		if (!literal(b, &lv[k]))
			return sema_err(
				s, n->loc,
				"lhist() expects a integer literal (none "
				"provided)");
	}
	if (lv[0] < 0)
		return sema_err(
			s, n->loc,
			"lhist() min must be non-negative (provided min "
			"%lld)",
			(long long)lv[0]);
	if (lv[0] > lv[1])
		return sema_err(
			s, n->loc,
			"lhist() min must be less than max (provided min "
			"%lld and max %lld)",
			(long long)lv[0], (long long)lv[1]);
	if (lv[2] <= 0)
		return sema_err(s, n->loc,
				"lhist() step must be >= 1 (%lld provided)",
				(long long)lv[2]);
	if ((lv[1] - lv[0]) / lv[2] > 1000)
		return sema_err(
			s, n->loc,
			"lhist() too many buckets, must be <= 1000 (would "
			"need %lld)",
			(long long)((lv[1] - lv[0]) / lv[2]));
	val->lmin = lv[0];
	val->lmax = lv[1];
	val->lstep = lv[2];
	return 0;
}

/* delete(@m, k): the key moved into the map node, as delete(@m[k]) has
 * it (a tuple's elements are the keys of @m[a, b]) */
static int delete_key(struct sema *s, struct bt_node *n)
{
	struct bt_node *m = n->kid[0], *k = n->kid[1];

	if (m->nkid)
		return sema_err(s, n->loc,
				"delete() takes a map with no key and the key "
				"as its second argument");
	if (k->kind == BT_N_TUPLE) {
		free(m->kid);
		m->kid = k->kid;
		m->nkid = k->nkid;
		k->kid = NULL;
		k->nkid = 0;
		node_free(k);
	} else if (node_add(m, k) < 0) {
		return -ENOMEM;
	}
	n->nkid = 1;
	return 0;
}

/* print(@m[, top[, div]]), clear(@m), zero(@m), delete(@m[k]),
 * delete(@m, k) */
static int map_call(struct sema *s, struct bt_node *n)
{
	bool del = !strcmp(n->name, "delete");
	struct bt_node *m;
	int r;

	if ((r = nargs(s, n, 1,
		       !strcmp(n->name, "print") ? 3
		       : del			 ? 2
						 : 1)) < 0)
		return r;
	m = n->kid[0];
	if (m->kind != BT_N_MAP)
		return sema_err(s, n->loc, "%s() expects a map to be provided",
				n->name);
	if (del && n->nkid == 2 && (r = delete_key(s, n)) < 0)
		return r;
	if (!del && m->nkid)
		return sema_err(s, n->loc,
				"The map passed to %s() should not be indexed "
				"by a key",
				n->name);
	if (del) {
		if ((r = sema_map(s, m, false)) < 0)
			return r;
	} else { /* the whole map: its keys are not checked */
		m->id = -1;
		for (int i = 0; i < s->p->nmaps && m->id < 0; i++)
			if (!strcmp(s->p->maps[i].name, m->name))
				m->id = i;
		if (m->id < 0)
			return sema_err(s, m->loc, "Undefined map: @%s",
					m->name);
	}
	if (s->p->maps[m->id].value.kind == BT_T_NONE)
		return sema_err(s, m->loc, "Undefined map: @%s", m->name);
	if (del && s->p->maps[m->id].key.kind != BT_T_NONE && !m->nkid)
		return sema_err(s, n->loc,
				"delete() of a whole map is not supported yet");
	if (del && (s->p->maps[m->id].value.kind == BT_T_HIST ||
		    s->p->maps[m->id].value.kind == BT_T_LHIST))
		return sema_err(s, n->loc,
				"delete() of a hist() or lhist() map's key is "
				"not supported yet");
	if (del) /* bpftrace: true when the key was there */
		n->type = t_int(8, false);
	for (int i = 1; i < n->nkid; i++) {
		int64_t v;

		if (!literal(n->kid[i], &v) || v < 0)
			return sema_err(s, n->kid[i]->loc,
					"print(): top and div must be "
					"non-negative integer literals");
		if ((r = sema_expr(s, n->kid[i])) < 0)
			return r;
	}
	return 0;
}

/* $N's text ("" when it was not given) */
static const char *param_text(const struct sema *s, uint64_t num)
{
	return num <= (uint64_t)s->p->nparams ? s->p->params[num - 1] : "";
}

/* The call n becomes the string literal text (a copy of it). */
static int become_str(struct bt_node *n, const char *text)
{
	char *name = strdup(text);

	if (!name)
		return -ENOMEM;
	for (int i = 0; i < n->nkid; i++)
		node_free(n->kid[i]);
	free(n->kid);
	n->kid = NULL;
	n->nkid = 0;
	free(n->name);
	n->name = name;
	n->kind = BT_N_STR;
	n->num = strlen(name);
	n->type = t_str((uint32_t)n->num + 1);
	return 0;
}

/* str($N + k): bpftrace's pointer into the parameter's text, the
 * literal of its text from byte k. 1 when n became that STR. */
static int param_offset(struct sema *s, struct bt_node *n)
{
	struct bt_node *b = n->kid[0];
	const char *v;
	size_t len;
	int r;

	if (b->kind != BT_N_BINOP || b->op != '+' ||
	    b->kid[0]->kind != BT_N_POSPARAM || !b->kid[0]->num)
		return 0;
	v = param_text(s, b->kid[0]->num);
	len = strlen(v);
	if (b->kid[1]->kind != BT_N_INT || b->kid[1]->num > len)
		return sema_err(s, b->loc,
				"only addition of a single constant less or "
				"equal to the length of $%d (which is %zu) is "
				"allowed inside str()",
				(int)b->kid[0]->num, len);
	r = become_str(n, v + b->kid[1]->num);
	return r < 0 ? r : 1;
}

static int str_call(struct sema *s, struct bt_node *n)
{
	bool is_buf = !strcmp(n->name, "buf");
	int64_t len = BT_STRLEN;
	const struct bt_type *t;
	int r;

	if ((r = nargs(s, n, is_buf ? 2 : 1, 2)) < 0)
		return r;
	if (!is_buf && n->nkid == 1 && (r = param_offset(s, n)) != 0)
		return r < 0 ? r : 0;
	/* str(x, $1), buf(x, $1): the parameter is the literal length */
	if (n->nkid == 2 && n->kid[1]->kind == BT_N_POSPARAM) {
		if ((r = sema_param_int(s, n->kid[1], &len)) < 0)
			return r;
		n->kid[1]->kind = BT_N_INT;
		n->kid[1]->num = (uint64_t)len;
		len = BT_STRLEN;
	}
	for (int i = 0; i < n->nkid; i++)
		if ((i || n->kid[i]->kind != BT_N_POSPARAM) &&
		    (r = sema_expr(s, n->kid[i])) < 0)
			return r;
	t = &n->kid[0]->type;
	if (n->kid[0]->kind == BT_N_POSPARAM) {
		if (is_buf || n->kid[0]->num == 0)
			return sema_err(s, n->loc,
					"%s() expects a string or pointer",
					n->name);
		n->kid[0]->type = t_str(BT_STRLEN);
	} else if (!t_intlike(t) && t->kind != BT_T_STR) {
		return sema_err(s, n->loc,
				"%s() expects an integer or a pointer "
				"type as first argument (%s provided)",
				n->name, t_kind_name(t));
	}
	if (n->nkid == 2 && !t_intlike(&n->kid[1]->type))
		return sema_err(s, n->loc, "%s: invalid length argument",
				n->name);
	if (n->nkid == 2 && literal(n->kid[1], &len)) {
		if (len < 0)
			return sema_err(s, n->loc,
					"%s: length must be positive", n->name);
		/* bpftrace 0.17 types str(x, n) as string[64] too; n
		 * only bounds the copy (the call's second kid) */
		len = is_buf ? len : BT_STRLEN;
		if (len > BT_STRLEN)
			len = BT_STRLEN;
	} else if (is_buf) {
		return sema_err(s, n->loc,
				"buf() with a length that is not a literal is "
				"not supported yet");
	}
	n->type = t_str((uint32_t)len);
	if (is_buf) {
		n->type.kind = BT_T_BUF;
		n->type.size = 4 + (uint32_t)len;
	}
	return 0;
}

/* str($N) where a string literal is wanted (kaddr(str($1))): bpftrace
 * reads it as the literal of the parameter's text. n becomes that STR. */
static int param_literal(struct sema *s, struct bt_node *n)
{
	struct bt_node *k = n->nkid == 1 ? n->kid[0] : NULL;

	if (n->kind != BT_N_CALL || strcmp(n->name, "str") || !k ||
	    k->kind != BT_N_POSPARAM || !k->num)
		return 0;
	return become_str(n, param_text(s, k->num));
}

static int one_int(struct sema *s, struct bt_node *n, struct bt_type t)
{
	int r;

	if ((r = nargs(s, n, 1, 1)) < 0 || (r = sema_expr(s, n->kid[0])) < 0)
		return r;
	if (!t_intlike(&n->kid[0]->type))
		return sema_err(s, n->loc, "%s() expects an integer argument",
				n->name);
	n->type = t;
	return 0;
}

int sema_call(struct sema *s, struct bt_node *n)
{
	const char *f = n->name;
	struct bt_loc name = n->loc;
	int r;

	if (n->kind == BT_N_BUILTIN)
		return sema_builtin(s, n);
	n->type.kind = BT_T_NONE;
	if (sema_is_agg(n))
		return sema_err(s, n->loc,
				"%s() should be directly assigned to a map", f);
	if (!strcmp(f, "printf") || !strcmp(f, "system") || !strcmp(f, "cat"))
		return sema_format_call(s, n);
	/* print(x), and print(@m[k]): the value at the key */
	if (!strcmp(f, "print") && n->nkid >= 1 &&
	    (n->kid[0]->kind != BT_N_MAP || n->kid[0]->nkid)) {
		if ((r = nargs(s, n, 1, 1)) < 0 ||
		    (r = sema_expr(s, n->kid[0])) < 0)
			return r;
		if (n->kid[0]->type.kind == BT_T_NONE)
			return sema_err(s, n->loc,
					"print() has nothing to print");
		return sema_format_add(s, n, "", 0);
	}
	if (!strcmp(f, "print") || !strcmp(f, "clear") || !strcmp(f, "zero") ||
	    !strcmp(f, "delete"))
		return map_call(s, n);
	if (!strcmp(f, "exit")) {
		/* exit(code): newer bpftrace's exit status */
		if ((r = nargs(s, n, 0, 1)) < 0)
			return r;
		if (n->nkid && (r = sema_expr(s, n->kid[0])) < 0)
			return r;
		if (n->nkid && n->kid[0]->type.kind != BT_T_INT)
			return sema_err(s, n->kid[0]->loc,
					"exit() expects an integer exit code");
		return 0;
	}
	if (!strcmp(f, "time")) {
		if ((r = nargs(s, n, 0, 1)) < 0 ||
		    (n->nkid && (r = param_literal(s, n->kid[0])) < 0))
			return r;
		if (n->nkid && n->kid[0]->kind != BT_N_STR)
			return sema_err(s, n->loc,
					"time() expects a string literal");
		return sema_format_add(s, n,
				       n->nkid ? n->kid[0]->name : "%H:%M:%S\n",
				       n->nkid);
	}
	if (!strcmp(f, "str") || !strcmp(f, "buf"))
		return str_call(s, n);
	if (!strcmp(f, "ksym"))
		return one_int(s, n,
			       (struct bt_type){.kind = BT_T_KSYM, .size = 8});
	if (!strcmp(f, "usym"))
		return one_int(s, n,
			       (struct bt_type){.kind = BT_T_USYM, .size = 16});
	if (!strcmp(f, "kaddr") || !strcmp(f, "uaddr")) {
		if ((r = nargs(s, n, 1, 1)) < 0 ||
		    (r = param_literal(s, n->kid[0])) < 0)
			return r;
		if (n->kid[0]->kind != BT_N_STR)
			return sema_err(s, n->loc,
					"%s() expects a string literal", f);
		n->kid[0]->type = t_str((uint32_t)n->kid[0]->num + 1);
		/* uaddr: a user pointer, read by '*' with the symbol's own
		 * size (the code generator knows it), signed as bpftrace's
		 * int8..int64 pointers */
		n->type = *f == 'k' ? (struct bt_type){.kind = BT_T_KADDR,
						       .size = 8}
				    : (struct bt_type){.kind = BT_T_PTR,
						       .size = 8,
						       .isize = 8,
						       .is_signed = true,
						       .is_user = true};
		return 0;
	}
	if (!strcmp(f, "ntop")) {
		if ((r = nargs(s, n, 1, 2)) < 0)
			return r;
		for (int i = 0; i < n->nkid; i++)
			if ((r = sema_expr(s, n->kid[i])) < 0)
				return r;
		if (n->nkid == 2 && !t_intlike(&n->kid[0]->type))
			return sema_err(s, n->loc,
					"ntop() expects an integer "
					"address family");
		if (!t_intlike(&n->kid[n->nkid - 1]->type))
			return sema_err(
				s, n->loc,
				"ntop() of a %s is not "
				"supported yet",
				t_kind_name(&n->kid[n->nkid - 1]->type));
		n->type = (struct bt_type){.kind = BT_T_INET, .size = 24};
		return 0;
	}
	if (!strcmp(f, "kstack") || !strcmp(f, "ustack"))
		return sema_err(s, n->loc,
				"%s() with arguments is not supported yet", f);
	{
		static const char *const later[] = {
			"join",	     "strftime", "strncmp",  "signal",
			"override",  "sizeof",	 "offsetof", "reg",
			"cgroupid",  "macaddr",	 "path",     "kptr",
			"uptr",	     "strerror", "pton",     "strcontains",
			"skboutput", "bswap",	 "unwatch",  "percpu_kaddr"};

		for (size_t i = 0; i < sizeof(later) / sizeof(*later); i++)
			if (!strcmp(f, later[i]))
				return sema_err(s, n->loc,
						"%s() is not supported yet", f);
	}
	name.len = (int)strlen(f);
	return sema_err(s, name, "Unknown function: %s", f);
}
