// SPDX-License-Identifier: MIT
/*
 * ring.c on pages captured from a real 6.18 kernel (tests/unit/data,
 * made by capture.sh from capprog.c) and on hand-built pages for the
 * record kinds a uprobe session rarely produces (padding, absolute time
 * stamps, long records) and for malformed input.
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
#include "backend/tracefs/ring.h"

#define DATA_DIR SRC_FIXTURE_DIR "/../unit/data/"

static void *slurp(const char *name, size_t *len)
{
	char path[512];
	size_t cap = 1 << 16, n = 0, r;
	char *buf = malloc(cap + 1);
	FILE *f;

	snprintf(path, sizeof(path), DATA_DIR "%s", name);
	f = fopen(path, "rbe");
	assert_non_null(f);
	assert_non_null(buf);
	while ((r = fread(buf + n, 1, cap - n, f)) > 0)
		n += r;
	fclose(f);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

/* A copy in a buffer of exactly len bytes, so ASan sees any over-read. */
static void *exact(const void *src, size_t len)
{
	void *p = malloc(len ? len : 1);

	assert_non_null(p);
	memcpy(p, src, len);
	return p;
}

struct rec {
	uint64_t ts;
	const unsigned char *data;
	size_t len;
};

struct recs {
	struct rec r[256];
	int n;
	int stop_at; /* return 7 at this record (0: never) */
};

static int collect(uint64_t ts, const void *data, size_t len, void *ctx)
{
	struct recs *rs = ctx;

	if (rs->n < 256) {
		rs->r[rs->n].ts = ts;
		rs->r[rs->n].data = data;
		rs->r[rs->n].len = len;
	}
	rs->n++;
	if (rs->stop_at && rs->n == rs->stop_at)
		return 7;
	return 0;
}

/* ---- layout ---- */

static void test_layout_parse(void **state)
{
	struct ring_layout l, d;
	char *text = slurp("header_page", NULL);

	(void)state;
	assert_int_equal(ring_layout_parse(text, &l), 0);
	assert_int_equal(l.commit_offset, 8);
	assert_int_equal(l.commit_size, 8);
	assert_int_equal(l.data_offset, 16);
	assert_int_equal(l.page_size, 4096);
	ring_layout_default(&d);
	assert_memory_equal(&l, &d, sizeof(l));
	free(text);

	/* buffer_subbuf_size_kb = 8: the data field grows to 8176. */
	text = slurp("header_page_8k", NULL);
	assert_int_equal(ring_layout_parse(text, &l), 0);
	assert_int_equal(l.page_size, 8192);
	assert_int_equal(l.data_offset, 16);
	free(text);

	/* A 32-bit kernel: local_t is 4 bytes, data at 12. */
	assert_int_equal(
		ring_layout_parse("\tfield: u64 "
				  "timestamp;\toffset:0;\tsize:8;\tsigned:0;\n"
				  "\tfield: local_t "
				  "commit;\toffset:8;\tsize:4;\tsigned:1;\n"
				  "\tfield: int "
				  "overwrite;\toffset:8;\tsize:1;\tsigned:1;\n"
				  "\tfield: char "
				  "data;\toffset:12;\tsize:4084;\tsigned:0;\n",
				  &l),
		0);
	assert_int_equal(l.commit_size, 4);
	assert_int_equal(l.data_offset, 12);
	assert_int_equal(l.page_size, 4096);
}

static void test_layout_parse_bad(void **state)
{
	struct ring_layout l;

	(void)state;
	ring_layout_default(&l);
	assert_int_equal(ring_layout_parse("", &l), -EINVAL);
	assert_int_equal(ring_layout_parse(NULL, &l), -EINVAL);
	assert_int_equal(ring_layout_parse("field: char data;\toffset:16;\t"
					   "size:4080;\tsigned:0;\n",
					   &l),
			 -EINVAL); /* no commit */
	assert_int_equal(ring_layout_parse("field: local_t commit;\toffset:8;"
					   "\tsize:3;\tsigned:1;\n"
					   "field: char data;\toffset:16;\t"
					   "size:4080;\tsigned:0;\n",
					   &l),
			 -EINVAL); /* odd commit size */
	assert_int_equal(ring_layout_parse("field: local_t commit;\toffset:8;"
					   "\tsize:8;\tsigned:1;\n"
					   "field: char data;\toffset:x;\t"
					   "size:4080;\tsigned:0;\n",
					   &l),
			 -EINVAL); /* bad number */
	/* Left untouched on failure. */
	assert_int_equal(l.page_size, 4096);
}

