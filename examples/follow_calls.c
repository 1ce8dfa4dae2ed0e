/* SPDX-License-Identifier: MIT */
/*
 * A program's own event loop around libsonde: uprobe + uretprobe on a
 * function of another program, started by us with the probes in place,
 * events read when the session's fd is readable.
 *
 *   follow_calls PROGRAM FUNCTION [ARGS...]   (as root)
 * Runs PROGRAM ARGS, prints "FUNCTION(arg1=.., arg2=..)" and
 * "FUNCTION -> ret" for each call, then the number of calls and returns.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sonde/sonde.h>

struct counts {
	int calls, returns;
};

static int on_event(const struct sonde_event *ev, void *ctx)
{
	struct counts *c = ctx;

	/* fields by name: the spec named them arg1, arg2 and retval */
	if (sonde_event__is_return(ev)) {
		c->returns++;
		printf("%s -> %lld\n", sonde_event__probe_name(ev),
		       (long long)sonde_event__field_s64(
			       ev, sonde_event__field_index(ev, "retval")));
	} else {
		c->calls++;
		printf("%s(arg1=%lld, arg2=%lld)\n",
		       sonde_event__probe_name(ev),
		       (long long)sonde_event__field_s64(
			       ev, sonde_event__field_index(ev, "arg1")),
		       (long long)sonde_event__field_s64(
			       ev, sonde_event__field_index(ev, "arg2")));
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct sonde_session_opts opts = { .sz = sizeof(opts) };
	struct counts c = { 0 };
	struct sonde_session *s;
	char spec[512];
	int go[2], status = 0;
	struct pollfd pfd;
	pid_t pid;

	if (argc < 3) {
		fprintf(stderr, "usage: follow_calls PROGRAM FUNCTION [ARGS...]\n");
		return 2;
	}
	/* the child waits until the probes are in place, then execs */
	if (pipe(go) < 0 || (pid = fork()) < 0)
		return 1;
	if (pid == 0) {
		char b;

		close(go[1]);
		if (read(go[0], &b, 1) != 1)
			_exit(127);
		argv[2] = argv[1];
		execv(argv[1], argv + 2);
		_exit(127);
	}
	close(go[0]);
	opts.pid = pid;
	s = sonde_session__open(&opts);
	if (!s)
		return 1;
	sonde_session__set_callback(s, on_event, &c);
	snprintf(spec, sizeof(spec), "u:%s:%s arg1:s32 arg2:s32", argv[1],
		 argv[2]);
	if (sonde_session__add_probe(s, spec, NULL) < 0)
		goto fail;
	snprintf(spec, sizeof(spec), "ur:%s:%s retval:s32", argv[1], argv[2]);
	if (sonde_session__add_probe(s, spec, NULL) < 0 ||
	    sonde_session__start(s) < 0)
		goto fail;
	if (write(go[1], "g", 1) != 1)
		goto fail;
	close(go[1]);
	pfd.fd = sonde_session__fd(s);
	pfd.events = POLLIN;
	while (waitpid(pid, &status, WNOHANG) == 0) {
		if (poll(&pfd, 1, 100) > 0)
			sonde_session__poll(s, 0);
	}
	sonde_session__drain(s);
	sonde_session__close(s);
	printf("%d calls, %d returns\n", c.calls, c.returns);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
fail:
	fprintf(stderr, "follow_calls: %s\n", sonde_session__errmsg(s));
	sonde_session__close(s);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return 1;
}
