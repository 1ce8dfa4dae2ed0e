/* SPDX-License-Identifier: MIT */
/*
 * sonde run's maps and programs in the kernel: each map bt_gen described
 * created, its fd put into the programs (bt_gen_set_fds()), each program
 * loaded; a program the verifier refuses is reported with the verifier's
 * last lines and the source line of the instruction it stopped at
 * (bt_cprog.lines). Everything made here is closed by run_unload().
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "backend/bpf/bpf_int.h"
#include "backend/kernel_feature.h"
#include "internal.h"
#include "run_int.h"

#define VERIFIER_LOG (1u << 20)
#define VERIFIER_LINES 3 /* the verifier's last lines in the message */
#define RINGBUF_DEFAULT (4u << 20)
#define STACK_DEPTH 127 /* PERF_MAX_STACK_DEPTH */

static uint32_t map_type(const struct bt_compiled *c, int i)
{
	switch (c->maps[i].kind) {
	case BT_M_RINGBUF:
		return BPF_MAP_TYPE_RINGBUF;
	case BT_M_STACKS:
		return BPF_MAP_TYPE_STACK_TRACE;
	case BT_M_SCRATCH:
	case BT_M_LOST:
		return BPF_MAP_TYPE_PERCPU_ARRAY;
	case BT_M_ELAPSED:
		return BPF_MAP_TYPE_ARRAY;
	case BT_M_HASH:
		return BPF_MAP_TYPE_HASH;
	default:
		return BPF_MAP_TYPE_PERCPU_HASH;
	}
}

static bool pow2(uint32_t v)
{
	return v && !(v & (v - 1));
}

/* For tests only: SONDE_RUN_RING_BYTES (a power of 2 of pages) makes the
 * ring small enough to overflow on purpose (test-bt-lost.sh). */
static uint32_t test_ring_size(uint32_t max)
{
	const char *env = getenv("SONDE_RUN_RING_BYTES");
	uint32_t v = env ? (uint32_t)strtoul(env, NULL, 0) : 0;

	return pow2(v) && v >= (uint32_t)getpagesize() ? v : max;
}

static int create_map(struct sonde_run *r, int i)
{
	struct bt_cmap *m = &r->comp->maps[i];
	uint32_t type = map_type(r->comp, i);
	uint32_t ks = m->key_size, vs = m->value_size, max = m->max_entries;
	const char *what;
	int fd;

	switch (type) {
	case BPF_MAP_TYPE_RINGBUF: /* a power of 2 of pages */
		ks = vs = 0;
		if (!pow2(max) || max < (uint32_t)getpagesize())
			max = RINGBUF_DEFAULT;
		max = test_ring_size(max);
		break;
	case BPF_MAP_TYPE_STACK_TRACE:
		ks = 4;
		vs = vs ? vs : STACK_DEPTH * 8;
		max = max ? max : BT_MAP_MAX_ENTRIES;
		break;
	case BPF_MAP_TYPE_ARRAY:
	case BPF_MAP_TYPE_PERCPU_ARRAY:
		ks = 4;
		max = max ? max : 1;
		break;
	default:
		max = max ? max : BT_MAP_MAX_ENTRIES;
		break;
	}
	fd = bpf_map_create(type, "sonde_run", ks, vs, max, NULL);
	if (fd >= 0) {
		m->fd = fd;
		return 0;
	}
	fd = -errno;
	what = m->map >= 0 && m->map < r->prog->nmaps
		       ? r->prog->maps[m->map].name
		       : NULL;
	if (what)
		return run_err_at(r, -fd, r->prog->maps[m->map].loc,
				  "cannot create the map @%s: %s", what,
				  strerror(-fd));
	return run_err(r, -fd, "cannot create a map of the program: %s",
		       strerror(-fd));
}

/* The index of the last instruction the verifier's log names ("123:
 * (85) call ..."), or -1. */
static long last_insn(const char *log)
{
	const char *p = log;
	long last = -1;
	char *end;

	while (*p) {
		if (isdigit((unsigned char)*p)) {
			long v = strtol(p, &end, 10);

			if (*end == ':' && end[1] == ' ')
				last = v;
		}
		p = strchr(p, '\n');
		if (!p)
			break;
		p++;
	}
	return last;
}

/* The log's last n non-empty lines, joined by "\n  ". */
static void last_lines(char *log, int n, char *out, size_t len)
{
	char *lines[VERIFIER_LINES];
	int k = 0, i;
	char *s, *save = NULL;
	size_t used = 0;

	for (s = strtok_r(log, "\n", &save); s; s = strtok_r(NULL, "\n", &save))
		if (*s)
			lines[k++ % n] = s;
	out[0] = '\0';
	for (i = k > n ? k - n : 0; i < k && used < len; i++)
		used += snprintf(out + used, len - used, "\n  %s",
				 lines[i % n]);
}

