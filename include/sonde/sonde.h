/* SPDX-License-Identifier: MIT */
/*
 * libsonde: put kprobes and uprobes into a running system and receive what
 * they fetch as decoded events.
 *
 * Ownership rules, stated once:
 *  - Every `const char *` argument is borrowed: the library copies what it
 *    keeps.
 *  - Every `const char *` result points into memory owned by the object it
 *    came from and lives as long as that object (an event: until the
 *    callback returns; a session: until sonde_session__close()).
 *  - Every object has one destructor; destructors accept NULL.
 *  - Ints return 0 (or a non-negative value) on success and -errno on
 *    failure; pointers return NULL and set errno.
 *  - The library never prints, exits or aborts on input: it reports through
 *    the log callback and sonde_session__errmsg().
 *  - Options structs start with `size_t sz` (set it to sizeof the struct you
 *    were compiled with) so they can grow without breaking callers.
 */
#ifndef SONDE_SONDE_H
#define SONDE_SONDE_H

#include <stdbool.h>
#include <stdio.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SONDE_VERSION_MAJOR 0
#define SONDE_VERSION_MINOR 1

const char *sonde_version(void);

/* Flags of sonde_text__escape(). */
enum {
	SONDE_ESCAPE_QUOTED = 1 << 0, /* also \" and \\ (a quoted string) */
	SONDE_ESCAPE_JSON = 1 << 1,   /* a JSON string's body (RFC 8259) */
	SONDE_ESCAPE_LINES = 1 << 2,  /* keep '\n' and '\t' (a multi-line
				       * text: a kernel file) */
	SONDE_ESCAPE_CSV = 1 << 3,    /* a CSV cell's text: TAB, LF, CR kept
				       * (the cell is quoted), a backslash
				       * doubled: the escapes decode back to
				       * the bytes */
	SONDE_ESCAPE_BYTES = 1 << 4,  /* with JSON: the text as bytes, each
				       * byte >= 0x80 the code point \u00HH
				       * (ISO-8859-1), for a text that is
				       * not UTF-8 */
};

/*
 * Text that came from outside (symbol, USDT and DWARF names, file names,
 * kernel text, strings read from a traced process) made safe to print:
 * control characters (C0, DEL, C1, Unicode line separators and
 * bidirectional overrides) and bytes that are not UTF-8 become \n \t \r
 * or \xHH per byte; valid UTF-8 stays. With SONDE_ESCAPE_JSON, control
 * characters are \uXXXX and a byte that is not UTF-8 is the text \xHH
 * (its backslash escaped). Writes at most len bytes, NUL included, into
 * buf (NULL with len 0 only measures; a cut result never ends inside an
 * escape); returns the length of the whole result, as snprintf(3) does.
 * The library's messages (sonde_session__errmsg(), the log callback) are
 * escaped already.
 */
size_t sonde_text__escape(char *buf, size_t len, const char *s,
			  unsigned int flags);
/* Is s valid UTF-8 (RFC 3629: no overlong forms, no surrogates)? */
bool sonde_text__is_utf8(const char *s);

enum sonde_log_level {
	SONDE_LOG_WARN,
	SONDE_LOG_INFO,
	SONDE_LOG_DEBUG,
};

typedef void (*sonde_log_fn)(enum sonde_log_level level, const char *msg,
			     void *ctx);

/* How user stacks are walked (sonde_session_opts.call_graph). */
enum sonde_call_graph {
	/* dwarf where the backend copies the user stack (perf, bpf) on
	 * x86-64, else fp */
	SONDE_CALL_GRAPH_AUTO = 0,
	/* frame pointers, walked by the kernel (or ftrace) at the event */
	SONDE_CALL_GRAPH_FP,
	/* the user stack and registers copied with each event, unwound in
	 * user space with the DWARF call frame info (libdw) */
	SONDE_CALL_GRAPH_DWARF,
};

enum sonde_backend {
	SONDE_BACKEND_AUTO = 0,
	SONDE_BACKEND_TRACEFS,
	SONDE_BACKEND_PERF,
	SONDE_BACKEND_BPF,
};

struct sonde_session;
struct sonde_event;

struct sonde_session_opts {
	size_t sz;
	/* Only events of this process (all its threads, and threads created
	 * later) are recorded; 0 = every process. */
	pid_t pid;
	/* Follow children forked by `pid` too. */
	bool follow_fork;
	/* Per-CPU ring buffer size; 0 = the library's default. */
	unsigned int buffer_kb;
	enum sonde_backend backend;
	sonde_log_fn log;
	void *log_ctx;
	/* Leave out the calling process's own events when tracing every
	 * process (a tracer that prints would otherwise see its own calls). */
	bool exclude_self;
	/* Record the call stack with each event: the kernel stack for
	 * kprobes, the user stack for uprobes (sonde_event__stack()). */
	bool stack;
	/* Where separate debug files are searched (by build-id and
	 * .gnu_debuglink), colon-separated; NULL = /usr/lib/debug. */
	const char *debug_dir;
	/* A wildcard probe (u:TARGET:GLOB, k:GLOB) may add at most this many
	 * probes; more is refused. 0 = 1000. */
	int max_probes;
	/* Called while many probes are made or removed (what: "creating",
	 * "removing"), done from 0 to total; NULL = not called. */
	void (*progress)(const char *what, int done, int total, void *ctx);
	void *progress_ctx;
	/* Only events of the tasks in this cgroup (a directory of the cgroup
	 * v2 hierarchy) and in its descendants; NULL = every cgroup. The
	 * perf and bpf backends take it, tracefs refuses it (ENOTSUP); a
	 * path that is no cgroup v2 directory is refused by the first
	 * sonde_session__add_probe(). */
	const char *cgroup;
	/* How user stacks are walked (with stack); see enum
	 * sonde_call_graph. */
	enum sonde_call_graph call_graph;
	/* SONDE_CALL_GRAPH_DWARF: bytes of user stack copied with each
	 * event, a multiple of 8 up to 65528; 0 = 8192. */
	unsigned int stack_user_size;
};

