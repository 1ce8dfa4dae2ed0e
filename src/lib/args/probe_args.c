// SPDX-License-Identifier: MIT
/*
 * A probe's compiled args, made once and kept on the probe: the backends
 * that fetch in user space or in a generated program (perf, bpf) ask
 * whether they fit and then run them from the same plan; its event format
 * is built from the plan as structs (the tracefs backend reads the
 * kernel's own instead).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args/fetch_plan.h"
#include "internal.h"

const struct fetch_plan *probe_fetch_plan(struct probe *p)
{
	if (!p->plan)
		p->plan = fetch_plan_compile(&p->spec);
	if (!p->plan)
		errno = ENOMEM;
	return p->plan;
}

int probe_format_from_plan(struct probe *p, int id, struct lib_error *e)
{
	const struct fetch_plan *plan = probe_fetch_plan(p);
	int err;

	lib_error_clear(e);
	if (plan && plan->error.err)
		return lib_error_set(e, plan->error.err, plan->error.col, "%s",
				     plan->error.msg);
	err = plan ? fetch_plan_event_format(plan, &p->spec, p->name, id,
					     &p->fmt)
		   : -ENOMEM;
	if (!err) {
		p->format_text =
			fetch_plan_format_text(plan, &p->spec, p->name, id);
		err = p->format_text ? 0 : -ENOMEM;
	}
	if (!err && fault_setup(p)) /* its strings' faults */
		err = -ENOMEM;
	if (err == -ENOMEM)
		return lib_error_set(e, ENOMEM, -1, "out of memory");
	if (err)
		return lib_error_set(e, err, -1,
				     "cannot parse the format built for %s",
				     p->name);
	return 0;
}
