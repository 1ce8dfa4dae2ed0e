/* SPDX-License-Identifier: MIT */
/*
 * sonde run's code generator, run: generated programs attached as
 * uprobes to fixture_pie, whose calls are known from its source
 * (tests/fixtures/calls.c: for i = 1..N, mul3(i, i + 1, i + 2) and
 * greet("sonde-<i>")), then every map read back and compared with the
 * values computed here in C with bpftrace 0.17's meaning, as measured
 * with bpftrace 0.17 on the same fixture: / % unsigned, x / 0 = 0 and
 * x % 0 = x, >> logical, compares signed when both sides are; hist
 * buckets (..., 0) [0] [1] [2, 4) ...; lhist's last bucket takes values
 * past max; str(s, 4) keeps 4 characters ("sond"); min of arg0 - 5 is
 * -4. The ring buffer's printf message is read back byte for byte.
 * Needs root and BPF: skipped otherwise.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "backend/bpf/bpf_int.h"
#include "bt_tree.h"
#include "sym/elf.h"

#define FIXTURE FIXTURE_DIR "/fixture_pie"
#define N 10

static int ncpu;

static uint64_t func_off(const char *name)
{
	struct elf_file *ef = elf_file_open(FIXTURE);
	struct elf_sym sym;
	uint64_t off = 0;

	assert_non_null(ef);
	assert_int_equal(elf_file_find(ef, name, &sym), 0);
	assert_int_equal(elf_file_vaddr_to_offset(ef, sym.addr, &off), 0);
	elf_file_close(ef);
	return off;
}

static pid_t run_fixture(void)
{
	pid_t pid = fork();
	int st;

	assert_true(pid >= 0);
	if (!pid) {
		execl(FIXTURE, FIXTURE, "10", (char *)NULL);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	return pid;
}

/* the map's value for key, the CPUs summed (per-CPU maps: the u64 at
 * field's offset of each CPU's copy); -1: missing */
static int64_t get(const struct bt_compiled *c, int map, const void *key,
		   int field)
{
	const struct bt_cmap *m = &c->maps[map];
	uint32_t vs = (m->value_size + 7) & ~7u;
	uint8_t *v = calloc(ncpu, vs);
	int64_t sum = 0;
	int i;

	assert_non_null(v);
	if (bpf_map_lookup_elem(m->fd, key, v)) {
		free(v);
		return -1;
	}
	if (m->kind == BT_M_HASH) {
		memcpy(&sum, v + field, 8);
	} else {
		for (i = 0; i < ncpu; i++) {
			int64_t x;

			memcpy(&x, v + (size_t)i * vs + field, 8);
			sum += x;
		}
	}
	free(v);
	return sum;
}

static int64_t get1(const struct bt_compiled *c, int map, int64_t k)
{
	return get(c, map, &k, 0);
}

static int64_t bucket(const struct bt_compiled *c, int map, uint64_t b)
{
	uint64_t key[2] = {0, b};

	return get(c, map, key, 0);
}

/* the min or max across CPUs of {value, set}, the value decoded as
 * lang/bt.h says (bt_minmax_mask) */
static int64_t extreme(const struct bt_compiled *c, int map, bool min)
{
	const struct bt_cmap *m = &c->maps[map];
	bool sign = c->prog->maps[m->map].value.is_signed;
	uint64_t mask = bt_minmax_mask(min, sign);
	int64_t v[2 * 512], best = 0, x;
	uint64_t key = 0;
	bool any = false;
	int i;

	assert_true(ncpu <= 512);
	assert_int_equal(bpf_map_lookup_elem(m->fd, &key, v), 0);
	for (i = 0; i < ncpu; i++) {
		if (!v[2 * i + 1])
			continue;
		x = (int64_t)((uint64_t)v[2 * i] ^ mask);
		if (!any || (sign ? (min ? x < best : x > best)
				  : (min ? (uint64_t)x < (uint64_t)best
					 : (uint64_t)x > (uint64_t)best)))
			best = x;
		any = true;
	}
	assert_true(any);
	return best;
}

