/* SPDX-License-Identifier: MIT */
/*
 * Attaching programs. Debian's libbpf 1.1 and its uapi headers (6.1)
 * predate uprobe_multi links (kernel 6.6), so BPF_LINK_CREATE is called
 * raw here with the attr laid out as the kernel's include/uapi/linux/bpf.h
 * has it; every link fd owns its probes: closing it removes them.
 */
#include <errno.h>
#include <linux/perf_event.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "backend/pmu.h"
#include "bpf_int.h"

/* union bpf_attr's BPF_LINK_CREATE member as of 6.6 (uprobe_multi). */
struct link_create_attr {
	uint32_t prog_fd;
	uint32_t target_fd;
	uint32_t attach_type;
	uint32_t flags;
	union {
		struct {
			uint64_t path;
			uint64_t offsets;
			uint64_t ref_ctr_offsets;
			uint64_t cookies;
			uint32_t cnt;
			uint32_t flags;
			uint32_t pid;
		} uprobe_multi;
		struct {
			uint64_t bpf_cookie;
		} perf_event;
	};
};
/* the offsets that matter, checked against the 6.1 header where it has
 * the same layout (link_create.kprobe_multi starts where the union does) */
_Static_assert(offsetof(struct link_create_attr, uprobe_multi) ==
		       offsetof(union bpf_attr, link_create.kprobe_multi),
	       "link_create union offset");
_Static_assert(offsetof(struct link_create_attr, perf_event.bpf_cookie) ==
		       offsetof(union bpf_attr,
				link_create.perf_event.bpf_cookie),
	       "perf_event cookie offset");

static int link_create(struct link_create_attr *la)
{
	union bpf_attr attr;
	long fd;

	/* the kernel checks that bytes past what it knows are zero */
	memset(&attr, 0, sizeof(attr));
	_Static_assert(sizeof(*la) <= sizeof(attr), "attr size");
	memcpy(&attr, la, sizeof(*la));
	fd = syscall(__NR_bpf, BPF_LINK_CREATE, &attr, sizeof(attr));
	return fd < 0 ? -errno : (int)fd;
}

int bpf_attach_uprobe_multi(int prog_fd, const char *path,
			    const uint64_t *offsets, const uint64_t *ref_ctrs,
			    const uint64_t *cookies, uint32_t cnt,
			    bool retprobe, pid_t pid)
{
	struct link_create_attr la = {
		.prog_fd = prog_fd,
		.attach_type = SONDE_BPF_TRACE_UPROBE_MULTI,
	};

	la.uprobe_multi.path = (uint64_t)(uintptr_t)path;
	la.uprobe_multi.offsets = (uint64_t)(uintptr_t)offsets;
	la.uprobe_multi.ref_ctr_offsets = (uint64_t)(uintptr_t)ref_ctrs;
	la.uprobe_multi.cookies = (uint64_t)(uintptr_t)cookies;
	la.uprobe_multi.cnt = cnt;
	la.uprobe_multi.flags = retprobe ? SONDE_BPF_F_UPROBE_MULTI_RETURN : 0;
	la.uprobe_multi.pid = pid > 0 ? (uint32_t)pid : 0;
	return link_create(&la);
}

/* prog_fd on a new perf event of attr, of task pid (> 0) or of the system:
 * the link's fd, or -errno; the link holds the event, whose own fd is
 * closed. A tracing event fires on every CPU whatever its cpu: one event
 * (pid -1, cpu 0) covers the system, as libbpf makes them. */
static int link_perf_event(struct perf_event_attr *pa, int pid, int prog_fd,
			   uint64_t cookie)
{
	struct link_create_attr la = {.attach_type = BPF_PERF_EVENT};
	int pfd, err;

	pa->size = sizeof(*pa);
	pa->sample_period = 1;
	pa->wakeup_events = 1;
	pfd = perf_event_open_cloexec(pa, pid > 0 ? pid : -1, pid > 0 ? -1 : 0,
				      -1, 0);
	if (pfd < 0)
		return pfd;
	la.prog_fd = prog_fd;
	la.target_fd = (uint32_t)pfd;
	la.perf_event.bpf_cookie = cookie;
	err = link_create(&la);
	close(pfd);
	return err;
}

int bpf_attach_perf_uprobe(int prog_fd, const char *path, uint64_t offset,
			   uint64_t ref_ctr, bool retprobe, pid_t pid,
			   uint64_t cookie)
{
	const struct pmu_info *pmu = pmu_get("uprobe");
	struct perf_event_attr pa;

	if (pmu->type < 0)
		return -ENOTSUP;
	memset(&pa, 0, sizeof(pa));
	pa.type = pmu->type;
	/* format/ref_ctr_offset: config:32-63 where sysfs does not say */
	pa.config =
		(retprobe ? 1ULL << pmu->retprobe_bit : 0) |
		ref_ctr << (pmu->ref_ctr_shift >= 0 ? pmu->ref_ctr_shift : 32);
	pa.config1 = (uint64_t)(uintptr_t)path; /* uprobe_path */
	pa.config2 = offset;			/* probe_offset */
	return link_perf_event(&pa, pid, prog_fd, cookie);
}

