/* SPDX-License-Identifier: MIT */
/*
 * pmu.c without root: the format strings of
 * /sys/bus/event_source/devices/PMU/format/ (as kernel/events/core.c
 * writes them), a PMU directory read from a fake tree, the cache, and the
 * close-on-exec perf_event_open wrapper.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "backend/pmu.h"

static void format_parse(void **state)
{
	struct pmu_format f;

	(void)state;
	assert_int_equal(pmu_format_parse("config:0\n", &f), 0);
	assert_int_equal(f.word, 0);
	assert_int_equal(f.lo, 0);
	assert_int_equal(f.hi, 0);
	assert_int_equal(pmu_format_parse("config:32-63", &f), 0);
	assert_int_equal(f.word, 0);
	assert_int_equal(f.lo, 32);
	assert_int_equal(f.hi, 63);
	assert_int_equal(pmu_format_parse("config1:32-63\n", &f), 0);
	assert_int_equal(f.word, 1);
	assert_int_equal(f.lo, 32);
	assert_int_equal(f.hi, 63);
	assert_int_equal(pmu_format_parse("config2:7", &f), 0);
	assert_int_equal(f.word, 2);
	assert_int_equal(f.lo, 7);
}

static void format_rejects(void **state)
{
	static const char *const bad[] = {
		"",	     "config",	    "config:",	  "conf:1",
		"config3:1", "config:64",   "config:5-3", "config:1x",
		"config:-1", "config:0-64", "config:1-",  "config:1 ",
	};
	struct pmu_format f;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(pmu_format_parse(bad[i], &f), -EINVAL);
}

static char root[64];

static void put(const char *rel, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void dir(const char *rel)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	assert_int_equal(mkdir(path, 0755), 0);
}

/* a tree as a 6.18 kernel has it, plus PMUs it could have */
static int fake_tree(void **state)
{
	(void)state;
	snprintf(root, sizeof(root), "/tmp/sonde-pmu-XXXXXX");
	if (!mkdtemp(root))
		return -1;
	dir("uprobe");
	dir("uprobe/format");
	put("uprobe/type", "9\n");
	put("uprobe/format/retprobe", "config:0\n");
	put("uprobe/format/ref_ctr_offset", "config:32-63\n");
	dir("kprobe");
	dir("kprobe/format");
	put("kprobe/type", "8\n");
	put("kprobe/format/retprobe", "config:3\n");
	dir("odd");
	dir("odd/format");
	put("odd/type", "12\n");
	put("odd/format/retprobe", "config1:0\n");
	put("odd/format/ref_ctr_offset", "bogus\n");
	dir("junk");
	put("junk/type", "uprobe\n");
	dir("empty");
	put("empty/type", "");
	return 0;
}

static int remove_tree(void **state)
{
	static const char *const files[] = {
		"uprobe/format/retprobe",
		"uprobe/format/ref_ctr_offset",
		"uprobe/type",
		"uprobe/format",
		"uprobe",
		"kprobe/format/retprobe",
		"kprobe/type",
		"kprobe/format",
		"kprobe",
		"odd/format/retprobe",
		"odd/format/ref_ctr_offset",
		"odd/type",
		"odd/format",
		"odd",
		"junk/type",
		"junk",
		"empty/type",
		"empty",
	};
	char path[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", root, files[i]);
		remove(path);
	}
	return rmdir(root);
}

static void read_uprobe(void **state)
{
	struct pmu_info m;

	(void)state;
	assert_int_equal(pmu_read(root, "uprobe", &m), 0);
	assert_int_equal(m.type, 9);
	assert_int_equal(m.retprobe_bit, 0);
	assert_int_equal(m.ref_ctr_shift, 32);
}

static void read_kprobe_without_ref_ctr(void **state)
{
	struct pmu_info m;

	(void)state;
	assert_int_equal(pmu_read(root, "kprobe", &m), 0);
	assert_int_equal(m.type, 8);
	assert_int_equal(m.retprobe_bit, 3);
	assert_int_equal(m.ref_ctr_shift, -1);
}

/* formats outside config, or unreadable, are taken as absent */
static void read_odd_formats(void **state)
{
	struct pmu_info m;

	(void)state;
	assert_int_equal(pmu_read(root, "odd", &m), 0);
	assert_int_equal(m.type, 12);
	assert_int_equal(m.retprobe_bit, 0);
	assert_int_equal(m.ref_ctr_shift, -1);
}

static void read_missing_or_bad(void **state)
{
	struct pmu_info m;

	(void)state;
	assert_int_equal(pmu_read(root, "nosuch", &m), -ENOENT);
	assert_int_equal(m.type, -ENOENT);
	assert_int_equal(m.retprobe_bit, 0);
	assert_int_equal(m.ref_ctr_shift, -1);
	assert_int_equal(pmu_read(root, "junk", &m), -EINVAL);
	assert_int_equal(m.type, -EINVAL);
	assert_int_equal(pmu_read(root, "empty", &m), -ENODATA);
	assert_int_equal(pmu_read("/nonexistent", "uprobe", &m), -ENOENT);
}

/* The cache answers as an uncached read of sysfs does, with one entry
 * per name; a PMU that no kernel has is absent. */
static void cached_matches_sysfs(void **state)
{
	const struct pmu_info *a, *b;
	struct pmu_info m;
	int type = -1;
	FILE *f;

	(void)state;
	a = pmu_get("uprobe");
	b = pmu_get("uprobe");
	assert_non_null(a);
	assert_ptr_equal(a, b);
	pmu_read(PMU_SYSFS_DIR, "uprobe", &m);
	assert_int_equal(a->type, m.type);
	assert_int_equal(a->retprobe_bit, m.retprobe_bit);
	assert_int_equal(a->ref_ctr_shift, m.ref_ctr_shift);
	f = fopen(PMU_SYSFS_DIR "/uprobe/type", "r");
	if (f) {
		assert_int_equal(fscanf(f, "%d", &type), 1);
		fclose(f);
		assert_int_equal(a->type, type);
	} else {
		assert_true(a->type < 0);
	}
	assert_true(pmu_get("sonde-no-such-pmu")->type < 0);
}

static void open_is_cloexec(void **state)
{
	struct perf_event_attr a;
	int fd;

	(void)state;
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.type = PERF_TYPE_SOFTWARE;
	a.config = PERF_COUNT_SW_DUMMY;
	a.exclude_kernel = 1;
	fd = perf_event_open_cloexec(&a, 0, -1, -1, 0);
	if (fd == -EACCES || fd == -EPERM || fd == -ENOSYS)
		skip();
	assert_true(fd >= 0);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);
	/* the kernel's refusal comes back as -errno */
	a.type = 0x7fffff00;
	fd = perf_event_open_cloexec(&a, 0, -1, -1, 0);
	assert_true(fd < 0 && fd > -4096);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(format_parse),
		cmocka_unit_test(format_rejects),
		cmocka_unit_test(read_uprobe),
		cmocka_unit_test(read_kprobe_without_ref_ctr),
		cmocka_unit_test(read_odd_formats),
		cmocka_unit_test(read_missing_or_bad),
		cmocka_unit_test(cached_matches_sysfs),
		cmocka_unit_test(open_is_cloexec),
	};

	return cmocka_run_group_tests(tests, fake_tree, remove_tree);
}
