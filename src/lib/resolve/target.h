/* SPDX-License-Identifier: MIT */
/* TARGET resolution: path, PATH lookup, library short names. */
#ifndef SONDE_TARGET_H
#define SONDE_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "base/error.h"

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
 * Short names: "libc" and "c" match "libc.so.6" and "libc-2.31.so" (not
 * "libcrypt.so.1"); "libm.so" matches "libm.so.6"; an exact file name or
 * soname matches itself. ld.so.cache entries for this machine's ABI only.
 * With pid > 0 in another mount namespace or root (a container or a
 * chroot), an absolute TARGET, a program in $PATH and the entries of the
 * process's own ld.so.cache resolve inside /proc/PID/root, their symlinks
 * too (never outside that root), and are returned as the host's path of
 * that file when the root is a directory here (a chroot), else as
 * "/proc/PID/root/PATH". A file of the maps is taken only when it is the
 * very file mapped (same device and inode), else -ESTALE: never the
 * host's file of the same name.
 * Returns 0, or -errno with e (may be NULL) filled with one sentence:
 * -ENOENT ("no program or library named 'foo' (searched $PATH and
 * /etc/ld.so.cache)"), -EISDIR / -EINVAL (a path that is not a regular
 * file), -ENAMETOOLONG (out too small), -EINVAL (empty target).
 */
int target_resolve(const char *target, pid_t pid, char *out, size_t outlen,
		   struct lib_error *e);

/*
 * Each file the process pid maps executable, once, as a path that
 * target_resolve() would give for it (inside /proc/PID/root for a process
 * with a root of its own), in the order of /proc/PID/maps. cb returns
 * non-zero to stop. Returns that value, 0, or -errno (-ESRCH: no such
 * process).
 */
int target_for_each_object(pid_t pid, int (*cb)(const char *path, void *ctx),
			   void *ctx);

/* Shared by target.c and target_proc.c */
const char *target_env(const char *name, const char *def);
int target_real_file(const char *path, char *out, size_t outlen);
bool target_lib_matches(const char *base, const char *q);
bool target_foreign_root(pid_t pid);
int target_path_for(pid_t pid, const char *path, char *out, size_t outlen);
int target_from_maps(const char *q, pid_t pid, char *out, size_t outlen,
		     struct lib_error *e);

#endif
