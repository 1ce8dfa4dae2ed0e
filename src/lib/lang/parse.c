// SPDX-License-Identifier: MIT
/*
 * bpftrace's language, tokens -> tree, by recursive descent with C's
 * operator precedence (bpftrace 0.17's parser.yy): blocks of probes with
 * an optional /predicate/, statements (assignments, if/else, unroll,
 * while, return, calls), expressions, casts, tuples, map keys.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lang_int.h"

#define MAX_DEPTH 200

struct parser {
	struct lexer lx;
	struct token tk;
	struct bt_program *p;
	struct lib_error *err;
	int depth;
	bool in_pred; /* '/' followed by '{' ends the predicate */
	int parens;
	bool failed;
	char *const *params; /* $1..$N, for the probes' text */
	int nparams;
};

static int advance(struct parser *ps, bool probe)
{
	free(ps->tk.str);
	if (lex_next(&ps->lx, &ps->tk, probe) < 0) {
		ps->failed = true;
		return -EINVAL;
	}
	return 0;
}

static bool is(const struct parser *ps, int op)
{
	return ps->tk.t == T_PUNCT && ps->tk.op == op;
}

static bool is_word(const struct parser *ps, const char *w)
{
	return ps->tk.t == T_IDENT && !strcmp(ps->tk.str, w);
}

static void *fail_at(struct parser *ps, struct bt_loc loc, const char *fmt,
		     const char *a)
{
	if (!ps->failed)
		bt_error(ps->err, ps->p->text, ps->p->filename, loc, fmt, a);
	ps->failed = true;
	return NULL;
}

/* "syntax error, unexpected X[, expecting Y]" at the current token. */
static void *unexpected(struct parser *ps, const char *expecting)
{
	char buf[16], msg[128];

	snprintf(msg, sizeof(msg), "syntax error, unexpected %s%s%s",
		 tok_name(&ps->tk, buf, sizeof(buf)),
		 expecting ? ", expecting " : "", expecting ? expecting : "");
	return fail_at(ps, ps->tk.loc, "%s", msg);
}

static int expect(struct parser *ps, int op, const char *name)
{
	if (ps->failed)
		return -EINVAL;
	if (!is(ps, op)) {
		unexpected(ps, name);
		return -EINVAL;
	}
	return advance(ps, false);
}

