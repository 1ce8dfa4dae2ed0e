/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the readers of what a traced file holds: ELF
 * symbols and segments (elf.c, elf_suggest.c), USDT notes (usdt.c) and
 * DWARF functions, parameters and variables (dwarf*.c), on mutated files.
 * The input is a whole ELF file (seeds: the fixtures); it is written to a
 * memfd and opened by its /proc/self/fd path, as any file would be.
 *
 * Oracle: a segment's address and file offset translate to each other
 * both ways; a symbol found by address contains it; every name a walk
 * yields is found again by name; a USDT argument's fetch and type, and a
 * DWARF variable's fetch, hold no byte that would split or cut the
 * uprobe_events line (space, control characters, '#'); every message
 * ends inside its buffer.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "sym/dwarf.h"
#include "sym/elf.h"
#include "sym/usdt.h"

#define MAX_SIGS 8

struct walk {
	struct elf_file *ef;
	int n;
	uint64_t addrs[MAX_SIGS];
	int naddrs;
};

static void fail(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_elf: %s: '%s'\n", what, detail ? detail : "");
	abort();
}

/* The readers' messages go to the session's error (set_err(), which
 * escapes them): each is a string inside its buffer. */
static void check_msg(const char *msg, size_t len)
{
	if (!memchr(msg, '\0', len))
		fail("a message without its end", NULL);
}

static void check_word(const char *what, const char *w)
{
	const unsigned char *c;

	for (c = (const unsigned char *)w; *c; c++)
		if (*c <= 0x20 || *c == 0x7f || *c == 0xa0 || *c == '#')
			fail(what, w);
}

static int on_func(const struct elf_sym *sym, void *ctx)
{
	struct walk *w = ctx;
	struct elf_sym again;
	int ret;

	if (!sym->name)
		fail("a function without a name", NULL);
	/* a name the walk gave is found by name (several: -EEXIST); '@'
	 * starts a version, which lookups strip */
	ret = elf_file_find(w->ef, sym->name, &again);
	if (ret && ret != -EEXIST && !strchr(sym->name, '@'))
		fail("a function of the walk is not found by name", sym->name);
	if (elf_file_addr_to_sym(w->ef, sym->addr, &again) == 0 &&
	    again.addr > sym->addr)
		fail("the symbol found by address starts after it", sym->name);
	return ++w->n >= 64;
}

static bool overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

/* A segment that shares no address and no file byte with another one:
 * its first and last byte translate both ways, to its own (those that
 * are inside the file). */
static void check_segments(const struct elf_file *ef, uint64_t file_size)
{
	struct elf_segment seg[64], more;
	uint64_t k, off, va;
	size_t i, j, n;
	bool exec, alone;

	for (n = 0; n < 64 && elf_file_segment(ef, n, &seg[n]) == 0; n++)
		;
	/* a segment past those read could overlap any of them (and win, as
	 * the executable one does): nothing is alone then */
	if (n == 64 && elf_file_segment(ef, n, &more) == 0)
		return;
	for (i = 0; i < n; i++) {
		if (!seg[i].size || seg[i].vaddr + seg[i].size < seg[i].vaddr ||
		    seg[i].off + seg[i].size < seg[i].off)
			continue;
		for (alone = true, j = 0; j < n && alone; j++)
			alone = j == i ||
				(!overlap(seg[i].vaddr, seg[i].size,
					  seg[j].vaddr, seg[j].size) &&
				 !overlap(seg[i].off, seg[i].size, seg[j].off,
					  seg[j].size));
		if (!alone)
			continue;
		for (k = 0; k < seg[i].size; k += seg[i].size - 1) {
			/* no offset past the file's end is valid */
			if (seg[i].off + k >= file_size)
				break;
			if (elf_file_vaddr_to_offset(ef, seg[i].vaddr + k,
						     &off) ||
			    off != seg[i].off + k)
				fail("an address of a segment is not at its "
				     "file offset",
				     NULL);
			if (elf_file_offset_to_vaddr(ef, off, &va, &exec) ||
			    va != seg[i].vaddr + k || exec != seg[i].exec)
				fail("a file offset of a segment is not at its "
				     "address",
				     NULL);
			if (seg[i].size == 1)
				break;
		}
	}
}