static int refused(struct sonde_run *r, const struct bt_cprog *cp, int err,
		   char *log)
{
	const struct bt_block *b = &r->prog->blocks[cp->block];
	const struct bt_probe *bp = &b->probes[cp->probe];
	long insn = last_insn(log);
	struct bt_loc loc = bp->loc;
	char tail[1024];

	last_lines(log, VERIFIER_LINES, tail, sizeof(tail));
	if (insn >= 0 && (size_t)insn < cp->ninsns && cp->lines &&
	    cp->lines[insn] > 0) {
		/* the whole source line: the verifier says no column */
		loc.line = cp->lines[insn];
		loc.col = 0;
		loc.len = 1;
	}
	return run_err_at(
		r, err, loc,
		"the kernel's verifier refused the program of %s (%s)%s",
		bp->spec, strerror(err), tail);
}

static uint32_t expected_attach(const struct sonde_run *r,
				const struct bt_cprog *cp)
{
	const struct run_probe *rp = NULL;
	int i;

	for (i = 0; i < r->nprobes; i++)
		if (r->probes[i].bp ==
		    &r->prog->blocks[cp->block].probes[cp->probe])
			rp = &r->probes[i];
	if (!rp || cp->prog_type != BPF_PROG_TYPE_KPROBE)
		return 0;
	switch (rp->bp->kind) {
	case BT_P_UPROBE:
	case BT_P_URETPROBE:
	case BT_P_USDT:
		return kernel_feature_has(KERNEL_FEATURE_BPF_UPROBE_MULTI)
			       ? SONDE_BPF_TRACE_UPROBE_MULTI
			       : 0;
	default:
		return 0;
	}
}

static int load_prog(struct sonde_run *r, int i)
{
	const struct bt_cprog *cp = &r->comp->progs[i];
	LIBBPF_OPTS(bpf_prog_load_opts, opts);
	char *log;
	int fd, err;

	opts.expected_attach_type = expected_attach(r, cp);
	fd = bpf_prog_load(cp->prog_type, "sonde_run", "GPL", cp->insns,
			   cp->ninsns, &opts);
	if (fd >= 0) {
		r->prog_fds[i] = fd;
		return 0;
	}
	err = errno;
	/* again with the verifier's log, for the message */
	log = calloc(1, VERIFIER_LOG);
	if (!log)
		return run_err(r, ENOMEM, "out of memory");
	opts.log_buf = log;
	opts.log_size = VERIFIER_LOG;
	opts.log_level = 1;
	fd = bpf_prog_load(cp->prog_type, "sonde_run", "GPL", cp->insns,
			   cp->ninsns, &opts);
	if (fd >= 0) { /* loaded the second time: keep it */
		r->prog_fds[i] = fd;
		free(log);
		return 0;
	}
	err = refused(r, cp, errno ? errno : err, log);
	free(log);
	return err;
}

int run_load(struct sonde_run *r)
{
	struct bt_compiled *c = r->comp;
	int i, err;

	for (i = 0; i < c->nmaps; i++)
		c->maps[i].fd = -1;
	r->ncpus = libbpf_num_possible_cpus();
	if (r->ncpus <= 0)
		return run_err(r, -r->ncpus, "cannot count the CPUs");
	r->prog_fds = malloc((c->nprogs + 1) * sizeof(*r->prog_fds));
	if (!r->prog_fds)
		return run_err(r, ENOMEM, "out of memory");
	for (i = 0; i < c->nprogs; i++)
		r->prog_fds[i] = -1;
	for (i = 0; i < c->nmaps; i++)
		if ((err = create_map(r, i)))
			return err;
	bt_gen_set_fds(c);
	for (i = 0; i < c->nprogs; i++)
		if ((err = load_prog(r, i)))
			return err;
	return 0;
}

void run_unload(struct sonde_run *r)
{
	int i;

	ring_buffer__free(r->rb);
	r->rb = NULL;
	/* the links first: they hold the probes, let go where no signal
	 * cuts the removal short (backend/release.c) */
	fds_let_go_shielded(r->links, r->nlinks);
	free(r->links);
	r->links = NULL;
	r->nlinks = r->caplinks = 0;
	if (r->prog_fds && r->comp)
		for (i = 0; i < r->comp->nprogs; i++)
			if (r->prog_fds[i] >= 0)
				close(r->prog_fds[i]);
	free(r->prog_fds);
	r->prog_fds = NULL;
	if (r->comp && r->started) /* run_load() set every fd */
		for (i = 0; i < r->comp->nmaps; i++)
			if (r->comp->maps[i].fd >= 0) {
				close(r->comp->maps[i].fd);
				r->comp->maps[i].fd = -1;
			}
	symcache_free(r->syms);
	r->syms = NULL;
}