/* ---- captured pages ---- */

/* capprog.c calls[] and what the probes fetch from them. */
static const struct {
	int32_t a;
	uint64_t b;
	const char *s;
	uint8_t arr[4];
	uint32_t bf; /* b4@4/32 of a */
	int64_t c;   /* (s8)a */
	uint16_t h;  /* (x16)b */
	int32_t rv;  /* a + (int)b + strlen(s) + arr[0] */
} calls[] = {
	{-42,
	 0x1122334455667788ULL,
	 "hello",
	 {1, 2, 3, 4},
	 13,
	 -42,
	 0x7788,
	 -42 + 0x55667788 + 5 + 1},
	{7,
	 12345,
	 "sonde",
	 {0xde, 0xad, 0xbe, 0xef},
	 0,
	 7,
	 0x3039,
	 7 + 12345 + 5 + 0xde},
	{0x7ffffff0,
	 UINT64_MAX,
	 "",
	 {0, 0, 0, 255},
	 15,
	 -16,
	 0xffff,
	 0x7fffffef},
};

struct formats {
	struct event_format ent, ret;
};

static int formats_setup(void **state)
{
	struct formats *f = calloc(1, sizeof(*f));
	char *t;

	assert_non_null(f);
	t = slurp("format_ent", NULL);
	assert_int_equal(event_format_parse(t, &f->ent), 0);
	free(t);
	t = slurp("format_ret", NULL);
	assert_int_equal(event_format_parse(t, &f->ret), 0);
	free(t);
	*state = f;
	return 0;
}

static int formats_teardown(void **state)
{
	struct formats *f = *state;

	event_format_free(&f->ent);
	event_format_free(&f->ret);
	free(f);
	return 0;
}

static const struct field_layout *fld(const struct event_format *ef,
				      const char *name)
{
	for (size_t i = 0; i < ef->nfields; i++)
		if (!strcmp(ef->fields[i].name, name))
			return &ef->fields[i];
	fail_msg("no field %s", name);
	return NULL;
}

static uint64_t num(const struct event_format *ef, const char *name,
		    const struct rec *r)
{
	struct field_value v;

	assert_int_equal(field_decode(fld(ef, name), r->data, r->len, &v), 0);
	return v.u;
}

static void str_is(const struct event_format *ef, const char *name,
		   const struct rec *r, const char *want)
{
	struct field_value v;

	assert_int_equal(field_decode(fld(ef, name), r->data, r->len, &v), 0);
	assert_int_equal(v.len, strlen(want));
	assert_memory_equal(v.str, want, v.len);
}

