/* SPDX-License-Identifier: MIT */
/* The perf_event_open backend: uprobe and kprobe PMUs. */
#include <errno.h>

#include "internal.h"

static int perf_start(struct sonde_session *s)
{
	return set_err(s, ENOTSUP, -1,
		       "the perf backend is not available in this build");
}

static void perf_stop(struct sonde_session *s)
{
	(void)s;
}

static int perf_poll(struct sonde_session *s, int timeout_ms)
{
	(void)timeout_ms;
	return s ? -ENOTSUP : -EINVAL;
}

static int perf_drain(struct sonde_session *s)
{
	return perf_poll(s, 0);
}

const struct backend backend_perf = {
	.name = "perf",
	.start = perf_start,
	.stop = perf_stop,
	.poll = perf_poll,
	.drain = perf_drain,
};
