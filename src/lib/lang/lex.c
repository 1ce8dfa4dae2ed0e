// SPDX-License-Identifier: MIT
/*
 * bpftrace's language, text -> tokens (as bpftrace 0.17's lexer.l cuts
 * them): integers (decimal, hex, 1_000, 1e6), strings with C escapes,
 * $vars, $1 and $#, @maps, identifiers and C's operators. A block's head
 * is read raw (a probe's text holds '/', ':', '*'), and comments, the
 * shebang line and '#include' lines are skipped.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lang_int.h"

void lex_init(struct lexer *lx, const char *text, const char *file,
	      struct lib_error *err)
{
	memset(lx, 0, sizeof(*lx));
	lx->text = text;
	lx->file = file;
	lx->line = 1;
	lx->err = err;
	if (text[0] == '#' && text[1] == '!') /* the shebang line */
		lx->pos = (int)strcspn(text, "\n");
}

static struct bt_loc here(const struct lexer *lx, int start, int len)
{
	struct bt_loc l = {lx->line, start - lx->lstart, len};

	return l;
}

static void newline(struct lexer *lx)
{
	lx->line++;
	lx->lstart = lx->pos + 1;
}

/* Blanks, newlines, comments, '#' lines (#include, #define): 0 or an
 * error for a comment left open. */
static int skip(struct lexer *lx)
{
	const char *s = lx->text;

	for (;;) {
		char c = s[lx->pos];

		if (c == '\n') {
			newline(lx);
			lx->pos++;
		} else if (c == ' ' || c == '\t' || c == '\r' || c == '\f' ||
			   c == '\v') {
			lx->pos++;
		} else if (c == '/' && s[lx->pos + 1] == '/') {
			lx->pos += (int)strcspn(s + lx->pos, "\n");
		} else if (c == '/' && s[lx->pos + 1] == '*') {
			int start = lx->pos, line = lx->line, ls = lx->lstart;

			lx->pos += 2;
			while (s[lx->pos] &&
			       !(s[lx->pos] == '*' && s[lx->pos + 1] == '/')) {
				if (s[lx->pos] == '\n')
					newline(lx);
				lx->pos++;
			}
			if (!s[lx->pos]) {
				/* bpftrace 0.17's words and span */
				struct bt_loc l = {
					line, start - ls,
					(int)strcspn(s + start, "\n")};

				return bt_error(lx->err, s, lx->file, l,
						"end of file during comment");
			}
			lx->pos += 2;
		} else if (c == '#' && lx->pos == lx->lstart) {
			lx->pos += (int)strcspn(s + lx->pos, "\n");
		} else {
			return 0;
		}
	}
}

static int lex_int(struct lexer *lx, struct token *tk)
{
	const char *s = lx->text + lx->pos;
	int n = 0, start = lx->pos;
	uint64_t v = 0, e;
	bool over = false;

	tk->t = T_INT;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && isxdigit(s[2])) {
		for (n = 2; isxdigit((unsigned char)s[n]); n++) {
			int d = isdigit(s[n]) ? s[n] - '0'
					      : (tolower(s[n]) - 'a' + 10);
			over |= v >> 60 != 0;
			v = v * 16 + (uint64_t)d;
		}
	} else {
		for (; isdigit((unsigned char)s[n]) || (n && s[n] == '_');
		     n++) {
			if (s[n] == '_')
				continue;
			over |= v > (UINT64_MAX - (uint64_t)(s[n] - '0')) / 10;
			v = v * 10 + (uint64_t)(s[n] - '0');
		}
		if ((s[n] == 'e' || s[n] == 'E') && isdigit(s[n + 1])) {
			for (n++, e = 0; isdigit((unsigned char)s[n]); n++)
				e = e * 10 + (uint64_t)(s[n] - '0');
			while (e-- > 0 && !over) {
				over |= v > UINT64_MAX / 10;
				v *= 10;
			}
		}
	}
	tk->loc = here(lx, start, n);
	lx->pos += n;
	if (isalnum((unsigned char)s[n]) || s[n] == '_') {
		int k = n;

		while (isalnum((unsigned char)s[k]) || s[k] == '_')
			k++;
		tk->loc.len = k;
		return bt_error(lx->err, lx->text, lx->file, tk->loc,
				"invalid integer literal '%.*s'", k, s);
	}
	if (over)
		return bt_error(lx->err, lx->text, lx->file, tk->loc,
				"integer literal '%.*s' is too large", n, s);
	tk->num = v;
	return 0;
}

static int hexval(char c)
{
	return isdigit((unsigned char)c) ? c - '0' : tolower(c) - 'a' + 10;
}

