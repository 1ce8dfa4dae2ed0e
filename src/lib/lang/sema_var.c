// SPDX-License-Identifier: MIT
/*
 * bpftrace's language: maps and scratch variables. Each gets its slot
 * (a map in the program, a variable in its block) and its type, fixed by
 * its first assignment; later assignments and reads must agree (bpftrace
 * 0.17's messages). Apart from the expressions: this is the checker's
 * state across a program, not the typing of one node.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lang_int.h"

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
		t_widen(&map->key, &key);
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

int sema_var_read(struct sema *s, struct bt_node *n)
{
	n->id = var_find(s, n->name);
	if (n->id < 0)
		return sema_err(s, n->loc,
				"Undefined or undeclared variable: $%s",
				n->name);
	return type_copy(&n->type, &s->b->var_types[n->id]);
}

int sema_var_assign(struct sema *s, struct bt_node *n)
{
	struct bt_node *v = n->kid[0], *e = n->kid[1];
	char a[64], b[64];
	int r, id = var_find(s, v->name);

	if (n->op != '=') {
		if ((r = sema_var_read(s, v)) < 0)
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
		t_widen(&s->b->var_types[v->id = id], &e->type), r = 0;
	if (r < 0)
		return r;
	type_free(&v->type);
	return type_copy(&v->type, &s->b->var_types[v->id]);
}

int sema_map_assign(struct sema *s, struct bt_node *n)
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
		t_widen(&map->value, &t);
	}
	if (r == 0) {
		type_free(&m->type); /* a type from an earlier pass */
		r = type_copy(&m->type, &map->value);
	}
out:
	type_free(&t);
	return r;
}
