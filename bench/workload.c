// SPDX-License-Identifier: MIT
/*
 * The traced program of bench/run-trace: calls work(i, N - i) N times and
 * times that loop itself with CLOCK_MONOTONIC, so a tracer's start-up and
 * tear-down are not counted as the program's time.
 *
 * usage: workload N [RESULT_FILE]
 * Prints (to RESULT_FILE, else stdout) one line:
 *	loop_ns=NS calls=N sum=S cpu_us=US
 * cpu_us is this process's own user+sys time (getrusage RUSAGE_SELF) at
 * the end, which the benchmark subtracts from a tracer's total when the
 * tracer ran the program as its child.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

/* what the loop calls: work(), or a chain down to it (workload_stack.c) */
#ifndef WORKLOAD_CALL
#define WORKLOAD_CALL work
#define WORKLOAD_NAME "workload"
#endif

/* noinline + an empty asm: one real call per iteration, never folded
 * into the loop, so a uprobe on work fires exactly N times. */
__attribute__((noinline)) int work(int a, int b)
{
	__asm__ volatile("" ::: "memory");
	return a ^ b;
}

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
		fprintf(stderr, "usage: " WORKLOAD_NAME " N [RESULT_FILE]\n");
		return 2;
	}
	t0 = ns_now();
	for (i = 0; i < n; i++)
		sum += (unsigned int)WORKLOAD_CALL((int)i, (int)(n - i));
	t1 = ns_now();
	getrusage(RUSAGE_SELF, &ru);
	cpu_us = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000LL +
		 ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
	if (argc > 2 && !(out = fopen(argv[2], "we"))) {
		perror(argv[2]);
		return 1;
	}
	fprintf(out, "loop_ns=%lld calls=%ld sum=%lu cpu_us=%lld\n", t1 - t0,
		n, sum, cpu_us);
	return fclose(out) ? 1 : 0;
}
