// SPDX-License-Identifier: MIT
/*
 * Walk the binary pages of per_cpu/cpuN/trace_pipe_raw.
 *
 * Written by hand rather than with libtraceevent's kbuffer: kbuffer does
 * walk pages, but it hides the commit word, and sonde must read the
 * "events lost" bits of every page and the count the kernel stored after
 * the data, to report lost events per CPU. This loop also runs once per
 * event, so it stays a plain bounds-checked walk with no allocation.
 *
 * Layout facts: kernel/trace/ring_buffer.c (struct buffer_data_page,
 * struct ring_buffer_event, rb_event_length(), ring_buffer_read_page())
 * and Documentation/trace/ring-buffer-design.rst.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "ring.h"

/* include/linux/ring_buffer.h: enum ring_buffer_type */
#define TYPE_DATA_MAX 28
#define TYPE_PADDING 29
#define TYPE_TIME_EXTEND 30
#define TYPE_TIME_STAMP 31

#define TS_SHIFT 27
#define TS_DELTA_MASK ((1U << TS_SHIFT) - 1)
/* The 5 top bits an absolute time stamp record cannot hold (TS_MSB). */
#define TS_MSB (0xf8ULL << 56)

/* ring_buffer.c: the commit word's flags. RB_MISSED_EVENTS is (1 << 31),
 * an int, so local_add() sign-extends it: bits 32-63 are set too on 64-bit
 * kernels. The length is what lies below bit 30. */
#define RB_MISSED_EVENTS (1ULL << 31)
#define RB_MISSED_STORED (1ULL << 30)
#define COMMIT_LEN_MASK (RB_MISSED_STORED - 1)

#define HDR_SIZE 4 /* RB_EVNT_HDR_SIZE */
#define EXT_SIZE 8 /* RB_LEN_TIME_EXTEND, RB_LEN_TIME_STAMP */

void ring_layout_default(struct ring_layout *l)
{
	l->commit_offset = 8;
	l->commit_size = 8;
	l->data_offset = 16;
	l->page_size = 4096;
}

/*
 * One line of header_page:
 *	"\tfield: local_t commit;\toffset:8;\tsize:8;\tsigned:1;"
 * Returns the field name's start (and its length) or NULL.
 */
static const char *parse_line(const char *line, size_t *namelen,
			      unsigned long *off, unsigned long *size)
{
	const char *semi, *name, *p;
	char *end;

	p = strstr(line, "field:");
	if (!p)
		return NULL;
	semi = strchr(p, ';');
	if (!semi)
		return NULL;
	/* The name is the last word before ';' ("char data" -> "data"). */
	name = semi;
	while (name > p && name[-1] != ' ' && name[-1] != '\t' &&
	       name[-1] != ':')
		name--;
	*namelen = (size_t)(semi - name);

	p = strstr(semi, "offset:");
	if (!p)
		return NULL;
	errno = 0;
	*off = strtoul(p + 7, &end, 10);
	if (end == p + 7 || *end != ';' || errno)
		return NULL;
	p = strstr(end, "size:");
	if (!p)
		return NULL;
	*size = strtoul(p + 5, &end, 10);
	if (end == p + 5 || *end != ';' || errno)
		return NULL;
	return name;
}

int ring_layout_parse(const char *text, struct ring_layout *l)
{
	bool have_commit = false, have_data = false;
	struct ring_layout n = {0};
	const char *line = text;

	if (!text)
		return -EINVAL;
	while (*line) {
		const char *eol = strchrnul(line, '\n');
		unsigned long off, size;
		const char *name;
		size_t len;
		char buf[256];

		len = (size_t)(eol - line);
		if (len < sizeof(buf)) {
			memcpy(buf, line, len);
			buf[len] = '\0';
			name = parse_line(buf, &len, &off, &size);
			if (!name || off > 65536 || size > (1UL << 24)) {
				/* not a field line; skipped */
			} else if (len == 6 && !strncmp(name, "commit", 6)) {
				n.commit_offset = (unsigned int)off;
				n.commit_size = (unsigned int)size;
				have_commit = true;
			} else if (len == 4 && !strncmp(name, "data", 4)) {
				n.data_offset = (unsigned int)off;
				n.page_size = (unsigned int)(off + size);
				have_data = true;
			}
		}
		line = *eol ? eol + 1 : eol;
	}
	if (!have_commit || !have_data)
		return -EINVAL;
	if ((n.commit_size != 4 && n.commit_size != 8) ||
	    n.commit_offset + n.commit_size > n.data_offset ||
	    n.data_offset >= n.page_size)
		return -EINVAL;
	*l = n;
	return 0;
}

