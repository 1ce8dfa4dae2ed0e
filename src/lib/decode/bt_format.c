// SPDX-License-Identifier: MIT
/*
 * bpftrace's printf and print() in sonde run: the bytes of a message (the
 * layouts of lang/bt.h) into the text bpftrace 0.17 prints for them, and
 * its -f json form. The rules are bpftrace 0.17's as it behaves:
 * - printf's directives are %[-][width][.prec][hh|h|l|ll|j|z](c d s u x
 *   X o p, and r for buf()); an integer is widened to 64 bits by its own type and then
 *   read by the directive as C's printf reads it (%d of a u64 takes its
 *   low 32 bits, %lu all 64);
 * - the text up to each directive is printf text ("%%" is "%"), the text
 *   after the last one is printed as written ("%%" stays "%%");
 * - stacks print a newline, then one frame a line indented by 8 spaces.
 * Numbers are formatted here, never by a format string taken from the
 * program.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "bt_out.h"

#define BT_MAX_FRAMES 127 /* bpftrace's perf_event_max_stack default */

static uint64_t rd64(const uint8_t *v)
{
	uint64_t x;

	memcpy(&x, v, sizeof(x));
	return x;
}

int64_t bt_int_value(const struct bt_type *t, const uint8_t *v)
{
	uint64_t x = rd64(v);
	int bits = (t->isize && t->isize < 8) ? t->isize * 8 : 64;

	if (bits == 64)
		return (int64_t)x;
	x &= (UINT64_C(1) << bits) - 1;
	if (t->is_signed && (x >> (bits - 1)))
		x |= ~((UINT64_C(1) << bits) - 1);
	return (int64_t)x;
}

uint32_t bt_tuple_offset(const struct bt_type *t, int i)
{
	uint32_t off = 0;

	for (int k = 0; k < i && k < t->ntup; k++)
		off += BT_ALIGN8(t->tup[k].size);
	return off;
}

void bt_json_escape(FILE *out, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = s[i];

		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", out);
		else if (c == '\t')
			fputs("\\t", out);
		else if (c == '\r')
			fputs("\\r", out);
		else if (c < 0x20)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
}

static size_t str_len(const struct bt_type *t, const uint8_t *v)
{
	const void *nul = memchr(v, 0, t->strsize);

	return nul ? (size_t)((const uint8_t *)nul - v) : t->strsize;
}

static void frame_name(const struct bt_symbolizer *sym, bool user,
		       uint64_t addr, uint32_t tgid, char *buf, size_t len)
{
	if (sym && !user && sym->ksym)
		sym->ksym(sym->ctx, addr, buf, len);
	else if (sym && user && sym->usym)
		sym->usym(sym->ctx, addr, tgid, buf, len);
	else
		snprintf(buf, len, "0x%" PRIx64, addr);
}

/* ksym(), usym(), func: the name alone, as bpftrace prints them (stacks
 * keep the "+off") */
static void sym_value(FILE *out, const struct bt_symbolizer *sym, bool user,
		      uint64_t addr, uint32_t tgid)
{
	char name[256];
	char *plus;

	frame_name(sym, user, addr, tgid, name, sizeof(name));
	plus = strrchr(name, '+');
	if (plus && plus != name && plus[1] &&
	    strspn(plus + 1, "0123456789") == strlen(plus + 1))
		*plus = '\0';
	fputs(name, out);
}

