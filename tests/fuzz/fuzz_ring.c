// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for ring.c (and the field decoder on what it yields).
 * Built and run by tests/fuzz/run; seeds: pages read from
 * per_cpu/cpuN/trace_pipe_raw (tests/unit/data/page_*.bin, with the
 * layout byte in front).
 *
 * Input: byte 0 picks the layout (64-bit 4 KB or 8 KB pages, 32-bit),
 * the rest is the page, of whatever length (partial reads included).
 * The page is copied into a buffer of exactly that size so ASan catches
 * any read past it. Every record is decoded against the captured uprobe
 * format (tests/unit/data/format_ent, embedded below).
 * Oracle: every record handed over lies inside the page's data (after
 * the header, within the committed length and the bytes read), and the
 * committed length reported fits the page.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decode/decode.h"
#include "backend/tracefs/ring.h"

static const char format_ent[] =
	"name: ent\nID: 2326\nformat:\n"
	"\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
	"\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n"
	"\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\t"
	"signed:0;\n"
	"\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n\n"
	"\tfield:unsigned long __probe_ip;\toffset:8;\tsize:8;\tsigned:0;\n"
	"\tfield:s32 a;\toffset:16;\tsize:4;\tsigned:1;\n"
	"\tfield:u64 b;\toffset:20;\tsize:8;\tsigned:0;\n"
	"\tfield:u64 hx;\toffset:28;\tsize:8;\tsigned:0;\n"
	"\tfield:__data_loc char[] s;\toffset:36;\tsize:4;\tsigned:1;\n"
	"\tfield:u8 arr[];\toffset:40;\tsize:4;\tsigned:0;\n"
	"\tfield:u32 bf;\toffset:44;\tsize:4;\tsigned:0;\n"
	"\tfield:s8 c;\toffset:48;\tsize:1;\tsigned:1;\n"
	"\tfield:u16 h;\toffset:49;\tsize:2;\tsigned:0;\n"
	"\tfield:__data_loc char[] comm;\toffset:51;\tsize:4;\tsigned:1;\n\n"
	"print fmt: \"(%lx) a=%d b=%Lu hx=0x%Lx s=\\\"%s\\\" "
	"arr={%u,%u,%u,%u} bf=%u c=%d h=0x%x comm=\\\"%s\\\"\", "
	"REC->__probe_ip, REC->a, REC->b, REC->hx, __get_str(s), "
	"REC->arr[0], REC->arr[1], REC->arr[2], REC->arr[3], REC->bf, "
	"REC->c, REC->h, __get_str(comm)\n";

static struct event_format ef;
static int have_ef;

struct bounds {
	const unsigned char *data, *end;   /* the page's data, what was read */
	const struct ring_page_info *info; /* filled before the first record */
};

static int on_record(uint64_t ts, const void *data, size_t len, void *ctx)
{
	volatile uint64_t sink = ts;
	struct field_value v;

	const struct bounds *b = ctx;
	const unsigned char *end = b->data + b->info->data_len;

	if (end > b->end)
		end = b->end;
	if ((const unsigned char *)data < b->data ||
	    (const unsigned char *)data + len > end)
		abort(); /* a record outside the page's data */
	if (record_type(data, len) < 0 || record_pid(&ef, data, len) < 0)
		return 0;
	for (size_t i = 0; i < ef.nfields; i++) {
		const struct field_layout *f = &ef.fields[i];

		if (field_decode(f, data, len, &v))
			continue;
		sink += v.u + v.len;
		if (v.len)
			sink += (unsigned char)v.str[v.len - 1];
		for (unsigned int j = 0; f->type == FT_ARRAY && j < f->count;
		     j++)
			sink += field_elem(f, data, (int)j);
	}
	(void)sink;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ring_page_info info;
	struct ring_layout l;
	struct bounds b;
	unsigned char *page;
	int ret;

	if (!have_ef) {
		if (event_format_parse(format_ent, &ef))
			abort();
		have_ef = 1;
	}
	if (size < 1)
		return 0;
	ring_layout_default(&l);
	switch (data[0] % 3) {
	case 1:
		l.page_size = 8192;
		break;
	case 2:
		l = (struct ring_layout){8, 4, 12, 4096};
		break;
	}
	data++;
	size--;
	page = malloc(size ? size : 1);
	if (!page)
		return 0;
	memcpy(page, data, size);
	b.data = page + l.data_offset;
	b.end = page + size;
	b.info = &info;
	ret = ring_page_walk(&l, page, size, &info, on_record, &b);
	if (ret != 0 && ret != -EBADMSG)
		abort();
	if (ret == 0 && info.data_len > l.page_size - l.data_offset)
		abort();
	free(page);
	return 0;
}
