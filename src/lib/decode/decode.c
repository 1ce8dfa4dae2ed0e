// SPDX-License-Identifier: MIT
/*
 * Event formats -> plain field layouts, and raw records -> values.
 *
 * libtraceevent parses the format text (it knows every quirk of the
 * kernel's format files); the offsets, sizes and kinds are then copied
 * into struct field_layout so the per-event path reads plain structs and
 * keeps no tep_handle around.
 *
 * Probe formats (kernel/trace/trace_probe.c, Documentation/trace/
 * kprobetrace.rst, uprobetracer.rst), as kernel 6.18 prints them:
 *  - xNN types show as "uNN" in the field type; only the print fmt tells
 *    them apart ("hx=0x%Lx"); so does "symbol" ("%pS") on kprobes.
 *  - arrays show as "u8 arr[]" with empty brackets and size = whole array.
 *  - bitfields are already shifted and masked by the kernel: a plain uNN.
 *  - strings are "__data_loc char[]": a u32 with the offset in the low
 *    16 bits and the length (with the NUL) in the high 16.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <traceevent/event-parse.h>

#include "decode.h"

static void layout_free(struct field_layout *f)
{
	free(f->name);
	f->name = NULL;
}

void event_format_free(struct event_format *ef)
{
	if (!ef)
		return;
	for (size_t i = 0; i < ef->nfields; i++)
		layout_free(&ef->fields[i]);
	free(ef->fields);
	layout_free(&ef->probe_ip);
	layout_free(&ef->func);
	layout_free(&ef->ret_ip);
	free(ef->system);
	free(ef->name);
	memset(ef, 0, sizeof(*ef));
}

/* Size of one element from the kernel's type name ("u8", "s32", "x64"). */
static unsigned int type_elem_size(const char *type)
{
	const char *p = type;
	unsigned long bits;
	char *end;

	if (!strncmp(p, "unsigned ", 9))
		p += 9;
	if (!strncmp(p, "char", 4))
		return 1;
	if (!strncmp(p, "short", 5))
		return 2;
	if (!strncmp(p, "int", 3))
		return 4;
	if (*p != 'u' && *p != 's' && *p != 'x')
		return 0;
	bits = strtoul(p + 1, &end, 10);
	if (end == p + 1 || (*end && *end != ' ' && *end != '['))
		return 0;
	if (bits != 8 && bits != 16 && bits != 32 && bits != 64)
		return 0;
	return (unsigned int)(bits / 8);
}

/*
 * What the print fmt shows for NAME: " NAME=0x%Lx", " NAME=%pS",
 * " NAME={0x%x,...}". The probe print fmt lists "NAME=FMT" items separated
 * by spaces (trace_probe.c __set_print_fmt()).
 */
static void print_kind(const char *fmt, const char *name, bool *hex, bool *sym)
{
	size_t n = strlen(name);
	const char *p = fmt;

	*hex = *sym = false;
	if (!fmt)
		return;
	while ((p = strstr(p, name))) {
		bool start = p == fmt || p[-1] == ' ';

		p += n;
		if (!start || *p != '=')
			continue;
		p++;
		while (*p == '{' || *p == '"' || *p == '\'' || *p == '\\')
			p++;
		if (!strncmp(p, "0x%", 3))
			*hex = true;
		else if (!strncmp(p, "%pS", 3) || !strncmp(p, "%ps", 3) ||
			 !strncmp(p, "%pB", 3))
			*sym = true;
		return;
	}
}

/*
 * A syscall tracepoint keeps each argument in an unsigned long slot
 * whatever its C type (kernel/trace/trace_syscalls.c: "int dfd" has size
 * 8 and signed 0): the value is the type's, the slot's low bytes on a
 * little-endian machine, with the type's sign (an int's upper half is
 * not defined by the ABI). Only C integer types narrower than the slot.
 */
static void narrow_to_type(const struct tep_format_field *tf,
			   struct field_layout *f)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	unsigned int es;

	if (!tf->type || (tf->flags & TEP_FIELD_IS_POINTER) ||
	    strchr(tf->type, '*'))
		return;
	es = type_elem_size(tf->type);
	if (!es || es >= f->size)
		return;
	f->size = f->elem_size = es;
	f->is_signed = strncmp(tf->type, "unsigned", 8) && tf->type[0] != 'u' &&
		       tf->type[0] != 'x';
#else
	(void)tf;
	(void)f;
#endif
}

