/* SPDX-License-Identifier: MIT */
/* Event formats -> field layouts; raw records -> values. */
#ifndef SONDE_DECODE_H
#define SONDE_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum field_type {
	FT_UNSIGNED,
	FT_SIGNED,
	FT_HEX,	   /* xNN types: print as hex */
	FT_STRING, /* __data_loc char[] (string, ustring, symstr) */
	FT_SYMBOL, /* symbol type: an address to print as sym+off */
	FT_ARRAY,  /* fixed array of numbers (TYPE[N]) */
};

struct field_layout {
	char *name;
	enum field_type type;
	unsigned int offset;
	unsigned int size;	/* whole field */
	unsigned int elem_size; /* arrays: one element; else == size */
	unsigned int count;	/* arrays: elements; else 1 */
	bool is_signed;		/* elements of arrays too */
	bool hex;		/* print as hex (FT_HEX, arrays of xNN) */
	/* FT_STRING: a 32-bit __data_loc word (offset low 16 bits, length
	 * high 16) or, when false, a fixed char[size] in place. */
	bool is_dynamic;
	bool is_relative; /* __rel_loc: offset counts from the field's end */
};

/* One event's format: id, name, and the fields after the common ones. */
struct event_format {
	int id;
	char *system;
	char *name;
	unsigned int common_pid_offset; /* from the format, normally 4 */
	struct field_layout probe_ip;	/* __probe_ip (size 0 if absent) */
	struct field_layout func;	/* kretprobes: __probe_func */
	struct field_layout ret_ip;	/* kretprobes: __probe_ret_ip */
	struct field_layout *fields;	/* the probe's own args, in order */
	size_t nfields;
};

/*
 * Parse the text of events/GROUP/EV/format into ef (libtraceevent's
 * tep_parse_format() does the parsing; the offsets are copied out so the
 * per-event path reads plain structs). Kernel type names decide the kind:
 * "u64"/"unsigned long" -> unsigned, "s32" -> signed, "__data_loc char[]"
 * -> string; the print fmt decides hex ("0x%Lx") vs decimal and symbols
 * ("%pS"/"%ps"). 0 or -EINVAL.
 */
int event_format_parse(const char *text, struct event_format *ef);
/* The same, naming the event's system (a format file does not): ef->system
 * is a copy of it (NULL with event_format_parse()). */
int event_format_parse_sys(const char *text, const char *system,
			   struct event_format *ef);
void event_format_free(struct event_format *ef);

/* A decoded value. Strings point into the record and need not be
 * NUL-terminated there: len is their length without the NUL. Arrays: u is
 * element 0, str/len the raw bytes (read others with field_elem()). */
struct field_value {
	uint64_t u;	 /* numbers (sign-extended for signed) */
	const char *str; /* strings */
	size_t len;	 /* string length without NUL */
};

/* Decode field f of a record of len bytes. -EBADMSG when the field or a
 * __data_loc points outside the record. */
int field_decode(const struct field_layout *f, const void *rec, size_t len,
		 struct field_value *v);
/* Array element j (sign-extended if signed); 0 when j is out of range.
 * Only after field_decode() accepted the field for this record. */
uint64_t field_elem(const struct field_layout *f, const void *rec, int j);

/* common_type (u16 at offset 0) and common_pid of a record; -EBADMSG if
 * the record is too short. */
int record_type(const void *rec, size_t len);
int record_pid(const struct event_format *ef, const void *rec, size_t len);

#endif
