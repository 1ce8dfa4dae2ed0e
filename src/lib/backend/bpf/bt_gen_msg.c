/* SPDX-License-Identifier: MIT */
/*
 * `sonde run`'s code generator: the calls that are statements. Most send
 * a message up the ring buffer (enum bt_msg in lang/bt.h: a u64 id, a u64
 * format or map index, then the arguments' tuple), built in the scratch
 * area and sent with bpf_ringbuf_output(); delete() removes a key.
 */
#include <errno.h>
#include <string.h>

#include "bt_gen_int.h"

/* One more event lost: the lost map, which the reader says as "Lost N
 * events". Clobbers r0-r5. */
void btg_lost_add(struct btg *s)
{
	struct gen *g = &s->g;
	int none = gen_label_new(g);

	btg_ld_map(s, R1, btg_cmap_of(s, -5));
	EMIT(g, MOV_REG(R2, FP), ALU_IMM(BPF_ADD, R2, BTG_ZERO_KEY),
	     CALL(BPF_FUNC_map_lookup_elem));
	gen_jump(g, JMP_IMM(BPF_JEQ, R0, 0, 0), none);
	EMIT(g, MOV_IMM(R1, 1), ATOMIC_ADD(R0, R1, 0));
	gen_label_here(g, none);
}

/* A message the ring had no room for (ringbuf_output's r0 != 0) is
 * counted lost. */
static void count_lost(struct btg *s)
{
	int sent = gen_label_new(&s->g);

	gen_jump(&s->g, JMP_IMM(BPF_JEQ, R0, 0, 0), sent);
	btg_lost_add(s);
	gen_label_here(&s->g, sent);
}

/* The stamp at scratch offset off (bt.h's BT_MSG_STAMP_SIZE bytes):
 * pid_tgid, the time, the probe's name index, comm. Clobbers r0-r5. */
static void stamp(struct btg *s, int off)
{
	EMIT(&s->g, CALL(BPF_FUNC_get_current_pid_tgid),
	     STX(BPF_DW, R9, R0, off), CALL(BPF_FUNC_ktime_get_ns),
	     STX(BPF_DW, R9, R0, off + 8));
	btg_probe_name(s);
	EMIT(&s->g, STX(BPF_DW, R9, R0, off + 16));
	btg_scr_ptr(s, R1, off + 24);
	EMIT(&s->g, MOV_IMM(R2, 16), CALL(BPF_FUNC_get_current_comm));
}

/* A message up the ring buffer: u64 id, u64 arg, then args (a tuple of
 * the nodes from kid[first]), or extra u64s (the integers kid[first..],
 * 0 for those not given). */
