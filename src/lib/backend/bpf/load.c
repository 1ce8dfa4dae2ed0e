/* SPDX-License-Identifier: MIT */
/* Programs and maps through libbpf's low-level API (bpf/bpf.h). */
#include <errno.h>
#include <string.h>

#include <bpf/bpf.h>

#include "bpf_int.h"

int bpf_new_prog(const struct prog_buf *b, uint32_t expected_attach, char *log,
		 size_t loglen)
{
	return bpf_new_prog_type(BPF_PROG_TYPE_KPROBE, b, expected_attach, log,
				 loglen);
}

int bpf_new_prog_type(uint32_t type, const struct prog_buf *b,
		      uint32_t expected_attach, char *log, size_t loglen)
{
	LIBBPF_OPTS(bpf_prog_load_opts, opts,
		    .expected_attach_type = expected_attach);
	int fd;

	if (b->err)
		return b->err;
	fd = bpf_prog_load(type, "sonde", "GPL", b->insns, b->n, &opts);
	if (fd >= 0 || !log || !loglen)
		return fd < 0 ? -errno : fd;
	/* again with the verifier's log, for the message */
	log[0] = '\0';
	opts.log_buf = log;
	opts.log_size = loglen;
	opts.log_level = 1;
	fd = bpf_prog_load(type, "sonde", "GPL", b->insns, b->n, &opts);
	if (fd >= 0)
		return fd;
	return -errno;
}

int bpf_new_map(uint32_t type, uint32_t key_size, uint32_t value_size,
		uint32_t max_entries)
{
	int fd = bpf_map_create(type, "sonde", key_size, value_size,
				max_entries, NULL);

	return fd < 0 ? -errno : fd;
}
