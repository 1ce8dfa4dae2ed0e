/* SPDX-License-Identifier: MIT */
/*
 * User addresses -> "func+0x1a (libc.so.6)": the process's mapping from
 * /proc/PID/maps, the file offset, the ELF segment's virtual address, the
 * symbol. Maps are cached per process and re-read when an address falls
 * outside them (new mappings); ELF files are opened once.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elf.h"
#include "internal.h"

#define PIDS 8

struct mapping {
	uint64_t start, end, pgoff;
	char *path;
};

struct pidmaps {
	int pid;
	struct mapping *m;
	size_t n;
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
static int maps_load(struct pidmaps *pm, int pid)
{
	char path[64], line[4096], file[4096];
	struct mapping m, *grown;
	size_t cap = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "re");
	if (!f)
		return pm->pid == pid ? 0 : -errno;
	maps_clear(pm);
	pm->pid = pid;
	while (fgets(line, sizeof(line), f)) {
		file[0] = '\0';
		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %*s %" SCNx64
				 " %*s %*s %4095s",
			   &m.start, &m.end, &m.pgoff, file) < 3 ||
		    file[0] != '/')
			continue;
		if (pm->n == cap) {
			cap = cap ? cap * 2 : 64;
			grown = realloc(pm->m, cap * sizeof(*grown));
			if (!grown)
				break;
			pm->m = grown;
		}
		m.path = strdup(file);
		if (!m.path)
			break;
		pm->m[pm->n++] = m;
	}
	fclose(f);
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

static struct pidmaps *pid_get(struct symcache *sc, int pid, uint64_t addr)
{
	struct pidmaps *pm = NULL;
	unsigned int i;

	for (i = 0; i < PIDS; i++)
		if (sc->pids[i].pid == pid)
			pm = &sc->pids[i];
	if (pm && maps_find(pm, addr))
		return pm;
	if (!pm)
		pm = &sc->pids[sc->next++ % PIDS];
	/* a mapping made since the last read: read again */
	return maps_load(pm, pid) ? NULL : pm;
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

	if (!*scp && !(*scp = calloc(1, sizeof(**scp))))
		return -ENOMEM;
	pm = pid_get(*scp, pid, addr);
	m = pm ? maps_find(pm, addr) : NULL;
	if (!m)
		return -ENOENT;
	base = strrchr(m->path, '/') + 1;
	ef = elf_get(*scp, m->path);
	if (!ef ||
	    elf_file_offset_to_vaddr(ef, addr - m->start + m->pgoff, &vaddr,
				     NULL) ||
	    elf_file_addr_to_sym(ef, vaddr, &sym)) {
		snprintf(buf, len, "0x%" PRIx64 " (%s)", addr, base);
		return 0;
	}
	if (vaddr == sym.addr)
		snprintf(buf, len, "%s (%s)", sym.name, base);
	else
		snprintf(buf, len, "%s+0x%" PRIx64 " (%s)", sym.name,
			 vaddr - sym.addr, base);
	return 0;
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
