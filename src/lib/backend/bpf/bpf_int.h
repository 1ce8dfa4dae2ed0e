/* SPDX-License-Identifier: MIT */
/* The BPF backend's private pieces, shared by src/lib/bpf/\*.c. */
#ifndef SONDE_BPF_INT_H
#define SONDE_BPF_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <linux/bpf.h>

/* A growing instruction buffer; err latches the first allocation error. */
struct prog_buf {
	struct bpf_insn *insns;
	size_t n, cap;
	int err;
};
void prog_buf_free(struct prog_buf *b);

/*
 * What a program on a tracepoint returns: the AND of the programs of a
 * tracepoint's prog_array decides whether the perf events on it get their
 * samples, everyone's (include/trace/perf.h, kernel/trace/
 * trace_event_perf.c perf_trace_run_bpf_submit()), so sonde's return 1
 * and hide nothing from other tracers. A kprobe's or uprobe's program,
 * on an event of its own, returns 0: no sample for its own perf event.
 */
#define TP_PASS 1

/* Where a key or value comes from. */
enum gsrc {
	GS_NONE,
	GS_PID, /* tgid */
	GS_TID,
	GS_CPU,
	GS_COMM,    /* 16 bytes: two key slots */
	GS_REG,	    /* a pt_regs field: argument registers, the return value */
	GS_LATENCY, /* return probes: ns since the matching entry */
	GS_CTX	    /* a tracepoint's field: the record (ctx) at regoff */
};

#define GSRC_MAX_DEREF 4

struct gsrc_spec {
	enum gsrc src;
	int regoff;	/* GS_REG: offsetof(struct pt_regs, reg); GS_CTX:
			 * the field's offset in the record */
	int size;	/* GS_REG, GS_CTX: bytes of the value (1, 2, 4, 8) */
	bool is_signed; /* GS_REG, GS_CTX: sign-extend from size */
	/* GS_REG of a uprobe: the register is a pointer, read through
	 * nderef times (+OFF(+OFF(%reg))), offsets innermost first; a read
	 * that fails is a fault, counted, and the hit is left out */
	int nderef;
	int64_t deref[GSRC_MAX_DEREF];
};

#define GEN_MAX_KEYS 8

enum ghist { GH_NONE, GH_LOG2, GH_LINEAR };

/* One aggregation program (see gen.c for the map layouts). */
struct gen_agg {
	int nkeys;
	struct gsrc_spec keys[GEN_MAX_KEYS];
	struct gsrc_spec value; /* GS_NONE: count only */
	enum ghist hist;
	int64_t min, step;   /* GH_LINEAR */
	int nbuckets;	     /* GH_LINEAR: as agg.c counts them */
	int counts_fd;	     /* PERCPU_HASH key_size gen_key_size(), value
				 * struct agg_val */
	int stats_fd;	     /* ARRAY of 4 u64, see enum agg_stat */
	int depth_fd, ts_fd; /* GS_LATENCY: per-thread nesting */
	int only_tgid;	     /* > 0: only this process's hits (kprobes
				 * fire in every process) */
	int skip_tgid;	     /* > 0: not this process's (the tracer's own:
				 * tracepoints it hits, its writes) */
	int follow_fd;	     /* >= 0: only hits of the tgids in this map */
	bool by_cgroup;	     /* only hits of cgroup_fd's cgroup (subtree) */
	int cgroup_fd;	     /* BPF_MAP_TYPE_CGROUP_ARRAY, the cgroup at 0 */
	bool tracepoint;     /* on a tracepoint: returns TP_PASS */
};

/*
 * The value of each counts entry, per CPU. A program's first insert of a
 * key sets its value on the current CPU only and zeroes it on every other
 * (kernel/bpf/hashtab.c pcpu_init_value()), so a task that migrates finds
 * zeroes there: min and max are kept in orders where 0 is the identity,
 * each the largest seen as an unsigned number.
 */
struct agg_val {
	uint64_t count;
	int64_t sum;
	uint64_t min_ord; /* INT64_MAX - min, wrapping */
	uint64_t max_ord; /* max with the sign bit flipped */
};

#define AGG_SIGN_BIT (1ULL << 63)

static inline int64_t agg_min_decode(uint64_t ord)
{
	return (int64_t)((uint64_t)INT64_MAX - ord);
}

static inline int64_t agg_max_decode(uint64_t ord)
{
	return (int64_t)(ord ^ AGG_SIGN_BIT);
}

enum agg_stat {
	AST_DROPPED, /* the counts map was full */
	AST_ORPHANS, /* returns whose entry was not seen */
	AST_FAULTS,  /* hits left out: a read through a pointer failed */
	AST_NSTATS = 4,
};

