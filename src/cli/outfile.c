/* SPDX-License-Identifier: MIT */
/*
 * Where sonde's output goes: standard output or -o FILE. Both are stdio
 * streams over one write function (fopencookie(3)) that keeps the first
 * write error and its errno, so every subcommand can stop at it, name the
 * file ("sonde: writing FILE: No space left on device") and exit 1; errors
 * of fflush and close at the end are caught the same way.
 *
 * -o FILE in a directory others can write (sticky or world-writable, like
 * /tmp) is opened as the kernel's fs.protected_symlinks and
 * fs.protected_regular would have it (Documentation/admin-guide/sysctl/
 * fs.rst), whatever those are set to: a symbolic link there is not
 * followed, and an existing file is written only when it is a regular
 * file of the user's or of the directory's owner. Elsewhere FILE is
 * opened as given.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "cli.h"

struct outfile {
	FILE *f;
	int fd;
	int err;       /* the first write error, 0 */
	bool reported; /* its message was printed */
	bool is_stdout;
	bool created; /* out_open made the file */
	dev_t dev;    /* the file's, to remove it only if it is still ours */
	ino_t ino;
	char *name; /* -o's FILE as given */
};

/* standard output, -o FILE and a second file (--perfetto FILE) */
static struct outfile outs[3];

static struct outfile *find(FILE *f)
{
	size_t i;

	for (i = 0; i < sizeof(outs) / sizeof(outs[0]); i++)
		if (f && outs[i].f == f)
			return &outs[i];
	return NULL;
}

/* All n bytes, or the first error in o->err. A write can be short (a pipe
 * whose reader leaves while it is full: the kernel returns what it copied
 * and sends SIGPIPE, pipe.c pipe_write()); stdio takes a short count for
 * an error of its own, so the rest is written here, and the next write
 * says EPIPE. */
static ssize_t o_write(void *cookie, const char *buf, size_t n)
{
	struct outfile *o = cookie;
	size_t done = 0;
	ssize_t w;

	if (o->err)
		return 0; /* stop at the first error */
	while (done < n) {
		w = write(o->fd, buf + done, n - done);
		if (w > 0) {
			done += w;
			continue;
		}
		/* a signal came while a reader was slow: go on, unless the
		 * signal is ending sonde */
		if (w < 0 && errno == EINTR && !cli_stop_signal)
			continue;
		o->err = w < 0 ? errno : EIO;
		return 0; /* stdio: an error, the stream's error flag is set */
	}
	return n;
}

static int o_close(void *cookie)
{
	struct outfile *o = cookie;

	if (o->is_stdout)
		return 0; /* fd 1 stays: libc's own exit closes it */
	if (close(o->fd) && !o->err) {
		o->err = errno; /* NFS, quotas: the write-back may fail here */
		return -1;
	}
	return 0;
}

static const cookie_io_functions_t o_funcs = {
	.write = o_write,
	.close = o_close,
};

/* "standard output (/dev/full)": the name of what fd 1 is, when that is a
 * path fit to print. */
static const char *stdout_name(char *buf, size_t len)
{
	char path[PATH_MAX];
	ssize_t n = readlink("/proc/self/fd/1", path, sizeof(path) - 1);
	ssize_t i;

	if (n <= 0 || path[0] != '/')
		return "standard output";
	path[n] = '\0';
	for (i = 0; i < n; i++)
		if ((unsigned char)path[i] < 0x20 ||
		    (unsigned char)path[i] >= 0x7f)
			return "standard output";
	snprintf(buf, len, "standard output (%s)", path);
	return buf;
}

/* The first error, printed once. A closed pipe (EPIPE) is not an error to
 * report: SIGPIPE ends sonde as it ends any program in a pipeline
 * (out_end); EINTR comes only when a signal is ending sonde. */