static struct bt_node *mk(struct parser *ps, enum bt_kind kind,
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
static struct bt_node *add(struct parser *ps, struct bt_node *n,
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
static char *take(struct parser *ps)
{
	char *s = ps->tk.str;

	ps->tk.str = NULL;
	return s;
}

static struct bt_node *expr(struct parser *ps);
static struct bt_node *unary(struct parser *ps);

/* expr, expr, ... up to `close` (consumed) as kids of n */
static struct bt_node *list(struct parser *ps, struct bt_node *n, int close,
			    const char *closing)
{
	ps->parens++;
	while (n && !is(ps, close)) {
		n = add(ps, n, expr(ps));
		if (n && !is(ps, close) && expect(ps, ',', closing) < 0) {
			node_free(n);
			n = NULL;
		}
	}
	ps->parens--;
	if (n) {
		n->loc = loc_span(n->loc, ps->tk.loc);
		if (advance(ps, false) < 0) {
			node_free(n);
			return NULL;
		}
	}
	return n;
}

static struct bt_node *primary(struct parser *ps)
{
	struct token *tk = &ps->tk;
	struct bt_node *n = NULL;

	switch (tk->t) {
	case T_INT:
		if ((n = mk(ps, BT_N_INT, tk->loc)))
			n->num = tk->num;
		break;
	case T_STR:
		if ((n = mk(ps, BT_N_STR, tk->loc))) {
			n->num = tk->slen;
			n->name = take(ps);
		}
		break;
	case T_PARAM:
		if ((n = mk(ps, BT_N_POSPARAM, tk->loc)))
			n->num = tk->num;
		break;
	case T_VAR:
		if ((n = mk(ps, BT_N_VAR, tk->loc)))
			n->name = take(ps);
		break;
	case T_MAP:
		if (!(n = mk(ps, BT_N_MAP, tk->loc)))
			break;
		n->name = take(ps);
		if (advance(ps, false) < 0)
			goto fail;
		if (is(ps, '[')) {
			if (advance(ps, false) < 0)
				goto fail;
			if (is(ps, ']'))
				return unexpected(ps, NULL), node_free(n), NULL;
			return list(ps, n, ']', "]");
		}
		return n;
	case T_IDENT:
		if (!(n = mk(ps, BT_N_BUILTIN, tk->loc)))
			break;
		n->name = take(ps);
		if (advance(ps, false) < 0)
			goto fail;
		if (!is(ps, '('))
			return n;
		n->kind = BT_N_CALL;
		if (advance(ps, false) < 0)
			goto fail;
		return list(ps, n, ')', ")");
	case T_PUNCT:
		if (tk->op != '(')
			return unexpected(ps, NULL);
		if (!(n = mk(ps, BT_N_TUPLE, tk->loc)) ||
		    advance(ps, false) < 0)
			goto fail;
		n = list(ps, n, ')', ")");
		if (n && n->nkid == 1) { /* (expr) */
			struct bt_node *k = n->kid[0];

			n->nkid = 0;
			node_free(n);
			return k;
		}
		if (n && n->nkid == 0)
			return fail_at(ps, n->loc, "%s",
				       "syntax error, unexpected )"),
			       node_free(n), NULL;
		return n;
	default:
		return unexpected(ps, NULL);
	}
	if (n && advance(ps, false) == 0)
		return n;
fail:
	node_free(n);
	return NULL;
}

static struct bt_node *postfix(struct parser *ps)
{
	struct bt_node *n = primary(ps), *m;

	while (n && !ps->failed) {
		struct bt_loc at = ps->tk.loc;

		if (is(ps, '.') || is(ps, BT_OP_ARROW)) {
			int op = ps->tk.op;

			if (advance(ps, false) < 0)
				break;
			if (op == '.' && ps->tk.t == T_INT) {
				m = mk(ps, BT_N_TUPLE_GET,
				       loc_span(n->loc, ps->tk.loc));
				if (m)
					m->num = ps->tk.num;
			} else if (ps->tk.t == T_IDENT) {
				m = mk(ps, BT_N_FIELD,
				       loc_span(n->loc, ps->tk.loc));
				if (m) {
					m->op = op;
					m->name = take(ps);
				}
			} else {
				unexpected(ps, "identifier");
				break;
			}
			if (!(n = add(ps, m, n)) || advance(ps, false) < 0)
				break;
		} else if (is(ps, '[')) {
			if (advance(ps, false) < 0)
				break;
			m = add(ps, mk(ps, BT_N_INDEX, n->loc), n);
			n = m ? add(ps, m, expr(ps)) : NULL;
			if (!n)
				return NULL;
			n->loc = loc_span(n->loc, ps->tk.loc);
			if (expect(ps, ']', "]") < 0)
				break;
		} else if (is(ps, TK_INC) || is(ps, TK_DEC)) {
			m = mk(ps, BT_N_UNOP, loc_span(n->loc, at));
			if (m)
				m->op = is(ps, TK_INC) ? BT_OP_POSTINC
						       : BT_OP_POSTDEC;
			if (!(n = add(ps, m, n)) || advance(ps, false) < 0)
				break;
		} else {
			return n;
		}
	}
	node_free(n);
	return NULL;
}

static bool type_word(const char *w)
{
	static const char *const words[] = {
		"int8",	  "int16",  "int32",  "int64", "uint8",	   "uint16",
		"uint32", "uint64", "struct", "union", "unsigned", "signed",
		"char",	  "short",  "int",    "long",  "bool",	   "enum"};

	for (size_t i = 0; i < sizeof(words) / sizeof(*words); i++)
		if (!strcmp(w, words[i]))
			return true;
	return false;
}

/* (type)expr: the current token is '(' followed by a type word. */
static struct bt_node *cast(struct parser *ps)
{
	struct bt_node *n = mk(ps, BT_N_CAST, ps->tk.loc);
	char name[256] = "";
	size_t k = 0;

	if (!n || advance(ps, false) < 0)
		goto fail;
	while (ps->tk.t == T_IDENT || is(ps, '*')) {
		const char *w = ps->tk.t == T_IDENT ? ps->tk.str : "*";

		k += (size_t)snprintf(name + k, sizeof(name) - k, "%s%s",
				      k && *w != '*' ? " " : (k ? " " : ""), w);
		if (k >= sizeof(name) || advance(ps, false) < 0)
			goto fail;
	}
	if (expect(ps, ')', ")") < 0)
		goto fail;
	n->name = strdup(name);
	if (!n->name)
		goto fail;
	n = add(ps, n, unary(ps));
	if (n)
		n->loc = loc_span(n->loc, n->kid[0]->loc);
	return n;
fail:
	ps->failed = true;
	node_free(n);
	return NULL;
}

static struct bt_node *unary(struct parser *ps)
{
	struct bt_node *n;
	int op;

	if (++ps->depth > MAX_DEPTH) {
		ps->depth--;
		return fail_at(ps, ps->tk.loc, "%s", "nesting too deep");
	}
	if (is(ps, '(')) {
		struct lexer save = ps->lx;
		struct token next;
		bool isc = false;

		if (lex_next(&save, &next, false) == 0)
			isc = next.t == T_IDENT && type_word(next.str);
		free(next.str);
		n = isc ? cast(ps) : postfix(ps);
	} else if (ps->tk.t == T_PUNCT &&
		   (strchr("!~-*&", ps->tk.op) && ps->tk.op < 128)) {
		op = ps->tk.op;
		goto op;
	} else if (is(ps, TK_INC) || is(ps, TK_DEC)) {
		op = is(ps, TK_INC) ? BT_OP_PREINC : BT_OP_PREDEC;
		goto op;
	} else {
		n = postfix(ps);
	}
	ps->depth--;
	return n;
op:
	n = mk(ps, BT_N_UNOP, ps->tk.loc);
	if (n)
		n->op = op;
	if (!n || advance(ps, false) < 0) {
		node_free(n);
		n = NULL;
	} else {
		n = add(ps, n, unary(ps));
		if (n)
			n->loc = loc_span(n->loc, n->kid[0]->loc);
	}
	ps->depth--;
	return n;
}

/* Binary operators by level, lowest first (C's precedence). */
static const int levels[][3] = {
	{BT_OP_LOR},
	{BT_OP_LAND},
	{'|'},
	{'^'},
	{'&'},
	{BT_OP_EQ, BT_OP_NE},
	{'<', '>', BT_OP_LE},
	{BT_OP_SHL, BT_OP_SHR},
	{'+', '-'},
	{'*', '/', '%'},
};
#define NLEVELS ((int)(sizeof(levels) / sizeof(*levels)))

static bool at_level(struct parser *ps, int lv)
{
	if (ps->tk.t != T_PUNCT)
		return false;
	if (lv == 6 && ps->tk.op == BT_OP_GE)
		return true;
	for (int i = 0; i < 3; i++)
		if (levels[lv][i] && ps->tk.op == levels[lv][i])
			break;
		else if (i == 2 || !levels[lv][i + 1])
			return false;
	if (ps->tk.op == '/' && ps->in_pred && !ps->parens) {
		/* "/ {" closes the predicate */
		struct lexer save = ps->lx;
		struct token next;
		bool end = lex_next(&save, &next, false) < 0 ||
			   (next.t == T_PUNCT && next.op == '{') ||
			   next.t == T_EOF;

		free(next.str);
		return !end;
	}
	return true;
}

static struct bt_node *binary(struct parser *ps, int lv)
{
	struct bt_node *l, *n;

	if (lv == NLEVELS)
		return unary(ps);
	l = binary(ps, lv + 1);
	while (l && !ps->failed && at_level(ps, lv)) {
		n = mk(ps, BT_N_BINOP, l->loc);
		if (!n)
			break;
		n->op = ps->tk.op;
		n = add(ps, n, l);
		if (!n || advance(ps, false) < 0) {
			node_free(n);
			return NULL;
		}
		l = n;
		n = add(ps, n, binary(ps, lv + 1));
		if (!n)
			return NULL;
		n->loc = loc_span(n->loc, n->kid[1]->loc);
	}
	if (ps->failed) {
		node_free(l);
		return NULL;
	}
	return l;
}

static struct bt_node *expr(struct parser *ps)
{
	struct bt_node *c = binary(ps, 0), *n;

	if (!c || !is(ps, '?'))
		return c;
	n = add(ps, mk(ps, BT_N_TERNARY, c->loc), c);
	if (!n || advance(ps, false) < 0)
		goto fail;
	ps->parens++;
	n = add(ps, n, expr(ps));
	ps->parens--;
	if (!n || expect(ps, ':', ":") < 0)
		goto fail;
	n = add(ps, n, expr(ps));
	if (n)
		n->loc = loc_span(n->loc, n->kid[2]->loc);
	return n;
fail:
	node_free(n);
	return NULL;
}

static struct bt_node *block(struct parser *ps, bool top);

/* if (cond) { } [else if ... | else { }] */
static struct bt_node *if_stmt(struct parser *ps)
{
	struct bt_node *n = mk(ps, BT_N_IF, ps->tk.loc);

	if (!n || advance(ps, false) < 0 || expect(ps, '(', "(") < 0)
		goto fail;
	ps->parens++;
	n = add(ps, n, expr(ps));
	ps->parens--;
	if (!n || expect(ps, ')', ")") < 0 || !(n->body = block(ps, false)))
		goto fail;
	if (!is_word(ps, "else"))
		return n;
	if (advance(ps, false) < 0)
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
	struct bt_node *n = mk(ps, kind, ps->tk.loc);

	if (!n || advance(ps, false) < 0 || expect(ps, '(', "(") < 0)
		goto fail;
	if (kind == BT_N_UNROLL) {
		if (ps->tk.t != T_INT && ps->tk.t != T_PARAM) {
			unexpected(ps, "integer");
			goto fail;
		}
		n->num = ps->tk.num;
		/* unroll ($1): the count is the parameter's (sema.c) */
		if (ps->tk.t == T_PARAM &&
		    !(n = add(ps, n, mk(ps, BT_N_POSPARAM, ps->tk.loc))))
			return NULL;
		if (ps->tk.t == T_PARAM)
			n->kid[0]->num = ps->tk.num;
		if (advance(ps, false) < 0)
			goto fail;
		n->loc = loc_span(n->loc, ps->tk.loc); /* up to ')' */
	} else {
		ps->parens++;
		n = add(ps, n, expr(ps));
		ps->parens--;
		if (!n)
			goto fail;
	}
	if (expect(ps, ')', ")") < 0 || !(n->body = block(ps, false)))
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
		n = mk(ps, BT_N_RETURN, ps->tk.loc);
		if (!n || advance(ps, false) < 0)
			return node_free(n), NULL;
		if (is(ps, ';') || is(ps, '}'))
			return n;
		return add(ps, n, expr(ps));
	}
	if (is_word(ps, "break") || is_word(ps, "continue") ||
	    is_word(ps, "for"))
		return fail_at(ps, ps->tk.loc, "'%s' is not supported yet",
			       ps->tk.str);
	if (!(l = expr(ps)))
		return NULL;
	if (ps->tk.t == T_PUNCT &&
	    (ps->tk.op == '=' ||
	     (ps->tk.op > TK_ASSIGN_BASE && ps->tk.op < TK_INC))) {
		n = mk(ps, BT_N_ASSIGN, ps->tk.loc);
		if (n)
			n->op = ps->tk.op == '=' ? '='
						 : ps->tk.op - TK_ASSIGN_BASE;
		if (l->kind != BT_N_MAP && l->kind != BT_N_VAR) {
			fail_at(ps, ps->tk.loc, "%s",
				"syntax error, unexpected =");
			node_free(n);
			node_free(l);
			return NULL;
		}
		if (!(n = add(ps, n, l)) || advance(ps, false) < 0)
			return node_free(n), NULL;
		return add(ps, n, expr(ps));
	}
	n = mk(ps, BT_N_EXPR, l->loc);
	return add(ps, n, l);
}

/* { stmt; ... }, past its '}' (top: the next block's head follows) */
static struct bt_node *block(struct parser *ps, bool top)
{
	struct bt_node *n = mk(ps, BT_N_BLOCK, ps->tk.loc), *s;

	if (!n || expect(ps, '{', "{") < 0)
		goto fail;
	if (++ps->depth > MAX_DEPTH) {
		fail_at(ps, n->loc, "%s", "nesting too deep");
		goto fail;
	}
	while (!ps->failed && !is(ps, '}')) {
		if (is(ps, ';')) {
			if (advance(ps, false) < 0)
				goto fail;
			continue;
		}
		if (ps->tk.t == T_EOF) {
			unexpected(ps, "}");
			goto fail;
		}
		s = stmt(ps);
		if (!(n = add(ps, n, s)))
			goto fail;
		if (s->kind == BT_N_IF || s->kind == BT_N_UNROLL ||
		    s->kind == BT_N_WHILE)
			continue;
		if (!is(ps, ';') && !is(ps, '}')) {
			unexpected(ps, "}");
			goto fail;
		}
	}
	ps->depth--;
	if (ps->failed)
		goto fail;
	n->loc = loc_span(n->loc, ps->tk.loc);
	if (advance(ps, top) < 0)
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
		unexpected(ps, b->nprobes ? "attach point" : "{");
		return -EINVAL;
	}
	pr = realloc(b->probes, sizeof(*pr) * (size_t)(b->nprobes + 1));
	if (!pr)
		return lib_error_set(ps->err, ENOMEM, -1, "out of memory");
	b->probes = pr;
	pr = &pr[b->nprobes++];
	memset(pr, 0, sizeof(*pr));
	pr->loc = ps->tk.loc;
	pr->spec = take(ps);
	if (bt_probe_subst(pr, ps->params, ps->nparams, ps->err, ps->p->text,
			   ps->p->filename) < 0 ||
	    bt_probe_classify(pr, ps->err, ps->p->text, ps->p->filename) < 0) {
		ps->failed = true;
		return -EINVAL;
	}
	return advance(ps, true);
}

