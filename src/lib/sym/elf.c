/* SPDX-License-Identifier: MIT */
/*
 * ELF function symbols and vaddr -> file offset (libelf).
 *
 * The symbol index is built once per file, on first use: every defined
 * STT_FUNC/STT_GNU_IFUNC of .symtab and .dynsym, sorted by name (lookups,
 * listing, suggestions) and by address (symbolization). Names are kept bare
 * ("malloc"); the version, from a "name@@VER" .symtab entry or from
 * .gnu.version/.gnu.version_d for .dynsym, is kept aside.
 * Malformed input is rejected with -ENOEXEC, never trusted: every count and
 * offset goes through libelf's bounds-checked accessors.
 * A file without .symtab (stripped) takes its .symtab from its separate
 * debug file (debuginfo.c); segments and offsets always come from the file
 * itself. C++ names are demangled once, into the index, for matching and
 * output.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "debuginfo.h"
#include "demangle.h"
#include "elf.h"
#include "elf_scn.h"

struct fsym {
	const char *name; /* bare name */
	const char *ver;  /* version name or NULL */
	const char *dname; /* demangled (C++), or NULL */
	uint64_t addr, size;
	unsigned int pref; /* lower is preferred among equal names/addrs */
	bool ifunc;	   /* STT_GNU_IFUNC: the address is the resolver's */
};

struct seg {
	uint64_t vaddr, filesz, off;
	bool exec;
};

struct elf_file {
	int fd;
	char *path;
	Elf *elf;
	bool dyn;
	uint64_t file_size;
	struct timespec mtime, ctime; /* as opened, to see it change */
	struct seg *segs;
	size_t nsegs;
	int index_err;	   /* 0 until built, 1 built, or -errno */
	struct fsym *syms; /* sorted by name, then address */
	size_t nsyms, cap;
	struct fsym **byaddr;
	char **owned; /* bare names cut from "name@VER", demangled names */
	size_t nowned, owned_cap;
	char *debug_dirs; /* NULL: the default */
	struct debug_file *dbg;
	char note[512]; /* what the debug file search found or refused */
};

/* pref bits: a hidden (non-default) version loses to the default one, a
 * reserved "_name" to a plain alias, a local to a global, .dynsym to
 * .symtab. */
#define PREF_HIDDEN 8u
#define PREF_UNDERSCORE 4u
#define PREF_LOCAL 2u
#define PREF_DYNSYM 1u

/* .gnu.version index bit: this version is not the default (elf.h) */
#define VERSYM_HIDDEN 0x8000u
#define VERSYM_INDEX 0x7fffu

static int load_segments(struct elf_file *ef)
{
	size_t i, n;
	GElf_Phdr ph;

	if (elf_getphdrnum(ef->elf, &n) || n == 0 || n > 65535)
		return -ENOEXEC;
	ef->segs = calloc(n, sizeof(*ef->segs));
	if (!ef->segs)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		if (!gelf_getphdr(ef->elf, (int)i, &ph))
			return -ENOEXEC;
		if (ph.p_type != PT_LOAD || !ph.p_filesz)
			continue;
		/* a segment whose addresses or file bytes wrap past 2^64: no
		 * loader maps it (binfmt_elf.c refuses past TASK_SIZE), and
		 * it would cover every other segment's addresses: a file
		 * sonde cannot translate with certainty */
		if (ph.p_vaddr + ph.p_filesz < ph.p_vaddr ||
		    ph.p_offset + ph.p_filesz < ph.p_offset)
			return -ENOEXEC;
		ef->segs[ef->nsegs++] = (struct seg){
			.vaddr = ph.p_vaddr,
			.filesz = ph.p_filesz,
			.off = ph.p_offset,
			.exec = ph.p_flags & PF_X,
		};
	}
	return ef->nsegs ? 0 : -ENOEXEC;
}

struct elf_file *elf_file_open(const char *path)
{
	struct elf_file *ef;
	GElf_Ehdr eh;
	struct stat st;
	int err = -ENOEXEC;

	ef = calloc(1, sizeof(*ef));
	if (!ef) {
		errno = ENOMEM;
		return NULL;
	}
	ef->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (ef->fd < 0) {
		err = -errno;
		goto err_free;
	}
	ef->path = strdup(path);
	if (fstat(ef->fd, &st) || !S_ISREG(st.st_mode))
		goto err_close;
	ef->file_size = (uint64_t)st.st_size;
	ef->mtime = st.st_mtim;
	ef->ctime = st.st_ctim;
	elf_version(EV_CURRENT);
	/* read into owned memory, never mapped: a file rewritten in place
	 * while we hold it (a library being rebuilt) would turn reads of
	 * a mapping past its new end into SIGBUS */
	ef->elf = elf_begin(ef->fd, ELF_C_READ, NULL);
	if (!ef->elf || elf_kind(ef->elf) != ELF_K_ELF ||
	    !gelf_getehdr(ef->elf, &eh))
		goto err_end;
	if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN)
		goto err_end;
	ef->dyn = eh.e_type == ET_DYN;
	err = load_segments(ef);
	if (err)
		goto err_end;
	return ef;

