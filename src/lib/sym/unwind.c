/* SPDX-License-Identifier: MIT */
/*
 * User stacks unwound from a copy of the stack (unwind.h), as perf does
 * for `perf record --call-graph dwarf` (tools/perf/util/unwind-libdw.c):
 * libdwfl's frame walker (dwfl_attach_state, dwfl_getthread_frames) reads
 * the registers at the event and the stack words from the copy; the CFI
 * comes from each module's .eh_frame or .debug_frame.
 *
 * libdw maps the files it reads: each file (and separate debug file) is
 * handed to it as a copy in memory (memfd, made once per file and shared
 * by every process's Dwfl), so a library rewritten in place while it is
 * traced cannot fault the reader (SIGBUS on a truncated mapping), as
 * elf.c reads files into memory for the same reason.
 *
 * One Dwfl per process, its modules reported from the maps the symcache
 * keeps (read from /proc/PID/maps at attach and whenever an address is
 * outside them, or fed from the perf backend's MMAP2 records), each at the
 * load bias its mapping gives, made again when the maps change. The
 * process need not be alive: nothing is read from it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <elfutils/libdwfl.h>

#include "debuginfo.h"
#include "internal.h"
#include "unwind.h"

#define UW_PIDS 64

struct uw_proc {
	int pid;
	unsigned int gen; /* the symcache maps' generation it was built from */
	Dwfl *dwfl;
	bool attached;
};

/* What each module's userdata points to (report_one()). */
struct uw_mod {
	struct unwinder *u;
	const char *dirs; /* the session's debug dirs */
};

/* a file's copy in memory, by path */
struct uw_copy {
	char *path;
	int fd; /* -1: could not be read */
};

struct unwinder {
	struct uw_proc procs[UW_PIDS];
	unsigned int next; /* round-robin victim */
	struct uw_copy *copies;
	size_t ncopies;
	bool warned;	   /* that a process's maps were not known */
	struct uw_mod mod; /* every module's userdata */
	/* the event being unwound (the callbacks' dwfl_arg) */
	const struct unwind_input *in;
	uint64_t *frames;
	int n, max;
};

const char *unwind_unsupported(void)
{
#if defined(__x86_64__)
	return NULL;
#else
	return "unwinding copied user stacks (--call-graph dwarf) is only "
	       "done on x86-64";
#endif
}

