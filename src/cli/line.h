/* SPDX-License-Identifier: MIT */
/* A line of output built in a buffer and written with one fwrite: the
 * per-event hot path of `sonde trace` (one fprintf per field cost ~90% of
 * the user-space time per event). Numbers are formatted by hand. */
#ifndef SONDE_CLI_LINE_H
#define SONDE_CLI_LINE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct line {
	FILE *out;
	size_t n;
	char buf[4096];
};

void l_flush(struct line *l);
void l_mem(struct line *l, const char *s, size_t len);
void l_str(struct line *l, const char *s);
void l_chr(struct line *l, char c);
/* v in decimal, at least width digits wide (zero- or space-padded) */
void l_u64w(struct line *l, uint64_t v, int width, char pad);
void l_u64(struct line *l, uint64_t v);
void l_s64(struct line *l, int64_t v);
void l_hex(struct line *l, uint64_t v);
/* seconds.fraction of a nanosecond time (negative with a '-'): 6 or 9
 * decimals, the seconds at least width wide */
void l_time(struct line *l, int64_t ns, int decimals, int width);
/* Text from outside (a name, a comm, a string the process holds), escaped
 * by the library's one rule (sonde_text__escape() with flags). */
void l_safe(struct line *l, const char *s, unsigned int flags);

#endif

/* The strings of one JSON object that were not UTF-8 (written as bytes,
 * each one code point \u0000..\u00ff), as JSON pointers (RFC 6901) from
 * that object: its "not_utf8" member (docs/json.md). */
struct not_utf8 {
	char *list; /* "\"/comm\",\"/args/s\"" */
	size_t n, cap;
};
/* s as a JSON string: valid UTF-8 as it is (control characters escaped),
 * else its bytes, and its pointer (where, then name escaped by RFC 6901
 * when not NULL) added to nu. */
void l_json_str(struct line *l, const char *s, struct not_utf8 *nu,
		const char *where, const char *name);
/* ,"not_utf8":[...] when nu holds any; nu is emptied. */
void l_not_utf8(struct line *l, struct not_utf8 *nu);
/* s as a CSV cell (RFC 4180): the text of sonde_text__escape()'s CSV form,
 * quoted (quotes doubled) when it holds a comma, a quote, CR or LF. */
void l_csv(struct line *l, const char *s);
/* The same, straight to a file. */
void put_json_str(FILE *out, const char *s, struct not_utf8 *nu,
		  const char *where, const char *name);
void put_not_utf8(FILE *out, struct not_utf8 *nu);
void put_csv(FILE *out, const char *s);
