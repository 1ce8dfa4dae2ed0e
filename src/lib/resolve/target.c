/* SPDX-License-Identifier: MIT */
/*
 * TARGET resolution: a path, a library already mapped by -p PID, a program
 * in $PATH, or a library short name from ld.so.cache.
 *
 * ld.so.cache is parsed here (glibc elf/cache.c, sysdeps/generic/dl-cache.h):
 *  new format: "glibc-ld.so.cache" "1.1", u32 nlibs, u32 len_strings,
 *   u8 flags, 3 pad, u32 extension_offset, u32 unused[3], then nlibs
 *   entries {i32 flags; u32 key, value; u32 osversion; u64 hwcap}; string
 *   offsets count from the start of this header.
 *  old format: "ld.so-1.7.0", u32 nlibs, entries {i32 flags; u32 key,
 *   value}; strings count from the end of the entries, where a new-format
 *   header may follow (8-byte aligned) in files written for both.
 *
 * Containers: with -p PID of a process in another mount namespace or
 * root, absolute paths (the target's and those of its maps) are resolved
 * inside /proc/PID/root (proc(5)), symlinks included: an absolute link
 * restarts from that root and ".." stops at it, never reaching the host's
 * files. The result stays under /proc/PID/root, which the kernel's
 * uprobe_events follows to the container's inode. The walk is done by
 * hand rather than with openat2(RESOLVE_IN_ROOT) because the kernel needs
 * a path string, not a file descriptor, and it works on older kernels.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "target.h"

#define CACHE_MAGIC_NEW "glibc-ld.so.cache1.1"
#define CACHE_MAGIC_OLD "ld.so-1.7.0"
#define CACHE_NEW_HDR 48
#define CACHE_NEW_ENT 24
#define CACHE_OLD_HDR 16
#define CACHE_OLD_ENT 12
#define CACHE_MAX_SIZE (64u << 20)

/* dl-cache.h: FLAG_ELF_LIBC6 is the type, the second byte the ABI. */
#define FLAG_TYPE_MASK 0x00ff
#define FLAG_ELF_LIBC6 0x0003
#if defined(__x86_64__) && defined(__ILP32__)
#define FLAG_ABI 0x0800 /* FLAG_X8664_LIBX32 */
#elif defined(__x86_64__)
#define FLAG_ABI 0x0300 /* FLAG_X8664_LIB64 */
#elif defined(__aarch64__)
#define FLAG_ABI 0x0a00 /* FLAG_AARCH64_LIB64 */
#elif defined(__i386__) || defined(__arm__)
#define FLAG_ABI 0x0000
#endif
/* entries of glibc-hwcaps subdirectories (x86-64-v3...): second choice */
#define HWCAP_EXTENSION (1ull << 62)

static const char *env_or(const char *name, const char *def)
{
	const char *v = getenv(name);

	return v && *v ? v : def;
}

/* realpath() into out; 0, -ENOENT, -ENAMETOOLONG, or -EISDIR/-EINVAL
 * for something that is not a regular file. */
static int resolve_file(const char *path, char *out, size_t outlen)
{
	char buf[PATH_MAX];
	struct stat st;

	if (!realpath(path, buf))
		return -errno;
	if (stat(buf, &st))
		return -errno;
	if (!S_ISREG(st.st_mode))
		return S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
	if (strlen(buf) >= outlen)
		return -ENAMETOOLONG;
	strcpy(out, buf);
	return 0;
}

/*
 * Does a file or soname `base` answer to the short name `q`?
 * "libc.so.6" matches itself; "libm.so" matches "libm.so.6"; "libc" and
 * "c" match "libc.so.6" and "libc-2.31.so", not "libcrypt.so.1".
 */
static bool lib_matches(const char *base, const char *q)
{
	size_t len;

	if (!strcmp(base, q))
		return true;
	if (strstr(q, ".so")) {
		len = strlen(q);
		return !strncmp(base, q, len) && base[len] == '.';
	}
	if (strncmp(q, "lib", 3)) {
		if (strncmp(base, "lib", 3))
			return false;
		base += 3;
	}
	len = strlen(q);
	if (strncmp(base, q, len))
		return false;
	base += len;
	return !strncmp(base, ".so", 3) ||
	       (base[0] == '-' && base[1] >= '0' && base[1] <= '9');
}

#define MAX_LINKS 40 /* as the kernel's path walk (MAXSYMLINKS) */

