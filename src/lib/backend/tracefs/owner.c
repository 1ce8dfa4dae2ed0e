/* SPDX-License-Identifier: MIT */
/*
 * Who owns a session's group and instance in tracefs: a lock file,
 * /run/sonde/<group>.lock, held with flock() by the live session from
 * before its first tracefs write until after its last. The kernel drops
 * the lock when the owner dies however it dies, and flock() sees the same
 * lock from every pid namespace that shares the file, so "the lock can be
 * taken" proves the owner dead where kill(pid, 0) on a pid from another
 * namespace proves nothing (docs/decisions.md). No lock file: not provably
 * dead, never swept.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"


static int lock_path(char *buf, size_t len, const char *group)
{
	int n = snprintf(buf, len, "%s/%s.lock", OWNER_DIR, group);

	return n > 0 && (size_t)n < len ? 0 : -ENAMETOOLONG;
}

/* The lock taken still names path's file (not one unlinked meanwhile). */
static bool still_linked(int fd, const char *path)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 && stat(path, &b) == 0 &&
	       a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

int owner_claim(struct sonde_session *s)
{
	char path[160];
	int fd, tries, err;

	if (s->owner_fd >= 0)
		return 0;
	err = lock_path(path, sizeof(path), s->group);
	if (err)
		return set_err(s, -err, -1, "group name %s too long", s->group);
	if (mkdir(OWNER_DIR, 0700) && errno != EEXIST) {
		/* tracing still works; a kill leaves what only a hand removes */
		slog(s, SONDE_LOG_WARN,
		     "cannot make %s (%s): if killed, this session's probes "
		     "are not removed by sonde cleanup",
		     OWNER_DIR, strerror(errno));
		return 0;
	}
	/* a sweeper may hold a dead owner's file of this name: it unlinks
	 * it when done, and the next open makes a new one */
	for (tries = 0; tries < 50; tries++) {
		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
			  0600);
		if (fd < 0)
			break;
		if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
			if (still_linked(fd, path)) {
				s->owner_fd = fd;
				return 0;
			}
		} else if (errno != EWOULDBLOCK) {
			close(fd);
			break;
		}
		close(fd);
		usleep(20000);
	}
	if (fd >= 0 || errno == EWOULDBLOCK)
		return set_err(s, EBUSY, -1,
			       "%s is held by a live session (the same pid in "
			       "another pid namespace?)",
			       path);
	slog(s, SONDE_LOG_WARN,
	     "cannot lock %s (%s): if killed, this session's probes are not "
	     "removed by sonde cleanup",
	     path, strerror(errno));
	return 0;
}

void owner_release(struct sonde_session *s, bool all_removed)
{
	char path[160];

	if (s->owner_fd < 0)
		return;
	/* what could not be removed stays provably dead for a sweep */
	if (all_removed && !lock_path(path, sizeof(path), s->group))
		unlink(path);
	close(s->owner_fd);
	s->owner_fd = -1;
}

int owner_dead_lock(const char *group)
{
	char path[160];
	int fd;

	if (lock_path(path, sizeof(path), group))
		return -EINVAL;
	fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT ? -ENOENT : -EPERM;
	if (flock(fd, LOCK_EX | LOCK_NB) || !still_linked(fd, path)) {
		close(fd);
		return -EBUSY;
	}
	return fd;
}

void owner_dead_done(const char *group, int fd)
{
	char path[160];

	if (!lock_path(path, sizeof(path), group))
		unlink(path);
	close(fd);
}

int owner_list(int (*cb)(const char *group, size_t len, void *ctx), void *ctx)
{
	struct dirent *de;
	size_t n;
	DIR *d = opendir(OWNER_DIR);

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		n = strlen(de->d_name);
		if (n > 5 && !strcmp(de->d_name + n - 5, ".lock"))
			cb(de->d_name, n - 5, ctx);
	}
	closedir(d);
	return 0;
}
