/* SPDX-License-Identifier: MIT */
/*
 * USDT probes from .note.stapsdt (SystemTap's "UserSpaceProbeImplementation"
 * note format, also what <sys/sdt.h> emits): owner "stapsdt", type 3, a
 * descriptor of three addresses (pc, .stapsdt.base as linked, semaphore)
 * then "provider\0name\0args\0". Arguments are x86-64 operands in AT&T
 * syntax with a size prefix ("-4@%ebx": a signed 4-byte value in %ebx).
 * Malformed notes are rejected, never trusted.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/error.h"
#include "elf_scn.h"
#include "usdt.h"

#define NT_STAPSDT 3

struct usdt_file {
	int fd;
	Elf *elf;
	struct usdt_probe *v;
	size_t n;
};

/* x86-64 operand registers -> pt_regs names (arch/x86/kernel/ptrace.c). */
struct reg {
	const char *name, *kname;
	int width; /* bytes */
	bool high; /* %ah..%dh: bits 8..15 */
};

static const struct reg regs[] = {
	{"rax", "ax", 8},      {"eax", "ax", 4},      {"ax", "ax", 2},
	{"al", "ax", 1},       {"ah", "ax", 1, true}, {"rbx", "bx", 8},
	{"ebx", "bx", 4},      {"bx", "bx", 2},	      {"bl", "bx", 1},
	{"bh", "bx", 1, true}, {"rcx", "cx", 8},      {"ecx", "cx", 4},
	{"cx", "cx", 2},       {"cl", "cx", 1},	      {"ch", "cx", 1, true},
	{"rdx", "dx", 8},      {"edx", "dx", 4},      {"dx", "dx", 2},
	{"dl", "dx", 1},       {"dh", "dx", 1, true}, {"rsi", "si", 8},
	{"esi", "si", 4},      {"si", "si", 2},	      {"sil", "si", 1},
	{"rdi", "di", 8},      {"edi", "di", 4},      {"di", "di", 2},
	{"dil", "di", 1},      {"rbp", "bp", 8},      {"ebp", "bp", 4},
	{"bp", "bp", 2},       {"bpl", "bp", 1},      {"rsp", "sp", 8},
	{"esp", "sp", 4},      {"sp", "sp", 2},	      {"spl", "sp", 1},
	{"rip", "ip", 8},
};

/* "%r12d" etc.: r8..r15 with an optional d/w/b/l width suffix. */
static int find_reg(const char *name, size_t n, char *kname, size_t klen,
		    int *width, bool *high)
{
	char buf[8], *sfx;
	size_t i;
	int r;

	if (n == 0 || n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, name, n);
	buf[n] = '\0';
	*high = false;
	for (i = 0; i < sizeof(regs) / sizeof(regs[0]); i++) {
		if (!strcmp(buf, regs[i].name)) {
			snprintf(kname, klen, "%s", regs[i].kname);
			*width = regs[i].width;
			*high = regs[i].high;
			return 0;
		}
	}
	if (buf[0] != 'r' || !isdigit((unsigned char)buf[1]))
		return -EINVAL;
	r = (int)strtol(buf + 1, &sfx, 10);
	if (r < 8 || r > 15)
		return -EINVAL;
	switch (*sfx) {
	case '\0':
		*width = 8;
		break;
	case 'd':
		*width = 4;
		break;
	case 'w':
		*width = 2;
		break;
	case 'b':
	case 'l':
		*width = 1;
		break;
	default:
		return -EINVAL;
	}
	if (*sfx && sfx[1])
		return -EINVAL;
	snprintf(kname, klen, "r%d", r);
	return 0;
}

static void set_type(struct usdt_arg *a)
{
	snprintf(a->type, sizeof(a->type), "%c%d", a->is_signed ? 's' : 'u',
		 a->size * 8);
}

/* "%reg" at [s, e): into kname; width of the register name. */
static int parse_reg(const char *s, const char *e, char *kname, size_t klen,
		     int *width, bool *high, struct lib_error *err)
{
	if (e - s < 2 || *s != '%' ||
	    find_reg(s + 1, e - s - 1, kname, klen, width, high))
		return lib_error_set(err, EINVAL, -1, "unknown register '%.*s'",
				     (int)(e - s), s);
	return 0;
}

/*
 * "$IMM": a constant of a->size bytes, as the assembler wrote it (gcc
 * writes a constant sign-extended, "$-1" for an unsigned 0xffffffff). A
 * number that does not fit in those bytes, signed or unsigned, is refused
 * rather than clamped (strtoll saturates with ERANGE). The kernel gets the
 * value as checked here, in decimal (trace_probe.c str_to_immediate()).
 */
