/* SPDX-License-Identifier: MIT */
/*
 * sonde serve's configuration (docs/sonde-serve.1): a line format in the
 * words of the command line, so an entry reads as the `sonde count` or
 * `sonde hist` it stands for. A line "metric NAME" starts an entry; the
 * indented lines after it are its settings, "KEY VALUE" (a probe spec
 * keeps its blanks). '#' starts a comment line. A bad line makes its
 * entry bad (reported, not run); the other entries run.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "serve.h"

/* Prometheus' metric names: [a-zA-Z_:][a-zA-Z0-9_:]*; labels the same
 * without ':' and not starting with "__" (reserved). */
static bool good_name(const char *s, bool label)
{
	const char *p;

	if (!*s || isdigit((unsigned char)*s) || (label && !strncmp(s, "__", 2)))
		return false;
	for (p = s; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' &&
		    (label || *p != ':'))
			return false;
	return true;
}

static void entry_error(struct serve_entry *e, int line, const char *fmt, ...)
{
	va_list ap;
	char *msg, *full;

	if (e->error) /* the first error is the one said */
		return;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (asprintf(&full, "line %d: %s", line, msg ? msg : "out of memory") < 0)
		full = NULL;
	free(msg);
	e->error = full ? full : strdup("out of memory");
}

static int set_str(char **to, const char *v)
{
	free(*to);
	*to = strdup(v);
	return *to ? 0 : -ENOMEM;
}

static void set_labels(struct serve_entry *e, int line, const char *v)
{
	char *list = strdup(v), *tok, *save = NULL;

	for (tok = list ? strtok_r(list, ",", &save) : NULL; tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (e->nlabels == SERVE_MAX_LABELS) {
			entry_error(e, line, "at most %d labels",
				    SERVE_MAX_LABELS);
			break;
		}
		if (!good_name(tok, true)) {
			entry_error(e, line, "'%s' cannot be a label name "
					     "([a-zA-Z_][a-zA-Z0-9_]*)", tok);
			break;
		}
		e->labels[e->nlabels++] = strdup(tok);
	}
	free(list);
	if (!e->nlabels)
		entry_error(e, line, "labels needs KEY[,KEY]");
}

/* One "KEY VALUE" line of entry e. */
static void setting(struct serve_entry *e, int line, const char *key,
		    const char *v)
{
	char *end;

	if (!strcmp(key, "kind")) {
		if (!strcmp(v, "count"))
			e->kind = SERVE_COUNT;
		else if (!strcmp(v, "hist"))
			e->kind = SERVE_HIST;
		else if (!strcmp(v, "latency"))
			e->kind = SERVE_LATENCY;
		else if (!strcmp(v, "stack"))
			e->kind = SERVE_STACK;
		else
			entry_error(e, line, "kind takes count, hist, latency or stack, not '%s'", v);
	} else if (!strcmp(key, "call-graph")) {
		if (!strcmp(v, "fp"))
			e->call_graph = SONDE_CALL_GRAPH_FP;
		else if (!strcmp(v, "dwarf"))
			e->call_graph = SONDE_CALL_GRAPH_DWARF;
		else
			entry_error(e, line, "call-graph takes fp or dwarf, not '%s'", v);
	} else if (!strcmp(key, "help")) {
		set_str(&e->help, v);
	} else if (!strcmp(key, "unit")) {
		if (!good_name(v, true) || strchr(v, ':'))
			entry_error(e, line, "'%s' cannot be a unit", v);
		else
			set_str(&e->unit, v);
	} else if (!strcmp(key, "probe")) {
		if (e->nprobes == SERVE_MAX_PROBES)
			entry_error(e, line, "at most %d probes", SERVE_MAX_PROBES);
		else if (!*v)
			entry_error(e, line, "probe needs a spec");
		else
			e->probes[e->nprobes++] = strdup(v);
	} else if (!strcmp(key, "labels")) {
		set_labels(e, line, v);
	} else if (!strcmp(key, "value")) {
		if (!good_name(v, true))
			entry_error(e, line, "value takes a field name, not '%s'", v);
		else
			set_str(&e->value, v);
	} else if (!strcmp(key, "linear")) {
		if (sscanf(v, "%ld,%ld,%ld", &e->min, &e->max, &e->step) != 3 ||
		    e->step <= 0 || e->max <= e->min ||
		    (e->max - e->min) / e->step > 1000)
			entry_error(e, line, "linear takes MIN,MAX,STEP (at most 1000 buckets)");
		e->linear = true;
	} else if (!strcmp(key, "max-series")) {
		e->max_series = strtoul(v, &end, 10);
		if (!*v || *end || *v == '-' || !e->max_series ||
		    e->max_series > 100000)
			entry_error(e, line, "max-series takes 1..100000, not '%s'", v);
	} else {
		entry_error(e, line, "unknown setting '%s'", key);
	}
}