err_end:
	free(ef->segs);
	elf_end(ef->elf);
err_close:
	close(ef->fd);
err_free:
	free(ef->path);
	free(ef);
	errno = -err;
	return NULL;
}

bool elf_file_changed(const struct elf_file *ef)
{
	struct stat st;

	return fstat(ef->fd, &st) || (uint64_t)st.st_size != ef->file_size ||
	       st.st_mtim.tv_sec != ef->mtime.tv_sec ||
	       st.st_mtim.tv_nsec != ef->mtime.tv_nsec ||
	       st.st_ctim.tv_sec != ef->ctime.tv_sec ||
	       st.st_ctim.tv_nsec != ef->ctime.tv_nsec;
}

void elf_file_close(struct elf_file *ef)
{
	size_t i;

	if (!ef)
		return;
	for (i = 0; i < ef->nowned; i++)
		free(ef->owned[i]);
	free(ef->owned);
	free(ef->byaddr);
	free(ef->syms);
	free(ef->segs);
	debuginfo_close(ef->dbg);
	free(ef->debug_dirs);
	free(ef->path);
	elf_end(ef->elf);
	close(ef->fd);
	free(ef);
}

int elf_file_set_debug_dirs(struct elf_file *ef, const char *dirs)
{
	char *d = NULL;

	if (ef->index_err)
		return -EBUSY;
	if (dirs && *dirs && !(d = strdup(dirs)))
		return -ENOMEM;
	free(ef->debug_dirs);
	ef->debug_dirs = d;
	return 0;
}

const char *elf_file_debug_note(struct elf_file *ef)
{
	return ef->note;
}

int elf_file_is_dyn(const struct elf_file *ef)
{
	return ef->dyn;
}

int elf_file_vaddr_to_offset(const struct elf_file *ef, uint64_t vaddr,
			     uint64_t *off)
{
	int pass;
	size_t i;

	/* Text can sit in two segments' ranges in odd layouts: the executable
	 * one is where the instruction really is. */
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < ef->nsegs; i++) {
			const struct seg *s = &ef->segs[i];
			uint64_t o;

			if (s->exec != (pass == 0) || vaddr < s->vaddr ||
			    vaddr - s->vaddr >= s->filesz)
				continue;
			o = s->off + (vaddr - s->vaddr);
			if (o < s->off || o >= ef->file_size)
				return -ERANGE;
			*off = o;
			return 0;
		}
	}
	return -ERANGE;
}

int elf_file_offset_to_vaddr(const struct elf_file *ef, uint64_t off,
			     uint64_t *vaddr, bool *exec)
{
	size_t i;

	for (i = 0; i < ef->nsegs; i++) {
		const struct seg *s = &ef->segs[i];

		if (off < s->off || off - s->off >= s->filesz)
			continue;
		*vaddr = s->vaddr + (off - s->off);
		if (exec)
			*exec = s->exec;
		return 0;
	}
	return -ERANGE;
}

int elf_file_segment(const struct elf_file *ef, size_t i,
		     struct elf_segment *seg)
{
	if (i >= ef->nsegs)
		return -ERANGE;
	*seg = (struct elf_segment){.vaddr = ef->segs[i].vaddr,
				    .size = ef->segs[i].filesz,
				    .off = ef->segs[i].off,
				    .exec = ef->segs[i].exec};
	return 0;
}

/* ---- the symbol index ---- */

struct verdefs {
	const char **name; /* by version index */
	size_t n;
};

/* Version index -> name from SHT_GNU_verdef (the versions this file
 * defines); indices 0 and 1 are local and global, unnamed. */