struct ring_seen {
	int n;
	bool ok[N + 1];
	bool big[N + 1];
};

static int on_msg(void *ctx, void *data, size_t len)
{
	struct ring_seen *r = ctx;
	uint64_t h[3];
	char comm[16];

	if (len == 16 + 8 * 64) {
		/* greet's eight str(arg0): "sonde-<i>" each */
		char want[64];
		int i, k;

		memcpy(h, data, 16);
		if (h[0] != BT_MSG_PRINTF || h[1] != 1)
			return 0;
		i = atoi((char *)data + 16 + 6);
		snprintf(want, sizeof(want), "sonde-%d", i);
		for (k = 0; k < 8; k++)
			if (i < 1 || i > N ||
			    memcmp((char *)data + 16 + 64 * k, want,
				   strlen(want) + 1))
				return 0;
		r->big[i] = true;
		return 0;
	}
	if (len != 40)
		return 0;
	memcpy(h, data, 24);
	memcpy(comm, (char *)data + 24, 16);
	r->n++;
	/* BT_MSG_PRINTF, format 0, arg0, comm */
	if (h[0] == BT_MSG_PRINTF && h[1] == 0 && h[2] >= 1 && h[2] <= N &&
	    !strcmp(comm, "fixture_pie"))
		r->ok[h[2]] = true;
	return 0;
}

#define MUL3_OFF(x) binop('-', bi("arg0"), num(x))

