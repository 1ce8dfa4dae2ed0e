// SPDX-License-Identifier: MIT
/*
 * bpftrace's args: a tracepoint's fields and a uprobe's parameters by
 * name (args.n, args->n; the runtime finds them, bt_probe_info_fn), and
 * args alone, the record of all of them, printed as newer bpftrace prints
 * it ("{ .n = 0x7ffd..., .c = 120 }"; 0.17 has no such value). The record
 * is the tuple of its fields, so maps, keys, tuples and the code
 * generator take it as any tuple; its member names ride in its type.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lang_int.h"

/* the probes' kinds where args means a function's parameters */
static bool in_uretprobe(const struct bt_block *b)
{
	for (int i = 0; i < b->nprobes; i++)
		if (b->probes[i].kind == BT_P_URETPROBE)
			return true;
	return false;
}

static int no_args_here(struct sema *s, struct bt_node *n)
{
	if (in_uretprobe(s->b))
		return sema_err(s, n->loc,
				"args is not available in a uretprobe: the "
				"parameters are read where the function "
				"starts (use uprobe)");
	if (!s->info)
		return sema_err(s, n->loc,
				"args: the probe's fields are not known here");
	return 0;
}

/* The runtime's fields of probe i; its error put at n */
static int fields_of(struct sema *s, struct bt_node *n, int i,
		     const struct bt_field **f, int *nf)
{
	int r;

	*f = NULL;
	*nf = 0;
	r = s->info(s->ctx, s->b, &s->b->probes[i], f, nf, s->err);
	if (r < 0 && s->err && !strchr(s->err->msg, '\n')) {
		char msg[LIB_ERROR_MSG];

		memcpy(msg, s->err->msg, sizeof(msg));
		return sema_err(s, n->loc, "%s", msg);
	}
	return r;
}

/* x.name on a record: its member, as t.N is a tuple's element */
static int member(struct sema *s, struct bt_node *n, struct bt_loc at)
{
	const struct bt_type *t = &n->kid[0]->type;
	char a[64];

	for (int i = 0; t->kind == BT_T_TUPLE && t->names && i < t->ntup; i++)
		if (!strcmp(t->names[i], n->name)) {
			n->kind = BT_N_TUPLE_GET;
			n->num = (uint64_t)i;
			return type_copy(&n->type, &t->tup[i]);
		}
	if (t->kind == BT_T_TUPLE && t->names)
		return sema_err(s, n->loc,
				"the record has no member named '%s'", n->name);
	return sema_err(s, at,
			"Can not access field '%s' on expression of type '%s'",
			n->name, type_name(t, a, sizeof(a)));
}

int sema_field(struct sema *s, struct bt_node *n)
{
	struct bt_node *base = n->kid[0];
	struct bt_loc at = n->loc; /* bpftrace blames "$a." */
	int r;

	if (base->kind != BT_N_BUILTIN || strcmp(base->name, "args")) {
		if ((r = sema_expr(s, base)) < 0)
			return r;
		at.len -= at.len > (int)strlen(n->name) ? (int)strlen(n->name)
							: 0;
		return member(s, n, at);
	}
	if ((r = no_args_here(s, n)) < 0)
		return r;
	for (int i = 0; i < s->b->nprobes; i++) {
		const struct bt_probe *pr = &s->b->probes[i];
		const struct bt_field *f;
		int nf, j;
		int64_t off;

		if ((r = fields_of(s, n, i, &f, &nf)) < 0)
			return r;
		for (j = 0; j < nf && strcmp(f[j].name, n->name); j++)
			;
		if (j == nf)
			return sema_err(
				s, n->loc,
				"%s has no argument or field named '%s'",
				pr->spec, n->name);
		if (f[j].type.kind == BT_T_NONE)
			return sema_err(s, n->loc, "%s",
					f[j].why
						? f[j].why
						: "this field is not read yet");
		off = f[j].data_loc || pr->kind == BT_P_TRACEPOINT
			      ? (int64_t)f[j].offset
			      : f[j].arg;
		if (i && (n->off != off || !t_agree(&n->type, &f[j].type)))
			return sema_err(
				s, n->loc,
				"args->%s differs between the probes of "
				"this block, which is not supported yet",
				n->name);
		if (i)
			continue;
		n->off = off;
		n->data_loc = f[j].data_loc;
		if (type_copy(&n->type, &f[j].type) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* args alone becomes (args.a, args.b, ...), a TUPLE named "args" */
int sema_args(struct sema *s, struct bt_node *n)
{
	const struct bt_field *f;
	struct bt_node *k, *b;
	int nf, r;

	if ((r = no_args_here(s, n)) < 0)
		return r;
	for (int i = 0; i < s->b->nprobes; i++)
		if (s->b->probes[i].kind != BT_P_UPROBE)
			return sema_err(s, n->loc,
					"args as a whole is read in uprobes "
					"only (a field: args.name)");
	if ((r = fields_of(s, n, 0, &f, &nf)) < 0)
		return r;
	if (!nf)
		return sema_err(s, n->loc, "%s has no parameters to read",
				s->b->probes[0].spec);
	n->kind = BT_N_TUPLE;
	for (int i = 0; i < nf; i++) {
		k = node_new(BT_N_FIELD, n->loc);
		b = node_new(BT_N_BUILTIN, n->loc);
		if (!k || !b || !(k->name = strdup(f[i].name)) ||
		    !(b->name = strdup("args")) || node_add(k, b) < 0 ||
		    (b = NULL, node_add(n, k) < 0)) {
			node_free(k);
			node_free(b);
			return -ENOMEM;
		}
		k->op = '.';
	}
	return sema_expr(s, n);
}

int sema_record(struct sema *s, struct bt_node *n)
{
	const char **names = calloc((size_t)n->nkid + 1, sizeof(*names));
	int r;

	(void)s;
	if (!names)
		return -ENOMEM;
	for (int i = 0; i < n->nkid; i++)
		names[i] = n->kid[i]->name;
	r = type_set_names(&n->type, names);
	free(names);
	return r;
}
