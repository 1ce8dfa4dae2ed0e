/* SPDX-License-Identifier: MIT */
/*
 * Checked trees for the code generator's tests, built node by node as
 * lang/sema.c leaves them (types, map and variable ids, formats), and
 * their programs loaded: the maps created as the runtime creates them,
 * every program through the kernel's verifier.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <bpf/bpf.h>
#include <linux/bpf.h>

#include "bt_tree.h"

/* ---- what the trees hold ----
 * Hand-built trees share types between nodes, so they are not freed node
 * by node (bt_program_free() would free a shared tuple twice): every
 * allocation of this file is kept here and let go by bt_tree_release(). */

static void **kept;
static size_t nkept, capkept;

static void *keep(void *p)
{
	if (!p)
		return NULL;
	if (nkept == capkept) {
		size_t cap = capkept ? 2 * capkept : 256;
		void **k = realloc(kept, cap * sizeof(*k));

		if (!k)
			abort();
		kept = k;
		capkept = cap;
	}
	kept[nkept++] = p;
	return p;
}

static void *kcalloc(size_t n, size_t size)
{
	return keep(calloc(n, size));
}

static char *kstrdup(const char *s)
{
	return keep(strdup(s));
}

static void *krealloc(void *old, size_t size)
{
	void *p = realloc(old, size);

	if (p && old)
		for (size_t i = 0; i < nkept; i++)
			if (kept[i] == old) {
				kept[i] = p;
				return p;
			}
	return keep(p);
}

void bt_tree_release(void)
{
	while (nkept)
		free(kept[--nkept]);
	free(kept);
	kept = NULL;
	capkept = 0;
}

/* ---- trees, as sema.c leaves them ---- */

const struct bt_type T_S64 = {
	.kind = BT_T_INT, .size = 8, .isize = 8, .is_signed = true};
const struct bt_type T_U64 = {.kind = BT_T_INT, .size = 8, .isize = 8};
const struct bt_type T_U32 = {.kind = BT_T_INT, .size = 8, .isize = 4};
const struct bt_type T_NONE = {.kind = BT_T_NONE};

struct bt_type ty_str(uint32_t n)
{
	return (struct bt_type){.kind = BT_T_STR, .size = n, .strsize = n};
}

struct bt_type ty_kind(enum bt_tkind k)
{
	return (struct bt_type){
		.kind = k, .size = 8, .isize = 8, .is_signed = k != BT_T_COUNT};
}

/* a tuple type of n element types (owned by the caller's program) */
struct bt_type ty_tuple(int n, ...)
{
	struct bt_type t = {.kind = BT_T_TUPLE, .ntup = n};
	uint32_t off = 0;
	va_list ap;
	int i;

	t.tup = kcalloc(n ? n : 1, sizeof(*t.tup));
	va_start(ap, n);
	for (i = 0; i < n; i++) {
		t.tup[i] = va_arg(ap, struct bt_type);
		off = (off + t.tup[i].size + 7) & ~7u;
	}
	va_end(ap);
	t.size = off;
	return t;
}

struct bt_node *nd(enum bt_kind k, struct bt_type t, int line, int nkid, ...)
{
	struct bt_node *n = kcalloc(1, sizeof(*n));
	va_list ap;
	int i;

	n->kind = k;
	n->type = t;
	n->loc = (struct bt_loc){line, 0, 1};
	n->nkid = nkid;
	n->kid = kcalloc(nkid ? nkid : 1, sizeof(*n->kid));
	va_start(ap, nkid);
	for (i = 0; i < nkid; i++)
		n->kid[i] = va_arg(ap, struct bt_node *);
	va_end(ap);
	return n;
}

struct bt_node *num(int64_t v)
{
	struct bt_node *n = nd(BT_N_INT, T_S64, 1, 0);

	n->num = (uint64_t)v;
	return n;
}

struct bt_node *named(enum bt_kind k, const char *name, struct bt_type t)
{
	struct bt_node *n = nd(k, t, 1, 0);

	n->name = kstrdup(name);
	return n;
}

struct bt_node *bi(const char *name)
{
	struct bt_type t = T_U64;

