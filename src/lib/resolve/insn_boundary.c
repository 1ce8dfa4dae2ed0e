/* SPDX-License-Identifier: MIT */
/*
 * Is a uprobe's address on an instruction boundary? The kernel cannot tell
 * (it decodes whatever bytes are there) and a breakpoint in the middle of
 * an instruction corrupts it: the traced program dies of SIGILL or worse.
 * The function is disassembled from its start with capstone (an optional
 * dependency: without it, the check is skipped and -v says so).
 *
 * capstone is opened with dlopen() when the first offset is checked, not
 * linked: its tables are 77,000 relocations and 1.3 MB of pages written at
 * load time, which made every sonde process start 3 to 5 ms later (most of
 * a `sonde run` uprobe program's start-up besides the work itself), though
 * most probes sit at a function's entry and never need it.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "insn_boundary.h"

#ifdef HAVE_CAPSTONE
#include <capstone/capstone.h>

static struct {
	cs_err (*open)(cs_arch arch, cs_mode mode, csh *handle);
	cs_insn *(*malloc)(csh handle);
	bool (*disasm_iter)(csh handle, const uint8_t **code, size_t *size,
			    uint64_t *address, cs_insn *insn);
	void (*free)(cs_insn *insn, size_t count);
	cs_err (*close)(csh *handle);
} cs_fn;
static pthread_once_t cs_once = PTHREAD_ONCE_INIT;

static void cs_load(void)
{
	void *h = dlopen(CAPSTONE_SONAME, RTLD_NOW | RTLD_LOCAL);

	if (!h)
		return;
	/* h stays open: the functions are used for the life of the process */
	*(void **)&cs_fn.malloc = dlsym(h, "cs_malloc");
	*(void **)&cs_fn.disasm_iter = dlsym(h, "cs_disasm_iter");
	*(void **)&cs_fn.free = dlsym(h, "cs_free");
	*(void **)&cs_fn.close = dlsym(h, "cs_close");
	if (cs_fn.malloc && cs_fn.disasm_iter && cs_fn.free && cs_fn.close)
		*(void **)&cs_fn.open = dlsym(h, "cs_open");
}

bool insn_check_available(void)
{
	pthread_once(&cs_once, cs_load);
	return cs_fn.open;
}

int insn_check_boundary(const char *path, uint64_t func_off, uint64_t size,
			uint64_t off, uint64_t *prev, uint64_t *next)
{
	const uint8_t *code;
	uint64_t addr = 0, last = 0;
	size_t left = size;
	uint8_t *buf;
	cs_insn *insn;
	csh cs;
	int fd, ret = -ENOENT;
	ssize_t n;

	if (!insn_check_available())
		return -ENOTSUP;
	if (!size || size > (1 << 20) || off >= size)
		return -ENOENT;
	buf = malloc(size);
	if (!buf)
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	n = fd < 0 ? -1 : pread(fd, buf, size, func_off);
	if (fd >= 0)
		close(fd);
	if (n != (ssize_t)size || cs_fn.open(CS_ARCH_X86, CS_MODE_64, &cs)) {
		free(buf);
		return -ENOENT;
	}
	insn = cs_fn.malloc(cs);
	code = buf;
	while (insn && cs_fn.disasm_iter(cs, &code, &left, &addr, insn)) {
		if (insn->address == off) {
			ret = 0;
			break;
		}
		if (insn->address > off) {
			*prev = last;
			*next = insn->address;
			ret = -EILSEQ;
			break;
		}
		last = insn->address;
	}
	/* undecodable bytes (data in text, a jump table): cannot tell */
	if (insn)
		cs_fn.free(insn, 1);
	cs_fn.close(&cs);
	free(buf);
	return ret;
}
#else
int insn_check_boundary(const char *path, uint64_t func_off, uint64_t size,
			uint64_t off, uint64_t *prev, uint64_t *next)
{
	return -ENOTSUP;
}

bool insn_check_available(void)
{
	return false;
}
#endif
