/* SPDX-License-Identifier: MIT */
/*
 * A uprobe definition written to tracefs says what sonde asked, and the
 * kernel registered that: paths the uprobe_events parser would misread are
 * refused before the write, and what the kernel lists afterwards is
 * compared with what was asked.
 *
 * The parser (kernel/trace/trace.c trace_parse_run_command()) cuts each
 * line at the first '#' (a comment), then splits it with argv_split()
 * (lib/argv_split.c), on isspace(): ' ' \t \n \v \f \r and 0xa0, which
 * lib/ctype.c counts as a space. trace_uprobe.c takes the path up to the
 * last ':', so ':' in a path is read right. The perf uprobe PMU and BPF's
 * uprobe_multi take the path as a string of its own (strndup_user), so
 * only definitions written to tracefs have this limit.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tracefs.h>

#include "internal.h"

/* The first byte of path the kernel's parser would misread, or 0. */
static unsigned char misparsed_byte(const char *path)
{
	const unsigned char *c;

	for (c = (const unsigned char *)path; *c; c++)
		if (*c == '#' || *c == ' ' || (*c >= '\t' && *c <= '\r') ||
		    *c == 0xa0)
			return *c;
	return 0;
}

int tfs_check_path(struct sonde_session *s, const struct probe *p)
{
	char shown[256];
	unsigned char bad;
	size_t i;

	if (!probe_kind_is_user(p->spec.kind) || !p->path)
		return 0;
	bad = misparsed_byte(p->path);
	if (!bad)
		return 0;
	/* the path as text, its unprintable bytes as '?' */
	for (i = 0; p->path[i] && i < sizeof(shown) - 1; i++)
		shown[i] = p->path[i] >= 0x20 && p->path[i] < 0x7f ? p->path[i]
								   : '?';
	shown[i] = '\0';
	return set_err(s, EINVAL, p->spec.target_col,
		       "uprobe_events cannot take a path with byte 0x%02x "
		       "(%s): %s (the bpf backend takes any path)",
		       bad, bad == '#' ? "it starts a comment" : "a space",
		       shown);
}

/* "p:GROUP/NAME PATH:0xOFF..." -> NAME at *name (length *nlen), the
 * location's path and offset; false when the line is not of group. */
static bool parse_line(char *line, const char *group, char **name, size_t *nlen,
		       char **path, unsigned long long *off)
{
	size_t glen = strlen(group);
	char *loc, *end, *colon;

	if (!line[0] || line[1] != ':' || strncmp(line + 2, group, glen) ||
	    line[2 + glen] != '/')
		return false;
	*name = line + 3 + glen;
	*nlen = strcspn(*name, " ");
	loc = *name + *nlen;
	if (*loc != ' ')
		return false;
	loc++;
	loc[strcspn(loc, " ")] = '\0';
	colon = strrchr(loc, ':');
	if (!colon)
		return false;
	*colon = '\0';
	*path = loc;
	*off = strtoull(colon + 1, &end, 16);
	return true;
}

static int mismatch(struct sonde_session *s, const struct probe *p,
		    const char *path, unsigned long long off)
{
	return set_err(s, EIO, -1,
		       "the kernel registered probe %s at %s:0x%llx, not at "
		       "the %s:0x%llx asked for",
		       p->name, path, off, p->path,
		       (unsigned long long)p->offset);
}

static bool any_user_probe(const struct sonde_session *s)
{
	int i;

	for (i = 0; i < s->nprobes; i++)
		if (s->probes[i].created &&
		    probe_kind_is_user(s->probes[i].spec.kind))
			return true;
	return false;
}

int tfs_verify_created(struct sonde_session *s, const struct probe *only)
{
	char *text = tracefs_instance_file_read(NULL, "uprobe_events", NULL);
	char *line, *save = NULL, *name, *path;
	unsigned long long off;
	size_t nlen;
	int i = 0, err = 0;
	bool found = false;
	const struct probe *missing;

	if (!text) {
		/* libtracefs reads an empty file as NULL: only kprobes */
		if (only ? !probe_kind_is_user(only->spec.kind)
			 : !any_user_probe(s))
			return 0;
		return set_err(s, errno ? errno : EIO, -1,
			       "cannot read back uprobe_events");
	}
	/* listed in creation order (trace_dynevent.c dyn_event_list) */
	for (line = strtok_r(text, "\n", &save); line && !err;
	     line = strtok_r(NULL, "\n", &save)) {
		const struct probe *p = only;

		if (!parse_line(line, s->group, &name, &nlen, &path, &off))
			continue;
		if (!only) {
			while (i < s->nprobes &&
			       (!s->probes[i].created ||
				!probe_kind_is_user(s->probes[i].spec.kind)))
				i++;
			p = i < s->nprobes ? &s->probes[i++] : NULL;
		}
		if (!p || strlen(p->name) != nlen ||
		    strncmp(p->name, name, nlen)) {
			if (only)
				continue;
			err = set_err(s, EIO, -1,
				      "uprobe_events lists %.*s, not the "
				      "probe asked for",
				      (int)nlen, name);
			break;
		}
		if (strcmp(path, p->path) || off != p->offset)
			err = mismatch(s, p, path, off);
		found = true;
		if (only)
			break;
	}
	free(text);
	missing = only && !found ? only : NULL;
	while (!err && !only && !missing && i < s->nprobes) {
		const struct probe *p = &s->probes[i++];

		if (p->created && probe_kind_is_user(p->spec.kind))
			missing = p; /* made, yet not listed */
	}
	if (!err && missing)
		err = set_err(s, EIO, -1,
			      "probe %s is not in uprobe_events after its "
			      "creation",
			      missing->name);
	return err;
}
