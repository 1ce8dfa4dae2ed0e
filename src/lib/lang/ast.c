// SPDX-License-Identifier: MIT
/*
 * The tree's memory (nodes, types, the program) and its errors: bpftrace
 * 0.17 reports "stdin:1:17-19: ERROR: what" with the source line under it
 * and "~~" under the place blamed; bt_error() writes those three lines
 * into the error carrier, bt_caret() prints the last two.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lang_int.h"

struct bt_node *node_new(enum bt_kind kind, struct bt_loc loc)
{
	struct bt_node *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->kind = kind;
	n->loc = loc;
	n->id = -1;
	return n;
}

int node_add(struct bt_node *n, struct bt_node *kid)
{
	struct bt_node **k =
		realloc(n->kid, sizeof(*k) * (size_t)(n->nkid + 1));

	if (!k)
		return -ENOMEM;
	n->kid = k;
	n->kid[n->nkid++] = kid;
	return 0;
}

void type_free(struct bt_type *t)
{
	if (!t)
		return;
	for (int i = 0; i < t->ntup && t->tup; i++)
		type_free(&t->tup[i]);
	for (int i = 0; i < t->ntup && t->names; i++)
		free(t->names[i]);
	free(t->names);
	free(t->tup);
	t->names = NULL;
	t->tup = NULL;
	t->ntup = 0;
}

int type_copy(struct bt_type *dst, const struct bt_type *src)
{
	*dst = *src;
	dst->tup = NULL;
	dst->names = NULL;
	dst->ntup = 0;
	if (!src->ntup)
		return 0;
	dst->tup = calloc((size_t)src->ntup, sizeof(*dst->tup));
	if (!dst->tup)
		return -ENOMEM;
	dst->ntup = src->ntup;
	for (int i = 0; i < src->ntup; i++)
		if (type_copy(&dst->tup[i], &src->tup[i]) < 0)
			return -ENOMEM;
	return src->names ? type_set_names(dst, (const char *const *)src->names)
			  : 0;
}

int type_set_names(struct bt_type *t, const char *const *names)
{
	t->names = calloc((size_t)(t->ntup ? t->ntup : 1), sizeof(*t->names));
	if (!t->names)
		return -ENOMEM;
	for (int i = 0; i < t->ntup; i++)
		if (!(t->names[i] = strdup(names[i])))
			return -ENOMEM;
	return 0;
}

void node_free(struct bt_node *n)
{
	if (!n)
		return;
	for (int i = 0; i < n->nkid; i++)
		node_free(n->kid[i]);
	free(n->kid);
	node_free(n->body);
	node_free(n->orelse);
	type_free(&n->type);
	free(n->name);
	free(n);
}

void bt_program_free(struct bt_program *p)
{
	if (!p)
		return;
	for (int i = 0; i < p->nblocks; i++) {
		struct bt_block *b = &p->blocks[i];

		for (int j = 0; j < b->nprobes; j++)
			free(b->probes[j].spec);
		free(b->probes);
		node_free(b->pred);
		node_free(b->body);
		for (int j = 0; j < b->nvars; j++) {
			free(b->var_names[j]);
			type_free(&b->var_types[j]);
		}
		free(b->var_names);
		free(b->var_types);
	}
	free(p->blocks);
	for (int i = 0; i < p->nmaps; i++) {
		free(p->maps[i].name);
		type_free(&p->maps[i].key);
		type_free(&p->maps[i].value);
	}
	free(p->maps);
	for (int i = 0; i < p->nformats; i++) {
		free(p->formats[i].fmt);
		type_free(&p->formats[i].args);
	}
	free(p->formats);
	for (int i = 0; i < p->nparams; i++)
		free(p->params[i]);
	free(p->params);
	bt_warnings_free(p);
	free(p->filename);
	free(p->text);
	free(p);
}

struct bt_loc loc_span(struct bt_loc a, struct bt_loc b)
{
	if (b.line == a.line && b.col + b.len > a.col)
		a.len = b.col + b.len - a.col;
	return a;
}

const char *type_name(const struct bt_type *t, char *buf, size_t len)
{
	static const char *const aggs[] = {"count", "sum",   "min",  "max",
					   "avg",   "stats", "hist", "lhist"};

	switch (t->kind) {
	case BT_T_NONE:
		return "none";
	case BT_T_INT:
		snprintf(buf, len, "%sint%d", t->is_signed ? "" : "unsigned ",
			 (t->isize ? t->isize : 8) * 8);
		return buf;
	case BT_T_STR:
		snprintf(buf, len, "string[%u]", t->strsize);
		return buf;
	case BT_T_BUF:
		/* bpftrace counts its length byte: buf(x, 2) is buffer[3] */
		snprintf(buf, len, "buffer[%u]", t->strsize + 1);
		return buf;
	case BT_T_TUPLE: {
		/* a record: "record(n: pointer, c: int8)" */
		size_t n = (size_t)snprintf(buf, len, "%s(",
					    t->names ? "record" : "");
		char one[64];

		for (int i = 0; i < t->ntup && n < len; i++)
			n += (size_t)snprintf(
				buf + n, len - n, "%s%s%s%s",
				i ? (t->names ? ", " : ",") : "",
				t->names ? t->names[i] : "",
				t->names ? ": " : "",
				type_name(&t->tup[i], one, sizeof(one)));
		if (n < len)
			snprintf(buf + n, len - n, ")");
		return buf;
	}
	case BT_T_PTR:
		return "pointer";
	case BT_T_KSYM:
		return "ksym";
	case BT_T_USYM:
		return "usym";
	case BT_T_KADDR:
		return "integer";
	case BT_T_INET:
		return "inet";
	case BT_T_KSTACK:
		return "kstack";
	case BT_T_USTACK:
		return "ustack";
	case BT_T_PROBE:
		return "probe";
	case BT_T_TIMESTAMP:
		return "timestamp";
	default:
		return aggs[t->kind - BT_T_COUNT];
	}
}

