// SPDX-License-Identifier: MIT
/*
 * Values that could not be read. A string that faults says so in its
 * record (a __data_loc of length 0, trace_probe_tmpl.h; perf_user_fetch.c and
 * the bpf program store the same). A number does not: for a uprobe the
 * kernel's last read is copy_from_user(), which zero-fills what it could
 * not copy (trace_uprobe.c probe_mem_read()), and a fault in an earlier
 * dereference returns before anything is stored, leaving what the
 * per-CPU buffer held before (process_fetch_insn_bottom()). So each
 * pointer of the chain is fetched too, as a hidden field, and a read is a
 * fault when its address can never be mapped in a process: below
 * vm.mmap_min_addr (the NULL page and its neighbours) or above the 47-bit
 * user half. A 0 read from any other address is read again from the
 * process (process_vm_readv) and is a fault if that fails. The perf
 * backend's own fetch and the bpf program know their faults and hand them
 * to events_deliver().
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "internal.h"

#define HIDDEN FAULT_HIDDEN_PREFIX /* __sonde_pARG_LEVEL */
/* the task's comm when the probe fired, the last hidden field */
#define HIDDEN_COMM HIDDEN "comm"
#define MAX_TRACE_ARGS 128
/* x86-64 with 4-level page tables: the user half ends below 1 << 47 (a
 * process gets more under 5-level paging only by asking, mmap(2)) */
#define USER_END (1ull << 47)

static uint64_t min_addr(void)
{
	static uint64_t v = 1;
	unsigned long long n;
	FILE *f;

	if (v != 1)
		return v;
	v = 4096; /* the NULL page, whatever the setting */
	f = fopen("/proc/sys/vm/mmap_min_addr", "re");
	if (f && fscanf(f, "%llu", &n) == 1 && n > v)
		v = n;
	if (f)
		fclose(f);
	return v;
}

/* "+OFF(INNER)", "-OFF(INNER)", "+uOFF(INNER)": OFF and INNER's span. */
static bool split_deref(const char *f, size_t len, int64_t *off,
			const char **inner, size_t *ilen)
{
	const char *p = f + 1, *open;
	char *end;
	long long v;

	if (len < 4 || (f[0] != '+' && f[0] != '-') || f[len - 1] != ')')
		return false;
	if (*p == 'u')
		p++;
	open = memchr(p, '(', len - (p - f));
	if (!open)
		return false;
	errno = 0;
	v = strtoll(p, &end, 0);
	if (end != open || errno)
		return false;
	*off = f[0] == '-' ? -v : v;
	*inner = open + 1;
	*ilen = len - (open + 1 - f) - 1;
	return true;
}

/* The chain of arg a: the fetch text of each level's base, innermost
 * first. Returns the number of levels. */
static int chain_of(const char *fetch, const char **base, size_t *blen,
		    int64_t *off)
{
	const char *b[FAULT_MAX_LEVELS], *cur = fetch, *inner;
	size_t bl[FAULT_MAX_LEVELS], len = strlen(fetch), ilen;
	int64_t o[FAULT_MAX_LEVELS];
	int n = 0, i;

	while (n < FAULT_MAX_LEVELS &&
	       split_deref(cur, len, &o[n], &inner, &ilen)) {
		b[n] = inner;
		bl[n++] = ilen;
		cur = inner;
		len = ilen;
	}
	for (i = 0; i < n; i++) { /* outermost first -> innermost first */
		base[i] = b[n - 1 - i];
		blen[i] = bl[n - 1 - i];
		off[i] = o[n - 1 - i];
	}
	return n;
}

static bool is_string_type(const char *t)
{
	return t && (!strcmp(t, "string") || !strcmp(t, "ustring") ||
		     !strcmp(t, "symstr"));
}

/* A string reports a fault of its last read itself: only longer chains
 * need the pointers. */
static int levels_to_check(const struct probe *p, const struct probe_arg *a,
			   const char **base, size_t *blen, int64_t *off)
{
	int n;

	if (!probe_kind_is_user(p->spec.kind) || !a->fetch)
		return 0;
	n = chain_of(a->fetch, base, blen, off);
	if (is_string_type(a->type) && n < 2)
		return 0;
	return n;
}

int fault_hidden_args(const struct probe *p, char **def, size_t *len)
{
	const char *base[FAULT_MAX_LEVELS];
	size_t blen[FAULT_MAX_LEVELS], i;
	int64_t off[FAULT_MAX_LEVELS];
	size_t total = p->spec.nargs;
	int n, j, w;
	char *grown;

	for (i = 0; i < p->spec.nargs; i++) {
		n = levels_to_check(p, &p->spec.args[i], base, blen, off);
		/* the kernel takes at most MAX_TRACE_ARGS (trace_probe.h):
		 * the args after are not checked (fault_setup() stops) */
		if (total + n > MAX_TRACE_ARGS)
			break;
		total += n;
		for (j = 0; j < n; j++) {
			w = snprintf(NULL, 0, " " HIDDEN "%zu_%d=%.*s:x64", i,
				     j, (int)blen[j], base[j]);
			grown = realloc(*def, *len + w + 1);
			if (!grown)
				return -ENOMEM;
			*def = grown;
			snprintf(*def + *len, w + 1,
				 " " HIDDEN "%zu_%d=%.*s:x64", i, j,
				 (int)blen[j], base[j]);
			*len += w;
		}
	}
	/* The comm at the hit ($comm, kprobetrace.rst, uprobetracer.rst):
	 * tracefs records carry only the tid, and /proc or saved_cmdlines,
	 * read later, may give a name the thread took after the hit
	 * (prctl, exec) or an older thread's of the same tid. */
	if (total < MAX_TRACE_ARGS) {
		w = snprintf(NULL, 0, " " HIDDEN_COMM "=$comm");
		grown = realloc(*def, *len + w + 1);
		if (!grown)
			return -ENOMEM;
		*def = grown;
		snprintf(*def + *len, w + 1, " " HIDDEN_COMM "=$comm");
		*len += w;
	}
	return 0;
}