/* Check the 6 records of capprog "basic": entry, return, x3. */
static void check_basic(const struct formats *f, const struct recs *rs,
			uint64_t page_ts)
{
	uint64_t ip = 0, prev_ts = page_ts;
	int pid = -1;

	assert_int_equal(rs->n, 6);
	for (int i = 0; i < 6; i++) {
		const struct rec *r = &rs->r[i];
		const int k = i / 2;
		struct field_value v;

		assert_true(r->ts >= prev_ts);
		prev_ts = r->ts;
		if (pid < 0)
			pid = record_pid(&f->ent, r->data, r->len);
		assert_true(pid > 0);
		assert_int_equal(record_pid(&f->ent, r->data, r->len), pid);

		if (i % 2 == 1) {
			assert_int_equal(record_type(r->data, r->len),
					 f->ret.id);
			assert_int_equal((int32_t)num(&f->ret, "rv", r),
					 calls[k].rv);
			assert_int_equal(
				field_decode(&f->ret.func, r->data, r->len, &v),
				0);
			assert_int_equal(v.u, ip); /* the probed function */
			assert_int_equal(field_decode(&f->ret.ret_ip, r->data,
						      r->len, &v),
					 0);
			assert_true(v.u != 0 && v.u != ip);
			continue;
		}
		assert_int_equal(record_type(r->data, r->len), f->ent.id);
		assert_int_equal(
			field_decode(&f->ent.probe_ip, r->data, r->len, &v), 0);
		assert_true(v.u != 0);
		if (!ip)
			ip = v.u;
		assert_int_equal(v.u, ip);

		assert_int_equal((int64_t)num(&f->ent, "a", r), calls[k].a);
		assert_int_equal(num(&f->ent, "b", r), calls[k].b);
		assert_int_equal(num(&f->ent, "hx", r), calls[k].b);
		str_is(&f->ent, "s", r, calls[k].s);
		assert_int_equal(num(&f->ent, "arr", r), calls[k].arr[0]);
		for (int j = 0; j < 4; j++)
			assert_int_equal(
				field_elem(fld(&f->ent, "arr"), r->data, j),
				calls[k].arr[j]);
		assert_int_equal(field_elem(fld(&f->ent, "arr"), r->data, 4),
				 0);
		assert_int_equal(num(&f->ent, "bf", r), calls[k].bf);
		assert_int_equal((int64_t)num(&f->ent, "c", r), calls[k].c);
		assert_int_equal(num(&f->ent, "h", r), calls[k].h);
		str_is(&f->ent, "comm", r, "capprog");
	}
}

static void test_page_basic(void **state)
{
	struct formats *f = *state;
	struct ring_page_info info;
	struct ring_layout l;
	struct recs rs = {0};
	size_t len;
	unsigned char *raw = slurp("page_basic.bin", &len);
	unsigned char *page = exact(raw, len);

	ring_layout_default(&l);
	assert_int_equal(len, 4096);
	assert_int_equal(ring_page_walk(&l, page, len, &info, collect, &rs), 0);
	assert_int_equal(info.data_len, 316);
	assert_int_equal(info.missed, 0);
	assert_int_equal(info.lost, 0);
	assert_int_equal(info.truncated, 0);
	assert_true(info.timestamp > 0);
	check_basic(f, &rs, info.timestamp);
	/* Records are 4-byte multiples: 18*4 (entry, "hello"), 7*4 (ret). */
	assert_int_equal(rs.r[0].len, 72);
	assert_int_equal(rs.r[1].len, 28);
	free(page);
	free(raw);
}

static void test_page_8k(void **state)
{
	struct formats *f = *state;
	struct ring_page_info info;
	struct ring_layout l;
	struct recs rs = {0};
	size_t len;
	char *hp = slurp("header_page_8k", NULL);
	unsigned char *raw = slurp("page_8k.bin", &len);
	unsigned char *page = exact(raw, len);

	assert_int_equal(ring_layout_parse(hp, &l), 0);
	assert_int_equal(len, 8192);
	assert_int_equal(ring_page_walk(&l, page, len, &info, collect, &rs), 0);
	check_basic(f, &rs, info.timestamp);
	free(page);
	free(raw);
	free(hp);
}

static void test_page_time_extend(void **state)
{
	struct formats *f = *state;
	struct ring_page_info info;
	struct ring_layout l;
	struct recs rs = {0};
	size_t len;
	unsigned char *raw = slurp("page_extend.bin", &len);
	unsigned char *page = exact(raw, len);
	uint64_t gap;

	ring_layout_default(&l);
	assert_int_equal(ring_page_walk(&l, page, len, &info, collect, &rs), 0);
	/* 5 records in the page, the time extend is not delivered. */
	assert_int_equal(rs.n, 4);
	assert_int_equal((int64_t)num(&f->ent, "a", &rs.r[0]), 1);
	str_is(&f->ent, "s", &rs.r[0], "one");
	assert_int_equal((int64_t)num(&f->ent, "a", &rs.r[2]), 2);
	str_is(&f->ent, "s", &rs.r[2], "two");
	/* capprog slept 300 ms: more than the 27-bit delta can hold. */
	gap = rs.r[2].ts - rs.r[1].ts;
	assert_true(gap >= 290000000ULL);
	assert_true(gap < 5000000000ULL);
	assert_true(gap > (1ULL << 27));
	assert_true(rs.r[1].ts - rs.r[0].ts < 100000000ULL);
	free(page);
	free(raw);
}