static int copy_field(const struct tep_format_field *tf, const char *pfmt,
		      struct field_layout *f)
{
	unsigned long fl = tf->flags;
	bool hex, sym;

	if (tf->offset < 0 || tf->size < 0)
		return -EINVAL;
	memset(f, 0, sizeof(*f));
	f->name = strdup(tf->name);
	if (!f->name)
		return -ENOMEM;
	f->offset = (unsigned int)tf->offset;
	f->size = (unsigned int)tf->size;
	f->elem_size = f->size;
	f->count = 1;
	f->is_signed = !!(fl & TEP_FIELD_IS_SIGNED);
	print_kind(pfmt, tf->name, &hex, &sym);
	if (tf->type && tf->type[0] == 'x')
		hex = true; /* kernels that print the xNN name itself */

	if (fl & TEP_FIELD_IS_DYNAMIC) {
		f->type = FT_STRING;
		f->is_dynamic = true;
		f->is_relative = !!(fl & TEP_FIELD_IS_RELATIVE);
		f->is_signed = false;
		if (f->size != 4)
			goto bad;
		return 0;
	}
	/* char comm[16] of tracepoints: a string in place. libtraceevent
	 * also calls u8/s8 arrays strings; probe arrays are numbers. */
	if ((fl & TEP_FIELD_IS_ARRAY) && tf->type &&
	    !strncmp(tf->type, "char", 4) &&
	    (tf->type[4] == '[' || tf->type[4] == ' ')) {
		f->type = FT_STRING;
		f->is_signed = false;
		return 0;
	}
	if (fl & TEP_FIELD_IS_ARRAY) {
		unsigned int es = type_elem_size(tf->type);

		if (!es)
			es = tf->elementsize;
		if (!es && tf->arraylen)
			es = f->size / tf->arraylen;
		if (!es || es > 8 || (es & (es - 1)) || f->size % es)
			goto bad;
		f->type = FT_ARRAY;
		f->elem_size = es;
		f->count = f->size / es;
		f->hex = hex;
		return 0;
	}
	narrow_to_type(tf, f);
	if (f->size != 1 && f->size != 2 && f->size != 4 && f->size != 8)
		goto bad;
	if (sym)
		f->type = FT_SYMBOL;
	else if (hex || (fl & TEP_FIELD_IS_POINTER))
		f->type = FT_HEX;
	else
		f->type = f->is_signed ? FT_SIGNED : FT_UNSIGNED;
	f->hex = f->type == FT_HEX;
	return 0;
bad:
	layout_free(f);
	return -EINVAL;
}

static struct field_layout *special_slot(struct event_format *ef,
					 const char *name)
{
	if (!strcmp(name, "__probe_ip"))
		return &ef->probe_ip;
	if (!strcmp(name, "__probe_func"))
		return &ef->func;
	if (!strcmp(name, "__probe_ret_ip"))
		return &ef->ret_ip;
	return NULL;
}

static int copy_event(const struct tep_event *ev, struct event_format *ef)
{
	const char *pfmt = ev->print_fmt.format;
	const struct tep_format_field *tf;
	bool have_type = false, have_pid = false;
	size_t n = 0;
	int err;

	ef->id = ev->id;
	ef->name = strdup(ev->name ? ev->name : "");
	if (!ef->name)
		return -ENOMEM;

	/* record_type() and record_pid() rely on these two. */
	for (tf = ev->format.common_fields; tf; tf = tf->next) {
		if (!strcmp(tf->name, "common_type")) {
			if (tf->offset != 0 || tf->size != 2)
				return -EINVAL;
			have_type = true;
		} else if (!strcmp(tf->name, "common_pid")) {
			if (tf->offset < 0 || tf->size != 4)
				return -EINVAL;
			ef->common_pid_offset = (unsigned int)tf->offset;
			have_pid = true;
		}
	}
	if (!have_type || !have_pid || ev->id <= 0 || ev->id > 0xffff)
		return -EINVAL;

	for (tf = ev->format.fields; tf; tf = tf->next)
		n++;
	ef->fields = calloc(n ? n : 1, sizeof(*ef->fields));
	if (!ef->fields)
		return -ENOMEM;

	for (tf = ev->format.fields; tf; tf = tf->next) {
		struct field_layout *slot = special_slot(ef, tf->name);

		if (slot && slot->name)
			slot = NULL; /* a second one is an ordinary arg */
		if (!slot)
			slot = &ef->fields[ef->nfields];
		err = copy_field(tf, pfmt, slot);
		if (err)
			return err;
		if (slot == &ef->fields[ef->nfields])
			ef->nfields++;
	}
	return 0;
}

