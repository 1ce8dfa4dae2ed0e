// SPDX-License-Identifier: MIT
/*
 * The event format of a compiled plan: what the kernel's format file would
 * say for the same definition through {u,k}probe_events (trace_probe.c
 * traceprobe_define_arg_fields() and __set_print_fmt(): common fields,
 * __probe_ip or __probe_func + __probe_ret_ip, then each arg in order at
 * its type's size, strings as a 32-bit __data_loc), built as the structs
 * decode.c reads from such a file, and printed as the file for display.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args/fetch_plan.h"

/* The print fmt of one value (trace_probe.c PRINT_TYPE_FMT_NAME). */
static const char *value_fmt(const struct fetch_arg *a)
{
	if (a->symbol)
		return "%pS";
	if (a->bf_width)
		return a->elem == 8 ? "%Lu" : "%u";
	if (a->hex)
		return a->elem == 8 ? "0x%Lx" : "0x%x";
	if (a->is_signed)
		return a->elem == 8 ? "%Ld" : "%d";
	return a->elem == 8 ? "%Lu" : "%u";
}

/* Printed as hex: what decode.c's reading of the print fmt gives. */
static bool prints_hex(const struct fetch_arg *a)
{
	return !strncmp(value_fmt(a), "0x", 2);
}

static int layout(struct field_layout *f, const char *name,
		  enum field_type type, unsigned int off, unsigned int size)
{
	f->name = strdup(name);
	f->type = type;
	f->offset = off;
	f->size = size;
	f->elem_size = size;
	f->count = 1;
	return f->name ? 0 : -ENOMEM;
}

static int arg_layout(const struct fetch_arg *a, const char *name,
		      struct field_layout *f)
{
	int err;

	if (a->is_string) {
		err = layout(f, name, FT_STRING, a->offset, 4);
		f->is_dynamic = true;
		return err;
	}
	if (a->array || a->count > 1) {
		err = layout(f, name, FT_ARRAY, a->offset, a->elem * a->count);
		f->elem_size = a->elem;
		f->count = a->count;
		f->is_signed = a->is_signed;
		f->hex = prints_hex(a);
		return err;
	}
	err = layout(f, name,
		     a->symbol	     ? FT_SYMBOL
		     : prints_hex(a) ? FT_HEX
		     : a->is_signed  ? FT_SIGNED
				     : FT_UNSIGNED,
		     a->offset, a->elem);
	f->is_signed = a->is_signed;
	f->hex = f->type == FT_HEX;
	return err;
}

int fetch_plan_event_format(const struct fetch_plan *plan,
			    const struct probe_spec *spec, const char *name,
			    int id, struct event_format *ef)
{
	size_t i;
	int err;

	memset(ef, 0, sizeof(*ef));
	/* common_type is a u16 (record_type()) */
	if (plan->error.err || plan->nargs != spec->nargs || id <= 0 ||
	    id > 0xffff)
		return -EINVAL;
	ef->id = id;
	ef->common_pid_offset = 4;
	ef->name = strdup(name);
	ef->fields = calloc(plan->nargs ? plan->nargs : 1, sizeof(*ef->fields));
	err = ef->name && ef->fields ? 0 : -ENOMEM;
	if (!err && plan->retprobe)
		err = layout(&ef->func, "__probe_func", FT_UNSIGNED, 8, 8) ||
				      layout(&ef->ret_ip, "__probe_ret_ip",
					     FT_UNSIGNED, 16, 8)
			      ? -ENOMEM
			      : 0;
	else if (!err)
		err = layout(&ef->probe_ip, "__probe_ip", FT_UNSIGNED, 8, 8);
	for (i = 0; !err && i < plan->nargs; i++) {
		err = arg_layout(&plan->args[i], spec->args[i].name,
				 &ef->fields[i]);
		ef->nfields = i + 1;
	}
	if (err)
		event_format_free(ef);
	return err;
}

/* The text, grown as it is printed. */
struct text {
	char *buf;
	size_t len, cap;
	int err;
};

static void put(struct text *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void put(struct text *t, const char *fmt, ...)
{
	va_list ap;
	char *grown;
	int n;

	while (!t->err) {
		va_start(ap, fmt);
		n = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			t->err = -EINVAL;
			return;
		}
		if ((size_t)n < t->cap - t->len) {
			t->len += n;
			return;
		}
		t->cap = (t->cap + n) * 2;
		grown = realloc(t->buf, t->cap);
		if (!grown)
			t->err = -ENOMEM;
		else
			t->buf = grown;
	}
}