static void test_run_mul3(void **state)
{
	struct bt_program *p = prog_new("uprobe:fixture_pie:mul3 { ... }");
	struct bt_block *b, *g;
	struct bt_type lh = ty_kind(BT_T_LHIST),
		       key2 = ty_tuple(2, T_S64, ty_str(16));
	struct bt_type s64 = ty_str(64);
	struct bt_node *iff, *inc, *un, *cmp;
	struct bt_compiled *c;
	struct ring_buffer *rb;
	struct ring_seen seen = {0};
	int progs[2], links[2], i;
	uint64_t fn[2], zero = 0;
	struct elf_file *ef;
	struct elf_sym sym;
	pid_t child;
	char skey[64];
	uint8_t k2[24];

	(void)state;
	NEED_BPF();
	/* block_add() moves the blocks: their addresses once both exist */
	block_add(p, BT_P_UPROBE, "uprobe:fixture_pie:mul3");
	block_add(p, BT_P_UPROBE, "uprobe:fixture_pie:greet");
	b = &p->blocks[0];
	g = &p->blocks[1];
	ncpu = libbpf_num_possible_cpus();
	lh.lmin = 0, lh.lmax = 10, lh.lstep = 3;
	/* maps 0..: @c @s @h @l @mn @mx @a @q @d @m @r @lt @z @n @k @big
	 * @small @inc @u @fn @g @g4 */
	stmt_add(b, assign(map(p, "c", T_NONE, ty_kind(BT_T_COUNT), 0), '=',
			   call("count", ty_kind(BT_T_COUNT), 0)));
	stmt_add(b, assign(map(p, "s", T_NONE, ty_kind(BT_T_SUM), 0), '=',
			   call("sum", ty_kind(BT_T_SUM), 1, bi("arg0"))));
	stmt_add(b, assign(map(p, "h", T_NONE, ty_kind(BT_T_HIST), 0), '=',
			   call("hist", ty_kind(BT_T_HIST), 1, MUL3_OFF(3))));
	stmt_add(b, assign(map(p, "l", T_NONE, lh, 0), '=',
			   call("lhist", lh, 4, bi("arg0"), num(0), num(10),
				num(3))));
	stmt_add(b, assign(map(p, "mn", T_NONE, ty_kind(BT_T_MIN), 0), '=',
			   call("min", ty_kind(BT_T_MIN), 1, MUL3_OFF(5))));
	stmt_add(b, assign(map(p, "mx", T_NONE, ty_kind(BT_T_MAX), 0), '=',
			   call("max", ty_kind(BT_T_MAX), 1, bi("arg2"))));
	stmt_add(b, assign(map(p, "a", T_NONE, ty_kind(BT_T_AVG), 0), '=',
			   call("avg", ty_kind(BT_T_AVG), 1, bi("arg1"))));
	stmt_add(b, assign(map(p, "q", T_S64, ty_kind(BT_T_COUNT), 1,
			       binop('%', bi("arg0"), num(3))),
			   '=', call("count", ty_kind(BT_T_COUNT), 0)));
	stmt_add(b, assign(map(p, "d", T_S64, T_S64, 1, bi("arg0")), '=',
			   binop('/', MUL3_OFF(5), num(2))));
	stmt_add(b, assign(map(p, "m", T_S64, T_S64, 1, bi("arg0")), '=',
			   binop('%', MUL3_OFF(5), num(3))));
	stmt_add(b, assign(map(p, "r", T_S64, T_S64, 1, bi("arg0")), '=',
			   binop(BT_OP_SHR, MUL3_OFF(5), num(1))));
	cmp = nd(BT_N_TERNARY, T_S64, 1, 3, binop('<', MUL3_OFF(5), num(0)),
		 num(1), num(2));
	stmt_add(b,
		 assign(map(p, "lt", T_S64, T_S64, 1, bi("arg0")), '=', cmp));
	stmt_add(b, assign(map(p, "z", T_S64, T_S64, 1, bi("arg0")), '=',
			   binop('/', bi("arg1"),
				 binop('-', bi("arg0"), bi("arg0")))));
	stmt_add(b, assign(map(p, "n", T_S64, T_S64, 1, bi("arg0")), '=',
			   nd(BT_N_CAST,
			      (struct bt_type){.kind = BT_T_INT,
					       .size = 8,
					       .isize = 1,
					       .is_signed = true},
			      1, 1, binop('*', bi("arg0"), num(30)))));
	stmt_add(b, assign(map(p, "k", key2, T_S64, 2, bi("arg0"), bi("comm")),
			   '=', bi("arg2")));
	stmt_add(b, assign(var(b, "v", T_S64), '=',
			   binop('*', bi("arg0"), num(2))));
	iff = nd(BT_N_IF, T_NONE, 1, 1,
		 binop(BT_OP_LAND, binop('>', var(b, "v", T_S64), num(10)),
		       binop(BT_OP_NE, bi("arg0"), num(7))));
	iff->body = nd(BT_N_BLOCK, T_NONE, 1, 1,
		       assign(map(p, "big", T_S64, T_S64, 1, bi("arg0")), '=',
			      var(b, "v", T_S64)));
	iff->orelse = nd(BT_N_BLOCK, T_NONE, 1, 1,
			 assign(map(p, "small", T_S64, T_S64, 1, bi("arg0")),
				'=', num(1)));
	stmt_add(b, iff);
	inc = nd(BT_N_UNOP, T_S64, 1, 1,
		 map(p, "inc", T_S64, T_S64, 1, num(1)));
	inc->op = BT_OP_POSTINC;
	stmt_add(b, expr(inc));
	stmt_add(b,
		 assign(map(p, "inc", T_S64, T_S64, 1, num(1)), '+', num(2)));
	inc = nd(BT_N_UNOP, T_S64, 1, 1, var(b, "u", T_S64));
	inc->op = BT_OP_PREINC;
	un = nd(BT_N_UNROLL, T_NONE, 1, 0);
	un->num = 3;
	un->body = nd(BT_N_BLOCK, T_NONE, 1, 1, expr(inc));
	stmt_add(b, un);
	stmt_add(b, assign(map(p, "u", T_S64, T_S64, 1, bi("arg0")), '=',
			   var(b, "u", T_S64)));
	stmt_add(
		b,
		assign(map(p, "fn", T_NONE,
			   (struct bt_type){.kind = BT_T_USYM, .size = 16}, 0),
		       '=',
		       named(BT_N_BUILTIN, "func",
			     (struct bt_type){.kind = BT_T_USYM, .size = 16})));
	stmt_add(b, expr(printf_(p, "%d %s\n", ty_tuple(2, T_S64, ty_str(16)),
				 2, bi("arg0"), bi("comm"))));
	/* more than the stack holds: staged in the scratch map */
	stmt_add(g, expr(printf_(
			    p, "%s%s%s%s%s%s%s%s",
			    ty_tuple(8, s64, s64, s64, s64, s64, s64, s64, s64),
			    8, call("str", s64, 1, bi("arg0")),
			    call("str", s64, 1, bi("arg0")),
			    call("str", s64, 1, bi("arg0")),
			    call("str", s64, 1, bi("arg0")),
			    call("str", s64, 1, bi("arg0")),
			    call("str", s64, 1, bi("arg0")),
			    call("str", s64, 1, bi("arg0")),
			    call("str", s64, 1, bi("arg0")))));
	stmt_add(g, assign(map(p, "g", ty_str(64), ty_kind(BT_T_COUNT), 1,
			       call("str", ty_str(64), 1, bi("arg0"))),
			   '=', call("count", ty_kind(BT_T_COUNT), 0)));
	stmt_add(g, assign(map(p, "g4", ty_str(64), ty_kind(BT_T_COUNT), 1,
			       call("str", ty_str(64), 2, bi("arg0"), num(4))),
			   '=', call("count", ty_kind(BT_T_COUNT), 0)));

	c = bt_gen_ok(p);
	bt_load(c, progs);
	links[0] = bpf_attach_perf_uprobe(progs[0], FIXTURE, func_off("mul3"),
					  0, false, -1, 0);
	links[1] = bpf_attach_perf_uprobe(progs[1], FIXTURE, func_off("greet"),
					  0, false, -1, 1);
	assert_true(links[0] >= 0 && links[1] >= 0);
	rb = ring_buffer__new(c->maps[c->ringbuf].fd, on_msg, &seen, NULL);
	assert_non_null(rb);
	child = run_fixture();
	close(links[0]);
	close(links[1]);
	ring_buffer__consume(rb);
	ring_buffer__free(rb);

	assert_int_equal(get1(c, 0, 0), N);
	assert_int_equal(get1(c, 1, 0), N * (N + 1) / 2);
	/* arg0 - 3 = -2..7 */
	assert_int_equal(bucket(c, 2, 0), 2);
	assert_int_equal(bucket(c, 2, 1), 1);
	assert_int_equal(bucket(c, 2, 2), 1);
	assert_int_equal(bucket(c, 2, 3), 2);
	assert_int_equal(bucket(c, 2, 4), 4);
	assert_int_equal(bucket(c, 2, 5), -1);
	/* lhist(arg0, 0, 10, 3): [0,3) 1 2, [3,6) 3 4 5, [6,9) 6 7 8, 9 10 */
	assert_int_equal(bucket(c, 3, 0), -1);
	assert_int_equal(bucket(c, 3, 1), 2);
	assert_int_equal(bucket(c, 3, 2), 3);
	assert_int_equal(bucket(c, 3, 3), 3);
	assert_int_equal(bucket(c, 3, 4), 2);
	assert_int_equal(extreme(c, 4, true), -4);
	assert_int_equal(extreme(c, 5, false), N + 2);
	assert_int_equal(get(c, 6, (uint64_t[]){0}, 0), N);
	assert_int_equal(get(c, 6, (uint64_t[]){0}, 8), N * (N + 1) / 2 + N);
	assert_int_equal(get1(c, 7, 0), 3);
	assert_int_equal(get1(c, 7, 1), 4);
	assert_int_equal(get1(c, 7, 2), 3);
	for (i = 1; i <= N; i++) {
		uint64_t d = (uint64_t)(int64_t)(i - 5);

		assert_int_equal((uint64_t)get1(c, 8, i), d / 2);
		assert_int_equal((uint64_t)get1(c, 9, i), d % 3);
		assert_int_equal((uint64_t)get1(c, 10, i), d >> 1);
		assert_int_equal(get1(c, 11, i), i < 5 ? 1 : 2);
		assert_int_equal(get1(c, 12, i), 0);
		assert_int_equal(get1(c, 13, i), (int8_t)(i * 30));
		memset(k2, 0, sizeof(k2));
		memcpy(k2, &(int64_t){i}, 8);
		strcpy((char *)k2 + 8, "fixture_pie");
		assert_int_equal(get(c, 14, k2, 0), i + 2);
		assert_int_equal(get1(c, 15, i),
				 2 * i > 10 && i != 7 ? 2 * i : -1);
		assert_int_equal(get1(c, 16, i), 2 * i > 10 && i != 7 ? -1 : 1);
		assert_int_equal(get1(c, 18, i), 3);
		memset(skey, 0, sizeof(skey));
		snprintf(skey, sizeof(skey), "sonde-%d", i);
		assert_int_equal(get(c, 20, skey, 0), 1);
		assert_true(seen.ok[i]);
		assert_true(seen.big[i]);
	}
	assert_int_equal(get1(c, 17, 1), 3 * N);
	memset(skey, 0, sizeof(skey));
	strcpy(skey, "sond");
	assert_int_equal(get(c, 21, skey, 0), N);
	assert_int_equal(seen.n, N);
	/* func: mul3's address in the child (its page offset is the
	 * symbol's: the PIE is mapped at a page boundary), and its tgid */
	ef = elf_file_open(FIXTURE);
	assert_non_null(ef);
	assert_int_equal(elf_file_find(ef, "mul3", &sym), 0);
	elf_file_close(ef);
	assert_int_equal(bpf_map_lookup_elem(c->maps[19].fd, &zero, fn), 0);
	assert_int_equal(fn[0] & 0xfff, sym.addr & 0xfff);
	assert_true(fn[0] > sym.addr);
	assert_int_equal(fn[1], (uint64_t)child);
	for (i = 0; i < c->nmaps; i++)
		close(c->maps[i].fd);
	close(progs[0]);
	close(progs[1]);
	bt_compiled_free(c);
}

