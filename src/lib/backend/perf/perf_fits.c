/* SPDX-License-Identifier: MIT */
/*
 * Whether --backend auto takes the perf backend for a session: can the
 * PMUs make every probe (the uprobe and kprobe PMUs, pmu.c; what they
 * cannot take a tracefs-made event does), and with stacks, can perf
 * record every probe's (perf_entry_stack.c).
 */
#include <stdio.h>
#include <unistd.h>

#include "perf.h"
#include "args/fetch_plan.h"
#include "backend/pmu.h"

/* Are p's args computable from user registers and memory? Its plan is
 * compiled here (once: it stays on p, args/fetch_plan.h). */
static bool args_computable(struct probe *p, char *why, size_t len)
{
	const struct fetch_plan *plan = probe_fetch_plan(p);

	if (!plan)
		snprintf(why, len, "out of memory");
	else if (plan->error.err)
		snprintf(why, len, "%s", plan->error.msg);
	return plan && !plan->error.err;
}

bool pmu_can(struct probe *p, const struct pmu_info *up,
	     const struct pmu_info *kp, char *why, size_t len)
{
	bool user = probe_kind_is_user(p->spec.kind);

	/* a tracepoint needs no PMU: PERF_TYPE_TRACEPOINT by its id, the
	 * filter through PERF_EVENT_IOC_SET_FILTER */
	if (probe_is_tracepoint(p) && !p->trigger && !p->hist)
		return true;
	if (p->trigger || p->hist || p->filter) {
		snprintf(why, len, "probe %s has a %s", p->name,
			 p->filter ? "filter" : p->trigger ? "trigger" : "hist");
		return false;
	}
	if (user && up->type < 0) {
		snprintf(why, len, "this kernel has no uprobe PMU");
		return false;
	}
	if (!user && kp->type < 0) {
		snprintf(why, len, "this kernel has no kprobe PMU");
		return false;
	}
	if (!user && (p->spec.nargs || p->spec.maxactive)) {
		snprintf(why, len, "probe %s fetches kernel memory or registers",
			 p->name);
		return false;
	}
	return args_computable(p, why, len);
}

static bool perf_backend_fits(const struct sonde_session *s, char *why,
			      size_t len)
{
	const struct pmu_info *up, *kp;
	int i;

	if (geteuid() != 0) {
		snprintf(why, len, "the PMUs need CAP_SYS_ADMIN");
		return false;
	}
	for (i = 0; s->opts.pid > 0 && i < s->nprobes; i++)
		if (!probe_is_tracepoint(&s->probes[i])) {
			snprintf(why, len,
				 "PMU probes cannot be inherited by a "
				 "process's new threads");
			return false;
		}
	up = pmu_get("uprobe");
	kp = pmu_get("kprobe");
	for (i = 0; i < s->nprobes; i++)
		if (!pmu_can(&s->probes[i], up, kp, why, len))
			return false;
	return true;
}

/* --backend auto: with stacks, whenever it can record every probe (the
 * caller at a function's entry, perf_entry_stack.c, and MMAP2 records
 * that keep the maps of a process that has exited before its stacks are
 * named); otherwise where tracefs has no {u,k}probe_events this user can
 * write and the PMUs can make every probe. */
bool perf_fits(const struct sonde_session *s, enum backend_step step, char *why,
	       size_t len)
{
	if (s->opts.cgroup && s->opts.pid > 0) {
		snprintf(why, len, "%s", PERF_CGROUP_PID);
		return false;
	}
	switch (step) {
	case BACKEND_STEP_STACKS:
		if (!s->opts.stack)
			return false;
		if (perf_backend_takes_stacks(s, why, len)) {
			slog(s, SONDE_LOG_INFO,
			     "stacks: the perf backend (the caller at a function's entry, maps from MMAP2)");
			return true;
		}
		slog(s, SONDE_LOG_DEBUG, "stacks, not the perf backend: %s",
		     why);
		return false;
	case BACKEND_STEP_ANY:
		if (perf_backend_fits(s, why, len))
			return true;
		slog(s, SONDE_LOG_DEBUG, "not the perf backend: %s", why);
		return false;
	default:
		return false;
	}
}
