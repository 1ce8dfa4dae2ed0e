/* SPDX-License-Identifier: MIT */
/* Walk the ftrace ring-buffer pages read from per_cpu/cpuN/trace_pipe_raw. */
#ifndef SONDE_RING_H
#define SONDE_RING_H

#include <stddef.h>
#include <stdint.h>

/* Layout of a page, from events/header_page (defaults: 64-bit kernel). */
struct ring_layout {
	unsigned int commit_offset; /* 8 */
	unsigned int commit_size;   /* 8 */
	unsigned int data_offset;   /* 16 */
	unsigned int page_size;	    /* 4096, or buffer_subbuf_size_kb */
};

void ring_layout_default(struct ring_layout *l);
/* Parse the text of events/header_page. 0 or -EINVAL. */
int ring_layout_parse(const char *header_page, struct ring_layout *l);

struct ring_page_info {
	uint64_t timestamp; /* page base timestamp */
	size_t data_len;    /* bytes of events in the page (commit) */
	int missed;	    /* events were lost before this page */
	uint64_t lost;	    /* how many, when the kernel stored it; 0 if not */
	int truncated;	    /* len ended before the data: a partial read */
};

/* Called for each data record: ts = absolute timestamp (trace clock),
 * data/len = the event payload (starting at common_type). Non-zero stops. */
typedef int (*ring_record_fn)(uint64_t ts, const void *data, size_t len,
			      void *ctx);

/*
 * Walk one page of len bytes (len may be less than page_size for a partial
 * read; bytes past page_size are not looked at). Handles padding (29), time extend (30), absolute timestamps (31),
 * small records (type_len 1..28) and long ones (0: length in array[0]).
 * A partial read (len shorter than the committed data) delivers the
 * records that lie whole inside len and sets info->truncated.
 * Bad input (a commit past the page, a record past the committed data,
 * a bad length word) never reads outside [page, page + len): returns
 * -EBADMSG, after the records before the bad one were delivered.
 * info (may be NULL) is filled before the first callback.
 * Returns 0, -EBADMSG, -EINVAL (bad layout) or the callback's non-zero value.
 */
int ring_page_walk(const struct ring_layout *l, const void *page, size_t len,
		   struct ring_page_info *info, ring_record_fn fn, void *ctx);

#endif