/* Memory only: nothing reaches the kernel before sonde_session__start(). */
struct sonde_session *sonde_session__open(const struct sonde_session_opts *opts);
/* Removes every probe, instance, filter and trigger the session made. */
void sonde_session__close(struct sonde_session *s);

struct sonde_probe_opts {
	size_t sz;
	/* The kernel's filter syntax on the probe's fields ("a > 10"). */
	const char *filter;
	/* A trigger for the probe's event ("stacktrace", "traceoff:1 if x>1"). */
	const char *trigger;
	/* An in-kernel histogram: the hist trigger's body after "hist:"
	 * ("keys=common_pid:vals=hitcount", "keys=dfd if flags > 0");
	 * read it with sonde_session__probe_hist(). */
	const char *hist;
};

/*
 * Parse and resolve a probe spec (see sonde(1)). Returns the probe's index
 * (>= 0) or -errno; on -EINVAL, sonde_session__errmsg() holds the message and
 * sonde_session__errcol() the column (0-based, in spec) of the offending
 * character, or -1.
 */
int sonde_session__add_probe(struct sonde_session *s, const char *spec,
			     const struct sonde_probe_opts *opts);

/*
 * A probe spec parsed on its own, in memory (as sonde_session__add_probe()
 * parses it): to ask what it is before a session resolves it. NULL with
 * errno EINVAL when text is not a spec (sonde_session__add_probe() says
 * why), or ENOMEM.
 */
struct sonde_spec;
struct sonde_spec *sonde_spec__parse(const char *text);
void sonde_spec__free(struct sonde_spec *spec);
/* Is it a return probe (ur:, kr:, r:, LOCATION%return)? */
bool sonde_spec__is_return(const struct sonde_spec *spec);
/* Its arguments as written: how many, and each one's name (the NAME
 * given, else the default: "arg1", "retval"...), owned by spec; NULL
 * past the last. */
int sonde_spec__arg_count(const struct sonde_spec *spec);
const char *sonde_spec__arg_name(const struct sonde_spec *spec, int i);

/*
 * Probes may also be added to a running session (they are made and enabled
 * at once, like BCC's attach_uprobe()) and removed from it one by one;
 * sonde_session__close() removes what is left.
 */
int sonde_session__detach(struct sonde_session *s, int probe);

/* Create the probes in the kernel and start recording. */
int sonde_session__start(struct sonde_session *s);

typedef int (*sonde_event_fn)(const struct sonde_event *ev, void *ctx);

/* Set the callback that receives each decoded event. A non-zero return from
 * the callback stops sonde_session__poll() and is returned by it. */
void sonde_session__set_callback(struct sonde_session *s, sonde_event_fn fn,
				 void *ctx);

/*
 * Wait up to timeout_ms (-1 = forever) for events and deliver them. Returns
 * the number of events delivered, -EINTR when a signal arrived, or -errno.
 * Events come in time order across CPUs: one is held until no CPU can
 * still have an earlier one (up to 10 ms after it happened; while some are
 * held, the wait is at most that long).
 */
int sonde_session__poll(struct sonde_session *s, int timeout_ms);
/* Deliver whatever is buffered now, without waiting: everything, in
 * order (call it at the end). */
int sonde_session__drain(struct sonde_session *s);
/* An fd that becomes readable when events are waiting (for the caller's own
 * event loop); call sonde_session__poll(s, 0) then, and again every 10 ms
 * or so while events flow: the ones held for time order are not signalled
 * again. */
int sonde_session__fd(const struct sonde_session *s);

/* The last error's message (kernel error_log quoted where there is one). */
const char *sonde_session__errmsg(const struct sonde_session *s);
int sonde_session__errcol(const struct sonde_session *s);

struct sonde_stats {
	size_t sz;
	uint64_t events;
	uint64_t lost;	      /* events the kernel dropped, all CPUs */
	int ncpus;
	const uint64_t *lost_per_cpu; /* ncpus entries, owned by the session */
	uint64_t faults; /* values that could not be read (a bad address) */
	/* 0s read by the kernel through a pointer that sonde could not read
	 * again to tell a 0 from a fault (the process had exited) */
	uint64_t unchecked;
};
int sonde_session__stats(const struct sonde_session *s,
			 struct sonde_stats *stats);

int sonde_session__probe_count(const struct sonde_session *s);
/* The probe's event name, its kernel definition line (NULL for a
 * tracepoint, t:SYSTEM:EVENT: the kernel has its event), and its format
 * file (a tracepoint's as soon as it is added). */
const char *sonde_session__probe_name(const struct sonde_session *s, int probe);
const char *sonde_session__probe_definition(const struct sonde_session *s,
					    int probe);
/* After start: the event's format file text and id, as the kernel shows. */
const char *sonde_session__probe_format(const struct sonde_session *s,
					int probe);
/* After start: the fields of the probe's events, as its events name them
 * (sonde_event__field_name()); the count, or -EINVAL for a bad index. */