static void test_page_lost(void **state)
{
	struct formats *f = *state;
	struct ring_page_info i0, i1;
	struct ring_layout l;
	struct recs r0 = {0}, r1 = {0};
	size_t len;
	unsigned char *raw = slurp("page_lost.bin", &len);
	unsigned char *p0, *p1;
	int32_t next;

	ring_layout_default(&l);
	assert_int_equal(len, 8192);
	p0 = exact(raw, 4096);
	p1 = exact(raw + 4096, 4096);
	assert_int_equal(ring_page_walk(&l, p0, 4096, &i0, collect, &r0), 0);
	assert_int_equal(ring_page_walk(&l, p1, 4096, &i1, collect, &r1), 0);
	/* The commit word is 0xffffffffc0000fd8: both flags, sign-extended. */
	assert_int_equal(i0.missed, 1);
	assert_int_equal(i0.data_len, 4056);
	assert_int_equal(i1.missed, 0);
	assert_int_equal(i1.lost, 0);
	/* 2000 calls = 4000 events: every one was read or counted lost. */
	assert_int_equal(i0.lost + (uint64_t)r0.n + (uint64_t)r1.n, 4000);
	assert_int_equal(i0.lost, 3900);
	/* The survivors are the newest calls, in order, ending at 1999. */
	next = (int32_t)num(&f->ent, "a", &r0.r[0]);
	assert_int_equal(next, 2000 - (r0.n + r1.n) / 2);
	for (int i = 0; i < r0.n + r1.n; i += 2) {
		const struct rec *r = i < r0.n ? &r0.r[i] : &r1.r[i - r0.n];

		assert_int_equal(record_type(r->data, r->len), f->ent.id);
		assert_int_equal((int32_t)num(&f->ent, "a", r), next);
		next++;
	}
	assert_int_equal(next, 2000);
	assert_true(i1.timestamp >= r0.r[r0.n - 1].ts);
	free(p0);
	free(p1);
	free(raw);
}

static void test_partial_read(void **state)
{
	struct ring_page_info info;
	struct ring_layout l;
	size_t len, cut;
	unsigned char *raw = slurp("page_basic.bin", &len);

	(void)state;
	ring_layout_default(&l);
	/* Each prefix delivers exactly the whole records inside it. */
	for (cut = 16; cut <= 16 + 316 + 8; cut++) {
		unsigned char *page = exact(raw, cut);
		struct recs rs = {0};
		size_t want_n = 0, end = 16;
		/* Record sizes: 76 (72+4), 32, 76, 32, 68, 32. */
		static const size_t sz[] = {76, 32, 76, 32, 68, 32};

		for (int i = 0; i < 6 && end + sz[i] <= cut; i++) {
			end += sz[i];
			want_n++;
		}
		assert_int_equal(
			ring_page_walk(&l, page, cut, &info, collect, &rs), 0);
		assert_int_equal(rs.n, want_n);
		assert_int_equal(info.truncated, cut < 16 + 316);
		free(page);
	}
	/* Shorter than the page header: nothing to trust. */
	assert_int_equal(ring_page_walk(&l, raw, 15, &info, collect, NULL),
			 -EBADMSG);
	free(raw);
}

static void test_callback_stop(void **state)
{
	struct ring_layout l;
	struct recs rs = {.stop_at = 3};
	size_t len;
	unsigned char *raw = slurp("page_basic.bin", &len);

	(void)state;
	ring_layout_default(&l);
	assert_int_equal(ring_page_walk(&l, raw, len, NULL, collect, &rs), 7);
	assert_int_equal(rs.n, 3);
	/* No callback: a validation pass. */
	assert_int_equal(ring_page_walk(&l, raw, len, NULL, NULL, NULL), 0);
	free(raw);
}

/* ---- hand-built pages ---- */

struct pb {
	unsigned char b[4096];
	size_t off;
};

static void pb_init(struct pb *p, uint64_t ts)
{
	memset(p, 0, sizeof(*p));
	memcpy(p->b, &ts, 8);
	p->off = 16;
}

static void pb_u32(struct pb *p, uint32_t v)
{
	memcpy(p->b + p->off, &v, 4);
	p->off += 4;
}