/* Key slots of 8 bytes: [cookie][keys... (comm: 2)][bucket if hist]. */
int gen_key_slots(const struct gen_agg *g);
/* The counting / histogram program (latency: its return half). */
int gen_agg_prog(struct prog_buf *b, const struct gen_agg *g);
/* Latency's entry half: pushes the entry time for (thread, probe). */
int gen_lat_entry_prog(struct prog_buf *b, const struct gen_agg *g);
/* Kernel pt_regs offset of an x86-64 register name ("di", "ax"), or -1. */
int gen_reg_offset(const char *name);
/* A fetch of len bytes as a register read through GSRC_MAX_DEREF pointers
 * at most (g->regoff, g->deref); -ENOTSUP for any other fetch. */
int gen_parse_chain(const char *fetch, size_t len, struct gsrc_spec *g);

/* load.c: a BPF_PROG_TYPE_KPROBE program; the verifier's log goes to log
 * when loading fails. Returns the fd or -errno. */
int bpf_new_prog(const struct prog_buf *b, uint32_t expected_attach, char *log,
		 size_t loglen);
/* The same with the program type (BPF_PROG_TYPE_TRACEPOINT). */
int bpf_new_prog_type(uint32_t type, const struct prog_buf *b,
		      uint32_t expected_attach, char *log, size_t loglen);
int bpf_new_map(uint32_t type, uint32_t key_size, uint32_t value_size,
		uint32_t max_entries);
struct sonde_session;
/* follow.c: the session's --cgroup in a cgroup array (made once, closed
 * with the session), for gen_under_cgroup(). The map's fd or -errno. */
int bpf_cgroup_map(struct sonde_session *s);

/* link.c: attach types and flags newer than Debian's uapi headers */
#define SONDE_BPF_TRACE_UPROBE_MULTI 48 /* include/uapi/linux/bpf.h, 6.6 */
#define SONDE_BPF_F_UPROBE_MULTI_RETURN (1U << 0)

/* One uprobe_multi link for cnt offsets in path; ref_ctrs may be NULL.
 * Returns the link fd or -errno. */
int bpf_attach_uprobe_multi(int prog_fd, const char *path,
			    const uint64_t *offsets, const uint64_t *ref_ctrs,
			    const uint64_t *cookies, uint32_t cnt,
			    bool retprobe, pid_t pid);
/* The fallback: one uprobe PMU perf event with the program on it, the
 * cookie set through a BPF_PERF_EVENT link. Returns the link fd (which
 * keeps the event) or -errno. */
int bpf_attach_perf_uprobe(int prog_fd, const char *path, uint64_t offset,
			   uint64_t ref_ctr, bool retprobe, pid_t pid,
			   uint64_t cookie);
/* One kprobe_multi link on cnt functions by name (BPF_TRACE_KPROBE_MULTI,
 * 5.18, CONFIG_FPROBE). Returns the link fd or -errno. */
int bpf_attach_kprobe_multi(int prog_fd, const char *const *syms,
			    const uint64_t *cookies, uint32_t cnt,
			    bool retprobe);
/* One kprobe PMU perf event (sym+offset, or sym NULL and offset the
 * address) with the program on it, as bpf_attach_perf_uprobe(). */
int bpf_attach_perf_kprobe(int prog_fd, const char *sym, uint64_t offset,
			   bool retprobe, uint64_t cookie);
/* One PERF_TYPE_TRACEPOINT event (the event's id) with the program on
 * it, as bpf_attach_perf_uprobe(). The program runs on every CPU and in
 * every task (the tracepoint's prog_array): it filters itself. */
int bpf_attach_perf_tracepoint(int prog_fd, int id, uint64_t cookie);
/* Does this kernel have uprobe_multi links? Probed on every call: ask
 * kernel_feature_has() (kernel_feature.h), which caches the answer. */
bool bpf_has_uprobe_multi(void);
/* ... kprobe_multi links (fprobe)? */
bool bpf_has_kprobe_multi(void);

/* gen_stream.c: the streaming program. Each hit becomes one ring buffer
 * record: struct stream_hdr, then the event laid out as the probe's fetch
 * plan says: the tracefs format's layout (strings after the fixed part,
 * __data_loc). */