/* Does pid live in another mount namespace or root than we do? */
static bool foreign_root(pid_t pid)
{
	const char *proc = env_or("SONDE_PROC_ROOT", "/proc");
	char path[PATH_MAX], mine[128], theirs[128];
	ssize_t a, b;

	snprintf(path, sizeof(path), "%s/%d/ns/mnt", proc, (int)pid);
	b = readlink(path, theirs, sizeof(theirs) - 1);
	a = readlink("/proc/self/ns/mnt", mine, sizeof(mine) - 1);
	if (a > 0 && b > 0 && (a != b || memcmp(mine, theirs, (size_t)a)))
		return true;
	snprintf(path, sizeof(path), "%s/%d/root", proc, (int)pid);
	b = readlink(path, theirs, sizeof(theirs) - 1);
	return b > 0 && !(b == 1 && theirs[0] == '/');
}

/* Resolve the absolute path inside root (see the top of the file) into
 * out = root + the canonical path inside it; must be a regular file. */
static int resolve_in_root(const char *root, const char *path, char *out,
			   size_t outlen)
{
	char todo[PATH_MAX], inner[PATH_MAX] = "", cand[PATH_MAX * 2];
	char link[PATH_MAX], rest[PATH_MAX];
	int links = 0;
	struct stat st;
	char *p, *slash;
	ssize_t n;

	if (snprintf(todo, sizeof(todo), "%s", path) >= (int)sizeof(todo))
		return -ENAMETOOLONG;
	p = todo;
	while (*p) {
		size_t len;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		len = strcspn(p, "/");
		if (len == 1 && p[0] == '.') {
			p += len;
			continue;
		}
		if (len == 2 && p[0] == '.' && p[1] == '.') {
			/* never above the root */
			slash = strrchr(inner, '/');
			if (slash)
				*slash = '\0';
			p += len;
			continue;
		}
		if (strlen(inner) + 1 + len >= sizeof(inner))
			return -ENAMETOOLONG;
		snprintf(cand, sizeof(cand), "%s%s/%.*s", root, inner,
			 (int)len, p);
		if (lstat(cand, &st))
			return -errno;
		if (!S_ISLNK(st.st_mode)) {
			snprintf(inner + strlen(inner),
				 sizeof(inner) - strlen(inner), "/%.*s",
				 (int)len, p);
			p += len;
			continue;
		}
		if (++links > MAX_LINKS)
			return -ELOOP;
		n = readlink(cand, link, sizeof(link) - 1);
		if (n < 0)
			return -errno;
		link[n] = '\0';
		/* the link's text, then what was left of the path */
		snprintf(rest, sizeof(rest), "%s", p + len);
		if (link[0] == '/')
			inner[0] = '\0';
		if (snprintf(todo, sizeof(todo), "%s%s", link, rest) >=
		    (int)sizeof(todo))
			return -ENAMETOOLONG;
		p = todo;
	}
	snprintf(cand, sizeof(cand), "%s%s", root, inner[0] ? inner : "/");
	if (stat(cand, &st))
		return -errno;
	if (!S_ISREG(st.st_mode))
		return S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
	if (strlen(cand) >= outlen)
		return -ENAMETOOLONG;
	strcpy(out, cand);
	return 0;
}

/* A path as the process pid sees it, when it has a root of its own. */
static int resolve_for(pid_t pid, const char *path, char *out, size_t outlen)
{
	const char *proc = env_or("SONDE_PROC_ROOT", "/proc");
	char root[PATH_MAX];

	if (pid <= 0 || path[0] != '/' || !foreign_root(pid))
		return resolve_file(path, out, outlen);
	snprintf(root, sizeof(root), "%s/%d/root", proc, (int)pid);
	return resolve_in_root(root, path, out, outlen);
}

/* A file of pid's maps as a path we can open. */
static int resolve_mapped(pid_t pid, const char *file, char *out, size_t outlen)
{
	const char *proc = env_or("SONDE_PROC_ROOT", "/proc");
	char alt[PATH_MAX];
	int err;

	if (foreign_root(pid))
		return resolve_for(pid, file, out, outlen);
	err = resolve_file(file, out, outlen);
	if (err == -ENOENT) {
		/* another mount namespace: reach it through the process's
		 * root (proc(5) /proc/pid/root) */
		snprintf(alt, sizeof(alt), "%s/%d/root%s", proc, (int)pid,
			 file);
		if (access(alt, R_OK) == 0 && strlen(alt) < outlen) {
			strcpy(out, alt);
			err = 0;
		}
	}
	return err;
}