static void format_stack(FILE *out, const uint8_t *v, bool user,
			 const struct bt_symbolizer *sym, int indent)
{
	int64_t id = (int64_t)rd64(v);
	uint32_t tgid = user ? (uint32_t)rd64(v + 8) : 0;
	uint64_t frames[BT_MAX_FRAMES];
	char name[256];
	int n = -ENOSYS;

	fputc('\n', out);
	if (id >= 0 && sym && sym->stack)
		n = sym->stack(sym->ctx, id, user, tgid, frames, BT_MAX_FRAMES);
	else if (id < 0)
		n = (int)id;
	/* -EFAULT: the kernel walked no frame (kstack in a uprobe, whose
	 * registers are the user's): as bpftrace, an empty stack */
	if (n == -EFAULT)
		n = 0;
	if (n < 0) {
		/* said, never an empty stack that looks like a real one */
		fprintf(out, "%*s[stack not read: %s]\n", indent, "",
			strerror(-n));
		return;
	}
	for (int i = 0; i < n && frames[i]; i++) {
		frame_name(sym, user, frames[i], tgid, name, sizeof(name));
		fprintf(out, "%*s%s\n", indent, "", name);
	}
}

static uint32_t buf_len(const struct bt_type *t, const uint8_t *v)
{
	uint32_t n;

	memcpy(&n, v, sizeof(n));
	return n > t->strsize ? t->strsize : n;
}

/* printf's %rx ("\x48\x65") and %rh ("48 65") of a buf() */
static void buf_hex(FILE *out, const struct bt_type *t, const uint8_t *v,
		    char mode)
{
	uint32_t n = buf_len(t, v);

	for (uint32_t i = 0; i < n; i++)
		if (mode == 'x')
			fprintf(out, "\\x%02x", v[4 + i]);
		else
			fprintf(out, "%s%02x", i ? " " : "", v[4 + i]);
}

static void format_buf(FILE *out, const struct bt_type *t, const uint8_t *v)
{
	uint32_t n = buf_len(t, v);

	for (uint32_t i = 0; i < n; i++) {
		unsigned char c = v[4 + i];

		if (isprint(c))
			fputc(c, out);
		else
			fprintf(out, "\\x%02x", c);
	}
}

static void format_inet(FILE *out, const uint8_t *v)
{
	char buf[INET6_ADDRSTRLEN];
	uint64_t family = rd64(v);
	int af = family == 10 ? AF_INET6 : AF_INET;

	if ((family != 2 && family != 10) ||
	    !inet_ntop(af, v + 8, buf, sizeof(buf)))
		fprintf(out, "[unknown address family %" PRIu64 "]", family);
	else
		fputs(buf, out);
}

static void format_probe(FILE *out, uint64_t idx,
			 const struct bt_symbolizer *sym)
{
	if (sym && sym->c && idx < (uint64_t)sym->c->nprobe_names)
		fputs(sym->c->probe_names[idx], out);
	else
		fprintf(out, "[probe %" PRIu64 "]", idx);
}

void bt_format_value_ind(FILE *out, const struct bt_type *t, const uint8_t *v,
			 const struct bt_symbolizer *sym, int indent)
{

	switch (t->kind) {
	case BT_T_INT:
	case BT_T_KADDR:
	case BT_T_COUNT:
	case BT_T_SUM:
	case BT_T_MIN:
	case BT_T_MAX:
		if (t->is_signed)
			fprintf(out, "%" PRId64, bt_int_value(t, v));
		else
			fprintf(out, "%" PRIu64, (uint64_t)bt_int_value(t, v));
		break;
	case BT_T_STR:
		fwrite(v, 1, str_len(t, v), out);
		break;
	case BT_T_BUF:
		format_buf(out, t, v);
		break;
	case BT_T_TUPLE:
		/* a record (a uprobe's args): "{ .n = 1, .c = 120 }" */
		fputs(t->names ? "{ " : "(", out);
		for (int i = 0; i < t->ntup; i++) {
			if (i)
				fputs(", ", out);
			if (t->names)
				fprintf(out, ".%s = ", t->names[i]);
			/* records are newer bpftrace's (0.17 has none): a
			 * pointer member prints in hex, as it prints it */
			if (t->names && t->tup[i].kind == BT_T_PTR) {
				fprintf(out, "0x%" PRIx64,
					rd64(v + bt_tuple_offset(t, i)));
				continue;
			}
			bt_format_value_ind(out, &t->tup[i],
					    v + bt_tuple_offset(t, i), sym,
					    indent);
		}
		fputs(t->names ? " }" : ")", out);
		break;
	case BT_T_PTR: /* 0.17: a number, as a map's value and in tuples */
		fprintf(out, "%" PRIu64, rd64(v));
		break;
	case BT_T_KSYM:
		sym_value(out, sym, false, rd64(v), 0);
		break;
	case BT_T_USYM:
		sym_value(out, sym, true, rd64(v), (uint32_t)rd64(v + 8));
		break;
	case BT_T_INET:
		format_inet(out, v);
		break;
	case BT_T_KSTACK:
	case BT_T_USTACK:
		format_stack(out, v, t->kind == BT_T_USTACK, sym, indent);
		break;
	case BT_T_PROBE:
		format_probe(out, rd64(v), sym);
		break;
	case BT_T_TIMESTAMP:
		/* strftime()'s format is not in the message (sema.c refuses
		 * strftime() for now): said, never a bare number */
		fputs("[strftime() not supported]", out);
		break;
	default:
		fputs("[no value]", out);
		break;
	}
}