static int lex_str(struct lexer *lx, struct token *tk)
{
	const char *s = lx->text;
	int start = lx->pos, i = start + 1, k;
	size_t n = 0;
	char *out = malloc(strlen(s + start) + 1);

	if (!out)
		return lib_error_set(lx->err, ENOMEM, start, "out of memory");
	for (; s[i] && s[i] != '"' && s[i] != '\n'; i++) {
		if (s[i] != '\\') {
			out[n++] = s[i];
			continue;
		}
		switch (s[++i]) {
		case 'n':
			out[n++] = '\n';
			break;
		case 't':
			out[n++] = '\t';
			break;
		case 'r':
			out[n++] = '\r';
			break;
		case 'a':
			out[n++] = '\a';
			break;
		case 'b':
			out[n++] = '\b';
			break;
		case 'f':
			out[n++] = '\f';
			break;
		case 'v':
			out[n++] = '\v';
			break;
		case 'e':
			out[n++] = 27;
			break;
		case '\\':
			out[n++] = '\\';
			break;
		case '"':
			out[n++] = '"';
			break;
		case '\'':
			out[n++] = '\'';
			break;
		case 'x':
			if (!isxdigit((unsigned char)s[i + 1]))
				goto bad;
			k = hexval(s[++i]);
			if (isxdigit((unsigned char)s[i + 1]))
				k = k * 16 + hexval(s[++i]);
			out[n++] = (char)k;
			break;
		default:
			if (s[i] < '0' || s[i] > '7')
				goto bad;
			k = s[i] - '0';
			if (s[i + 1] >= '0' && s[i + 1] <= '7')
				k = k * 8 + s[++i] - '0';
			if (s[i + 1] >= '0' && s[i + 1] <= '7')
				k = k * 8 + s[++i] - '0';
			out[n++] = (char)k;
		}
	}
	out[n] = '\0';
	tk->t = T_STR;
	tk->str = out;
	tk->slen = n;
	tk->loc = here(lx, start, i - start + (s[i] == '"'));
	if (s[i] != '"') {
		lx->pos = i;
		return bt_error(lx->err, s, lx->file, tk->loc,
				"unterminated string");
	}
	lx->pos = i + 1;
	return 0;
bad:
	free(out);
	k = i;
	tk->loc = here(lx, start, i + (s[i] != '\0') - start);
	while (s[i] && s[i] != '"' && s[i] != '\n')
		i++;
	lx->pos = i + (s[i] == '"');
	return bt_error(lx->err, s, lx->file, tk->loc,
			"invalid escape character '\\%c'", s[k] ? s[k] : ' ');
}

static bool ident_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* Does '/' end a probe's text here? It does after a name with no path
 * in it (BEGIN/pid.../, kprobe:f/.../), not inside a uprobe's path. */
static bool probe_ends(const char *spec, int n)
{
	static const char *const pathy[] = {
		"uprobe:", "u:", "uretprobe:", "ur:", "usdt:", "U:"};
	int colons = 0;

	for (int i = 0; i < n; i++)
		colons += spec[i] == ':';
	for (size_t i = 0; i < sizeof(pathy) / sizeof(*pathy); i++)
		if (!strncmp(spec, pathy[i], strlen(pathy[i])))
			return colons >= 2 && spec[n - 1] != ':';
	return true;
}

static int lex_probe(struct lexer *lx, struct token *tk)
{
	const char *s = lx->text + lx->pos;
	int n = 0;
	bool quote = false;

	while (s[n] && (quote || (!isspace((unsigned char)s[n]) &&
				  s[n] != ',' && s[n] != '{'))) {
		if (s[n] == '"')
			quote = !quote;
		else if (!quote && s[n] == '/' && n && probe_ends(s, n))
			break;
		n++;
	}
	tk->t = T_PROBE;
	tk->loc = here(lx, lx->pos, n);
	tk->str = strndup(s, (size_t)n);
	if (!tk->str)
		return lib_error_set(lx->err, ENOMEM, lx->pos, "out of memory");
	lx->pos += n;
	return 0;
}

