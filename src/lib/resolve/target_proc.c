/* SPDX-License-Identifier: MIT */
/*
 * TARGET resolution for -p PID: the files the process maps, and paths as
 * the process sees them when it has a root of its own.
 *
 * Containers and chroots: with -p PID of a process in another mount
 * namespace or root (chroot(2)), absolute paths are resolved inside
 * /proc/PID/root (proc(5)), symlinks included: an absolute link restarts
 * from that root and ".." stops at it, never reaching the host's files.
 * The walk is done by hand rather than with openat2(RESOLVE_IN_ROOT)
 * because the kernel needs a path string, not a file descriptor, and it
 * works on older kernels. A result under /proc/PID/root is given as the
 * host's path of the same file when there is one (a chroot's directory).
 *
 * The files of /proc/PID/maps are printed relative to the reader's root
 * (fs/proc/task_mmu.c, show_map_vma -> d_path): a chroot's libc appears
 * as the host's path of its copy, a container's as its path inside the
 * container. Either may name a different file here, so a path is taken
 * only when it is the mapped file: its st_dev and st_ino are those of
 * /proc/PID/map_files/START-END (the mapping itself, root only), else of
 * the maps line's "MAJ:MIN INODE".
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "target.h"

#define MAX_LINKS 40 /* as the kernel's path walk (MAXSYMLINKS) */

static const char *proc_root(void)
{
	return target_env("SONDE_PROC_ROOT", "/proc");
}

bool target_foreign_root(pid_t pid)
{
	char path[PATH_MAX], mine[128], theirs[128];
	ssize_t a, b;

	snprintf(path, sizeof(path), "%s/%d/ns/mnt", proc_root(), (int)pid);
	b = readlink(path, theirs, sizeof(theirs) - 1);
	a = readlink("/proc/self/ns/mnt", mine, sizeof(mine) - 1);
	if (a > 0 && b > 0 && (a != b || memcmp(mine, theirs, (size_t)a)))
		return true;
	snprintf(path, sizeof(path), "%s/%d/root", proc_root(), (int)pid);
	b = readlink(path, theirs, sizeof(theirs) - 1);
	return b > 0 && !(b == 1 && theirs[0] == '/');
}

