/* SPDX-License-Identifier: MIT */
/*
 * Following a process's children on the BPF backend (-c, -p with
 * --follow-fork). The probes are attached system-wide and each program
 * keeps a hit only when the current tgid is in a hash map of traced
 * processes. The map starts with the target; a program on the
 * sched:sched_process_fork tracepoint (it runs in the parent, before the
 * child can run: kernel/fork.c kernel_clone()) adds the child when the
 * parent is in the map, and one on sched:sched_process_exit removes what
 * ended. A child the full map cannot take is counted in the session's
 * lost counter, so its events are never silently missing.
 * The exit program is attached after the probes' programs
 * (bpf_follow_arm_exit()): a tracepoint runs its programs in the order
 * they came (kernel/bpf/core.c bpf_prog_array_copy() appends), so a probe
 * on sched_process_exit itself still sees the process it follows.
 * --cgroup is kept here too: a cgroup array holding the cgroup's
 * directory, which each program asks bpf_current_task_under_cgroup().
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include <linux/perf_event.h>

#include <bpf/bpf.h>
#include <tracefs.h>

#include "gen_int.h"
#include "bpf_insn.h"
#include "sonde_bpf.h"
#include "internal.h"
#include "backend/pmu.h"

#define FOLLOW_MAX 65536 /* processes followed at once */
#define KEY_OFF (-4)
#define VAL_OFF (-8)

/* A field's offset in a tracepoint's format ("field:pid_t child_pid;"). */
static int field_offset(const char *event, const char *field)
{
	char *fmt =
		tracefs_event_file_read(NULL, "sched", event, "format", NULL);
	char pat[64];
	const char *p;
	int off = -ENOENT;

	if (!fmt)
		return -errno ? -errno : -ENOENT;
	snprintf(pat, sizeof(pat), " %s;", field);
	p = strstr(fmt, pat);
	if (p && (p = strstr(p, "offset:")))
		off = atoi(p + 7);
	free(fmt);
	return off;
}

static int event_id(const char *event)
{
	char *text = tracefs_event_file_read(NULL, "sched", event, "id", NULL);
	int id = text ? atoi(text) : -ENOENT;

	free(text);
	return id;
}

/* map[tgid] present: map[child] = 1, or count the child lost */
static int fork_prog(struct prog_buf *b, int map_fd, int lost_fd, int off)
{
	struct gen g = {.b = b};
	int out = gen_label_new(&g);

	EMIT(&g, MOV_REG(R6, R1), CALL(BPF_FUNC_get_current_pid_tgid),
	     ALU_IMM(BPF_RSH, R0, 32), STX(BPF_W, FP, R0, KEY_OFF),
	     LD_MAP_FD(R1, map_fd), MOV_REG(R2, FP),
	     ALU_IMM(BPF_ADD, R2, KEY_OFF), CALL(BPF_FUNC_map_lookup_elem));
	gen_jump(&g, JMP_IMM(BPF_JEQ, R0, 0, 0), out);
	EMIT(&g, LDX(BPF_W, R1, R6, off), STX(BPF_W, FP, R1, KEY_OFF),
	     ST_IMM(BPF_W, FP, VAL_OFF, 1), LD_MAP_FD(R1, map_fd),
	     MOV_REG(R2, FP), ALU_IMM(BPF_ADD, R2, KEY_OFF), MOV_REG(R3, FP),
	     ALU_IMM(BPF_ADD, R3, VAL_OFF), MOV_IMM(R4, BPF_ANY),
	     CALL(BPF_FUNC_map_update_elem));
	gen_jump(&g, JMP_IMM(BPF_JEQ, R0, 0, 0), out);
	if (lost_fd >= 0) {
		EMIT(&g, ST_IMM(BPF_W, FP, KEY_OFF, 0), LD_MAP_FD(R1, lost_fd),
		     MOV_REG(R2, FP), ALU_IMM(BPF_ADD, R2, KEY_OFF),
		     CALL(BPF_FUNC_map_lookup_elem));
		gen_jump(&g, JMP_IMM(BPF_JEQ, R0, 0, 0), out);
		EMIT(&g, MOV_IMM(R1, 1), ATOMIC_ADD(R0, R1, 0));
	}
	gen_label_here(&g, out);
	EMIT(&g, MOV_IMM(R0, TP_PASS), EXIT());
	return gen_finish(&g);
}

