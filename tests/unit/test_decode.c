// SPDX-License-Identifier: MIT
/*
 * decode.c on format files captured from kernel 6.18 (tests/unit/data:
 * a uprobe with one arg of each fetch type, a uretprobe, sched_switch)
 * and on a kretprobe format written after trace_kprobe.c (this machine
 * has no kprobes), plus hand-made records for the bounds checks.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "decode/decode.h"

#define DATA_DIR SRC_FIXTURE_DIR "/../unit/data/"

static char *slurp(const char *name)
{
	char path[512];
	size_t n = 0, r;
	char *buf = malloc(65537);
	FILE *f;

	snprintf(path, sizeof(path), DATA_DIR "%s", name);
	f = fopen(path, "re");
	assert_non_null(f);
	assert_non_null(buf);
	while ((r = fread(buf + n, 1, 65536 - n, f)) > 0)
		n += r;
	fclose(f);
	buf[n] = '\0';
	return buf;
}

static void parse_file(const char *name, struct event_format *ef)
{
	char *t = slurp(name);

	assert_int_equal(event_format_parse(t, ef), 0);
	free(t);
}

struct want {
	const char *name;
	enum field_type type;
	unsigned int offset, size, elem_size, count;
	bool is_signed, hex, dynamic;
};

static void check_fields(const struct event_format *ef, const struct want *w,
			 size_t n)
{
	assert_int_equal(ef->nfields, n);
	for (size_t i = 0; i < n; i++) {
		const struct field_layout *f = &ef->fields[i];

		assert_string_equal(f->name, w[i].name);
		assert_int_equal(f->type, w[i].type);
		assert_int_equal(f->offset, w[i].offset);
		assert_int_equal(f->size, w[i].size);
		assert_int_equal(f->elem_size, w[i].elem_size);
		assert_int_equal(f->count, w[i].count);
		assert_int_equal(f->is_signed, w[i].is_signed);
		assert_int_equal(f->hex, w[i].hex);
		assert_int_equal(f->is_dynamic, w[i].dynamic);
	}
}

static void test_uprobe_format(void **state)
{
	/* p:sondecap/ent a=%di:s32 b=%si:u64 hx=%si:x64 s=+0(%dx):string
	 * arr=+0(%cx):u8[4] bf=%di:b4@4/32 c=%di:s8 h=%si:x16 comm=$comm
	 * The kernel packs the args with no alignment: b at 20, h at 49. */
	static const struct want w[] = {
		{"a", FT_SIGNED, 16, 4, 4, 1, true, false, false},
		{"b", FT_UNSIGNED, 20, 8, 8, 1, false, false, false},
		/* x64 shows as "u64"; only "hx=0x%Lx" tells. */
		{"hx", FT_HEX, 28, 8, 8, 1, false, true, false},
		{"s", FT_STRING, 36, 4, 4, 1, false, false, true},
		/* "u8 arr[]": empty brackets, size 4 -> 4 elements. */
		{"arr", FT_ARRAY, 40, 4, 1, 4, false, false, false},
		/* The bitfield comes out of the kernel as a plain u32. */
		{"bf", FT_UNSIGNED, 44, 4, 4, 1, false, false, false},
		{"c", FT_SIGNED, 48, 1, 1, 1, true, false, false},
		{"h", FT_HEX, 49, 2, 2, 1, false, true, false},
		{"comm", FT_STRING, 51, 4, 4, 1, false, false, true},
	};
	struct event_format ef;

	(void)state;
	parse_file("format_ent", &ef);
	assert_int_equal(ef.id, 2326);
	assert_string_equal(ef.name, "ent");
	assert_null(ef.system);
	assert_int_equal(ef.common_pid_offset, 4);
	assert_string_equal(ef.probe_ip.name, "__probe_ip");
	assert_int_equal(ef.probe_ip.offset, 8);
	assert_int_equal(ef.probe_ip.size, 8);
	assert_int_equal(ef.probe_ip.type, FT_UNSIGNED);
	assert_int_equal(ef.func.size, 0);
	assert_int_equal(ef.ret_ip.size, 0);
	check_fields(&ef, w, sizeof(w) / sizeof(w[0]));
	event_format_free(&ef);
	assert_null(ef.fields);
	event_format_free(&ef); /* twice is harmless */
	event_format_free(NULL);
}