/* ---- the same program under bpftrace 0.17, the maps compared ---- */

static const char bt_text[] =
	"uprobe:" FIXTURE ":mul3 {\n"
	"  @c = count(); @s = sum(arg0); @mn = min((int64)arg0 - 5);\n"
	"  @mx = max(arg2); @a = avg(arg1); @q[arg0 % 3] = count();\n"
	"  @d[arg0] = (arg0 - 5) / 2; @m[arg0] = (arg0 - 5) % 3;\n"
	"  @r[arg0] = (arg0 - 5) >> 1; @lt[arg0] = (int64)arg0 - 5 < 0 ? 1 : "
	"2;\n"
	"  @ult[arg0] = arg0 - 5 < 3 ? 1 : 2; @z[arg0] = arg1 / (arg0 - "
	"arg0);\n"
	"  @n[arg0] = (int8)(arg0 * 30); @u16[arg0] = (uint16)(arg0 - 5);\n"
	"  @sub[arg0] = (int32)(arg0 - 7) * 3; @sh[arg0] = 1 << arg0;\n"
	"  @x[arg0] = arg0 ^ 0xff | 0x100; @neg[arg0] = -arg0;\n"
	"  @not[arg0] = !(arg0 & 1); @md[arg0] = arg2 % (arg0 - 1);\n"
	"  @dv[arg0] = arg2 / (arg0 - 1);\n"
	"  $v = arg0 * 2;\n"
	"  if ($v > 10 && arg0 != 7) { @big[arg0] = $v; } else { @small[arg0] "
	"= 1; }\n"
	"  @inc[1]++; @inc[1] += 2; @or[arg0] = arg0 == 2 || arg0 > 8;\n"
	"}\n";

