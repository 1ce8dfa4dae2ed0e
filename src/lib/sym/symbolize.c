/* SPDX-License-Identifier: MIT */
/*
 * User addresses -> "func+0x1a (libc.so.6)": the process's mapping from
 * /proc/PID/maps, the file offset, the ELF segment's virtual address, the
 * symbol. Maps are cached per process and re-read when an address falls
 * outside them (new mappings); ELF files are opened once. Mappings can
 * also be fed as they are made (the perf backend's PERF_RECORD_MMAP2), so
 * a process that has exited by the time its stacks are printed is still
 * symbolized: its last known maps are kept when /proc no longer has them.
 * A file is read into memory, never mapped (elf.c), and a file written to
 * after it was read gives bare addresses: a library overwritten in place
 * while it is traced neither crashes the reader nor names frames wrongly.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elf.h"
#include "internal.h"

#define PIDS 64

struct mapping {
	uint64_t start, end, pgoff;
	char *path;
	bool exec; /* code (r-xp): its load bias is the file's */
};

struct pidmaps {
	int pid;
	struct mapping *m;
	size_t n;
	unsigned int gen; /* changes with the maps (symcache_gen()) */
};

struct elfent {
	char *path;
	struct elf_file *ef; /* NULL: could not open, don't retry */
};

struct symcache {
	struct pidmaps pids[PIDS];
	unsigned int next; /* round-robin victim */
	struct elfent *elfs;
	size_t nelfs;
};

static void maps_clear(struct pidmaps *pm)
{
	size_t i;

	for (i = 0; i < pm->n; i++)
		free(pm->m[i].path);
	free(pm->m);
	pm->m = NULL;
	pm->n = 0;
	pm->pid = 0;
}

/* A process that is gone keeps the maps read while it ran. */
static int maps_push(struct pidmaps *pm, size_t *cap, uint64_t start,
		     uint64_t end, uint64_t pgoff, const char *file, bool exec)
{
	struct mapping *grown;
	char *path;

	if (pm->n == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		grown = realloc(pm->m, *cap * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		pm->m = grown;
	}
	path = strdup(file);
	if (!path)
		return -ENOMEM;
	pm->m[pm->n++] = (struct mapping){ start, end, pgoff, path, exec };
	return 0;
}

/* Read /proc/PID/maps into pm; pm is left as it was when that fails (the
 * process is gone or a zombie: what was known of it stays). */
static bool maps_same(const struct pidmaps *a, const struct pidmaps *b)
{
	size_t i;

	if (a->pid != b->pid || a->n != b->n)
		return false;
	for (i = 0; i < a->n; i++)
		if (a->m[i].start != b->m[i].start ||
		    a->m[i].end != b->m[i].end ||
		    a->m[i].pgoff != b->m[i].pgoff ||
		    strcmp(a->m[i].path, b->m[i].path))
			return false;
	return true;
}

static int maps_load(struct pidmaps *pm, int pid)
{
	char path[64], line[4096], file[4096], perms[8];
	struct pidmaps fresh = { .pid = pid };
	uint64_t start, end, pgoff;
	size_t cap = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		file[0] = '\0';
		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %7s %" SCNx64
				 " %*s %*s %4095s",
			   &start, &end, perms, &pgoff, file) < 4 ||
		    file[0] != '/')
			continue;
		if (maps_push(&fresh, &cap, start, end, pgoff, file,
			      perms[2] == 'x'))
			break;
	}
	fclose(f);
	if (!fresh.n) {
		/* a zombie's maps are empty: keep what was known */
		maps_clear(&fresh);
		return -ESRCH;
	}
	/* the same maps read again keep their generation (unwind.c makes
	 * its Dwfl again for a new one) */
	fresh.gen = maps_same(pm, &fresh) ? pm->gen : pm->gen + 1;
	maps_clear(pm);
	*pm = fresh;
	return 0;
}

static const struct mapping *maps_find(const struct pidmaps *pm, uint64_t a)
{
	size_t i;

	for (i = 0; i < pm->n; i++)
		if (a >= pm->m[i].start && a < pm->m[i].end)
			return &pm->m[i];
	return NULL;
}

static struct elf_file *elf_get(struct symcache *sc, const char *path)
{
	struct elfent *grown;
	size_t i;

