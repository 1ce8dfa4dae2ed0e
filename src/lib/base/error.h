/* SPDX-License-Identifier: MIT */
/*
 * The one error carrier of the library, from the spec parser up to the
 * session's last error (sonde_session__errmsg()): an errno, the column of
 * the spec text to blame, and one line of message whose control characters
 * are escaped (escape.c), since it quotes names from ELF files, USDT notes
 * and the kernel.
 */
#ifndef SONDE_BASE_ERROR_H
#define SONDE_BASE_ERROR_H

#include <stdbool.h>
#include <stddef.h>

#define LIB_ERROR_MSG 2048
/* A spec's parse or resolve error is at most 255 bytes, escaped or not
 * (spec/, resolve/deferred_args.c and the fetch resolvers). */
#define LIB_ERROR_SPEC_CUT 256

struct lib_error {
	int err;	  /* positive errno; 0 while nothing failed */
	int col;	  /* 0-based column of the spec text, or -1 */
	unsigned int cut; /* the text is cut at cut - 1 bytes before it is
			   * escaped (0: sizeof(msg)), as the buffer this
			   * carrier replaces cut it */
	bool cut_escaped; /* the escaped line is cut there too (a spec
			   * error); else it may fill msg */
	char msg[LIB_ERROR_MSG];
};

/* A carrier with nothing in it, its text cut at c - 1 bytes (0: none). */
#define LIB_ERROR_INIT(c)                                                      \
	{                                                                      \
		.err = 0, .col = -1, .cut = (c), .msg = ""                     \
	}
/* One for a spec error: 255 bytes, before and after escaping. */
#define LIB_ERROR_SPEC_INIT                                                    \
	{                                                                      \
		.err = 0, .col = -1, .cut = LIB_ERROR_SPEC_CUT,                \
		.cut_escaped = true, .msg = ""                                 \
	}

/* Empty e (NULL: nothing), keeping its cut. */
void lib_error_clear(struct lib_error *e);

/*
 * Fill e: err (its sign is ignored), col, and the message fmt formats, cut
 * at e's cut before escaping; with cut_escaped its escaped form is cut
 * there too, at a whole escape or UTF-8 sequence. Returns -err (-|err|).
 * NULL e: nothing is written, -err is still returned.
 */
int lib_error_set(struct lib_error *e, int err, int col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Append each line of text (the kernel's error_log) to e's message after a
 * newline, escaped, while room is left. */
void lib_error_append_lines(struct lib_error *e, const char *text);

#endif