void bt_format_value(FILE *out, const struct bt_type *t, const uint8_t *v,
		     const struct bt_symbolizer *sym)
{
	bt_format_value_ind(out, t, v, sym, 8);
}

static bool json_is_number(enum bt_tkind k)
{
	return k == BT_T_INT || k == BT_T_KADDR || k == BT_T_COUNT ||
	       k == BT_T_SUM || k == BT_T_MIN || k == BT_T_MAX || k == BT_T_PTR;
}

void bt_format_value_json(FILE *out, const struct bt_type *t, const uint8_t *v,
			  const struct bt_symbolizer *sym)
{
	char *text = NULL;
	size_t len = 0;
	FILE *mem;

	if (json_is_number(t->kind) && t->kind != BT_T_PTR) {
		bt_format_value_ind(out, t, v, sym, 8);
		return;
	}
	if (t->kind == BT_T_PTR) {
		fprintf(out, "%" PRIu64, rd64(v));
		return;
	}
	if (t->kind == BT_T_TUPLE) {
		/* a record: an object {"n": 1, "c": 120} */
		fputc(t->names ? '{' : '[', out);
		for (int i = 0; i < t->ntup; i++) {
			if (i)
				fputs(t->names ? ", " : ",", out);
			if (t->names) {
				fputc('"', out);
				bt_json_escape(out, t->names[i],
					       strlen(t->names[i]));
				fputs("\": ", out);
			}
			bt_format_value_json(out, &t->tup[i],
					     v + bt_tuple_offset(t, i), sym);
		}
		fputc(t->names ? '}' : ']', out);
		return;
	}
	mem = open_memstream(&text, &len);
	if (!mem) {
		fputs("null", out);
		return;
	}
	bt_format_value_ind(mem, t, v, sym, 8);
	fclose(mem);
	fputc('"', out);
	bt_json_escape(out, text, len);
	fputc('"', out);
	free(text);
}

/* One printf directive, as bpftrace 0.17's format parser finds them. */
struct directive {
	const char *start, *end; /* '%' .. past the conversion */
	bool left, zero;
	int width, prec; /* prec -1: none */
	int lenmod;	 /* 0, 'H' (hh), 'h', 'l' (l ll j z) */
	char conv;
	char rmode; /* %rx: every byte as \xNN; %rh: as hex pairs */
};