static void test_uretprobe_format(void **state)
{
	static const struct want w[] = {
		{"rv", FT_SIGNED, 24, 4, 4, 1, true, false, false},
	};
	struct event_format ef;
	char *t = slurp("format_ret");

	(void)state;
	assert_int_equal(event_format_parse_sys(t, "sondecap", &ef), 0);
	free(t);
	assert_int_equal(ef.id, 2327);
	assert_string_equal(ef.system, "sondecap");
	assert_string_equal(ef.name, "ret");
	assert_int_equal(ef.probe_ip.size, 0);
	assert_int_equal(ef.func.offset, 8);
	assert_int_equal(ef.func.size, 8);
	assert_int_equal(ef.ret_ip.offset, 16);
	assert_int_equal(ef.ret_ip.size, 8);
	check_fields(&ef, w, 1);
	event_format_free(&ef);
}

static void test_kretprobe_format(void **state)
{
	static const struct want w[] = {
		{"ret", FT_HEX, 24, 8, 8, 1, false, true, false},
		{"caller", FT_SYMBOL, 32, 8, 8, 1, false, false, false},
		{"name", FT_STRING, 40, 4, 4, 1, false, false, true},
		{"err", FT_SIGNED, 44, 2, 2, 1, true, false, false},
		{"flags", FT_HEX, 46, 4, 4, 1, false, true, false},
	};
	struct event_format ef;

	(void)state;
	parse_file("format_kretprobe", &ef);
	assert_int_equal(ef.id, 1900);
	assert_string_equal(ef.func.name, "__probe_func");
	assert_int_equal(ef.func.offset, 8);
	assert_string_equal(ef.ret_ip.name, "__probe_ret_ip");
	assert_int_equal(ef.ret_ip.offset, 16);
	check_fields(&ef, w, sizeof(w) / sizeof(w[0]));
	event_format_free(&ef);
}

static void test_tracepoint_format(void **state)
{
	struct event_format ef;
	unsigned char rec[64] = {0};
	struct field_value v;
	int32_t pid = 4321;

	(void)state;
	parse_file("format_sched_switch", &ef);
	assert_int_equal(ef.id, 372);
	assert_int_equal(ef.nfields, 7);
	assert_int_equal(ef.probe_ip.size, 0);
	/* char prev_comm[16]: a string in place, not a __data_loc. */
	assert_string_equal(ef.fields[0].name, "prev_comm");
	assert_int_equal(ef.fields[0].type, FT_STRING);
	assert_false(ef.fields[0].is_dynamic);
	assert_int_equal(ef.fields[0].size, 16);
	assert_string_equal(ef.fields[1].name, "prev_pid");
	assert_int_equal(ef.fields[1].type, FT_SIGNED);
	assert_string_equal(ef.fields[3].name, "prev_state");
	assert_int_equal(ef.fields[3].size, 8);

	memcpy(rec + 8, "kworker/0:1", 11);
	memcpy(rec + 40, "0123456789abcdef", 16); /* no NUL: 16 chars */
	memcpy(rec + 24, &pid, 4);
	assert_int_equal(field_decode(&ef.fields[0], rec, 64, &v), 0);
	assert_int_equal(v.len, 11);
	assert_memory_equal(v.str, "kworker/0:1", 11);
	assert_int_equal(field_decode(&ef.fields[4], rec, 64, &v), 0);
	assert_int_equal(v.len, 16);
	assert_int_equal(field_decode(&ef.fields[1], rec, 64, &v), 0);
	assert_int_equal((int64_t)v.u, 4321);
	/* The record ends inside next_comm. */
	assert_int_equal(field_decode(&ef.fields[4], rec, 50, &v), -EBADMSG);
	event_format_free(&ef);
}