int event_format_parse_sys(const char *text, const char *system,
			   struct event_format *ef)
{
	struct tep_event *ev = NULL;
	struct tep_handle *tep;
	int err;

	if (!text || !ef)
		return -EINVAL;
	memset(ef, 0, sizeof(*ef));
	tep = tep_alloc();
	if (!tep)
		return -ENOMEM;
	if (tep_parse_format(tep, &ev, text, strlen(text),
			     system ? system : "sonde") ||
	    !ev) {
		err = -EINVAL;
		goto out_tep;
	}
	err = copy_event(ev, ef);
	if (!err && system) {
		ef->system = strdup(system);
		if (!ef->system)
			err = -ENOMEM;
	}
	if (err)
		event_format_free(ef);
out_tep:
	tep_free(tep);
	return err;
}

int event_format_parse(const char *text, struct event_format *ef)
{
	return event_format_parse_sys(text, NULL, ef);
}

/* Read an n-byte native integer, sign-extended when asked. */
static uint64_t read_int(const unsigned char *p, unsigned int n, bool sign)
{
	switch (n) {
	case 1: {
		uint8_t v = *p;

		return sign ? (uint64_t)(int64_t)(int8_t)v : v;
	}
	case 2: {
		uint16_t v;

		memcpy(&v, p, 2);
		return sign ? (uint64_t)(int64_t)(int16_t)v : v;
	}
	case 4: {
		uint32_t v;

		memcpy(&v, p, 4);
		return sign ? (uint64_t)(int64_t)(int32_t)v : v;
	}
	case 8: {
		uint64_t v;

		memcpy(&v, p, 8);
		return v;
	}
	}
	return 0;
}

int field_decode(const struct field_layout *f, const void *rec, size_t len,
		 struct field_value *v)
{
	const unsigned char *r = rec;
	size_t off, slen;
	uint32_t loc;

	if (!f || !rec || !v)
		return -EINVAL;
	memset(v, 0, sizeof(*v));
	if (f->offset > len || f->size > len - f->offset)
		return -EBADMSG;

	switch (f->type) {
	case FT_STRING:
		if (!f->is_dynamic) {
			v->str = (const char *)r + f->offset;
			v->len = strnlen(v->str, f->size);
			return 0;
		}
		memcpy(&loc, r + f->offset, sizeof(loc));
		off = loc & 0xffff;
		slen = loc >> 16;
		if (f->is_relative)
			off += (size_t)f->offset + f->size;
		if (off > len || slen > len - off)
			return -EBADMSG;
		v->str = (const char *)r + off;
		/* The length counts the NUL; stop at the first NUL anyway.
		 * A stored length of 0 is the kernel's mark of a fetch that
		 * faulted (trace_probe_tmpl.h): u keeps it. */
		v->len = strnlen(v->str, slen);
		v->u = slen;
		return 0;
	case FT_ARRAY:
		if (!f->elem_size || f->elem_size > 8 || !f->count ||
		    (size_t)f->elem_size * f->count > f->size)
			return -EBADMSG;
		v->u = read_int(r + f->offset, f->elem_size, f->is_signed);
		v->str = (const char *)r + f->offset;
		v->len = f->size;
		return 0;
	default:
		if (f->size != 1 && f->size != 2 && f->size != 4 &&
		    f->size != 8)
			return -EBADMSG;
		v->u = read_int(r + f->offset, f->size, f->is_signed);
		return 0;
	}
}

uint64_t field_elem(const struct field_layout *f, const void *rec, int j)
{
	const unsigned char *r = rec;

	if (!f || !rec || j < 0 || (unsigned int)j >= f->count ||
	    f->elem_size > 8 ||
	    (size_t)f->elem_size * ((size_t)j + 1) > f->size)
		return 0;
	return read_int(r + f->offset + (size_t)j * f->elem_size, f->elem_size,
			f->is_signed);
}

int record_type(const void *rec, size_t len)
{
	uint16_t t;

	if (!rec || len < sizeof(t))
		return -EBADMSG;
	memcpy(&t, rec, sizeof(t));
	return t;
}

int record_pid(const struct event_format *ef, const void *rec, size_t len)
{
	unsigned int off = ef ? ef->common_pid_offset : 4;
	int32_t pid;

	if (!rec || off > len || len - off < sizeof(pid))
		return -EBADMSG;
	memcpy(&pid, (const unsigned char *)rec + off, sizeof(pid));
	return pid;
}
