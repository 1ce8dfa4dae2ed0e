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
 * With -p PID of a process that has a root of its own (a container or a
 * chroot), names and paths resolve as that process sees them:
 * target_proc.c.
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

const char *target_env(const char *name, const char *def)
{
	const char *v = getenv(name);

	return v && *v ? v : def;
}

/* realpath() into out; 0, -ENOENT, -ENAMETOOLONG, or -EISDIR/-EINVAL
 * for something that is not a regular file. */
int target_real_file(const char *path, char *out, size_t outlen)
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
bool target_lib_matches(const char *base, const char *q)
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

static int from_path(const char *name, pid_t pid, char *out, size_t outlen)
{
	bool inside = pid > 0 && target_foreign_root(pid);
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
		if (n <= 0 || (size_t)n >= sizeof(buf))
			;
		else if (inside && buf[0] == '/' &&
			 target_path_for(pid, buf, out, outlen) == 0 &&
			 access(out, X_OK) == 0)
			return 0;
		else if (!inside && access(buf, X_OK) == 0 &&
			 target_real_file(buf, out, outlen) == 0)
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

/* The ld.so.cache of pid's root (its own, for a chroot or container) */
static void cache_path(pid_t pid, char *out, size_t outlen)
{
	const char *env = getenv("SONDE_LDSO_CACHE");

	if (env && *env)
		snprintf(out, outlen, "%s", env);
	else if (pid > 0 && target_foreign_root(pid))
		snprintf(out, outlen, "%s/%d/root/etc/ld.so.cache",
			 target_env("SONDE_PROC_ROOT", "/proc"), (int)pid);
	else
		snprintf(out, outlen, "/etc/ld.so.cache");
}

/* Pass 0: exact soname, plain entries; 1: any match, plain entries;
 * 2: any match, glibc-hwcaps entries too. */
static int from_cache(const char *q, pid_t pid, char *out, size_t outlen)
{
	char cache[PATH_MAX];
	struct cache_view v;
	unsigned char *buf = NULL;
	size_t len = 0, i;
	int pass, err;

	cache_path(pid, cache, sizeof(cache));
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
			if (pass == 0 ? strcmp(key, q)
				      : !target_lib_matches(key, q))
				continue;
			err = target_path_for(pid, val, out, outlen) ? -ENOENT
								     : 0;
		}
	}
out:
	free(buf);
	return err ? -ENOENT : 0;
}

int target_resolve(const char *target, pid_t pid, char *out, size_t outlen,
		   struct lib_error *e)
{
	char tmp[PATH_MAX], cache[PATH_MAX];
	int err;

	lib_error_clear(e);
	if (!target || !*target)
		return lib_error_set(e, EINVAL, -1, "the target is empty");
	if (strchr(target, '/')) {
		err = target_path_for(pid, target, out, outlen);
		if (err)
			lib_error_set(e, err, -1, "%s: %s", target,
				      err == -EINVAL ? "not a regular file"
						     : strerror(-err));
		return err;
	}
	err = pid > 0 ? target_from_maps(target, pid, tmp, sizeof(tmp), e)
		      : -ENOENT;
	if (err == -ESTALE)
		return err;
	if (!err || from_path(target, pid, tmp, sizeof(tmp)) == 0 ||
	    from_cache(target, pid, tmp, sizeof(tmp)) == 0)
		goto found;
	cache_path(pid, cache, sizeof(cache));
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
