/* SPDX-License-Identifier: MIT */
/*
 * More for `sonde list`: function signatures from DWARF, USDT probes, and
 * the objects a process maps (so that -p PID can list all of them).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sonde/sonde.h>

#include "sym/dwarf.h"
#include "resolve/target.h"
#include "sym/usdt.h"

int sonde_ufuncs__signatures(const char *target, pid_t pid,
			     int (*cb)(uint64_t addr, const char *sig,
				       void *ctx),
			     void *ctx)
{
	char path[PATH_MAX];
	int err;

	if (!target || !cb)
		return -EINVAL;
	err = target_resolve(target, pid, path, sizeof(path), NULL);
	if (err)
		return err;
	return dwarf_for_each_signature(path, NULL, cb, ctx);
}

int sonde_usdt__list(const char *target, pid_t pid,
		     int (*cb)(const struct sonde_usdt_info *u, void *ctx),
		     void *ctx)
{
	struct sonde_usdt_info info;
	const struct usdt_probe *p;
	char path[PATH_MAX];
	struct usdt_file *f;
	size_t i;
	int err;

	if (!target || !cb)
		return -EINVAL;
	err = target_resolve(target, pid, path, sizeof(path), NULL);
	if (!err)
		err = usdt_open(path, &f);
	if (err)
		return err;
	for (i = 0; i < usdt_count(f) && !err; i++) {
		p = usdt_get(f, i);
		info = (struct sonde_usdt_info){.path = path,
						.provider = p->provider,
						.name = p->name,
						.args = p->args,
						.nargs = usdt_nargs(p),
						.addr = p->pc,
						.semaphore = p->sem_addr};
		err = cb(&info, ctx);
	}
	if (!err)
		err = (int)usdt_count(f);
	usdt_close(f);
	return err;
}

int sonde_proc__objects(pid_t pid, int (*cb)(const char *path, void *ctx),
			void *ctx)
{
	char file[64], line[PATH_MAX + 128], perms[8], **seen = NULL, **nv;
	const char *root = getenv("SONDE_PROC_ROOT");
	size_t n = 0, i;
	int ret = 0, off;
	FILE *f;

	if (pid <= 0 || !cb)
		return -EINVAL;
	snprintf(file, sizeof(file), "%s/proc/%d/maps", root ? root : "",
		 (int)pid);
	f = fopen(file, "re");
	if (!f)
		return -errno;
	while (!ret && fgets(line, sizeof(line), f)) {
		/* "start-end perms offset dev inode   path" (proc(5)) */
		if (sscanf(line, "%*s %7s %*s %*s %*s %n", perms, &off) != 1 ||
		    perms[2] != 'x' || line[off] != '/')
			continue;
		line[strcspn(line, "\n")] = '\0';
		for (i = 0; i < n && strcmp(seen[i], line + off); i++)
			;
		if (i < n)
			continue;
		nv = realloc(seen, (n + 1) * sizeof(*seen));
		if (!nv || !(nv[n] = strdup(line + off))) {
			seen = nv ? nv : seen;
			ret = -ENOMEM;
			break;
		}
		seen = nv;
		ret = cb(seen[n++], ctx);
	}
	fclose(f);
	for (i = 0; i < n; i++)
		free(seen[i]);
	free(seen);
	return ret ? ret : (int)n;
}
