/* SPDX-License-Identifier: MIT */
/* sonde list: the functions a probe can go on, kernel or user. */
#include <errno.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "options.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: sonde list k:[MOD:]PATTERN | u:TARGET[:PATTERN] | "
		"usdt:TARGET[:[PROVIDER:]NAME] | t:SYSTEM[:EVENT] "
		"[options]\n"
		"  k:PATTERN         kernel functions a kprobe can take whose\n"
		"                    names match the glob PATTERN ('*', '?',\n"
		"                    '[...]'), sorted, ' [MOD]' after a "
		"module's;\n"
		"                    from available_filter_functions when it "
		"can\n"
		"                    be read (root), else /proc/kallsyms; the\n"
		"                    kprobe blacklist is left out\n"
		"  k:MOD:PATTERN     only those of module MOD\n"
		"  u:TARGET:PATTERN  functions of a program or library (a "
		"path, a\n"
		"                    name in PATH, or 'libc'), as ADDRESS SIZE "
		"NAME\n"
		"                    by address; -p PID also finds libraries "
		"in\n"
		"                    the process's maps\n"
		"                    -v adds each function's C signature "
		"where\n"
		"                    the target has debug info (DWARF)\n"
		"  usdt:TARGET       USDT probes of a program or library: "
		"ADDRESS\n"
		"                    PROVIDER:NAME, its semaphore, and its\n"
		"                    arguments (arg1..argN in a probe spec)\n"
		"  usdt:TARGET:[PROVIDER:]NAME  only those whose provider "
		"and name\n"
		"                    match the globs (NAME alone: any "
		"provider)\n"
		"  -p PID with an empty TARGET (u:, u::PATTERN, usdt:, "
		"usdt::NAME) lists "
		"every\n"
		"                    object the process maps\n"
		"  t:SYSTEM[:EVENT]  tracepoints (events/ of tracefs), as "
		"t:SYSTEM:EVENT;\n"
		"                    SYSTEM and EVENT are globs\n"
		"  No PATTERN lists everything. The count goes to stderr (-q: "
		"not).\n"
		"examples:\n"
		"  sonde list 'k:do_sys_open*'\n"
		"  sonde list 'u:libc:str*cmp'\n"
		"  sonde list -v u:./prog:handle\n"
		"  sonde list -p 1234 usdt:\n"
		"  sonde list 'usdt:./prog:*:req_*'\n"
		"  sonde list 't:sched:sched_process_*'\n");
	cli_options_help(out, CMD_LIST);
}

struct kctx {
	const char *mod; /* only this module's, when set */
	int n;
};

static int print_kfunc(const char *name, const char *mod, void *ctx)
{
	struct kctx *k = ctx;

	if (k->mod && (!mod || strcmp(mod, k->mod)))
		return 0;
	if (mod)
		printf("%s [%s]\n", cli_safe(name), cli_safe(mod));
	else
		printf("%s\n", cli_safe(name));
	k->n++;
	return 0;
}

struct sig {
	uint64_t addr;
	char *text;
};

/* Signatures by address, for -v. */
struct sigs {
	struct sig *v;
	size_t n, cap;
};

