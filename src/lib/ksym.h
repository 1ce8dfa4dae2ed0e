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
 *   -ENOMEM, or the errno of reading /proc/kallsyms
 */
int ksym_check_probe(const char *mod, const char *func, uint64_t off,
		     char *msg, size_t msglen);

/* "func+0x1a/0x80", or "func+0x1a/0x80 [mod]" for a module's function, as
 * the kernel's %pS prints. 0, -ENOENT (no text symbol covers addr), -EACCES
 * (kallsyms shows no addresses: kptr_restrict, not root) or -ENOSPC. */
int ksym_addr_to_name(uint64_t addr, char *buf, size_t len);

/* The address of FUNC (in MOD when not NULL). 0, -ENOENT or -EACCES. */
int ksym_name_to_addr(const char *mod, const char *func, uint64_t *addr);

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

#endif
