// SPDX-License-Identifier: MIT
/*
 * bpftrace's language: the builtins (pid, comm, retval, func, arg0...,
 * args) and the probes each may be used in, with bpftrace 0.17's types
 * and messages. Apart from the functions: a builtin is a name, checked
 * against the block's probes, not a call with arguments.
 */
#include <stdlib.h>
#include <string.h>

#include "lang_int.h"

static bool all_probes(const struct bt_block *b, unsigned int kinds)
{
	for (int i = 0; i < b->nprobes; i++)
		if (!(kinds & (1u << b->probes[i].kind)))
			return false;
	return true;
}

#define K(x) (1u << (x))
#define ARG_PROBES (K(BT_P_KPROBE) | K(BT_P_UPROBE) | K(BT_P_USDT))
#define RET_PROBES (K(BT_P_KRETPROBE) | K(BT_P_URETPROBE))
#define FUNC_PROBES (ARG_PROBES | RET_PROBES)

int sema_builtin(struct sema *s, struct bt_node *n)
{
	static const char *const u64s[] = {
		"pid",	 "tid",	    "uid",    "gid",	 "cpu",
		"nsecs", "elapsed", "cgroup", "curtask", "rand"};
	const char *id = n->name;
	char *end;
	long k;

	for (size_t i = 0; i < sizeof(u64s) / sizeof(*u64s); i++)
		if (!strcmp(id, u64s[i])) {
			n->type = t_int(8, false);
			return 0;
		}
	if (!strcmp(id, "comm")) {
		n->type = t_str(16);
		return 0;
	}
	if (!strcmp(id, "probe")) {
		n->type = (struct bt_type){.kind = BT_T_PROBE, .size = 8};
		return 0;
	}
	if (!strcmp(id, "kstack")) {
		n->type = (struct bt_type){.kind = BT_T_KSTACK, .size = 8};
		return 0;
	}
	if (!strcmp(id, "ustack")) {
		n->type = (struct bt_type){.kind = BT_T_USTACK, .size = 16};
		return 0;
	}
	if (!strcmp(id, "retval")) {
		if (!all_probes(s->b, RET_PROBES))
			return sema_err(
				s, n->loc,
				"The retval builtin can only be used with "
				"'kretprobe' and 'uretprobe' and 'kfunc' "
				"probes");
		n->type = t_int(8, false); /* bpftrace 0.17: unsigned */
		return 0;
	}
	if (!strcmp(id, "func")) {
		if (!all_probes(s->b, FUNC_PROBES))
			return sema_err(
				s, n->loc,
				"The func builtin can only be used with "
				"kprobe, kretprobe, uprobe, uretprobe and "
				"usdt probes");
		if (all_probes(s->b, K(BT_P_KPROBE) | K(BT_P_KRETPROBE)))
			n->type =
				(struct bt_type){.kind = BT_T_KSYM, .size = 8};
		else if (all_probes(s->b, K(BT_P_UPROBE) | K(BT_P_URETPROBE) |
						  K(BT_P_USDT)))
			n->type =
				(struct bt_type){.kind = BT_T_USYM, .size = 16};
		else
			return sema_err(
				s, n->loc,
				"func in a block of kernel and user probes "
				"is not supported yet");
		return 0;
	}
	if ((!strncmp(id, "arg", 3) || !strncmp(id, "sarg", 4)) &&
	    id[*id == 's' ? 4 : 3] >= '0' && id[*id == 's' ? 4 : 3] <= '9') {
		k = strtol(id + (*id == 's' ? 4 : 3), &end, 10);
		if (*end)
			goto unknown;
		if (!all_probes(s->b, ARG_PROBES))
			return sema_err(
				s, n->loc,
				"The %s builtin can only be used with "
				"'kprobes', 'uprobes' and 'usdt' probes",
				id);
		if (*id == 's')
			return sema_err(s, n->loc, "%s is not supported yet",
					id);
		/* past the sixth: the caller's stack (x86-64) for uprobes
		 * and kprobes; a USDT probe's from its note, as many as it
		 * has (the code generator checks each site's count) */
		if (k >= BT_MAX_ARGS &&
		    !all_probes(s->b, K(BT_P_UPROBE) | K(BT_P_KPROBE)) &&
		    !(all_probes(s->b, K(BT_P_USDT)) && k < 64))
			return sema_err(s, n->loc,
					"%s is not supported here yet", id);
		n->type = t_int(8, false);
		return 0;
	}
	if (!strcmp(id, "args"))
		return sema_args(s, n);
	if (!strcmp(id, "username") || !strcmp(id, "ctx") ||
	    !strcmp(id, "cpid") || !strcmp(id, "jiffies") ||
	    !strcmp(id, "numaid") || !strcmp(id, "func_id"))
		return sema_err(s, n->loc, "%s is not supported yet", id);
unknown:
	return sema_err(s, n->loc, "Unknown identifier: '%s'", id);
}