static int load_verdefs(Elf *elf, Elf_Scn *scn, const GElf_Shdr *sh,
			struct verdefs *vd)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	size_t off = 0, i;

	if (!data || sh->sh_info > 65535)
		return 0;
	vd->name = calloc(VERSYM_INDEX + 1, sizeof(*vd->name));
	if (!vd->name)
		return -ENOMEM;
	vd->n = VERSYM_INDEX + 1;
	for (i = 0; i < sh->sh_info; i++) {
		GElf_Verdef def;
		GElf_Verdaux aux;

		if (!gelf_getverdef(data, (int)off, &def) ||
		    off + def.vd_aux < off ||
		    !gelf_getverdaux(data, (int)(off + def.vd_aux), &aux))
			break;
		if (!(def.vd_flags & VER_FLG_BASE))
			vd->name[def.vd_ndx & VERSYM_INDEX] =
				elf_strptr(elf, sh->sh_link, aux.vda_name);
		if (!def.vd_next || off + def.vd_next > data->d_size)
			break;
		off += def.vd_next;
	}
	return 0;
}

static int push(struct elf_file *ef, const struct fsym *fs)
{
	struct fsym *nv;
	size_t cap;

	if (ef->nsyms == ef->cap) {
		cap = ef->cap ? ef->cap * 2 : 256;
		nv = realloc(ef->syms, cap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		ef->syms = nv;
		ef->cap = cap;
	}
	ef->syms[ef->nsyms++] = *fs;
	return 0;
}

/* Keep str (malloc'd) for the life of ef; frees it on failure. */
static int own(struct elf_file *ef, char *str)
{
	char **nv;
	size_t cap;

	if (!str)
		return -ENOMEM;
	if (ef->nowned == ef->owned_cap) {
		cap = ef->owned_cap ? ef->owned_cap * 2 : 64;
		nv = realloc(ef->owned, cap * sizeof(*nv));
		if (!nv) {
			free(str);
			return -ENOMEM;
		}
		ef->owned = nv;
		ef->owned_cap = cap;
	}
	ef->owned[ef->nowned++] = str;
	return 0;
}

/* "name@VER" / "name@@VER" as .symtab spells versioned symbols. */
static int split_version(struct elf_file *ef, struct fsym *fs)
{
	const char *at = strchr(fs->name, '@');
	char *bare;

	if (!at || at == fs->name)
		return 0;
	bare = strndup(fs->name, (size_t)(at - fs->name));
	if (own(ef, bare))
		return -ENOMEM;
	if (at[1] == '@')
		at++;
	else
		fs->pref |= PREF_HIDDEN;
	fs->ver = at + 1;
	fs->name = bare;
	return 0;
}

static int load_table(struct elf_file *ef, Elf *elf, Elf_Scn *scn,
		      const GElf_Shdr *sh, Elf_Data *versym,
		      const struct verdefs *vd)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	size_t symsz = gelf_fsize(elf, ELF_T_SYM, 1, EV_CURRENT);
	size_t i, n;
	int err;

	if (!data || !symsz)
		return 0;
	n = data->d_size / symsz;
	for (i = 1; i < n; i++) {
		struct fsym fs = {0};
		GElf_Versym ver;
		GElf_Sym s;
		int type;

		if (!gelf_getsym(data, (int)i, &s))
			break;
		type = GELF_ST_TYPE(s.st_info);
		if ((type != STT_FUNC && type != STT_GNU_IFUNC) ||
		    s.st_shndx == SHN_UNDEF || s.st_shndx == SHN_ABS ||
		    !s.st_value)
			continue;
		fs.name = elf_strptr(elf, sh->sh_link, s.st_name);
		if (!fs.name || !*fs.name)
			continue;
		fs.addr = s.st_value;
		fs.size = s.st_size;
		fs.ifunc = type == STT_GNU_IFUNC;
		if (sh->sh_type == SHT_DYNSYM)
			fs.pref |= PREF_DYNSYM;
		if (GELF_ST_BIND(s.st_info) == STB_LOCAL)
			fs.pref |= PREF_LOCAL;
		if (fs.name[0] == '_')
			fs.pref |= PREF_UNDERSCORE;
		if (versym && gelf_getversym(versym, (int)i, &ver)) {
			if (ver & VERSYM_HIDDEN)
				fs.pref |= PREF_HIDDEN;
			if (vd->name && (ver & VERSYM_INDEX) < vd->n)
				fs.ver = vd->name[ver & VERSYM_INDEX];
		} else {
			err = split_version(ef, &fs);
			if (err)
				return err;
		}
		if (demangle_is_mangled(fs.name)) {
			char *d = demangle(fs.name);

			if (d && own(ef, d))
				return -ENOMEM;
			fs.dname = d;
		}
		err = push(ef, &fs);
		if (err)
			return err;
	}
	return 0;
}

static int cmp_name(const void *a, const void *b)
{
	const struct fsym *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c)
		return c;
	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return (int)x->pref - (int)y->pref;
}

