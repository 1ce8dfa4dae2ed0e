/* SPDX-License-Identifier: MIT */
/* libsonde's private structures, shared by session.c, tracefs.c, tracefs_read.c. */
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
#include "backend/tracefs/ring.h"
#include "spec/spec.h"

struct tracefs_instance;
struct sonde_session;

/* A backend makes the session's probes in the kernel, delivers their
 * events, and removes everything it made (on every path, from any state
 * start left). */
struct backend {
	const char *name;
	int (*start)(struct sonde_session *s);
	void (*stop)(struct sonde_session *s);
	int (*poll)(struct sonde_session *s, int timeout_ms);
	int (*drain)(struct sonde_session *s);
	/* probes added to / removed from a running session (may be NULL) */
	int (*attach)(struct sonde_session *s, int probe);
	int (*detach)(struct sonde_session *s, int probe);
	/* its events go through the tracefs ring, which records each
	 * task's comm in saved_cmdlines: the comm of a task gone by the
	 * time its event is read (elsewhere that table may be stale) */
	bool saved_cmdlines;
};
extern const struct backend backend_tracefs; /* tracefs.c */
extern const struct backend backend_perf;    /* perf_backend.c */
extern const struct backend backend_bpf;     /* bpf/bpf_backend.c */
/* Can the bpf backend stream every probe of s (auto picks it then)? */
bool bpf_backend_fits(const struct sonde_session *s, char *why, size_t len);

struct probe {
	struct probe_spec spec;
	char *name;	  /* event name in the session's group */
	char *path;	  /* uprobes: resolved target file */
	uint64_t offset;  /* uprobes: file offset */
	uint64_t sym_vaddr; /* uprobes: the symbol's address, when known */
	char *function;	  /* spec.symbol demangled (C++), or NULL */
	char *definition; /* the line written to {u,k}probe_events */
	char *filter;
	char *trigger;
	char *hist;	  /* "hist:..." trigger line */
	char *hist_text;  /* last read of the hist file */
	bool hist_set;
	bool detached;	  /* removed from a running session */
	bool created;	  /* the definition is in the kernel */
	bool triggered;	  /* the trigger is set */
	char *format_text;
	struct event_format fmt;
	char **strbuf;	  /* per field, NUL-terminated copies for accessors */
	/* fault.c: pointers fetched as hidden fields, to tell faults */
	struct field_layout *hidden;
	size_t nhidden;
	struct fault_chain *chains;
	int nchains;
	bool check_faults; /* strings or chains to look at per event */
};

/* A small open-addressing cache tid -> (pid, comm): records carry only the
 * tid; /proc is read once per thread, saved_cmdlines when it is gone. */
struct task_info {
	int tid;
	int pid;
	char comm[16];
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
	const uint64_t *frames;	/* or frames already decoded (perf) */
	int nframes;
	bool frames_user;
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
	char group[64];	/* sonde_<pid>_<n>: also the instance's name */
	pid_t self;	/* this process (not a shielded child's getpid()) */
	const struct backend *be;
	void *be_priv; /* the backend's own state */
	struct tracefs_instance *inst;
	bool inst_created;
	int owner_fd; /* owner.c: the group's lock, -1 before any tracefs write */
	struct probe *probes;
	int nprobes;
	struct elf_cache *elfs; /* target files, opened once */
	int *names;		/* event names, hashed (session.c) */
	unsigned int names_cap;
	bool started;

	/* reading */
	int epfd;
	int ncpus;
	int *cpu_fd;	/* per CPU trace_pipe_raw, -1 when absent */
	uint64_t *lost;	/* per CPU */
	uint64_t events;
	uint64_t faults;    /* values that could not be read */
	uint64_t unchecked; /* 0s read through pointers not checked */
	uint64_t last_wake; /* when the reader last woke for events */
	struct ring_layout layout;
	uint8_t *page;
	int *id_to_probe; /* event id -> probe index, -1 */
	int max_id;
	struct task_info *tasks;
	unsigned int ntasks_cap;
	unsigned int ntasks;
	/* stacks (opts.stack): ftrace/kernel_stack and user_stack records */
	bool pair_stacks; /* opts.stack, or a stacktrace trigger */
	int kstack_id, ustack_id;
	struct field_layout kstack_size, kstack_caller, ustack_caller;
	struct oqueue oq; /* records read, handed over in time order */
	uint64_t frames[256];
	char locbuf[256];
	struct symcache *syms;
	sonde_event_fn cb;
	void *cb_ctx;
	int cb_ret;

	struct lib_error err; /* the last error (base/error.h) */
};

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
/* shield.c: fn(arg) in a child sharing memory and fds that a SIGKILL of
 * this process does not reach (here when there can be no child, or
 * SONDE_NO_SHIELD is set); fn's result. The child's getpid() is its own:
 * the session's process is s->self. */
int run_shielded(int (*fn)(void *arg), void *arg);
/* The caller's progress callback, for long attach and detach runs. */
void tfs_progress(struct sonde_session *s, const char *what, int done,
		  int total);
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

/* tracefs_read.c */
int events_open(struct sonde_session *s);
void events_close(struct sonde_session *s);
int events_poll(struct sonde_session *s, int timeout_ms);
/* Route the records of probe i (its format is loaded) to it, or no more. */
int events_map_probe(struct sonde_session *s, int i);
void events_unmap_probe(struct sonde_session *s, int i);
/* Deliver a record laid out as probe's p->fmt says (the perf backend
 * builds such records from samples): task lookup, -p filtering, callback.
 * pid (or -1) and comm (or NULL) as the backend saw them; faults: the
 * fields that could not be read, unchecked: the 0s not checked for a
 * fault (bit i: field i; fault.c). Returns the callback's value. */
int events_deliver(struct sonde_session *s, int probe, const void *rec,
		   size_t len, uint64_t ts, int cpu, int pid, int tid,
		   const char *comm, const uint64_t *frames, int nframes,
		   bool user_frames, uint64_t faults, uint64_t unchecked);
int events_drain(struct sonde_session *s);

#endif