/* /proc/PID/maps: "start-end perms offset dev inode   path"; the path of
 * each line (NUL-terminated in line), NULL for anonymous mappings. */
static char *maps_file(char *line, bool *exec)
{
	char *file = strchr(line, '/'), *nl, *sp = strchr(line, ' ');

	*exec = sp && sp[1] && sp[2] && sp[3] == 'x';
	if (!file)
		return NULL;
	nl = strchr(file, '\n');
	if (nl)
		*nl = '\0';
	return file;
}

static int from_maps(const char *q, pid_t pid, char *out, size_t outlen)
{
	const char *proc = env_or("SONDE_PROC_ROOT", "/proc");
	char path[PATH_MAX], line[PATH_MAX + 128];
	int err = -ENOENT;
	bool exec;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%d/maps", proc, (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -ENOENT;
	while (fgets(line, sizeof(line), f)) {
		char *file = maps_file(line, &exec);

		if (!file || !lib_matches(strrchr(file, '/') + 1, q))
			continue;
		err = resolve_mapped(pid, file, out, outlen);
		if (!err)
			break;
	}
	fclose(f);
	return err;
}

int target_for_each_object(pid_t pid, int (*cb)(const char *path, void *ctx),
			   void *ctx)
{
	const char *proc = env_or("SONDE_PROC_ROOT", "/proc");
	char path[PATH_MAX], line[PATH_MAX + 128], last[PATH_MAX] = "";
	int err = 0;
	bool exec;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%d/maps", proc, (int)pid);
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? -ESRCH : -errno;
	while (!err && fgets(line, sizeof(line), f)) {
		char *file = maps_file(line, &exec);
		size_t n = file ? strlen(file) : 0;

		/* a file's mappings are adjacent: one call per file */
		if (!file || !exec || !strcmp(file, last) ||
		    (n > 10 && !strcmp(file + n - 10, " (deleted)")))
			continue;
		snprintf(last, sizeof(last), "%s", file);
		if (resolve_mapped(pid, file, path, sizeof(path)))
			continue;
		err = cb(path, ctx);
	}
	fclose(f);
	return err;
}

static int from_path(const char *name, char *out, size_t outlen)
{
	const char *p = getenv("PATH");
	char buf[PATH_MAX];

	if (!p)
		p = "/usr/local/bin:/usr/bin:/bin";
	while (p) {
		const char *colon = strchr(p, ':');
		size_t dlen = colon ? (size_t)(colon - p) : strlen(p);
		int n;

		/* an empty entry means the current directory (execvp(3)) */
		n = snprintf(buf, sizeof(buf), "%.*s%s%s", (int)dlen, p,
			     dlen ? "/" : "./", name);
		if (n > 0 && (size_t)n < sizeof(buf) &&
		    access(buf, X_OK) == 0 &&
		    resolve_file(buf, out, outlen) == 0)
			return 0;
		p = colon ? colon + 1 : NULL;
	}
	return -ENOENT;
}

static uint32_t get32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint64_t get64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static int read_all(const char *path, unsigned char **buf, size_t *len)
{
	struct stat st;
	size_t got = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size > CACHE_MAX_SIZE) {
		close(fd);
		return -EINVAL;
	}
	*buf = malloc((size_t)st.st_size + 1);
	if (!*buf) {
		close(fd);
		return -ENOMEM;
	}
	while (got < (size_t)st.st_size &&
	       (n = read(fd, *buf + got, (size_t)st.st_size - got)) > 0)
		got += (size_t)n;
	close(fd);
	*len = got;
	return 0;
}

/* The NUL-terminated string at strings + off, or NULL if it leaves buf. */
static const char *cache_str(const unsigned char *buf, size_t len,
			     size_t strings, uint32_t off)
{
	size_t start = strings + off;

	if (start < strings || start >= len ||
	    !memchr(buf + start, 0, len - start))
		return NULL;
	return (const char *)buf + start;
}

struct cache_view {
	size_t ents, n, entsz, strings; /* offsets into the file */
};

/* Locate the entry table, new format first. */
static int cache_layout(const unsigned char *buf, size_t len,
			struct cache_view *v)
{
	size_t hdr = 0, n;

