/* SPDX-License-Identifier: MIT */
/*
 * --call-graph dwarf with -p or -c on the bpf backend: the traced
 * process's code mappings as it makes them (the program it execs, ld.so's
 * libraries, dlopen), from the PERF_RECORD_MMAP2 records of a dummy
 * software perf event on it, as the perf backend has them from its probes'
 * events. A process that exits before its stacks are unwound (a short -c
 * command) is then still unwound and named; /proc/PID/maps, read when a
 * stack is unwound, is too late for it. Best effort: without the event,
 * /proc is what there is.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/perf_event.h>

#include "bpf_int.h"
#include "bpf_stream.h"
#include "backend/perf/perf.h"
#include "backend/pmu.h"

#define TRACK_PAGES 64 /* the data area: 256 KiB of mmap records */

void bpf_maps_track_open(struct sonde_session *s, struct bpf_maps_track *t)
{
	struct perf_event_attr a;
	long page = sysconf(_SC_PAGESIZE);

	t->fd = -1;
	if (s->opts.pid <= 0)
		return;
	perf_dummy_attr(&a);
	a.mmap = 1;
	a.mmap2 = 1;
	t->fd = perf_event_open_cloexec(&a, s->opts.pid, -1, -1, 0);
	if (t->fd < 0) {
		slog(s, SONDE_LOG_DEBUG,
		     "no mmap records of process %d (%s): its maps are read "
		     "from /proc",
		     s->opts.pid, strerror(-t->fd));
		t->fd = -1;
		return;
	}
	t->size = (size_t)TRACK_PAGES * page;
	t->base = mmap(NULL, t->size + page, PROT_READ | PROT_WRITE,
		       MAP_SHARED, t->fd, 0);
	if (t->base == MAP_FAILED) {
		close(t->fd);
		t->fd = -1;
		t->base = NULL;
		return;
	}
	t->page = (size_t)page;
}

void bpf_maps_track_read(struct sonde_session *s, struct bpf_maps_track *t)
{
	struct perf_event_mmap_page *meta = t->base;
	const uint8_t *data;
	struct perf_event_header h;
	uint64_t head, tail;
	uint8_t rec[sizeof(h) + 8 + 24 + 24 + 8 + 4096];
	size_t off, first;

	if (!meta)
		return;
	data = (const uint8_t *)t->base + t->page;
	head = __atomic_load_n(&meta->data_head, __ATOMIC_ACQUIRE);
	for (tail = meta->data_tail; tail + sizeof(h) <= head; tail += h.size) {
		off = tail & (t->size - 1);
		first = t->size - off < sizeof(h) ? t->size - off : sizeof(h);
		memcpy(&h, data + off, first);
		memcpy((uint8_t *)&h + first, data, sizeof(h) - first);
		if (h.size < sizeof(h) || tail + h.size > head)
			break;
		if (h.type != PERF_RECORD_MMAP2 || h.size > sizeof(rec))
			continue;
		/* a record that wraps around the ring, in one piece */
		first = t->size - off < h.size ? t->size - off : h.size;
		memcpy(rec, data + off, first);
		memcpy(rec + first, data, h.size - first);
		perf_mmap2_record(s, rec, h.size);
	}
	__atomic_store_n(&meta->data_tail, tail, __ATOMIC_RELEASE);
}

void bpf_maps_track_close(struct bpf_maps_track *t)
{
	if (t->base)
		munmap(t->base, t->size + t->page);
	if (t->fd >= 0)
		close(t->fd);
	t->base = NULL;
	t->fd = -1;
}
