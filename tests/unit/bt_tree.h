/* SPDX-License-Identifier: MIT */
/* Checked trees built by hand for the code generator's tests (bt_tree.c). */
#ifndef SONDE_TEST_BT_TREE_H
#define SONDE_TEST_BT_TREE_H

#include <stdbool.h>
#include <stdint.h>

#include "lang/bt.h"

extern const struct bt_type T_S64, T_U64, T_U32, T_NONE;
/* Free every tree this file built (a group teardown). */
void bt_tree_release(void);
struct bt_type ty_str(uint32_t n);
struct bt_type ty_kind(enum bt_tkind k);
struct bt_type ty_tuple(int n, ...);
struct bt_node *nd(enum bt_kind k, struct bt_type t, int line, int nkid, ...);
struct bt_node *num(int64_t v);
struct bt_node *named(enum bt_kind k, const char *name, struct bt_type t);
struct bt_node *bi(const char *name);
struct bt_node *str(const char *s);
struct bt_node *binop(int op, struct bt_node *a, struct bt_node *b);
struct bt_node *var(struct bt_block *b, const char *name, struct bt_type t);
struct bt_program *prog_new(const char *text);
struct bt_node *map(struct bt_program *p, const char *name, struct bt_type key,
		    struct bt_type value, int nkeys, ...);
struct bt_node *call(const char *f, struct bt_type t, int nkid, ...);
struct bt_node *assign(struct bt_node *dst, int op, struct bt_node *v);
struct bt_node *expr(struct bt_node *e);
struct bt_node *printf_(struct bt_program *p, const char *fmt,
			struct bt_type args, int nargs, ...);
struct bt_block *block_add(struct bt_program *p, enum bt_pkind k,
			   const char *spec);
void stmt_add(struct bt_block *b, struct bt_node *s);

bool bt_can_bpf(void);
uint32_t bt_map_type(enum bt_map_kind k);
void bt_load(struct bt_compiled *c, int *progs);
void bt_load_all(struct bt_compiled *c);
struct bt_compiled *bt_gen_ok(struct bt_program *p);

#define NEED_BPF()                                                             \
	do {                                                                   \
		if (!bt_can_bpf()) {                                           \
			print_message("needs root and BPF\n");                 \
			skip();                                                \
		}                                                              \
	} while (0)

#endif
