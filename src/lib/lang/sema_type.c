// SPDX-License-Identifier: MIT
/*
 * bpftrace's language: the types of the checked tree, as bpftrace 0.17's
 * semantic_analyser.cpp has them (integers are 64-bit, a string's or a
 * tuple's room is the largest assigned). Apart because every check uses
 * them: the expressions, the maps and variables, the calls.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lang_int.h"

struct bt_type t_int(int isize, bool is_signed)
{
	struct bt_type t = {.kind = BT_T_INT, .size = 8};

	t.isize = (uint8_t)isize;
	t.is_signed = is_signed;
	return t;
}

struct bt_type t_str(uint32_t n)
{
	struct bt_type t = {.kind = BT_T_STR, .size = n, .strsize = n};

	return t;
}

bool t_signed(const struct bt_type *t)
{
	return t->kind != BT_T_PTR && t->is_signed; /* PTR: the pointee's */
}

bool t_intlike(const struct bt_type *t)
{
	return t->kind == BT_T_INT || t->kind == BT_T_PTR ||
	       t->kind == BT_T_KADDR;
}

const char *t_kind_name(const struct bt_type *t)
{
	switch (t->kind) {
	case BT_T_INT:
	case BT_T_KADDR:
	case BT_T_PTR:
		return "integer";
	case BT_T_STR:
	case BT_T_KSYM:
	case BT_T_USYM:
		return "string";
	case BT_T_BUF:
		return "buffer";
	case BT_T_TUPLE:
		return "tuple";
	case BT_T_NONE:
		return "none";
	default:
		return "integer";
	}
}

int t_tuple(struct bt_type *t, struct bt_node **kids, int n)
{
	memset(t, 0, sizeof(*t));
	t->kind = BT_T_TUPLE;
	if (n == 0)
		return 0;
	t->tup = calloc((size_t)n, sizeof(*t->tup));
	if (!t->tup)
		return -ENOMEM;
	t->ntup = n;
	for (int i = 0; i < n; i++) {
		if (type_copy(&t->tup[i], &kids[i]->type) < 0)
			return -ENOMEM;
		t->size += (kids[i]->type.size + 7) & ~7u;
	}
	return 0;
}

/* Can a value of type b go where a's are (a map's, a variable's)? */
bool t_agree(const struct bt_type *a, const struct bt_type *b)
{
	if (a->kind != b->kind)
		return false;
	if (a->kind == BT_T_TUPLE) {
		if (a->ntup != b->ntup || !a->names != !b->names)
			return false;
		for (int i = 0; i < a->ntup; i++)
			if (!t_agree(&a->tup[i], &b->tup[i]))
				return false;
	}
	if (a->kind == BT_T_LHIST)
		return a->lmin == b->lmin && a->lmax == b->lmax &&
		       a->lstep == b->lstep;
	return true;
}

/* a takes b's room where b is larger (strings of several lengths in one
 * map or variable, as bpftrace keeps them) */
void t_widen(struct bt_type *a, const struct bt_type *b)
{
	if ((a->kind == BT_T_STR || a->kind == BT_T_BUF) &&
	    b->strsize > a->strsize) {
		a->size += b->strsize - a->strsize;
		a->strsize = b->strsize;
	}
	if (a->kind == BT_T_TUPLE) {
		a->size = 0;
		for (int i = 0; i < a->ntup; i++) {
			t_widen(&a->tup[i], &b->tup[i]);
			a->size += (a->tup[i].size + 7) & ~7u;
		}
	}
}