/*
 * A thread's exit removes its tid (a new thread's tid was added by the
 * fork program, which cannot tell threads from processes); the group's
 * last exit removes the tgid. The leader leaving early keeps the tgid.
 */
static int exit_prog(struct prog_buf *b, int map_fd, int dead_off)
{
	struct gen g = {.b = b};
	int out = gen_label_new(&g), del = gen_label_new(&g);

	EMIT(&g, LDX(BPF_B, R6, R1, dead_off),
	     CALL(BPF_FUNC_get_current_pid_tgid), MOV_REG(R1, R0),
	     ALU_IMM(BPF_RSH, R1, 32), ALU_IMM(BPF_LSH, R0, 32),
	     ALU_IMM(BPF_RSH, R0, 32), STX(BPF_W, FP, R1, KEY_OFF));
	gen_jump(&g, JMP_IMM(BPF_JNE, R6, 0, 0), del);
	gen_jump(&g, JMP_REG(BPF_JEQ, R0, R1, 0), out);
	EMIT(&g, STX(BPF_W, FP, R0, KEY_OFF));
	gen_label_here(&g, del);
	EMIT(&g, LD_MAP_FD(R1, map_fd), MOV_REG(R2, FP),
	     ALU_IMM(BPF_ADD, R2, KEY_OFF), CALL(BPF_FUNC_map_delete_elem));
	gen_label_here(&g, out);
	EMIT(&g, MOV_IMM(R0, TP_PASS), EXIT());
	return gen_finish(&g);
}

static int load_tp(struct prog_buf *b)
{
	int fd;

	if (b->err)
		return b->err;
	fd = bpf_prog_load(BPF_PROG_TYPE_TRACEPOINT, "sonde_follow", "GPL",
			   b->insns, b->n, NULL);
	return fd < 0 ? -errno : fd;
}

static int add_fd(struct bpf_follow *f, int fd)
{
	int *grown = realloc(f->fds, (f->nfds + 1) * sizeof(int));

	if (!grown) {
		close(fd);
		return -ENOMEM;
	}
	f->fds = grown;
	f->fds[f->nfds++] = fd;
	return 0;
}

/* The program on the tracepoint: one event (pid -1, cpu 0), as libbpf
 * makes them; the program runs on every CPU, as it is the tracepoint's
 * (kernel/trace/bpf_trace.c perf_event_attach_bpf_prog(): the
 * tracepoint's prog_array) */
static int attach_tp(struct bpf_follow *f, int prog_fd, int id)
{
	struct perf_event_attr pa = {
		.type = PERF_TYPE_TRACEPOINT,
		.size = sizeof(pa),
		.config = (uint64_t)id,
		.sample_period = 1,
		.wakeup_events = 1,
	};
	int fd, err;

	fd = perf_event_open_cloexec(&pa, -1, 0, -1, 0);
	if (fd < 0)
		return fd;
	if (ioctl(fd, PERF_EVENT_IOC_SET_BPF, prog_fd) ||
	    ioctl(fd, PERF_EVENT_IOC_ENABLE, 0)) {
		err = -errno;
		close(fd);
		return err;
	}
	return add_fd(f, fd);
}