static bool same_file(const char *path, const struct stat *id)
{
	struct stat st;

	return stat(path, &st) == 0 && st.st_dev == id->st_dev &&
	       st.st_ino == id->st_ino;
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
		snprintf(cand, sizeof(cand), "%s%s/%.*s", root, inner, (int)len,
			 p);
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

/* root + inner (a file under /proc/PID/root) as the host's path of the
 * same file, when the root is a directory here (a chroot's) */
static void host_path(const char *root, char *out, size_t outlen)
{
	char dir[PATH_MAX], cand[PATH_MAX * 2];
	struct stat id;
	ssize_t n;

	n = readlink(root, dir, sizeof(dir) - 1);
	if (n <= 1 || dir[0] != '/' || stat(out, &id))
		return;
	dir[n] = '\0';
	snprintf(cand, sizeof(cand), "%s%s", dir, out + strlen(root));
	if (strlen(cand) < outlen && same_file(cand, &id))
		strcpy(out, cand);
}

int target_path_for(pid_t pid, const char *path, char *out, size_t outlen)
{
	char root[PATH_MAX];
	int err;

	if (pid <= 0 || path[0] != '/' || !target_foreign_root(pid))
		return target_real_file(path, out, outlen);
	snprintf(root, sizeof(root), "%s/%d/root", proc_root(), (int)pid);
	err = resolve_in_root(root, path, out, outlen);
	if (!err)
		host_path(root, out, outlen);
	return err;
}

/* One line of /proc/PID/maps: "start-end perms offset dev inode   path" */
struct map_line {
	unsigned long start, end;
	unsigned int major, minor;
	unsigned long long ino;
	bool exec;
	char *file; /* NULL for an anonymous mapping; "... (deleted)" */
};

static bool parse_map(char *line, struct map_line *m)
{
	char perms[8], *nl;
	int pos = 0;

	if (sscanf(line, "%lx-%lx %7s %*x %x:%x %llu %n", &m->start, &m->end,
		   perms, &m->major, &m->minor, &m->ino, &pos) < 6 ||
	    !pos)
		return false;
	m->exec = strlen(perms) > 2 && perms[2] == 'x';
	m->file = line[pos] == '/' ? line + pos : NULL;
	nl = strchr(line + pos, '\n');
	if (nl)
		*nl = '\0';
	return true;
}

static void map_files_path(pid_t pid, const struct map_line *m, char *out,
			   size_t outlen)
{
	snprintf(out, outlen, "%s/%d/map_files/%lx-%lx", proc_root(), (int)pid,
		 m->start, m->end);
}

/* A path we can open to the file of mapping m (see the top of the file):
 * its path as we see it, inside the process's root, or the mapping's own
 * entry in map_files; -ENOENT when none is that file. */
static int mapped_file(pid_t pid, const struct map_line *m, char *out,
		       size_t outlen)
{
	char cand[PATH_MAX], root[PATH_MAX];
	struct stat id;

	map_files_path(pid, m, cand, sizeof(cand));
	if (stat(cand, &id)) {
		id.st_dev = makedev(m->major, m->minor);
		id.st_ino = (ino_t)m->ino;
	}
	snprintf(root, sizeof(root), "%s/%d/root", proc_root(), (int)pid);
	if ((!target_real_file(m->file, cand, sizeof(cand)) &&
	     same_file(cand, &id)) ||
	    (!resolve_in_root(root, m->file, cand, sizeof(cand)) &&
	     same_file(cand, &id)))
		goto found;
	map_files_path(pid, m, cand, sizeof(cand));
	if (!same_file(cand, &id))
		return -ENOENT;
found:
	if (strlen(cand) >= outlen)
		return -ENAMETOOLONG;
	strcpy(out, cand);
	return 0;
}

static FILE *open_maps(pid_t pid)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%d/maps", proc_root(), (int)pid);
	return fopen(path, "re");
}

int target_from_maps(const char *q, pid_t pid, char *out, size_t outlen,
		     struct lib_error *e)
{
	char line[PATH_MAX + 128];
	struct map_line m;
	int err = -ENOENT;
	FILE *f = open_maps(pid);

	if (!f)
		return -ENOENT;
	while (fgets(line, sizeof(line), f)) {
		if (!parse_map(line, &m) || !m.file ||
		    !target_lib_matches(strrchr(m.file, '/') + 1, q))
			continue;
		if (!mapped_file(pid, &m, out, outlen)) {
			err = 0;
			break;
		}
		if (strstr(m.file, " (deleted)"))
			continue;
		/* the name is there but not the file: never the host's */
		lib_error_set(e, ESTALE, -1,
			      "pid %d maps %s (device %02x:%02x, inode %llu) but no path to that file can be opened here",
			      (int)pid, m.file, m.major, m.minor, m.ino);
		err = -ESTALE;
	}
	fclose(f);
	return err;
}

int target_for_each_object(pid_t pid, int (*cb)(const char *path, void *ctx),
			   void *ctx)
{
	char path[PATH_MAX], line[PATH_MAX + 128], last[PATH_MAX] = "";
	struct map_line m;
	int err = 0;
	FILE *f = open_maps(pid);

	if (!f)
		return errno == ENOENT ? -ESRCH : -errno;
	while (!err && fgets(line, sizeof(line), f)) {
		size_t n;

		if (!parse_map(line, &m) || !m.file || !m.exec)
			continue;
		n = strlen(m.file);
		/* a file's mappings are adjacent: one call per file */
		if (!strcmp(m.file, last) ||
		    (n > 10 && !strcmp(m.file + n - 10, " (deleted)")))
			continue;
		snprintf(last, sizeof(last), "%s", m.file);
		if (mapped_file(pid, &m, path, sizeof(path)))
			continue;
		err = cb(path, ctx);
	}
	fclose(f);
	return err;
}