static int parse_imm(const char *s, struct usdt_arg *a, const char *spec,
		     struct lib_error *err)
{
	unsigned long long u, umax = ~0ULL >> (64 - 8 * a->size);
	bool neg = *s == '-', sign = neg || *s == '+';
	char *end;

	/* strtoull would accept and negate a '-' itself */
	if (!isdigit((unsigned char)s[sign]))
		goto bad;
	errno = 0;
	u = strtoull(s + sign, &end, 0);
	if (*end)
		goto bad;
	/* -2^(bits-1) .. 2^bits - 1 */
	if (errno || (neg ? u > umax / 2 + 1 : u > umax)) {
		lib_error_set(
			err, EINVAL, -1,
			"immediate in argument '%s' does not fit in %d bits",
			spec, 8 * a->size);
		return -EINVAL;
	}
	snprintf(a->fetch, sizeof(a->fetch), "\\%s%llu", neg ? "-" : "", u);
	return 0;
bad:
	return lib_error_set(err, EINVAL, -1, "bad immediate in argument '%s'",
			     spec);
}

int usdt_arg_parse(const char *spec,
		   int (*sym)(void *ctx, const char *name, uint64_t *vaddr),
		   void *ctx, uint64_t pc, uint64_t pc_offset,
		   struct usdt_arg *a, struct lib_error *err)
{
	const char *at = strchr(spec, '@'), *op = spec, *open, *close;
	char kname[8], name[128];
	long long disp = 0, size = 8;
	uint64_t vaddr;
	int width;
	bool high;
	char *end;

	memset(a, 0, sizeof(*a));
	if (at) {
		/* checked before llabs(): llabs(LLONG_MIN) overflows */
		size = strtoll(spec, &end, 10);
		if (end != at || !size || size < -8 || size > 8 ||
		    (llabs(size) & (llabs(size) - 1)))
			return lib_error_set(err, EINVAL, -1,
					     "bad size in argument '%s'", spec);
		op = at + 1;
	}
	a->size = (int)llabs(size);
	a->is_signed = size < 0;
	set_type(a);
	if (*op == '%') {
		if (parse_reg(op, op + strlen(op), kname, sizeof(kname), &width,
			      &high, err))
			return -EINVAL;
		snprintf(a->fetch, sizeof(a->fetch), "%%%s", kname);
		if (high) /* bits 8..15 of the register */
			snprintf(a->type, sizeof(a->type), "b8@8/64");
		return 0;
	}
	if (*op == '$')
		return parse_imm(op + 1, a, spec, err);
	open = strchr(op, '(');
	close = open ? strchr(open, ')') : NULL;
	if (!open || !close || close[1]) {
		lib_error_set(
			err, EINVAL, -1,
			"argument '%s' is not a register, memory operand or "
			"immediate",
			spec);
		return -EINVAL;
	}
	if (memchr(open, ',', close - open)) {
		lib_error_set(
			err, EINVAL, -1,
			"argument '%s' uses an index register, which uprobe "
			"fetchargs cannot add",
			spec);
		return -EINVAL;
	}
	if (parse_reg(open + 1, close, kname, sizeof(kname), &width, &high,
		      err))
		return -EINVAL;
	if (op < open &&
	    (isdigit((unsigned char)*op) || *op == '-' || *op == '+')) {
		errno = 0;
		disp = strtoll(op, &end, 0);
		if (end != open || errno)
			return lib_error_set(
				err, EINVAL, -1,
				"bad displacement in argument '%s'", spec);
	} else if (op < open) {
		/* SYM[+-N](%rip): a global, read through the file offset the
		 * kernel adds to the probe's mapping (trace_uprobe.c
		 * translate_user_vaddr: bp_addr - probe offset + OFF) */
		const char *p = op;

		while (p < open && *p != '+' && *p != '-')
			p++;
		if (strcmp(kname, "ip") || (size_t)(p - op) >= sizeof(name)) {
			lib_error_set(
				err, EINVAL, -1,
				"argument '%s': a symbol is only understood "
				"relative to %%rip",
				spec);
			return -EINVAL;
		}
		memcpy(name, op, p - op);
		name[p - op] = '\0';
		if (p < open) {
			errno = 0;
			disp = strtoll(p, &end, 0);
			if (end != open || errno)
				return lib_error_set(
					err, EINVAL, -1,
					"bad offset in argument '%s'", spec);
		}
		if (!sym || sym(ctx, name, &vaddr))
			return lib_error_set(
				err, EINVAL, -1,
				"argument '%s': no symbol '%s' in the "
				"file",
				spec, name);
		vaddr += disp;
		if (vaddr < pc - pc_offset)
			return lib_error_set(err, EINVAL, -1,
					     "argument '%s' lies before the "
					     "probe's mapping",
					     spec);
		snprintf(a->fetch, sizeof(a->fetch), "@+0x%llx",
			 (unsigned long long)(vaddr - (pc - pc_offset)));
		return 0;
	}
	if (!strcmp(kname, "ip"))
		return lib_error_set(
			err, EINVAL, -1,
			"argument '%s': %%rip-relative without a symbol", spec);
	/* the magnitude in unsigned arithmetic: -LLONG_MIN overflows */
	snprintf(a->fetch, sizeof(a->fetch), "%c%llu(%%%s)",
		 disp < 0 ? '-' : '+',
		 disp < 0 ? -(unsigned long long)disp
			  : (unsigned long long)disp,
		 kname);
	return 0;
}

