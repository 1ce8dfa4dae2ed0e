/* SPDX-License-Identifier: MIT */
/*
 * Letting go of the fds that own uprobes (BPF links, perf events) where no
 * signal can reach the kernel's work. Closing the last reference runs the
 * uprobe removal in the closing task: kernel/events/uprobes.c
 * uprobe_unregister_nosync() -> register_for_each_vma() ->
 * remove_breakpoint() -> uprobe_write() -> get_user_pages_remote(), which
 * fails with -EINTR once a fatal signal is pending (mm/gup.c
 * __get_user_pages()); the kernel then logs "failed to unregister, leaking
 * uprobe" and the int3 stays in the traced process's text. A SIGKILL
 * during the close is exactly that (docs/decisions.md).
 *
 * So the fds are sent to a unix socket that then holds itself in flight
 * and both ends are closed: the last references belong to an unreachable
 * cycle, which the unix garbage collector (net/unix/garbage.c, a
 * workqueue) frees; the files' last fput() then runs in a kernel worker
 * (fs/file_table.c delayed_fput), where fatal_signal_pending() is never
 * true (so the probes go a moment after sonde ends: 6.1.192's
 * unix_gc() queues the collector too). On older kernels the collector
 * runs in the task that closes the socket (af_unix.c unix_release_sock()
 * -> unix_gc()) and the fput() is that task's work, so the callers run this
 * in a task a SIGKILL of the session does not reach (shield.c): the
 * backends' stop, sonde_bpf_agg__close(). Until the hand-over the fds
 * are the process's own, and the exit of a killed process closes them
 * after its SIGKILL was dequeued (kernel/signal.c get_signal()), which
 * does not fail either.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "internal.h"

/* SCM_MAX_FD in include/net/scm.h */
#define FDS_PER_MSG 250

static int send_fds(int sock, const int *fds, int n)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int) * FDS_PER_MSG)];
	} u;
	char byte = 0;
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	struct msghdr m = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = u.buf,
		.msg_controllen = CMSG_SPACE(sizeof(int) * n),
	};
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);

	memset(&u, 0, sizeof(u));
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int) * n);
	memcpy(CMSG_DATA(c), fds, sizeof(int) * n);
	return sendmsg(sock, &m, MSG_NOSIGNAL) == 1 ? 0 : -errno;
}

int fds_release_async(const int *fds, int n)
{
	int sv[2], i, k, err = 0;

	if (n <= 0)
		return 0;
	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv))
		return -errno;
	/* sending on sv[1] queues into sv[0]: the fds, then sv[0] itself */
	for (i = 0; i < n && !err; i += k) {
		k = n - i < FDS_PER_MSG ? n - i : FDS_PER_MSG;
		err = send_fds(sv[1], fds + i, k);
	}
	if (!err)
		err = send_fds(sv[1], &sv[0], 1);
	if (err) {
		/* nothing was handed over for good: sv[0]'s queue goes with
		 * it when it is closed below, in this task */
		close(sv[1]);
		close(sv[0]);
		return err;
	}
	/* our own copies are no longer the last references */
	for (i = 0; i < n; i++)
		close(fds[i]);
	/* sv[0] first: held only by its own queue from then on; the release
	 * of sv[1] then schedules the collector (af_unix.c
	 * unix_release_sock() -> unix_schedule_gc()), which finds it dead.
	 * sv[0] is the lower fd, so the exit of a process killed just now
	 * closes them in that order too (fs/file.c close_files()). */
	close(sv[0]);
	close(sv[1]);
	return 0;
}

void fds_let_go(const int *fds, int n)
{
	int i;

	if (n > 0 && fds_release_async(fds, n))
		for (i = 0; i < n; i++)
			close(fds[i]);
}

struct fd_list {
	const int *fds;
	int n;
};

static int let_go(void *arg)
{
	const struct fd_list *l = arg;

	fds_let_go(l->fds, l->n);
	return 0;
}

void fds_let_go_shielded(const int *fds, int n)
{
	struct fd_list l = {.fds = fds, .n = n};

	if (n > 0)
		run_shielded(let_go, &l);
}
