/* SPDX-License-Identifier: MIT */
/* `sonde list t:SYSTEM:EVENT`: the tracepoints under tracefs's events/. */
#include <errno.h>
#include <unistd.h>

#include "internal.h"
#include "resolve/tracepoint.h"

int sonde_tracepoints__list(const char *system, const char *event,
			    int (*cb)(const char *system, const char *event,
				      void *ctx),
			    void *ctx)
{
	struct tp_matches m;
	size_t i;
	int err;

	if (!cb)
		return -EINVAL;
	err = tfs_mount(geteuid() == 0);
	if (err)
		return err;
	err = tp_find(tfs_root(), system ? system : "*", event ? event : "*",
		      &m);
	if (err)
		return err;
	for (i = 0; !err && i < m.n; i++)
		err = cb(m.v[i].system, m.v[i].event, ctx);
	tp_matches_free(&m);
	return err ? err : (int)i;
}