int sonde_session__probe_field_count(const struct sonde_session *s, int probe);
const char *sonde_session__probe_field_name(const struct sonde_session *s,
					    int probe, int i);

/*
 * Where a probe is, to tell which probes are on one function (an entry
 * and its return, or what one wildcard made for each of two kinds). The
 * strings are the session's.
 */
struct sonde_probe_site {
	size_t sz;
	/* uprobes: the resolved file; kprobes: the module, or NULL */
	const char *path;
	/* the function as resolved (a wildcard's match), NULL for an
	 * address */
	const char *symbol;
	/* symbol as a person reads it: C++ demangled ("ns::Cls::f(int)") */
	const char *function;
	/* uprobes: the file offset of the probed instruction (for a return
	 * probe, of the function); kprobes: +OFF after symbol */
	uint64_t offset;
	bool is_return;
};
int sonde_session__probe_site(const struct sonde_session *s, int probe,
			      struct sonde_probe_site *site);

/* The kernel's hist file of the probe's event (after start, for probes
 * given a hist), read now; owned by the session until the next call. */
const char *sonde_session__probe_hist(struct sonde_session *s, int probe);

/*
 * How sonde_session__start() would put the probes added so far into the
 * kernel, told before it (nothing reaches the kernel): the backend it
 * takes (opts.backend, or auto's choice, backend_why saying why) and how
 * the bpf backend attaches them: multi links (one per group of probes
 * with the same kind, file and arguments) or one perf event per probe,
 * why saying why perf events where there are any. Returns 0 or -errno.
 */
struct sonde_attach_plan {
	size_t sz;
	enum sonde_backend backend;
	char backend_why[256];
	int kprobe_multi_links, kprobe_multi_probes;
	int uprobe_multi_links, uprobe_multi_probes;
	int perf_events;
	char why[256];
};
int sonde_session__attach_plan(struct sonde_session *s,
			       struct sonde_attach_plan *plan);

/* Events. */
enum sonde_field_kind {
	SONDE_FIELD_UNSIGNED,
	SONDE_FIELD_SIGNED,
	SONDE_FIELD_HEX,
	SONDE_FIELD_STRING,
	SONDE_FIELD_SYMBOL,
	SONDE_FIELD_ARRAY,
};

int sonde_event__probe(const struct sonde_event *ev);
const char *sonde_event__probe_name(const struct sonde_event *ev);
uint64_t sonde_event__time_ns(const struct sonde_event *ev);
int sonde_event__pid(const struct sonde_event *ev);
int sonde_event__tid(const struct sonde_event *ev);
int sonde_event__cpu(const struct sonde_event *ev);
const char *sonde_event__comm(const struct sonde_event *ev);
/* The probed address (for return probes, the function's address);
 * sonde_event__location() names it for kprobes. */
uint64_t sonde_event__ip(const struct sonde_event *ev);
bool sonde_event__is_return(const struct sonde_event *ev);
/* Where the probe hit, symbolized: "do_sys_openat2+0x0" for a kprobe,
 * "caller+0x1d <- func" for a kretprobe, NULL for uprobes (see ip). */
const char *sonde_event__location(const struct sonde_event *ev);
/* The call stack recorded with the event (sonde_session_opts.stack),
 * innermost frame first; *user says whose frames they are. Returns the
 * number of frames (0 when none was recorded); frames are owned by the
 * event. */
int sonde_event__stack(const struct sonde_event *ev, const uint64_t **frames,
		       bool *user);
/* How many of those frames, from the first, are kernel frames (the rest
 * are user frames): a perf callchain holds both. */
int sonde_event__stack_kernel_frames(const struct sonde_event *ev);
/* A frame as "func+0x1a" (kernel through kallsyms; user through the
 * process's maps and ELF symbols: "func+0x1a (/usr/lib/libc.so.6)"), or
 * "0x..." when unknown. Returns buf. */
const char *sonde_event__symbolize(const struct sonde_event *ev,
				   uint64_t addr, bool user, char *buf,
				   size_t len);

/* One frame of the source code at an address (sonde_event__src_frames). */
struct sonde_src_frame {
	const char *func; /* the function's name (DWARF), or NULL */
	const char *file; /* the source file, or NULL */
	int line;	  /* 0 when not known */
	bool inlined;	  /* a function inlined into the next frame */
};
/*
 * The source frames of a user address, innermost first: each function
 * inlined there (inlined), then the function that holds it, with file and
 * line where the file has debug info (DWARF, or its separate debug file).
 * A caller's frame is looked up at its return address minus 1 (the call
 * instruction), as debuggers do. Writes at most max frames; returns how
 * many, 0 when addr has no debug info or the session's user stacks are
 * not unwound with DWARF (sonde_session__call_graph()). The strings are
 * valid until the next call or the next event: copy what is kept.
 */
int sonde_event__src_frames(const struct sonde_event *ev, uint64_t addr,
			    struct sonde_src_frame *out, int max);
/* The way the session's user stacks were walked (never AUTO once the
 * session has started). */
enum sonde_call_graph sonde_session__call_graph(const struct sonde_session *s);

int sonde_event__field_count(const struct sonde_event *ev);
/* The index of the field called name, or -ENOENT. */
int sonde_event__field_index(const struct sonde_event *ev, const char *name);
const char *sonde_event__field_name(const struct sonde_event *ev, int i);
enum sonde_field_kind sonde_event__field_kind(const struct sonde_event *ev,
					      int i);
