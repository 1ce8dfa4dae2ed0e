/* SPDX-License-Identifier: MIT */
/*
 * How the bpf backend attaches a session's probes, decided before anything
 * reaches the kernel: probes with the same kind, file and arguments share
 * one program (a group), and each group takes one uprobe_multi or
 * kprobe_multi link where the kernel has them and the link takes every
 * probe of the group, else one perf event per probe. bpf_start() follows
 * this plan; sonde_session__attach_plan() tells it (sonde check SPEC).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpf_int.h"
#include "bpf_stream.h"
#include "backend/kernel_feature.h"

static bool same_args(const struct probe *a, const struct probe *b)
{
	size_t i;

	if (a->spec.kind != b->spec.kind ||
	    strcmp(a->path ? a->path : "", b->path ? b->path : "") ||
	    a->spec.nargs != b->spec.nargs ||
	    (bpf_is_tracepoint(a) && a->fmt.id != b->fmt.id))
		return false;
	for (i = 0; i < a->spec.nargs; i++) {
		const struct probe_arg *x = &a->spec.args[i],
				       *y = &b->spec.args[i];

		if (strcmp(x->name, y->name) || strcmp(x->fetch, y->fetch) ||
		    strcmp(x->type ? x->type : "", y->type ? y->type : ""))
			return false;
	}
	return true;
}

int bpf_plan_groups(struct sonde_session *s, struct bstate *st)
{
	int i, g;

	st->group_of = malloc((s->nprobes ? s->nprobes : 1) * sizeof(int));
	st->groups = calloc(s->nprobes ? s->nprobes : 1, sizeof(*st->groups));
	if (!st->group_of || !st->groups)
		return -ENOMEM;
	for (i = 0; i < s->nprobes; i++) {
		for (g = 0; g < st->ngroups; g++)
			if (same_args(&s->probes[st->groups[g].first],
				      &s->probes[i]))
				break;
		if (g == st->ngroups) {
			st->groups[g].first = i;
			st->groups[g].prog_fd = -1;
			st->ngroups++;
		}
		st->group_of[i] = g;
		st->groups[g].cnt++;
	}
	return 0;
}

/* Why a probe cannot be on a kprobe_multi link, or NULL. */
static const char *kmulti_misfit(const struct probe *p)
{
	if (bpf_kmulti_fits(p))
		return NULL;
	if (p->spec.target)
		return "a module's function";
	if (!p->spec.symbol || p->spec.has_addr)
		return "an address";
	return "FUNC+OFF";
}

void bpf_plan_modes(struct sonde_session *s, struct bstate *st, char *why,
		    size_t len)
{
	const char *env = getenv("SONDE_BPF_NO_MULTI");
	bool nomulti = env && *env;
	bool umulti =
		!nomulti && kernel_feature_has(KERNEL_FEATURE_BPF_UPROBE_MULTI);
	bool kmulti =
		!nomulti && kernel_feature_has(KERNEL_FEATURE_BPF_KPROBE_MULTI);
	const char *misfit;
	bool kern, user;
	int i;

	if (why && len)
		why[0] = '\0';
	for (i = 0; i < st->ngroups; i++)
		st->groups[i].multi =
			probe_kind_is_user(
				s->probes[st->groups[i].first].spec.kind)
				? umulti
				: kmulti;
	for (i = 0; i < s->nprobes; i++) {
		/* a tracepoint: its own perf event, no link takes it */
		if (bpf_is_tracepoint(&s->probes[i]))
			st->groups[st->group_of[i]].multi = false;
		misfit = probe_kind_is_user(s->probes[i].spec.kind) ||
				 bpf_is_tracepoint(&s->probes[i])
				 ? NULL
				 : kmulti_misfit(&s->probes[i]);
		if (!misfit || !st->groups[st->group_of[i]].multi)
			continue;
		st->groups[st->group_of[i]].multi = false;
		if (why && len && !why[0])
			snprintf(why, len,
				 "probe %s is %s, which a kprobe_multi link "
				 "does not take (functions at their entry, in "
				 "vmlinux)",
				 s->probes[i].name, misfit);
	}
	if (!why || !len || why[0])
		return;
	kern = user = false;
	for (i = 0; i < st->ngroups; i++) {
		const struct probe *p = &s->probes[st->groups[i].first];
		bool k = !probe_kind_is_user(p->spec.kind);

		if (bpf_is_tracepoint(p))
			continue;
		kern |= k && !st->groups[i].multi;
		user |= !k && !st->groups[i].multi;
	}
	if ((kern || user) && nomulti)
		snprintf(why, len, "SONDE_BPF_NO_MULTI is set");
	else if (kern)
		snprintf(why, len,
			 "this kernel has no kprobe_multi links "
			 "(CONFIG_FPROBE, 5.18)");
	else if (user)
		snprintf(why, len,
			 "this kernel has no uprobe_multi links (6.6)");
}

int bpf_plan_attach(struct sonde_session *s, struct sonde_attach_plan *out)
{
	struct bstate st = {0};
	int g, err;

	err = bpf_plan_groups(s, &st);
	if (!err) {
		bpf_plan_modes(s, &st, out->why, sizeof(out->why));
		for (g = 0; g < st.ngroups; g++) {
			const struct bgroup *gr = &st.groups[g];
			bool k = !probe_kind_is_user(
				s->probes[gr->first].spec.kind);

			if (!gr->multi) {
				out->perf_events += gr->cnt;
			} else if (k) {
				out->kprobe_multi_links++;
				out->kprobe_multi_probes += gr->cnt;
			} else {
				out->uprobe_multi_links++;
				out->uprobe_multi_probes += gr->cnt;
			}
		}
	}
	free(st.groups);
	free(st.group_of);
	return err;
}
