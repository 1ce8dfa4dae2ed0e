// SPDX-License-Identifier: MIT
/*
 * bpftrace's language, tokens -> tree, by recursive descent (bpftrace
 * 0.17's parser.yy): blocks of probes with an optional /predicate/,
 * statements (assignments, if/else, unroll, while, return, calls). The
 * expressions (C's operator precedence, casts, tuples, map keys) are in
 * parse_expr.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "parse_int.h"

int parse_advance(struct parser *ps, bool probe)
{
	free(ps->tk.str);
	if (lex_next(&ps->lx, &ps->tk, probe) < 0) {
		ps->failed = true;
		return -EINVAL;
	}
	return 0;
}

bool parse_is(const struct parser *ps, int op)
{
	return ps->tk.t == T_PUNCT && ps->tk.op == op;
}

static bool is_word(const struct parser *ps, const char *w)
{
	return ps->tk.t == T_IDENT && !strcmp(ps->tk.str, w);
}

void *parse_fail_at(struct parser *ps, struct bt_loc loc, const char *fmt,
		    const char *a)
{
	if (!ps->failed)
		bt_error(ps->err, ps->p->text, ps->p->filename, loc, fmt, a);
	ps->failed = true;
	return NULL;
}

/* "syntax error, unexpected X[, expecting Y]" at the current token. */
void *parse_unexpected(struct parser *ps, const char *expecting)
{
	char buf[16], msg[128];

	snprintf(msg, sizeof(msg), "syntax error, unexpected %s%s%s",
		 tok_name(&ps->tk, buf, sizeof(buf)),
		 expecting ? ", expecting " : "", expecting ? expecting : "");
	return parse_fail_at(ps, ps->tk.loc, "%s", msg);
}

int parse_expect(struct parser *ps, int op, const char *name)
{
	if (ps->failed)
		return -EINVAL;
	if (!parse_is(ps, op)) {
		parse_unexpected(ps, name);
		return -EINVAL;
	}
	return parse_advance(ps, false);
}

struct bt_node *parse_mk(struct parser *ps, enum bt_kind kind,
			 struct bt_loc loc)
{
	struct bt_node *n = node_new(kind, loc);

	if (!n) {
		lib_error_set(ps->err, ENOMEM, -1, "out of memory");
		ps->failed = true;
	}
	return n;
}

/* Add kid to n; on failure (kid NULL or no memory) free n, NULL. */
struct bt_node *parse_add(struct parser *ps, struct bt_node *n,
			  struct bt_node *kid)
{
	if (!n || !kid || node_add(n, kid) < 0) {
		if (kid && n)
			node_free(kid);
		node_free(n);
		ps->failed = true;
		return NULL;
	}
	return n;
}

/* Take the current token's string (for a node's name). */
char *parse_take(struct parser *ps)
{
	char *s = ps->tk.str;

	ps->tk.str = NULL;
	return s;
}

static struct bt_node *block(struct parser *ps, bool top);

/* if (cond) { } [else if ... | else { }] */
static struct bt_node *if_stmt(struct parser *ps)
{
	struct bt_node *n = parse_mk(ps, BT_N_IF, ps->tk.loc);

	if (!n || parse_advance(ps, false) < 0 ||
	    parse_expect(ps, '(', "(") < 0)
		goto fail;
	ps->parens++;
	n = parse_add(ps, n, parse_expr(ps));
	ps->parens--;
	if (!n || parse_expect(ps, ')', ")") < 0 ||
	    !(n->body = block(ps, false)))
		goto fail;
	if (!is_word(ps, "else"))
		return n;
	if (parse_advance(ps, false) < 0)
		goto fail;
	n->orelse = is_word(ps, "if") ? if_stmt(ps) : block(ps, false);
	if (!n->orelse)
		goto fail;
	return n;
fail:
	node_free(n);
	return NULL;
}

/* unroll (N) { } and while (cond) { } */
static struct bt_node *loop_stmt(struct parser *ps, enum bt_kind kind)
{
	struct bt_node *n = parse_mk(ps, kind, ps->tk.loc);