static bool parse_directive(const char *p, struct directive *d)
{
	const char *q = p + 1;

	memset(d, 0, sizeof(*d));
	d->start = p;
	d->prec = -1;
	if (*q == '-') {
		d->left = true;
		q++;
	}
	if (*q == '0')
		d->zero = true;
	while (isdigit((unsigned char)*q))
		d->width = d->width * 10 + (*q++ - '0');
	if (*q == '.' && isdigit((unsigned char)q[1])) {
		d->prec = 0;
		for (q++; isdigit((unsigned char)*q); q++)
			d->prec = d->prec * 10 + (*q - '0');
	}
	if (q[0] == 'h' && q[1] == 'h') {
		d->lenmod = 'H';
		q += 2;
	} else if (q[0] == 'l' && q[1] == 'l') {
		d->lenmod = 'l';
		q += 2;
	} else if (*q == 'h' || *q == 'l' || *q == 'j' || *q == 'z') {
		d->lenmod = *q == 'h' ? 'h' : 'l';
		q++;
	}
	if (!*q || !strchr(d->lenmod ? "duxXo" : "cdrsuxXop", *q))
		return false;
	d->conv = *q;
	d->end = q + 1;
	if (*q == 'r' && (q[1] == 'x' || q[1] == 'h')) {
		d->rmode = q[1];
		d->end++;
	}
	return true;
}

/* The leftmost directive at or after p (a regex search, as 0.17 does). */
static bool next_directive(const char *p, struct directive *d)
{
	for (p = strchr(p, '%'); p; p = strchr(p + 1, '%'))
		if (parse_directive(p, d))
			return true;
	return false;
}

static void pad(FILE *out, int n, char c)
{
	while (n-- > 0)
		fputc(c, out);
}

/* body (with its sign or 0x prefix of plen bytes) padded to the width */
static void emit(FILE *out, const struct directive *d, const char *body,
		 size_t len, size_t plen, bool numeric)
{
	int fill = d->width > (int)len ? d->width - (int)len : 0;

	if (d->left) {
		fwrite(body, 1, len, out);
		pad(out, fill, ' ');
	} else if (numeric && d->zero && d->prec < 0) {
		fwrite(body, 1, plen, out);
		pad(out, fill, '0');
		fwrite(body + plen, 1, len - plen, out);
	} else {
		pad(out, fill, ' ');
		fwrite(body, 1, len, out);
	}
}

/* The 64-bit value as the C type the directive reads (%d: int). */
static uint64_t narrow(const struct directive *d, uint64_t x, bool *neg)
{
	bool sgn = d->conv == 'd';

	*neg = false;
	if (d->conv == 'p')
		return x;
	if (d->lenmod == 'H')
		x = sgn ? (uint64_t)(int64_t)(signed char)x : (unsigned char)x;
	else if (d->lenmod == 'h')
		x = sgn ? (uint64_t)(int64_t)(short)x : (unsigned short)x;
	else if (!d->lenmod)
		x = sgn ? (uint64_t)(int64_t)(int)x : (unsigned int)x;
	if (sgn && (int64_t)x < 0) {
		*neg = true;
		x = -x;
	}
	return x;
}

static void emit_int(FILE *out, const struct directive *d, uint64_t raw)
{
	char digits[32], body[64];
	const char *set =
		d->conv == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
	unsigned base = d->conv == 'o' ? 8 : strchr("xXp", d->conv) ? 16 : 10;
	size_t nd = 0, len = 0, plen;
	bool neg;
	uint64_t x = narrow(d, raw, &neg);

	if (d->conv == 'c') {
		body[0] = (char)x;
		emit(out, d, body, 1, 0, false);
		return;
	}
	if (d->conv == 'p' && !x) { /* glibc's %p of NULL */
		emit(out, d, "(nil)", 5, 0, false);
		return;
	}
	for (; x; x /= base)
		digits[nd++] = set[x % base];
	if (d->prec < 0 && !nd)
		digits[nd++] = '0';
	if (neg)
		body[len++] = '-';
	if (d->conv == 'p') {
		body[len++] = '0';
		body[len++] = 'x';
	}
	plen = len;
	for (int z = d->prec - (int)nd; z > 0 && len < 40; z--)
		body[len++] = '0';
	while (nd)
		body[len++] = digits[--nd];
	emit(out, d, body, len, plen, true);
}