static void pb_hdr(struct pb *p, uint32_t type_len, uint32_t delta)
{
	pb_u32(p, type_len | delta << 5);
}

/* A small data record: n words of payload, each = tag. */
static void pb_data(struct pb *p, uint32_t delta, uint32_t nwords, uint32_t tag)
{
	pb_hdr(p, nwords, delta);
	for (uint32_t i = 0; i < nwords; i++)
		pb_u32(p, tag);
}

/* Set commit = data length | flags; 64-bit layout. */
static void pb_commit(struct pb *p, uint64_t flags)
{
	uint64_t c = (p->off - 16) | flags;

	memcpy(p->b + 8, &c, 8);
}

static uint32_t tag_of(const struct rec *r)
{
	uint32_t t;

	memcpy(&t, r->data, 4);
	return t;
}

static void test_synth_padding_and_long(void **state)
{
	struct ring_layout l;
	struct recs rs = {0};
	struct ring_page_info info;
	struct pb p;
	unsigned char *page;

	(void)state;
	ring_layout_default(&l);
	pb_init(&p, 1000);
	pb_data(&p, 10, 2, 0xa1);
	/* A discarded event: padding, time_delta != 0, array[0] = 12 bytes
	 * from array[0] on (rb_event_discard()). */
	pb_hdr(&p, 29, 5);
	pb_u32(&p, 12);
	pb_u32(&p, 0xdead);
	pb_u32(&p, 0xdead);
	/* A long record: type_len 0, array[0] = 4 + 120 payload bytes. */
	pb_hdr(&p, 0, 20);
	pb_u32(&p, 124);
	for (int i = 0; i < 30; i++)
		pb_u32(&p, 0xa2);
	pb_data(&p, 3, 1, 0xa3);
	/* Null padding (time_delta 0): the page ends here. */
	pb_hdr(&p, 29, 0);
	pb_data(&p, 1, 1, 0xbad);
	pb_commit(&p, 0);
	page = exact(p.b, p.off);
	assert_int_equal(ring_page_walk(&l, page, p.off, &info, collect, &rs),
			 0);
	assert_int_equal(rs.n, 3);
	assert_int_equal(tag_of(&rs.r[0]), 0xa1);
	assert_int_equal(rs.r[0].len, 8);
	assert_int_equal(rs.r[0].ts, 1010);
	/* The padding's delta does not count (rb_update_read_stamp()). */
	assert_int_equal(tag_of(&rs.r[1]), 0xa2);
	assert_int_equal(rs.r[1].len, 120);
	assert_int_equal(rs.r[1].ts, 1030);
	assert_int_equal(tag_of(&rs.r[2]), 0xa3);
	assert_int_equal(rs.r[2].ts, 1033);
	free(page);

	/* A 4-byte null padding as the very last word of the data. */
	pb_init(&p, 0);
	pb_data(&p, 1, 1, 0xa1);
	pb_hdr(&p, 29, 0);
	pb_commit(&p, 0);
	page = exact(p.b, p.off);
	rs.n = 0;
	assert_int_equal(ring_page_walk(&l, page, p.off, NULL, collect, &rs),
			 0);
	assert_int_equal(rs.n, 1);
	free(page);
}