/* The line of text that holds line number `line`, and its length. */
static const char *line_of(const char *text, int line, int *len)
{
	const char *s = text;

	for (int l = 1; l < line && s; l++) {
		s = strchr(s, '\n');
		s = s ? s + 1 : NULL;
	}
	if (!s)
		s = "";
	*len = (int)strcspn(s, "\n");
	return s;
}

/* The source line (tabs as spaces, so the tildes stay under it) and the
 * tildes: two lines ending in '\n', into buf. */
static void caret_lines(const char *text, struct bt_loc loc, char *buf,
			size_t size)
{
	int n, col = loc.col, len = loc.len;
	const char *s = line_of(text, loc.line, &n);
	size_t k = 0;

	if (col > n)
		col = n;
	if (col + len > n && len > 0)
		len = n - col > 0 ? n - col : 1;
	for (int i = 0; i < n && k + 2 < size; i++)
		buf[k++] = s[i] == '\t' ? ' ' : s[i];
	buf[k++] = '\n';
	for (int i = 0; i < col + len && k + 2 < size; i++)
		buf[k++] = i < col ? ' ' : '~';
	buf[k++] = '\n';
	buf[k] = '\0';
}

int bt_verror(struct lib_error *err, const char *text, const char *file,
	      struct bt_loc loc, const char *fmt, va_list ap)
{
	char msg[1024], lines[2048];
	int off = 0, n;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	line_of(text, loc.line, &n);
	off = (int)(line_of(text, loc.line, &n) - text) + loc.col;
	lib_error_set(err, EINVAL, off, "%s:%d:%d-%d: ERROR: %s",
		      file ? file : "stdin", loc.line, loc.col + 1,
		      loc.col + 1 + loc.len, msg);
	caret_lines(text, loc, lines, sizeof(lines));
	if (err)
		lib_error_append_lines(err, lines);
	return -EINVAL;
}

int bt_error(struct lib_error *err, const char *text, const char *file,
	     struct bt_loc loc, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = bt_verror(err, text, file, loc, fmt, ap);
	va_end(ap);
	return r;
}

void bt_caret(const struct bt_program *p, struct bt_loc loc, FILE *out)
{
	char lines[4096];

	if (!p || !p->text)
		return;
	caret_lines(p->text, loc, lines, sizeof(lines));
	fputs(lines, out);
}

void bt_warnings_free(struct bt_program *p)
{
	for (int i = 0; i < p->nwarnings; i++)
		free(p->warnings[i]);
	free(p->warnings);
	p->warnings = NULL;
	p->nwarnings = 0;
}

int bt_warn(struct bt_program *p, struct bt_loc loc, const char *what)
{
	char lines[2048], **w;
	size_t n;

	w = realloc(p->warnings, sizeof(*w) * (size_t)(p->nwarnings + 1));
	if (!w)
		return -ENOMEM;
	p->warnings = w;
	caret_lines(p->text, loc, lines, sizeof(lines));
	n = strlen(lines);
	if (n && lines[n - 1] == '\n')
		lines[n - 1] = '\0';
	if (asprintf(&w[p->nwarnings], "%s:%d:%d-%d: WARNING: %s\n%s",
		     p->filename ? p->filename : "stdin", loc.line, loc.col + 1,
		     loc.col + 1 + loc.len, what, lines) < 0)
		return -ENOMEM;
	p->nwarnings++;
	return 0;
}
