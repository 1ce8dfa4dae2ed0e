// SPDX-License-Identifier: MIT
/*
 * The traced program of bench/run-stack: workload.c's loop, with work()
 * four calls deep (main -> outer -> middle -> inner -> work) and built
 * -O2 -fomit-frame-pointer -g, so its stacks need the DWARF call frame
 * info to be unwound.
 *
 * usage: workload_stack N [RESULT_FILE]
 * Prints (to RESULT_FILE, else stdout) one line:
 *	loop_ns=NS calls=N sum=S cpu_us=US
 * as workload.c does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#define NOINLINE __attribute__((noinline, noclone))

/* an empty asm keeps each call: a uprobe on work fires exactly N times */
NOINLINE int work(int a, int b)
{
	__asm__ volatile("" ::: "memory");
	return a ^ b;
}

/* each level keeps a frame of its own and does work after its call */
#define LEVEL(name, next)                                   \
	NOINLINE int name(int a, int b)                     \
	{                                                   \
		volatile char pad[32];                      \
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

static long long ns_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	struct rusage ru;
	long long t0, t1, cpu_us;
	unsigned long sum = 0;
	FILE *out = stdout;
	long n, i;

	if (argc < 2 || (n = strtol(argv[1], NULL, 10)) <= 0) {
		fprintf(stderr, "usage: workload_stack N [RESULT_FILE]\n");
		return 2;
	}
	t0 = ns_now();
	for (i = 0; i < n; i++)
		sum += (unsigned int)outer((int)i, (int)(n - i));
	t1 = ns_now();
	getrusage(RUSAGE_SELF, &ru);
	cpu_us = ru.ru_utime.tv_sec * 1000000LL + ru.ru_utime.tv_usec +
		 ru.ru_stime.tv_sec * 1000000LL + ru.ru_stime.tv_usec;
	if (argc > 2 && !(out = fopen(argv[2], "w")))
		return 1;
	fprintf(out, "loop_ns=%lld calls=%ld sum=%lu cpu_us=%lld\n", t1 - t0,
		n, sum, cpu_us);
	return out == stdout ? 0 : fclose(out) != 0;
}
