// SPDX-License-Identifier: MIT
/*
 * The traced program of bench/run-stack: workload.c's loop, with work()
 * four calls deep (main -> outer -> middle -> inner -> work), built -O2
 * -fomit-frame-pointer -g, so its stacks need the DWARF call frame info
 * to be unwound. Its usage and output are workload.c's.
 */
#define WORKLOAD_CALL outer
#define WORKLOAD_NAME "workload_stack"
static int outer(int a, int b);
#include "workload.c"

/* each level keeps a frame of its own and does work after its call */
#define LEVEL(name, next)                                   \
	__attribute__((noinline, noclone)) static int name( \
		int a, int b)                               \
	{                                                   \
		volatile char pad[32] = { 0 };                \
		int r;                                      \
                                                            \
		pad[a & 31] = (char)b;                      \
		r = next(a, b);                             \
		__asm__ volatile("" ::: "memory");          \
		return r + pad[b & 31];                     \
	}
LEVEL(inner, work)
LEVEL(middle, inner)
LEVEL(outer, middle)
