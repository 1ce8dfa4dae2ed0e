// SPDX-License-Identifier: MIT
/*
 * ksym.c on fixture files (tests/unit/data/ksym: kallsyms with text, data,
 * init and module symbols, available_filter_functions, kprobes/blacklist),
 * and on the host's real /proc/kallsyms.
 */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <sonde/sonde.h>

#include "sym/ksym.h"

#define DATA SRC_FIXTURE_DIR "/../unit/data/ksym"

/* Point ksym at the fixtures; NULL leaves a variable unset (the system). */
static void use(const char *proc, const char *tracefs, const char *debugfs)
{
	ksym_cache_free();
	if (proc)
		setenv("SONDE_PROC_ROOT", proc, 1);
	else
		unsetenv("SONDE_PROC_ROOT");
	if (tracefs)
		setenv("SONDE_TRACEFS_ROOT", tracefs, 1);
	else
		unsetenv("SONDE_TRACEFS_ROOT");
	if (debugfs)
		setenv("SONDE_DEBUGFS_ROOT", debugfs, 1);
	else
		unsetenv("SONDE_DEBUGFS_ROOT");
}

static int setup_fixture(void **state)
{
	use(DATA, DATA, DATA);
	return 0;
}

static int teardown(void **state)
{
	ksym_cache_free();
	return 0;
}

static int check(const char *mod, const char *func, uint64_t off, char *msg)
{
	return ksym_check_probe(mod, func, off, msg, 256);
}

static void test_check_ok(void **state)
{
	char msg[256];

	assert_int_equal(check(NULL, "do_sys_open", 0, msg), 0);
	assert_string_equal(msg, "");
	assert_int_equal(check(NULL, "do_sys_openat2", 0, msg), 0);
	/* a module's function, with and without its module */
	assert_int_equal(check("nf_tables", "nft_do_chain", 0, msg), 0);
	assert_string_equal(msg, "");
	assert_int_equal(check(NULL, "nft_do_chain", 0, msg), 0);
	assert_int_equal(check("overlay", "vfs_read", 0, msg), 0);
	assert_string_equal(msg, "");
}

static void test_check_unknown(void **state)
{
	char msg[256];

	assert_int_equal(check(NULL, "do_sys_opn", 0, msg), -ENOENT);
	assert_string_equal(msg, "no kernel function 'do_sys_opn'; "
				 "closest: do_sys_open, do_sys_openat2");
	/* nothing close: no "closest" part */
	assert_int_equal(check(NULL, "zzzzzzzzzzzz", 0, msg), -ENOENT);
	assert_string_equal(msg, "no kernel function 'zzzzzzzzzzzz'");
	/* a data symbol's name is no suggestion */
	assert_int_equal(check(NULL, "jiffie", 0, msg), -ENOENT);
	assert_null(strstr(msg, "jiffies"));
}

static void test_check_suggest_probeable_first(void **state)
{
	char msg[256];

	/* do_int3 (blacklisted) and do_int6 are both 1 away */
	assert_int_equal(check(NULL, "do_int5", 0, msg), -ENOENT);
	assert_string_equal(msg, "no kernel function 'do_int5'; "
				 "closest: do_int6, do_int3");
	/* a blacklisted name is still offered when it is the closest */
	assert_int_equal(check(NULL, "do_iint3", 0, msg), -ENOENT);
	assert_non_null(strstr(msg, "; closest: do_int3"));
	/* "dup_nam" is 1 from dup_name (twice: listed once) */
	assert_int_equal(check(NULL, "dup_nam", 0, msg), -ENOENT);
	assert_string_equal(msg,
			    "no kernel function 'dup_nam'; closest: dup_name");
}