uint64_t sonde_event__field_u64(const struct sonde_event *ev, int i);
int64_t sonde_event__field_s64(const struct sonde_event *ev, int i);
/* Strings (string, ustring, symstr); NULL for numbers and symbols. */
const char *sonde_event__field_str(const struct sonde_event *ev, int i);
/* Could field i not be read (an address that faulted)? Its value is then
 * meaningless (0 for numbers, "(fault)" for strings). */
bool sonde_event__field_fault(const struct sonde_event *ev, int i);
/* Is field i a 0 the kernel read through a pointer, which sonde could not
 * read again to tell from a fault (the process had exited)? */
bool sonde_event__field_unchecked(const struct sonde_event *ev, int i);
/* Arrays: element count and element j as u64/s64 by the field's kind. */
int sonde_event__field_len(const struct sonde_event *ev, int i);
uint64_t sonde_event__field_elem(const struct sonde_event *ev, int i, int j);

/* Kernel functions (kprobes). */
/*
 * Can a kprobe go on FUNC (of module MOD, or anywhere when MOD is NULL)?
 * 0 when it can (msg may still hold a hint worth showing, else it is ""),
 * or -errno with one sentence in msg: -ENOENT no such function or MOD not
 * loaded (the closest names are given), -EPERM on the kprobe blacklist,
 * -EINVAL a data symbol or init code, -ENODATA kallsyms unreadable.
 */
int sonde_kfunc__check(const char *mod, const char *func, char *msg,
		       size_t len);
/*
 * Call cb for each probe-able kernel function matching the fnmatch(3)
 * pattern glob (NULL = all), sorted by name; mod is NULL for the core
 * kernel, else the module's name. A non-zero return from cb stops the
 * walk and is returned. Returns the number of functions listed, or -errno.
 */
int sonde_kfuncs__list(const char *glob,
		       int (*cb)(const char *name, const char *mod, void *ctx),
		       void *ctx);
/* A kernel address as "func+0x1a/0x80" ("func+0x1a/0x80 [mod]" in a
 * module). 0, -ENOENT, -EACCES (kallsyms hides addresses: not root),
 * -ENOSPC. */
int sonde_ksym__name(uint64_t addr, char *buf, size_t len);
/*
 * Call cb for each function symbol of TARGET (a uprobe TARGET: path,
 * program in PATH, library short name; pid > 0 also searches
 * /proc/PID/maps) whose name matches glob (NULL = all), by address. cb's
 * non-zero return stops the walk and is returned. Returns the number
 * listed, or -errno (-ENOENT: no such target, -ENOEXEC: not ELF).
 */
int sonde_ufuncs__list(const char *target, pid_t pid, const char *glob,
		       int (*cb)(const char *name, uint64_t addr,
				 uint64_t size, void *ctx),
		       void *ctx);
/*
 * The C signature ("int add(int a, int b)") of each function of TARGET
 * that has debug info (its own DWARF or its separate debug file's), with
 * its entry address. Returns 0, cb's non-zero value, or -errno (-ENODATA:
 * no debug info; -EBADMSG: malformed debug info, e.g. a string section
 * without its final NUL).
 */
int sonde_ufuncs__signatures(const char *target, pid_t pid,
			     int (*cb)(uint64_t addr, const char *sig,
				       void *ctx),
			     void *ctx);

/* A USDT probe location (.note.stapsdt), borrowed during the callback. */
struct sonde_usdt_info {
	const char *path;     /* the resolved file */
	const char *provider, *name;
	const char *args;     /* the note's argument text: "-4@%edi 8@%rsi" */
	int nargs;
	uint64_t addr;	      /* virtual address of the probe */
	uint64_t semaphore;   /* its semaphore's address, 0 when none */
};
/* Each USDT probe location of TARGET, in note order. Returns the number
 * listed, cb's non-zero value, or -errno. */
int sonde_usdt__list(const char *target, pid_t pid,
		     int (*cb)(const struct sonde_usdt_info *u, void *ctx),
		     void *ctx);

/*
 * Each tracepoint (an event under tracefs's events/) whose system and
 * event match the fnmatch(3) patterns (NULL = all), sorted by system then
 * event; tracefs is mounted when it is not (root). Returns the number
 * listed, cb's non-zero value, or -errno (-ENODEV: no tracefs).
 */
int sonde_tracepoints__list(const char *system, const char *event,
			    int (*cb)(const char *system, const char *event,
				      void *ctx),
			    void *ctx);

/* Each file a process maps executable (its program and libraries), each
 * once, in address order. Returns how many, cb's value, or -errno. */
int sonde_proc__objects(pid_t pid, int (*cb)(const char *path, void *ctx),
			void *ctx);

/* Machine support, for `sonde check`. */
struct sonde_features {
	size_t sz;
	bool root;
	bool tracefs;
	char tracefs_path[256];
	bool uprobes;
	bool kprobes;
	bool uprobe_pmu;
	bool kprobe_pmu;
	bool hist_triggers;
	bool bpf;
	char kernel[128];
	/* built with capstone: uprobe offsets are checked to be on an
	 * instruction boundary */
	bool insn_check;
	/* BPF ring buffers (5.8), uprobe_multi (6.6) and kprobe_multi
	 * (fprobe) links: the bpf backend's pieces */
	bool bpf_ringbuf;
	bool bpf_uprobe_multi;
	bool bpf_kprobe_multi;
	/* tracefs is there but this user may not look inside (EACCES or
	 * EPERM: it is root's, mode 0700): uprobes, kprobes and
	 * hist_triggers are false because they cannot be told, not because
	 * the kernel lacks them */
	bool tracefs_denied;
};
int sonde_features__probe(struct sonde_features *f);

