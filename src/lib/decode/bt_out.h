/* SPDX-License-Identifier: MIT */
/*
 * What bt_format.c and bt_maps.c share: reading values in bt.h's byte
 * layouts, bpftrace's JSON string escaping, values as map keys show them.
 */
#ifndef SONDE_DECODE_BT_OUT_H
#define SONDE_DECODE_BT_OUT_H

#include "../lang/bt.h"

#define BT_ALIGN8(x) (((x) + 7) & ~(uint64_t)7)

/* An INT's 8 bytes as its declared width and sign make it (int8 -1 is
 * -1, uint8 255 is 255), widened to 64 bits as bpftrace does. */
int64_t bt_int_value(const struct bt_type *t, const uint8_t *v);
/* Element i's offset in a tuple (each element 8-aligned). */
uint32_t bt_tuple_offset(const struct bt_type *t, int i);
/* s[0..n) as a JSON string's inside, escaped as bpftrace escapes it. */
void bt_json_escape(FILE *out, const char *s, size_t n);
/* A value as text; stacks with their frames indented by `indent`
 * spaces (8 for print() and printf, 4 in a map's key). */
void bt_format_value_ind(FILE *out, const struct bt_type *t, const uint8_t *v,
			 const struct bt_symbolizer *sym, int indent);

#endif
