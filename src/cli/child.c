/* SPDX-License-Identifier: MIT */
/*
 * -c CMD: the command is forked first and waits on a pipe; once the probes
 * are in place sonde writes one byte and the child execs, so the probes see
 * its first instruction. No shell: CMD is split into words here, with '...'
 * and "..." quoting and backslash escapes.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"

static char **split_words(const char *cmd)
{
	size_t n = 0, len = strlen(cmd);
	char **argv = calloc(len / 2 + 2, sizeof(char *));
	char *buf = malloc(len + 1), *w = buf;
	const char *p = cmd;
	char quote;

	if (!argv || !buf) {
		free(argv);
		free(buf);
		return NULL;
	}
	while (*p) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		argv[n++] = w;
		quote = 0;
		for (; *p && (quote || (*p != ' ' && *p != '\t')); p++) {
			if (quote && *p == quote)
				quote = 0;
			else if (!quote && (*p == '\'' || *p == '"'))
				quote = *p;
			else if (*p == '\\' && p[1] && quote != '\'')
				*w++ = *++p;
			else
				*w++ = *p;
		}
		*w++ = '\0';
	}
	if (!n) {
		free(argv);
		free(buf);
		errno = EINVAL;
		return NULL;
	}
	return argv; /* argv[0] points at buf: freed with the process */
}

int child_spawn(const char *cmd, struct child *c)
{
	int go[2], ex[2], err;
	char **argv = split_words(cmd);
	char byte;

	if (!argv)
		return -errno;
	if (pipe2(go, O_CLOEXEC) < 0 || pipe2(ex, O_CLOEXEC) < 0)
		return -errno;
	c->pid = fork();
	if (c->pid < 0)
		return -errno;
	if (c->pid == 0) {
		close(go[1]);
		close(ex[0]);
		cli_default_signals();
		if (read(go[0], &byte, 1) != 1)
			_exit(127);
		execvp(argv[0], argv);
		err = errno;
		if (write(ex[1], &err, sizeof(err)) < 0)
			_exit(127);
		_exit(127);
	}
	free(argv[0]);
	free(argv);
	close(go[0]);
	close(ex[1]);
	c->go_fd = go[1];
	c->exec_fd = ex[0];
	return 0;
}

int child_release(struct child *c)
{
	int err = 0;
	ssize_t n;

	if (write(c->go_fd, "g", 1) != 1)
		return -errno;
	close(c->go_fd);
	c->go_fd = -1;
	/* EOF: exec succeeded (the pipe closed on exec); else its errno */
	n = read(c->exec_fd, &err, sizeof(err));
	close(c->exec_fd);
	c->exec_fd = -1;
	if (n == sizeof(err)) {
		child_done(c);
		return -err;
	}
	return 0;
}

bool child_done(struct child *c)
{
	int st;

	if (c->exited)
		return true;
	if (waitpid(c->pid, &st, WNOHANG) == c->pid) {
		c->exited = true;
		c->status = st;
	}
	return c->exited;
}

void child_kill(struct child *c)
{
	int st;

	if (c->exited || c->pid <= 0)
		return;
	if (c->go_fd >= 0)
		close(c->go_fd); /* a child still waiting exits on EOF */
	c->go_fd = -1;
	kill(c->pid, SIGTERM);
	if (waitpid(c->pid, &st, 0) == c->pid) {
		c->exited = true;
		c->status = st;
	}
}

int child_exit_status(const struct child *c)
{
	if (WIFEXITED(c->status))
		return WEXITSTATUS(c->status);
	if (WIFSIGNALED(c->status))
		return 128 + WTERMSIG(c->status);
	return EXIT_RUNTIME;
}