struct fetch_arg;
struct gen_tp_dyn;
struct stream_hdr {
	uint64_t ts;	/* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
	uint32_t probe; /* the cookie: the probe's index */
	uint32_t cpu;
	uint64_t faults; /* bit i: arg i could not be read */
	char comm[16];	 /* bpf_get_current_comm() at the hit */
	int32_t tgid;	 /* the process (the record's common_pid is the
			  * thread): read at the hit, the thread may be gone
			  * when /proc could tell */
	uint32_t pad;
};
#define STREAM_HDR 48
#define STREAM_COMM 24	       /* offsetof(struct stream_hdr, comm) */
#define STREAM_TGID 40	       /* offsetof(struct stream_hdr, tgid) */
#define STREAM_STR_MAX 4096    /* MAX_STRING_SIZE, kernel/trace/trace_probe.h */
#define STREAM_CUR_MASK 0x1fff /* strings start below 8 KiB */
#define STREAM_BUF (STREAM_HDR + STREAM_CUR_MASK + 1 + STREAM_STR_MAX)
/* Scratch buffers per CPU, each a record and, at STREAM_BUSY, a word its
 * program sets while building in it. A uprobe's program runs with
 * migration disabled but may be preempted (uprobe_multi links, and perf
 * events since the kernel stopped holding its per-CPU uprobe buffer
 * mutex around them), so another task's run can start on the same CPU
 * before the first is done: it takes the next free buffer. */
#define STREAM_SLOTS 4
#define STREAM_BUSY STREAM_BUF
#define STREAM_SLOT_SIZE (STREAM_BUF + 8)

struct gen_stream {
	int ring_fd;	/* BPF_MAP_TYPE_RINGBUF */
	int scratch_fd; /* PERCPU_ARRAY of STREAM_SLOTS scratch buffers */
	int lost_fd;	/* PERCPU_ARRAY of one u64: records the ring refused */
	bool retprobe;
	bool kernel; /* a kprobe: memory is the kernel's unless umem says */
	const uint8_t *umem; /* kprobes, per arg: GS_UDEREF | GS_USTR */
	int ip_bias;	     /* subtracted from pt_regs ip for __probe_ip */
	bool func_ip;	/* __probe_ip from bpf_get_func_ip() (kprobe_multi) */
	int only_tgid;	/* > 0: only this process's hits */
	int skip_tgid;	/* > 0: not this process's (the tracer's own) */
	int follow_fd;	/* >= 0: only hits of the tgids in this map */
	bool by_cgroup; /* only hits of cgroup_fd's cgroup (subtree) */
	int cgroup_fd;	/* BPF_MAP_TYPE_CGROUP_ARRAY, the cgroup at 0 */
	unsigned int fixed; /* bytes of the record's fixed part */
	const struct fetch_arg *args;
	size_t nargs;
	/* a tracepoint (gen_tp.c): the record is the kernel's own, copied
	 * from the program's context; args unused */
	bool tracepoint;
	int tp_id;		      /* its common_type */
	const struct gen_tp_dyn *dyn; /* its __data_loc / __rel_loc fields */
	size_t ndyn;
};
/* A tracepoint field whose bytes are after the fixed part: a 32-bit word
 * at offset, length << 16 | offset (include/trace/stages/
 * stage2_data_offsets.h); __rel_loc: the offset counts from the word's
 * end (5.18). */
struct gen_tp_dyn {
	unsigned int offset;
	bool relative;
	int field; /* its index in the probe's fields: the fault bit set
		    * when its bytes could not be copied whole */
};
#define GEN_TP_MAX_DYN 32
#define GS_UDEREF 1 /* +uOFF(...): the derefs read user memory */
#define GS_USTR 2   /* ustring: the string is in user memory */
int gen_stream_prog(struct prog_buf *b, const struct gen_stream *gs);
/* Can gen_stream_prog() fetch this argument? */
bool gen_stream_arg_ok(const struct fetch_arg *a);

/* follow.c: the processes followed (-c, -p with follow_fork): a map of
 * tgids kept by programs on the fork and exit tracepoints. */
struct sonde_session;
struct bpf_follow {
	int map_fd; /* HASH u32 tgid -> u32; -1: not following */
	int *fds;   /* the tracepoint events */
	int nfds;
	int exit_id, dead_off; /* for bpf_follow_arm_exit() */
};
/* Nothing to do (map_fd -1) unless s follows children; a child the map
 * cannot take adds 1 to lost_fd[0] (a PERCPU_ARRAY of u64, or -1). */
int bpf_follow_open(struct sonde_session *s, struct bpf_follow *f, int lost_fd);
/* The exit program, once the probes' programs are attached (follow.c). */
int bpf_follow_arm_exit(struct sonde_session *s, struct bpf_follow *f);
void bpf_follow_close(struct bpf_follow *f);

/* bpf_fits.c: can the bpf backend stream every probe of s? --backend
 * auto takes it for more than AUTO_BPF_PROBES probes when it can. */
#define AUTO_BPF_PROBES 8
bool bpf_backend_fits(const struct sonde_session *s, char *why, size_t len);

#endif
