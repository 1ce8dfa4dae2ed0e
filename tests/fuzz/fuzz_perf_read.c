/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the perf backend's record reader (perf_ring.c,
 * included here for its static functions): a ring of one CPU filled with
 * the input, read as perf_ring_drain() reads it (ring_read(), side records,
 * samples parsed by their probe's sample_type, handed over in time order
 * to the event callback, which reads every field).
 *
 * Input: byte 0 the sample_type's optional fields (CPU, CALLCHAIN, RAW,
 * REGS_USER, STACK_USER), byte 1 where the ring's tail starts (so records
 * wrap around its end), then the ring's bytes; the ring is the next power
 * of two, allocated to that size so ASan sees any read past it.
 *
 * Oracle: the reader consumes the ring to its head; it hands over at most
 * one event per sample record of a known id; the lost count is the sum
 * of the LOST records of the probe's id and of LOST_SAMPLES, as read by
 * the walk below; parse_sample() points only inside the record.
 */
#include "../../src/lib/backend/perf/perf_ring.c"

#include <stdlib.h>

#include "args/fetch_plan.h"

/* The probe's args, compiled as the perf backend compiles them (args/):
 * the record has __probe_ip, a s32, a string and a 4-byte array. */
static const char spec_ent[] =
	"p:ent /bin/true:0x10 a=%di:s32 s=+0(%si):string arr=+0(%dx):u8[4]";
#define EVENT_ID 2326

#define PROBE_ID 7

static uint64_t delivered;

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_perf_read: %s\n", what);
	abort();
}

static int on_event(const struct sonde_event *ev, void *ctx)
{
	volatile uint64_t sink = 0;
	const uint64_t *frames;
	bool user;
	const char *str;
	int i, j, n;

	(void)ctx;
	delivered++;
	sink += (uint64_t)sonde_event__pid(ev) + (uint64_t)sonde_event__tid(ev);
	str = sonde_event__comm(ev);
	sink += str ? strlen(str) : 0;
	n = sonde_event__stack(ev, &frames, &user);
	sink += sonde_event__stack_kernel_frames(ev);
	for (i = 0; i < n; i++)
		sink += frames[i];
	n = sonde_event__field_count(ev);
	for (i = 0; i < n; i++) {
		sink += sonde_event__field_u64(ev, i);
		str = sonde_event__field_str(ev, i);
		sink += str ? strlen(str) : 0;
		for (j = 0; j < sonde_event__field_len(ev, i) && j < 8; j++)
			sink += sonde_event__field_elem(ev, i, j);
	}
	(void)sink;
	return 0;
}

/* What the ring holds, walked on its own: sample records and lost
 * counts, up to the first malformed header (where the reader stops). */
static void walk(const uint8_t *data, uint64_t size, uint64_t tail,
		 uint64_t head, uint64_t *samples, uint64_t *lost)
{
	uint8_t rec[32];
	uint64_t id, n, i;
	uint32_t type;
	uint16_t len;

	*samples = *lost = 0;
	while (tail < head) {
		for (i = 0; i < 8; i++)
			rec[i] = data[(tail + i) & (size - 1)];
		memcpy(&type, rec, 4); /* u32 type, u16 misc, u16 size */
		memcpy(&len, rec + 6, 2);
		if (len < 8 || len % 8 || len > head - tail)
			return;
		for (i = 8; i < 24 && i < len; i++)
			rec[i] = data[(tail + i) & (size - 1)];
		if (type == PERF_RECORD_SAMPLE)
			(*samples)++;
		if (type == PERF_RECORD_LOST && len >= 24) {
			memcpy(&id, rec + 8, 8);
			memcpy(&n, rec + 16, 8);
			if (id == PROBE_ID)
				*lost += n;
		}
		if (type == PERF_RECORD_LOST_SAMPLES && len >= 16) {
			memcpy(&n, rec + 8, 8);
			*lost += n;
		}
		tail += len;
	}
}