static void test_check_blacklisted(void **state)
{
	char msg[256];

	assert_int_equal(check(NULL, "do_int3", 0, msg), -EPERM);
	assert_string_equal(msg, "'do_int3' is on the kprobe blacklist: "
				 "the kernel refuses probes there");
	assert_int_equal(check(NULL, "asm_exc_page_fault", 0, msg), -EPERM);
	assert_int_equal(check("nf_tables", "nf_hook", 0, msg), -EPERM);
	/* only the blacklist file counts when it is readable */
	assert_int_equal(check(NULL, "kbl_func", 0, msg), 0);
}

static void test_check_blacklist_fallback(void **state)
{
	char msg[256];

	/* no kprobes/blacklist there: rebuilt from kallsyms */
	use(DATA, DATA, DATA "/noaddr");
	assert_int_equal(check(NULL, "do_int3", 0, msg), -EPERM);
	assert_int_equal(check(NULL, "kbl_func", 0, msg), -EPERM);
	assert_int_equal(check(NULL, "noinstr_func", 0, msg), -EPERM);
	assert_int_equal(check(NULL, "asm_exc_page_fault", 0, msg), -EPERM);
	assert_int_equal(check(NULL, "schedule", 0, msg), 0);
	/* module functions are only known to the file */
	assert_int_equal(check("nf_tables", "nf_hook", 0, msg), 0);
}

static void test_check_module(void **state)
{
	char msg[256];

	assert_int_equal(check("xfs", "xfs_file_read_iter", 0, msg), -ENOENT);
	assert_string_equal(msg, "module 'xfs' is not loaded "
				 "(no [xfs] symbols in /proc/kallsyms)");
	assert_int_equal(check("nf_tables", "nft_do_chian", 0, msg), -ENOENT);
	assert_string_equal(msg, "no kernel function 'nft_do_chian' in module "
				 "'nf_tables'; closest: nft_do_chain");
	/* a core function asked for in a module that lacks it */
	assert_int_equal(check("nf_tables", "schedule", 0, msg), -ENOENT);
}

static void test_check_not_code(void **state)
{
	char msg[256];

	assert_int_equal(check(NULL, "jiffies", 0, msg), -EINVAL);
	assert_string_equal(msg, "'jiffies' is a data symbol, not a function: "
				 "kprobes go on code");
	assert_int_equal(check(NULL, "start_kernel", 0, msg), -EINVAL);
	assert_string_equal(msg, "'start_kernel' cannot be probed: it is init "
				 "code, freed after boot");
	assert_int_equal(check(NULL, "init_helper", 0, msg), -EINVAL);
	assert_int_equal(check(NULL, "", 0, msg), -EINVAL);
}

static void test_check_hints(void **state)
{
	char msg[256];

	/* notrace: allowed (a breakpoint kprobe), with a hint */
	assert_int_equal(check(NULL, "notrace_helper", 0, msg), 0);
	assert_string_equal(msg, "'notrace_helper' is not in "
				 "available_filter_functions (notrace): the "
				 "kprobe uses a breakpoint, not ftrace");
	assert_int_equal(check(NULL, "dup_name", 0, msg), 0);
	assert_string_equal(msg, "'dup_name' names 2 functions in "
				 "/proc/kallsyms: the probe goes on the first");
	/* core vfs_read and overlay's vfs_read */
	assert_int_equal(check(NULL, "vfs_read", 0, msg), 0);
	assert_non_null(strstr(msg, "names 2 functions"));
}

static void test_check_offset(void **state)
{
	char msg[256];

	/* vfs_read 0x...1280, next text symbol vfs_write 0x...1380 */
	assert_int_equal(check(NULL, "vfs_write", 0xff, msg), 0);
	assert_int_equal(check(NULL, "vfs_write", 0x100, msg), -EINVAL);
	assert_string_equal(msg, "offset 0x100 is beyond the end of "
				 "'vfs_write' (0x100 bytes)");
}

