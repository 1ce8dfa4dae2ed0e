/* SPDX-License-Identifier: MIT */
/*
 * `sonde run`'s code generator: the small helpers every bt_gen*.c file
 * calls. Errors worded at the program's line and column (sonde's form and
 * bpftrace's), which values live in memory and a tuple's layout, the
 * spill slots and the scratch bytes of the program being generated, and
 * whether its probe reads user memory. Apart from bt_gen.c, which walks
 * the program.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "bt_gen_int.h"

int btg_fail(struct btg *s, struct bt_loc loc, int err, const char *fmt, ...)
{
	const char *t = s->p->text;
	int line = 1, off = 0;
	char what[256];
	va_list ap;

	if (s->err->err)
		return -s->err->err;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	while (t && t[off] && line < loc.line)
		if (t[off++] == '\n')
			line++;
	return lib_error_set(s->err, err, off + loc.col, "%s:%d:%d: %s",
			     s->p->filename ? s->p->filename : "stdin",
			     loc.line, loc.col + 1, what);
}

int btg_fail_bt(struct btg *s, struct bt_loc loc, int err, const char *fmt, ...)
{
	char what[256], *lines = NULL;
	size_t len = 0;
	va_list ap;
	FILE *f;

	if (s->err->err)
		return -s->err->err;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	lib_error_set(s->err, err, -1, "%s:%d:%d-%d: ERROR: %s",
		      s->p->filename ? s->p->filename : "stdin", loc.line,
		      loc.col + 1, loc.col + 1 + loc.len, what);
	f = open_memstream(&lines, &len);
	if (f) {
		bt_caret(s->p, loc, f);
		fclose(f);
	}
	lib_error_append_lines(s->err, lines);
	free(lines);
	return -err;
}

bool btg_is_mem(const struct bt_type *t)
{
	switch (t->kind) {
	case BT_T_STR:
	case BT_T_BUF:
	case BT_T_TUPLE:
	case BT_T_USYM:
	case BT_T_INET:
	case BT_T_USTACK:
		return true;
	default:
		return false;
	}
}

uint32_t btg_tup_off(const struct bt_type *t, int i)
{
	uint32_t off = 0;
	int j;

	for (j = 0; j < i; j++)
		off = btg_align8(off + t->tup[j].size);
	return off;
}

int btg_push(struct btg *s)
{
	if (s->depth == BTG_SPILLS) {
		s->buf.err = -E2BIG;
		return BTG_SPILL0;
	}
	return BTG_SPILL0 - 8 * s->depth++;
}

void btg_pop(struct btg *s)
{
	s->depth--;
}

int btg_scratch(struct btg *s, uint32_t size)
{
	uint32_t at = s->scr_top;

	if (at + btg_align8(size) > BTG_SCRATCH_MAX) {
		s->buf.err = -E2BIG;
		return 0;
	}
	s->scr_top += btg_align8(size ? size : 1);
	if (s->scr_top > s->prog_scr)
		s->prog_scr = s->scr_top;
	return (int)at;
}

bool btg_user_probe(const struct btg *s)
{
	switch (s->probe->kind) {
	case BT_P_UPROBE:
	case BT_P_URETPROBE:
	case BT_P_USDT:
	case BT_P_BEGIN:
	case BT_P_END:
		return true;
	default:
		return false;
	}
}
