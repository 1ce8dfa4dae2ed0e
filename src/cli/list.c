/* SPDX-License-Identifier: MIT */
/* sonde list: the functions a probe can go on, kernel or user. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: sonde list k:[MOD:]PATTERN | u:TARGET[:PATTERN] [-p "
		"PID] [-q]\n"
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
		"  No PATTERN lists everything. The count goes to stderr (-q: "
		"not).\n"
		"examples:\n"
		"  sonde list 'k:do_sys_open*'\n"
		"  sonde list 'u:libc:str*cmp'\n");
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
		printf("%s [%s]\n", name, mod);
	else
		printf("%s\n", name);
	k->n++;
	return 0;
}

static int print_ufunc(const char *name, uint64_t addr, uint64_t size,
		       void *ctx)
{
	printf("%016" PRIx64 " %6" PRIu64 " %s\n", addr, size, name);
	return 0;
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
	n = sonde_ufuncs__list(arg, o->pid, glob, print_ufunc, NULL);
	if (n == -ENOENT) {
		fprintf(stderr,
			"%s: no program or library named '%s' (a path, a name "
			"in PATH or ld.so.cache%s)\n",
			prog, arg, o->pid ? ", or in the process's maps" : "");
		return EXIT_USAGE;
	}
	if (n == -ENOEXEC) {
		fprintf(stderr, "%s: '%s' is not an ELF file\n", prog, arg);
		return EXIT_USAGE;
	}
	if (n < 0) {
		fprintf(stderr, "%s: cannot list the functions of '%s': %s\n",
			prog, arg, strerror(-n));
		return EXIT_RUNTIME;
	}
	if (!o->quiet)
		fprintf(stderr, "%d function%s%s%s%s in %s\n", n,
			n == 1 ? "" : "s", glob ? " matching '" : "",
			glob ? glob : "", glob ? "'" : "", arg);
	return 0;
}

int cmd_list(int argc, char **argv)
{
	struct cli_opts o;
	int status, i;
	char *arg;

	status = cli_parse(argc, argv, &o, usage);
	if (status)
		return status;
	if (o.nprobes < 1) {
		usage(stderr);
		return EXIT_USAGE;
	}
	for (i = 0; i < o.nprobes && !status; i++) {
		arg = o.probes[i];
		if (!strcmp(arg, "k") || !strcmp(arg, "kr")) {
			status = list_kernel(arg + strlen(arg), &o);
		} else if (!strncmp(arg, "k:", 2) || !strncmp(arg, "kr:", 3)) {
			status = list_kernel(strchr(arg, ':') + 1, &o);
		} else if (!strncmp(arg, "u:", 2) || !strncmp(arg, "ur:", 3)) {
			status = list_user(strchr(arg, ':') + 1, &o);
		} else {
			fprintf(stderr,
				"%s: list takes k:[MOD:]PATTERN or "
				"u:TARGET[:PATTERN], not '%s'\n",
				prog, arg);
			status = EXIT_USAGE;
		}
		fflush(stdout);
	}
	return status;
}
