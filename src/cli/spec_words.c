/* SPDX-License-Identifier: MIT */
/*
 * bpftrace's long probe words (uprobe:, uretprobe:, kprobe:, kretprobe:)
 * as the short ones, for the subcommands that read a spec's first word
 * themselves (list, latency). The library's parser takes both.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

char *cli_spec_short(const char *arg)
{
	static const char *const names[][2] = {
		{"uprobe", "u"},     {"uretprobe", "ur"}, {"kprobe", "k"},
		{"kretprobe", "kr"}, {"U", "usdt"},
		{"tracepoint", "t"},
	};
	size_t i, n;
	char *s;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		n = strlen(names[i][0]);
		if (strncmp(arg, names[i][0], n) || (arg[n] && arg[n] != ':'))
			continue;
		if (asprintf(&s, "%s%s", names[i][1], arg + n) < 0)
			return NULL;
		return s;
	}
	return strdup(arg);
}