static void read_elf(const char *path, uint64_t file_size)
{
	const char *names[4];
	struct walk w = {0};
	struct elf_sym sym;
	int i, n;

	w.ef = elf_file_open(path);
	if (!w.ef)
		return;
	elf_file_set_debug_dirs(w.ef, "/nonexistent");
	elf_file_is_dyn(w.ef);
	check_segments(w.ef, file_size);
	elf_file_for_each_func(w.ef, on_func, &w);
	check_msg(elf_file_debug_note(w.ef), 4096);
	elf_file_find(w.ef, "main", &sym);
	n = elf_file_suggest(w.ef, "ad", names, 4);
	for (i = 0; i < n; i++)
		if (!names[i])
			fail("a suggestion without a name", NULL);
	elf_file_close(w.ef);
}

static void read_usdt(const char *path)
{
	struct usdt_file *f;
	struct usdt_arg a;
	struct lib_error le = LIB_ERROR_INIT(256);
	size_t i;
	int n, na, ret;

	if (usdt_open(path, &f))
		return;
	for (i = 0; i < usdt_count(f) && i < 64; i++) {
		const struct usdt_probe *p = usdt_get(f, i);

		if (!p || !p->provider || !p->name || !p->args)
			fail("a USDT probe without provider, name or args",
			     NULL);
		na = usdt_nargs(p);
		for (n = 1; n <= na + 1 && n <= 12; n++) {
			lib_error_clear(&le);
			ret = usdt_arg(f, p, n, &a, &le);
			if (ret) {
				check_msg(le.msg, sizeof(le.msg));
				continue;
			}
			if (n > na)
				fail("a USDT argument past the last one",
				     p->args);
			check_word("a byte the kernel misreads in a USDT fetch",
				   a.fetch);
			check_word("a byte the kernel misreads in a USDT type",
				   a.type);
		}
	}
	usdt_close(f);
}

static int on_sig(uint64_t addr, const char *sig, void *ctx)
{
	struct walk *w = ctx;

	if (!sig)
		fail("a signature without text", NULL);
	if (w->naddrs < MAX_SIGS)
		w->addrs[w->naddrs++] = addr;
	return 0;
}

static void read_scope(const char *path, uint64_t pc)
{
	static const char *const exprs[] = {"req->path", "arr[2]", "s.x", "i"};
	struct dwarf_scope *d;
	struct lib_error le = LIB_ERROR_INIT(256);
	char type[32], **names;
	char *fetch;
	int i, n;

	lib_error_clear(&le);
	if (dwarf_scope_open(path, "/nonexistent", pc, pc, &d, &le)) {
		check_msg(le.msg, sizeof(le.msg));
		return;
	}
	n = dwarf_scope_params(d, &names, &le);
	if (n < 0)
		check_msg(le.msg, sizeof(le.msg));
	for (i = 0; i < n; i++) {
		lib_error_clear(&le);
		if (dwarf_scope_fetch(d, names[i], i & 1, &fetch, type,
				      sizeof(type), &le) == 0) {
			check_word(
				"a byte the kernel misreads in a DWARF fetch",
				fetch);
			free(fetch);
		} else {
			check_msg(le.msg, sizeof(le.msg));
		}
		free(names[i]);
	}
	if (n > 0)
		free(names);
	for (i = 0; i < (int)(sizeof(exprs) / sizeof(*exprs)); i++) {
		lib_error_clear(&le);
		if (dwarf_scope_fetch(d, exprs[i], false, &fetch, type,
				      sizeof(type), &le) == 0)
			free(fetch);
		else
			check_msg(le.msg, sizeof(le.msg));
	}
	dwarf_scope_close(d);
}

static void read_dwarf(const char *path)
{
	struct walk w = {0};
	int i;

	if (dwarf_for_each_signature(path, "/nonexistent", on_sig, &w))
		return;
	for (i = 0; i < w.naddrs && i < 3; i++)
		read_scope(path, w.addrs[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64];
	int fd;

	fd = memfd_create("fuzz_elf", MFD_CLOEXEC);
	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	read_elf(path, size);
	read_usdt(path);
	read_dwarf(path);
	close(fd);
	return 0;
}