static int message(struct btg *s, const struct bt_node *n, uint64_t id,
		   uint64_t arg, const struct bt_type *args, int first,
		   int nextra)
{
	uint32_t size = 16 + 8 * nextra, body;
	int off, i, err = 0;

	if (args) {
		if (args->ntup != n->nkid - first)
			return btg_fail(s, n->loc, EINVAL,
					"the format's arguments do not match");
		size += btg_tup_off(args, args->ntup) > args->size
				? btg_tup_off(args, args->ntup)
				: btg_align8(args->size);
	}
	body = size;
	if (s->p->msg_stamp)
		size += BT_MSG_STAMP_SIZE;
	off = btg_scratch(s, size);
	btg_zero(s, off, size);
	EMIT(&s->g, ST_IMM(BPF_DW, R9, off, (int32_t)id),
	     ST_IMM(BPF_DW, R9, off + 8, (int32_t)arg));
	for (i = 0; args && !err && i < args->ntup; i++)
		err = btg_value(s, n->kid[first + i],
				off + 16 + (int)btg_tup_off(args, i),
				&args->tup[i]);
	for (i = 0; !err && i < nextra; i++) {
		if (first + i < n->nkid) {
			err = btg_int(s, n->kid[first + i]);
			EMIT(&s->g, STX(BPF_DW, R9, R0, off + 16 + 8 * i));
		}
	}
	if (err)
		return err;
	if (s->p->msg_stamp)
		stamp(s, off + (int)body);
	if (id == BT_MSG_PRINTF) {
		/* A printf wakes the reader only once a sixteenth of the
		 * ring waits (the reader also polls every 200 ms): a wake-up
		 * per event cost the reader most of its time per event
		 * (bench/run-vs-bpftrace). Every other message wakes it. */
		btg_ld_map(s, R1, btg_cmap_of(s, -1));
		EMIT(&s->g, MOV_IMM(R2, BPF_RB_AVAIL_DATA),
		     CALL(BPF_FUNC_ringbuf_query), MOV_IMM(R7, BPF_RB_NO_WAKEUP),
		     JMP_IMM(BPF_JLT, R0, BT_RING_SIZE / 16, 1),
		     MOV_IMM(R7, BPF_RB_FORCE_WAKEUP));
	} else {
		EMIT(&s->g, MOV_IMM(R7, BPF_RB_FORCE_WAKEUP));
	}
	btg_ld_map(s, R1, btg_cmap_of(s, -1));
	btg_scr_ptr(s, R2, off);
	EMIT(&s->g, MOV_IMM(R3, size), MOV_REG(R4, R7),
	     CALL(BPF_FUNC_ringbuf_output));
	count_lost(s);
	return 0;
}

static const struct bt_type *fmt_args(struct btg *s, const struct bt_node *n)
{
	if (n->id < 0 || n->id >= s->p->nformats)
		return NULL;
	return &s->p->formats[n->id].args;
}

int btg_call_stmt(struct btg *s, const struct bt_node *n)
{
	const char *f = n->name;
	const struct bt_type *a = fmt_args(s, n);
	int koff, err;

	if (!strcmp(f, "printf") || !strcmp(f, "system") || !strcmp(f, "cat")) {
		if (!a)
			return btg_fail(s, n->loc, EINVAL, "no format");
		return message(s, n,
			       f[0] == 'p'   ? BT_MSG_PRINTF
			       : f[0] == 's' ? BT_MSG_SYSTEM
					     : BT_MSG_CAT,
			       (uint64_t)n->id, a, 1, 0);
	}
	if (!strcmp(f, "print") && n->nkid >= 1 &&
	    n->kid[0]->kind == BT_N_MAP && !n->kid[0]->nkid)
		return message(s, n, BT_MSG_PRINT, (uint64_t)n->kid[0]->id,
			       NULL, 1, 2);
	if (!strcmp(f, "print") && n->nkid == 1 && a)
		return message(s, n, BT_MSG_PRINT_VAL, (uint64_t)n->id, a, 0,
			       0);
	if ((!strcmp(f, "clear") || !strcmp(f, "zero")) && n->nkid == 1 &&
	    n->kid[0]->kind == BT_N_MAP)
		return message(s, n, f[0] == 'c' ? BT_MSG_CLEAR : BT_MSG_ZERO,
			       (uint64_t)n->kid[0]->id, NULL, 0, 0);
	if (!strcmp(f, "time"))
		return message(s, n, BT_MSG_TIME, (uint64_t)n->id, NULL, 0, 0);
	if (!strcmp(f, "exit")) {
		err = message(s, n, BT_MSG_EXIT, 0, NULL, 0, n->nkid ? 1 : 0);
		gen_jump(&s->g, JA(0), s->out);
		return err;
	}
	if (!strcmp(f, "delete") && n->nkid == 1 &&
	    n->kid[0]->kind == BT_N_MAP) {
		err = btg_map_key(s, n->kid[0], &koff);
		if (err)
			return err;
		btg_ld_map(s, R1, n->kid[0]->id);
		btg_scr_ptr(s, R2, koff);
		EMIT(&s->g, CALL(BPF_FUNC_map_delete_elem));
		return 0;
	}
	return btg_fail(s, n->loc, ENOTSUP, "%s() is not supported yet",
			n->name);
}