static void test_bad_format(void **state)
{
	struct event_format ef;

	(void)state;
	assert_int_equal(event_format_parse("", &ef), -EINVAL);
	assert_int_equal(event_format_parse("name: x\nID: zz\nformat:\n", &ef),
			 -EINVAL);
	assert_int_equal(event_format_parse(NULL, &ef), -EINVAL);
	/* An odd size for a number cannot be decoded: refused up front. */
	assert_int_equal(
		event_format_parse(
			"name: odd\nID: 5\nformat:\n"
			"\tfield:unsigned short "
			"common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
			"\tfield:int "
			"common_pid;\toffset:4;\tsize:4;\tsigned:1;\n\n"
			"\tfield:u32 x;\toffset:8;\tsize:3;\tsigned:0;\n\n"
			"print fmt: \"x=%u\", REC->x\n",
			&ef),
		-EINVAL);
	assert_null(ef.fields);
}

/* A record laid out like sondecap/ent (format_ent). */
static size_t make_ent(unsigned char *r, size_t cap, const char *s)
{
	uint16_t type = 2326;
	int32_t pid = 777, a = -5;
	uint64_t b = 0xfedcba9876543210ULL;
	uint32_t loc;
	size_t slen = strlen(s) + 1, end = 55 + 4;

	memset(r, 0, cap);
	memcpy(r, &type, 2);
	memcpy(r + 4, &pid, 4);
	memcpy(r + 16, &a, 4);
	memcpy(r + 20, &b, 8);
	memcpy(r + 28, &b, 8);
	loc = (uint32_t)(slen << 16 | end);
	memcpy(r + 36, &loc, 4);
	r[40] = 0x80;
	r[41] = 2;
	r[48] = 0xff;
	loc = (uint32_t)(1u << 16 | (end + slen));
	memcpy(r + 51, &loc, 4);
	memcpy(r + end, s, slen);
	r[end + slen] = '\0';
	return end + slen + 1;
}

static void test_decode_values(void **state)
{
	struct event_format ef;
	unsigned char r[128];
	struct field_value v;
	size_t len;

	(void)state;
	parse_file("format_ent", &ef);
	len = make_ent(r, sizeof(r), "abc");
	assert_int_equal(record_type(r, len), 2326);
	assert_int_equal(record_pid(&ef, r, len), 777);

	assert_int_equal(field_decode(&ef.fields[0], r, len, &v), 0);
	assert_int_equal((int64_t)v.u, -5); /* sign-extended */
	assert_int_equal(field_decode(&ef.fields[1], r, len, &v), 0);
	assert_int_equal(v.u, 0xfedcba9876543210ULL);
	assert_int_equal(field_decode(&ef.fields[3], r, len, &v), 0);
	assert_int_equal(v.len, 3);
	assert_memory_equal(v.str, "abc", 3);
	assert_int_equal(field_decode(&ef.fields[4], r, len, &v), 0);
	assert_int_equal(v.u, 0x80);
	assert_int_equal(v.len, 4);
	assert_int_equal(field_elem(&ef.fields[4], r, 1), 2);
	assert_int_equal(field_elem(&ef.fields[4], r, -1), 0);
	assert_int_equal(field_decode(&ef.fields[6], r, len, &v), 0);
	assert_int_equal((int64_t)v.u, -1);
	/* An empty string (length 1: just the NUL). */
	assert_int_equal(field_decode(&ef.fields[8], r, len, &v), 0);
	assert_int_equal(v.len, 0);
	event_format_free(&ef);
}