static int add_sig(uint64_t addr, const char *text, void *ctx)
{
	struct sigs *g = ctx;
	struct sig *nv;

	if (g->n == g->cap) {
		g->cap = g->cap ? g->cap * 2 : 64;
		nv = realloc(g->v, g->cap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		g->v = nv;
	}
	g->v[g->n].addr = addr;
	g->v[g->n].text = strdup(text);
	if (!g->v[g->n].text)
		return -ENOMEM;
	g->n++;
	return 0;
}

static int by_addr(const void *a, const void *b)
{
	const struct sig *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static void free_sigs(struct sigs *g)
{
	size_t i;

	for (i = 0; i < g->n; i++)
		free(g->v[i].text);
	free(g->v);
}

static int print_ufunc(const char *name, uint64_t addr, uint64_t size,
		       void *ctx)
{
	struct sigs *g = ctx;
	struct sig key = {.addr = addr}, *hit = NULL;

	if (g && g->n)
		hit = bsearch(&key, g->v, g->n, sizeof(*g->v), by_addr);
	if (hit)
		printf("%016" PRIx64 " %6" PRIu64 " %s  %s\n", addr, size,
		       cli_safe(name), cli_safe(hit->text));
	else
		printf("%016" PRIx64 " %6" PRIu64 " %s\n", addr, size,
		       cli_safe(name));
	return 0;
}

/* usdt:TARGET[:[PROVIDER:]NAME]: globs, fnmatch(3) as the probe specs
 * take them; a NAME alone matches it under any provider (bpftrace -l) */
struct uctx {
	const char *provider, *name; /* NULL: any */
	int n;
};

static int print_usdt(const struct sonde_usdt_info *u, void *ctx)
{
	struct uctx *c = ctx;
	int *n = &c->n;

	if ((c->provider && fnmatch(c->provider, u->provider, 0)) ||
	    (c->name && fnmatch(c->name, u->name, 0)))
		return 0;
	printf("%016" PRIx64 " %s:%s", u->addr, cli_safe(u->provider),
	       cli_safe(u->name));
	if (u->semaphore)
		printf(" semaphore=0x%" PRIx64, u->semaphore);
	printf(" args=%d%s%s\n", u->nargs, u->nargs ? " " : "",
	       cli_safe(u->args));
	(*n)++;
	return 0;
}

static int print_object(const char *path, void *ctx)
{
	char ***v = ctx;
	size_t n = 0;
	char **nv;

	while (*v && (*v)[n])
		n++;
	nv = realloc(*v, (n + 2) * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	nv[n] = strdup(path);
	nv[n + 1] = NULL;
	*v = nv;
	return nv[n] ? 0 : -ENOMEM;
}

/* "k:PATTERN", "k:MOD:PATTERN", "k" or "k:": every function. */
static int list_kernel(char *arg, const struct cli_opts *o)
{
	struct kctx k = {0};
	char *glob = arg, *colon = strchr(arg, ':');
	int n;

	if (colon) {
		*colon = '\0';
		k.mod = arg;
		glob = colon + 1;
	}
	if (!*glob)
		glob = NULL;
	n = sonde_kfuncs__list(glob, print_kfunc, &k);
	if (n < 0) {
		fprintf(stderr, "%s: cannot list kernel functions: %s\n", prog,
			strerror(-n));
		return EXIT_RUNTIME;
	}
	if (!o->quiet)
		fprintf(stderr, "%d kernel function%s%s%s%s%s%s\n", k.n,
			k.n == 1 ? "" : "s", glob ? " matching '" : "",
			glob ? glob : "", glob ? "'" : "", k.mod ? " in " : "",
			k.mod ? k.mod : "");
	return 0;
}

/* "u:TARGET[:PATTERN]". */
static int list_user(char *arg, const struct cli_opts *o)
{
	char *glob = strchr(arg, ':');
	struct sigs sigs = {0};
	int n;

	if (glob)
		*glob++ = '\0';
	if (!*arg) {
		fprintf(stderr, "%s: u: needs a TARGET (u:TARGET[:PATTERN])\n",
			prog);
		return EXIT_USAGE;
	}
	if (glob && !*glob)
		glob = NULL;
	if (o->verbose) {
		/* no debug info: the functions without signatures */
		n = sonde_ufuncs__signatures(arg, o->pid, add_sig, &sigs);
		if (n < 0 && !o->quiet)
			fprintf(stderr,
				"%s: %s: %s debug info, so no "
				"signatures\n",
				prog, cli_safe(arg),
				n == -EBADMSG ? "malformed" : "no");
		if (sigs.n)
			qsort(sigs.v, sigs.n, sizeof(*sigs.v), by_addr);
	}
	n = sonde_ufuncs__list(arg, o->pid, glob, print_ufunc, &sigs);
	free_sigs(&sigs);
	if (n == -ENOENT) {
		fprintf(stderr,
			"%s: no program or library named '%s' (a path, a name "
			"in PATH or ld.so.cache%s)\n",
			prog, cli_safe(arg),
			o->pid ? ", or in the process's maps" : "");
		return EXIT_USAGE;
	}
	if (n == -ENOEXEC) {
		fprintf(stderr, "%s: '%s' is not an ELF file\n", prog,
			cli_safe(arg));
		return EXIT_USAGE;
	}
	if (n < 0) {
		fprintf(stderr, "%s: cannot list the functions of '%s': %s\n",
			prog, cli_safe(arg), strerror(-n));
		return EXIT_RUNTIME;
	}
	if (!o->quiet)
		fprintf(stderr, "%d function%s%s%s%s in %s\n", n,
			n == 1 ? "" : "s", glob ? " matching '" : "",
			glob ? glob : "", glob ? "'" : "", cli_safe(arg));
	return 0;
}

/* "usdt:TARGET[:[PROVIDER:]NAME]" */
static int list_usdt(char *arg, const struct cli_opts *o)
{
	struct uctx c = {0};
	char *colon = strchr(arg, ':'), *second, pat[256] = "";
	int n;

	if (colon) {
		*colon++ = '\0';
		snprintf(pat, sizeof(pat), "%s", colon);
		second = strchr(colon, ':');
		if (second) {
			*second++ = '\0';
			c.provider = colon;
			c.name = second;
		} else {
			c.name = colon;
		}
	}
	if (c.provider && (!*c.provider || !strcmp(c.provider, "*")))
		c.provider = NULL;
	if (c.name && (!*c.name || !strcmp(c.name, "*")))
		c.name = NULL;
	n = sonde_usdt__list(arg, o->pid, print_usdt, &c);
	if (n == -ENOENT || n == -ENOEXEC) {
		fprintf(stderr, "%s: '%s' is not a program or library%s\n",
			prog, cli_safe(arg), n == -ENOEXEC ? " (not ELF)" : "");
		return EXIT_USAGE;
	}
	if (n < 0) {
		fprintf(stderr, "%s: cannot list the USDT probes of '%s': %s\n",
			prog, cli_safe(arg), strerror(-n));
		return EXIT_RUNTIME;
	}
	if (!o->quiet)
		fprintf(stderr, "%d USDT probe location%s%s%s%s in %s\n", c.n,
			c.n == 1 ? "" : "s", *pat ? " matching '" : "",
			cli_safe(pat), *pat ? "'" : "", cli_safe(arg));
	return 0;
}

/* -p PID and an empty TARGET: every object the process maps. */
static int list_objects(const char *rest, bool usdt, const struct cli_opts *o)
{
	char **objs = NULL, *arg;
	int n, i, status = 0;

	n = sonde_proc__objects(o->pid, print_object, &objs);
	if (n < 0) {
		fprintf(stderr, "%s: cannot read the maps of process %d: %s\n",
			prog, (int)o->pid, strerror(-n));
		return EXIT_RUNTIME;
	}
	for (i = 0; objs && objs[i]; i++) {
		printf("# %s\n", cli_safe(objs[i]));
		if (asprintf(&arg, "%s%s", objs[i], rest) < 0)
			status = EXIT_RUNTIME;
		else if (usdt)
			status = list_usdt(arg, o) == EXIT_RUNTIME
					 ? EXIT_RUNTIME
					 : status;
		else
			status = list_user(arg, o) == EXIT_RUNTIME
					 ? EXIT_RUNTIME
					 : status;
		free(arg);
		free(objs[i]);
	}
	free(objs);
	return status;
}

int cmd_list(int argc, char **argv)
{
	struct cli_opts o;
	int status, i;
	char *arg;

	status = cli_parse(argc, argv, &o, usage);
	if (!status)
		status = cli_no_outfile(&o, "list");
	if (status)
		return status;
	if (o.nprobes < 1) {
		usage(stderr);
		return EXIT_USAGE;
	}
	for (i = 0; i < o.nprobes && !status; i++) {
		/* uprobe:TARGET, kprobe:PATTERN as u:, k: */
		arg = cli_spec_short(o.probes[i]);
		if (!arg)
			return EXIT_RUNTIME;
		if (!strcmp(arg, "k") || !strcmp(arg, "kr")) {
			status = list_kernel(arg + strlen(arg), &o);
		} else if (!strncmp(arg, "k:", 2) || !strncmp(arg, "kr:", 3)) {
			status = list_kernel(strchr(arg, ':') + 1, &o);
		} else if (o.pid && (!strcmp(arg, "u") || !strcmp(arg, "u:") ||
				     !strncmp(arg, "u::", 3))) {
			status = list_objects(arg[1] ? arg + 2 : "", false, &o);
		} else if (o.pid &&
			   (!strcmp(arg, "usdt") || !strcmp(arg, "usdt:") ||
			    !strncmp(arg, "usdt::", 6))) {
			status = list_objects(arg[4] && arg[5] ? arg + 5 : "",
					      true, &o);
		} else if (!strncmp(arg, "u:", 2) || !strncmp(arg, "ur:", 3)) {
			status = list_user(strchr(arg, ':') + 1, &o);
		} else if (!strncmp(arg, "usdt:", 5)) {
			status = list_usdt(arg + 5, &o);
		} else if (!strcmp(arg, "t") || !strcmp(arg, "tracepoint") ||
			   !strncmp(arg, "t:", 2) ||
			   !strncmp(arg, "tracepoint:", 11)) {
			status = list_tracepoints(
				strchr(arg, ':') ? strchr(arg, ':') + 1 : "",
				&o);
		} else {
			fprintf(stderr,
				"%s: list takes k:[MOD:]PATTERN, "
				"u:TARGET[:PATTERN], "
				"usdt:TARGET[:[PROVIDER:]NAME] or "
				"t:SYSTEM[:EVENT], not "
				"'%s'\n",
				prog, o.probes[i]);
			status = EXIT_USAGE;
		}
		free(arg);
		fflush(stdout);
		if (out_error(stdout))
			return EXIT_RUNTIME;
	}
	return status;
}