int bpf_follow_open(struct sonde_session *s, struct bpf_follow *f, int lost_fd)
{
	struct prog_buf b = {0};
	uint32_t key = (uint32_t)s->opts.pid, one = 1;
	int child_off, dead_off, fork_id, exit_id, prog, err;
	const char *what = "cannot follow the children of %d: %s";

	memset(f, 0, sizeof(*f));
	f->map_fd = -1;
	f->exit_id = f->dead_off = -1;
	if (s->opts.pid <= 0 || !s->opts.follow_fork)
		return 0;
	child_off = field_offset("sched_process_fork", "child_pid");
	dead_off = field_offset("sched_process_exit", "group_dead");
	fork_id = event_id("sched_process_fork");
	exit_id = event_id("sched_process_exit");
	if (child_off < 0 || fork_id < 0 || exit_id < 0)
		return set_err(s, ENOENT, -1, what, (int)s->opts.pid,
			       "no sched:sched_process_fork/exit tracepoints "
			       "in tracefs");
	f->map_fd = bpf_new_map(BPF_MAP_TYPE_HASH, 4, 4, FOLLOW_MAX);
	if (f->map_fd < 0) {
		err = f->map_fd;
		f->map_fd = -1;
		return set_err(s, -err, -1, what, (int)s->opts.pid,
			       strerror(-err));
	}
	if (bpf_map_update_elem(f->map_fd, &key, &one, BPF_ANY))
		return set_err(s, errno, -1, what, (int)s->opts.pid,
			       strerror(errno));
	/* the fork program first: a fork from then on is followed */
	err = fork_prog(&b, f->map_fd, lost_fd, child_off);
	prog = err ? err : load_tp(&b);
	prog_buf_free(&b);
	err = prog < 0 ? prog : attach_tp(f, prog, fork_id);
	if (prog >= 0)
		close(prog);
	if (err)
		return set_err(s, -err, -1, what, (int)s->opts.pid,
			       strerror(-err));
	f->exit_id = exit_id;
	f->dead_off = dead_off;
	return 0;
}

int bpf_follow_arm_exit(struct sonde_session *s, struct bpf_follow *f)
{
	struct prog_buf b = {0};
	int prog, err;

	/* without group_dead (older kernels) nothing is removed: the map
	 * only grows, and a full map counts what it cannot take as lost */
	if (f->map_fd < 0 || f->dead_off < 0 || f->exit_id < 0)
		return 0;
	err = exit_prog(&b, f->map_fd, f->dead_off);
	prog = err ? err : load_tp(&b);
	prog_buf_free(&b);
	err = prog < 0 ? prog : attach_tp(f, prog, f->exit_id);
	if (prog >= 0)
		close(prog);
	if (err)
		return set_err(s, -err, -1,
			       "cannot follow the children of %d: %s",
			       (int)s->opts.pid, strerror(-err));
	return 0;
}

void bpf_follow_close(struct bpf_follow *f)
{
	int i;

	for (i = 0; i < f->nfds; i++)
		close(f->fds[i]);
	free(f->fds);
	f->fds = NULL;
	f->nfds = 0;
	if (f->map_fd >= 0)
		close(f->map_fd);
	f->map_fd = -1;
}

int bpf_cgroup_map(struct sonde_session *s)
{
	uint32_t key = 0, value = (uint32_t)s->cgroup_fd;
	int fd;

	if (s->cgroup_map_fd >= 0)
		return s->cgroup_map_fd;
	fd = bpf_new_map(BPF_MAP_TYPE_CGROUP_ARRAY, 4, 4, 1);
	if (fd < 0)
		return set_err(s, -fd, -1,
			       "bpf: cannot make the map of --cgroup %s: %s",
			       s->opts.cgroup, strerror(-fd));
	if (bpf_map_update_elem(fd, &key, &value, BPF_ANY)) {
		int err = errno;

		close(fd);
		return set_err(s, err, -1,
			       "bpf: cannot put --cgroup %s in a map: %s",
			       s->opts.cgroup, strerror(err));
	}
	s->cgroup_map_fd = fd;
	return fd;
}

/* bpf_current_task_under_cgroup(map, 0): 1 in the cgroup's subtree, 0
 * outside, < 0 on error (kernel/trace/bpf_trace.c) */
void gen_under_cgroup(struct gen *g, int map_fd, int out)
{
	EMIT(g, LD_MAP_FD(R1, map_fd), MOV_IMM(R2, 0),
	     CALL(BPF_FUNC_current_task_under_cgroup));
	gen_jump(g, JMP_IMM(BPF_JNE, R0, 1, 0), out);
}

/* leave (to out) unless the tgid in reg is in the followed set */
void gen_followed(struct gen *g, int map_fd, int reg, int slot, int out)
{
	EMIT(g, STX(BPF_W, FP, reg, slot), LD_MAP_FD(R1, map_fd),
	     MOV_REG(R2, FP), ALU_IMM(BPF_ADD, R2, slot),
	     CALL(BPF_FUNC_map_lookup_elem));
	gen_jump(g, JMP_IMM(BPF_JEQ, R0, 0, 0), out);
}
