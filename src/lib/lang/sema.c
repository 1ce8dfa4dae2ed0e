// SPDX-License-Identifier: MIT
/*
 * bpftrace's language: the checked tree. Every expression gets its type
 * (bpftrace 0.17's semantic_analyser.cpp rules: integers are 64-bit, a
 * map's and a variable's type is fixed by its first assignment and later
 * ones must agree), maps and scratch variables get their slots, builtins
 * are checked against the block's probes. Two passes, as bpftrace makes
 * them: the first, quiet one gives maps the types their assignments set
 * anywhere in the program; the second reports the first error.
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
static void widen(struct bt_type *a, const struct bt_type *b)
{
	if ((a->kind == BT_T_STR || a->kind == BT_T_BUF) &&
	    b->strsize > a->strsize) {
		a->size += b->strsize - a->strsize;
		a->strsize = b->strsize;
	}
	if (a->kind == BT_T_TUPLE) {
		a->size = 0;
		for (int i = 0; i < a->ntup; i++) {
			widen(&a->tup[i], &b->tup[i]);
			a->size += (a->tup[i].size + 7) & ~7u;
		}
	}
}

static struct bt_map *map_find(struct sema *s, struct bt_node *m)
{
	struct bt_program *p = s->p;
	struct bt_map *nm;

	for (int i = 0; i < p->nmaps; i++)
		if (!strcmp(p->maps[i].name, m->name)) {
			m->id = i;
			return &p->maps[i];
		}
	nm = realloc(p->maps, sizeof(*nm) * (size_t)(p->nmaps + 1));
	if (!nm)
		return NULL;
	p->maps = nm;
	nm = &nm[p->nmaps];
	memset(nm, 0, sizeof(*nm));
	nm->name = strdup(m->name);
	if (!nm->name)
		return NULL;
	nm->key.kind = BT_T_NONE;
	nm->value.kind = BT_T_NONE;
	nm->loc = m->loc;
	m->id = p->nmaps++;
	return nm;
}

static void key_names(const struct bt_type *k, char *buf, size_t len)
{
	char one[64];
	size_t n = 0;

	buf[0] = '\0';
	if (k->kind == BT_T_NONE)
		return;
	if (k->kind != BT_T_TUPLE) {
		snprintf(buf, len, "%s", type_name(k, one, sizeof(one)));
		return;
	}
	for (int i = 0; i < k->ntup && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%s", i ? ", " : "",
				      type_name(&k->tup[i], one, sizeof(one)));
}

int sema_map(struct sema *s, struct bt_node *m, bool need_value)
{
	struct bt_type key = {.kind = BT_T_NONE};
	struct bt_map *map;
	char want[512], got[512];
	int r = 0;

	for (int i = 0; i < m->nkid; i++) {
		if ((r = sema_expr(s, m->kid[i])) < 0)
			return r;
		/* a tuple or a record is a key as newer bpftrace has it
		 * (0.17 refuses tuples); its bytes are zero-padded */
		if (m->kid[i]->type.kind == BT_T_NONE ||
		    m->kid[i]->type.kind >= BT_T_COUNT)
			return sema_err(s, m->kid[i]->loc,
					"%s can not be used as a map key",
					type_name(&m->kid[i]->type, want,
						  sizeof(want)));
	}
	if (!(map = map_find(s, m)))
		return lib_error_set(s->err, ENOMEM, -1, "out of memory");
	if (m->nkid == 1)
		r = type_copy(&key, &m->kid[0]->type);
	else if (m->nkid > 1)
		r = t_tuple(&key, m->kid, m->nkid);
	if (r < 0)
		goto out;
	if (map->key.kind == BT_T_NONE && map->value.kind == BT_T_NONE &&
	    key.kind != BT_T_NONE) {
		type_free(&map->key);
		r = type_copy(&map->key, &key);
	} else if (!t_agree(&map->key, &key)) {
		key_names(&key, got, sizeof(got));
		key_names(&map->key, want, sizeof(want));
		r = sema_err(s, m->loc,
			     "Argument mismatch for @%s: trying to access with "
			     "arguments: [%s] when map expects arguments: [%s]",
			     m->name, got, want);
	} else {
		widen(&map->key, &key);
	}
	if (r == 0 && need_value && map->value.kind == BT_T_NONE && s->quiet)
		goto out; /* not known yet: NONE, the next pass may know */
	if (r == 0 && need_value && map->value.kind == BT_T_NONE)
		r = sema_err(s, m->loc, "Undefined map: @%s", m->name);
	if (r == 0 && need_value && map->value.kind >= BT_T_COUNT)
		r = sema_err(s, m->loc,
			     "reading a %s() map's value in an expression is "
			     "not supported yet",
			     type_name(&map->value, want, sizeof(want)));
	if (r == 0 && need_value)
		r = type_copy(&m->type, &map->value);
out:
	type_free(&key);
	return r;
}

static int var_find(struct sema *s, const char *name)
{
	for (int i = 0; i < s->b->nvars; i++)
		if (!strcmp(s->b->var_names[i], name))
			return i;
	return -1;
}