static void test_decode_bounds(void **state)
{
	struct event_format ef;
	unsigned char r[128], *copy;
	struct field_value v;
	uint32_t loc;
	size_t len;

	(void)state;
	parse_file("format_ent", &ef);
	len = make_ent(r, sizeof(r), "abcdef");

	/* Every prefix of the record: fields inside decode, others are
	 * -EBADMSG; a copy of exactly that size lets ASan watch. */
	for (size_t n = 0; n <= len; n++) {
		copy = malloc(n ? n : 1);
		assert_non_null(copy);
		memcpy(copy, r, n);
		for (size_t i = 0; i < ef.nfields; i++) {
			const struct field_layout *f = &ef.fields[i];
			int ret = field_decode(f, copy, n, &v);

			if (f->offset + f->size > n)
				assert_int_equal(ret, -EBADMSG);
			else if (!f->is_dynamic)
				assert_int_equal(ret, 0);
			else
				assert_true(ret == 0 || ret == -EBADMSG);
		}
		assert_int_equal(record_type(copy, n), n < 2 ? -EBADMSG : 2326);
		assert_int_equal(record_pid(&ef, copy, n),
				 n < 8 ? -EBADMSG : 777);
		free(copy);
	}

	/* __data_loc offset past the record. */
	loc = 1u << 16 | 200;
	memcpy(r + 36, &loc, 4);
	assert_int_equal(field_decode(&ef.fields[3], r, len, &v), -EBADMSG);
	/* ... length past the record. */
	loc = 0xffffu << 16 | 59;
	memcpy(r + 36, &loc, 4);
	assert_int_equal(field_decode(&ef.fields[3], r, len, &v), -EBADMSG);
	/* ... exactly to the end is fine. */
	loc = (uint32_t)((len - 59) << 16 | 59);
	memcpy(r + 36, &loc, 4);
	assert_int_equal(field_decode(&ef.fields[3], r, len, &v), 0);
	assert_int_equal(v.len, 6);
	/* A string without its NUL stops at the length. */
	loc = 3u << 16 | 59;
	memcpy(r + 36, &loc, 4);
	assert_int_equal(field_decode(&ef.fields[3], r, len, &v), 0);
	assert_int_equal(v.len, 3);
	event_format_free(&ef);
}

static void test_rel_loc(void **state)
{
	/* __rel_loc (kernel 5.17+): the offset counts from the end of the
	 * 4-byte word itself. */
	struct event_format ef;
	unsigned char r[32] = {0};
	struct field_value v;
	uint32_t loc = 3u << 16 | 4; /* 8 + 4 + 4 = 16 */

	(void)state;
	assert_int_equal(
		event_format_parse(
			"name: rel\nID: 9\nformat:\n"
			"\tfield:unsigned short "
			"common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
			"\tfield:int "
			"common_pid;\toffset:4;\tsize:4;\tsigned:1;\n\n"
			"\tfield:__rel_loc char[] "
			"msg;\toffset:8;\tsize:4;\tsigned:0;\n\n"
			"print fmt: \"msg=%s\", __get_rel_str(msg)\n",
			&ef),
		0);
	assert_int_equal(ef.nfields, 1);
	assert_int_equal(ef.fields[0].type, FT_STRING);
	assert_true(ef.fields[0].is_relative);
	memcpy(r + 8, &loc, 4);
	memcpy(r + 16, "hi", 3);
	assert_int_equal(field_decode(&ef.fields[0], r, 19, &v), 0);
	assert_int_equal(v.len, 2);
	assert_memory_equal(v.str, "hi", 2);
	assert_int_equal(field_decode(&ef.fields[0], r, 18, &v), -EBADMSG);
	event_format_free(&ef);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uprobe_format),
		cmocka_unit_test(test_uretprobe_format),
		cmocka_unit_test(test_kretprobe_format),
		cmocka_unit_test(test_tracepoint_format),
		cmocka_unit_test(test_bad_format),
		cmocka_unit_test(test_decode_values),
		cmocka_unit_test(test_decode_bounds),
		cmocka_unit_test(test_rel_loc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
