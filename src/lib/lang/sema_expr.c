// SPDX-License-Identifier: MIT
/*
 * bpftrace's language: an expression's type (bpftrace 0.17's rules and
 * messages): literals, $N parameters, operators, the ternary, casts,
 * tuples. Maps, variables, calls and fields are handed to their own
 * files; sema.c checks the statements around.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lang_int.h"

static int binop(struct sema *s, struct bt_node *n)
{
	struct bt_type *l = &n->kid[0]->type, *r = &n->kid[1]->type;
	char a[64], b[64];
	int op = n->op;

	if (s->quiet && (l->kind == BT_T_NONE || r->kind == BT_T_NONE)) {
		n->type = t_int(8, true); /* a map not typed yet */
		return 0;
	}
	if (t_intlike(l) && t_intlike(r)) {
		bool sign = t_signed(l) && t_signed(r);

		/* bpftrace 0.17: signed when both are, comparisons too */
		n->type = t_int(8, sign);
		/* ptr + n, n + ptr, ptr - n: an address, n scaled by the
		 * pointee's size (bt_gen) */
		if ((op == '+' || op == '-') && l->kind == BT_T_PTR &&
		    r->kind != BT_T_PTR)
			n->type = *l;
		else if (op == '+' && r->kind == BT_T_PTR &&
			 l->kind != BT_T_PTR)
			n->type = *r;
		return 0;
	}
	if (l->kind == r->kind &&
	    (l->kind == BT_T_STR || l->kind == BT_T_BUF) &&
	    (op == BT_OP_EQ || op == BT_OP_NE)) {
		n->type = t_int(8, false);
		return 0;
	}
	if (l->kind == r->kind && l->kind != BT_T_STR)
		return sema_err(
			s, n->loc,
			"The %s operator can not be used on expressions "
			"of types %s, %s",
			tok_name(&(struct token){.t = T_PUNCT, .op = op}, a,
				 sizeof(a)),
			type_name(l, a, sizeof(a)), type_name(r, b, sizeof(b)));
	{
		char o[8];

		return sema_err(
			s, n->loc,
			"Type mismatch for '%s': comparing '%s' with '%s'",
			tok_name(&(struct token){.t = T_PUNCT, .op = op}, o,
				 sizeof(o)),
			type_name(l, a, sizeof(a)), type_name(r, b, sizeof(b)));
	}
}

static int unop(struct sema *s, struct bt_node *n)
{
	struct bt_node *k = n->kid[0];
	struct bt_type *t = &k->type;
	char a[64];
	int r;

	if (n->op >= BT_OP_PREINC) {
		if (k->kind == BT_N_MAP) {
			if ((r = sema_map(s, k, false)) < 0)
				return r;
			if (s->p->maps[k->id].value.kind == BT_T_NONE)
				s->p->maps[k->id].value = t_int(8, true);
			if (s->p->maps[k->id].value.kind != BT_T_INT &&
			    s->p->maps[k->id].value.kind != BT_T_PTR)
				return sema_err(
					s, n->loc,
					"The %s operator must be applied to "
					"a map or variable holding an integer",
					n->op <= BT_OP_PREDEC ? "++/--"
							      : "++/--");
			type_free(&k->type); /* a type from an earlier pass */
			if (type_copy(&k->type, &s->p->maps[k->id].value) < 0)
				return -ENOMEM;
			n->type = k->type.kind == BT_T_PTR ? k->type
							   : t_int(8, true);
			return 0;
		}
		if (k->kind != BT_N_VAR)
			return sema_err(
				s, n->loc,
				"The ++ and -- operators must be applied "
				"to a map or variable");
		if ((r = sema_var_read(s, k)) < 0)
			return r;
		if (k->type.kind != BT_T_INT && k->type.kind != BT_T_PTR)
			return sema_err(
				s, n->loc,
				"The ++ and -- operators must be applied "
				"to an integer");
		return type_copy(&n->type, &k->type);
	}
	if ((r = sema_expr(s, k)) < 0)
		return r;
	if (n->op == '&')
		return sema_err(s, n->loc,
				"the & operator is not supported yet");
	if (!t_intlike(t))
		return sema_err(
			s, n->loc,
			"The %c operator can not be used on expressions "
			"of type %s",
			n->op, type_name(t, a, sizeof(a)));
	if (n->op == '*') {
		n->type = t_int(t->kind == BT_T_PTR && t->isize ? t->isize : 8,
				t->kind == BT_T_PTR && t->is_signed);
		return 0;
	}
	/* bpftrace 0.17: '!' gives an unsigned int64, '-' and '~' keep the
	 * operand's sign (-arg0 is unsigned) */
	n->type = t_int(8, n->op != '!' && t_signed(t));
	return 0;
}

