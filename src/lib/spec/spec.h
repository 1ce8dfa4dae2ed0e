/* SPDX-License-Identifier: MIT */
/* Probe-spec and fetcharg grammars: text -> struct probe_spec (memory only). */
#ifndef SONDE_SPEC_H
#define SONDE_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/error.h"

enum probe_kind {
	PROBE_UPROBE,
	PROBE_URETPROBE,
	PROBE_KPROBE,
	PROBE_KRETPROBE,
	/* t:SYSTEM:EVENT, tracepoint:SYSTEM:EVENT: an event the kernel
	 * already has under events/ (spec.group SYSTEM, spec.event EVENT,
	 * either may be a glob; each ARG a field of its format) */
	PROBE_TRACEPOINT,
};

static inline bool probe_kind_is_return(enum probe_kind k)
{
	return k == PROBE_URETPROBE || k == PROBE_KRETPROBE;
}

static inline bool probe_kind_is_user(enum probe_kind k)
{
	return k == PROBE_UPROBE || k == PROBE_URETPROBE;
}

static inline bool probe_kind_is_kernel(enum probe_kind k)
{
	return k == PROBE_KPROBE || k == PROBE_KRETPROBE;
}

struct probe_spec;
/* A syscalls:sys_enter_NAME or syscalls:sys_exit_NAME tracepoint: NAME
 * (inside spec's event) with *is_exit set; else NULL. The one entry and
 * return pair tracepoints have (latency pairs them by thread). */
static inline const char *spec_tp_syscall(const struct probe_spec *sp,
					  bool *is_exit);

struct probe_arg {
	/* tracepoints: [NAME=]FIELD; fetch is FIELD (a field of the
	 * event's format), name NAME or FIELD, type NULL */
	char *name;	/* user's NAME, or a readable default ("arg1", "retval",
			 * "stack2", "di", "comm", "val3"...), unique per probe;
			 * in the kernel's p:/r: syntax, the kernel's own
			 * default (FETCH when a plain name, else "argN") */
	char *fetch;	/* FETCH as the kernel takes it (portable names rewritten:
			 * arg1 -> %di, retval -> $retval, comm -> $comm) */
	char *type;	/* TYPE as written ("u32", "string", "b4@2/32", "x8[4]"),
			 * or NULL for the kernel's default */
	int col;	/* column of this argument in the spec text */
	int fetch_col;	/* column of FETCH */
	/* fetch is still the user's text: a name only the target can
	 * resolve (a DWARF variable "req->path", "arr[2]", "$params"; a
	 * USDT probe's "argN"), rewritten by spec_resolve_args() */
	bool deferred;
};

struct probe_spec {
	enum probe_kind kind;
	char *group;	  /* raw syntax "p:GRP/EV": GRP, else NULL */
	char *event;	  /* raw syntax "p:EV" or "p:GRP/EV": EV, else NULL */
	char *target;	  /* uprobes: TARGET as written (path, name, short
			   * library name; "" for u::SYM and usdt::NAME, every
			   * object of -p PID); kprobes: MOD of k:MOD:FUNC or
			   * NULL */
	char *symbol;	  /* function name, NULL when an address is given */
	uint64_t offset;  /* +OFF after the symbol */
	bool has_offset;  /* +OFF was written (even +0) */
	uint64_t addr;	  /* valid when has_addr */
	bool has_addr;
	/* true when addr is already a file offset (the kernel's own uprobe
	 * syntax "p:/path:0xOFF"); false when it is a virtual address
	 * (u:TARGET:0xADDR) to be converted through the ELF headers */
	bool addr_is_offset;
	uint64_t ref_ctr_offset; /* "/path:0xOFF(0xREF)": REF, else 0 */
	int maxactive;	  /* kr[N] / rN; 0 = kernel default */
	bool usdt;	  /* usdt:TARGET:[PROVIDER:]NAME: symbol is NAME */
	char *provider;	  /* usdt PROVIDER, or NULL for any; PROVIDER and
			   * NAME may be fnmatch(3) patterns (expand_spec.c) */
	int usdt_loc;	  /* usdt: which location of the probe (0-based) */
	int usdt_nlocs;	  /* usdt: how many it has (set when resolved) */
	struct probe_arg *args;
	size_t nargs;
	/* u:, ur:, k:, kr: whose function is a pattern ('*', '?', '['), or
	 * a C++ name with "::" and no parameter list (it may name several
	 * overloads): resolve/expand.c finds each match */
	bool pattern;
	int target_col;	  /* column of TARGET (or FUNC for kprobes) */
	int symbol_col;	  /* column of SYM/ADDR */
};

static inline const char *spec_tp_syscall(const struct probe_spec *sp,
					  bool *is_exit)
{
	if (sp->kind != PROBE_TRACEPOINT || !sp->group || !sp->event ||
	    strcmp(sp->group, "syscalls"))
		return NULL;
	*is_exit = !strncmp(sp->event, "sys_exit_", 9);
	if (*is_exit)
		return sp->event + 9;
	return strncmp(sp->event, "sys_enter_", 10) ? NULL : sp->event + 10;
}