static int parse_block(struct parser *ps, struct bt_block *b)
{
	b->loc = ps->tk.loc;
	if (add_probe(ps, b) < 0)
		return -EINVAL;
	while (is(ps, ',')) {
		if (advance(ps, true) < 0 || add_probe(ps, b) < 0)
			return -EINVAL;
	}
	if (ps->tk.t == T_EOF && b->nprobes) {
		fail_at(ps, b->loc, "%s", "unexpected end of file, expected {");
		return -EINVAL;
	}
	if (is(ps, '/')) {
		if (advance(ps, false) < 0)
			return -EINVAL;
		ps->in_pred = true;
		b->pred = expr(ps);
		ps->in_pred = false;
		if (!b->pred || expect(ps, '/', "/") < 0)
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
	if (advance(&ps, true) < 0)
		goto fail;
	while (ps.tk.t != T_EOF) {
		struct bt_block *b;

		if (ps.tk.t == T_PROBE && (!strcmp(ps.tk.str, "struct") ||
					   !strcmp(ps.tk.str, "union"))) {
			fail_at(&ps, ps.tk.loc, "%s",
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
		fail_at(&ps, ps.tk.loc, "%s", "no probes in the program");
		goto fail;
	}
	free(ps.tk.str);
	return p;
fail:
	free(ps.tk.str);
	bt_program_free(p);
	return NULL;
}
