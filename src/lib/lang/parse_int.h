/* SPDX-License-Identifier: MIT */
/*
 * What parse.c and parse_expr.c share: the parser's state over one
 * program and the token helpers both descend with.
 */
#ifndef SONDE_LANG_PARSE_INT_H
#define SONDE_LANG_PARSE_INT_H

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

/* The next token (probe: a probe's text); -EINVAL when the lexer fails */
int parse_advance(struct parser *ps, bool probe);
/* Is the current token the punctuation op? */
bool parse_is(const struct parser *ps, int op);
/* The first error at loc (later ones are the first's consequences); NULL */
void *parse_fail_at(struct parser *ps, struct bt_loc loc, const char *fmt,
		    const char *a);
/* "syntax error, unexpected X[, expecting Y]" at the current token */
void *parse_unexpected(struct parser *ps, const char *expecting);
/* The current token must be op (name in the message): past it, or -EINVAL */
int parse_expect(struct parser *ps, int op, const char *name);
/* A node (no memory: the error set, NULL) */
struct bt_node *parse_mk(struct parser *ps, enum bt_kind kind,
			 struct bt_loc loc);
/* kid added to n; on a failure (kid NULL, no memory) n freed, NULL */
struct bt_node *parse_add(struct parser *ps, struct bt_node *n,
			  struct bt_node *kid);
/* The current token's string, now the caller's (a node's name) */
char *parse_take(struct parser *ps);

/* parse_expr.c: an expression, with C's precedence; NULL on an error */
struct bt_node *parse_expr(struct parser *ps);

#endif