	if (!n || parse_advance(ps, false) < 0 ||
	    parse_expect(ps, '(', "(") < 0)
		goto fail;
	if (kind == BT_N_UNROLL) {
		if (ps->tk.t != T_INT && ps->tk.t != T_PARAM) {
			parse_unexpected(ps, "integer");
			goto fail;
		}
		n->num = ps->tk.num;
		/* unroll ($1): the count is the parameter's (sema.c) */
		if (ps->tk.t == T_PARAM &&
		    !(n = parse_add(ps, n,
				    parse_mk(ps, BT_N_POSPARAM, ps->tk.loc))))
			return NULL;
		if (ps->tk.t == T_PARAM)
			n->kid[0]->num = ps->tk.num;
		if (parse_advance(ps, false) < 0)
			goto fail;
		n->loc = loc_span(n->loc, ps->tk.loc); /* up to ')' */
	} else {
		ps->parens++;
		n = parse_add(ps, n, parse_expr(ps));
		ps->parens--;
		if (!n)
			goto fail;
	}
	if (parse_expect(ps, ')', ")") < 0 || !(n->body = block(ps, false)))
		goto fail;
	return n;
fail:
	node_free(n);
	return NULL;
}

static struct bt_node *stmt(struct parser *ps)
{
	struct bt_node *l, *n;

	if (is_word(ps, "if"))
		return if_stmt(ps);
	if (is_word(ps, "unroll"))
		return loop_stmt(ps, BT_N_UNROLL);
	if (is_word(ps, "while"))
		return loop_stmt(ps, BT_N_WHILE);
	if (is_word(ps, "return")) {
		n = parse_mk(ps, BT_N_RETURN, ps->tk.loc);
		if (!n || parse_advance(ps, false) < 0)
			return node_free(n), NULL;
		if (parse_is(ps, ';') || parse_is(ps, '}'))
			return n;
		return parse_add(ps, n, parse_expr(ps));
	}
	if (is_word(ps, "break") || is_word(ps, "continue") ||
	    is_word(ps, "for"))
		return parse_fail_at(ps, ps->tk.loc,
				     "'%s' is not supported yet", ps->tk.str);
	if (!(l = parse_expr(ps)))
		return NULL;
	if (ps->tk.t == T_PUNCT &&
	    (ps->tk.op == '=' ||
	     (ps->tk.op > TK_ASSIGN_BASE && ps->tk.op < TK_INC))) {
		n = parse_mk(ps, BT_N_ASSIGN, ps->tk.loc);
		if (n)
			n->op = ps->tk.op == '=' ? '='
						 : ps->tk.op - TK_ASSIGN_BASE;
		if (l->kind != BT_N_MAP && l->kind != BT_N_VAR) {
			parse_fail_at(ps, ps->tk.loc, "%s",
				      "syntax error, unexpected =");
			node_free(n);
			node_free(l);
			return NULL;
		}
		if (!(n = parse_add(ps, n, l)) || parse_advance(ps, false) < 0)
			return node_free(n), NULL;
		return parse_add(ps, n, parse_expr(ps));
	}
	n = parse_mk(ps, BT_N_EXPR, l->loc);
	return parse_add(ps, n, l);
}

/* { stmt; ... }, past its '}' (top: the next block's head follows) */
static struct bt_node *block(struct parser *ps, bool top)
{
	struct bt_node *n = parse_mk(ps, BT_N_BLOCK, ps->tk.loc), *s;

	if (!n || parse_expect(ps, '{', "{") < 0)
		goto fail;
	if (++ps->depth > MAX_DEPTH) {
		parse_fail_at(ps, n->loc, "%s", "nesting too deep");
		goto fail;
	}
	while (!ps->failed && !parse_is(ps, '}')) {
		if (parse_is(ps, ';')) {
			if (parse_advance(ps, false) < 0)
				goto fail;
			continue;
		}
		if (ps->tk.t == T_EOF) {
			parse_unexpected(ps, "}");
			goto fail;
		}
		s = stmt(ps);
		if (!(n = parse_add(ps, n, s)))
			goto fail;
		if (s->kind == BT_N_IF || s->kind == BT_N_UNROLL ||
		    s->kind == BT_N_WHILE)
			continue;
		if (!parse_is(ps, ';') && !parse_is(ps, '}')) {
			parse_unexpected(ps, "}");
			goto fail;
		}
	}
	ps->depth--;
	if (ps->failed)
		goto fail;
	n->loc = loc_span(n->loc, ps->tk.loc);
	if (parse_advance(ps, top) < 0)
		goto fail;
	return n;
fail:
	node_free(n);
	return NULL;
}

