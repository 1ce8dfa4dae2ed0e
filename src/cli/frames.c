/* SPDX-License-Identifier: MIT */
/*
 * A stack's frames as sonde prints them. Kernel frames and user frames
 * without debug info: "func+0x1a (file)". A user frame unwound with DWARF
 * (--call-graph dwarf) whose file has debug info: each function inlined
 * at the address first, "helper (inlined) at f.c:10", then
 * "b+0x12 (prog) at f.c:20"; names alone ("helper (inlined)", "b") for
 * folded stacks and flame graphs.
 */
#include <stdio.h>
#include <string.h>

#include "frames.h"

#define SRC_MAX 32

static void at_line(char *buf, size_t len, const struct sonde_src_frame *f)
{
	size_t n = strlen(buf);
	const char *file;

	if (!f->file || n >= len)
		return;
	file = strrchr(f->file, '/');
	snprintf(buf + n, len - n, " at %s:%d", file ? file + 1 : f->file,
		 f->line);
}

void cli_frame_texts(const struct sonde_event *ev, const uint64_t *frames,
		     int i, int kframes, bool names, frame_text_fn fn,
		     void *ctx)
{
	struct sonde_src_frame src[SRC_MAX];
	char buf[768];
	bool user = i >= kframes;
	/* a caller's frame is its call instruction's, before the return
	 * address */
	uint64_t at = frames[i] - (user && i > kframes ? 1 : 0);
	int n = user ? sonde_event__src_frames(ev, at, src, SRC_MAX) : 0, j;

	for (j = 0; j < n - 1; j++) {
		if (!src[j].func)
			continue;
		snprintf(buf, sizeof(buf), "%s (inlined)", src[j].func);
		if (!names)
			at_line(buf, sizeof(buf), &src[j]);
		fn(buf, ctx);
	}
	sonde_event__symbolize(ev, frames[i], user, buf, sizeof(buf));
	if (names)
		cli_frame_name(buf);
	else if (n)
		at_line(buf, sizeof(buf), &src[n - 1]);
	fn(buf, ctx);
}

/* "func+0x1a (x.so)" -> "func". The file is the last " (...)", the offset
 * the last "+0x": C++ names hold " (" and '+'
 * ("f<void (*)(int)>(void (*)(int))", "operator+(A, A)"). */
void cli_frame_name(char *buf)
{
	size_t len = strlen(buf);
	char *p, *q;

	for (p = NULL, q = buf;
	     len && buf[len - 1] == ')' && (q = strstr(q, " (")); q++)
		p = q;
	if (p)
		*p = '\0';
	for (p = NULL, q = buf; (q = strstr(q, "+0x")); q++)
		p = q;
	if (p && p != buf && p[3] && !p[3 + strspn(p + 3, "0123456789abcdef")])
		*p = '\0';
}

uint64_t cli_stack_hash(int pid, const uint64_t *f, int n)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ (uint64_t)pid;
	int i;

	for (i = 0; i < n; i++)
		h = (h ^ f[i]) * 0x100000001b3ULL;
	return h ^ (h >> 29);
}