/*
 * Parse one probe spec:
 *   u:TARGET:SYM[+OFF] [ARGS]   ur:TARGET:SYM [ARGS]   u:TARGET:0xADDR
 *   u::SYM   ur::SYM   (an empty TARGET: every object of -p PID)
 *   k:FUNC[+OFF] [ARGS]   k:MOD:FUNC   kr[N]:FUNC [ARGS]
 *   p:[GRP/]EV /path:0xOFF ARGS   r:[GRP/]EV /path:0xOFF ARGS   (uprobe_events)
 *   p:[GRP/]EV /path:SYM[+OFF] ARGS   r:[GRP/]EV /path:SYM ARGS (perf-tools)
 *   p:[GRP/]EV FUNC[+OFF] ARGS    r[N]:[GRP/]EV FUNC ARGS      (kprobe_events)
 *   p:bash:readline   r:libc:gets +0($retval):string            (perf-tools)
 *   usdt:TARGET:[PROVIDER:]NAME [ARGS]   (argN: the note's Nth argument;
 *   PROVIDER and NAME may be globs; TARGET may be empty, as for u::SYM)
 *   t:SYSTEM:EVENT [FIELDS]   tracepoint:SYSTEM:EVENT [FIELDS]
 *   (an existing event; SYSTEM and EVENT may be globs; FIELDS are
 *   [NAME=]FIELD of its format, spec_tracepoint.c)
 * ARGS: whitespace-separated [NAME=]FETCH[:TYPE]. The whole spec may be one
 * shell word with spaces inside. Also "/path:0xOFF(0xREF)" (ref_ctr_offset)
 * and the kernel's "LOCATION%return" for return probes.
 * Portable argN and retval without a TYPE get type "s64".
 * Returns 0 or -EINVAL with err filled (-ENOMEM on allocation failure);
 * a spec error's message is cut at LIB_ERROR_SPEC_CUT, before and after
 * escaping (err's cut is set so);
 * on error *spec is left zeroed. spec_free() frees what spec_parse()
 * allocated; it accepts a zeroed struct and leaves one behind.
 */
int spec_parse(const char *text, struct probe_spec *spec,
	       struct lib_error *err);
/* The same, where the function of k: and kr: may also be a kernel
 * pattern (k:vfs_*): what a session takes (the matches are handed over
 * as data, resolve/expand.c). */
int spec_parse_pattern(const char *text, struct probe_spec *spec,
		       struct lib_error *err);
/* A deep copy of src, for each probe made from one parsed spec: 0, or
 * -ENOMEM with *dst zeroed. */
int spec_copy(struct probe_spec *dst, const struct probe_spec *src);
void spec_free(struct probe_spec *spec);

/*
 * Validate and rewrite one argument's FETCH for the probe kind, as the
 * running kernel would take it (kprobetrace.rst / uprobetracer.rst):
 *   %REG  $stackN  $stack  $retval (return probes only)  $comm  $argN
 *   (kprobes only)  @ADDR  @SYM[+|-off] (kprobes)  @+OFF (uprobes)
 *   +|-[u]OFF(FETCH)  \IMM  \"str"
 * portable: argN (x86-64 SysV / kernel ABI integer argument N, 1-based) ->
 *   %di %si %dx %cx %r8 %r9; retval -> $retval; comm -> $comm.
 * col is the column of fetch in the spec text, for err. Returns a malloc'd
 * kernel fetch string, or NULL with err filled.
 */
char *fetch_rewrite(const char *fetch, enum probe_kind kind, int col,
		    struct lib_error *err);
/* Validate TYPE: u8..u64 s8..s64 x8..x64 string ustring symbol symstr
 * b<W>@<O>/<S> and any of those with [N]. 0 or -EINVAL. */
int fetch_check_type(const char *type, int col, struct lib_error *err);

/*
 * What only the probed file knows: DWARF variables (dwarf.c) or a USDT
 * note's arguments (usdt.c).
 * name(): rewrite one name ("req->path", "arr[2]", "arg3") to a kernel
 * fetch. want_string: the name is the whole FETCH and TYPE is
 * string/ustring (a char * is then read through). Returns 0 with *fetch
 * malloc'd and type filled ("" for the kernel's default), 1 when the name
 * is not the resolver's (its portable meaning applies), or -errno with one
 * sentence in err (its column is the caller's to set).
 * params(): the names of every parameter ($params): the count with *names
 * malloc'd (each malloc'd), or -errno with err. May be NULL.
 */
struct fetch_resolver {
	int (*name)(void *ctx, const char *name, bool want_string, char **fetch,
		    char *type, size_t typelen, struct lib_error *err);
	int (*params)(void *ctx, char ***names, struct lib_error *err);
	void *ctx;
};

/* fetch_rewrite() with the deferred names of uprobes: when r is NULL, a
 * name that only the target can resolve (see probe_arg.deferred; for usdt,
 * argN too) sets *deferred and returns a copy of fetch; with r, such names
 * go through r. type (typelen bytes) gets the resolver's type when the
 * whole FETCH was one name. */
char *fetch_rewrite_ex(const char *fetch, enum probe_kind kind, int col,
		       struct lib_error *err, bool usdt,
		       const struct fetch_resolver *r, bool want_string,
		       bool *deferred, char *type, size_t typelen);

/*
 * Resolve every deferred argument of spec through r: "$params" becomes one
 * argument per parameter, names become kernel fetches, and an argument
 * without a TYPE takes the resolver's. r may be NULL (no debug info): a
 * deferred argument is then an error naming what is missing, why_none.
 * Returns 0, -EINVAL with err (column of the argument), or -ENOMEM.
 */
int spec_resolve_args(struct probe_spec *spec, const struct fetch_resolver *r,
		      const char *why_none, struct lib_error *err);
bool spec_has_deferred(const struct probe_spec *spec);

/* The kernel's register names for x86-64 (for "bad register" carets). */
bool fetch_is_register(const char *name);

#endif
