/* SPDX-License-Identifier: MIT */
/*
 * Is a uprobe's place an instruction? The kernel takes any file offset: one
 * outside the executable mappings never fires (uprobes fire only in
 * VM_EXEC vmas, kernel/events/uprobes.c valid_vma()), one in data that
 * shares an executable mapping never runs (and its readers see the
 * breakpoint byte), and one inside an instruction corrupts it. Refuse
 * them, naming the executable segments (PT_LOAD with PF_X) or sections
 * (SHF_EXECINSTR), or the instruction boundaries around the address
 * (capstone, insn_boundary.c; without it the boundaries are not checked).
 * Also whether a uprobe is at its function's first instruction, where a
 * frame-pointer stack walk misses the direct caller.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sym/elf.h"
#include "insn_boundary.h"
#include "internal.h"

/* What the user wrote, for messages: "0x1139", "file offset 0x1139",
 * "add+0x3" (uprobes by symbol), "usdt probe NAME". */
static void describe(const struct probe *p, uint64_t off, char *buf, size_t len)
{
	const struct probe_spec *sp = &p->spec;

	if (sp->usdt)
		snprintf(buf, len, "USDT probe %s at file offset 0x%llx",
			 sp->symbol, (unsigned long long)off);
	else if (sp->has_addr && sp->addr_is_offset)
		snprintf(buf, len, "file offset 0x%llx",
			 (unsigned long long)sp->addr);
	else if (sp->has_addr)
		snprintf(buf, len, "0x%llx", (unsigned long long)sp->addr);
	else
		snprintf(buf, len, "%s+0x%llx", sp->symbol,
			 (unsigned long long)sp->offset);
}

int check_exec_segment(struct sonde_session *s, struct probe *p,
		       struct elf_file *ef, bool mapped)
{
	bool by_off = p->spec.has_addr && p->spec.addr_is_offset;
	char what[320], segs[512] = "";
	struct elf_segment seg;
	size_t i;

	for (i = 0; mapped && !elf_file_segment(ef, i, &seg); i++)
		if (seg.exec && p->offset >= seg.off &&
		    p->offset - seg.off < seg.size)
			return 0;
	for (i = 0; !elf_file_segment(ef, i, &seg); i++) {
		uint64_t lo = by_off ? seg.off : seg.vaddr;

		if (seg.exec && strlen(segs) < sizeof(segs) - 64)
			snprintf(segs + strlen(segs),
				 sizeof(segs) - strlen(segs),
				 "%s0x%llx..0x%llx", *segs ? ", " : "",
				 (unsigned long long)lo,
				 (unsigned long long)(lo + seg.size));
	}
	describe(p, p->offset, what, sizeof(what));
	return set_err(s, EINVAL, p->spec.symbol_col,
		       "%s is not in an executable segment of %s (r-x%s: %s)",
		       what, p->path, by_off ? ", file offsets" : "",
		       *segs ? segs : "none");
}

/*
 * Linked without -z separate-code, the first PT_LOAD is r-x from file
 * offset 0: the ELF headers, .rodata and .eh_frame sit in it beside the
 * code. An offset there is in no section with SHF_EXECINSTR; a file
 * without section headers is not checked.
 */
int check_exec_section(struct sonde_session *s, struct probe *p)
{
	bool by_off = p->spec.has_addr && p->spec.addr_is_offset;
	char what[320], secs[512] = "";
	bool any = false, in = false;
	Elf_Scn *scn = NULL;
	const char *name;
	size_t shstrndx;
	GElf_Shdr sh;
	Elf *elf;
	int fd;

	fd = open(p->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf || elf_getshdrstrndx(elf, &shstrndx))
		goto out;
	while (!in && (scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, &sh) || sh.sh_type == SHT_NOBITS ||
		    (sh.sh_flags & (SHF_ALLOC | SHF_EXECINSTR)) !=
			    (SHF_ALLOC | SHF_EXECINSTR))
			continue;
		any = true;
		in = p->offset >= sh.sh_offset &&
		     p->offset - sh.sh_offset < sh.sh_size;
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (strlen(secs) < sizeof(secs) - 80)
			snprintf(secs + strlen(secs),
				 sizeof(secs) - strlen(secs),
				 "%s%.24s 0x%llx..0x%llx", *secs ? ", " : "",
				 name ? name : "?",
				 (unsigned long long)(by_off ? sh.sh_offset
							     : sh.sh_addr),
				 (unsigned long long)((by_off ? sh.sh_offset
							      : sh.sh_addr) +
						      sh.sh_size));
	}
out:
	if (elf)
		elf_end(elf);
	close(fd);
	if (!any || in)
		return 0;
	describe(p, p->offset, what, sizeof(what));
	return set_err(s, EINVAL, p->spec.symbol_col,
		       "%s is in an executable segment of %s but not in its "
		       "code (executable sections%s: %s)",
		       what, p->path, by_off ? ", file offsets" : "", secs);
}

/* A breakpoint inside an instruction corrupts it: refuse an offset that
 * is not on an instruction boundary of the function that holds it. */
int check_boundary(struct sonde_session *s, struct probe *p,
		   struct elf_file *ef)
{
	bool by_off = p->spec.has_addr && p->spec.addr_is_offset;
	uint64_t vaddr, func_off, prev, next, shown, base;
	struct elf_sym fn;
	int err;

	if (elf_file_offset_to_vaddr(ef, p->offset, &vaddr, NULL) ||
	    elf_file_addr_to_sym(ef, vaddr, &fn) || vaddr == fn.addr ||
	    elf_file_vaddr_to_offset(ef, fn.addr, &func_off))
		return 0;
	err = insn_check_boundary(p->path, func_off, fn.size, vaddr - fn.addr,
				  &prev, &next);
	if (err == -ENOTSUP)
		slog(s, SONDE_LOG_INFO,
		     "no capstone (not built with it, or its library is not "
		     "installed): %s+0x%llx is not checked to be "
		     "on an instruction boundary",
		     fn.name, (unsigned long long)(vaddr - fn.addr));
	if (err != -EILSEQ)
		return 0;
	/* addresses as the user gave them: file offsets for p:PATH:0xOFF */
	base = by_off ? func_off : fn.addr;
	shown = base + (vaddr - fn.addr);
	return set_err(s, EINVAL, p->spec.symbol_col,
		       "%s+0x%llx is inside an instruction (%s0x%llx, in the "
		       "%llu-byte instruction at 0x%llx): a breakpoint there "
		       "would corrupt it; the instructions around it start at "
		       "%s+0x%llx and %s+0x%llx (0x%llx, 0x%llx)",
		       fn.name, (unsigned long long)(vaddr - fn.addr),
		       by_off ? "file offset " : "", (unsigned long long)shown,
		       (unsigned long long)(next - prev),
		       (unsigned long long)(base + prev), fn.name,
		       (unsigned long long)prev, fn.name,
		       (unsigned long long)next,
		       (unsigned long long)(base + prev),
		       (unsigned long long)(base + next));
}

bool uprobe_at_func_entry(const struct probe *p)
{
	struct elf_file *ef;
	uint64_t off;
	bool yes;

	if (p->spec.kind != PROBE_UPROBE || !p->path || !p->sym_vaddr)
		return false;
	ef = elf_file_open(p->path);
	if (!ef)
		return false;
	yes = !elf_file_vaddr_to_offset(ef, p->sym_vaddr, &off) &&
	      off == p->offset;
	elf_file_close(ef);
	return yes;
}