/* What a complete entry needs; and no two entries of one name. */
static void entry_check(struct serve_config *c, struct serve_entry *e)
{
	int i;

	for (i = 0; i < c->n - 1; i++)
		if (!strcmp(c->e[i].name, e->name))
			entry_error(e, e->line, "metric '%s' is defined twice (line %d)",
				    e->name, c->e[i].line);
	if (e->kind == SERVE_LATENCY && !*e->unit)
		set_str(&e->unit, "seconds");
	if ((int)e->kind < 0)
		entry_error(e, e->line, "no kind (count, hist, latency or stack)");
	else if (e->kind == SERVE_STACK && (e->nlabels || e->value || e->linear))
		entry_error(e, e->line, "a stack takes no labels, value or linear");
	else if (e->kind != SERVE_STACK && e->call_graph)
		entry_error(e, e->line, "call-graph is for a stack");
	else if (!e->nprobes)
		entry_error(e, e->line, "no probe");
	else if (e->kind == SERVE_HIST && !e->value)
		entry_error(e, e->line, "a hist needs 'value FIELD'");
	else if (e->kind != SERVE_HIST && (e->value || e->linear))
		entry_error(e, e->line, "value and linear are for a hist");
	else if (e->kind == SERVE_LATENCY && strcmp(e->unit, "seconds"))
		entry_error(e, e->line, "a latency is in seconds (unit seconds)");
	for (i = 0; i < e->nlabels; i++)
		if (e->value && !strcmp(e->labels[i], e->value))
			entry_error(e, e->line, "'%s' is both a label and the value",
				    e->value);
}

static struct serve_entry *entry_new(struct serve_config *c, const char *name,
				     int line)
{
	struct serve_entry *grown = realloc(c->e, (c->n + 1) * sizeof(*c->e));
	struct serve_entry *e;

	if (!grown)
		return NULL;
	c->e = grown;
	e = &c->e[c->n++];
	memset(e, 0, sizeof(*e));
	e->kind = (enum serve_kind)-1;
	e->line = line;
	e->max_series = SERVE_MAX_SERIES_DEFAULT;
	e->name = strdup(name);
	e->help = strdup("");
	e->unit = strdup("");
	if (!e->name || !e->help || !e->unit)
		return NULL;
	if (!good_name(name, false))
		entry_error(e, line, "'%s' cannot be a metric name "
				     "([a-zA-Z_:][a-zA-Z0-9_:]*)", name);
	return e;
}

/* The word at p (after blanks) into key; returns what follows it. */
static char *split(char *p, char **key)
{
	p += strspn(p, " \t");
	*key = p;
	p += strcspn(p, " \t");
	if (*p)
		*p++ = '\0';
	return p + strspn(p, " \t");
}

int serve_config_read(const char *path, struct serve_config *c)
{
	struct serve_entry *e = NULL;
	FILE *f = fopen(path, "re");
	char *line = NULL, *key, *v;
	size_t cap = 0;
	ssize_t len;
	int no = 0, err = 0;

	memset(c, 0, sizeof(*c));
	if (!f)
		return asprintf(&c->error, "%s: %s", path, strerror(errno)) < 0 ?
			       -ENOMEM : 0;
	while (!err && (len = getline(&line, &cap, f)) >= 0) {
		no++;
		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r' ||
			       line[len - 1] == ' ' || line[len - 1] == '\t'))
			line[--len] = '\0';
		v = line + strspn(line, " \t");
		if (!*v || *v == '#')
			continue;
		if (v == line) { /* not indented: a new entry */
			v = split(line, &key);
			if (strcmp(key, "metric") || !*v ||
			    strpbrk(v, " \t")) {
				if (e)
					entry_check(c, e);
				e = entry_new(c, *v ? v : key, no);
				if (!e)
					err = -ENOMEM;
				else
					entry_error(e, no, "an entry starts with 'metric NAME'");
				continue;
			}
			if (e)
				entry_check(c, e);
			e = entry_new(c, v, no);
			if (!e)
				err = -ENOMEM;
			continue;
		}
		v = split(v, &key);
		if (!e) {
			e = entry_new(c, "-", no);
			if (!e)
				err = -ENOMEM;
			else
				entry_error(e, no, "'%s' before any 'metric NAME'", key);
			continue;
		}
		setting(e, no, key, v);
	}
	if (e && !err)
		entry_check(c, e);
	if (!err && ferror(f) &&
	    asprintf(&c->error, "%s: %s", path, strerror(errno)) < 0)
		err = -ENOMEM;
	free(line);
	fclose(f);
	return err;
}

static void entry_free(struct serve_entry *e)
{
	int i;

	serve_table_close(e);
	serve_stacks_close(e);
	for (i = 0; i < e->nprobes; i++)
		free(e->probes[i]);
	for (i = 0; i < e->nlabels; i++)
		free(e->labels[i]);
	free(e->name);
	free(e->help);
	free(e->unit);
	free(e->value);
	free(e->error);
}

void serve_config_free(struct serve_config *c)
{
	int i;

	for (i = 0; i < c->n; i++)
		entry_free(&c->e[i]);
	free(c->e);
	free(c->error);
	memset(c, 0, sizeof(*c));
}

static bool same_str(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

bool serve_entry_same(const struct serve_entry *a, const struct serve_entry *b)
{
	int i;

	if (!same_str(a->name, b->name) || !same_str(a->help, b->help) ||
	    !same_str(a->unit, b->unit) || a->kind != b->kind ||
	    a->nprobes != b->nprobes || a->nlabels != b->nlabels ||
	    !same_str(a->value, b->value) || a->linear != b->linear ||
	    a->max_series != b->max_series ||
	    a->call_graph != b->call_graph || a->error || b->error)
		return false;
	if (a->linear && (a->min != b->min || a->max != b->max ||
			  a->step != b->step))
		return false;
	for (i = 0; i < a->nprobes; i++)
		if (strcmp(a->probes[i], b->probes[i]))
			return false;
	for (i = 0; i < a->nlabels; i++)
		if (strcmp(a->labels[i], b->labels[i]))
			return false;
	return true;
}