/* A copy of the file open on src, in memory (see above): a new fd, or -1. */
static int fd_copy(int src)
{
	char buf[65536];
	ssize_t n, w;
	off_t off = 0;
	int fd = memfd_create("sonde-elf", MFD_CLOEXEC);

	if (fd < 0)
		return -1;
	while ((n = pread(src, buf, sizeof(buf), off)) > 0) {
		for (w = 0; w < n;) {
			ssize_t k = write(fd, buf + w, (size_t)(n - w));

			if (k <= 0) {
				close(fd);
				return -1;
			}
			w += k;
		}
		off += n;
	}
	if (n < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A descriptor of path's copy (the caller's to close), or -1; src, when
 * not -1, is the file already open. */
static int path_copy(struct unwinder *u, const char *path, int src)
{
	struct uw_copy *grown;
	size_t i;
	int fd;

	for (i = 0; i < u->ncopies; i++)
		if (!strcmp(u->copies[i].path, path))
			return u->copies[i].fd < 0 ? -1
						   : dup(u->copies[i].fd);
	grown = realloc(u->copies, (u->ncopies + 1) * sizeof(*grown));
	if (!grown)
		return -1;
	u->copies = grown;
	if (src >= 0) {
		fd = fd_copy(src);
	} else if ((src = open(path, O_RDONLY | O_CLOEXEC)) >= 0) {
		fd = fd_copy(src);
		close(src);
	} else {
		fd = -1;
	}
	grown[u->ncopies].path = strdup(path);
	if (!grown[u->ncopies].path) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	grown[u->ncopies++].fd = fd;
	return fd < 0 ? -1 : dup(fd);
}

/* A separate debug file as the rest of sonde finds it (debuginfo.c), in
 * the session's debug dirs; libdwfl takes the descriptor. */
static int find_debuginfo(Dwfl_Module *mod, void **userdata,
			  const char *modname, Dwarf_Addr base,
			  const char *file_name, const char *debuglink_file,
			  GElf_Word debuglink_crc, char **debuginfo_file_name)
{
	const struct uw_mod *um = *userdata;
	struct debug_file *d;
	GElf_Addr bias;
	Elf *elf;
	int fd = -1;

	(void)modname, (void)base, (void)debuglink_file, (void)debuglink_crc;
	elf = dwfl_module_getelf(mod, &bias);
	if (!um || !elf || !file_name ||
	    debuginfo_open(elf, file_name, um->dirs, &d, NULL, 0))
		return -1;
	if (d->fd >= 0 && d->path) {
		fd = path_copy(um->u, d->path, d->fd);
		if (fd >= 0 && d->path)
			*debuginfo_file_name = strdup(d->path);
	}
	debuginfo_close(d);
	return fd;
}

static const Dwfl_Callbacks callbacks = {
	.find_elf = dwfl_build_id_find_elf,
	.find_debuginfo = find_debuginfo,
};

static pid_t next_thread(Dwfl *dwfl, void *arg, void **thread_argp)
{
	struct unwinder *u = arg;

	(void)dwfl;
	if (*thread_argp)
		return 0;
	*thread_argp = u;
	return u->in->tid > 0 ? u->in->tid : 1;
}

/* A word of the copied stack; anything else is not known. */
static bool memory_read(Dwfl *dwfl, Dwarf_Addr addr, Dwarf_Word *result,
			void *arg)
{
	struct unwinder *u = arg;
	uint64_t sp = u->in->regs[UW_SP];

	(void)dwfl;
	if (!u->in->stack || addr < sp || addr - sp > u->in->stack_len ||
	    u->in->stack_len - (addr - sp) < 8)
		return false;
	memcpy(result, u->in->stack + (addr - sp), 8);
	return true;
}

static bool set_initial_registers(Dwfl_Thread *thread, void *arg)
{
	struct unwinder *u = arg;
	int i;

	for (i = 0; i < UW_IP; i++)
		if ((u->in->known & (1u << i)) &&
		    !dwfl_thread_state_registers(thread, i, 1,
						 &u->in->regs[i]))
			return false;
	dwfl_thread_state_register_pc(thread, u->in->regs[UW_IP]);
	return true;
}

static const Dwfl_Thread_Callbacks thread_callbacks = {
	.next_thread = next_thread,
	.memory_read = memory_read,
	.set_initial_registers = set_initial_registers,
};

struct report_ctx {
	Dwfl *dwfl;
	struct uw_mod *mod; /* the modules' userdata */
	int n;
};

static int report_one(const char *path, uint64_t bias, void *ctx)
{
	struct report_ctx *r = ctx;
	int fd = path_copy(r->mod->u, path, -1);
	Dwfl_Module *mod;
	void **userdata;

	if (fd < 0)
		return 0;
	/* a module that overlaps another (a file mapped twice) is left out;
	 * the fd is libdw's once the module is made */
	mod = dwfl_report_elf(r->dwfl, strrchr(path, '/') + 1, path, fd, bias,
			      false);
	if (!mod) {
		close(fd);
		return 0;
	}
	dwfl_module_info(mod, &userdata, NULL, NULL, NULL, NULL, NULL, NULL);
	*userdata = r->mod;
	r->n++;
	return 0;
}

static Dwfl *dwfl_build(struct sonde_session *s, int pid)
{
	struct report_ctx r = { .mod = &s->unw->mod };

	r.dwfl = dwfl_begin(&callbacks);
	if (!r.dwfl)
		return NULL;
	dwfl_report_begin(r.dwfl);
	symcache_each_file(&s->syms, pid, report_one, &r);
	dwfl_report_end(r.dwfl, NULL, NULL);
	if (!r.n) {
		dwfl_end(r.dwfl);
		return NULL;
	}
	return r.dwfl;
}

/* pid's Dwfl, made again when its maps changed (addr outside them makes
 * the symcache read /proc again). */
static struct uw_proc *proc_get(struct sonde_session *s, int pid,
				uint64_t addr)
{
	struct unwinder *u = s->unw;
	struct uw_proc *p = NULL;
	unsigned int gen, i;

	if (!u) {
		u = s->unw = calloc(1, sizeof(*u));
		if (!u)
			return NULL;
		u->mod = (struct uw_mod){ u, s->opts.debug_dir };
	}
	if (symcache_gen(&s->syms, pid, addr, &gen))
		return NULL;
	for (i = 0; i < UW_PIDS; i++)
		if (u->procs[i].pid == pid && u->procs[i].dwfl)
			p = &u->procs[i];
	if (p && p->gen == gen)
		return p;
	if (!p)
		p = &u->procs[u->next++ % UW_PIDS];
	if (p->dwfl)
		dwfl_end(p->dwfl);
	*p = (struct uw_proc){ .pid = pid, .gen = gen };
	p->dwfl = dwfl_build(s, pid);
	return p->dwfl ? p : NULL;
}

Dwfl_Module *unwind_module(struct sonde_session *s, int pid, uint64_t addr)
{
	struct uw_proc *p = proc_get(s, pid, addr);

	return p ? dwfl_addrmodule(p->dwfl, addr) : NULL;
}

static int on_frame(Dwfl_Frame *state, void *arg)
{
	struct unwinder *u = arg;
	Dwarf_Addr pc;
	bool activation;

	if (!dwfl_frame_pc(state, &pc, &activation) || !pc)
		return DWARF_CB_ABORT;
	/* the first is the ip itself; a caller's is its return address, as
	 * in a frame-pointer callchain */
	u->frames[u->n++] = pc;
	return u->n < u->max ? DWARF_CB_OK : DWARF_CB_ABORT;
}

int unwind_user(struct sonde_session *s, const struct unwind_input *in,
		uint64_t *frames, int max)
{
	struct uw_proc *p;
	struct unwinder *u;

	if (max < 1)
		return 0;
	frames[0] = in->regs[UW_IP];
	if (unwind_unsupported() || !(in->known & (1u << UW_SP)) ||
	    !in->stack)
		return 1;
	p = proc_get(s, in->pid, in->regs[UW_IP]);
	if (!p || !dwfl_addrmodule(p->dwfl, in->regs[UW_IP])) {
		if (s->unw && !s->unw->warned)
			slog(s, SONDE_LOG_WARN,
			     "process %d exited before its maps were read: "
			     "its user stacks hold only the probed address "
			     "(with -p or -c, a process's maps are kept from "
			     "its mmap records)",
			     in->pid);
		if (s->unw)
			s->unw->warned = true;
		return 1;
	}
	u = s->unw;
	if (!p->attached) {
		/* the arch from the modules' ELF files */
		if (!dwfl_attach_state(p->dwfl, NULL, in->pid > 0 ? in->pid : 1,
				       &thread_callbacks, u))
			return 1;
		p->attached = true;
	}
	u->in = in;
	u->frames = frames;
	u->n = 0;
	u->max = max;
	/* it ends with an error where the copy or the CFI ends: the frames
	 * up to there stand */
	dwfl_getthread_frames(p->dwfl, in->tid > 0 ? in->tid : 1, on_frame,
			      u);
	u->in = NULL;
	return u->n ? u->n : 1;
}

void unwind_free(struct unwinder *u)
{
	size_t i;

	if (!u)
		return;
	for (i = 0; i < UW_PIDS; i++)
		if (u->procs[i].dwfl)
			dwfl_end(u->procs[i].dwfl);
	for (i = 0; i < u->ncopies; i++) {
		free(u->copies[i].path);
		if (u->copies[i].fd >= 0)
			close(u->copies[i].fd);
	}
	free(u->copies);
	free(u);
}

int unwind_choose(struct sonde_session *s, const char *backend, bool copies)
{
	const char *why = copies ? unwind_unsupported() : NULL;
	unsigned int size = s->opts.stack_user_size;

	s->cg = SONDE_CALL_GRAPH_FP;
	if (!s->opts.stack)
		return 0;
	if (s->opts.call_graph == SONDE_CALL_GRAPH_DWARF && !copies)
		return set_err(s, ENOTSUP, -1,
			       "--call-graph dwarf: the %s backend does not "
			       "copy user stacks (--backend perf or bpf)",
			       backend);
	if (s->opts.call_graph == SONDE_CALL_GRAPH_DWARF && why)
		return set_err(s, ENOTSUP, -1, "%s", why);
	if (size % 8 || size > UNWIND_STACK_MAX)
		return set_err(s, EINVAL, -1,
			       "--call-graph dwarf,%u: the stack size is a "
			       "multiple of 8 up to %u",
			       size, UNWIND_STACK_MAX);
	if (s->opts.call_graph == SONDE_CALL_GRAPH_FP || !copies || why) {
		slog(s, SONDE_LOG_INFO,
		     "user stacks: frame pointers (--call-graph fp)%s%s",
		     s->opts.call_graph == SONDE_CALL_GRAPH_FP ? "" : ": ",
		     s->opts.call_graph == SONDE_CALL_GRAPH_FP ? ""
		     : why ? why
			   : "this backend copies no user stack");
		return 0;
	}
	s->cg = SONDE_CALL_GRAPH_DWARF;
	slog(s, SONDE_LOG_INFO,
	     "user stacks: dwarf (--call-graph dwarf): %u bytes of stack "
	     "copied by the %s backend with each event, unwound with libdw",
	     unwind_stack_size(s), backend);
	return 0;
}

unsigned int unwind_stack_size(const struct sonde_session *s)
{
	return s->opts.stack_user_size ? s->opts.stack_user_size
				       : UNWIND_STACK_DEFAULT;
}