static void check_parse(uint64_t type, const uint8_t *r, size_t len)
{
	struct sample sm;

	if (parse_sample(type, r, len, &sm))
		return;
	if ((sm.chain && ((const uint8_t *)sm.chain < r ||
			  (const uint8_t *)(sm.chain + sm.nchain) > r + len)) ||
	    (sm.raw && (sm.raw < r || sm.raw + sm.raw_len > r + len)) ||
	    (sm.stack && (sm.stack < r || sm.stack + sm.stack_len > r + len)))
		fail("parse_sample() points outside the record");
}

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t size)
{
	static const uint64_t opt[] = {PERF_SAMPLE_CPU, PERF_SAMPLE_CALLCHAIN,
				       PERF_SAMPLE_RAW, PERF_SAMPLE_REGS_USER,
				       PERF_SAMPLE_STACK_USER};
	struct sonde_session_opts o = {.sz = sizeof(o)};
	struct perf_event_mmap_page meta = {0};
	struct pid_probe id = {PROBE_ID, 0};
	struct perf_probe_state pp = {0};
	struct lib_error perr = LIB_ERROR_SPEC_INIT;
	struct perf_state *st;
	struct pring rg;
	struct sonde_session *s;
	uint64_t stype, rsize = 64, t0, samples, lost, i;
	uint8_t *ring;
	size_t len;

	if (size < 2 || size > 65536 + 2)
		return 0;
	stype = PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_IP | PERF_SAMPLE_TID |
		PERF_SAMPLE_TIME;
	for (i = 0; i < 5; i++)
		if (in[0] & (1u << i))
			stype |= opt[i];
	pp.mode = in[0] & 0x80 ? PM_TRACEPOINT : PM_UPROBE_PMU;
	len = size - 2;
	while (rsize < len)
		rsize *= 2;
	t0 = in[1] * rsize / 256 / 8 * 8; /* the kernel's tail: 8-aligned */
	ring = calloc(1, rsize);
	st = calloc(1, sizeof(*st));
	s = sonde_session__open(&o);
	if (!ring || !st || !s)
		fail("out of memory");
	for (i = 0; i < len; i++)
		ring[(t0 + i) & (rsize - 1)] = in[2 + i];
	meta.data_tail = t0;
	meta.data_head = t0 + len;
	rg = (struct pring){
		.fd = -1, .meta = &meta, .data = ring, .size = rsize};
	st->pp = &pp;
	st->stype = &stype;
	st->rings = &rg;
	st->ids = &id;
	st->nids = 1;
	st->self = -1;
	st->reccap = 4096;
	st->rec = malloc(st->reccap);
	st->wrap = malloc(rsize);
	s->ncpus = 1;
	s->lost = calloc(1, sizeof(*s->lost));
	s->probes = calloc(1, sizeof(*s->probes));
	if (!st->rec || !st->wrap || !s->lost || !s->probes ||
	    spec_parse(spec_ent, &s->probes[0].spec, &perr))
		fail("setting up");
	/* as perf_backend.c's start sets them: the plan, the record's
	 * format built from it, the accessors' string copies */
	s->probes[0].name = strdup("ent");
	if (!s->probes[0].name ||
	    probe_format_from_plan(&s->probes[0], EVENT_ID, &perr))
		fail("setting up");
	pp.plan = s->probes[0].plan;
	s->probes[0].strbuf = calloc(s->probes[0].fmt.nfields, sizeof(char *));
	if (!s->probes[0].strbuf)
		fail("setting up");
	s->be = &backend_perf; /* its max_record sizes string copies */
	s->nprobes = 1;
	s->be_priv = st;
	sonde_session__set_callback(s, on_event, NULL);
	delivered = 0;

	walk(ring, rsize, t0, t0 + len, &samples, &lost);
	if (perf_ring_drain(s) < 0)
		fail("perf_ring_drain failed");
	if (meta.data_tail != meta.data_head)
		fail("the ring was not read to its head");
	if (delivered > samples)
		fail("more events than sample records");
	if (s->lost[0] != lost)
		fail("the lost count is not the LOST records' sum");
	check_parse(stype, in + 2, len);

	s->be_priv = NULL;
	s->be = NULL;
	events_close(s);
	sonde_session__close(s);
	free(st->rec);
	free(st->wrap);
	free(st);
	free(ring);
	return 0;
}