static int cmp_addr(const void *a, const void *b)
{
	const struct fsym *x = *(struct fsym *const *)a;
	const struct fsym *y = *(struct fsym *const *)b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	if (x->pref != y->pref)
		return (int)x->pref - (int)y->pref;
	return strcmp(x->name, y->name);
}

static Elf_Scn *symtab_of(Elf *elf, GElf_Shdr *sh)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(elf, scn)))
		if (gelf_getshdr(scn, sh) && sh->sh_type == SHT_SYMTAB)
			return scn;
	return NULL;
}

/* A stripped file's .symtab lives in its debug file: take it from there
 * (same link, so the same addresses). */
static int load_debug_symtab(struct elf_file *ef)
{
	Elf_Scn *scn;
	GElf_Shdr sh;
	char path[64];
	int err;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", ef->fd);
	err = debuginfo_open(ef->elf, ef->path ? ef->path : path,
			     ef->debug_dirs, &ef->dbg, ef->note,
			     sizeof(ef->note));
	if (err)
		return err == -ENOENT ? 0 : err;
	scn = symtab_of(ef->dbg->elf, &sh);
	return scn ? load_table(ef, ef->dbg->elf, scn, &sh, NULL, NULL) : 0;
}

static int build_index(struct elf_file *ef)
{
	struct verdefs vd = {0};
	Elf_Data *versym = NULL;
	Elf_Scn *scn = NULL, *dynsym = NULL;
	GElf_Shdr sh, dynsh;
	size_t i, pass;
	bool symtab = false;
	int err = 0;

	/* .gnu.version and .gnu.version_d describe .dynsym only */
	while ((scn = elf_nextscn(ef->elf, scn))) {
		if (!gelf_getshdr(scn, &sh))
			return -ENOEXEC;
		if (sh.sh_type == SHT_GNU_versym)
			versym = elf_getdata(scn, NULL);
		else if (sh.sh_type == SHT_GNU_verdef && !vd.name)
			err = load_verdefs(ef->elf, scn, &sh, &vd);
		else if (sh.sh_type == SHT_DYNSYM && !dynsym) {
			dynsym = scn;
			dynsh = sh;
		}
		if (err)
			goto out;
	}
	for (pass = 0; pass < 2 && !err; pass++) {
		scn = pass == 0 ? symtab_of(ef->elf, &sh) : dynsym;
		if (pass == 1)
			sh = dynsh;
		if (pass == 0)
			symtab = scn != NULL;
		if (scn)
			err = load_table(ef, ef->elf, scn, &sh,
					 pass ? versym : NULL, &vd);
	}
	if (!err && !symtab)
		err = load_debug_symtab(ef);
	if (err)
		goto out;
	if (ef->nsyms)
		qsort(ef->syms, ef->nsyms, sizeof(*ef->syms), cmp_name);
	ef->byaddr = malloc((ef->nsyms + 1) * sizeof(*ef->byaddr));
	if (!ef->byaddr) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < ef->nsyms; i++)
		ef->byaddr[i] = &ef->syms[i];
	if (ef->nsyms)
		qsort(ef->byaddr, ef->nsyms, sizeof(*ef->byaddr), cmp_addr);
out:
	free(vd.name);
	return err;
}

static int ensure_index(struct elf_file *ef)
{
	if (!ef->index_err)
		ef->index_err = build_index(ef) ?: 1;
	return ef->index_err < 0 ? ef->index_err : 0;
}

static void to_sym(const struct fsym *fs, struct elf_sym *sym)
{
	sym->name = fs->name;
	sym->addr = fs->addr;
	sym->size = fs->size;
	sym->ifunc = fs->ifunc;
	sym->dname = fs->dname;
}

/* strcmp of a symbol's name against the first len bytes of key */
static int cmp_key(const char *name, const char *key, size_t len)
{
	int c = strncmp(name, key, len);

	return c ? c : (name[len] != '\0');
}

/* A C++ function by its demangled name, whole ("ns::f(int)") or without
 * the parameters ("ns::f") when that names one function. */
static int find_demangled(struct elf_file *ef, const char *name,
			  struct elf_sym *sym)
{
	const struct fsym *best = NULL;
	size_t i, len = strlen(name);
	bool ambiguous = false;

	for (i = 0; i < ef->nsyms; i++) {
		const struct fsym *fs = &ef->syms[i];

		if (!fs->dname || strncmp(fs->dname, name, len) ||
		    (fs->dname[len] &&
		     demangle_base_len(fs->dname) != len))
			continue;
		if (!fs->dname[len]) { /* the whole signature: exact */
			best = fs;
			ambiguous = false;
			break;
		}
		if (best && best->addr != fs->addr)
			ambiguous = true;
		if (!best || fs->pref < best->pref)
			best = fs;
	}
	if (!best)
		return -ENOENT;
	if (ambiguous)
		return -EEXIST;
	to_sym(best, sym);
	return 0;
}

