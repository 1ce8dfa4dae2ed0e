/* SPDX-License-Identifier: MIT */
/* libsonde's private structures: the session, its probes, the backends' operations. */
#ifndef SONDE_INTERNAL_H
#define SONDE_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include <sonde/sonde.h>

#include "base/error.h"
#include "decode/decode.h"
#include "decode/fault.h"
#include "decode/order.h"
#include "spec/spec.h"

struct sonde_session;
struct fetch_plan;

/* --backend auto asks each backend in turn at each of these steps, in
 * this order; the first that takes the session at a step has it. */
enum backend_step {
	BACKEND_STEP_STACKS, /* opts.stack: whose stacks are whole */
	BACKEND_STEP_MANY,   /* more than a handful of probes */
	BACKEND_STEP_FILES,  /* the design's own path: the tracefs files */
	BACKEND_STEP_ANY,    /* whichever can make every probe at all */
	BACKEND_NSTEPS,
};

struct task_info;

/* A backend makes the session's probes in the kernel, delivers their
 * events, and removes everything it made (on every path, from any state
 * start left). Its own state hangs on s->be_priv, from start to stop. */
struct backend {
	const char *name;
	enum sonde_backend id; /* the --backend value that names it */
	bool by_cgroup; /* can limit its probes to opts.cgroup's tasks */
	/* --backend auto: does it take s at this step? false, with the
	 * reason in why (logged by fits itself, as -v shows it) */
	bool (*fits)(const struct sonde_session *s, enum backend_step step,
		     char *why, size_t len);
	/* named by --backend: warn of what it will lack (may be NULL) */
	void (*chosen)(const struct sonde_session *s);
	int (*start)(struct sonde_session *s);
	void (*stop)(struct sonde_session *s);
	int (*poll)(struct sonde_session *s, int timeout_ms);
	int (*drain)(struct sonde_session *s);
	/* probes added to / removed from a running session (may be NULL) */
	int (*attach)(struct sonde_session *s, int probe);
	int (*detach)(struct sonde_session *s, int probe);
	/* The longest record it hands over: the string accessors' copies
	 * (decode/fields.c) are that long. */
	size_t (*max_record)(const struct sonde_session *s);
	/* A thread gone before its event was read (/proc has no more of
	 * it): its comm, and its pid when known, as the backend recorded
	 * them; may be NULL (the comm stays "<...>", the pid -1) */
	void (*task_gone)(const struct sonde_session *s, struct task_info *t);
	/* The last read of probe's in-kernel histogram (its hist trigger),
	 * or NULL; may be NULL (no backend's hist triggers) */
	const char *(*probe_hist)(struct sonde_session *s, int probe);
};
extern const struct backend backend_tracefs; /* tracefs/tracefs.c */
extern const struct backend backend_perf;    /* perf/perf_backend.c */
extern const struct backend backend_bpf;     /* bpf/bpf_backend.c */
/* api/backend_choice.c: every backend, the design's default first */
extern const struct backend *const sonde_backends[];
extern const int sonde_nbackends;
/* The backend of table (n of them) that s runs on: the one its
 * opts.backend names (told it was chosen), else the first that fits at
 * the earliest step, else table[0]. */
const struct backend *backend_choose(const struct sonde_session *s,
				     const struct backend *const *table, int n);

/* What only the tracefs backend sets on a probe's event in its instance
 * (instance.c); the rest of struct probe is the spec, its resolution, the
 * options every backend reads (filter, trigger, hist: the others refuse
 * them), the {u,k}probe_events line that tracefs and perf's tracepoint
 * probes write, and what decoding needs. */
struct probe_tracefs {
	bool triggered;	 /* the trigger is set */
	bool hist_set;	 /* the hist trigger is set */
	char *hist_text; /* last read of the hist file */
};

/*
 * A tracepoint (spec.kind PROBE_TRACEPOINT) is an event the kernel has:
 * spec.group is its system and spec.event its name (a pattern's match,
 * never a pattern), events/SYSTEM/EVENT in tracefs; fmt.id is the event's
 * id (PERF_TYPE_TRACEPOINT's config, the records' common_type) and
 * fmt.system its system; format_text is the kernel's format file as read
 * and fmt its layout with fields cut to the ARGS in their order, renamed
 * by NAME=FIELD, every offset the kernel's (the record is the kernel's
 * own, never built by a backend). name is EVENT (unique in the session),
 * definition NULL, created false: nothing is made in dynamic_events.
 */
