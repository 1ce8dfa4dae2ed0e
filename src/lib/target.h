/* SPDX-License-Identifier: MIT */
/* TARGET resolution: path, PATH lookup, library short names. */
#ifndef SONDE_TARGET_H
#define SONDE_TARGET_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Resolve TARGET of a uprobe spec to an absolute, symlink-free path:
 *  - contains '/': a path (relative to the cwd), must exist;
 *  - with pid > 0: a library short name ("libc", "c", "libc.so.6",
 *    "libpthread") matched against /proc/PID/maps first;
 *  - a program name found in $PATH;
 *  - a library short name found in ld.so.cache (parsed directly, both the
 *    new "glibc-ld.so.cache1.1" format and the old "ld.so-1.7.0" one).
 * The /proc root and ld.so.cache path can be redirected for tests with the
 * SONDE_PROC_ROOT and SONDE_LDSO_CACHE environment variables.
 * Returns 0, or -ENOENT with msg filled ("no program or library named
 * 'foo' in PATH or ld.so.cache").
 */
int target_resolve(const char *target, pid_t pid, char *out, size_t outlen,
		   char *msg, size_t msglen);

#endif
