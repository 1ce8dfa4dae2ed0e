/* SPDX-License-Identifier: MIT */
/* struct sonde_event accessors: fields are decoded only when asked for. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

#include "sym/elf.h"
#include "internal.h"

int sonde_event__probe(const struct sonde_event *ev)
{
	return ev->probe;
}

const char *sonde_event__probe_name(const struct sonde_event *ev)
{
	return ev->p->name;
}

uint64_t sonde_event__time_ns(const struct sonde_event *ev)
{
	return ev->ts;
}

int sonde_event__tid(const struct sonde_event *ev)
{
	return ev->task ? ev->task->tid
			: record_pid(&ev->p->fmt, ev->rec, ev->len);
}

int sonde_event__pid(const struct sonde_event *ev)
{
	/* unknown (the thread is gone): the tid is the best guess */
	return ev->task && ev->task->pid > 0 ? ev->task->pid
					     : sonde_event__tid(ev);
}

int sonde_event__cpu(const struct sonde_event *ev)
{
	return ev->cpu;
}

const char *sonde_event__comm(const struct sonde_event *ev)
{
	return ev->task ? ev->task->comm : "<...>";
}

bool sonde_event__is_return(const struct sonde_event *ev)
{
	bool is_exit = false;

	/* a syscall's exit tracepoint is its return (latency pairs them) */
	if (spec_tp_syscall(&ev->p->spec, &is_exit))
		return is_exit;
	return probe_kind_is_return(ev->p->spec.kind);
}

uint64_t sonde_event__ip(const struct sonde_event *ev)
{
	const struct event_format *f = &ev->p->fmt;
	const struct field_layout *ip = f->probe_ip.size ? &f->probe_ip
							 : &f->func;
	struct field_value v;

	if (!ip->size || field_decode(ip, ev->rec, ev->len, &v))
		return 0;
	return v.u;
}

int sonde_event__field_count(const struct sonde_event *ev)
{
	return ev->p->fmt.nfields;
}

int sonde_event__field_index(const struct sonde_event *ev, const char *name)
{
	size_t i;

	for (i = 0; name && i < ev->p->fmt.nfields; i++)
		if (!strcmp(ev->p->fmt.fields[i].name, name))
			return i;
	return -ENOENT;
}

static const struct field_layout *field(const struct sonde_event *ev, int i)
{
	if (i < 0 || (size_t)i >= ev->p->fmt.nfields)
		return NULL;
	return &ev->p->fmt.fields[i];
}

const char *sonde_event__field_name(const struct sonde_event *ev, int i)
{
	const struct field_layout *f = field(ev, i);

	return f ? f->name : NULL;
}

enum sonde_field_kind sonde_event__field_kind(const struct sonde_event *ev,
					      int i)
{
	const struct field_layout *f = field(ev, i);

	if (!f)
		return SONDE_FIELD_UNSIGNED;
	switch (f->type) {
	case FT_SIGNED:
		return SONDE_FIELD_SIGNED;
	case FT_HEX:
		return SONDE_FIELD_HEX;
	case FT_STRING:
		return SONDE_FIELD_STRING;
	case FT_SYMBOL:
		return SONDE_FIELD_SYMBOL;
	case FT_ARRAY:
		return SONDE_FIELD_ARRAY;
	default:
		return SONDE_FIELD_UNSIGNED;
	}
}

uint64_t sonde_event__field_u64(const struct sonde_event *ev, int i)
{
	const struct field_layout *f = field(ev, i);
	struct field_value v;

	if (!f || field_decode(f, ev->rec, ev->len, &v))
		return 0;
	return v.u;
}

int64_t sonde_event__field_s64(const struct sonde_event *ev, int i)
{
	return (int64_t)sonde_event__field_u64(ev, i);
}