struct probe {
	struct probe_spec spec;
	char *name;	  /* event name in the session's group */
	char *path;	  /* uprobes: resolved target file */
	uint64_t offset;  /* uprobes: file offset */
	uint64_t sym_vaddr; /* uprobes: the symbol's address, when known */
	uint64_t sym_size;  /* uprobes by name: the symbol's st_size (0: the
			     * ELF gives none) */
	char *function;	  /* spec.symbol demangled (C++), or NULL */
	char *definition; /* the line written to {u,k}probe_events */
	char *filter;
	char *trigger;
	char *hist;	  /* "hist:..." trigger line */
	struct probe_tracefs tfs;
	bool detached;	  /* removed from a running session */
	bool created;	  /* the definition is in the kernel */
	char *format_text;
	struct event_format fmt;
	char **strbuf;	  /* per field, NUL-terminated copies for accessors */
	/* fault.c: pointers fetched as hidden fields, to tell faults */
	struct field_layout *hidden;
	size_t nhidden;
	int comm_field;	  /* hidden's $comm (fault_record_comm()), or -1 */
	struct fault_chain *chains;
	int nchains;
	bool check_faults; /* strings or chains to look at per event */
	/* a kretprobe whose return address was the kernel's return
	 * trampoline: said once (fields.c sonde_event__location()) */
	bool said_trampoline;
	/* args/: its args compiled, at the first need (probe_fetch_plan()) */
	struct fetch_plan *plan;
};

static inline bool probe_is_tracepoint(const struct probe *p)
{
	return p->spec.kind == PROBE_TRACEPOINT;
}

/* Where p's event is in tracefs, events/SYSTEM/NAME: a tracepoint's own
 * system and name; else the session's group and the probe's name. */
static inline const char *probe_event_system(const struct sonde_session *s,
					     const struct probe *p);
static inline const char *probe_event_name(const struct probe *p)
{
	return probe_is_tracepoint(p) ? p->spec.event : p->name;
}

/* A small open-addressing cache tid -> (pid, comm): records carry only the
 * tid; /proc is read once per thread, the backend asked when it is gone. */
struct task_info {
	int tid;
	int pid;
	char comm[16];
	/* when /proc no longer had it (CLOCK_MONOTONIC ns); 0 once the
	 * backend looked it up (tracefs: at hand-over, tracefs_read.c) */
	uint64_t gone_ns;
};

struct sonde_event {
	struct sonde_session *s;
	struct probe *p;
	int probe;
	const uint8_t *rec;
	size_t len;
	uint64_t ts;
	int cpu;
	const struct task_info *task;
	const uint8_t *stack;	/* the stack record that followed, or NULL */
	size_t stack_len;
	bool stack_user;
	/* where that record holds its frames, and (kernel stacks) how
	 * many: the backend's layout of its stack records */
	const struct field_layout *stack_caller, *stack_size;
	const uint64_t *frames;	/* or frames already decoded (perf) */
	int nframes;
	bool frames_user;
	int kframes; /* how many of frames, from the first, are the kernel's */
	uint64_t faults;    /* bit i: field i could not be read */
	uint64_t unchecked; /* bit i: field i is a 0 not checked for a fault */
};

struct elf_file;
struct elf_cache {
	struct elf_cache *next;
	struct elf_file *ef;
	char path[];
};

struct sonde_session {
	struct sonde_session_opts opts;
	/* sonde_<pid>_<n>: the group of every event the session makes in
	 * tracefs (tracefs's probes, perf's tracepoint probes), the name of
	 * tracefs's instance and of the lock (owner.c) */
	char group[64];
	pid_t self;	/* this process (not a shielded child's getpid()) */
	const struct backend *be;
	void *be_priv; /* the backend's own state */
	/* the group's lock (owner.c), -1 before any tracefs write: every
	 * backend that makes events in tracefs (tracefs, perf's tracepoint
	 * probes) takes it, the session lets it go once nothing is left */
	int owner_fd;
	struct probe *probes;
	int nprobes;
	struct elf_cache *elfs; /* target files, opened once */
	/* opts.cgroup (cgroup.c): its directory, -1 until opened; its id;
	 * a BPF cgroup array holding it, -1 until the bpf backend asks */
	int cgroup_fd;
	uint64_t cgroup_id;
	int cgroup_map_fd;
	int *names;		/* event names, hashed (session.c) */
	unsigned int names_cap;
	bool started;

