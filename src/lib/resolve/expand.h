/* SPDX-License-Identifier: MIT */
/* Wildcard probes: u:TARGET:GLOB and k:GLOB become one probe per match. */
#ifndef SONDE_EXPAND_H
#define SONDE_EXPAND_H

#include <stdbool.h>
#include <stdint.h>

#include "internal.h"

#define EXPAND_DEFAULT_MAX 1000

/* What expansion already knows of one match, so that adding it does not
 * resolve the target and read the ELF file again. */
struct probe_resolved {
	const char *event; /* event name base, or NULL */
	/* expand.c: the matched function, in place of the spec's pattern
	 * (data, never parsed as spec text), or NULL */
	const char *symbol;
	const char *path;  /* uprobes: the resolved file, or NULL */
	uint64_t offset, sym_vaddr;
	/* expand_spec.c: resolve the spec in this file instead of its
	 * TARGET (an empty target's objects), or NULL */
	const char *object;
	/* ... and as this USDT probe (a provider or name pattern's match;
	 * provider may be NULL), or NULL */
	const char *usdt_provider, *usdt_name;
};

/* session.c: add one probe from its text; r (may be NULL) short-cuts
 * resolution. The probe's index or -errno. */
int session_add_one(struct sonde_session *s, const char *text,
		    const struct sonde_probe_opts *opts,
		    const struct probe_resolved *r);

/*
 * expand_spec.c: a USDT provider or name pattern (usdt:T:*,
 * usdt:T:PROV:*, usdt:T:*:NAME), or an empty target with -p (u::SYM,
 * usdt::[PROV:]NAME: every object the process maps): one probe per
 * match, the first one's index. *done false (0 returned) when text is
 * neither. -errno with the session's message: no match, no -p, more
 * than max_probes.
 */
int expand_spec(struct sonde_session *s, const char *text,
		const struct sonde_probe_opts *opts, bool *done);

/*
 * If text's function is a pattern ('*', '?', '[' in it, or a C++ name with
 * "::" and no parameter list, which may name several overloads), add one
 * probe per matching function and return the first one's index; what
 * cannot be probed is skipped and counted in an INFO log. *done is false
 * (and 0 returned) when text is no pattern. -errno with the session's
 * message: no match, or more than max_probes.
 */
int expand_probe(struct sonde_session *s, const char *text,
		 const struct sonde_probe_opts *opts, bool *done);

#endif