static int var_add(struct sema *s, struct bt_node *v, const struct bt_type *t)
{
	struct bt_block *b = s->b;
	char **names =
		realloc(b->var_names, sizeof(*names) * (size_t)(b->nvars + 1));
	struct bt_type *types;

	if (!names)
		return -ENOMEM;
	b->var_names = names;
	types = realloc(b->var_types, sizeof(*types) * (size_t)(b->nvars + 1));
	if (!types)
		return -ENOMEM;
	b->var_types = types;
	if (!(names[b->nvars] = strdup(v->name)))
		return -ENOMEM;
	if (type_copy(&types[b->nvars], t) < 0) {
		free(names[b->nvars]);
		return -ENOMEM;
	}
	v->id = b->nvars++;
	return 0;
}

static int var_read(struct sema *s, struct bt_node *n)
{
	n->id = var_find(s, n->name);
	if (n->id < 0)
		return sema_err(s, n->loc,
				"Undefined or undeclared variable: $%s",
				n->name);
	return type_copy(&n->type, &s->b->var_types[n->id]);
}

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
		if ((r = var_read(s, k)) < 0)
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
		if (a->kind == BT_T_PTR && t_agree(a, b) && a->isize == b->isize)
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
	widen(&n->type, b);
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
		return var_read(s, n);
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

static int assign_var(struct sema *s, struct bt_node *n)
{
	struct bt_node *v = n->kid[0], *e = n->kid[1];
	char a[64], b[64];
	int r, id = var_find(s, v->name);

	if (n->op != '=') {
		if ((r = var_read(s, v)) < 0)
			return r;
		if (!t_intlike(&v->type) || !t_intlike(&e->type))
			return sema_err(s, n->loc,
					"Type mismatch for $%s: compound "
					"assignment needs integers",
					v->name);
		return 0;
	}
	if (e->type.kind == BT_T_NONE && e->kind == BT_N_CALL)
		return sema_err(
			s, e->loc,
			"%s() should not be used in an assignment or as "
			"a map key",
			e->name);
	if (e->type.kind == BT_T_NONE)
		return sema_err(
			s, e->loc,
			"Value 'none' cannot be assigned to a variable.");
	if (id < 0)
		r = var_add(s, v, &e->type);
	else if (!t_agree(&s->b->var_types[id], &e->type))
		return sema_err(
			s, n->loc,
			"Type mismatch for $%s: trying to assign value of "
			"type '%s' when variable already contains a value "
			"of type '%s'",
			v->name, type_name(&e->type, a, sizeof(a)),
			type_name(&s->b->var_types[id], b, sizeof(b)));
	else
		widen(&s->b->var_types[v->id = id], &e->type), r = 0;
	if (r < 0)
		return r;
	type_free(&v->type);
	return type_copy(&v->type, &s->b->var_types[v->id]);
}

static int assign_map(struct sema *s, struct bt_node *n)
{
	struct bt_node *m = n->kid[0], *e = n->kid[1];
	struct bt_type t = {.kind = BT_T_NONE};
	struct bt_map *map;
	char a[64], b[64];
	int r;

	if ((r = sema_map(s, m, false)) < 0)
		return r;
	if (n->op == '=' && sema_is_agg(e))
		r = sema_agg(s, e, &t);
	else if ((r = sema_expr(s, e)) == 0)
		r = type_copy(&t, &e->type);
	if (r < 0)
		goto out;
	map = &s->p->maps[m->id];
	if (t.kind == BT_T_NONE && e->kind == BT_N_CALL) {
		r = sema_err(s, e->loc,
			     "%s() should not be used in an assignment or as a "
			     "map key",
			     e->name);
	} else if (t.kind == BT_T_NONE) {
		r = sema_err(s, e->loc,
			     "Value 'none' cannot be assigned to a map.");
	} else if (n->op != '=' && !t_intlike(&t)) {
		r = sema_err(s, n->loc, "compound assignment needs an integer");
	} else if (n->op != '=' && t_intlike(&map->value)) {
		r = 0; /* @p += n: the map keeps its type (a pointer stays
			* one, bt_gen scales n) */
	} else if (map->value.kind == BT_T_NONE) {
		r = type_copy(&map->value, &t);
	} else if (!t_agree(&map->value, &t)) {
		/* bpftrace 0.17's message, its missing closing quote too */
		r = sema_err(s, m->loc,
			     "Type mismatch for @%s: trying to assign value of "
			     "type '%s' when map already contains a value of "
			     "type '%s",
			     m->name, type_name(&t, a, sizeof(a)),
			     type_name(&map->value, b, sizeof(b)));
	} else {
		widen(&map->value, &t);
	}
	if (r == 0) {
		type_free(&m->type); /* a type from an earlier pass */
		r = type_copy(&m->type, &map->value);
	}
out:
	type_free(&t);
	return r;
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
			return assign_map(s, n);
		if (sema_is_agg(n->kid[1]))
			return sema_err(
				s, n->kid[1]->loc,
				"%s() should be directly assigned to a map",
				n->kid[1]->name);
		if ((r = sema_expr(s, n->kid[1])) < 0)
			return r;
		return assign_var(s, n);
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