static void test_addr_to_name(void **state)
{
	char buf[128];

	assert_int_equal(
		ksym_addr_to_name(0xffffffff81001290, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "vfs_read+0x10/0x100");
	assert_int_equal(
		ksym_addr_to_name(0xffffffff81001200, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "do_sys_open+0x0/0x80");
	/* aliases: the first in kallsyms order */
	assert_int_equal(
		ksym_addr_to_name(0xffffffff81000004, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "_stext+0x4/0x10");
	/* a module: the data symbol between does not cut nf_hook short */
	assert_int_equal(
		ksym_addr_to_name(0xffffffffc00020a0, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "nf_hook+0xa0/0x100 [nf_tables]");
	/* the module's last function: size unknown */
	assert_int_equal(
		ksym_addr_to_name(0xffffffffc0002110, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "nft_do_chain+0x10 [nf_tables]");
	/* below the first symbol, past the end of the kernel's text */
	assert_int_equal(ksym_addr_to_name(0x1000, buf, sizeof(buf)), -ENOENT);
	assert_int_equal(
		ksym_addr_to_name(0xffffffff83000210, buf, sizeof(buf)),
		-ENOENT);
	/* too small a buffer */
	assert_int_equal(ksym_addr_to_name(0xffffffff81001290, buf, 8),
			 -ENOSPC);
}

static void test_name_to_addr(void **state)
{
	uint64_t addr = 0;

	assert_int_equal(ksym_name_to_addr(NULL, "schedule", &addr), 0);
	assert_true(addr == 0xffffffff81001600);
	assert_int_equal(ksym_name_to_addr("overlay", "vfs_read", &addr), 0);
	assert_true(addr == 0xffffffffc0003000);
	assert_int_equal(ksym_name_to_addr(NULL, "jiffies", &addr), -ENOENT);
}

static void test_hidden_addresses(void **state)
{
	uint64_t addr;
	char buf[128];

	/* kptr_restrict: kallsyms shows zeros to an unprivileged reader */
	use(DATA "/noaddr", DATA, DATA);
	assert_int_equal(
		ksym_addr_to_name(0xffffffff81001290, buf, sizeof(buf)),
		-EACCES);
	assert_int_equal(ksym_name_to_addr(NULL, "schedule", &addr), -EACCES);
	/* names still work */
	assert_int_equal(
		ksym_check_probe(NULL, "schedule", 0, buf, sizeof(buf)), 0);
	assert_int_equal(ksym_check_probe(NULL, "do_int3", 0, buf, sizeof(buf)),
			 -EPERM);
}

struct list {
	char out[1024];
	int n;
	int stop_at;
};

static int collect(const char *name, const char *mod, void *ctx)
{
	struct list *l = ctx;
	size_t used = strlen(l->out);

	snprintf(l->out + used, sizeof(l->out) - used, "%s%s%s%s\n", name,
		 mod ? " [" : "", mod ? mod : "", mod ? "]" : "");
	if (++l->n == l->stop_at)
		return 42;
	return 0;
}

static void test_glob(void **state)
{
	struct list l = {0};

	assert_int_equal(ksym_glob("do_sys_open*", collect, &l), 2);
	assert_string_equal(l.out, "do_sys_open\ndo_sys_openat2\n");

	/* everything in available_filter_functions, blacklist removed,
	 * each name once, sorted */
	memset(&l, 0, sizeof(l));
	assert_int_equal(ksym_glob(NULL, collect, &l), 10);
	assert_string_equal(l.out, "do_int6\n"
				   "do_sys_open\n"
				   "do_sys_openat2\n"
				   "dup_name\n"
				   "kbl_func\n"
				   "nft_do_chain [nf_tables]\n"
				   "schedule\n"
				   "vfs_read\n"
				   "vfs_read [overlay]\n"
				   "vfs_write\n");
	assert_null(strstr(l.out, "do_int3"));
	assert_null(strstr(l.out, "notrace_helper"));
	assert_null(strstr(l.out, "__ftrace_invalid"));

	/* a callback's non-zero value stops the walk and is returned */
	memset(&l, 0, sizeof(l));
	l.stop_at = 2;
	assert_int_equal(ksym_glob("*", collect, &l), 42);
	assert_int_equal(l.n, 2);

	memset(&l, 0, sizeof(l));
	assert_int_equal(ksym_glob("nothing*", collect, &l), 0);
}

static void test_glob_without_aff(void **state)
{
	struct list l = {0};

	/* no available_filter_functions: kallsyms text, minus blacklist and
	 * init code */
	use(DATA, DATA "/noaddr", DATA);
	assert_int_equal(ksym_glob("*_helper", collect, &l), 1);
	assert_string_equal(l.out, "notrace_helper\n");
}

static void test_missing_kallsyms(void **state)
{
	char msg[256];

	use("/nonexistent", DATA, DATA);
	assert_int_equal(check(NULL, "schedule", 0, msg), -ENODATA);
	assert_string_equal(msg, "cannot read /proc/kallsyms: No such file or "
				 "directory");
}

/* The host's own kallsyms: it exists without kprobes too. */
static void test_host_kallsyms(void **state)
{
	struct timespec t0, t1;
	uint64_t addr;
	char buf[256];
	double ms;
	int err;

	use(NULL, NULL, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	err = ksym_name_to_addr(NULL, "schedule", &addr);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
	if (err == -EACCES)
		skip(); /* addresses hidden: not root */
	assert_int_equal(err, 0);
	printf("# loaded /proc/kallsyms in %.1f ms\n", ms);
	assert_true(ms < 2000);
	assert_int_equal(
		ksym_check_probe(NULL, "schedule", 0, buf, sizeof(buf)), 0);
	assert_int_equal(ksym_addr_to_name(addr, buf, sizeof(buf)), 0);
	assert_memory_equal(buf, "schedule+0x0/0x", 15);
	assert_int_equal(ksym_addr_to_name(addr + 4, buf, sizeof(buf)), 0);
	assert_memory_equal(buf, "schedule+0x4/0x", 15);
	assert_int_equal(ksym_check_probe(NULL, "schedul", 0, buf, sizeof(buf)),
			 -ENOENT);
	assert_non_null(strstr(buf, "closest: schedule"));
}

struct ulist {
	char out[512];
	uint64_t last;
	int n;
};

static int ucollect(const char *name, uint64_t addr, uint64_t size, void *ctx)
{
	struct ulist *l = ctx;
	size_t used = strlen(l->out);

	assert_true(addr >= l->last); /* by address */
	assert_true(size > 0);
	l->last = addr;
	snprintf(l->out + used, sizeof(l->out) - used, "%s\n", name);
	l->n++;
	return 0;
}

/* sonde_ufuncs__list on the built non-PIE fixture (tests/fixtures/calls.c):
 * parse_int is defined before parse_args. */
static void test_ufuncs(void **state)
{
	const char *bin = FIXTURE_DIR "/fixture_nopie";
	struct ulist l = {0};

	if (access(bin, R_OK))
		skip();
	assert_int_equal(sonde_ufuncs__list(bin, 0, "parse_*", ucollect, &l),
			 2);
	assert_string_equal(l.out, "parse_int\nparse_args\n");
	assert_int_equal(sonde_ufuncs__list(bin, 0, "nothing*", ucollect, &l),
			 0);
	assert_int_equal(
		sonde_ufuncs__list("/nonexistent/prog", 0, NULL, ucollect, &l),
		-ENOENT);
	assert_int_equal(
		sonde_ufuncs__list(DATA "/kallsyms", 0, NULL, ucollect, &l),
		-ENOEXEC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup_fixture, teardown)
		T(test_check_ok),
		T(test_check_unknown),
		T(test_check_suggest_probeable_first),
		T(test_check_blacklisted),
		T(test_check_blacklist_fallback),
		T(test_check_module),
		T(test_check_not_code),
		T(test_check_hints),
		T(test_check_offset),
		T(test_addr_to_name),
		T(test_name_to_addr),
		T(test_hidden_addresses),
		T(test_glob),
		T(test_glob_without_aff),
		T(test_missing_kallsyms),
		T(test_host_kallsyms),
		T(test_ufuncs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