int fault_setup(struct probe *p)
{
	struct event_format *f = &p->fmt;
	const char *base[FAULT_MAX_LEVELS];
	size_t blen[FAULT_MAX_LEVELS], i, vis = f->nfields;
	struct fault_chain *c;
	int n, k;

	for (i = 0; i < f->nfields; i++)
		if (!strncmp(f->fields[i].name, HIDDEN, strlen(HIDDEN))) {
			vis = i;
			break;
		}
	p->nhidden = f->nfields - vis;
	p->comm_field = -1;
	if (p->nhidden) {
		p->hidden = malloc(p->nhidden * sizeof(*p->hidden));
		p->chains = calloc(p->spec.nargs + 1, sizeof(*p->chains));
		if (!p->hidden || !p->chains)
			return -ENOMEM;
		memcpy(p->hidden, f->fields + vis,
		       p->nhidden * sizeof(*p->hidden));
		f->nfields = vis; /* the hidden names are p->hidden's now */
		if (!strcmp(p->hidden[p->nhidden - 1].name, HIDDEN_COMM) &&
		    p->hidden[p->nhidden - 1].type == FT_STRING)
			p->comm_field = (int)p->nhidden - 1;
	}
	for (i = 0, k = 0; p->nhidden && i < p->spec.nargs && i < vis; i++) {
		c = &p->chains[p->nchains];
		n = levels_to_check(p, &p->spec.args[i], base, blen, c->off);
		if (!n)
			continue;
		if ((size_t)(k + n) > p->nhidden)
			break;
		c->field = (int)i;
		c->first = k;
		c->nlev = n;
		c->size =
			f->fields[i].type == FT_STRING ? 0 : f->fields[i].size;
		k += n;
		p->nchains++;
	}
	for (i = 0; i < f->nfields; i++)
		if (f->fields[i].type == FT_STRING && f->fields[i].is_dynamic)
			p->check_faults = true;
	if (p->nchains)
		p->check_faults = true;
	return 0;
}

bool fault_record_comm(const struct probe *p, const uint8_t *rec, size_t len,
		       char *comm, size_t size)
{
	struct field_value v;

	if (p->comm_field < 0 || (size_t)p->comm_field >= p->nhidden ||
	    field_decode(&p->hidden[p->comm_field], rec, len, &v) || !v.len)
		return false;
	snprintf(comm, size, "%.*s", (int)v.len, v.str);
	return true;
}

void fault_free(struct probe *p)
{
	size_t i;

	for (i = 0; i < p->nhidden; i++)
		free(p->hidden[i].name);
	free(p->hidden);
	free(p->chains);
	p->hidden = NULL;
	p->chains = NULL;
	p->nhidden = 0;
	p->nchains = 0;
}

static bool never_mapped(uint64_t addr)
{
	return addr < min_addr() || addr >= USER_END;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	while (n--)
		if (*p++)
			return false;
	return true;
}

/* Read again what the kernel read as 0: a fault if the process cannot
 * give it now; a process that is gone leaves the 0, unchecked. */
static bool reread_faults(int tid, uint64_t addr, size_t n, bool *unchecked)
{
	uint8_t buf[64];
	struct iovec local = {buf, n < sizeof(buf) ? n : sizeof(buf)};
	struct iovec remote = {(void *)(uintptr_t)addr, local.iov_len};

	if (tid > 0 && process_vm_readv(tid, &local, 1, &remote, 1, 0) >= 0)
		return false;
	if (tid > 0 && errno == EFAULT)
		return true;
	*unchecked = true;
	return false;
}

static bool chain_faults(const struct probe *p, const struct fault_chain *c,
			 const uint8_t *rec, size_t len, bool *unchecked)
{
	const struct field_layout *vf = &p->fmt.fields[c->field];
	struct field_value v;
	uint64_t addr = 0;
	int j;

	for (j = 0; j < c->nlev; j++) {
		if (field_decode(&p->hidden[c->first + j], rec, len, &v))
			return false;
		addr = v.u + (uint64_t)c->off[j];
		if (never_mapped(addr))
			return true;
	}
	if (!c->size || vf->offset + vf->size > len ||
	    !all_zero(rec + vf->offset, vf->size))
		return false;
	return reread_faults(record_pid(&p->fmt, rec, len), addr, c->size,
			     unchecked);
}

uint64_t fault_mask(const struct probe *p, const uint8_t *rec, size_t len,
		    uint64_t *unchecked)
{
	const struct event_format *f = &p->fmt;
	struct field_value v;
	uint64_t mask = 0;
	bool unsure;
	size_t i;
	int k;

	for (i = 0; i < f->nfields && i < 64; i++)
		if (f->fields[i].type == FT_STRING && f->fields[i].is_dynamic &&
		    (field_decode(&f->fields[i], rec, len, &v) || !v.u))
			mask |= 1ull << i;
	for (k = 0; k < p->nchains; k++) {
		if (p->chains[k].field >= 64)
			continue;
		unsure = false;
		if (chain_faults(p, &p->chains[k], rec, len, &unsure))
			mask |= 1ull << p->chains[k].field;
		if (unsure)
			*unchecked |= 1ull << p->chains[k].field;
	}
	return mask;
}