	if (!strcmp(name, "comm"))
		t = ty_str(16);
	else if (!strncmp(name, "arg", 3) || !strcmp(name, "retval"))
		t = T_S64;
	else if (!strcmp(name, "kstack"))
		t = (struct bt_type){.kind = BT_T_KSTACK, .size = 8};
	else if (!strcmp(name, "ustack"))
		t = (struct bt_type){.kind = BT_T_USTACK, .size = 16};
	return named(BT_N_BUILTIN, name, t);
}

struct bt_node *str(const char *s)
{
	return named(BT_N_STR, s, ty_str((uint32_t)strlen(s) + 1));
}

struct bt_node *binop(int op, struct bt_node *a, struct bt_node *b)
{
	struct bt_node *n = nd(BT_N_BINOP, T_S64, 1, 2, a, b);

	n->op = op;
	n->type.is_signed = a->type.is_signed && b->type.is_signed;
	return n;
}

struct bt_node *var(struct bt_block *b, const char *name, struct bt_type t)
{
	struct bt_node *n = named(BT_N_VAR, name, t);
	int i;

	for (i = 0; i < b->nvars; i++)
		if (!strcmp(b->var_names[i], name))
			break;
	if (i == b->nvars) {
		b->var_names = krealloc(b->var_names, (i + 1) * sizeof(char *));
		b->var_types =
			krealloc(b->var_types, (i + 1) * sizeof(*b->var_types));
		b->var_names[i] = kstrdup(name);
		b->var_types[i] = t;
		b->nvars++;
	}
	n->id = i;
	return n;
}

struct bt_program *prog_new(const char *text)
{
	struct bt_program *p = kcalloc(1, sizeof(*p));

	p->filename = kstrdup("test.bt");
	p->text = kstrdup(text);
	return p;
}

static int map_id(struct bt_program *p, const char *name, struct bt_type key,
		  struct bt_type value)
{
	int i;

	for (i = 0; i < p->nmaps; i++)
		if (!strcmp(p->maps[i].name, name))
			return i;
	p->maps = krealloc(p->maps, (i + 1) * sizeof(*p->maps));
	p->maps[i] = (struct bt_map){
		.name = kstrdup(name), .key = key, .value = value};
	return p->nmaps++;
}

/* @name[keys...] (the map declared with the key and value types) */
struct bt_node *map(struct bt_program *p, const char *name, struct bt_type key,
		    struct bt_type value, int nkeys, ...)
{
	struct bt_node *n = named(BT_N_MAP, name, value);
	va_list ap;
	int i;

	n->id = map_id(p, name, key, value);
	n->nkid = nkeys;
	n->kid = kcalloc(nkeys ? nkeys : 1, sizeof(*n->kid));
	va_start(ap, nkeys);
	for (i = 0; i < nkeys; i++)
		n->kid[i] = va_arg(ap, struct bt_node *);
	va_end(ap);
	return n;
}

struct bt_node *call(const char *f, struct bt_type t, int nkid, ...)
{
	struct bt_node *n = named(BT_N_CALL, f, t);
	va_list ap;
	int i;

	n->nkid = nkid;
	n->kid = kcalloc(nkid ? nkid : 1, sizeof(*n->kid));
	va_start(ap, nkid);
	for (i = 0; i < nkid; i++)
		n->kid[i] = va_arg(ap, struct bt_node *);
	va_end(ap);
	return n;
}

struct bt_node *assign(struct bt_node *dst, int op, struct bt_node *v)
{
	struct bt_node *n = nd(BT_N_ASSIGN, T_NONE, 1, 2, dst, v);

	n->op = op;
	return n;
}

struct bt_node *expr(struct bt_node *e)
{
	return nd(BT_N_EXPR, T_NONE, e->loc.line, 1, e);
}

/* printf(fmt, args...) with its format registered */
struct bt_node *printf_(struct bt_program *p, const char *fmt,
			struct bt_type args, int nargs, ...)
{
	struct bt_node *n = named(BT_N_CALL, "printf", T_NONE);
	va_list ap;
	int i;

	p->formats =
		krealloc(p->formats, (p->nformats + 1) * sizeof(*p->formats));
	p->formats[p->nformats] =
		(struct bt_format){.fmt = kstrdup(fmt), .args = args};
	n->id = p->nformats++;
	n->nkid = nargs + 1;
	n->kid = kcalloc(nargs + 1, sizeof(*n->kid));
	n->kid[0] = str(fmt);
	n->kid[0]->id = -1;
	va_start(ap, nargs);
	for (i = 0; i < nargs; i++)
		n->kid[i + 1] = va_arg(ap, struct bt_node *);
	va_end(ap);
	return n;
}