static void report(struct outfile *o)
{
	char buf[PATH_MAX + 32];

	if (o->reported || o->err == EPIPE || o->err == EINTR)
		return;
	o->reported = true;
	fprintf(stderr, "%s: writing %s: %s\n", prog,
		o->is_stdout ? stdout_name(buf, sizeof(buf)) : o->name,
		strerror(o->err));
}

bool out_error(FILE *f)
{
	struct outfile *o = find(f);

	if (!o)
		return f && ferror(f);
	if (!o->err && !ferror(f))
		return false;
	if (!o->err)
		o->err = EIO; /* not from a write: cannot happen with o_write */
	report(o);
	return true;
}

static FILE *wrap(struct outfile *o, int fd)
{
	o->fd = fd;
	o->err = 0;
	o->reported = false;
	o->f = fopencookie(o, "w", o_funcs);
	return o->f;
}

void out_stdout(void)
{
	struct outfile *o = &outs[0];
	FILE *f;

	o->is_stdout = true;
	f = wrap(o, STDOUT_FILENO);
	if (!f)
		return; /* stdio's own stdout, unchecked */
	/* glibc: stdout is a variable one may set (libc manual, "Standard
	 * Streams"); a terminal gets its lines as they come */
	if (isatty(STDOUT_FILENO))
		setvbuf(f, NULL, _IOLBF, 0);
	stdout = f;
}

int out_end(int status)
{
	fflush(stdout);
	if (!out_error(stdout))
		return status;
	if (outs[0].err == EPIPE) {
		cli_stop_signal = SIGPIPE;
		cli_end_by_signal();
	}
	/* EINTR: a signal is ending sonde, the command's status says so */
	return outs[0].err == EINTR ? status : EXIT_RUNTIME;
}

static bool shared(const struct stat *dir)
{
	return dir->st_mode & (S_ISVTX | S_IWOTH);
}

/* In a directory others may write, where a link or file may have been
 * planted: no link followed (protected_symlinks), and an existing file
 * only if it is of the user's or of the directory's owner
 * (protected_regular, protected_fifos). The file is checked through an
 * O_PATH descriptor, then opened through /proc/self/fd: what was checked
 * is what is written. */
static int open_shared(int dfd, const char *base, const struct stat *dst,
		       struct outfile *o)
{
	char proc[32];
	struct stat st;
	int pfd, fd, tries;

	for (tries = 0; tries < 8; tries++) {
		fd = openat(dfd, base,
			    O_WRONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY |
				    O_CREAT | O_EXCL,
			    0666);
		if (fd >= 0) {
			o->created = true;
			return fd;
		}
		if (errno != EEXIST)
			return -errno;
		pfd = openat(dfd, base, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (pfd < 0 && errno == ENOENT)
			continue; /* removed in between: create it */
		if (pfd < 0)
			return -errno;
		if (fstat(pfd, &st)) {
			fd = -errno;
		} else if (S_ISLNK(st.st_mode)) {
			fd = -ELOOP;
		} else if (st.st_uid != geteuid() && st.st_uid != dst->st_uid) {
			fd = -EPERM;
		} else {
			snprintf(proc, sizeof(proc), "/proc/self/fd/%d", pfd);
			fd = open(proc, O_WRONLY | O_CLOEXEC | O_NOCTTY);
			if (fd < 0)
				fd = -errno;
			else if (S_ISREG(st.st_mode) && ftruncate(fd, 0)) {
				close(fd);
				fd = -errno;
			}
		}
		close(pfd);
		return fd;
	}
	return -EAGAIN;
}

/* Elsewhere: FILE as given (a link in the last place is already resolved,
 * or is one of /proc's, like /dev/stdout's /proc/self/fd/1). */
static int open_private(int dfd, const char *base, bool follow,
			struct outfile *o)
{
	int flags = O_WRONLY | O_CLOEXEC | O_NOCTTY | (follow ? 0 : O_NOFOLLOW);
	struct stat st;
	int fd;

