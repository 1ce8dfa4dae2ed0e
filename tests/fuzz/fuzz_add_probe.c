/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for sonde_session__add_probe() on sessions that are
 * never started: spec parsing, ELF symbols, DWARF names, USDT notes,
 * wildcards and the definition line, nothing reaches the kernel. The
 * input is one spec; the fuzzer runs in the fixtures directory
 * ($SONDE_FUZZ_FIXTURES, set by tests/fuzz/run), so "u:./fixture_pie:add"
 * names a real fixture and mutations reach the others. An input whose
 * first byte is below 8 is the ARGS of one of eight probes known to
 * resolve (prefix[] below), so mutations of arguments meet real DWARF,
 * USDT notes and ELF symbols more often.
 *
 * Oracle: every message (the error and the log callback's) is one line
 * without control characters, the error column is inside the spec; every
 * probe added has an event name of [A-Za-z0-9_], and its definition is
 * "p:GROUP/NAME LOCATION ARG..." where LOCATION is the probe's resolved
 * path and offset, each ARG is NAME=FETCH[:TYPE], and no byte of it would
 * make the kernel's uprobe_events parser read another line (the path
 * excepted, which tfs_check_path() must then refuse).
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

static const char *input;
static char debug_dir[4096];
static unsigned long added, inputs;

static void print_added(void)
{
	fprintf(stderr, "fuzz_add_probe: %lu of %lu specs added probes\n",
		added, inputs);
}

static void fail(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_add_probe: %s: '%s' (input '%s')\n", what,
		detail ? detail : "", input);
	abort();
}

static bool bad_byte(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

static void check_msg(const char *what, const char *msg)
{
	const unsigned char *c;

	/* the library escapes its messages (log.c, sonde_text__escape()) */
	for (c = (const unsigned char *)msg; *c; c++)
		if (bad_byte(*c))
			fail(what, msg);
}

static void on_log(enum sonde_log_level level, const char *msg, void *ctx)
{
	(void)level;
	(void)ctx;
	check_msg("a control character in a log message", msg);
}

static bool name_ok(const char *s, size_t n)
{
	size_t i;

	if (!n)
		return false;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_')
			return false;
	return true;
}

/* A word of the definition: no byte the kernel splits or cuts at. */
static bool word_ok(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || s[i] == '#' ||
		    (unsigned char)s[i] == 0xa0 || s[i] == 0x7f)
			return false;
	return true;
}

static void check_probe(struct sonde_session *s, int i)
{
	struct probe *p = &s->probes[i];
	const char *def = sonde_session__probe_definition(s, i);
	const char *name = sonde_session__probe_name(s, i);
	const char *w, *e, *eq;
	size_t plen;

	if (!def || !name)
		fail("a probe without a definition or name", def);
	if (!name_ok(name, strlen(name)))
		fail("a bad event name", name);
	/* p:GROUP/NAME or r[N]:GROUP/NAME */
	e = strchr(def, ' ');
	if (!e || !strchr("pr", def[0]) || !memchr(def, '/', e - def))
		fail("a definition that does not start with p:GROUP/NAME", def);
	w = memchr(def, '/', e - def) + 1;
	if ((size_t)(e - w) != strlen(name) || strncmp(w, name, e - w))
		fail("the definition's event is not the probe's name", def);
	w = e + 1;
	if (probe_kind_is_user(p->spec.kind)) {
		char off[32];

		if (!p->path)
			fail("a uprobe without a path", def);
		plen = strlen(p->path);
		snprintf(off, sizeof(off), ":0x%llx",
			 (unsigned long long)p->offset);
		if (strncmp(w, p->path, plen) ||
		    strncmp(w + plen, off, strlen(off)))
			fail("the definition's location is not the probe's",
			     def);
		if (!word_ok(p->path, plen) && tfs_check_path(s, p) == 0)
			fail("a path the kernel misreads is not refused",
			     p->path);
		w += plen;
	}
	e = strchr(w, ' ');
	if (!e)
		e = w + strlen(w);
	if (!word_ok(w, e - w))
		fail("a byte the kernel misreads in the location", def);
	for (w = *e ? e + 1 : e; *w; w = *e ? e + 1 : e) {
		e = strchr(w, ' ');
		if (!e)
			e = w + strlen(w);
		eq = memchr(w, '=', e - w);
		if (!eq || !name_ok(w, eq - w))
			fail("an argument that is not NAME=FETCH", def);
		/* the kernel's immediate string \"..." is one word too */
		if (!word_ok(eq + 1, e - eq - 1))
			fail("a byte the kernel misreads in an argument", def);
	}
}

static const char *const prefix[8] = {
	"u:./fixture_dwarf:handle ",
	"u:./fixture_dwarf:sum ",
	"usdt:./fixture_usdt:fixture:tick ",
	"ur:./fixture_pie:add ",
	"u:./fixture_pie:greet ",
	"u:./libfixture.so:lib_add ",
	"u:./dwarf_entry_O2:* ",
	"u:./fixture_nopie:0x401136 ",
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = getenv("SONDE_FUZZ_FIXTURES");

	(void)argc;
	(void)argv;
	if (dir && chdir(dir) == 0)
		snprintf(debug_dir, sizeof(debug_dir), "%s", dir);
	atexit(print_added);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sonde_session_opts o = {
		.sz = sizeof(o),
		.log = on_log,
		.max_probes = 32,
		.debug_dir = debug_dir[0] ? debug_dir : NULL,
	};
	struct sonde_session *s;
	char *text;
	int ret, col, i;

	if (size > 4096)
		return 0;
	text = malloc(size + 64);
	if (!text)
		return 0;
	if (size && data[0] < 8) {
		snprintf(text, 64, "%s", prefix[data[0]]);
		memcpy(text + strlen(text), data + 1, size - 1);
		text[strlen(prefix[data[0]]) + size - 1] = '\0';
	} else {
		memcpy(text, data, size);
		text[size] = '\0';
	}
	input = text;
	s = sonde_session__open(&o);
	if (!s)
		fail("sonde_session__open failed", NULL);
	ret = sonde_session__add_probe(s, text, NULL);
	if (ret < 0) {
		check_msg("a control character in the error message",
			  sonde_session__errmsg(s));
		col = sonde_session__errcol(s);
		if (col < -1 || col > (int)strlen(text))
			fail("the error column is outside the spec",
			     sonde_session__errmsg(s));
	}
	inputs++;
	added += sonde_session__probe_count(s) > 0;
	for (i = 0; i < sonde_session__probe_count(s); i++)
		check_probe(s, i);
	sonde_session__close(s);
	free(text);
	return 0;
}
