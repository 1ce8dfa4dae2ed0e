/* SPDX-License-Identifier: MIT */
/*
 * From a parsed spec to what the kernel needs: a uprobe's file and offset
 * (target, ELF symbol, instruction checks, DWARF and USDT arguments) and a
 * kprobe's function, checked against kallsyms and the blacklist. Memory
 * and files only: nothing here touches the kernel's tracing state.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "sym/dwarf.h"
#include "sym/elf.h"
#include "insn_boundary.h"
#include "internal.h"
#include "sym/ksym.h"
#include "target.h"
#include "sym/usdt.h"

/* x86 uprobes refuse an instruction with a lock prefix
 * (arch/x86/kernel/uprobes.c is_prefix_bad()): say so before the kernel
 * fails to enable the probe. */
int check_insn(struct sonde_session *s, struct probe *p)
{
#if defined(__x86_64__)
	unsigned char b[15];
	ssize_t n, i;
	int fd;

	fd = open(p->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = pread(fd, b, sizeof(b), p->offset);
	close(fd);
	for (i = 0; i < n; i++) {
		switch (b[i]) {
		case 0xf0:
			return set_err(s, EINVAL, p->spec.symbol_col,
				       "the instruction at %s:0x%llx has a lock prefix, which x86 uprobes cannot probe: pick the next instruction (+OFF)",
				       p->path, (unsigned long long)p->offset);
		case 0x26: case 0x2e: case 0x36: case 0x3e: case 0x64:
		case 0x65: case 0x66: case 0x67: case 0xf2: case 0xf3:
			continue; /* legacy prefixes: look further */
		default:
			return 0;
		}
	}
#endif
	return 0;
}

/* The ELF files of the session's targets, opened once: a glob or a
 * program adding thousands of probes to one file must not reopen and
 * re-index it for each. Closed with the session. */
static struct elf_file *elf_cached(struct sonde_session *s, const char *path)
{
	struct elf_cache *c;
	struct stat st;

	for (c = s->elfs; c; c = c->next)
		if (!strcmp(c->path, path))
			return c->ef;
	c = calloc(1, sizeof(*c) + strlen(path) + 1);
	if (!c)
		return NULL;
	c->ef = elf_file_open(path);
	if (!c->ef) {
		int err = errno;

		free(c);
		errno = err;
		return NULL;
	}
	strcpy(c->path, path);
	if (!stat(path, &st))
		slog(s, SONDE_LOG_INFO, "probing %s (device %02x:%02x, inode %llu)",
		     path, major(st.st_dev), minor(st.st_dev),
		     (unsigned long long)st.st_ino);
	c->next = s->elfs;
	s->elfs = c;
	return c->ef;
}

int resolve_uprobe(struct sonde_session *s, struct probe *p)
{
	const struct probe_spec *sp = &p->spec;
	struct lib_error te = LIB_ERROR_INIT(512);
	char path[4096], msg[512];
	struct elf_file *ef;
	struct elf_sym sym;
	const char *near[5];
	int err, n, i;

	/* p->path: already resolved (an empty target's object) */
	err = p->path ? 0
		      : target_resolve(sp->target, s->opts.pid, path,
				       sizeof(path), &te);
	if (err)
		return set_err(s, err, sp->target_col, "%s", te.msg);
	if (p->path)
		snprintf(path, sizeof(path), "%s", p->path);
	/* bytes uprobe_events misreads: refused by the tracefs writers
	 * (definition_check.c); the PMU and uprobe_multi take any path */
	if (!p->path)
		p->path = strdup(path);
	ef = elf_cached(s, path);
	if (!ef)
		return set_err(s, errno == ENOEXEC ? EINVAL : errno,
			       sp->target_col, "%s is not an ELF file%s%s",
			       path, errno == ENOEXEC ? "" : ": ",
			       errno == ENOEXEC ? "" : strerror(errno));
	elf_file_set_debug_dirs(ef, s->opts.debug_dir);
	if (sp->usdt) {
		err = usdt_resolve_probe(s, p);
		goto out;
	}
	if (sp->has_addr && sp->addr_is_offset) {
		p->offset = sp->addr;
		goto out;
	}
	if (sp->has_addr) {
		err = elf_file_vaddr_to_offset(ef, sp->addr, &p->offset);
		if (err)
			err = check_exec_segment(s, p, ef, false);
		goto out;
	}
	err = elf_file_find(ef, sp->symbol, &sym);
	if (*elf_file_debug_note(ef))
		slog(s, SONDE_LOG_INFO, "%s", elf_file_debug_note(ef));
	if (err == -EEXIST) {
		err = set_err(s, EEXIST, sp->symbol_col,
			      "'%s' names several overloads in %s: give the parameters ('%s(int)') or a glob ('%s*')",
			      sp->symbol, path, sp->symbol, sp->symbol);
		goto out;
	}
	if (err) {
		n = elf_file_suggest(ef, sp->symbol, near, 5);
		msg[0] = '\0';
		for (i = 0; i < n; i++)
			snprintf(msg + strlen(msg), sizeof(msg) - strlen(msg),
				 "%s%s", i ? ", " : "; closest: ", near[i]);
		if (*elf_file_debug_note(ef))
			snprintf(msg + strlen(msg), sizeof(msg) - strlen(msg),
				 " (%s)", elf_file_debug_note(ef));
		err = set_err(s, ENOENT, sp->symbol_col,
			      "no function '%s' in %s%s", sp->symbol, path,
			      msg);
		goto out;
	}
	if (sp->offset && sym.size && sp->offset >= sym.size) {
		err = set_err(s, ERANGE, sp->symbol_col,
			      "offset +0x%llx is beyond %s, which is 0x%llx bytes long",
			      (unsigned long long)sp->offset, sp->symbol,
			      (unsigned long long)sym.size);
		goto out;
	}
	if (sym.ifunc)
		slog(s, SONDE_LOG_WARN,
		     "%s in %s is an IFUNC: the probe is on its resolver, which runs once when the library loads; probe the implementation the resolver picks (sonde list 'u:%s:*%s*')",
		     sp->symbol, path, sp->target, sp->symbol);
	p->sym_vaddr = sym.addr;
	p->sym_size = sym.size;
	err = elf_file_vaddr_to_offset(ef, sym.addr + sp->offset, &p->offset);
	if (err)
		set_err(s, EINVAL, sp->symbol_col,
			"%s is not in a loaded segment of %s", sp->symbol,
			path);
out:
	/* DWARF names need the probe's address: resolved now */
	if (!err && spec_has_deferred(&p->spec))
		err = dwarf_resolve_probe(s, p, ef);
	if (!err)
		err = check_exec_segment(s, p, ef, true);
	if (!err && (sp->has_addr || sp->offset))
		err = check_exec_section(s, p);
	if (!err)
		err = check_boundary(s, p, ef);
	return err ? err : check_insn(s, p);
}

int resolve_uprobe_args(struct sonde_session *s, struct probe *p)
{
	struct elf_file *ef;

	if (!spec_has_deferred(&p->spec))
		return 0;
	ef = elf_cached(s, p->path);
	if (!ef)
		return set_err(s, errno == ENOEXEC ? EINVAL : errno,
			       p->spec.target_col, "%s is not an ELF file",
			       p->path);
	elf_file_set_debug_dirs(ef, s->opts.debug_dir);
	return dwarf_resolve_probe(s, p, ef);
}

/* Refuse what the kernel would refuse, with a sentence that helps: unknown
 * function (closest names), blacklisted, data or init symbol. When kallsyms
 * cannot be read the kernel decides. */
int resolve_kprobe(struct sonde_session *s, struct probe *p)
{
	char msg[512] = "";
	int err;

	err = tfs_has("kprobe_events");
	if (err && err != -ENODEV)
		return tfs_no_file(s, p->spec.target_col, "kprobe_events", err);
	if (!p->spec.symbol)
		return 0;
	err = ksym_check_probe(p->spec.target, p->spec.symbol, p->spec.offset,
			       msg, sizeof(msg));
	if (err == -ENOENT || err == -EPERM || err == -EINVAL)
		return set_err(s, EINVAL, p->spec.symbol_col, "%s", msg);
	if (err < 0)
		slog(s, SONDE_LOG_DEBUG, "%s", msg);
	else if (msg[0])
		slog(s, SONDE_LOG_INFO, "%s", msg);
	return 0;
}
