/* SPDX-License-Identifier: MIT */
/*
 * Tracepoints (PROBE_TRACEPOINT) on the bpf backend: which of them a
 * program can send whole, the layout gen_tp.c copies, their fields as
 * aggregation keys and values, and their attachment: a
 * BPF_PROG_TYPE_TRACEPOINT program on one PERF_TYPE_TRACEPOINT event per
 * probe, its index the BPF cookie (kernel/trace/bpf_trace.c, 5.15).
 * The program runs wherever the event fires, so -p and the tracer's own
 * process are filtered in it, as for kprobes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpf_int.h"
#include "bpf_stream.h"

bool bpf_is_tracepoint(const struct probe *p)
{
	return p->spec.kind == PROBE_TRACEPOINT;
}

int bpf_tp_layout(const struct probe *p, struct gen_tp_dyn *dyn, size_t *ndyn,
		  unsigned int *fixed)
{
	const struct event_format *ef = &p->fmt;
	unsigned int end = 8; /* the common fields */
	size_t i, n = 0;

	for (i = 0; i < ef->nfields; i++) {
		const struct field_layout *f = &ef->fields[i];

		if (f->offset < 8 || f->offset + f->size < f->offset)
			return -EINVAL;
		if (f->offset + f->size > end)
			end = f->offset + f->size;
		if (!f->is_dynamic)
			continue;
		if (n == GEN_TP_MAX_DYN)
			return -E2BIG;
		dyn[n].offset = f->offset;
		dyn[n].relative = f->is_relative;
		dyn[n].field = (int)i;
		n++;
	}
	if (STREAM_HDR + end > STREAM_CUR_MASK)
		return -E2BIG;
	*ndyn = n;
	*fixed = end;
	return 0;
}

int bpf_tp_fit(const struct probe *p, char *why, size_t len)
{
	struct gen_tp_dyn dyn[GEN_TP_MAX_DYN];
	unsigned int fixed;
	size_t n;
	int err;

	if (p->fmt.id <= 0 || p->fmt.id > 0xffff) {
		snprintf(why, len, "tracepoint %s has no event id", p->name);
		return -ENOENT;
	}
	err = bpf_tp_layout(p, dyn, &n, &fixed);
	if (err == -E2BIG)
		snprintf(why, len,
			 "the bpf backend cannot copy tracepoint %s: its "
			 "record is too large",
			 p->name);
	else if (err)
		snprintf(why, len,
			 "the bpf backend cannot copy tracepoint %s: a field "
			 "overlaps its common fields",
			 p->name);
	return err;
}

int bpf_tp_field(const struct probe *p, const char *name, struct gsrc_spec *g,
		 enum sonde_agg_key_kind *kind, char *why, size_t len)
{
	const struct field_layout *f = NULL;
	size_t i;

	for (i = 0; name && i < p->fmt.nfields; i++)
		if (!strcmp(p->fmt.fields[i].name, name))
			f = &p->fmt.fields[i];
	if (!f) {
		snprintf(why, len, "tracepoint %s has no field '%s'", p->name,
			 name ? name : "");
		return -EINVAL;
	}
	if (f->type == FT_STRING || f->type == FT_ARRAY) {
		snprintf(why, len,
			 "the bpf backend aggregates integer fields, and "
			 "'%s' of %s is %s",
			 name, p->name,
			 f->type == FT_STRING ? "a string" : "an array");
		return -ENOTSUP;
	}
	/* tp_prog_is_valid_access(): aligned reads past the first 8 bytes */
	if ((f->size != 1 && f->size != 2 && f->size != 4 && f->size != 8) ||
	    f->offset % f->size || f->offset < 8) {
		snprintf(why, len,
			 "the bpf backend cannot read field '%s' of %s "
			 "(offset %u, size %u)",
			 name, p->name, f->offset, f->size);
		return -ENOTSUP;
	}
	memset(g, 0, sizeof(*g));
	g->src = GS_CTX;
	g->regoff = (int)f->offset;
	g->size = (int)f->size;
	g->is_signed = f->is_signed;
	/* as the events aggregated in user space (agg_run.c): the field's
	 * kind */
	*kind = f->type == FT_SIGNED ? SONDE_AGG_KEY_SIGNED
		: f->type == FT_HEX || f->type == FT_SYMBOL
			? SONDE_AGG_KEY_HEX
			: SONDE_AGG_KEY_UNSIGNED;
	return 0;
}

int bpf_attach_tracepoints(struct sonde_session *s, int prog_fd,
			   const uint64_t *cookies, int n, int *fds)
{
	int i, fd;

	for (i = 0; i < n; i++) {
		const struct probe *p = &s->probes[cookies[i]];

		fd = bpf_attach_perf_tracepoint(prog_fd, p->fmt.id, cookies[i]);
		if (fd < 0) {
			while (i--)
				close(fds[i]);
			return set_err(s, -fd, -1,
				       "cannot attach tracepoint %s:%s: %s",
				       p->spec.group, p->spec.event,
				       strerror(-fd));
		}
		fds[i] = fd;
	}
	return n;
}