	fd = openat(dfd, base, flags);
	if (fd < 0 && errno == ENOENT) {
		fd = openat(dfd, base, flags | O_CREAT | O_EXCL, 0666);
		o->created = fd >= 0;
	}
	if (fd < 0)
		return -errno;
	/* truncated once open: never a FIFO or device */
	if (!o->created && !fstat(fd, &st) && S_ISREG(st.st_mode) &&
	    ftruncate(fd, 0)) {
		close(fd);
		return -errno;
	}
	return fd;
}

struct walk {
	int dfd;	 /* the directory of the last name */
	struct stat dst; /* its stat */
	char *last;	 /* the last name */
	bool follow;	 /* last is a link of /proc's: the kernel follows */
	char bad_dir[PATH_MAX]; /* where a planted link was met */
	int depth;
};

static bool on_procfs(int fd)
{
	struct statfs sf;

	return !fstatfs(fd, &sf) && sf.f_type == PROC_SUPER_MAGIC;
}

/* Resolve path from cur (taken over) name by name. A symbolic link is
 * read and its target walked the same way, so that a link in a directory
 * others can write is followed only as protected_symlinks would: when it
 * belongs to the user or to the directory's owner. /proc's links (magic
 * ones among them) are left to the kernel. */
static int walk(int cur, char *path, struct walk *w)
{
	char *comp, *rest, target[PATH_MAX], *next;
	struct stat cst, st;
	int fd, err;

	if (path[0] == '/') {
		close(cur);
		cur = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (cur < 0)
			return -errno;
	}
	for (comp = strtok_r(path, "/", &rest); comp;
	     comp = strtok_r(NULL, "/", &rest)) {
		if (!strcmp(comp, "."))
			continue;
		if (fstat(cur, &cst))
			goto fail_errno;
		fd = openat(cur, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 && errno == ENOENT && !rest[strspn(rest, "/")])
			break; /* the file to create */
		if (fd < 0)
			goto fail_errno;
		if (fstat(fd, &st)) {
			close(fd);
			goto fail_errno;
		}
		if (S_ISLNK(st.st_mode) && on_procfs(cur)) {
			if (!rest[strspn(rest, "/")]) {
				close(fd);
				w->follow = true;
				break;
			}
			close(fd);
			fd = openat(cur, comp, O_PATH | O_CLOEXEC);
			if (fd < 0)
				goto fail_errno;
		} else if (S_ISLNK(st.st_mode)) {
			if (shared(&cst) && st.st_uid != geteuid() &&
			    st.st_uid != cst.st_uid) {
				close(fd);
				err = -ELOOP;
				goto fail;
			}
			if (++w->depth > 40) {
				close(fd);
				err = -ELOOP;
				goto fail;
			}
			err = readlinkat(fd, "", target, sizeof(target) - 1);
			close(fd);
			if (err < 0)
				goto fail_errno;
			target[err] = '\0';
			if (asprintf(&next, "%s/%s", target, rest) < 0) {
				err = -ENOMEM;
				goto fail;
			}
			err = walk(cur, next, w);
			free(next);
			return err;
		}
		if (!rest[strspn(rest, "/")] && !S_ISDIR(st.st_mode)) {
			close(fd);
			break; /* the file */
		}
		close(cur);
		cur = fd;
	}
	if (!comp) {
		close(cur);
		return -EISDIR;
	}
	if (fstat(cur, &w->dst))
		goto fail_errno;
	w->dfd = cur;
	w->last = strdup(comp);
	if (!w->last) {
		err = -ENOMEM;
		goto fail;
	}
	return 0;
fail_errno:
	err = -errno;
fail:
	if (err == -ELOOP && !w->bad_dir[0]) {
		char proc[32];
		ssize_t n;

		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", cur);
		n = readlink(proc, w->bad_dir, sizeof(w->bad_dir) - 1);
		w->bad_dir[n > 0 ? n : 0] = '\0';
	}
	close(cur);
	return err;
}

static void refuse(const char *path, int err, const char *dir)
{
	if (err == -ELOOP && dir && *dir)
		fprintf(stderr,
			"%s: will not write %s: it goes through a symbolic "
			"link in %s, a directory others can write, that is "
			"not yours; give the file it points to\n",
			prog, path, dir);
	else if (err == -EPERM && dir && *dir)
		fprintf(stderr,
			"%s: will not write %s: it is in %s, a directory "
			"others can write, and not a file of yours\n",
			prog, path, dir);
	else
		fprintf(stderr, "%s: cannot write %s: %s\n", prog, path,
			strerror(-err));
}

FILE *out_open(const char *path)
{
	struct outfile *o = &outs[1];
	struct walk w = {.dfd = -1};
	char *copy;
	struct stat st;
	int cwd, fd;

	while (o->f && o < outs + sizeof(outs) / sizeof(outs[0]) - 1)
		o++;
	if (o->f) { /* a bug of the caller: more files than outs[] has */
		refuse(path, -EMFILE, NULL);
		return NULL;
	}
	copy = strdup(path);
	memset(o, 0, sizeof(*o));
	cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (!copy || cwd < 0)
		fd = copy ? -errno : -ENOMEM;
	else if (!*path)
		fd = -ENOENT;
	else
		fd = walk(cwd, copy, &w);
	free(copy);
	if (fd < 0) {
		refuse(path, fd, w.bad_dir);
		return NULL;
	}
	if (shared(&w.dst) && !w.follow) {
		fd = open_shared(w.dfd, w.last, &w.dst, o);
		if (fd == -ELOOP || fd == -EPERM) {
			char proc[32];
			ssize_t n;

			snprintf(proc, sizeof(proc), "/proc/self/fd/%d", w.dfd);
			n = readlink(proc, w.bad_dir, sizeof(w.bad_dir) - 1);
			w.bad_dir[n > 0 ? n : 0] = '\0';
		}
	} else {
		fd = open_private(w.dfd, w.last, w.follow, o);
	}
	if (fd >= 0 && !fstat(fd, &st)) {
		o->dev = st.st_dev;
		o->ino = st.st_ino;
	}
	if (fd >= 0 && o->created)
		o->name = strdup(path);
	if (fd >= 0 && o->created && !o->name) {
		unlinkat(w.dfd, w.last, 0);
		close(fd);
		fd = -ENOMEM;
	}
	close(w.dfd);
	free(w.last);
	if (fd < 0) {
		refuse(path, fd, w.bad_dir);
		return NULL;
	}
	if (!o->name)
		o->name = strdup(path);
	if (!o->name || !wrap(o, fd)) {
		refuse(path, -ENOMEM, NULL);
		close(fd);
		if (o->created)
			unlink(path);
		free(o->name);
		o->name = NULL;
		return NULL;
	}
	return o->f;
}

int out_close(FILE *f)
{
	struct outfile *o = find(f);
	bool failed;

	if (!f || f == stdout)
		return 0;
	failed = fclose(f) == EOF || (o && o->err);
	if (o) {
		if (failed && !o->err)
			o->err = EIO;
		if (failed)
			report(o);
		o->f = NULL;
		/* a FIFO whose reader left: as for a pipe on stdout */
		if (o->err == EPIPE) {
			cli_stop_signal = SIGPIPE;
			cli_end_by_signal();
		}
		free(o->name);
		o->name = NULL;
	}
	return failed ? EXIT_RUNTIME : 0;
}

void out_discard(FILE *f)
{
	struct outfile *o = find(f);
	struct stat st;

	if (!o || o->is_stdout)
		return;
	/* only the file this run made, and only if it is still that one */
	if (o->created && o->name && !lstat(o->name, &st) &&
	    st.st_dev == o->dev && st.st_ino == o->ino)
		unlink(o->name);
	o->err = 0;
	o->reported = true; /* nothing to say of a file removed */
	if (o->f)
		fclose(o->f);
	o->f = NULL;
	free(o->name);
	o->name = NULL;
}