const char *sonde_event__field_str(const struct sonde_event *ev, int i)
{
	const struct field_layout *f = field(ev, i);
	struct field_value v;
	size_t max;
	char **buf;

	if (!f || f->type != FT_STRING)
		return NULL;
	/* "(fault)" as the kernel prints a string it could not fetch */
	if (field_decode(f, ev->rec, ev->len, &v) || (f->is_dynamic && !v.u))
		return "(fault)";
	buf = &ev->p->strbuf[i];
	/* no record the backend hands over is longer */
	max = ev->s->be->max_record(ev->s);
	if (!*buf) {
		*buf = malloc(max + 1);
		if (!*buf)
			return NULL;
	}
	if (v.len > max)
		v.len = max;
	memcpy(*buf, v.str, v.len);
	(*buf)[v.len] = '\0';
	return *buf;
}

bool sonde_event__field_fault(const struct sonde_event *ev, int i)
{
	return i >= 0 && i < 64 && (ev->faults >> i) & 1;
}

bool sonde_event__field_unchecked(const struct sonde_event *ev, int i)
{
	return i >= 0 && i < 64 && (ev->unchecked >> i) & 1;
}

int sonde_event__field_len(const struct sonde_event *ev, int i)
{
	const struct field_layout *f = field(ev, i);

	return f ? (int)f->count : 0;
}

uint64_t sonde_event__field_elem(const struct sonde_event *ev, int i, int j)
{
	const struct field_layout *f = field(ev, i);

	if (!f || j < 0 || (unsigned int)j >= f->count ||
	    f->offset + f->size > ev->len)
		return 0;
	return field_elem(f, ev->rec, j);
}

/* "arch_rethook_trampoline+0x0/0x50" and the kretprobe trampolines of
 * kernels before rethook (kretprobe_trampoline, __kretprobe_trampoline) */
static bool is_return_trampoline(const char *sym)
{
	static const char *const names[] = {
		"arch_rethook_trampoline",
		"__kretprobe_trampoline",
		"kretprobe_trampoline",
	};
	size_t i, n = strcspn(sym, "+");

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == n && !strncmp(sym, names[i], n))
			return true;
	return false;
}

const char *sonde_event__location(const struct sonde_event *ev)
{
	const struct event_format *f = &ev->p->fmt;
	struct sonde_session *s = ev->s;
	char caller[128], func[128];
	struct field_value v;

	if (probe_kind_is_user(ev->p->spec.kind))
		return NULL;
	if (!probe_kind_is_return(ev->p->spec.kind)) {
		if (sonde_ksym__name(sonde_event__ip(ev), s->locbuf,
				     sizeof(s->locbuf)))
			return NULL;
		return s->locbuf;
	}
	/* kretprobes: where it returned to, and which function returned */
	if (!f->ret_ip.size || field_decode(&f->ret_ip, ev->rec, ev->len, &v) ||
	    sonde_ksym__name(v.u, caller, sizeof(caller)))
		snprintf(caller, sizeof(caller), "?");
	if (!f->func.size || field_decode(&f->func, ev->rec, ev->len, &v) ||
	    sonde_ksym__name(v.u, func, sizeof(func)))
		snprintf(func, sizeof(func), "?");
	/* the function alone, as the kernel prints it (trace_kprobe.c
	 * print_kretprobe_event(): no TRACE_ITER_SYM_OFFSET for func) */
	func[strcspn(func, "+")] = '\0';
	/* A return hook on the function made before this kretprobe's (a
	 * kprobe_multi link's, another kretprobe's) leaves its trampoline as
	 * the return address this one saves (arch_rethook_prepare()): the
	 * caller is then not known, and the kernel's own output says the same */
	if (!ev->p->said_trampoline && is_return_trampoline(caller)) {
		slog(s, SONDE_LOG_WARN,
		     "%s: the kernel gave its return trampoline (%s) as the "
		     "return address of %s: another return hook is on that "
		     "function; the caller is not known",
		     ev->p->name, caller, func);
		ev->p->said_trampoline = true;
	}
	snprintf(s->locbuf, sizeof(s->locbuf), "%s <- %s", caller, func);
	return s->locbuf;
}