static void test_synth_time_stamps(void **state)
{
	struct ring_layout l;
	struct recs rs = {0};
	struct pb p;
	const uint64_t base = (0x10ULL << 56) | 5000; /* top bits in use */
	const uint64_t ext = (3ULL << 27) + 77;

	(void)state;
	ring_layout_default(&l);
	pb_init(&p, base);
	pb_data(&p, 100, 1, 1);
	/* Time extend: array[0] << 27 | time_delta, added. */
	pb_hdr(&p, 30, 77);
	pb_u32(&p, 3);
	pb_data(&p, 1, 1, 2);
	/* Absolute: array[0] << 27 | time_delta replaces the time; the 5 top
	 * bits come back from the current stamp (rb_fix_abs_ts()). */
	pb_hdr(&p, 31, 1234);
	pb_u32(&p, 5);
	pb_data(&p, 0, 1, 3);
	pb_data(&p, 11, 1, 4);
	pb_commit(&p, 0);
	assert_int_equal(ring_page_walk(&l, p.b, p.off, NULL, collect, &rs), 0);
	assert_int_equal(rs.n, 4);
	assert_int_equal(rs.r[0].ts, base + 100);
	assert_int_equal(rs.r[1].ts, base + 100 + ext + 1);
	assert_int_equal(rs.r[2].ts, (0x10ULL << 56) | ((5ULL << 27) + 1234));
	assert_int_equal(rs.r[3].ts, rs.r[2].ts + 11);

	/* An absolute stamp below the current one in the low 59 bits: the
	 * clock carried into the top bits meanwhile. */
	pb_init(&p, (0x10ULL << 56) | ((1ULL << 56) - 10));
	pb_hdr(&p, 31, 5);
	pb_u32(&p, 0);
	pb_data(&p, 0, 1, 1);
	pb_commit(&p, 0);
	rs.n = 0;
	assert_int_equal(ring_page_walk(&l, p.b, p.off, NULL, collect, &rs), 0);
	assert_int_equal(rs.n, 1);
	assert_int_equal(rs.r[0].ts, (0x10ULL << 56) + (1ULL << 59) + 5);
}

static void test_synth_lost(void **state)
{
	struct ring_layout l;
	struct ring_page_info info;
	struct pb p;
	uint64_t lost = 123456;
	unsigned char *page;
	size_t end;

	(void)state;
	ring_layout_default(&l);
	pb_init(&p, 1);
	pb_data(&p, 1, 2, 9);
	end = p.off;
	pb_commit(&p, 3ULL << 30);
	memcpy(p.b + end, &lost, 8);
	page = exact(p.b, end + 8);
	assert_int_equal(ring_page_walk(&l, page, end + 8, &info, NULL, NULL),
			 0);
	assert_int_equal(info.missed, 1);
	assert_int_equal(info.lost, 123456);
	assert_int_equal(info.data_len, end - 16);
	/* The count cut off by a partial read: missed, count unknown. */
	assert_int_equal(ring_page_walk(&l, page, end + 4, &info, NULL, NULL),
			 0);
	assert_int_equal(info.missed, 1);
	assert_int_equal(info.lost, 0);
	free(page);

	/* Missed but not stored (no room on the page). */
	pb_commit(&p, 1ULL << 31);
	assert_int_equal(ring_page_walk(&l, p.b, 4096, &info, NULL, NULL), 0);
	assert_int_equal(info.missed, 1);
	assert_int_equal(info.lost, 0);

	/* 32-bit layout: 4-byte commit and a 4-byte stored count. */
	{
		struct ring_layout l32 = {8, 4, 12, 4096};
		unsigned char b[64] = {0};
		uint32_t c = 8 | 3U << 30, hdr = 1 | 2 << 5, cnt = 77;
		struct recs rs = {0};

		memcpy(b + 8, &c, 4);
		memcpy(b + 12, &hdr, 4);
		memcpy(b + 16, &hdr, 4);
		memcpy(b + 20, &cnt, 4);
		assert_int_equal(
			ring_page_walk(&l32, b, 24, &info, collect, &rs), 0);
		assert_int_equal(rs.n, 1);
		assert_int_equal(info.missed, 1);
		assert_int_equal(info.lost, 77);
	}
}

/* ---- malformed pages: -EBADMSG, never a read outside ---- */

static int walk_exact(const struct pb *p, size_t len, struct recs *rs)
{
	struct ring_layout l;
	unsigned char *page = exact(p->b, len);
	int ret;

	ring_layout_default(&l);
	ret = ring_page_walk(&l, page, len, NULL, collect, rs);
	free(page);
	return ret;
}