static uint32_t rd32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* A native word of 4 or 8 bytes (local_t, unsigned long). */
static uint64_t rdword(const unsigned char *p, unsigned int size)
{
	if (size == 8) {
		uint64_t v;

		memcpy(&v, p, sizeof(v));
		return v;
	}
	return rd32(p);
}

/* ring_buffer.c rb_fix_abs_ts(): put back the top bits of the clock. */
static uint64_t fix_abs_ts(uint64_t abs, uint64_t cur)
{
	if (cur & TS_MSB) {
		abs |= cur & TS_MSB;
		if (abs < cur)
			abs += 1ULL << 59;
	}
	return abs;
}

int ring_page_walk(const struct ring_layout *l, const void *page, size_t len,
		   struct ring_page_info *info, ring_record_fn fn, void *ctx)
{
	const unsigned char *p = page;
	struct ring_page_info pi = {0};
	size_t off, end, avail;
	uint64_t commit, ts;
	int ret = 0;

	if (!l || !page || l->data_offset > l->page_size ||
	    l->commit_offset + l->commit_size > l->data_offset ||
	    (l->commit_size != 4 && l->commit_size != 8))
		return -EINVAL;
	if (len < l->data_offset)
		return -EBADMSG;
	if (len > l->page_size)
		len = l->page_size;

	memcpy(&ts, p, sizeof(ts));
	commit = rdword(p + l->commit_offset, l->commit_size);
	pi.timestamp = ts;
	pi.data_len = (size_t)(commit & COMMIT_LEN_MASK);
	pi.missed = !!(commit & RB_MISSED_EVENTS);
	if (pi.data_len > l->page_size - l->data_offset)
		goto bad;

	end = l->data_offset + pi.data_len;
	/* ring_buffer_read_page(): the count follows the data, if it fit. */
	if ((commit & RB_MISSED_STORED) && end + l->commit_size <= len)
		pi.lost = rdword(p + end, l->commit_size);
	/* A partial read holds a prefix of the page: walk what is there. */
	if (end > len) {
		pi.truncated = 1;
		end = len;
	}
	if (info)
		*info = pi;

	for (off = l->data_offset; off < end;) {
		uint32_t hdr, type_len, delta, a0;
		size_t rlen, dlen, doff;

		avail = end - off;
		if (avail < HDR_SIZE)
			break; /* only in a truncated prefix */
		hdr = rd32(p + off);
		type_len = hdr & 0x1f;
		delta = hdr >> 5;
		/* Every kind but the null padding has array[0]: >= 8 bytes. */
		if (avail < 2 * HDR_SIZE) {
			if (type_len == TYPE_PADDING && !delta)
				break;
			goto short_rec;
		}
		a0 = rd32(p + off + HDR_SIZE);

		switch (type_len) {
		case TYPE_PADDING:
			/* rb_null_event(): the rest of the page is empty. */
			if (!delta)
				goto out;
			/* A discarded event: array[0] = its data length. */
			if (a0 < HDR_SIZE || a0 & 3)
				goto bad;
			if (a0 > avail - HDR_SIZE)
				goto short_rec;
			rlen = (size_t)a0 + HDR_SIZE;
			off += rlen;
			continue;
		case TYPE_TIME_EXTEND:
			ts += ((uint64_t)a0 << TS_SHIFT) + delta;
			off += EXT_SIZE;
			continue;
		case TYPE_TIME_STAMP:
			ts = fix_abs_ts(((uint64_t)a0 << TS_SHIFT) + delta, ts);
			off += EXT_SIZE;
			continue;
		case 0:
			/* array[0] counts itself and the data after it. */
			if (a0 < HDR_SIZE || a0 & 3)
				goto bad;
			if (a0 > avail - HDR_SIZE)
				goto short_rec;
			rlen = (size_t)a0 + HDR_SIZE;
			doff = off + 2 * HDR_SIZE;
			dlen = (size_t)a0 - HDR_SIZE;
			break;
		default:
			dlen = (size_t)type_len * 4;
			rlen = dlen + HDR_SIZE;
			doff = off + HDR_SIZE;
			break;
		}
		if (rlen > avail)
			goto short_rec;
		ts += delta;
		off += rlen;
		if (fn) {
			ret = fn(ts, p + doff, dlen, ctx);
			if (ret)
				return ret;
		}
	}
out:
	return 0;
short_rec:
	/* A record cut by the end of a partial read is expected. */
	if (pi.truncated)
		return 0;
bad:
	return -EBADMSG;
}