/*
 * Separate debug files fetched from debuginfod servers by build-id when no
 * local one is found (elfutils' libdebuginfod, opened at run time): only
 * while DEBUGINFOD_URLS is set, into the client's cache
 * ($DEBUGINFOD_CACHE_PATH, else ~/.cache/debuginfod_client), within
 * $DEBUGINFOD_TIMEOUT. For the whole process; on by default. log (may be
 * NULL) is told "fetching ..." (SONDE_LOG_INFO) and why a fetch failed
 * (SONDE_LOG_WARN): a failure is never an error by itself.
 */
void sonde_debuginfod_configure(bool enabled, sonde_log_fn log, void *ctx);

enum sonde_debuginfod_state {
	SONDE_DEBUGINFOD_READY,	    /* DEBUGINFOD_URLS set, library loaded */
	SONDE_DEBUGINFOD_OFF,	    /* turned off by configure() */
	SONDE_DEBUGINFOD_NO_URLS,   /* DEBUGINFOD_URLS unset or empty */
	SONDE_DEBUGINFOD_NO_LIB,    /* libdebuginfod.so.1 cannot be opened */
	SONDE_DEBUGINFOD_NOT_BUILT, /* libsonde was built without its header */
};
/* Whether a missing debug file would be fetched now (loads the library
 * when DEBUGINFOD_URLS is set). */
enum sonde_debuginfod_state sonde_debuginfod_state(void);

/* Remove groups and instances left by sonde sessions whose process is dead.
 * Returns how many were removed, or -errno. */
int sonde_cleanup(sonde_log_fn log, void *ctx);
/* Remove one such group (sonde_PID_N) by name, also when no lock file
 * proves its owner dead (the caller knows it is): never one whose live
 * owner holds its lock. Returns how many objects were removed, -EBUSY
 * (its owner is alive, or the kernel keeps some of its probes busy),
 * -ENOENT (no such group), -EINVAL (not a session's name) or -errno. */
int sonde_cleanup_group(const char *group, sonde_log_fn log, void *ctx);

/* Aggregations. */
/*
 * Counts and histograms keyed by tuples of values, kept in user space:
 * sonde_agg__add() once per event; rows read back sorted. Latency pairing
 * (sonde_latency) turns entry and return events into durations.
 */
struct sonde_agg;

enum sonde_agg_hist {
	SONDE_AGG_COUNT = 0, /* counts only */
	SONDE_AGG_LOG2,	     /* buckets <0, 0, [1,2), [2,4), ... [2^62,max] */
	SONDE_AGG_LINEAR,    /* <min, [min,min+step), ..., >=max */
};

struct sonde_agg_opts {
	size_t sz;
	int nkeys; /* values in each key tuple, 0..SONDE_AGG_MAX_KEYS */
	enum sonde_agg_hist hist;
	int64_t min, max, step; /* SONDE_AGG_LINEAR */
	/* keep a fine histogram per row (1/32 of a power of two) for
	 * sonde_agg__percentile() */
	bool percentiles;
	/* at most this many rows (0: no limit): a hit of a new key past it
	 * is not added, and counted (sonde_agg__dropped()) */
	size_t max_rows;
};
#define SONDE_AGG_MAX_KEYS 8

enum sonde_agg_key_kind {
	SONDE_AGG_KEY_UNSIGNED,
	SONDE_AGG_KEY_SIGNED,
	SONDE_AGG_KEY_HEX,
	SONDE_AGG_KEY_STRING,
};

/* One value of a key tuple; str is borrowed by sonde_agg__add() (copied). */
struct sonde_agg_key {
	enum sonde_agg_key_kind kind;
	uint64_t num;
	const char *str;
};

/* A row, owned by the agg until the next add, clear or free. */
struct sonde_agg_row {
	const struct sonde_agg_key *key; /* nkeys values */
	uint64_t count;
	int64_t sum, min, max; /* of the values added (histograms) */
	const uint64_t *buckets; /* sonde_agg__nbuckets() counts, or NULL */
};

struct sonde_agg *sonde_agg__new(const struct sonde_agg_opts *opts);
void sonde_agg__free(struct sonde_agg *a);
/* One hit of key with value (ignored by plain counts). 0, -ENOMEM, or
 * -ENOSPC when key is new and the table holds opts.max_rows rows (the hit
 * is counted in sonde_agg__dropped()). */
int sonde_agg__add(struct sonde_agg *a, const struct sonde_agg_key *key,
		   int64_t value);
/* n hits of key with value, e.g. from an in-kernel count. */
int sonde_agg__add_n(struct sonde_agg *a, const struct sonde_agg_key *key,
		     int64_t value, uint64_t n);
/* Forget every row (an interval's table was printed), and the dropped. */
void sonde_agg__clear(struct sonde_agg *a);
/* Hits left out of the table since it was made or cleared: of new keys
 * past max_rows, and those noted with sonde_agg__add_dropped() (e.g. the
 * hits a kernel's full table could not hold). */
uint64_t sonde_agg__dropped(const struct sonde_agg *a);
void sonde_agg__add_dropped(struct sonde_agg *a, uint64_t n);
/* Rows, most hits first (by_key: in key order); *rows is owned by the agg.
 * Returns the number of rows or -ENOMEM. */
int sonde_agg__rows(struct sonde_agg *a, bool by_key,
		    const struct sonde_agg_row *const **rows);
