/* SPDX-License-Identifier: MIT */
/*
 * sonde-demo: a tiny "order processing" program to trace. It prices a few
 * order lines and prints a total. Built with -O1 -fno-inline so price() and
 * ship() stay real functions with their arguments in the ABI registers.
 */
#include <stdio.h>

struct line {
	const char *item;
	int qty;
	int unit;
};

static const struct line order[] = {
	{ "coffee", 2, 350 },  { "croissant", 3, 180 }, { "juice", 1, 420 },
	{ "bagel", 4, 150 },   { "tea", 2, 300 },	{ "muffin", 1, 275 },
	{ "water", 6, 100 },   { "cookie", 5, 90 },	{ "soup", 1, 650 },
	{ "salad", 2, 720 },
};

/* noinline: stay a real call even if the -O level changes. */
__attribute__((noinline)) int price(int qty, int unit)
{
	int cents = qty * unit;

	if (qty >= 4)
		cents -= cents / 10; /* 10% off for four or more */
	return cents;
}

__attribute__((noinline)) int ship(const char *item, int cents)
{
	printf("  %-10s %5d.%02d\n", item, cents / 100, cents % 100);
	return cents;
}

int main(void)
{
	int total = 0;
	unsigned int i;

	printf("order:\n");
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		total += ship(order[i].item, price(order[i].qty, order[i].unit));
	printf("  %-10s %5d.%02d\n", "total", total / 100, total % 100);
	return 0;
}