	if (len >= CACHE_OLD_HDR && !memcmp(buf, CACHE_MAGIC_OLD, 11)) {
		n = get32(buf + 12);
		if (n > (len - CACHE_OLD_HDR) / CACHE_OLD_ENT)
			return -EINVAL;
		v->ents = CACHE_OLD_HDR;
		v->n = n;
		v->entsz = CACHE_OLD_ENT;
		v->strings = CACHE_OLD_HDR + n * CACHE_OLD_ENT;
		/* a new-format table may follow, 8-byte aligned */
		hdr = (v->strings + 7) & ~(size_t)7;
		if (hdr + CACHE_NEW_HDR > len ||
		    memcmp(buf + hdr, CACHE_MAGIC_NEW, 20))
			return 0;
	}
	if (hdr + CACHE_NEW_HDR > len || memcmp(buf + hdr, CACHE_MAGIC_NEW, 20))
		return -EINVAL;
	n = get32(buf + hdr + 20);
	if (n > (len - hdr - CACHE_NEW_HDR) / CACHE_NEW_ENT)
		return -EINVAL;
	v->ents = hdr + CACHE_NEW_HDR;
	v->n = n;
	v->entsz = CACHE_NEW_ENT;
	v->strings = hdr;
	return 0;
}

static bool flags_ok(int32_t flags)
{
	if ((flags & FLAG_TYPE_MASK) != FLAG_ELF_LIBC6)
		return false;
#ifdef FLAG_ABI
	return (flags & 0xff00) == FLAG_ABI;
#else
	return true;
#endif
}

/* Pass 0: exact soname, plain entries; 1: any match, plain entries;
 * 2: any match, glibc-hwcaps entries too. */
static int from_cache(const char *q, char *out, size_t outlen)
{
	const char *cache = env_or("SONDE_LDSO_CACHE", "/etc/ld.so.cache");
	struct cache_view v;
	unsigned char *buf = NULL;
	size_t len = 0, i;
	int pass, err;

	err = read_all(cache, &buf, &len);
	if (err)
		return -ENOENT;
	err = cache_layout(buf, len, &v);
	if (err)
		goto out;
	err = -ENOENT;
	for (pass = 0; pass < 3 && err; pass++) {
		for (i = 0; i < v.n && err; i++) {
			const unsigned char *e = buf + v.ents + i * v.entsz;
			const char *key, *val;
			bool hw = v.entsz == CACHE_NEW_ENT &&
				  (get64(e + 16) & HWCAP_EXTENSION);

			if (!flags_ok((int32_t)get32(e)) || (hw && pass < 2))
				continue;
			key = cache_str(buf, len, v.strings, get32(e + 4));
			val = cache_str(buf, len, v.strings, get32(e + 8));
			if (!key || !val || val[0] != '/')
				continue;
			if (pass == 0 ? strcmp(key, q) : !lib_matches(key, q))
				continue;
			err = resolve_file(val, out, outlen) ? -ENOENT : 0;
		}
	}
out:
	free(buf);
	return err ? -ENOENT : 0;
}

int target_resolve(const char *target, pid_t pid, char *out, size_t outlen,
		   struct lib_error *e)
{
	const char *cache = env_or("SONDE_LDSO_CACHE", "/etc/ld.so.cache");
	char tmp[PATH_MAX];
	int err;

	lib_error_clear(e);
	if (!target || !*target)
		return lib_error_set(e, EINVAL, -1, "the target is empty");
	if (strchr(target, '/')) {
		err = resolve_for(pid, target, out, outlen);
		if (err)
			lib_error_set(e, err, -1, "%s: %s", target,
				      err == -EINVAL ? "not a regular file"
						     : strerror(-err));
		return err;
	}
	if (pid > 0 && from_maps(target, pid, tmp, sizeof(tmp)) == 0)
		goto found;
	if (from_path(target, tmp, sizeof(tmp)) == 0 ||
	    from_cache(target, tmp, sizeof(tmp)) == 0)
		goto found;
	if (pid > 0)
		return lib_error_set(e, ENOENT, -1,
				     "no program or library named '%s' "
				     "(searched the maps of pid %d, $PATH and "
				     "%s)",
				     target, (int)pid, cache);
	return lib_error_set(e, ENOENT, -1,
			     "no program or library named '%s' (searched "
			     "$PATH and %s)",
			     target, cache);
found:
	if (strlen(tmp) >= outlen)
		return -ENAMETOOLONG;
	strcpy(out, tmp);
	return 0;
}