int sonde_agg__nbuckets(const struct sonde_agg *a);
/* Bucket i covers [*lo, *hi); *lo == INT64_MIN or *hi == INT64_MAX mark an
 * open end. */
int sonde_agg__bucket(const struct sonde_agg *a, int i, int64_t *lo,
		      int64_t *hi);
/* The value under which pct percent of the row's values lie (within 1/32
 * of a power of two); needs opts.percentiles. */
int64_t sonde_agg__percentile(const struct sonde_agg *a,
			      const struct sonde_agg_row *row, double pct);

/*
 * Latency pairing: an entry of function fn by thread tid pushes its time
 * on that thread's stack for fn (recursion nests); a return pops the
 * newest entry. Events must come in time order per thread.
 */
struct sonde_latency;
struct sonde_latency_stats {
	size_t sz;
	uint64_t paired;
	uint64_t orphan_returns; /* returns whose entry was not seen */
	uint64_t open_entries;	 /* entries without return: still waiting,
				  * or of a thread that ended */
	uint64_t exited_entries; /* of these, dropped: their thread ended */
};
struct sonde_latency *sonde_latency__new(void);
void sonde_latency__free(struct sonde_latency *l);
/* cookie is the caller's, given back with the return (e.g. a key id). */
int sonde_latency__entry(struct sonde_latency *l, int fn, int tid,
			 uint64_t ts, uint64_t cookie);
/* 0 with the duration and the entry's cookie, or -ENOENT (counted) for a
 * return without entry. */
int sonde_latency__return(struct sonde_latency *l, int fn, int tid,
			  uint64_t ts, uint64_t *ns, uint64_t *cookie);
int sonde_latency__stats(const struct sonde_latency *l, int fn,
			 struct sonde_latency_stats *st);
/* Drop the open entries of threads that ended (no /proc entry, or a
 * zombie): those seen gone, at an earlier call, before paired_ns, the time
 * (CLOCK_MONOTONIC, the clock of sonde_event__time_ns()) before which
 * every event was given to the pairing, so their returns cannot come any
 * more. They stay counted in open_entries. Only threads inside a traced
 * function hold state, so a caller that calls this every second or so
 * keeps the pairing's memory to the calls in flight. Returns the number of
 * entries dropped, or -EINVAL. */
int sonde_latency__forget_exited(struct sonde_latency *l, uint64_t paired_ns);

/*
 * The kernel's hist file (sonde_session__probe_hist()): cb once per entry
 * "{ k1: v1, k2: v2 } hitcount: N" with the key names and values as text
 * (numbers in decimal, strings with their padding removed). *dropped gets
 * the "Dropped:" total when non-NULL. Returns the entries parsed, cb's
 * non-zero value, or -EINVAL for text that is not a hist file.
 */
typedef int (*sonde_hist_entry_fn)(int nkeys, const char *const *names,
				   const char *const *values, uint64_t hits,
				   void *ctx);
int sonde_hist__parse(const char *text, sonde_hist_entry_fn cb, void *ctx,
		      uint64_t *dropped);

/*
 * In-kernel aggregation through generated BPF programs: the same counts,
 * keyed counts, histograms and latencies as sonde_agg, kept in BPF maps
 * and read back into a struct sonde_agg, so printers are shared. The
 * probes are a session's (sonde_session__add_probe()), used instead of
 * starting the session: the session is never started. Every probe of one
 * file is one uprobe_multi link where the kernel has them (6.6+), else one
 * perf event per probe (a tracepoint: one tracepoint perf event per
 * probe, its fields read from its record); links and maps belong to file
 * descriptors, so nothing is left in the kernel when the process ends,
 * however it ends.
 */
enum sonde_bpf_src {
	SONDE_BPF_NONE = 0,
	SONDE_BPF_PROBE,   /* key: the probe's index in the session */
	SONDE_BPF_PID,	   /* key: process id */
	SONDE_BPF_TID,	   /* key: thread id */
	SONDE_BPF_COMM,	   /* key: the thread's comm (a string) */
	SONDE_BPF_CPU,	   /* key: CPU number */
	SONDE_BPF_ARG,	   /* key or value: the probe argument named arg
			    * (a register or $retval fetch, any integer type;
			    * a tracepoint's integer field of that name) */
	SONDE_BPF_LATENCY, /* value: ns from entry to return of each call
			    * (the probes are entry probes; their returns
			    * are probed too; recursion nests per thread) */
	SONDE_BPF_PROBE_NAME, /* key: the probe's name (a string) */
};

struct sonde_bpf_key {
	enum sonde_bpf_src src;
	const char *arg; /* SONDE_BPF_ARG: the argument's name (borrowed) */
};

struct sonde_bpf_agg_opts {
	size_t sz;
	int nkeys; /* 0..SONDE_AGG_MAX_KEYS */
	struct sonde_bpf_key keys[SONDE_AGG_MAX_KEYS];
	struct sonde_bpf_key value; /* SONDE_BPF_NONE: plain counts */
	enum sonde_agg_hist hist;   /* with a value: LOG2 or LINEAR */
	int64_t min, max, step;	    /* SONDE_AGG_LINEAR */
	unsigned int max_entries;   /* distinct keys (x buckets); 0 = 10240 */
	/* use one perf event per probe even where uprobe_multi exists */
	bool no_multi;
};

struct sonde_bpf_agg;

/*
 * Build the programs and maps for the session's probes and attach them.
 * NULL with errno set: ENOTSUP (a kprobe, an argument BPF cannot fetch,
 * no BPF), EINVAL (bad options); sonde_session__errmsg(s) then holds one
 * sentence saying why.
 */
