/* SPDX-License-Identifier: MIT */
/* The perf_event_open backend's private pieces, shared by perf*.c. */
#ifndef SONDE_PERF_H
#define SONDE_PERF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "args/fetch_plan.h"
#include "internal.h"

/* How a probe reaches the kernel in perf mode. */
enum pmode {
	PM_UPROBE_PMU,	 /* uprobe PMU, args computed from sampled regs */
	PM_KPROBE_PMU,	 /* kprobe PMU, no args */
	PM_TRACEPOINT,	 /* tracefs-made event, PERF_SAMPLE_RAW */
};

struct perf_probe_state {
	enum pmode mode;
	/* PMU modes: the probe's compiled args (args/fetch_plan.h), kept on
	 * the probe; NULL for PM_TRACEPOINT */
	const struct fetch_plan *plan;
	unsigned int stack_dump; /* user stack bytes to sample */
	bool need_regs;
	bool tp_created;	 /* PM_TRACEPOINT: the event is in tracefs */
	/* a kernel tracepoint with -p and no --follow-fork: opened on every
	 * CPU for every task, its samples kept by pid (perf_tracepoint.c) */
	bool pid_check;
	/* stacks of a probe on a function's first instruction: the return
	 * address at [sp] is added (perf_entry_stack.c) */
	enum { PE_NONE, PE_ALWAYS, PE_UNLESS_KERNEL } entry_ret;
	uint64_t kaddr;		 /* PM_KPROBE_PMU: the probed address */
};

struct pring {
	int fd; /* the CPU's first event: owns the mmap */
	struct perf_event_mmap_page *meta;
	uint8_t *data;
	uint64_t size; /* data area, a power of 2 */
};

struct pid_probe {
	uint64_t id; /* PERF_EVENT_IOC_ID */
	int probe;
};

/* perf_comm.c: a thread's names over time, oldest first */
#define PCOMM_HIST 8
#define PCOMM_UNKNOWN "<...>"
enum pcomm_src {
	PC_PROC, /* read from /proc when the thread was first seen */
	PC_COMM, /* PERF_RECORD_COMM: a rename or an exec */
	PC_FORK, /* PERF_RECORD_FORK: the parent's name at the fork */
};
struct pcomm {
	int tid;
	int n;
	struct {
		uint64_t ts; /* CLOCK_MONOTONIC ns, the samples' clock */
		char comm[16];
		enum pcomm_src src;
	} e[PCOMM_HIST];
};

#define PCOMMS 256
#define PFRAMES 512

struct perf_state {
	struct perf_probe_state *pp;	/* per probe */
	uint64_t *stype;	/* per probe: its sample_type */
	struct pring *rings;	/* per CPU */
	int *fds;
	int *fdcpu;		/* the CPU of each fd */
	size_t nfds, capfds;
	struct pid_probe *ids;
	size_t nids, capids;
	uint8_t *rec;		/* the record being built */
	size_t reccap;
	uint8_t *wrap; /* a record that wraps around its ring */
	uint64_t frames[PFRAMES];
	int cur_kframes;
	struct pcomm comms[PCOMMS];
	uint64_t throttled;
	uint64_t children; /* processes forked by the followed ones */
	/* pid_check with --follow-fork: the followed processes (-p's and
	 * its descendants, from fork records), sorted */
	int *followed;
	size_t nfollowed, capfollowed;
	bool inheriting; /* some probe's events are per task, inherited */
	int self;
};

/* perf_fits.c: can the PMUs (up, kp: pmu_get()) make p? why if not */
struct pmu_info;
bool pmu_can(struct probe *p, const struct pmu_info *up,
	     const struct pmu_info *kp, char *why, size_t len);
/* perf_event_open(2) takes a pid or a cgroup (PERF_FLAG_PID_CGROUP) */
#define PERF_CGROUP_PID                                                   \
	"--cgroup with -p: the perf backend's events are a process's or a " \
	"cgroup's, not both (the bpf backend takes both)"

/* perf_fits.c: does --backend auto take perf for s at this step? */
bool perf_fits(const struct sonde_session *s, enum backend_step step,
	       char *why, size_t len);

/* perf_entry_stack.c: with stacks asked for, can perf record every probe of s?
 * A user probe's callchain then has the caller at a function's first
 * instruction and MMAP2 records name the frames of a process that has
 * exited. */