static void test_malformed(void **state)
{
	struct recs rs = {0};
	struct pb p;
	uint64_t big;

	(void)state;
	/* Commit larger than the page. */
	pb_init(&p, 0);
	pb_data(&p, 1, 1, 1);
	big = 4096 - 16 + 4;
	memcpy(p.b + 8, &big, 8);
	assert_int_equal(walk_exact(&p, 4096, &rs), -EBADMSG);
	assert_int_equal(rs.n, 0);

	/* A small record running past the committed data. */
	pb_init(&p, 0);
	pb_data(&p, 1, 1, 1);
	pb_hdr(&p, 20, 1); /* claims 80 bytes */
	pb_u32(&p, 0);
	pb_commit(&p, 0);
	rs.n = 0;
	assert_int_equal(walk_exact(&p, 4096, &rs), -EBADMSG);
	assert_int_equal(rs.n, 1); /* the good one before it */

	/* type_len 0 with array[0] = 0: would never advance. */
	pb_init(&p, 0);
	pb_hdr(&p, 0, 0);
	pb_u32(&p, 0);
	pb_commit(&p, 0);
	assert_int_equal(walk_exact(&p, p.off, &rs), -EBADMSG);
	/* ... = 2: not a multiple of 4. */
	pb_init(&p, 0);
	pb_hdr(&p, 0, 0);
	pb_u32(&p, 6);
	pb_u32(&p, 0);
	pb_commit(&p, 0);
	assert_int_equal(walk_exact(&p, p.off, &rs), -EBADMSG);
	/* ... = 0xfffffffc: no wrap-around. */
	pb_init(&p, 0);
	pb_hdr(&p, 0, 0);
	pb_u32(&p, 0xfffffffc);
	pb_commit(&p, 0);
	assert_int_equal(walk_exact(&p, p.off, &rs), -EBADMSG);
	/* Discarded-event padding of length 0 or past the end. */
	pb_init(&p, 0);
	pb_hdr(&p, 29, 1);
	pb_u32(&p, 0);
	pb_commit(&p, 0);
	assert_int_equal(walk_exact(&p, p.off, &rs), -EBADMSG);
	pb_init(&p, 0);
	pb_hdr(&p, 29, 1);
	pb_u32(&p, 400);
	pb_commit(&p, 0);
	assert_int_equal(walk_exact(&p, p.off, &rs), -EBADMSG);
	/* A time extend cut in half by the commit. */
	pb_init(&p, 0);
	pb_hdr(&p, 30, 1);
	pb_commit(&p, 0);
	assert_int_equal(walk_exact(&p, p.off + 4, &rs), -EBADMSG);
	/* A bad layout is -EINVAL, not a crash. */
	{
		struct ring_layout bad = {8, 3, 16, 4096};

		assert_int_equal(
			ring_page_walk(&bad, p.b, 4096, NULL, NULL, NULL),
			-EINVAL);
	}
}

/* Random corruption of the captured pages: only 0 or -EBADMSG, and
 * (under ASan) no read outside the buffer. */
static void test_mutations(void **state)
{
	static const char *const files[] = {"page_basic.bin", "page_extend.bin",
					    "page_lost.bin"};
	struct ring_layout l;
	unsigned int seed = 12345;

	(void)state;
	ring_layout_default(&l);
	for (size_t fi = 0; fi < 3; fi++) {
		size_t len;
		unsigned char *raw = slurp(files[fi], &len);

		for (int it = 0; it < 3000; it++) {
			size_t n = 16 + (size_t)rand_r(&seed) % (512 - 16);
			unsigned char *page = exact(raw, n);
			struct recs rs = {0};
			int flips = 1 + rand_r(&seed) % 4, ret;

			for (int k = 0; k < flips; k++)
				page[(size_t)rand_r(&seed) % n] ^=
					(unsigned char)(1 +
							rand_r(&seed) % 255);
			ret = ring_page_walk(&l, page, n, NULL, collect, &rs);
			assert_true(ret == 0 || ret == -EBADMSG);
			free(page);
		}
		free(raw);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout_parse),
		cmocka_unit_test(test_layout_parse_bad),
		cmocka_unit_test(test_page_basic),
		cmocka_unit_test(test_page_8k),
		cmocka_unit_test(test_page_time_extend),
		cmocka_unit_test(test_page_lost),
		cmocka_unit_test(test_partial_read),
		cmocka_unit_test(test_callback_stop),
		cmocka_unit_test(test_synth_padding_and_long),
		cmocka_unit_test(test_synth_time_stamps),
		cmocka_unit_test(test_synth_lost),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_mutations),
	};

	return cmocka_run_group_tests(tests, formats_setup, formats_teardown);
}