struct sonde_bpf_agg *sonde_bpf_agg__open(struct sonde_session *s,
					  const struct sonde_bpf_agg_opts *opts);
/* Detach, free the maps (the fds' close does it in the kernel). */
void sonde_bpf_agg__close(struct sonde_bpf_agg *a);

/*
 * Add what the kernel counted into out, which must have been made with
 * nkeys = opts.nkeys and the same hist/min/max/step. Counts, buckets, sum,
 * min and max come out exactly as sonde_agg__add() of each value would
 * give. clear: take the rows out of the kernel while reading (intervals).
 * The hits the kernel's full map could not hold (since the last clearing
 * read) are added to out's sonde_agg__dropped(), as are those of keys
 * that out, full at its max_rows, could not take. Returns the number of kernel entries read or -errno.
 */
int sonde_bpf_agg__read(struct sonde_bpf_agg *a, struct sonde_agg *out,
			bool clear);

struct sonde_bpf_agg_stats {
	size_t sz;
	uint64_t dropped; /* hits lost to a full map (raise max_entries) */
	uint64_t orphans; /* latency: returns whose entry was not seen */
	int links;	  /* multi-probe links made */
	int perf_events;  /* per-probe perf events made (fallback) */
	/* hits left out of the table: a key or value read through a pointer
	 * could not be read (a fault); never counted as a 0 */
	uint64_t faults;
	int kprobe_multi_links; /* of links: kprobe_multi ones */
};
int sonde_bpf_agg__stats(const struct sonde_bpf_agg *a,
			 struct sonde_bpf_agg_stats *st);

/*
 * A probe counted by the kernel alone: a perf counter on the uprobe or
 * kprobe PMU (no event is recorded, no ring is read). For probes of a
 * session that is not started; filters and fetchargs are not applied.
 * NULL with errno ENOTSUP when the probe or machine cannot (no PMU, a
 * tracepoint, a filter).
 */
struct sonde_counter;
struct sonde_counter *sonde_counter__open(struct sonde_session *s, int probe);
int sonde_counter__read(struct sonde_counter *c, uint64_t *count);
void sonde_counter__close(struct sonde_counter *c);

/*
 * Where an aggregation is kept: the kernel path sonde count, hist and
 * latency take (a PMU counter, a BPF map, a hist trigger), or user space,
 * so that a caller takes the same. Memory only: nothing reaches the
 * kernel; what can only be known by trying (a counter or a BPF program
 * the kernel refuses) is why there is an ordered list of paths.
 */
enum sonde_agg_kind {
	SONDE_AGG_KIND_COUNT,	/* hits per probe (and key) */
	SONDE_AGG_KIND_HIST,	/* a histogram of a value per probe (and key) */
	SONDE_AGG_KIND_LATENCY, /* entry to return times, paired in user space */
};

enum sonde_agg_path {
	/* the session is started and streams the events; the caller
	 * aggregates them (sonde_agg) */
	SONDE_AGG_PATH_USER = 0,
	/* sonde_counter__open() on each probe; the session is not started */
	SONDE_AGG_PATH_PMU_COUNTER,
	/* sonde_bpf_agg__open(); the session is not started */
	SONDE_AGG_PATH_BPF,
	/* plan.hist on every probe (sonde_probe_opts.hist) and the events
	 * streamed too: the kernel's table (sonde_session__probe_hist()) at
	 * the end, checked against the events aggregated by the caller */
	SONDE_AGG_PATH_HIST_TRIGGER,
};

#define SONDE_AGG_PLAN_MAX_PATHS 4

struct sonde_agg_plan_opts {
	size_t sz;
	enum sonde_agg_kind kind;
	/* the keys after the probe: SONDE_BPF_COMM, _PID, _TID, _CPU or
	 * _ARG (a field the probes fetch) */
	int nkeys; /* 0..SONDE_AGG_MAX_KEYS - 1 */
	struct sonde_bpf_key keys[SONDE_AGG_MAX_KEYS - 1];
	struct sonde_bpf_key value; /* SONDE_AGG_KIND_HIST: SONDE_BPF_ARG */
	enum sonde_backend backend; /* the session's */
	bool in_user;		    /* no in-kernel path: stream */
	/* tables are read while the probes run (a hist trigger's table is
	 * read once, at the end) */
	bool interval;
	const char *filter; /* the probes' filter, put in the hist trigger */
	const char *hist;   /* the caller's own hist trigger: no other */
	/* the machine (sonde_features__probe()); NULL: probed when needed */
	const struct sonde_features *features;
};

struct sonde_agg_plan {
	size_t sz;
	/* The paths to try, in order: the first that opens is taken. When
	 * the last cannot open, the aggregation cannot be done (it is
	 * SONDE_AGG_PATH_BPF alone when BPF was asked for: its reason is
	 * sonde_session__errmsg()). */
	int npaths;
	enum sonde_agg_path paths[SONDE_AGG_PLAN_MAX_PATHS];
	/* a key or the value is read through a pointer, so it can fault:
	 * the kernel's BPF table leaves such hits out, counted, and a hist
	 * trigger cannot tell them (it is left out) */
	bool reads_memory;
	/* SONDE_AGG_PATH_HIST_TRIGGER: the trigger's body for the probes */
	char hist[2048];
	/* why a kernel path the caller may expect is not taken, one
	 * sentence; "" when none is left out for a reason of the probes */
	char reason[256];
};