int elf_file_find(struct elf_file *ef, const char *name, struct elf_sym *sym)
{
	const char *at = strchr(name, '@'), *want_ver = NULL;
	size_t len = at ? (size_t)(at - name) : strlen(name);
	size_t lo = 0, hi, i;
	const struct fsym *best = NULL;
	bool want_default = false;
	int err = ensure_index(ef);

	if (err)
		return err;
	if (at) {
		want_default = at[1] == '@';
		want_ver = at + 1 + want_default;
	}
	hi = ef->nsyms;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cmp_key(ef->syms[mid].name, name, len) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (i = lo; i < ef->nsyms && !cmp_key(ef->syms[i].name, name, len);
	     i++) {
		const struct fsym *fs = &ef->syms[i];

		if (want_ver && (!fs->ver || strcmp(fs->ver, want_ver)))
			continue;
		if (want_default && (fs->pref & PREF_HIDDEN))
			continue;
		if (!best || fs->pref < best->pref)
			best = fs;
	}
	if (!best && !at)
		return find_demangled(ef, name, sym);
	if (!best)
		return -ENOENT;
	to_sym(best, sym);
	return 0;
}

int elf_file_for_each_func(struct elf_file *ef,
			   int (*cb)(const struct elf_sym *sym, void *ctx),
			   void *ctx)
{
	struct elf_sym sym;
	size_t i;
	int err = ensure_index(ef);

	if (err)
		return err;
	for (i = 0; i < ef->nsyms; i++) {
		const struct fsym *fs = &ef->syms[i];

		/* .symtab and .dynsym both list most globals */
		if (i && fs->addr == fs[-1].addr &&
		    !strcmp(fs->name, fs[-1].name))
			continue;
		to_sym(fs, &sym);
		err = cb(&sym, ctx);
		if (err)
			return err;
	}
	return 0;
}

static const struct seg *seg_of(const struct elf_file *ef, uint64_t vaddr)
{
	size_t i;

	for (i = 0; i < ef->nsegs; i++)
		if (vaddr >= ef->segs[i].vaddr &&
		    vaddr - ef->segs[i].vaddr < ef->segs[i].filesz)
			return &ef->segs[i];
	return NULL;
}

/* The best symbol of the address group byaddr[first..last] that covers
 * vaddr: sized and containing it, or (unsized_ok) unsized. */
static const struct fsym *group_pick(struct elf_file *ef, size_t first,
				     size_t last, uint64_t vaddr,
				     bool unsized_ok)
{
	const struct fsym *unsized = NULL;
	size_t i;

	for (i = first; i <= last; i++) {
		const struct fsym *fs = ef->byaddr[i];

		if (fs->size && vaddr - fs->addr < fs->size)
			return fs;
		if (!fs->size && !unsized)
			unsized = fs;
	}
	/* ... but not past the end of its segment */
	if (!unsized_ok || !unsized || !seg_of(ef, vaddr) ||
	    seg_of(ef, unsized->addr) != seg_of(ef, vaddr))
		return NULL;
	return unsized;
}

int elf_file_addr_to_sym(struct elf_file *ef, uint64_t vaddr,
			 struct elf_sym *sym)
{
	const struct fsym *fs;
	size_t lo = 0, hi, first, groups;
	int err = ensure_index(ef);

	if (err)
		return err;
	hi = ef->nsyms;
	/* lo = number of symbols that start at or below vaddr */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ef->byaddr[mid]->addr <= vaddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* Walk back a few address groups: a sized function can contain a
	 * smaller or unsized symbol (an assembler label typed as a function).
	 * An unsized symbol owns the bytes up to the next symbol. */
	for (groups = 0; lo > 0 && groups < 8; groups++) {
		first = lo - 1;
		while (first > 0 &&
		       ef->byaddr[first - 1]->addr == ef->byaddr[lo - 1]->addr)
			first--;
		fs = group_pick(ef, first, lo - 1, vaddr, groups == 0);
		if (fs) {
			to_sym(fs, sym);
			return 0;
		}
		lo = first;
	}
	return -ENOENT;
}

Elf_Scn *elf_section_named(Elf *elf, const char *want, GElf_Shdr *sh)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	const char *name;

	if (elf_getshdrstrndx(elf, &shstrndx))
		return NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, sh))
			continue;
		name = elf_strptr(elf, shstrndx, sh->sh_name);
		if (name && !strcmp(name, want))
			return scn;
	}
	return NULL;
}
