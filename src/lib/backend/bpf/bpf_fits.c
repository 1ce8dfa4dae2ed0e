/* SPDX-License-Identifier: MIT */
/*
 * Whether the bpf backend can stream a session's probes: what only the
 * tracefs backend applies (filters, triggers, hists, stacks), the fetches
 * the generated program cannot make (gen_stream.c), a multi link for each
 * kind; and each probe's record format, once it fits. --backend auto asks
 * here (bpf_fits()); bpf_backend.c loads and attaches what fits.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "bpf_int.h"
#include "bpf_stream.h"
#include "backend/kernel_feature.h"
#include "args/fetch_plan.h"

static int refuse(struct sonde_session *s, const struct probe *p, char *why,
		  size_t len)
{
	if (p->filter || p->trigger || p->hist)
		snprintf(why, len,
			 "probe %s has a %s, which only the tracefs backend "
			 "applies",
			 p->name,
			 p->filter    ? "filter"
			 : p->trigger ? "trigger"
				      : "hist");
	else if (s->opts.stack)
		snprintf(why, len,
			 "the bpf backend records no stacks (--backend tracefs "
			 "or perf)");
	else
		return 0;
	return -ENOTSUP;
}

/* A kprobe arg's memory (bpf_int.h GS_UDEREF, GS_USTR): derefs are the
 * kernel's unless written +uOFF (kprobetrace.rst); -1 when mixed. */
int bpf_kmem_of(const struct fetch_arg *a)
{
	int m = 0;

	if (a->nuser && a->nuser != a->nparen)
		return -1;
	if (a->nuser)
		m |= GS_UDEREF;
	if (a->user_string)
		m |= GS_USTR;
	return m;
}

/* The args of p's plan (compiled once, kept on p), minus what the
 * program cannot fetch. */
static int args_fit(struct probe *p, char *why, size_t len)
{
	const struct fetch_plan *plan = probe_fetch_plan(p);
	size_t i;

	if (!plan) {
		snprintf(why, len, "out of memory");
		return -ENOMEM;
	}
	if (plan->error.err) {
		snprintf(why, len, "%s", plan->error.msg);
		return -ENOTSUP;
	}
	for (i = 0; i < plan->nargs; i++)
		if (!gen_stream_arg_ok(&plan->args[i])) {
			snprintf(
				why, len,
				"the bpf backend cannot fetch '%s' of probe %s",
				p->spec.args[i].fetch, p->name);
			return -ENOTSUP;
		}
	for (i = 0; !probe_kind_is_user(p->spec.kind) && i < plan->nargs; i++)
		if (bpf_kmem_of(&plan->args[i]) < 0) {
			snprintf(why, len,
				 "the bpf backend cannot mix user (+u) and "
				 "kernel derefs in '%s' of probe %s",
				 p->spec.args[i].fetch, p->name);
			return -ENOTSUP;
		}
	if (plan->fixed + STREAM_HDR > STREAM_CUR_MASK) {
		snprintf(why, len, "probe %s fetches too much", p->name);
		return -E2BIG;
	}
	return 0;
}

bool bpf_backend_fits(const struct sonde_session *s, char *why, size_t len)
{
	int i;

	why[0] = '\0';
	if (geteuid() != 0) {
		snprintf(why, len, "BPF needs root here");
		return false;
	}
	/* the multi link each kind needs: without it every probe would be
	 * one perf event, no cheaper than tracefs */
	for (i = 0; i < s->nprobes; i++)
		if (probe_kind_is_user(s->probes[i].spec.kind)
			    ? !kernel_feature_has(
				      KERNEL_FEATURE_BPF_UPROBE_MULTI)
			    : !kernel_feature_has(
				      KERNEL_FEATURE_BPF_KPROBE_MULTI)) {
			snprintf(why, len, "this kernel has no %s links (%s)",
				 probe_kind_is_user(s->probes[i].spec.kind)
					 ? "uprobe_multi"
					 : "kprobe_multi",
				 probe_kind_is_user(s->probes[i].spec.kind)
					 ? "6.6+"
					 : "CONFIG_FPROBE");
			return false;
		}
	for (i = 0; i < s->nprobes; i++)
		if (refuse((struct sonde_session *)s, &s->probes[i], why,
			   len) ||
		    (bpf_is_tracepoint(&s->probes[i])
			     ? bpf_tp_fit(&s->probes[i], why, len)
			     : args_fit(&s->probes[i], why, len)))
			return false;
	return true;
}

int bpf_plan_formats(struct sonde_session *s)
{
	char why[512] = "";
	struct lib_error e = LIB_ERROR_INIT(256);
	int i, err;

	for (i = 0; i < s->nprobes; i++) {
		struct probe *p = &s->probes[i];

		bool tp = bpf_is_tracepoint(p);

		err = refuse(s, p, why, sizeof(why));
		/* a tracepoint's record is the kernel's, p->fmt its format */
		if (!err)
			err = tp ? bpf_tp_fit(p, why, sizeof(why))
				 : args_fit(p, why, sizeof(why));
		if (err)
			return set_err(s, -err, -1, "%s", why);
		err = tp ? 0 : probe_format_from_plan(p, i + 1, &e);
		if (err)
			return set_err(s, -err, e.col, "%s", e.msg);
		p->strbuf = calloc(p->fmt.nfields ? p->fmt.nfields : 1,
				   sizeof(char *));
		if (!p->strbuf)
			return set_err(s, ENOMEM, -1, "out of memory");
	}
	return 0;
}

/* --backend auto takes it for more than a handful of probes
 * (AUTO_BPF_PROBES): one uprobe_multi or kprobe_multi link makes and
 * removes thousands at once, where each tracefs or PMU probe costs the
 * kernel ~50 ms to remove; and for --cgroup when perf does not. */

bool bpf_fits(const struct sonde_session *s, enum backend_step step, char *why,
	      size_t len)
{
	/* --cgroup where perf cannot take it (with -p) */
	if (step == BACKEND_STEP_ANY && s->opts.cgroup &&
	    bpf_backend_fits(s, why, len)) {
		slog(s, SONDE_LOG_INFO, "--cgroup: the bpf backend");
		return true;
	}
	if (step != BACKEND_STEP_MANY || s->nprobes <= AUTO_BPF_PROBES)
		return false;
	if (bpf_backend_fits(s, why, len)) {
		slog(s, SONDE_LOG_INFO, "%d probes: the bpf backend (%s)",
		     s->nprobes,
		     bpf_is_tracepoint(&s->probes[0])
			     ? "one tracepoint event per probe"
			     : "multi links: one per file and argument list");
		return true;
	}
	slog(s, SONDE_LOG_INFO, "%d probes, not the bpf backend: %s",
	     s->nprobes, why);
	return false;
}
