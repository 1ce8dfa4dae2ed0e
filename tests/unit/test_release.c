// SPDX-License-Identifier: MIT
/*
 * release.c: fds handed to the kernel are let go of for good (the reader
 * of a pipe whose write end was handed over sees end of file, so no
 * reference is left anywhere), in batches past one message's limit;
 * shield.c: the function runs in another process that shares memory and
 * the fd table, and the caller waits for it.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "internal.h"

/* n pipes; their write ends handed over; each read end sees EOF */
static void hand_over(int n)
{
	int *rd = calloc(n, sizeof(int)), *wr = calloc(n, sizeof(int));
	int i, p[2], eof = 0, tries;
	char c;

	assert_non_null(rd);
	assert_non_null(wr);
	for (i = 0; i < n; i++) {
		assert_int_equal(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
		rd[i] = p[0];
		wr[i] = p[1];
	}
	assert_int_equal(fds_release_async(wr, n), 0);
	/* our copies are closed at once */
	for (i = 0; i < n; i++)
		assert_int_equal(fcntl(wr[i], F_GETFD), -1);
	/* the kernel's collector drops the last references soon after */
	for (tries = 0; tries < 500 && eof < n; tries++) {
		for (i = 0, eof = 0; i < n; i++)
			eof += read(rd[i], &c, 1) == 0;
		if (eof < n)
			usleep(10000);
	}
	assert_int_equal(eof, n);
	for (i = 0; i < n; i++)
		close(rd[i]);
	free(rd);
	free(wr);
}

static void release_one(void **state)
{
	(void)state;
	hand_over(1);
}

/* more than SCM_MAX_FD (253): several messages */
static void release_many(void **state)
{
	(void)state;
	hand_over(300);
}

static void release_none(void **state)
{
	(void)state;
	assert_int_equal(fds_release_async(NULL, 0), 0);
}

struct shared {
	pid_t pid;
	int fd;
};

static int in_child(void *arg)
{
	struct shared *sh = arg;

	sh->pid = getpid();
	sh->fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	return 42;
}

static void shielded(void **state)
{
	struct shared sh = { .pid = 0, .fd = -1 };
	int err;

	(void)state;
	unsetenv("SONDE_NO_SHIELD");
	err = run_shielded(in_child, &sh);
	assert_int_equal(err, 42); /* its result */
	/* it ran, in another process, before run_shielded() returned */
	assert_true(sh.pid > 0);
	assert_int_not_equal(sh.pid, getpid());
	/* and its fd table is ours */
	assert_true(sh.fd >= 0);
	assert_int_equal(fcntl(sh.fd, F_GETFD), FD_CLOEXEC);
	close(sh.fd);
}

static void shield_off(void **state)
{
	struct shared sh = { .pid = 0, .fd = -1 };

	(void)state;
	setenv("SONDE_NO_SHIELD", "1", 1);
	assert_int_equal(run_shielded(in_child, &sh), 42);
	/* it ran here */
	assert_int_equal(sh.pid, getpid());
	assert_true(sh.fd >= 0);
	close(sh.fd);
	unsetenv("SONDE_NO_SHIELD");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(release_one),
		cmocka_unit_test(release_many),
		cmocka_unit_test(release_none),
		cmocka_unit_test(shielded),
		cmocka_unit_test(shield_off),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