static void field_line(struct text *t, const char *type, const char *name,
		       const char *suffix, unsigned int off, unsigned int size,
		       int sign)
{
	put(t, "\tfield:%s %s%s;\toffset:%u;\tsize:%u;\tsigned:%d;\n", type,
	    name, suffix, off, size, sign);
}

/* The fields of the format file (trace_probe.c
 * traceprobe_define_arg_fields()): "u32 a", "u8 arr[]", "__data_loc
 * char[] s", a string's signed:1 as the kernel prints it. */
static void fields(struct text *t, const struct fetch_plan *plan,
		   const struct probe_spec *spec)
{
	const struct fetch_arg *a;
	char type[32];
	size_t i;

	for (i = 0; i < plan->nargs; i++) {
		a = &plan->args[i];
		if (a->is_string) {
			field_line(t, "__data_loc char[]", spec->args[i].name,
				   "", a->offset, 4, 1);
			continue;
		}
		snprintf(type, sizeof(type), "%c%u", a->is_signed ? 's' : 'u',
			 a->elem * 8);
		field_line(t, type, spec->args[i].name,
			   a->array || a->count > 1 ? "[]" : "", a->offset,
			   a->elem * a->count, a->is_signed);
	}
}

/* print fmt: "(%lx) a=%d s=\"%s\" arr={0x%x,0x%x}", REC->__probe_ip, ...
 * (trace_probe.c __set_print_fmt()) */
static void print_fmt(struct text *t, const struct fetch_plan *plan,
		      const struct probe_spec *spec)
{
	const struct fetch_arg *a;
	const char *name;
	unsigned int j;
	size_t i;

	put(t, "\nprint fmt: \"%s", plan->retprobe ? "(%lx <- %lx)" : "(%lx)");
	for (i = 0; i < plan->nargs; i++) {
		a = &plan->args[i];
		name = spec->args[i].name;
		if (a->is_string) {
			put(t, " %s=\\\"%%s\\\"", name);
		} else if (a->array || a->count > 1) {
			put(t, " %s={", name);
			for (j = 0; j < a->count; j++)
				put(t, "%s%s", j ? "," : "", value_fmt(a));
			put(t, "}");
		} else {
			put(t, " %s=%s", name, value_fmt(a));
		}
	}
	put(t, "\"%s",
	    plan->retprobe ? ", REC->__probe_func, REC->__probe_ret_ip"
			   : ", REC->__probe_ip");
	for (i = 0; i < plan->nargs; i++) {
		a = &plan->args[i];
		name = spec->args[i].name;
		if (a->is_string)
			put(t, ", __get_str(%s)", name);
		else if (a->array || a->count > 1)
			for (j = 0; j < a->count; j++)
				put(t, ", REC->%s[%u]", name, j);
		else
			put(t, ", REC->%s", name);
	}
	put(t, "\n");
}

char *fetch_plan_format_text(const struct fetch_plan *plan,
			     const struct probe_spec *spec, const char *name,
			     int id)
{
	struct text t = {.cap = 1024};

	if (plan->error.err || plan->nargs != spec->nargs) {
		errno = EINVAL;
		return NULL;
	}
	t.buf = malloc(t.cap);
	if (!t.buf) {
		errno = ENOMEM;
		return NULL;
	}
	/* clang-format off */
	put(&t, "name: %s\nID: %d\nformat:\n"
		"\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
		"\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n"
		"\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n"
		"\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n\n",
	    name, id);
	if (plan->retprobe)
		put(&t, "\tfield:unsigned long __probe_func;\toffset:8;\tsize:8;\tsigned:0;\n"
			"\tfield:unsigned long __probe_ret_ip;\toffset:16;\tsize:8;\tsigned:0;\n");
	else
		put(&t, "\tfield:unsigned long __probe_ip;\toffset:8;\tsize:8;\tsigned:0;\n");
	/* clang-format on */
	fields(&t, plan, spec);
	print_fmt(&t, plan, spec);
	if (t.err) {
		free(t.buf);
		errno = -t.err;
		return NULL;
	}
	return t.buf;
}
