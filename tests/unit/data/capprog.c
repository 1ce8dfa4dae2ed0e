/* SPDX-License-Identifier: MIT */
/*
 * The program capture.sh probes to make the ring-page fixtures. Its
 * arguments are fixed so test_ring.c / test_decode.c can assert them.
 *   capprog basic     three calls with the values in the table below
 *   capprog extend    two calls 300 ms apart (forces a time-extend record)
 *   capprog many N    N calls (fills a tiny buffer: lost events)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Not inlined, not static: the uprobe goes on its first instruction. */
__attribute__((noinline)) int sonde_cap_target(int a, long b, const char *s,
					       const unsigned char *arr)
{
	int r = a + (int)b + (int)strlen(s) + arr[0];

	__asm__ volatile("" : : "r"(r) : "memory");
	return r;
}

struct call {
	int a;
	long b;
	const char *s;
	unsigned char arr[4];
};

static const struct call calls[] = {
	{ -42, 0x1122334455667788L, "hello", { 1, 2, 3, 4 } },
	{ 7, 12345, "sonde", { 0xde, 0xad, 0xbe, 0xef } },
	{ 0x7ffffff0, -1L, "", { 0, 0, 0, 255 } },
};

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "basic";
	int sum = 0;

	if (!strcmp(mode, "basic")) {
		for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++)
			sum += sonde_cap_target(calls[i].a, calls[i].b,
						calls[i].s, calls[i].arr);
	} else if (!strcmp(mode, "extend")) {
		struct timespec ts = { 0, 300 * 1000 * 1000 };

		sum += sonde_cap_target(1, 1, "one", calls[0].arr);
		nanosleep(&ts, NULL);
		sum += sonde_cap_target(2, 2, "two", calls[0].arr);
	} else if (!strcmp(mode, "many")) {
		long n = argc > 2 ? strtol(argv[2], NULL, 0) : 1000;

		for (long i = 0; i < n; i++)
			sum += sonde_cap_target((int)i, i, "many", calls[1].arr);
	} else {
		return 2;
	}
	printf("%d\n", sum);
	return 0;
}