int bpf_attach_kprobe_multi(int prog_fd, const char *const *syms,
			    const uint64_t *cookies, uint32_t cnt,
			    bool retprobe)
{
	union bpf_attr attr;
	long fd;

	/* the 6.1 uapi header has kprobe_multi: no raw layout needed */
	memset(&attr, 0, sizeof(attr));
	attr.link_create.prog_fd = prog_fd;
	attr.link_create.attach_type = BPF_TRACE_KPROBE_MULTI;
	attr.link_create.kprobe_multi.flags =
		retprobe ? BPF_F_KPROBE_MULTI_RETURN : 0;
	attr.link_create.kprobe_multi.cnt = cnt;
	attr.link_create.kprobe_multi.syms = (uint64_t)(uintptr_t)syms;
	attr.link_create.kprobe_multi.cookies = (uint64_t)(uintptr_t)cookies;
	fd = syscall(__NR_bpf, BPF_LINK_CREATE, &attr, sizeof(attr));
	return fd < 0 ? -errno : (int)fd;
}

int bpf_attach_perf_kprobe(int prog_fd, const char *sym, uint64_t offset,
			   bool retprobe, uint64_t cookie)
{
	const struct pmu_info *pmu = pmu_get("kprobe");
	struct perf_event_attr pa;

	if (pmu->type < 0)
		return -ENOTSUP;
	memset(&pa, 0, sizeof(pa));
	pa.type = pmu->type;
	pa.config = retprobe ? 1ULL << pmu->retprobe_bit : 0;
	/* kernel/events/core.c perf_kprobe_init(): config1 the symbol
	 * (kprobe_func) and config2 the offset, or config1 0 and config2
	 * the address (kprobe_addr) */
	pa.config1 = (uint64_t)(uintptr_t)sym;
	pa.config2 = offset;
	return link_perf_event(&pa, -1, prog_fd, cookie);
}

int bpf_attach_perf_tracepoint(int prog_fd, int id, uint64_t cookie)
{
	struct perf_event_attr pa;

	memset(&pa, 0, sizeof(pa));
	pa.type = PERF_TYPE_TRACEPOINT;
	pa.config = (uint64_t)id;
	/* the program is the tracepoint's, run wherever it fires
	 * (kernel/trace/bpf_trace.c perf_event_attach_bpf_prog()) */
	return link_perf_event(&pa, -1, prog_fd, cookie);
}

/* A program that returns 0, for the feature probes below. */
static int load_return0(uint32_t expected_attach)
{
	struct bpf_insn ret0[] = {
		{.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0},
		{.code = BPF_JMP | BPF_EXIT},
	};
	struct prog_buf b = {.insns = ret0, .n = 2};

	return bpf_new_prog(&b, expected_attach, NULL, 0);
}

bool bpf_has_uprobe_multi(void)
{
	uint64_t off = 0;
	int prog, link;
	bool yes;

	prog = load_return0(SONDE_BPF_TRACE_UPROBE_MULTI);
	if (prog < 0)
		return false;
	/* as libbpf's probe_uprobe_multi_link(): a uprobe on "/" fails with
	 * -EBADF where the link type exists (no such file to probe), -EINVAL
	 * where it does not */
	link = bpf_attach_uprobe_multi(prog, "/", &off, NULL, NULL, 1, false, 0);
	yes = link == -EBADF || link >= 0;
	if (link >= 0)
		close(link);
	close(prog);
	return yes;
}

bool bpf_has_kprobe_multi(void)
{
	union bpf_attr attr;
	bool yes;
	long link;
	int prog;

	prog = load_return0(BPF_TRACE_KPROBE_MULTI);
	if (prog < 0)
		return false;
	/* no functions at all: -EINVAL where kprobe_multi links exist,
	 * -EOPNOTSUPP without CONFIG_FPROBE (kernel/trace/bpf_trace.c) */
	memset(&attr, 0, sizeof(attr));
	attr.link_create.prog_fd = prog;
	attr.link_create.attach_type = BPF_TRACE_KPROBE_MULTI;
	link = syscall(__NR_bpf, BPF_LINK_CREATE, &attr, sizeof(attr));
	yes = link >= 0 || errno == EINVAL;
	if (link >= 0)
		close((int)link);
	close(prog);
	return yes;
}