static int ternary(struct sema *s, struct bt_node *n)
{
	struct bt_type *a = &n->kid[1]->type, *b = &n->kid[2]->type;

	if (!t_intlike(&n->kid[0]->type))
		return sema_err(s, n->kid[0]->loc,
				"Invalid condition in ternary: %s",
				t_kind_name(&n->kid[0]->type));
	if (t_intlike(a) && t_intlike(b)) {
		n->type = t_int(8, t_signed(a) && t_signed(b));
		if (a->kind == BT_T_PTR && t_agree(a, b) &&
		    a->isize == b->isize)
			n->type = *a;
		return 0;
	}
	if (a->kind == BT_T_NONE && b->kind == BT_T_NONE)
		return 0; /* c ? printf(..) : printf(..): a statement */
	if (!t_agree(a, b) || a->kind == BT_T_NONE)
		return sema_err(s, n->loc,
				"Ternary operator must return the same type: "
				"have '%s' and '%s'",
				t_kind_name(a), t_kind_name(b));
	if (type_copy(&n->type, a) < 0)
		return -ENOMEM;
	t_widen(&n->type, b);
	return 0;
}

static const struct {
	const char *name;
	int isize;
	bool is_signed;
} casts[] = {
	{"int8", 1, true},    {"int16", 2, true},   {"int32", 4, true},
	{"int64", 8, true},   {"uint8", 1, false},  {"uint16", 2, false},
	{"uint32", 4, false}, {"uint64", 8, false},
};

/* A pointer cast's address space: the probes' (bt_gen's reads take the
 * same rule), user for uprobes, usdt, BEGIN and END */
static bool user_block(const struct bt_block *b)
{
	for (int i = 0; i < b->nprobes; i++)
		switch (b->probes[i].kind) {
		case BT_P_UPROBE:
		case BT_P_URETPROBE:
		case BT_P_USDT:
		case BT_P_BEGIN:
		case BT_P_END:
			break;
		default:
			return false;
		}
	return true;
}

static int cast(struct sema *s, struct bt_node *n)
{
	size_t l = strlen(n->name);
	bool ptr = l > 2 && !strcmp(n->name + l - 2, " *");
	char a[64];

	for (size_t i = 0; i < sizeof(casts) / sizeof(*casts); i++) {
		if (strncmp(n->name, casts[i].name, ptr ? l - 2 : l) ||
		    strlen(casts[i].name) != (ptr ? l - 2 : l))
			continue;
		if (!t_intlike(&n->kid[0]->type))
			return sema_err(
				s, n->loc, "Cannot cast from \"%s\" to \"%s\"",
				type_name(&n->kid[0]->type, a, sizeof(a)),
				n->name);
		n->type = t_int(casts[i].isize, casts[i].is_signed);
		if (ptr) { /* (int32 *)x: an address of int32s */
			n->type.kind = BT_T_PTR;
			n->type.is_user = user_block(s->b);
		}
		return 0;
	}
	return sema_err(s, n->loc, "a cast to '%s' is not supported yet",
			n->name);
}