	/* What every backend's reader shares (backend/events.c), each
	 * field the session's for the reason given; a backend's own state is
	 * on be_priv. */
	/* sonde_session__fd(), the one fd the caller polls whichever
	 * backend runs: each backend's start makes it and adds its own fds */
	int epfd;
	/* sonde_session__stats(), readable after stop (when the backend's
	 * state is gone): counted by events.c for every backend */
	int ncpus;	/* lost[]'s length */
	uint64_t *lost;	/* per CPU */
	uint64_t events;
	uint64_t faults;    /* values that could not be read */
	uint64_t unchecked; /* 0s read through pointers not checked */
	/* every backend's records carry a tid: its pid and comm, cached */
	struct task_info *tasks;
	unsigned int ntasks_cap;
	unsigned int ntasks;
	/* every backend merges its CPUs' records in time order (order.c) */
	struct oqueue oq;
	/* maps and ELF symbols of the traced processes: the accessors name
	 * user frames and functions through it, whichever backend */
	struct symcache *syms;
	/* --call-graph dwarf: a Dwfl per process (sym/unwind.c) */
	struct unwinder *unw;
	/* how user stacks are walked: opts.call_graph, AUTO resolved by the
	 * backend at start */
	enum sonde_call_graph cg;
	/* the caller's */
	sonde_event_fn cb;
	void *cb_ctx;
	int cb_ret;
	/* the accessors' answers (decode/fields.c), owned by the event */
	uint64_t frames[256];
	char locbuf[256];

	struct lib_error err; /* the last error (base/error.h) */
};

static inline const char *probe_event_system(const struct sonde_session *s,
					     const struct probe *p)
{
	return probe_is_tracepoint(p) ? p->spec.group : s->group;
}

/* resolve.c: a spec's probe made concrete (file and offset; a checked
 * kernel function), errors set on the session with their column */
int resolve_uprobe(struct sonde_session *s, struct probe *p);
int resolve_kprobe(struct sonde_session *s, struct probe *p);
/* x86: refuse a uprobe on a lock-prefixed instruction */
int check_insn(struct sonde_session *s, struct probe *p);
/* resolve_addr.c: refuse p->offset outside every executable segment of
 * ef (mapped: p->offset is valid, else the address mapped to no segment),
 * or inside an instruction of its function; 0 or -EINVAL with the
 * segments or the boundaries named */
int check_exec_segment(struct sonde_session *s, struct probe *p,
		       struct elf_file *ef, bool mapped);
int check_exec_section(struct sonde_session *s, struct probe *p);
int check_boundary(struct sonde_session *s, struct probe *p,
		   struct elf_file *ef);
/* Is p an entry uprobe on its symbol's first byte (the file offset of
 * the symbol's address is the probe's)? (resolve_addr.c) */
bool uprobe_at_func_entry(const struct probe *p);
/* A probe whose file and offset are already known (a wildcard's match):
 * its variables by name, resolved at that address. 0 or -errno. */
int resolve_uprobe_args(struct sonde_session *s, struct probe *p);