	for (i = 0; i < sc->nelfs; i++)
		if (!strcmp(sc->elfs[i].path, path))
			return sc->elfs[i].ef;
	grown = realloc(sc->elfs, (sc->nelfs + 1) * sizeof(*grown));
	if (!grown)
		return NULL;
	sc->elfs = grown;
	grown[sc->nelfs].path = strdup(path);
	if (!grown[sc->nelfs].path)
		return NULL;
	grown[sc->nelfs].ef = elf_file_open(path);
	return grown[sc->nelfs++].ef;
}

static struct pidmaps *pid_find(struct symcache *sc, int pid)
{
	unsigned int i;

	for (i = 0; i < PIDS; i++)
		if (sc->pids[i].pid == pid)
			return &sc->pids[i];
	return NULL;
}

static struct pidmaps *pid_get(struct symcache *sc, int pid, uint64_t addr)
{
	struct pidmaps *pm = pid_find(sc, pid);

	if (pm && maps_find(pm, addr))
		return pm;
	if (!pm) {
		pm = &sc->pids[sc->next++ % PIDS];
		maps_clear(pm);
	}
	/* a mapping made since the last read: read again */
	if (maps_load(pm, pid) && !pm->pid)
		return NULL;
	return pm;
}

static int cache_get(struct symcache **scp)
{
	if (!*scp && !(*scp = calloc(1, sizeof(**scp))))
		return -ENOMEM;
	return 0;
}

/* The maps of pid, read from /proc now when it is new to the cache. */
static struct pidmaps *pid_track(struct symcache *sc, int pid)
{
	struct pidmaps *pm = pid_find(sc, pid);

	if (pm)
		return pm;
	pm = &sc->pids[sc->next++ % PIDS];
	maps_clear(pm);
	if (maps_load(pm, pid))
		pm->pid = pid; /* gone or not yet readable: start empty */
	return pm;
}

int symcache_track(struct symcache **scp, int pid)
{
	int err = cache_get(scp);

	if (err)
		return err;
	return pid_track(*scp, pid) ? 0 : -ENOMEM;
}

int symcache_add_map(struct symcache **scp, int pid, uint64_t start,
		     uint64_t len, uint64_t pgoff, const char *path)
{
	struct pidmaps *pm;
	size_t cap, i;
	int err = cache_get(scp);

	if (err)
		return err;
	if (!path || path[0] != '/')
		return 0;
	pm = pid_track(*scp, pid);
	for (i = 0; i < pm->n; i++)
		if (pm->m[i].start == start && pm->m[i].end == start + len &&
		    pm->m[i].pgoff == pgoff && !strcmp(pm->m[i].path, path))
			return 0; /* already read from /proc */
	/* overlapping older mappings are replaced by this one */
	for (i = 0; i < pm->n;) {
		if (pm->m[i].start < start + len && pm->m[i].end > start) {
			free(pm->m[i].path);
			pm->m[i] = pm->m[--pm->n];
		} else {
			i++;
		}
	}
	cap = pm->n; /* a full array grows in maps_push */
	pm->gen++;
	/* PERF_RECORD_MMAP2 without mmap_data: code */
	return maps_push(pm, &cap, start, start + len, pgoff, path, true);
}

static const struct mapping *file_find(const struct pidmaps *pm,
				       const char *path, uint64_t off)
{
	size_t i;

	for (i = 0; i < pm->n; i++)
		if (off >= pm->m[i].pgoff &&
		    off - pm->m[i].pgoff < pm->m[i].end - pm->m[i].start &&
		    !strcmp(pm->m[i].path, path))
			return &pm->m[i];
	return NULL;
}

int symcache_file_addr(struct symcache **scp, int pid, const char *path,
		       uint64_t off, uint64_t *addr)
{
	const struct mapping *m;
	struct pidmaps *pm;
	int err = cache_get(scp);

	*addr = 0;
	if (err)
		return err;
	pm = pid_track(*scp, pid);
	m = file_find(pm, path, off);
	if (!m && maps_load(pm, pid) == 0)
		m = file_find(pm, path, off);
	if (!m)
		return -ENOENT;
	*addr = m->start + off - m->pgoff;
	return 0;
}

