/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the parser of the kernel's hist file
 * (sonde_hist__parse(), pmu_counter.c). Seeds: hist files captured from the
 * 6.1 kernel (tests/unit/data/hist).
 *
 * Byte 0 picks the mode. Even: the rest is a hist file as the kernel
 * might write it, mutated; every entry handed over has at most
 * SONDE_AGG_MAX_KEYS keys, its names and values trimmed and
 * on one line, and the return value is the number of entries. Odd: the
 * rest describes entries (keys, values, hit counts) that are printed as
 * the kernel prints them (kernel/trace/trace_events_hist.c
 * hist_trigger_entry_print(), "Totals:" from hist_show()), parsed back;
 * the entries, their keys and values come back as printed, their hit
 * counts add up to "Hits:", and "Dropped:" is read.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sonde/sonde.h>

#define MAX_ENTRIES 16

struct entry {
	int nkeys;
	char names[SONDE_AGG_MAX_KEYS][8];
	char vals[SONDE_AGG_MAX_KEYS][24];
	uint64_t hits;
};

struct got {
	const struct entry *want; /* odd mode: what was printed */
	int n;
	uint64_t hits;
};

static void fail(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_hist: %s: '%s'\n", what, detail ? detail : "");
	abort();
}

static void check_text(const char *what, const char *s)
{
	size_t n = strlen(s);

	if (strchr(s, '\n') || (n && (isspace((unsigned char)s[0]) ||
				      isspace((unsigned char)s[n - 1]))))
		fail(what, s);
}

static int on_entry(int nkeys, const char *const *names,
		    const char *const *vals, uint64_t hits, void *ctx)
{
	struct got *g = ctx;
	const struct entry *w;
	int i;

	if (nkeys < 0 || nkeys > SONDE_AGG_MAX_KEYS)
		fail("a key count out of range", NULL);
	for (i = 0; i < nkeys; i++) {
		check_text("a key name not trimmed to one line", names[i]);
		check_text("a key value not trimmed to one line", vals[i]);
	}
	if (g->want) {
		w = &g->want[g->n];
		if (nkeys != w->nkeys || hits != w->hits)
			fail("an entry came back with other keys or hits",
			     names[0]);
		for (i = 0; i < nkeys; i++)
			if (strcmp(names[i], w->names[i]) ||
			    strcmp(vals[i], w->vals[i]))
				fail("a key came back changed", vals[i]);
	}
	g->n++;
	g->hits += hits;
	return 0;
}

static size_t take(const uint8_t **d, size_t *size)
{
	size_t v = *size ? **d : 0;

	if (*size) {
		(*d)++;
		(*size)--;
	}
	return v;
}

/* A value as the kernel prints a number or a string key: no ':' (the
 * next key starts at ", NAME:"), no '}' and no newline in it. */
static void make_value(char *buf, size_t len, const uint8_t **d, size_t *size)
{
	static const char chars[] = "abcXYZ019 ,./-_()[]";
	size_t n = take(d, size) % (len - 1), i;

	if (n & 1) { /* a number */
		snprintf(buf, len, "%llu",
			 (unsigned long long)take(d, size) * 1000003u);
		return;
	}
	for (i = 0; i < n; i++)
		buf[i] = chars[take(d, size) % (sizeof(chars) - 1)];
	buf[n] = '\0';
	/* printed trimmed: the kernel pads strings, the parser trims */
	while (n && buf[n - 1] == ' ')
		buf[--n] = '\0';
	if (buf[0] == ' ')
		buf[0] = 'q';
	if (!buf[0])
		snprintf(buf, len, "0");
}

static void structured(const uint8_t *d, size_t size)
{
	static struct entry e[MAX_ENTRIES];
	static char text[MAX_ENTRIES * 512 + 512];
	struct got g = {e};
	size_t n = take(&d, &size) % MAX_ENTRIES, i, len = 0;
	uint64_t sum = 0, dropped, dropped_got = ~0ull;
	int k, ret;

	len += snprintf(text + len, sizeof(text) - len,
			"# event histogram\n#\n# trigger info: hist:keys=x "
			"[active]\n#\n\n");
	for (i = 0; i < n; i++) {
		e[i].nkeys = 1 + take(&d, &size) % SONDE_AGG_MAX_KEYS;
		e[i].hits = take(&d, &size) * 7919u + take(&d, &size);
		sum += e[i].hits;
		len += snprintf(text + len, sizeof(text) - len, "{");
		for (k = 0; k < e[i].nkeys; k++) {
			snprintf(e[i].names[k], sizeof(e[i].names[k]), "k%d_%c",
				 k, 'a' + (int)(take(&d, &size) % 26));
			make_value(e[i].vals[k], sizeof(e[i].vals[k]), &d,
				   &size);
			len += snprintf(
				text + len, sizeof(text) - len, "%s %s: %*s",
				k ? "," : "", e[i].names[k],
				(int)(take(&d, &size) % 12), e[i].vals[k]);
		}
		len += snprintf(text + len, sizeof(text) - len,
				" } hitcount: %10llu\n",
				(unsigned long long)e[i].hits);
	}
	dropped = take(&d, &size);
	snprintf(text + len, sizeof(text) - len,
		 "\nTotals:\n    Hits: %llu\n    Entries: %zu\n"
		 "    Dropped: %llu\n",
		 (unsigned long long)sum, n, (unsigned long long)dropped);
	ret = sonde_hist__parse(text, on_entry, &g, &dropped_got);
	if (ret != (int)n || g.n != (int)n)
		fail("the entries printed are not the entries parsed", text);
	if (g.hits != sum)
		fail("the hit counts do not add up to Hits:", text);
	if (dropped_got != dropped)
		fail("Dropped: is not read", text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct got g = {0};
	uint64_t dropped;
	char *text;
	int ret;

	if (size < 1)
		return 0;
	if (data[0] & 1) {
		structured(data + 1, size - 1);
		return 0;
	}
	text = malloc(size);
	if (!text)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	ret = sonde_hist__parse(text, on_entry, &g, &dropped);
	if (ret >= 0 && ret != g.n)
		fail("the count returned is not the entries handed over", NULL);
	free(text);
	return 0;
}