struct bt_block *block_add(struct bt_program *p, enum bt_pkind k,
			   const char *spec)
{
	struct bt_block *b;

	p->blocks = krealloc(p->blocks, (p->nblocks + 1) * sizeof(*p->blocks));
	b = &p->blocks[p->nblocks++];
	memset(b, 0, sizeof(*b));
	b->probes = kcalloc(1, sizeof(*b->probes));
	b->probes[0] = (struct bt_probe){.kind = k, .spec = kstrdup(spec)};
	b->nprobes = 1;
	b->body = nd(BT_N_BLOCK, T_NONE, 1, 0);
	b->loc = (struct bt_loc){1, 0, 1};
	return b;
}

void stmt_add(struct bt_block *b, struct bt_node *s)
{
	struct bt_node *body = b->body;

	body->kid = krealloc(body->kid, (body->nkid + 1) * sizeof(*body->kid));
	body->kid[body->nkid++] = s;
}

/* The tests' trees are left to the process's end: the nodes share types
 * by value and some kids twice; nothing here outlives one case. */

bool bt_can_bpf(void)
{
	int fd;

	if (geteuid() != 0)
		return false;
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, NULL, 4, 8, 1, NULL);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

uint32_t bt_map_type(enum bt_map_kind k)
{
	switch (k) {
	case BT_M_HASH:
		return BPF_MAP_TYPE_HASH;
	case BT_M_PERCPU:
	case BT_M_PERCPU_HIST:
		return BPF_MAP_TYPE_PERCPU_HASH;
	case BT_M_RINGBUF:
		return BPF_MAP_TYPE_RINGBUF;
	case BT_M_STACKS:
		return BPF_MAP_TYPE_STACK_TRACE;
	case BT_M_SCRATCH:
	case BT_M_LOST:
		return BPF_MAP_TYPE_PERCPU_ARRAY;
	case BT_M_ELAPSED:
		return BPF_MAP_TYPE_ARRAY;
	}
	return 0;
}

static char vlog[1 << 20];

/* Create the maps, load every program; progs (nprogs fds) NULL: all the
 * fds are closed after; else the maps' fds stay open in c. */
void bt_load(struct bt_compiled *c, int *progs)
{
	int fds[64], i, nfd = 0;

	for (i = 0; i < c->nmaps; i++) {
		struct bt_cmap *m = &c->maps[i];

		m->fd = bpf_map_create(bt_map_type(m->kind), NULL, m->key_size,
				       m->value_size, m->max_entries, NULL);
		if (m->fd < 0)
			fail_msg("map %d (kind %d, %u/%u): %s", i, m->kind,
				 m->key_size, m->value_size, strerror(errno));
		fds[nfd++] = m->fd;
	}
	bt_gen_set_fds(c);
	if (getenv("SONDE_BT_DUMP"))
		bt_gen_dump(c, stderr);
	for (i = 0; i < c->nprogs; i++) {
		LIBBPF_OPTS(bpf_prog_load_opts, o, .log_buf = vlog,
			    .log_size = sizeof(vlog), .log_level = 1);
		struct bt_cprog *cp = &c->progs[i];
		int fd = bpf_prog_load(cp->prog_type, "bt_test", "GPL",
				       cp->insns, cp->ninsns, &o);

		if (fd < 0) {
			bt_gen_dump(c, stderr);
			fprintf(stderr, "%s\n", vlog);
			fail_msg("program %d refused: %s", i, strerror(errno));
		}
		if (progs)
			progs[i] = fd;
		else
			close(fd);
	}
	for (i = 0; !progs && i < nfd; i++)
		close(fds[i]);
}

void bt_load_all(struct bt_compiled *c)
{
	bt_load(c, NULL);
}

struct bt_compiled *bt_gen_ok(struct bt_program *p)
{
	struct lib_error err = LIB_ERROR_INIT(0);
	struct bt_compiled *c = bt_gen(p, &err);

	if (!c)
		fail_msg("bt_gen: %s", err.msg);
	return c;
}