/*
 * Plan an aggregation of the probes of s: the paths to try, in order.
 * The hist trigger is given to probes when they are added: plan with s
 * NULL (or before adding probes) for plan.hist, and again once they are
 * added (a field read through a pointer is known only then). Returns 0,
 * or -EINVAL for bad options.
 */
int sonde_agg__plan(const struct sonde_session *s,
		    const struct sonde_agg_plan_opts *opts,
		    struct sonde_agg_plan *plan);

/*
 * Event injection: one record written into a trace event through its
 * inject file (CONFIG_TRACE_EVENT_INJECT, Documentation/trace/events.rst),
 * as if the event had fired: it goes into an instance's buffer through the
 * event's filter and triggers (hist tables too). Tests a filter, trigger
 * or hist table without waiting for the real event.
 */
struct sonde_inject_opts {
	size_t sz; /* sizeof(struct sonde_inject_opts) */
	/* where: NULL (and top_level false) every running session's
	 * instance (instances/sonde_*) where the event is enabled; else this
	 * instance; top_level: the top-level one */
	const char *instance;
	bool top_level;
	/* called once for each instance written (NULL: the top level) */
	void (*written)(const char *instance, void *ctx);
	void *ctx;
};

/*
 * Write one record into event ("SYSTEM:EVENT", "t:SYSTEM:EVENT",
 * "tracepoint:SYSTEM:EVENT", or a session's probe event "GROUP:EVENT";
 * '/' may stand for ':'). values: n "FIELD=VALUE" in the kernel's syntax
 * (numbers; strings quoted, or quoted here), checked against the event's
 * format first; fields left out are zero. Returns the number of
 * instances written, or -errno with one sentence in msg: -ENOTSUP the
 * kernel has no inject files, -ENOENT no such event or instance, -EINVAL
 * (-ERANGE, -E2BIG) a bad event name, field or value, or an instance
 * where the kernel would drop the record (tracing off, a pid filter),
 * -ESRCH no running session's instance has the event enabled.
 */
int sonde_event__inject(const char *event, const char *const *values, int n,
			const struct sonde_inject_opts *opts, char *msg,
			size_t len);

/*
 * sonde run: a bpftrace program, compiled by sonde to BPF and run.
 * sonde_run__open() copies the options (memory only); compile parses,
 * checks and compiles the program and resolves its probes (files only);
 * start makes the maps and programs, attaches them and runs BEGIN; poll
 * reads the messages of the programs (printf output, print(), exit()...)
 * and writes them to opts.out; end runs END and prints every map as
 * bpftrace does; close lets go of everything on every path. Ints are 0
 * (poll: the messages read) or -errno, with sonde_run__errmsg() saying
 * why: a program error is "FILE:LINE:COL: what" then the line with a
 * caret under the offending token.
 */
struct sonde_run;

/* A printf() or print(value) message with who sent it and when (the
 * run's msg_fn): pid and tid as the kernel's tgid and pid at the hit,
 * time_ns bpf_ktime_get_ns() (CLOCK_MONOTONIC), comm the thread's then,
 * probe the `probe` builtin's name ("uprobe:/bin/ls:main", "BEGIN");
 * text the message as printed (len bytes, its newlines included). BEGIN
 * and END run in the tracer's own thread. */
struct sonde_run_msg {
	size_t sz;
	pid_t pid, tid;
	uint64_t time_ns;
	const char *comm;
	const char *probe;
	const char *text;
	size_t len;
};
typedef void (*sonde_run_msg_fn)(const struct sonde_run_msg *m, void *ctx);

struct sonde_run_opts {
	size_t sz;
	const char *text;     /* the program (copied) */
	const char *filename; /* for messages: the .bt file, or "stdin" */
	char *const *params;  /* $1..$N */
	int nparams;
	/* -p/-c: uprobes and USDT probes of this process only, and the
	 * process whose symbols usym() reads; 0: every process */
	pid_t pid;
	FILE *out;     /* printf's and the maps' text; NULL: stdout */
	bool json;     /* bpftrace's -f json lines */
	sonde_log_fn log;
	void *log_ctx;
	const char *debug_dir; /* as sonde_session_opts.debug_dir */
	int max_probes;	       /* places one probe may expand to; 0: 1000 */
	/* each printf() and print(value) message is also handed here, as
	 * well as printed to out (the programs then stamp each message) */
	sonde_run_msg_fn msg_fn;
	void *msg_ctx;
};

struct sonde_run *sonde_run__open(const struct sonde_run_opts *opts);
int sonde_run__compile(struct sonde_run *r);
/* The compiled programs as readable instructions, with the source lines
 * they come from (--dry-run); after compile. */
int sonde_run__dump(struct sonde_run *r, FILE *out);
/* How many places the probes were attached to (bpftrace's "Attaching N
 * probes..."), after compile. */
int sonde_run__probe_count(const struct sonde_run *r);
/* Where the output goes from now on (NULL: stdout). */
void sonde_run__set_output(struct sonde_run *r, FILE *out);
int sonde_run__start(struct sonde_run *r);
int sonde_run__poll(struct sonde_run *r, int timeout_ms);
/* Has the program called exit()? */
bool sonde_run__exited(const struct sonde_run *r);
/* The program's exit(code), for the tracer's exit status (0: exit() or
 * none). */
int sonde_run__exit_code(const struct sonde_run *r);
int sonde_run__end(struct sonde_run *r);
void sonde_run__close(struct sonde_run *r);
const char *sonde_run__errmsg(const struct sonde_run *r);

#ifdef __cplusplus
}
#endif
#endif /* SONDE_SONDE_H */
