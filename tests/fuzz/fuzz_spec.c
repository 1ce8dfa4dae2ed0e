/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the probe-spec and fetcharg grammars (spec.c,
 * spec_args.c, fetch.c). Built and run by tests/fuzz/run; the input is
 * the spec text.
 *
 * Besides crashes, leaks and undefined behaviour it checks what callers
 * rely on: an error has a one-line message without control characters
 * and a column inside the text, and leaves the spec zeroed; a parsed spec
 * has unique, valid argument names, and its fetches, names and types hold
 * no byte that would split or cut the uprobe_events line it goes into
 * (space, control characters, '#'); a kernel fetcharg rewrites to itself;
 * and the spec printed back as u:/ur:/k:/kr: text parses to the same spec.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec/spec.h"

static const char *input;

static void fail(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_spec: %s: '%s' (input '%s')\n", what,
		detail ? detail : "", input);
	abort();
}

static void check_error(const struct lib_error *err, size_t len)
{
	const unsigned char *c = (const unsigned char *)err->msg;

	if (!*c)
		fail("empty error message", NULL);
	for (; *c; c++)
		if (*c < 0x20 || *c == 0x7f)
			fail("control character in an error message", err->msg);
	if (err->col < -1 || err->col > (int)len)
		fail("error column outside the text", err->msg);
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

/* A piece of the definition line: no byte the kernel's parser splits or
 * cuts at (definition_check.c: isspace() incl. 0xa0, '#'), no control byte.
 * An immediate string (\"...") is the kernel's own syntax and may hold
 * what the user wrote, spaces excepted. */
static void check_word(const char *what, const char *w)
{
	const unsigned char *c;

	for (c = (const unsigned char *)w; *c; c++)
		if (*c <= 0x20 || *c == 0x7f || *c == 0xa0 || *c == '#')
			fail(what, w);
}

static bool same_str(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

/* sonde's own syntax for s, or false when s is in another form. */
static bool print_spec(const struct probe_spec *s, char *buf, size_t len)
{
	static const char *const prefix[] = {"u", "ur", "k", "kr"};
	size_t n, i;

	if (s->group || s->event || s->usdt || s->maxactive ||
	    s->ref_ctr_offset || (s->has_addr && s->addr_is_offset) ||
	    (s->target && strchr(s->target, ':')))
		return false;
	n = snprintf(buf, len, "%s:", prefix[s->kind]);
	if (s->target)
		n += snprintf(buf + n, len - n, "%s:", s->target);
	if (s->has_addr)
		n += snprintf(buf + n, len - n, "0x%llx",
			      (unsigned long long)s->addr);
	else
		n += snprintf(buf + n, len - n, "%s", s->symbol);
	if (s->has_offset)
		n += snprintf(buf + n, len - n, "+%llu",
			      (unsigned long long)s->offset);
	for (i = 0; i < s->nargs && n < len; i++)
		if (s->args[i].deferred && !strcmp(s->args[i].fetch, "$params"))
			n += snprintf(buf + n, len - n, " $params");
		else
			n += snprintf(buf + n, len - n, " %s=%s%s%s",
				      s->args[i].name, s->args[i].fetch,
				      s->args[i].type ? ":" : "",
				      s->args[i].type ? s->args[i].type : "");
	return n < len;
}

static void check_round_trip(const struct probe_spec *s)
{
	struct lib_error err;
	struct probe_spec t;
	char text[4096];
	size_t i;

	if (!print_spec(s, text, sizeof(text)))
		return;
	if (spec_parse(text, &t, &err)) {
		fprintf(stderr, "fuzz_spec: %s\n", err.msg);
		fail("the spec printed back does not parse", text);
	}
	if (t.kind != s->kind || !same_str(t.target, s->target) ||
	    !same_str(t.symbol, s->symbol) || t.has_addr != s->has_addr ||
	    t.addr != s->addr || t.offset != s->offset || t.nargs != s->nargs)
		fail("the spec printed back parses to another", text);
	for (i = 0; i < s->nargs; i++)
		if ((!same_str(t.args[i].name, s->args[i].name) &&
		     strcmp(s->args[i].fetch, "$params")) ||
		    !same_str(t.args[i].fetch, s->args[i].fetch) ||
		    !same_str(t.args[i].type, s->args[i].type) ||
		    t.args[i].deferred != s->args[i].deferred)
			fail("an argument printed back parses to another",
			     text);
	spec_free(&t);
}

/* t:SYSTEM:EVENT [NAME=]FIELD...: both parts, fields by plain names */
static void check_tracepoint(const struct probe_spec *s, size_t len)
{
	size_t i, j;

	if (!s->group || !*s->group || !s->event || !*s->event)
		fail("a tracepoint without its system or event", s->group);
	check_word("a byte tracefs cannot name in a tracepoint", s->group);
	check_word("a byte tracefs cannot name in a tracepoint", s->event);
	if (s->symbol || s->has_addr || s->target)
		fail("a tracepoint with a symbol, address or target", NULL);
	for (i = 0; i < s->nargs; i++) {
		const struct probe_arg *a = &s->args[i];

		if (!a->name || !a->fetch || !good_name(a->name) ||
		    !good_name(a->fetch))
			fail("bad tracepoint field", a->fetch);
		if (a->col < 0 || a->col >= (int)len)
			fail("argument column outside the text", a->name);
		for (j = 0; j < i; j++)
			if (!strcmp(a->name, s->args[j].name))
				fail("two arguments of one name", a->name);
	}
}

static void check_spec(const struct probe_spec *s, size_t len)
{
	size_t i, j;
	char *again;

	if (s->kind == PROBE_TRACEPOINT) {
		check_tracepoint(s, len);
		return;
	}
	if (!s->symbol && !s->has_addr)
		fail("neither symbol nor address", NULL);
	if (probe_kind_is_user(s->kind) && !s->target)
		fail("a uprobe without a target", NULL);
	for (i = 0; i < s->nargs; i++) {
		const struct probe_arg *a = &s->args[i];

		if (!a->name || !a->fetch || !good_name(a->name))
			fail("bad argument name", a->name);
		if (a->col < 0 || a->col >= (int)len)
			fail("argument column outside the text", a->name);
		for (j = 0; j < i; j++)
			if (!strcmp(a->name, s->args[j].name))
				fail("two arguments of one name", a->name);
		if (strncmp(a->fetch, "\\\"", 2))
			check_word("a byte the kernel misreads in a fetch",
				   a->fetch);
		if (a->type) {
			check_word("a byte the kernel misreads in a type",
				   a->type);
			if (fetch_check_type(a->type, 0, NULL))
				fail("a type that does not check", a->type);
		}
		if (a->deferred)
			continue;
		again = fetch_rewrite(a->fetch, s->kind, 0, NULL);
		if (!again || strcmp(again, a->fetch))
			fail("a kernel fetch does not rewrite to itself",
			     a->fetch);
		free(again);
	}
	if (s->symbol && !s->usdt && !s->target)
		check_word("a byte the kernel misreads in a kprobe symbol",
			   s->symbol);
	check_round_trip(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum probe_kind kinds[] = {
		PROBE_UPROBE,
		PROBE_URETPROBE,
		PROBE_KPROBE,
		PROBE_KRETPROBE,
	};
	struct lib_error err;
	struct probe_spec s;
	char *text = malloc(size + 1);
	char *out;
	size_t i;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	size = strlen(text);
	input = text;

	if (spec_parse(text, &s, &err) == 0) {
		check_spec(&s, size);
		spec_free(&s);
	} else {
		check_error(&err, size);
		if (s.args || s.target || s.symbol || s.nargs)
			fail("a failed parse left memory in the spec", NULL);
	}
	for (i = 0; i < sizeof(kinds) / sizeof(*kinds); i++) {
		out = fetch_rewrite(text, kinds[i], 0, &err);
		if (!out)
			check_error(&err, size);
		else if (strncmp(out, "\\\"", 2))
			check_word("a byte the kernel misreads in a fetch",
				   out);
		free(out);
	}
	if (fetch_check_type(text, 0, &err))
		check_error(&err, size);
	free(text);
	return 0;
}
