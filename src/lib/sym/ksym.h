/* SPDX-License-Identifier: MIT */
/*
 * Kernel symbols for kprobes: /proc/kallsyms, tracefs'
 * available_filter_functions and the kprobe blacklist, loaded once per
 * process and kept until ksym_cache_free().
 *
 * Where the files come from (each may be redirected for tests):
 *   $SONDE_PROC_ROOT/kallsyms                       (default /proc)
 *   $SONDE_TRACEFS_ROOT/available_filter_functions   (default: tracefs)
 *   $SONDE_DEBUGFS_ROOT/kprobes/blacklist          (default /sys/kernel/debug)
 */
#ifndef SONDE_KSYM_H
#define SONDE_KSYM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Can a kprobe go on FUNC+OFF (in module MOD, or anywhere when MOD is NULL)?
 * Returns 0 when it can (msg may then hold a hint worth logging, else it is
 * ""), or -errno with one sentence in msg:
 *   -ENOENT  no such function, or MOD is not loaded (closest names given)
 *   -EPERM   the function is on the kprobe blacklist
 *   -EINVAL  not a function (a data symbol), init code freed after boot, or
 *            OFF beyond the end of the function
 *   -ENODATA /proc/kallsyms could not be read: nothing is known (let the
 *            kernel decide); -ENOMEM
 */
int ksym_check_probe(const char *mod, const char *func, uint64_t off, char *msg,
		     size_t msglen);

/* "func+0x1a/0x80", or "func+0x1a/0x80 [mod]" for a module's function, as
 * the kernel's %pS prints. 0, -ENOENT (no text symbol covers addr), -EACCES
 * (kallsyms shows no addresses: kptr_restrict, not root) or -ENOSPC. */
int ksym_addr_to_name(uint64_t addr, char *buf, size_t len);

/* The address of FUNC (in MOD when not NULL). 0, -ENOENT or -EACCES. */
int ksym_name_to_addr(const char *mod, const char *func, uint64_t *addr);

/* The address of any kernel symbol, data too (bpftrace's kaddr()); the
 * core kernel's first. 0, -ENOENT, -EACCES or -ENODATA. */
int ksym_symbol_addr(const char *name, uint64_t *addr);

/*
 * Call cb for each probe-able kernel function whose name matches the
 * fnmatch(3) pattern glob (NULL = all), sorted by name then module, each
 * (name, module) once; mod is NULL for the core kernel. Probe-able: in
 * available_filter_functions when that file could be read (what ftrace,
 * perf-tools and bpftrace list), else a text symbol of kallsyms; never
 * blacklisted or init code. cb returns non-zero to stop; that value is
 * returned. Otherwise returns the number of functions listed, or -errno.
 */
int ksym_glob(const char *glob,
	      int (*cb)(const char *name, const char *mod, void *ctx),
	      void *ctx);

/* Drop the process-wide cache; the next call reloads (and re-reads the
 * environment). Safe to call when nothing is loaded. */
void ksym_cache_free(void);

/*
 * The cache itself, shared by ksym.c (loading) and ksym_query.c (queries)
 * only.
 */
#define NONE UINT32_MAX

enum {
	KS_TEXT = 1,
	KS_AFF = 2,   /* in available_filter_functions */
	KS_BLACK = 4, /* on the kprobe blacklist */
	KS_INIT = 8,  /* init text, freed after boot */
};

struct ksym {
	uint64_t addr;
	const char *name;
	const char *mod; /* NULL: the core kernel */
	uint32_t next;	 /* next symbol in the same hash bucket */
	uint8_t flags;
};

struct kcache {
	char *buf;
	struct ksym *syms;
	uint32_t nsyms;
	uint32_t *bucket; /* hsize heads of chains through ksym.next */
	uint32_t hsize;
	uint32_t *byaddr; /* text symbols by address */
	uint32_t ntext;
	bool have_addrs;
	bool have_aff;
};

/* Lock the process-wide cache, loading it on first use: 0, or -errno
 * (then unlocked). ksym_cache_put() unlocks. */
int ksym_cache_get(struct kcache **c);
void ksym_cache_put(void);
bool ksym_same_mod(const char *a, const char *b);
/* Next symbol named name (of mod; any module when any_mod) after index
 * from, NONE starting the walk. */
uint32_t ksym_find(const struct kcache *c, const char *name, const char *mod,
		   bool any_mod, uint32_t from);
/* qsort comparator of symbol indices by (name, module) in ksym_sort_ctx. */
extern const struct kcache *ksym_sort_ctx;
int ksym_cmp_name(const void *a, const void *b);

#endif