static int emit_arg(FILE *out, const struct directive *d,
		    const struct bt_type *t, const uint8_t *v,
		    const struct bt_symbolizer *sym)
{
	char *text = NULL;
	size_t len = 0;
	FILE *mem;

	if (d->conv != 's' && d->conv != 'r') {
		emit_int(out, d,
			 t->kind == BT_T_INT ? (uint64_t)bt_int_value(t, v)
					     : rd64(v));
		return 0;
	}
	mem = open_memstream(&text, &len);
	if (!mem)
		return -ENOMEM;
	if (d->rmode && t->kind == BT_T_BUF)
		buf_hex(mem, t, v, d->rmode);
	else
		bt_format_value_ind(mem, t, v, sym, 8);
	fclose(mem);
	if (d->prec >= 0 && (size_t)d->prec < len)
		len = d->prec;
	emit(out, d, text, len, 0, false);
	free(text);
	return 0;
}

/* A number directive takes numbers only (sema.c refuses the rest). */
static bool arg_fits(const struct directive *d, const struct bt_type *t)
{
	return d->conv == 's' || d->conv == 'r' ||
	       (t->kind != BT_T_STR && t->kind != BT_T_BUF &&
		t->kind != BT_T_TUPLE);
}

/* The text from p up to the directive d, as C's printf reads it: "%%"
 * is '%'; d's own '%' may be taken by a "%%" before it (then d prints
 * as text and its argument is used up, as 0.17 does). */
static int emit_segment(FILE *out, const char *p, const struct directive *d,
			const struct bt_type *t, const uint8_t *v,
			const struct bt_symbolizer *sym)
{
	while (p < d->end) {
		if (p == d->start)
			return emit_arg(out, d, t, v, sym);
		if (p[0] == '%' && p[1] == '%') {
			fputc('%', out);
			p += 2;
		} else {
			fputc(*p++, out);
		}
	}
	return 0;
}

int bt_format_printf(FILE *out, const struct bt_format *f, const uint8_t *args,
		     size_t len, const struct bt_symbolizer *sym)
{
	const struct bt_type *at = &f->args;
	const char *p = f->fmt;
	struct directive d;
	int i = 0, err;

	/* every argument in the bytes first: nothing printed from a
	 * message that does not hold them */
	for (; next_directive(p, &d); p = d.end, i++)
		if (i >= at->ntup || !arg_fits(&d, &at->tup[i]) ||
		    bt_tuple_offset(at, i) + at->tup[i].size > len)
			return -EINVAL;
	for (p = f->fmt, i = 0; next_directive(p, &d); p = d.end, i++) {
		uint32_t off = bt_tuple_offset(at, i);

		err = emit_segment(out, p, &d, &at->tup[i], args + off, sym);
		if (err)
			return err;
	}
	fputs(p, out);
	return 0;
}

void bt_print_text(FILE *out, const char *type, const char *text, size_t len,
		   bool json)
{
	if (!json) {
		fwrite(text, 1, len, out);
		return;
	}
	fprintf(out, "{\"type\": \"%s\", \"data\": \"", type);
	bt_json_escape(out, text, len);
	fputs("\"}\n", out);
}

int bt_print_printf(FILE *out, const struct bt_format *f, const uint8_t *args,
		    size_t len, bool json, const struct bt_symbolizer *sym)
{
	char *text = NULL;
	size_t n = 0;
	FILE *mem;
	int err;

	if (!json)
		return bt_format_printf(out, f, args, len, sym);
	mem = open_memstream(&text, &n);
	if (!mem)
		return -ENOMEM;
	err = bt_format_printf(mem, f, args, len, sym);
	fclose(mem);
	if (!err)
		bt_print_text(out, "printf", text, n, true);
	free(text);
	return err;
}

void bt_print_value(FILE *out, const struct bt_type *t, const uint8_t *v,
		    bool json, const struct bt_symbolizer *sym)
{
	if (!json) {
		bt_format_value(out, t, v, sym);
		fputc('\n', out);
		return;
	}
	fputs("{\"type\": \"value\", \"data\": ", out);
	bt_format_value_json(out, t, v, sym);
	fputs("}\n", out);
}