/* log.c */
void slog(const struct sonde_session *s, enum sonde_log_level lvl,
	  const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* release.c: close fds that own uprobes so that the kernel removes the
 * probes in a worker no signal reaches; 0, or -errno with the fds still
 * open (the caller closes them). */
int fds_release_async(const int *fds, int n);
/* The same, and the fds closed here when the hand-over fails: none is
 * left open. fds_let_go_shielded() does it in a shielded task (shield.c),
 * for callers not already in one (a backend's stop is). */
void fds_let_go(const int *fds, int n);
void fds_let_go_shielded(const int *fds, int n);
/* shield.c: fn(arg) in a child sharing memory and fds that a SIGKILL of
 * this process does not reach (here when there can be no child, or
 * SONDE_NO_SHIELD is set); fn's result. The child's getpid() is its own:
 * the session's process is s->self. */
int run_shielded(int (*fn)(void *arg), void *arg);
/* The caller's progress callback, for long attach and detach runs. */
void tfs_progress(struct sonde_session *s, const char *what, int done,
		  int total);
/* cgroup.c: opts.cgroup opened and checked (cgroup v2), or the error
 * set; closed with the session */
int session_cgroup_open(struct sonde_session *s);
void session_cgroup_close(struct sonde_session *s);

int set_err(struct sonde_session *s, int err, int col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* After set_err(): text (the kernel's error_log, a filter's parse error)
 * on the lines after the message, each line escaped. */
void err_quote(struct sonde_session *s, const char *text);

/* tracefs.c: everything that touches the kernel's tracing files. */
const char *tfs_root(void);
int tfs_mount(bool mount_it);
/* Is file in tracefs? 0, -ENOENT (the kernel lacks it), -EACCES or
 * -EPERM (tracefs is root's: this user cannot tell), -ENODEV. */
int tfs_has(const char *file);
/* The message for tfs_has()'s err on {u,k}probe_events: absence
 * (ENOTSUP) or a permission this user lacks (EPERM). */
int tfs_no_file(struct sonde_session *s, int col, const char *file, int err);
/* One whole line in one write() to a tracefs file (appending). */
int tfs_write_line(const char *file, const char *line);
/* The kernel's error_log (top level, shared by every tracer): its last
 * entry before a write it may refuse (malloc'd, or NULL), and after the
 * refusal the last entry if it is new and holds what, else NULL; so an
 * older, unrelated entry is never quoted. */
char *tfs_error_mark(void);
char *tfs_error_since(const char *mark, const char *what);
/* The kernel refused p's definition: err, with the message. */
int tfs_refused(struct sonde_session *s, struct probe *p, int err,
		const char *mark);
int tfs_ensure_mounted(struct sonde_session *s);
int tfs_create_probes(struct sonde_session *s);
int tfs_remove_probes(struct sonde_session *s);
int tfs_instance_setup(struct sonde_session *s);
/* instance.c: one probe's filter/trigger/hist, their removal, enable */
int tfs_probe_setup(struct sonde_session *s, struct probe *p);
void tfs_untrigger(struct sonde_session *s, struct probe *p);
int tfs_enable_one(struct sonde_session *s, struct probe *p, bool on);
int tfs_instance_teardown(struct sonde_session *s);
int tfs_enable(struct sonde_session *s, bool on);
int tfs_read_lost_stats(struct sonde_session *s, int cpu, uint64_t *overrun);
const char *tfs_probe_hist(struct sonde_session *s, int i);
/* Remove groups and instances of dead sessions (other than ours). */
int tfs_sweep(struct sonde_session *s, sonde_log_fn log, void *ctx);

/* definition_check.c: refuse paths uprobe_events misreads; compare what the
 * kernel lists with what was asked (only: that probe, else all) */
int tfs_check_path(struct sonde_session *s, const struct probe *p);
int tfs_verify_created(struct sonde_session *s, const struct probe *only);

/* owner.c: the lock a live session holds on its group name, a file in */
#define OWNER_DIR "/run/sonde"
int owner_claim(struct sonde_session *s);
void owner_release(struct sonde_session *s, bool all_removed);
/* The owner of group is provably dead: its lock, held (fd); else -ENOENT
 * (no lock file: not provable), -EBUSY (a live owner holds it), -errno. */
int owner_dead_lock(const char *group);
/* Done with a dead owner's group: its lock file goes. */
void owner_dead_done(const char *group, int fd);
/* Each group that has a lock file. */
int owner_list(int (*cb)(const char *group, size_t len, void *ctx),
	       void *ctx);

/* symbolize.c: user addresses through /proc/PID/maps and ELF symbols */
struct symcache;
int symcache_name(struct symcache **sc, int pid, uint64_t addr, char *buf,
		  size_t len);
void symcache_prime(struct symcache **sc, int pid);
void symcache_free(struct symcache *sc);
/* Has the file at path been written to since the symcache read it (or
 * can it not be read)? Its symbols, CFI and lines are then not trusted. */
bool symcache_file_changed(struct symcache **sc, const char *path);
/* The generation of pid's maps (it changes when they do), read again from
 * /proc when addr is outside them. 0 or -errno. */
int symcache_gen(struct symcache **sc, int pid, uint64_t addr,
		 unsigned int *gen);
/* cb for each ELF file pid maps, with its load bias (the address its
 * vaddr 0 is at); stops at cb's first non-zero value, which it returns. */
int symcache_each_file(struct symcache **sc, int pid,
		       int (*cb)(const char *path, uint64_t bias, void *ctx),
		       void *ctx);

/* tracefs_read.c: the tracefs reader (its state on s->be_priv) */
int events_open(struct sonde_session *s);
void events_close_tracefs(struct sonde_session *s);
int events_poll(struct sonde_session *s, int timeout_ms);
int events_drain(struct sonde_session *s);
/* Route the records of probe i (its format is loaded) to it, or no more. */
int events_map_probe(struct sonde_session *s, int i);
void events_unmap_probe(struct sonde_session *s, int i);
size_t events_max_record(const struct sonde_session *s);
void events_task_gone(const struct sonde_session *s, struct task_info *t);

/* events.c: what every backend's reader shares */
/* The task of tid, read from /proc once (the backend's task_gone when
 * it is gone); NULL without memory. */
struct task_info *task_lookup(struct sonde_session *s, int tid);
/* Count ev and hand it to the callback: the callback's value. */
int event_hand_over(struct sonde_session *s, struct sonde_event *ev);
/* Deliver a record laid out as probe's p->fmt says (the perf backend
 * builds such records from samples): task lookup, -p filtering, callback.
 * pid (or -1) and comm (or NULL) as the backend saw them; frames (or
 * NULL): nframes addresses, the first kframes of them the kernel's;
 * faults: the fields that could not be read, unchecked: the 0s not
 * checked for a fault (bit i: field i; fault.c). Returns the callback's
 * value. */
int events_deliver(struct sonde_session *s, int probe, const void *rec,
		   size_t len, uint64_t ts, int cpu, int pid, int tid,
		   const char *comm, const uint64_t *frames, int nframes,
		   int kframes, uint64_t faults, uint64_t unchecked);
/* The epoll fd, the queue, the task and symbol caches (lost stays). */
void events_close(struct sonde_session *s);

#endif
