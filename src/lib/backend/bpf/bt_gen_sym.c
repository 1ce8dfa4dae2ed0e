// SPDX-License-Identifier: MIT
/*
 * `sonde run`'s code generator: uaddr("NAME"), the address of a data
 * symbol of the probed binary, as bpftrace gives it. The symbol is looked
 * up when the program is generated; in a PIE (ET_DYN) the load bias comes
 * at run time from the probe's own address: bpf_get_func_ip() is the
 * probed function's address in the process for uprobes and uretprobes
 * (kernel/trace/bpf_trace.c bpf_get_func_ip_uprobe()), so the symbol is
 * there + (its st_value - the function's st_value).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../../sym/elf.h"
#include "bt_gen_int.h"

/* "uprobe:/path:func" (u:, uretprobe:, ur:): path and func, when func is
 * one plain function name and path is absolute */
static bool probe_target(const char *spec, char *path, size_t plen, char *func,
			 size_t flen)
{
	const char *p = strchr(spec, ':'), *f;

	if (!p || p[1] != '/')
		return false;
	f = strrchr(++p, ':');
	if (!f || f == p || (size_t)(f - p) >= plen || strlen(f + 1) >= flen ||
	    !f[1] || strpbrk(f + 1, "*?[+"))
		return false;
	memcpy(path, p, (size_t)(f - p));
	path[f - p] = '\0';
	strcpy(func, f + 1);
	return true;
}

static int func_addr(struct btg *s, const struct bt_node *n, const char *path,
		     const char *func, uint64_t *addr)
{
	struct elf_file *ef = elf_file_open(path);
	struct elf_sym fs;
	int err = ef ? elf_file_find(ef, func, &fs) : -errno;

	if (!err)
		*addr = fs.addr;
	elf_file_close(ef);
	if (err)
		return btg_fail(s, n->loc, ENOENT,
				"uaddr(): %s has no function %s to take the "
				"load address from",
				path, func);
	return 0;
}

int btg_uaddr(struct btg *s, const struct bt_node *n, uint32_t *size)
{
	const char *name = n->kid[0]->name;
	char path[4096], func[512];
	struct elf_sym ds;
	uint64_t fa = 0;
	bool dyn = false;
	int err;

	if ((s->probe->kind != BT_P_UPROBE &&
	     s->probe->kind != BT_P_URETPROBE) ||
	    !probe_target(s->probe->spec, path, sizeof(path), func,
			  sizeof(func)))
		return btg_fail(s, n->loc, ENOTSUP,
				"uaddr() is supported in uprobe:/PATH:FUNC "
				"and uretprobe:/PATH:FUNC only");
	err = elf_data_symbol(path, name, &ds, &dyn);
	if (err)
		return btg_fail_bt(s, n->loc, ENOENT,
				   "Could not resolve symbol: %s:%s", path,
				   name);
	*size = ds.size == 1 || ds.size == 2 || ds.size == 4 ? (uint32_t)ds.size
							     : 8;
	if (!dyn) {
		EMIT(&s->g, LD_IMM64(R0, ds.addr));
		return 0;
	}
	if ((err = func_addr(s, n, path, func, &fa)) < 0)
		return err;
	EMIT(&s->g, MOV_REG(R1, R6), CALL(BPF_FUNC_get_func_ip),
	     LD_IMM64(R1, ds.addr - fa), ALU_REG(BPF_ADD, R0, R1));
	return 0;
}