bool perf_backend_takes_stacks(const struct sonde_session *s, char *why,
			       size_t len);
/* What a user probe's samples carry for its stacks: with --call-graph
 * dwarf the registers and the stack to unwind; with fp, on a function's
 * first instruction, pp->entry_ret and the 8 stack bytes at sp. */
void pentry_plan(struct sonde_session *s, const struct probe *p,
		 struct perf_probe_state *pp);
/* frames[kframes] is the probed ip: put the caller's return address,
 * read at [sp] (stack), after it where the chain lacks it. Returns the
 * new frame count. */
int pentry_fix(const struct perf_probe_state *pp, uint64_t *frames, int n, int kframes,
	       const uint8_t *stack, uint64_t stack_len);

/* perf_ring.c: rings -> records -> events_deliver() */
/* A PERF_RECORD_MMAP2 record (len bytes): its mapping into the symcache
 * (the bpf backend's maps_track.c reads them too). */
void perf_mmap2_record(struct sonde_session *s, const uint8_t *r, size_t len);
int perf_ring_poll(struct sonde_session *s, int timeout_ms);
int perf_ring_drain(struct sonde_session *s);

/* perf_user_fetch.c: build the record of one sample. */
struct psample {
	int pid, tid;
	uint64_t ip;
	const uint64_t *regs; /* perf register index -> value, or NULL */
	uint64_t regs_mask;
	const uint8_t *stack; /* user stack copy from regs[SP] */
	uint64_t stack_len;
	const char *comm;
};
/* Lay out p's record in buf (cap bytes) for sample sm; returns its length
 * or -errno. The values that could not be read are set in *faults (bit i:
 * arg i); a string that could not says so itself (length 0). */
int pfetch_record(struct sonde_session *s, struct probe *p,
		  const struct perf_probe_state *pp, const struct psample *sm,
		  uint8_t *buf, size_t cap, uint64_t *faults);

/* perf_tracepoint.c: the kernel's own tracepoints (t:SYSTEM:EVENT): how
 * probe p is opened, and why the kernel refused it (err from
 * perf_event_open) */
void perf_tp_plan(struct sonde_session *s, struct probe *p,
		  struct perf_probe_state *pp);
int perf_tp_open_error(struct sonde_session *s, struct probe *p, int err);
/* Is pid a process the session follows (pid_check)? A fork record of a
 * followed parent adds its child (0, or -ENOMEM). */
bool perf_tp_followed(const struct sonde_session *s, int pid);
int perf_tp_forked(struct sonde_session *s, int ppid, int pid);

/* perf_tracefs_events.c: tracefs-made events for what the PMUs cannot fetch. */
int perf_tp_create(struct sonde_session *s, struct probe *p, struct perf_probe_state *pp);
/* every event of the session made in tracefs, once their perf events go */
void perf_tp_remove_all(struct sonde_session *s, struct perf_probe_state *pps);

/* what is sampled: all but ds, es, fs, gs (refused on x86-64) */
#define PR_MASK (((1ull << (PR_R15 + 1)) - 1) & ~(0xfull << PR_DS))

/* symbolize.c: mappings tracked from PERF_RECORD_MMAP2 */
int symcache_add_map(struct symcache **sc, int pid, uint64_t start,
		     uint64_t len, uint64_t pgoff, const char *path);
int symcache_track(struct symcache **sc, int pid);
int symcache_file_addr(struct symcache **sc, int pid, const char *path,
		       uint64_t off, uint64_t *addr);

/* perf_comm.c. pcomm_seen: a thread met for the first time (its name
 * read from /proc now); pcomm_renamed: a PERF_RECORD_COMM at ts;
 * pcomm_forked: tid started by ptid at ts; pcomm_at: tid's name at ts,
 * or PCOMM_UNKNOWN. */
void pcomm_seen(struct perf_state *st, int pid, int tid);
void pcomm_renamed(struct perf_state *st, int tid, uint64_t ts,
		   const char *name, size_t len);
void pcomm_forked(struct perf_state *st, int ptid, int tid, uint64_t ts);
const char *pcomm_at(struct perf_state *st, int pid, int tid, uint64_t ts);

#endif
