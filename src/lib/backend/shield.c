/* SPDX-License-Identifier: MIT */
/*
 * Making and removing probes in a task that a SIGKILL sent to the
 * session's process does not reach. The kernel puts in and removes a
 * uprobe in the task that asks (a write to a tracefs enable file, a
 * perf_event_open(), a BPF link's creation, the last close of a perf or
 * BPF fd), and a fatal signal pending there makes it fail half way and
 * leave int3s behind: a removal keeps its uprobe, and so does the rollback
 * of a registration cut short ("failed to unregister, leaking uprobe",
 * docs/decisions.md). The work
 * runs in a child made with clone(CLONE_VM | CLONE_FILES | CLONE_FS), much
 * as posix_spawn() makes its child: it shares the memory and the fd table,
 * and the caller waits for it, so to the library it is a plain call. If
 * the caller is killed meanwhile, the child carries on (the fd table, with
 * the owner's lock, stays its own until it exits). The wait is
 * interruptible (not CLONE_VFORK's), so the caller's signal handlers run;
 * the child gets the process group's signals (a terminal's Ctrl-C) and
 * handles them with a copy of the caller's handlers.
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"

#define SHIELD_STACK (1024 * 1024)

struct call {
	int (*fn)(void *arg);
	void *arg;
	int ret;
};

static int trampoline(void *arg)
{
	struct call *c = arg;

	c->ret = c->fn(c->arg);
	return 0;
}

int run_shielded(int (*fn)(void *arg), void *arg)
{
	struct call c = {.fn = fn, .arg = arg};
	char *stack;
	pid_t pid, r;
	int status;

	/* without a child (asked, or none to be had) it runs here */
	if (getenv("SONDE_NO_SHIELD"))
		return fn(arg);
	stack = mmap(NULL, SHIELD_STACK, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (stack == MAP_FAILED)
		return fn(arg);
	pid = clone(trampoline, stack + SHIELD_STACK,
		    CLONE_VM | CLONE_FILES | CLONE_FS | SIGCHLD, &c);
	if (pid < 0) {
		munmap(stack, SHIELD_STACK);
		return fn(arg);
	}
	do
		r = waitpid(pid, &status, __WALL);
	while (r < 0 && errno == EINTR);
	munmap(stack, SHIELD_STACK);
	return c.ret;
}