int symcache_name(struct symcache **scp, int pid, uint64_t addr, char *buf,
		  size_t len)
{
	const struct mapping *m;
	struct elf_file *ef;
	struct pidmaps *pm;
	struct elf_sym sym;
	const char *base;
	uint64_t vaddr;

	if (cache_get(scp))
		return -ENOMEM;
	pm = pid_get(*scp, pid, addr);
	m = pm ? maps_find(pm, addr) : NULL;
	if (!m)
		return -ENOENT;
	base = strrchr(m->path, '/') + 1;
	ef = elf_get(*scp, m->path);
	/* a file rewritten since it was read: its symbols may not be the
	 * code that ran, so the frame stays a bare address */
	if (!ef || elf_file_changed(ef) ||
	    elf_file_offset_to_vaddr(ef, addr - m->start + m->pgoff, &vaddr,
				     NULL) ||
	    elf_file_addr_to_sym(ef, vaddr, &sym)) {
		snprintf(buf, len, "0x%" PRIx64 " (%s)", addr, base);
		return 0;
	}
	if (sym.dname) /* C++: the demangled name */
		sym.name = sym.dname;
	if (vaddr == sym.addr)
		snprintf(buf, len, "%s (%s)", sym.name, base);
	else
		snprintf(buf, len, "%s+0x%" PRIx64 " (%s)", sym.name,
			 vaddr - sym.addr, base);
	return 0;
}

bool symcache_file_changed(struct symcache **scp, const char *path)
{
	struct elf_file *ef;

	if (cache_get(scp))
		return true;
	ef = elf_get(*scp, path);
	return !ef || elf_file_changed(ef);
}

int symcache_gen(struct symcache **scp, int pid, uint64_t addr,
		 unsigned int *gen)
{
	struct pidmaps *pm;

	if (cache_get(scp))
		return -ENOMEM;
	pm = pid_get(*scp, pid, addr);
	if (!pm)
		return -ESRCH;
	*gen = pm->gen;
	return 0;
}

int symcache_each_file(struct symcache **scp, int pid,
		       int (*cb)(const char *path, uint64_t bias, void *ctx),
		       void *ctx)
{
	struct pidmaps *pm;
	struct elf_file *ef;
	uint64_t vaddr, *bias;
	size_t i, j;
	int err = 0;

	if (cache_get(scp))
		return -ENOMEM;
	pm = pid_find(*scp, pid);
	bias = calloc(pm && pm->n ? pm->n : 1, sizeof(*bias));
	if (!bias)
		return -ENOMEM;
	/* each time a file's code is mapped at a bias of its own (a library
	 * mapped again, maps from before an exec still known); a data page
	 * can be two segments' (RELRO), its offset no one vaddr */
	for (i = 0; pm && !err && i < pm->n; i++) {
		bias[i] = 1; /* never a bias: pages are aligned */
		if (!pm->m[i].exec)
			continue;
		ef = elf_get(*scp, pm->m[i].path);
		/* a file rewritten since: its CFI may not be the code's */
		if (!ef || elf_file_changed(ef) ||
		    elf_file_offset_to_vaddr(ef, pm->m[i].pgoff, &vaddr, NULL))
			continue;
		bias[i] = pm->m[i].start - vaddr;
		for (j = 0; j < i; j++)
			if (bias[j] == bias[i] &&
			    !strcmp(pm->m[j].path, pm->m[i].path))
				break;
		if (j == i)
			err = cb(pm->m[i].path, bias[i], ctx);
	}
	free(bias);
	return err;
}

void symcache_free(struct symcache *sc)
{
	size_t i;

	if (!sc)
		return;
	for (i = 0; i < PIDS; i++)
		maps_clear(&sc->pids[i]);
	for (i = 0; i < sc->nelfs; i++) {
		free(sc->elfs[i].path);
		elf_file_close(sc->elfs[i].ef);
	}
	free(sc->elfs);
	free(sc);
}

/* Read a process's maps while it runs, so its frames can be named after
 * it exits (sonde -c: the command often ends before its events are
 * printed). */
void symcache_prime(struct symcache **scp, int pid)
{
	if (!*scp && !(*scp = calloc(1, sizeof(**scp))))
		return;
	pid_get(*scp, pid, 0);
}
