/* SPDX-License-Identifier: MIT */
/* sonde_session__attach_plan(): which backend a session would take and how
 * the bpf backend would attach its probes, asked before the start (sonde
 * check SPEC...). */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "backend/bpf/bpf_int.h"
#include "backend/bpf/bpf_stream.h"

int sonde_session__attach_plan(struct sonde_session *s,
			       struct sonde_attach_plan *plan)
{
	struct sonde_attach_plan out = {.sz = sizeof(out)};
	const struct backend *be;
	char why[256] = "";
	int err;

	if (!s || !plan || plan->sz < offsetof(struct sonde_attach_plan, why))
		return -EINVAL;
	be = backend_choose(s, sonde_backends, sonde_nbackends);
	out.backend = be ? be->id : SONDE_BACKEND_TRACEFS;
	if (s->opts.backend != SONDE_BACKEND_AUTO)
		snprintf(out.backend_why, sizeof(out.backend_why), "asked for");
	else if (out.backend == SONDE_BACKEND_BPF)
		snprintf(out.backend_why, sizeof(out.backend_why),
			 "more than %d probes: multi links make and remove "
			 "them at once",
			 AUTO_BPF_PROBES);
	else if (s->nprobes <= AUTO_BPF_PROBES)
		snprintf(out.backend_why, sizeof(out.backend_why),
			 "%d probe%s: the bpf backend is taken for more than "
			 "%d",
			 s->nprobes, s->nprobes == 1 ? "" : "s",
			 AUTO_BPF_PROBES);
	else if (!bpf_backend_fits(s, why, sizeof(why)))
		snprintf(out.backend_why, sizeof(out.backend_why),
			 "not the bpf backend: %s", why);
	err = bpf_plan_attach(s, &out);
	if (err)
		return err;
	memcpy(plan, &out, plan->sz < sizeof(out) ? plan->sz : sizeof(out));
	return 0;
}
