/* SPDX-License-Identifier: MIT */
/*
 * Probe expansion: a parsed spec that names several places (a function
 * pattern, a USDT provider or name pattern, an empty target with -p)
 * becomes a list of locations, each a struct handed to the session, which
 * makes one probe per location from the one parsed spec. Memory and files
 * only (ELF symbols, kallsyms, USDT notes, /proc/PID/maps): nothing here
 * knows the session or the kernel's tracing state.
 */
#ifndef SONDE_EXPAND_H
#define SONDE_EXPAND_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/error.h"
#include "spec/spec.h"

#define EXPAND_DEFAULT_MAX 1000

/* What expansion reads: the process of -p, separate debug files, and how
 * many probes one spec may make (0: EXPAND_DEFAULT_MAX). */
struct expand_opts {
	pid_t pid;
	const char *debug_dir;
	int max_probes;
};

/* One place a spec names; every string is owned by the list. */
struct probe_location {
	/* uprobes: the file, or NULL for the spec's TARGET */
	char *path;
	/* a function match: offset (file) and sym_vaddr are known */
	bool at_offset;
	uint64_t offset, sym_vaddr;
	/* the matched function, in place of the spec's pattern (data, never
	 * parsed as spec text), or NULL */
	char *symbol;
	/* event name base (C++: demangled, "__return" for returns), or NULL */
	char *event;
	/* a USDT pattern's match (provider may be NULL), or NULL */
	char *usdt_provider, *usdt_name;
	/* -errno: the match cannot be probed (an IFUNC: -EINVAL; not in a
	 * loaded segment: -ERANGE), counted as skipped; else 0 */
	int unprobeable;
};

enum expand_kind {
	EXPAND_NONE = 0,  /* one place: the session resolves the spec alone */
	EXPAND_FUNCTIONS, /* a function pattern's matches (expand.c) */
	EXPAND_SITES,	  /* USDT matches or an empty target's objects */
};

struct probe_locations {
	enum expand_kind kind;
	struct probe_location *v;
	size_t n, cap;
	/* EXPAND_FUNCTIONS: where the functions were looked for: the
	 * target's file, or NULL for the kernel */
	char *where;
};

void probe_locations_free(struct probe_locations *l);

/*
 * The locations sp names, in the order probes are made: a function
 * pattern's matches by address (aliases of one address once), USDT
 * provider:name matches in note order, an empty target's objects in the
 * order of /proc/PID/maps. Returns 0 with l->kind EXPAND_NONE when sp
 * names one place (or its target cannot be read: resolving it alone says
 * why), 0 with l filled, or -errno with e: no match, no -p, more than
 * max_probes, a file or kallsyms that cannot be read.
 */
int probe_expand(const struct probe_spec *sp, const struct expand_opts *o,
		 struct probe_locations *l, struct lib_error *e);

/* expand.c: a function pattern (sp->pattern); expand_spec.c: USDT
 * patterns and empty targets. Each returns 1 when sp is not its kind. */
int expand_functions(const struct probe_spec *sp, const struct expand_opts *o,
		     struct probe_locations *l, struct lib_error *e);
int expand_sites(const struct probe_spec *sp, const struct expand_opts *o,
		 struct probe_locations *l, struct lib_error *e);

/* expand.c: a location at the end of l, zeroed; NULL on ENOMEM. */
struct probe_location *probe_locations_add(struct probe_locations *l);

#endif
