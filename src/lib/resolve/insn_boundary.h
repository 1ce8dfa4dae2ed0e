/* SPDX-License-Identifier: MIT */
/* Instruction boundaries of x86-64 functions (capstone, optional). */
#ifndef SONDE_INSN_H
#define SONDE_INSN_H

#include <stdbool.h>
#include <stdint.h>

/*
 * The function is size bytes at file offset func_off of path; is the byte
 * off (from its start) the first byte of an instruction? 0 yes; -EILSEQ
 * no, with the boundaries around it in *prev and *next; -ENOENT cannot
 * tell (unreadable, undecodable); -ENOTSUP without capstone (not built
 * with it, or its library cannot be opened).
 */
int insn_check_boundary(const char *path, uint64_t func_off, uint64_t size,
			uint64_t off, uint64_t *prev, uint64_t *next);
bool insn_check_available(void);

#endif
