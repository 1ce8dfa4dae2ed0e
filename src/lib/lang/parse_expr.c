// SPDX-License-Identifier: MIT
/*
 * bpftrace's language, tokens -> an expression's tree, by recursive
 * descent with C's operator precedence (bpftrace 0.17's parser.yy):
 * literals, variables, maps and their keys, calls, fields, tuples, casts,
 * unary, binary and ternary operators. Apart from parse.c's statements
 * and probes: the one part of the grammar with precedence.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "parse_int.h"

static struct bt_node *unary(struct parser *ps);

/* expr, expr, ... up to `close` (consumed) as kids of n */
static struct bt_node *list(struct parser *ps, struct bt_node *n, int close,
			    const char *closing)
{
	ps->parens++;
	while (n && !parse_is(ps, close)) {
		n = parse_add(ps, n, parse_expr(ps));
		if (n && !parse_is(ps, close) &&
		    parse_expect(ps, ',', closing) < 0) {
			node_free(n);
			n = NULL;
		}
	}
	ps->parens--;
	if (n) {
		n->loc = loc_span(n->loc, ps->tk.loc);
		if (parse_advance(ps, false) < 0) {
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
		if ((n = parse_mk(ps, BT_N_INT, tk->loc)))
			n->num = tk->num;
		break;
	case T_STR:
		if ((n = parse_mk(ps, BT_N_STR, tk->loc))) {
			n->num = tk->slen;
			n->name = parse_take(ps);
		}
		break;
	case T_PARAM:
		if ((n = parse_mk(ps, BT_N_POSPARAM, tk->loc)))
			n->num = tk->num;
		break;
	case T_VAR:
		if ((n = parse_mk(ps, BT_N_VAR, tk->loc)))
			n->name = parse_take(ps);
		break;
	case T_MAP:
		if (!(n = parse_mk(ps, BT_N_MAP, tk->loc)))
			break;
		n->name = parse_take(ps);
		if (parse_advance(ps, false) < 0)
			goto fail;
		if (parse_is(ps, '[')) {
			if (parse_advance(ps, false) < 0)
				goto fail;
			if (parse_is(ps, ']'))
				return parse_unexpected(ps, NULL), node_free(n),
				       NULL;
			return list(ps, n, ']', "]");
		}
		return n;
	case T_IDENT:
		if (!(n = parse_mk(ps, BT_N_BUILTIN, tk->loc)))
			break;
		n->name = parse_take(ps);
		if (parse_advance(ps, false) < 0)
			goto fail;
		if (!parse_is(ps, '('))
			return n;
		n->kind = BT_N_CALL;
		if (parse_advance(ps, false) < 0)
			goto fail;
		return list(ps, n, ')', ")");
	case T_PUNCT:
		if (tk->op != '(')
			return parse_unexpected(ps, NULL);
		if (!(n = parse_mk(ps, BT_N_TUPLE, tk->loc)) ||
		    parse_advance(ps, false) < 0)
			goto fail;
		n = list(ps, n, ')', ")");
		if (n && n->nkid == 1) { /* (expr) */
			struct bt_node *k = n->kid[0];

			n->nkid = 0;
			node_free(n);
			return k;
		}
		if (n && n->nkid == 0)
			return parse_fail_at(ps, n->loc, "%s",
					     "syntax error, unexpected )"),
			       node_free(n), NULL;
		return n;
	default:
		return parse_unexpected(ps, NULL);
	}
	if (n && parse_advance(ps, false) == 0)
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

		if (parse_is(ps, '.') || parse_is(ps, BT_OP_ARROW)) {
			int op = ps->tk.op;

			if (parse_advance(ps, false) < 0)
				break;
			if (op == '.' && ps->tk.t == T_INT) {
				m = parse_mk(ps, BT_N_TUPLE_GET,
					     loc_span(n->loc, ps->tk.loc));
				if (m)
					m->num = ps->tk.num;
			} else if (ps->tk.t == T_IDENT) {
				m = parse_mk(ps, BT_N_FIELD,
					     loc_span(n->loc, ps->tk.loc));
				if (m) {
					m->op = op;
					m->name = parse_take(ps);
				}
			} else {
				parse_unexpected(ps, "identifier");
				break;
			}
			if (!(n = parse_add(ps, m, n)) ||
			    parse_advance(ps, false) < 0)
				break;
		} else if (parse_is(ps, '[')) {
			if (parse_advance(ps, false) < 0)
				break;
			m = parse_add(ps, parse_mk(ps, BT_N_INDEX, n->loc), n);
			n = m ? parse_add(ps, m, parse_expr(ps)) : NULL;
			if (!n)
				return NULL;
			n->loc = loc_span(n->loc, ps->tk.loc);
			if (parse_expect(ps, ']', "]") < 0)
				break;
		} else if (parse_is(ps, TK_INC) || parse_is(ps, TK_DEC)) {
			m = parse_mk(ps, BT_N_UNOP, loc_span(n->loc, at));
			if (m)
				m->op = parse_is(ps, TK_INC) ? BT_OP_POSTINC
							     : BT_OP_POSTDEC;
			if (!(n = parse_add(ps, m, n)) ||
			    parse_advance(ps, false) < 0)
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
	struct bt_node *n = parse_mk(ps, BT_N_CAST, ps->tk.loc);
	char name[256] = "";
	size_t k = 0;

	if (!n || parse_advance(ps, false) < 0)
		goto fail;
	while (ps->tk.t == T_IDENT || parse_is(ps, '*')) {
		const char *w = ps->tk.t == T_IDENT ? ps->tk.str : "*";

		k += (size_t)snprintf(name + k, sizeof(name) - k, "%s%s",
				      k && *w != '*' ? " " : (k ? " " : ""), w);
		if (k >= sizeof(name) || parse_advance(ps, false) < 0)
			goto fail;
	}
	if (parse_expect(ps, ')', ")") < 0)
		goto fail;
	n->name = strdup(name);
	if (!n->name)
		goto fail;
	n = parse_add(ps, n, unary(ps));
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
		return parse_fail_at(ps, ps->tk.loc, "%s", "nesting too deep");
	}
	if (parse_is(ps, '(')) {
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
	} else if (parse_is(ps, TK_INC) || parse_is(ps, TK_DEC)) {
		op = parse_is(ps, TK_INC) ? BT_OP_PREINC : BT_OP_PREDEC;
		goto op;
	} else {
		n = postfix(ps);
	}
	ps->depth--;
	return n;
op:
	n = parse_mk(ps, BT_N_UNOP, ps->tk.loc);
	if (n)
		n->op = op;
	if (!n || parse_advance(ps, false) < 0) {
		node_free(n);
		n = NULL;
	} else {
		n = parse_add(ps, n, unary(ps));
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
		n = parse_mk(ps, BT_N_BINOP, l->loc);
		if (!n)
			break;
		n->op = ps->tk.op;
		n = parse_add(ps, n, l);
		if (!n || parse_advance(ps, false) < 0) {
			node_free(n);
			return NULL;
		}
		l = n;
		n = parse_add(ps, n, binary(ps, lv + 1));
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

struct bt_node *parse_expr(struct parser *ps)
{
	struct bt_node *c = binary(ps, 0), *n;

	if (!c || !parse_is(ps, '?'))
		return c;
	n = parse_add(ps, parse_mk(ps, BT_N_TERNARY, c->loc), c);
	if (!n || parse_advance(ps, false) < 0)
		goto fail;
	ps->parens++;
	n = parse_add(ps, n, parse_expr(ps));
	ps->parens--;
	if (!n || parse_expect(ps, ':', ":") < 0)
		goto fail;
	n = parse_add(ps, n, parse_expr(ps));
	if (n)
		n->loc = loc_span(n->loc, n->kid[2]->loc);
	return n;
fail:
	node_free(n);
	return NULL;
}
