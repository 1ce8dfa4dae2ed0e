// SPDX-License-Identifier: MIT
/*
 * bpftrace's language: printf(), system() and cat(): the format checked
 * against its arguments (bpftrace 0.17's printf_format_types and
 * messages), and the formats the program keeps (print's and time's too).
 * Apart from the other functions: a format is a small language of its own.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lang_int.h"

/* printf's directives against the arguments kid[first..]: bpftrace's
 * printf_format_types; returns 0 or the error. */
static int check_format(struct sema *s, struct bt_node *n, const char *fmt,
			int first)
{
	int want = 0, have = n->nkid - first;

	for (const char *c = fmt; *c; c++) {
		const struct bt_type *t;
		char conv;

		if (*c != '%')
			continue;
		if (c[1] == '%') {
			c++;
			continue;
		}
		c++;
		c += strspn(c, "-+ #0");
		c += strspn(c, "0123456789");
		if (*c == '.')
			c += 1 + strspn(c + 1, "0123456789");
		c += strspn(c, "hlzjt");
		conv = *c;
		if (conv == 'g' && c[1] == 'r') /* newer bpftrace */
			return sema_err(s, n->loc,
					"%s: %%gr (GFP flags by name) is not "
					"supported yet",
					n->name);
		if (!conv || !strchr("diuxXocsprk", conv)) {
			if (!conv)
				break;
			continue; /* bpftrace counts only its own */
		}
		if (want++ >= have)
			continue;
		t = &n->kid[first + want - 1]->type;
		if (conv == 's'
			    ? !(t->kind == BT_T_STR || t->kind == BT_T_KSYM ||
				t->kind == BT_T_USYM || t->kind == BT_T_PROBE ||
				t->kind == BT_T_KSTACK ||
				t->kind == BT_T_USTACK ||
				t->kind == BT_T_INET ||
				t->kind == BT_T_TIMESTAMP)
		    : conv == 'r' ? t->kind != BT_T_BUF
				  : !t_intlike(t))
			return sema_err(
				s, n->loc,
				"%s: %%%c specifier expects a value of type "
				"%s (%s supplied)",
				n->name, conv,
				conv == 's'   ? "string"
				: conv == 'r' ? "buffer"
					      : "integer",
				t_kind_name(t));
	}
	if (want > have)
		return sema_err(
			s, n->loc,
			"%s: Not enough arguments for format string (%d "
			"supplied, %d expected)",
			n->name, have, want);
	if (want < have)
		return sema_err(s, n->loc,
				"%s: Too many arguments for format string (%d "
				"supplied, %d expected)",
				n->name, have, want);
	return 0;
}

/* A format into p->formats, its index into the call's id. */
int sema_format_add(struct sema *s, struct bt_node *n, const char *fmt,
		    int first)
{
	struct bt_program *p = s->p;
	struct bt_format *f =
		realloc(p->formats, sizeof(*f) * (size_t)(p->nformats + 1));

	if (!f)
		return -ENOMEM;
	p->formats = f;
	f = &f[p->nformats];
	memset(f, 0, sizeof(*f));
	f->loc = n->loc;
	if (!(f->fmt = strdup(fmt)))
		return -ENOMEM;
	if (t_tuple(&f->args, n->kid + first, n->nkid - first) < 0) {
		free(f->fmt);
		type_free(&f->args);
		return -ENOMEM;
	}
	n->id = p->nformats++;
	return 0;
}

int sema_format_call(struct sema *s, struct bt_node *n)
{
	int r;

	if (!n->nkid)
		return sema_err(s, n->loc,
				"%s() requires at least one argument", n->name);
	for (int i = 1; i < n->nkid; i++) {
		if ((r = sema_expr(s, n->kid[i])) < 0)
			return r;
		if (n->kid[i]->type.kind == BT_T_NONE ||
		    n->kid[i]->type.kind >= BT_T_COUNT)
			return sema_err(
				s, n->kid[i]->loc,
				"%s: this argument has no value to print",
				n->name);
	}
	if (n->kid[0]->kind != BT_N_STR) {
		if ((r = sema_expr(s, n->kid[0])) < 0)
			return r;
		return sema_err(s, n->loc,
				"%s() expects a string literal (%s provided)",
				n->name, t_kind_name(&n->kid[0]->type));
	}
	n->kid[0]->id = -1;
	n->kid[0]->type = t_str((uint32_t)n->kid[0]->num + 1);
	if ((r = check_format(s, n, n->kid[0]->name, 1)) < 0)
		return r;
	return sema_format_add(s, n, n->kid[0]->name, 1);
}
