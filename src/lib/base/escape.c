/* SPDX-License-Identifier: MIT */
/*
 * Text from outside made safe to print: symbol names from ELF, DWARF and
 * USDT notes, kernel text (error_log, kallsyms), strings read from a traced
 * process. A name like "esc\e[31mRED\e]0;title\a" would otherwise recolour
 * or retitle the user's terminal. Control characters (C0, DEL, the C1
 * range U+0080..U+009F a terminal may take as CSI, the line and paragraph
 * separators and bidirectional overrides of Unicode) and bytes that are
 * not UTF-8 are written as C escapes (\n \t \r, else \xHH, one per byte,
 * as `ls -b` and `strings -e` do); valid UTF-8 text is kept. The JSON
 * form writes a JSON string's body (RFC 8259: \" \\ \uXXXX); for a text
 * that is not UTF-8, its bytes form (SONDE_ESCAPE_BYTES) makes each byte
 * one code point, so the bytes can be had back exactly. The CSV form
 * keeps line ends (a quoted cell holds them) and doubles the backslash.
 */
#include <string.h>

#include <sonde/sonde.h>

struct out {
	char *buf;
	size_t len; /* of buf */
	size_t w;   /* bytes written */
	size_t n;   /* the whole result's length, written or not */
	bool full;  /* a unit did not fit: nothing more is written */
};

/* A unit goes in whole or not at all, so a cut result never ends in half
 * an escape or half a UTF-8 sequence. */
static void put(struct out *o, const char *s, size_t k)
{
	if (!o->full && o->w + k < o->len) {
		memcpy(o->buf + o->w, s, k);
		o->w += k;
	} else {
		o->full = true;
	}
	o->n += k;
}

static void put_hex(struct out *o, const char *prefix, unsigned int v,
		    int digits)
{
	static const char hex[] = "0123456789abcdef";
	char b[16];
	size_t k = strlen(prefix);

	memcpy(b, prefix, k);
	while (digits--)
		b[k++] = hex[(v >> (4 * digits)) & 15];
	put(o, b, k);
}

/* The length of the valid UTF-8 sequence at p (RFC 3629: no overlong
 * forms, no surrogates, at most U+10FFFF) and its code point, or 0. */
static size_t utf8_len(const unsigned char *p, unsigned int *cp)
{
	size_t k, i;
	unsigned int c, min;

	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		k = 2, c = p[0] & 0x1f, min = 0x80;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		k = 3, c = p[0] & 0x0f, min = 0x800;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		k = 4, c = p[0] & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	for (i = 1; i < k; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0; /* also stops at the NUL */
		c = c << 6 | (p[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return k;
}

/* Code points above ASCII that move or hide text on a terminal. */
static bool is_control(unsigned int c)
{
	return (c >= 0x80 && c <= 0x9f) || c == 0x2028 || c == 0x2029 ||
	       (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) ||
	       c == 0x200e || c == 0x200f || c == 0x061c;
}

static void one_ascii(struct out *o, unsigned char c, unsigned int flags)
{
	bool json = flags & SONDE_ESCAPE_JSON;
	bool quoted = json || (flags & SONDE_ESCAPE_QUOTED);
	bool csv = flags & SONDE_ESCAPE_CSV;
	char ch = (char)c;

	if (quoted && (c == '"' || c == '\\')) {
		put(o, c == '"' ? "\\\"" : "\\\\", 2);
	} else if (csv && c == '\\') {
		put(o, "\\\\", 2);
	} else if ((c == '\n' || c == '\t') &&
		   (flags & (SONDE_ESCAPE_LINES | SONDE_ESCAPE_CSV))) {
		put(o, &ch, 1);
	} else if (c == '\r' && csv) {
		put(o, &ch, 1);
	} else if (c == '\n' || c == '\t' || c == '\r') {
		put(o, c == '\n' ? "\\n" : c == '\t' ? "\\t" : "\\r", 2);
	} else if (c < 0x20 || c == 0x7f) {
		put_hex(o, json ? "\\u00" : "\\x", c, 2);
	} else {
		put(o, &ch, 1);
	}
}

size_t sonde_text__escape(char *buf, size_t len, const char *s,
			  unsigned int flags)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	struct out o = {.buf = buf, .len = buf ? len : 0};
	unsigned int cp;
	size_t k, i;

	while (*p) {
		if (*p >= 0x80 && (flags & SONDE_ESCAPE_BYTES) &&
		    (flags & SONDE_ESCAPE_JSON)) {
			put_hex(&o, "\\u00", *p++, 2);
			continue;
		}
		if (*p < 0x80) {
			one_ascii(&o, *p++, flags);
			continue;
		}
		k = utf8_len(p, &cp);
		if (!k) { /* not UTF-8: the byte itself */
			put_hex(&o, flags & SONDE_ESCAPE_JSON ? "\\\\x" : "\\x",
				*p++, 2);
		} else if (is_control(cp) && (flags & SONDE_ESCAPE_JSON)) {
			put_hex(&o, "\\u", cp, 4);
			p += k;
		} else if (is_control(cp)) {
			for (i = 0; i < k; i++)
				put_hex(&o, "\\x", *p++, 2);
		} else {
			put(&o, (const char *)p, k);
			p += k;
		}
	}
	if (o.len)
		o.buf[o.w] = '\0';
	return o.n;
}

bool sonde_text__is_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	unsigned int cp;
	size_t k;

	while (*p) {
		if (*p < 0x80) {
			p++;
			continue;
		}
		k = utf8_len(p, &cp);
		if (!k)
			return false;
		p += k;
	}
	return true;
}
