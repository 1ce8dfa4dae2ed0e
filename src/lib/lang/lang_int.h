/* SPDX-License-Identifier: MIT */
/*
 * What lang/'s files share and nobody else sees: the lexer's tokens, the
 * tree's allocation helpers and the one error helper that writes
 * bpftrace's "stdin:1:9-12: ERROR: ..." line with the source line and the
 * "~~~" under the place blamed.
 */
#ifndef SONDE_LANG_INT_H
#define SONDE_LANG_INT_H

#include <stdarg.h>

#include "bt.h"

enum tok {
	T_EOF,
	T_INT,	 /* num */
	T_STR,	 /* str: unescaped, len in slen */
	T_IDENT, /* str */
	T_VAR,	 /* $name: str without '$' */
	T_PARAM, /* $1..$N (num), $# (num 0) */
	T_MAP,	 /* @name: str without '@' */
	T_PUNCT, /* op: a character, a BT_OP_*, or one of the below */
	T_PROBE, /* a probe's text as written (str) */
	T_ERR,	 /* the lexer failed; err is set */
};

/* T_PUNCT codes that are not in enum bt_op */
#define TK_ASSIGN_BASE 1000 /* TK_ASSIGN_BASE + op: "+=" "<<=" ... */
#define TK_INC 2000	    /* ++ */
#define TK_DEC 2001	    /* -- */

struct token {
	enum tok t;
	int op;
	uint64_t num;
	char *str; /* owned by the token until taken */
	size_t slen;
	struct bt_loc loc;
	int off; /* byte offset in the text */
};

struct lexer {
	const char *text;
	const char *file;
	int pos, line, lstart; /* lstart: offset of the line's first byte */
	struct lib_error *err;
};

void lex_init(struct lexer *lx, const char *text, const char *file,
	      struct lib_error *err);
/* The next token; probe: read a probe's text (at a block's head). */
int lex_next(struct lexer *lx, struct token *tk, bool probe);
/* bpftrace's name of a token for "syntax error, unexpected X". */
const char *tok_name(const struct token *tk, char *buf, size_t len);

/* probe.c: a probe's kind (and period) from its text, or an error */
int bt_probe_classify(struct bt_probe *pr, struct lib_error *err,
		      const char *text, const char *file);
/* probe.c: $1..$N in a probe's text replaced by the parameters' text */
int bt_probe_subst(struct bt_probe *pr, char *const *params, int nparams,
		   struct lib_error *err, const char *text, const char *file);

/* ast.c */
struct bt_node *node_new(enum bt_kind kind, struct bt_loc loc);
int node_add(struct bt_node *n, struct bt_node *kid);
void node_free(struct bt_node *n);
void type_free(struct bt_type *t);
int type_copy(struct bt_type *dst, const struct bt_type *src);
/* A TUPLE's member names (a record): copies of names[0..ntup) */
int type_set_names(struct bt_type *t, const char *const *names);
/* loc spanning a to b (b after a; other lines: a up to its line's end) */
struct bt_loc loc_span(struct bt_loc a, struct bt_loc b);
/* bpftrace's name of a type: "int64", "unsigned int64", "string[2]" */
const char *type_name(const struct bt_type *t, char *buf, size_t len);

/* A warning at loc into p->warnings (bpftrace's WARNING line, the source
 * line, the tildes); 0 or -ENOMEM. */
int bt_warn(struct bt_program *p, struct bt_loc loc, const char *what);
void bt_warnings_free(struct bt_program *p);

/* The error at loc: "FILE:L:C1-C2: ERROR: msg", then the source line
 * and the tildes under loc as more lines. Returns -EINVAL. */
int bt_error(struct lib_error *err, const char *text, const char *file,
	     struct bt_loc loc, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
int bt_verror(struct lib_error *err, const char *text, const char *file,
	      struct bt_loc loc, const char *fmt, va_list ap);

/* sema*.c: the checker's state over one program */
struct sema {
	struct bt_program *p;
	struct bt_block *b; /* the block being checked */
	bt_probe_info_fn info;
	void *ctx;
	struct lib_error *err;
	bool quiet; /* the first pass: maps get their types, errors wait */
};

int sema_err(struct sema *s, struct bt_loc loc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* sema_expr.c: an expression's type (and its kids') */
int sema_expr(struct sema *s, struct bt_node *n);
/* $N (or $#) as an integer, where bpftrace wants a literal (unroll,
 * lhist's bounds); 0 or the error for a parameter that is not a number */
int sema_param_int(struct sema *s, const struct bt_node *n, int64_t *v);
/* sema_var.c: a map node: its id, its keys typed and checked against the
 * map's key type; need_value: the map must have a value type already. */
int sema_map(struct sema *s, struct bt_node *m, bool need_value);
/* $name read: its slot and type, or "Undefined or undeclared variable" */
int sema_var_read(struct sema *s, struct bt_node *n);
/* n an ASSIGN to a variable (its value already checked) or to a map: the
 * slot gets its type, or the type must agree with the one it has */
int sema_var_assign(struct sema *s, struct bt_node *n);
int sema_map_assign(struct sema *s, struct bt_node *n);
/* sema_args.c: x.name: a probe's field or parameter (args.n, args->n),
 * a record's member (@.n with @ = args) */
int sema_field(struct sema *s, struct bt_node *n);
/* args alone: the record of the probe's parameters; n becomes the TUPLE
 * of its fields (named), which the generator builds as any tuple */
int sema_args(struct sema *s, struct bt_node *n);
/* that TUPLE's type gets its member names */
int sema_record(struct sema *s, struct bt_node *n);
/* sema_call.c: a call (print, printf, str, ...): its checks and type. */
int sema_call(struct sema *s, struct bt_node *n);
/* sema_builtin.c: a builtin (pid, comm, retval, arg0, args, ...): its
 * checks against the block's probes and its type */
int sema_builtin(struct sema *s, struct bt_node *n);
/* sema_format.c: printf(fmt, ...), system(), cat(): the format checked
 * against the arguments and kept */
int sema_format_call(struct sema *s, struct bt_node *n);
/* The format fmt of n's arguments kid[first..] into p->formats, its
 * index into n's id; 0 or -ENOMEM. */
int sema_format_add(struct sema *s, struct bt_node *n, const char *fmt,
		    int first);
/* The aggregating functions: true for count, sum, ... hist, lhist */
bool sema_is_agg(const struct bt_node *n);
/* @m = f(...) with f aggregating: the map value type into val */
int sema_agg(struct sema *s, struct bt_node *n, struct bt_type *val);

/* sema_type.c: the types */
struct bt_type t_int(int isize, bool is_signed);
struct bt_type t_str(uint32_t n);
/* kids' types as a TUPLE type (each at an 8-aligned offset) */
int t_tuple(struct bt_type *t, struct bt_node **kids, int n);
bool t_intlike(const struct bt_type *t);
/* signed arithmetic and comparison (a pointer's are unsigned) */
bool t_signed(const struct bt_type *t);
/* Can a value of type b go where a's are (a map's, a variable's)? */
bool t_agree(const struct bt_type *a, const struct bt_type *b);
/* a takes b's room where b is larger (strings, tuples of strings) */
void t_widen(struct bt_type *a, const struct bt_type *b);
/* bpftrace's coarse names in printf's and the ternary's messages */
const char *t_kind_name(const struct bt_type *t);

#endif