int usdt_nargs(const struct usdt_probe *p)
{
	const char *s = p->args;
	int n = 0;

	while (*s) {
		while (*s == ' ')
			s++;
		if (!*s)
			break;
		n++;
		while (*s && *s != ' ')
			s++;
	}
	return n;
}

static int find_sym(void *ctx, const char *name, uint64_t *vaddr)
{
	const struct usdt_file *f = ctx;
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	GElf_Sym s;
	Elf_Data *d;
	size_t i, n;
	const char *nm;

	while ((scn = elf_nextscn(f->elf, scn))) {
		if (!gelf_getshdr(scn, &sh) ||
		    (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM) ||
		    !sh.sh_entsize)
			continue;
		d = elf_getdata(scn, NULL);
		n = sh.sh_size / sh.sh_entsize;
		for (i = 0; d && i < n; i++) {
			if (!gelf_getsym(d, (int)i, &s) ||
			    s.st_shndx == SHN_UNDEF)
				continue;
			nm = elf_strptr(f->elf, sh.sh_link, s.st_name);
			if (nm && !strcmp(nm, name)) {
				*vaddr = s.st_value;
				return 0;
			}
		}
	}
	return -ENOENT;
}

int usdt_arg(const struct usdt_file *f, const struct usdt_probe *p, int n,
	     struct usdt_arg *a, struct lib_error *err)
{
	const char *s = p->args, *e;
	char spec[128];
	int i = 0;

	while (*s) {
		while (*s == ' ')
			s++;
		if (!*s)
			break;
		e = s;
		while (*e && *e != ' ')
			e++;
		if (++i == n) {
			if ((size_t)(e - s) >= sizeof(spec))
				return lib_error_set(err, EINVAL, -1,
						     "argument %d is too long",
						     n);
			memcpy(spec, s, e - s);
			spec[e - s] = '\0';
			return usdt_arg_parse(spec, find_sym, (void *)f, p->pc,
					      p->offset, a, err);
		}
		s = e;
	}
	return lib_error_set(err, ERANGE, -1,
			     "probe %s:%s has %d argument%s: arg%d is not one",
			     p->provider, p->name, i, i == 1 ? "" : "s", n);
}

/* A vaddr -> file offset through the PT_LOAD headers (the uprobe's). */
static int load_offset(Elf *elf, uint64_t vaddr, uint64_t *off)
{
	size_t i, n;
	GElf_Phdr ph;

	if (elf_getphdrnum(elf, &n))
		return -ENOEXEC;
	for (i = 0; i < n; i++) {
		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		if (vaddr >= ph.p_vaddr && vaddr < ph.p_vaddr + ph.p_filesz) {
			*off = vaddr - ph.p_vaddr + ph.p_offset;
			return 0;
		}
	}
	return -ERANGE;
}

/* The semaphore's file offset, through the section that holds it (.probes):
 * uprobes find it in a file-backed writable mapping by this offset
 * (kernel/events/uprobes.c, valid_ref_ctr_vma()). */
static int sem_offset(Elf *elf, uint64_t addr, uint64_t *off)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, &sh) || sh.sh_type == SHT_NOBITS ||
		    !(sh.sh_flags & SHF_ALLOC))
			continue;
		if (addr >= sh.sh_addr && addr + 2 <= sh.sh_addr + sh.sh_size) {
			*off = addr - sh.sh_addr + sh.sh_offset;
			return 0;
		}
	}
	return -ERANGE;
}