/* C's operators, longest first. */
static const struct {
	const char *s;
	int op;
} ops[] = {
	{"<<=", TK_ASSIGN_BASE + BT_OP_SHL},
	{">>=", TK_ASSIGN_BASE + BT_OP_SHR},
	{"==", BT_OP_EQ},
	{"!=", BT_OP_NE},
	{"<=", BT_OP_LE},
	{">=", BT_OP_GE},
	{"&&", BT_OP_LAND},
	{"||", BT_OP_LOR},
	{"<<", BT_OP_SHL},
	{">>", BT_OP_SHR},
	{"->", BT_OP_ARROW},
	{"++", TK_INC},
	{"--", TK_DEC},
	{"+=", TK_ASSIGN_BASE + '+'},
	{"-=", TK_ASSIGN_BASE + '-'},
	{"*=", TK_ASSIGN_BASE + '*'},
	{"/=", TK_ASSIGN_BASE + '/'},
	{"%=", TK_ASSIGN_BASE + '%'},
	{"&=", TK_ASSIGN_BASE + '&'},
	{"|=", TK_ASSIGN_BASE + '|'},
	{"^=", TK_ASSIGN_BASE + '^'},
};

static int lex_name(struct lexer *lx, struct token *tk, enum tok t, int skip1)
{
	const char *s = lx->text + lx->pos;
	int n = skip1;

	while (ident_char(s[n]))
		n++;
	tk->t = t;
	tk->loc = here(lx, lx->pos, n);
	tk->str = strndup(s + skip1, (size_t)(n - skip1));
	if (!tk->str)
		return lib_error_set(lx->err, ENOMEM, lx->pos, "out of memory");
	lx->pos += n;
	return 0;
}

int lex_next(struct lexer *lx, struct token *tk, bool probe)
{
	const char *s;
	int r;

	memset(tk, 0, sizeof(*tk));
	r = skip(lx);
	tk->off = lx->pos;
	if (r < 0)
		goto fail;
	s = lx->text + lx->pos;
	if (!*s) {
		tk->t = T_EOF;
		tk->loc = here(lx, lx->pos, 0);
		return 0;
	}
	/* a probe may start with a positional parameter: "$1 { }" */
	if (probe && (isalpha((unsigned char)*s) || *s == '_' || *s == '"' ||
		      (*s == '$' && isdigit((unsigned char)s[1]))))
		r = lex_probe(lx, tk);
	else if (isdigit((unsigned char)*s))
		r = lex_int(lx, tk);
	else if (*s == '"')
		r = lex_str(lx, tk);
	else if (*s == '$' && isdigit((unsigned char)s[1])) {
		lx->pos++;
		r = lex_int(lx, tk);
		tk->t = T_PARAM;
		tk->loc.col--;
		tk->loc.len++;
	} else if (*s == '$' && s[1] == '#') {
		tk->t = T_PARAM;
		tk->loc = here(lx, lx->pos, 2);
		lx->pos += 2;
	} else if (*s == '$' && (isalpha((unsigned char)s[1]) || s[1] == '_'))
		r = lex_name(lx, tk, T_VAR, 1);
	else if (*s == '@')
		r = lex_name(lx, tk, T_MAP, 1);
	else if (isalpha((unsigned char)*s) || *s == '_')
		r = lex_name(lx, tk, T_IDENT, 0);
	else {
		for (size_t i = 0; i < sizeof(ops) / sizeof(*ops); i++) {
			size_t k = strlen(ops[i].s);

			if (strncmp(s, ops[i].s, k))
				continue;
			tk->t = T_PUNCT;
			tk->op = ops[i].op;
			tk->loc = here(lx, lx->pos, (int)k);
			lx->pos += (int)k;
			return 0;
		}
		if (!strchr("+-*/%&|^!~<>=?:;,.(){}[]", *s)) {
			tk->loc = here(lx, lx->pos, 1);
			r = bt_error(lx->err, lx->text, lx->file, tk->loc,
				     "invalid character '%c'", *s);
			goto fail;
		}
		tk->t = T_PUNCT;
		tk->op = *s;
		tk->loc = here(lx, lx->pos, 1);
		lx->pos++;
		return 0;
	}
	if (r < 0)
		goto fail;
	return 0;
fail:
	free(tk->str);
	tk->str = NULL;
	tk->t = T_ERR;
	return r;
}

const char *tok_name(const struct token *tk, char *buf, size_t len)
{
	switch (tk->t) {
	case T_EOF:
		return "end of file";
	case T_INT:
		return "integer";
	case T_STR:
		return "string";
	case T_IDENT:
		return "identifier";
	case T_VAR:
		return "variable";
	case T_PARAM:
		return "positional parameter";
	case T_MAP:
		return "map";
	case T_PROBE:
		return "attach point";
	case T_ERR:
		return "invalid token";
	case T_PUNCT:
		break;
	}
	for (size_t i = 0; i < sizeof(ops) / sizeof(*ops); i++)
		if (ops[i].op == tk->op)
			return ops[i].s;
	snprintf(buf, len, "%c", tk->op);
	return buf;
}