int sema_param_int(struct sema *s, const struct bt_node *n, int64_t *v)
{
	const char *t = "";
	char *end;

	if (n->num == 0) { /* $# */
		*v = s->p->nparams;
		return 0;
	}
	if (n->num <= (uint64_t)s->p->nparams)
		t = s->p->params[n->num - 1];
	*v = *t ? (int64_t)strtoull(t, &end, 0) : 0;
	if (*t && *end)
		return sema_err(s, n->loc,
				"$%d used numerically but given \"%s\". Try "
				"using str($%d).",
				(int)n->num, t, (int)n->num);
	return 0;
}

static int posparam(struct sema *s, struct bt_node *n)
{
	const char *v;
	char *end;

	if (n->num == 0) { /* $# */
		n->type = t_int(8, false);
		return 0;
	}
	v = n->num <= (uint64_t)s->p->nparams ? s->p->params[n->num - 1] : "";
	if (*v)
		strtoll(v, &end, 0);
	if (*v && *end)
		return sema_err(s, n->loc,
				"$%d used numerically but given \"%s\". Try "
				"using str($%d).",
				(int)n->num, v, (int)n->num);
	n->type = t_int(8, true);
	return 0;
}

int sema_expr(struct sema *s, struct bt_node *n)
{
	int r = 0;

	type_free(&n->type);
	memset(&n->type, 0, sizeof(n->type));
	switch (n->kind) {
	case BT_N_INT:
		n->type = t_int(8, n->num <= INT64_MAX);
		return 0;
	case BT_N_STR:
		n->type = t_str((uint32_t)n->num + 1);
		return 0;
	case BT_N_POSPARAM:
		return posparam(s, n);
	case BT_N_VAR:
		return sema_var_read(s, n);
	case BT_N_MAP:
		return sema_map(s, n, true);
	case BT_N_BUILTIN:
	case BT_N_CALL:
		return sema_call(s, n);
	case BT_N_FIELD:
		return sema_field(s, n);
	case BT_N_CAST:
		if ((r = sema_expr(s, n->kid[0])) < 0)
			return r;
		return cast(s, n);
	case BT_N_UNOP:
		return unop(s, n);
	default:
		break;
	}
	for (int i = 0; i < n->nkid; i++)
		if ((r = sema_expr(s, n->kid[i])) < 0)
			return r;
	switch (n->kind) {
	case BT_N_BINOP:
		return binop(s, n);
	case BT_N_TERNARY:
		return ternary(s, n);
	case BT_N_TUPLE:
		for (int i = 0; i < n->nkid; i++)
			if (n->kid[i]->type.kind == BT_T_NONE ||
			    n->kid[i]->type.kind >= BT_T_COUNT)
				return sema_err(
					s, n->kid[i]->loc,
					"a tuple can not hold this value");
		if ((r = t_tuple(&n->type, n->kid, n->nkid)) < 0)
			return r;
		/* args alone, made a tuple by sema_args(): a record */
		return n->name ? sema_record(s, n) : 0;
	case BT_N_TUPLE_GET:
		if (n->kid[0]->type.kind != BT_T_TUPLE)
			return sema_err(
				s, n->loc,
				"Can not access index '%d' on expression "
				"of type '%s'",
				(int)n->num, t_kind_name(&n->kid[0]->type));
		if (n->num >= (uint64_t)n->kid[0]->type.ntup)
			return sema_err(s, n->loc,
					"Invalid tuple index: %d. Found %d "
					"elements in tuple.",
					(int)n->num, n->kid[0]->type.ntup);
		return type_copy(&n->type, &n->kid[0]->type.tup[n->num]);
	case BT_N_INDEX:
		return sema_err(s, n->loc,
				"indexing with [] is not supported yet");
	default:
		return sema_err(s, n->loc,
				"this expression is not supported yet");
	}
}