/* bpftrace -e bt_text -c "fixture_pie 10": its stdout */
static char *run_bpftrace(void)
{
	static char out[1 << 16];
	size_t len = 0;
	ssize_t r;
	int fd[2], st;
	pid_t pid;

	assert_int_equal(pipe(fd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		dup2(fd[1], 1);
		close(fd[0]);
		freopen("/dev/null", "w", stderr);
		execlp("bpftrace", "bpftrace", "-e", bt_text, "-c",
		       FIXTURE " 10", (char *)NULL);
		_exit(127);
	}
	close(fd[1]);
	while ((r = read(fd[0], out + len, sizeof(out) - 1 - len)) > 0)
		len += (size_t)r;
	close(fd[0]);
	out[len] = '\0';
	assert_int_equal(waitpid(pid, &st, 0), pid);
	if (!WIFEXITED(st) || WEXITSTATUS(st) == 127)
		return NULL;
	return out;
}

static int by_name(const struct bt_program *p, const char *name)
{
	int i;

	for (i = 0; i < p->nmaps; i++)
		if (!strcmp(p->maps[i].name, name))
			return i;
	return -1;
}

static uint32_t entries(const struct bt_compiled *c, int map)
{
	uint64_t k, next;
	uint32_t n = 0;
	void *prev = NULL;

	while (!bpf_map_get_next_key(c->maps[map].fd, prev, &next)) {
		k = next;
		prev = &k;
		n++;
	}
	return n;
}

/* sonde's value of @name[key] as bpftrace prints it (avg: total / count) */
static uint64_t sonde_value(const struct bt_compiled *c, int map,
			    enum bt_tkind kind, int64_t key)
{
	switch (kind) {
	case BT_T_MIN:
	case BT_T_MAX:
		return (uint64_t)extreme(c, map, kind == BT_T_MIN);
	case BT_T_AVG:
		return (uint64_t)(get(c, map, &key, 8) / get(c, map, &key, 0));
	default:
		return (uint64_t)get(c, map, &key, 0);
	}
}

/* The maps of bt_text, under sonde and bpftrace 0.17 on one run of the
 * fixture: every line bpftrace prints has sonde's value, and sonde has no
 * key bpftrace did not print. */
static void test_against_bpftrace(void **state)
{
	struct lib_error err = LIB_ERROR_INIT(0);
	struct bt_program *p;
	struct bt_compiled *c;
	uint32_t lines[64] = {0};
	char *out, *line, *save = NULL;
	int prog, link, i, compared = 0;

	(void)state;
	NEED_BPF();
	if (access("/usr/bin/bpftrace", X_OK)) {
		print_message("needs bpftrace\n");
		skip();
	}
	ncpu = libbpf_num_possible_cpus();
	p = bt_parse(bt_text, "test.bt", &err);
	if (!p || bt_check(p, NULL, 0, NULL, NULL, &err))
		fail_msg("%s", err.msg);
	c = bt_gen_ok(p);
	assert_true(p->nmaps <= 64);
	bt_load(c, &prog);
	link = bpf_attach_perf_uprobe(prog, FIXTURE, func_off("mul3"), 0, false,
				      -1, 0);
	assert_true(link >= 0);
	/* one run of the fixture, traced by both */
	out = run_bpftrace();
	close(link);
	if (!out) {
		print_message("bpftrace did not run\n");
		skip();
	}
	for (line = strtok_r(out, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char name[32], val[32];
		long long key = 0;
		uint64_t mine;
		int m;

		if (sscanf(line, "@%31[a-z0-9][%lld]: %31s", name, &key, val) !=
			    3 &&
		    sscanf(line, "@%31[a-z0-9]: %31s", name, val) != 2)
			continue;
		m = by_name(p, name);
		assert_true(m >= 0);
		mine = sonde_value(c, m, p->maps[m].value.kind, key);
		if (strtoull(val, NULL, 10) != mine &&
		    (val[0] != '-' || (uint64_t)strtoll(val, NULL, 10) != mine))
			fail_msg("bpftrace %s, sonde %llu", line,
				 (unsigned long long)mine);
		lines[m]++;
		compared++;
	}
	/* every key sonde has, bpftrace printed */
	for (i = 0; i < p->nmaps; i++)
		assert_int_equal(lines[i], entries(c, i));
	assert_true(compared > 100);
	for (i = 0; i < c->nmaps; i++)
		close(c->maps[i].fd);
	close(prog);
	bt_compiled_free(c);
	bt_program_free(p);
}

static int release(void **state)
{
	(void)state;
	bt_tree_release();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_run_mul3),
		cmocka_unit_test(test_against_bpftrace),
	};

	return cmocka_run_group_tests(tests, NULL, release);
}