/* ---- probes ---- */

static int add_probe(struct parser *ps, struct bt_block *b)
{
	struct bt_probe *pr;

	if (ps->tk.t != T_PROBE) {
		/* bpftrace 0.17 (bison) says "expecting {" here */
		parse_unexpected(ps, b->nprobes ? "attach point" : "{");
		return -EINVAL;
	}
	pr = realloc(b->probes, sizeof(*pr) * (size_t)(b->nprobes + 1));
	if (!pr)
		return lib_error_set(ps->err, ENOMEM, -1, "out of memory");
	b->probes = pr;
	pr = &pr[b->nprobes++];
	memset(pr, 0, sizeof(*pr));
	pr->loc = ps->tk.loc;
	pr->spec = parse_take(ps);
	if (bt_probe_subst(pr, ps->params, ps->nparams, ps->err, ps->p->text,
			   ps->p->filename) < 0 ||
	    bt_probe_classify(pr, ps->err, ps->p->text, ps->p->filename) < 0) {
		ps->failed = true;
		return -EINVAL;
	}
	return parse_advance(ps, true);
}

static int parse_block(struct parser *ps, struct bt_block *b)
{
	b->loc = ps->tk.loc;
	if (add_probe(ps, b) < 0)
		return -EINVAL;
	while (parse_is(ps, ',')) {
		if (parse_advance(ps, true) < 0 || add_probe(ps, b) < 0)
			return -EINVAL;
	}
	if (ps->tk.t == T_EOF && b->nprobes) {
		parse_fail_at(ps, b->loc, "%s",
			      "unexpected end of file, expected {");
		return -EINVAL;
	}
	if (parse_is(ps, '/')) {
		if (parse_advance(ps, false) < 0)
			return -EINVAL;
		ps->in_pred = true;
		b->pred = parse_expr(ps);
		ps->in_pred = false;
		if (!b->pred || parse_expect(ps, '/', "/") < 0)
			return -EINVAL;
	}
	b->body = block(ps, true);
	return b->body ? 0 : -EINVAL;
}

struct bt_program *bt_parse(const char *text, const char *filename,
			    struct lib_error *err)
{
	return bt_parse_params(text, filename, NULL, 0, err);
}

struct bt_program *bt_parse_params(const char *text, const char *filename,
				   char *const *params, int nparams,
				   struct lib_error *err)
{
	struct parser ps = {.err = err, .params = params, .nparams = nparams};
	struct bt_program *p = calloc(1, sizeof(*p));

	if (!p || !(p->text = strdup(text)) ||
	    !(p->filename = strdup(filename ? filename : "stdin"))) {
		lib_error_set(err, ENOMEM, -1, "out of memory");
		bt_program_free(p);
		return NULL;
	}
	ps.p = p;
	lex_init(&ps.lx, p->text, p->filename, err);
	if (parse_advance(&ps, true) < 0)
		goto fail;
	while (ps.tk.t != T_EOF) {
		struct bt_block *b;

		if (ps.tk.t == T_PROBE && (!strcmp(ps.tk.str, "struct") ||
					   !strcmp(ps.tk.str, "union"))) {
			parse_fail_at(
				&ps, ps.tk.loc, "%s",
				"struct definitions are not supported yet");
			goto fail;
		}
		b = realloc(p->blocks, sizeof(*b) * (size_t)(p->nblocks + 1));
		if (!b) {
			lib_error_set(err, ENOMEM, -1, "out of memory");
			goto fail;
		}
		p->blocks = b;
		b = &b[p->nblocks++];
		memset(b, 0, sizeof(*b));
		if (parse_block(&ps, b) < 0)
			goto fail;
	}
	if (!p->nblocks) {
		parse_fail_at(&ps, ps.tk.loc, "%s", "no probes in the program");
		goto fail;
	}
	free(ps.tk.str);
	return p;
fail:
	free(ps.tk.str);
	bt_program_free(p);
	return NULL;
}