static uint64_t get_addr(const unsigned char *p, bool is64)
{
	uint64_t v64;
	uint32_t v32;

	if (is64) {
		memcpy(&v64, p, 8);
		return v64;
	}
	memcpy(&v32, p, 4);
	return v32;
}

static int add_note(struct usdt_file *f, const unsigned char *desc, size_t dlen,
		    bool is64, bool has_base, uint64_t base_addr, size_t *cap)
{
	size_t asz = is64 ? 8 : 4;
	const char *prov, *name, *args, *end = (const char *)desc + dlen;
	struct usdt_probe *p, *nv;
	uint64_t note_base;

	if (dlen < 3 * asz + 3)
		return -ENOEXEC;
	prov = (const char *)desc + 3 * asz;
	name = memchr(prov, '\0', end - prov);
	if (!name || ++name >= end)
		return -ENOEXEC;
	args = memchr(name, '\0', end - name);
	if (!args || ++args > end)
		return -ENOEXEC;
	if (args == end || !memchr(args, '\0', end - args))
		args = ""; /* no argument text */
	if (f->n == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		nv = realloc(f->v, *cap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		f->v = nv;
	}
	p = &f->v[f->n];
	memset(p, 0, sizeof(*p));
	p->provider = prov;
	p->name = name;
	p->args = args;
	p->pc = get_addr(desc, is64);
	note_base = get_addr(desc + asz, is64);
	p->sem_addr = get_addr(desc + 2 * asz, is64);
	/* prelink moves sections: the note's base says where .stapsdt.base
	 * was when the note was made (sys/sdt.h, _SDT_NOTE) */
	if (has_base && note_base)
		p->pc += base_addr - note_base;
	if (load_offset(f->elf, p->pc, &p->offset))
		return -ENOEXEC;
	if (p->sem_addr && sem_offset(f->elf, p->sem_addr, &p->sem_offset))
		return -ENOEXEC;
	f->n++;
	return 0;
}

static int read_notes(struct usdt_file *f)
{
	GElf_Shdr sh, bsh;
	GElf_Nhdr nh;
	Elf_Scn *scn;
	Elf_Data *d;
	size_t off = 0, noff, doff, cap = 0;
	bool is64 = gelf_getclass(f->elf) == ELFCLASS64, has_base;
	int err;

	scn = elf_section_named(f->elf, ".note.stapsdt", &sh);
	if (!scn || sh.sh_type != SHT_NOTE)
		return 0;
	has_base = elf_section_named(f->elf, ".stapsdt.base", &bsh) != NULL;
	d = elf_getdata(scn, NULL);
	if (!d || !d->d_buf)
		return -ENOEXEC;
	/* names point into d, which lives as long as f->elf */
	while ((off = gelf_getnote(d, off, &nh, &noff, &doff)) > 0) {
		if (nh.n_type != NT_STAPSDT || nh.n_namesz != 8 ||
		    memcmp((char *)d->d_buf + noff, "stapsdt", 8))
			continue;
		err = add_note(f, (unsigned char *)d->d_buf + doff, nh.n_descsz,
			       is64, has_base, bsh.sh_addr, &cap);
		if (err)
			return err;
	}
	return 0;
}

int usdt_open(const char *path, struct usdt_file **out)
{
	struct usdt_file *f;
	int err;

	*out = NULL;
	elf_version(EV_CURRENT);
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (f->fd < 0) {
		err = -errno;
		free(f);
		return err;
	}
	f->elf = elf_begin(f->fd, ELF_C_READ, NULL);
	if (!f->elf || elf_kind(f->elf) != ELF_K_ELF) {
		usdt_close(f);
		return -ENOEXEC;
	}
	err = read_notes(f);
	if (err) {
		usdt_close(f);
		return err;
	}
	*out = f;
	return 0;
}

void usdt_close(struct usdt_file *f)
{
	if (!f)
		return;
	if (f->elf)
		elf_end(f->elf);
	if (f->fd >= 0)
		close(f->fd);
	free(f->v);
	free(f);
}

size_t usdt_count(const struct usdt_file *f)
{
	return f ? f->n : 0;
}

const struct usdt_probe *usdt_get(const struct usdt_file *f, size_t i)
{
	return f && i < f->n ? &f->v[i] : NULL;
}
