/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the probe-spec and fetcharg grammars. Not built by
 * default. Build and run from the repository root:
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE \
 *     -Isrc/lib tests/fuzz/fuzz_spec.c src/lib/spec.c src/lib/spec_args.c \
 *     src/lib/fetch.c -o fuzz_spec
 *   mkdir -p corpus && ./fuzz_spec -max_total_time=60 -max_len=256 corpus
 *
 * Besides crashes and leaks it checks what callers rely on: errors carry a
 * one-line message and a column inside the text; a parsed spec has unique,
 * valid argument names; kernel fetchargs rewrite to themselves.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "spec.h"

static void check_error(const struct spec_error *err, size_t len)
{
	if (!err->msg[0] || strchr(err->msg, '\n'))
		abort();
	if (err->col < -1 || err->col > (int)len)
		abort();
}

static bool good_name(const char *s)
{
	if (!isalpha((unsigned char)*s) && *s != '_')
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return false;
	return true;
}

static void check_spec(const struct probe_spec *s, size_t len)
{
	size_t i, j;
	char *again;

	if (!s->symbol && !s->has_addr)
		abort();
	if (probe_kind_is_user(s->kind) && !s->target)
		abort();
	for (i = 0; i < s->nargs; i++) {
		const struct probe_arg *a = &s->args[i];

		if (!a->name || !a->fetch || !good_name(a->name))
			abort();
		if (a->col < 0 || a->col >= (int)len)
			abort();
		for (j = 0; j < i; j++)
			if (!strcmp(a->name, s->args[j].name))
				abort();
		again = fetch_rewrite(a->fetch, s->kind, 0, NULL);
		if (!again || strcmp(again, a->fetch))
			abort();
		free(again);
		if (a->type && fetch_check_type(a->type, 0, NULL))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum probe_kind kinds[] = {
		PROBE_UPROBE,
		PROBE_URETPROBE,
		PROBE_KPROBE,
		PROBE_KRETPROBE,
	};
	struct spec_error err;
	struct probe_spec s;
	char *text = malloc(size + 1);
	char *out;
	size_t i;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	size = strlen(text);

	if (spec_parse(text, &s, &err) == 0) {
		check_spec(&s, size);
		spec_free(&s);
	} else {
		check_error(&err, size);
		if (s.args || s.target || s.symbol || s.nargs)
			abort();
	}
	for (i = 0; i < sizeof(kinds) / sizeof(*kinds); i++) {
		out = fetch_rewrite(text, kinds[i], 0, &err);
		if (!out)
			check_error(&err, size);
		free(out);
	}
	if (fetch_check_type(text, 0, &err))
		check_error(&err, size);
	free(text);
	return 0;
}