int sonde_event__stack(const struct sonde_event *ev, const uint64_t **frames,
		       bool *user)
{
	struct sonde_session *s = ev->s;
	const struct field_layout *c = ev->stack_caller, *size = ev->stack_size;
	uint64_t max, n = 0, i;

	if (ev->frames) {
		*frames = ev->frames;
		if (user)
			*user = ev->frames_user;
		return ev->nframes;
	}
	if (!ev->stack || !c)
		return 0;
	if (c->offset >= ev->stack_len)
		return 0;
	max = (ev->stack_len - c->offset) / 8;
	if (max > sizeof(s->frames) / sizeof(s->frames[0]))
		max = sizeof(s->frames) / sizeof(s->frames[0]);
	if (size && size->size == 4 && size->offset + 4 <= ev->stack_len) {
		int32_t entries;

		memcpy(&entries, ev->stack + size->offset, 4);
		if (entries >= 0 && (uint64_t)entries < max)
			max = entries;
	}
	for (i = 0; i < max; i++) {
		uint64_t a;

		/* records are only 4-byte aligned */
		memcpy(&a, ev->stack + c->offset + i * 8, 8);
		if (!a || a == ~0ULL) /* user stacks end with 0 (or -1) */
			break;
		s->frames[n++] = a;
	}
	*frames = s->frames;
	if (user)
		*user = ev->stack_user;
	return n;
}

int sonde_event__stack_kernel_frames(const struct sonde_event *ev)
{
	const uint64_t *frames;
	bool user = true;
	int n;

	if (!ev)
		return 0;
	n = sonde_event__stack(ev, &frames, &user);
	/* frames decoded by the backend (a perf callchain holds both) */
	if (ev->frames)
		return ev->kframes;
	return user ? 0 : n;
}

/*
 * The process is gone and its maps with it (a short -c command): frames in
 * the probed file itself can still be named, as the probe's own address
 * (__probe_ip) gives that file's load bias.
 */
static int name_in_probed_file(const struct sonde_event *ev, uint64_t addr,
			       char *buf, size_t len)
{
	const struct probe *p = ev->p;
	uint64_t ip = sonde_event__ip(ev), vaddr, bias;
	struct elf_file *ef;
	struct elf_sym sym;
	const char *base;
	int err = -ENOENT;

	if (!probe_kind_is_user(p->spec.kind) || !p->path || !ip ||
	    probe_kind_is_return(p->spec.kind))
		return -ENOENT;
	ef = elf_file_open(p->path);
	if (!ef)
		return -ENOENT;
	if (elf_file_offset_to_vaddr(ef, p->offset, &vaddr, NULL) == 0) {
		bias = ip - vaddr;
		if (elf_file_addr_to_sym(ef, addr - bias, &sym) == 0) {
			base = strrchr(p->path, '/') + 1;
			if (addr - bias == sym.addr)
				snprintf(buf, len, "%s (%s)", sym.name, base);
			else
				snprintf(buf, len, "%s+0x%llx (%s)", sym.name,
					 (unsigned long long)(addr - bias -
							      sym.addr),
					 base);
			err = 0;
		}
	}
	elf_file_close(ef);
	return err;
}

const char *sonde_event__symbolize(const struct sonde_event *ev,
				   uint64_t addr, bool user, char *buf,
				   size_t len)
{
	int err;

	if (user)
		err = symcache_name(&ev->s->syms, sonde_event__pid(ev), addr,
				    buf, len);
	else
		err = sonde_ksym__name(addr, buf, len);
	if (err && user)
		err = name_in_probed_file(ev, addr, buf, len);
	if (err)
		snprintf(buf, len, "0x%llx", (unsigned long long)addr);
	return buf;
}
