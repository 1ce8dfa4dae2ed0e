/* SPDX-License-Identifier: MIT */
/*
 * Which backend a session runs on: the one --backend names, or for auto
 * the first that takes the session, asking each backend of the table at
 * each step of enum backend_step in turn (each says itself why it does or
 * does not, at -v). The table's first is the design's default, taken when
 * none fits: its start then says what is missing. With --cgroup, only
 * the backends that can limit probes to a cgroup are asked.
 */
#include "internal.h"

const struct backend *const sonde_backends[] = {
	&backend_tracefs,
	&backend_perf,
	&backend_bpf,
};
const int sonde_nbackends = sizeof(sonde_backends) / sizeof(sonde_backends[0]);

const struct backend *backend_choose(const struct sonde_session *s,
				     const struct backend *const *table, int n)
{
	char why[256] = ""; /* as each fits left it */
	int step, i;

	for (i = 0; i < n; i++)
		if (s->opts.backend != SONDE_BACKEND_AUTO &&
		    table[i]->id == s->opts.backend) {
			if (table[i]->chosen)
				table[i]->chosen(s);
			return table[i];
		}
	for (step = 0; step < BACKEND_NSTEPS; step++)
		for (i = 0; i < n; i++) {
			if (s->opts.cgroup && !table[i]->by_cgroup)
				continue;
			if (table[i]->fits &&
			    table[i]->fits(s, step, why, sizeof(why)))
				return table[i];
		}
	for (i = 0; s->opts.cgroup && i < n; i++)
		if (table[i]->by_cgroup)
			return table[i];
	return n ? table[0] : NULL;
}
