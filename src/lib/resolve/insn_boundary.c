/* SPDX-License-Identifier: MIT */
/*
 * Is a uprobe's address on an instruction boundary? The kernel cannot tell
 * (it decodes whatever bytes are there) and a breakpoint in the middle of
 * an instruction corrupts it: the traced program dies of SIGILL or worse.
 * The function is disassembled from its start with capstone (an optional
 * dependency: without it, the check is skipped and -v says so).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "insn_boundary.h"

#ifdef HAVE_CAPSTONE
#include <capstone/capstone.h>

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

	if (!size || size > (1 << 20) || off >= size)
		return -ENOENT;
	buf = malloc(size);
	if (!buf)
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	n = fd < 0 ? -1 : pread(fd, buf, size, func_off);
	if (fd >= 0)
		close(fd);
	if (n != (ssize_t)size || cs_open(CS_ARCH_X86, CS_MODE_64, &cs)) {
		free(buf);
		return -ENOENT;
	}
	insn = cs_malloc(cs);
	code = buf;
	while (insn && cs_disasm_iter(cs, &code, &left, &addr, insn)) {
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
		cs_free(insn, 1);
	cs_close(&cs);
	free(buf);
	return ret;
}

bool insn_check_available(void)
{
	return true;
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
