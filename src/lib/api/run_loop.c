/* SPDX-License-Identifier: MIT */
/*
 * sonde run's messages: the programs' ring buffer read (each message a
 * u64 id of enum bt_msg, then its bytes as lang/bt.h lays them out) and
 * turned into bpftrace's output by decode/bt_format.c; at the end END
 * runs, the ring is read to its end, and every map is printed as
 * bpftrace prints them (decode/bt_maps.c) from rows that sum the CPUs.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "run_int.h"

struct msg {
	const uint8_t *data;
	size_t len;
	uint64_t idx;
};

static const struct bt_format *format_of(struct sonde_run *r,
					 const struct msg *m)
{
	if (m->idx >= (uint64_t)r->prog->nformats) {
		r->error = -EBADMSG;
		return NULL;
	}
	return &r->prog->formats[m->idx];
}

/* The message's text as printed (in text form) to opts.msg_fn, with
 * its stamp. */
static void hand_over(struct sonde_run *r, const struct msg *m,
		      const struct bt_format *f, bool value)
{
	struct sonde_run_msg rm = {.sz = sizeof(rm)};
	struct bt_symbolizer sym;
	uint64_t pid_tgid, name;
	char *text = NULL, comm[17] = "";
	size_t len = 0;
	FILE *mf;

	if (!r->opts.msg_fn || !r->stamp)
		return;
	memcpy(&pid_tgid, r->stamp, 8);
	memcpy(&rm.time_ns, r->stamp + 8, 8);
	memcpy(&name, r->stamp + 16, 8);
	memcpy(comm, r->stamp + 24, 16);
	rm.pid = (pid_t)(pid_tgid >> 32);
	rm.tid = (pid_t)(uint32_t)pid_tgid;
	rm.comm = comm;
	rm.probe = name < (uint64_t)r->comp->nprobe_names
			   ? r->comp->probe_names[name]
			   : "";
	mf = open_memstream(&text, &len);
	if (!mf)
		return;
	run_symbolizer(r, &sym);
	if (value)
		bt_print_value(mf, &f->args.tup[0], m->data, false, &sym);
	else
		bt_format_printf(mf, f, m->data, m->len, &sym);
	if (!fclose(mf)) {
		rm.text = text;
		rm.len = len;
		r->opts.msg_fn(&rm, r->opts.msg_ctx);
	}
	free(text);
}

static void do_printf(struct sonde_run *r, const struct msg *m)
{
	const struct bt_format *f = format_of(r, m);
	struct bt_symbolizer sym;
	int err;

	if (!f)
		return;
	run_symbolizer(r, &sym);
	err = bt_print_printf(r->opts.out, f, m->data, m->len, r->opts.json,
			      &sym);
	if (err < 0)
		r->error = err;
	else
		hand_over(r, m, f, false);
}

/* print(x): a one-element tuple's format */
static void do_value(struct sonde_run *r, const struct msg *m)
{
	const struct bt_format *f = format_of(r, m);
	struct bt_symbolizer sym;

	if (!f || f->args.ntup < 1 || m->len < f->args.tup[0].size) {
		r->error = -EBADMSG;
		return;
	}
	run_symbolizer(r, &sym);
	bt_print_value(r->opts.out, &f->args.tup[0], m->data, r->opts.json,
		       &sym);
	hand_over(r, m, f, true);
}

/* time("fmt"): the local time, strftime's directives */
static void do_time(struct sonde_run *r, const struct msg *m)
{
	const struct bt_format *f = format_of(r, m);
	char buf[512];
	struct tm tm;
	time_t t = time(NULL);
	size_t n;

	if (!f || !localtime_r(&t, &tm))
		return;
	n = strftime(buf, sizeof(buf), f->fmt, &tm);
	bt_print_text(r->opts.out, "time", buf, n, r->opts.json);
}

/* cat("path fmt", args): the file's text */
static void do_cat(struct sonde_run *r, const struct msg *m)
{
	const struct bt_format *f = format_of(r, m);
	struct bt_symbolizer sym;
	char *path = NULL, *text = NULL, buf[4096];
	size_t len = 0, tlen = 0, n;
	FILE *pm, *tm, *in;

	if (!f || !(pm = open_memstream(&path, &len)))
		return;
	run_symbolizer(r, &sym);
	bt_format_printf(pm, f, m->data, m->len, &sym);
	fclose(pm);
	in = path ? fopen(path, "re") : NULL;
	if (!in) {
		run_log(r, SONDE_LOG_WARN, "cat(\"%s\"): %s", path ? path : "",
			strerror(errno));
		free(path);
		return;
	}
	tm = open_memstream(&text, &tlen);
	while (tm && (n = fread(buf, 1, sizeof(buf), in)) > 0)
		fwrite(buf, 1, n, tm);
	if (tm && !fclose(tm))
		bt_print_text(r->opts.out, "cat", text ? text : "", tlen,
			      r->opts.json);
	fclose(in);
	free(text);
	free(path);
}

/* libbpf's callback: one message */
static int on_msg(void *ctx, void *data, size_t len)
{
	struct sonde_run *r = ctx;
	struct msg m = {.data = data, .len = len};
	uint64_t id;

	/* bpftrace: after exit(), the events still queued are not printed */
	if (len < 8 || (r->exited && !r->in_end))
		return 0;
	r->stamp = NULL;
	if (r->prog->msg_stamp) { /* at the end: the message without it */
		if (len < 8 + BT_MSG_STAMP_SIZE)
			return 0;
		m.len -= BT_MSG_STAMP_SIZE;
		r->stamp = m.data + m.len;
	}
	memcpy(&id, data, 8);
	m.data += 8;
	m.len -= 8;
	if (id != BT_MSG_EXIT) {
		if (m.len < 8)
			return 0;
		memcpy(&m.idx, m.data, 8);
		m.data += 8;
		m.len -= 8;
	}
	switch (id) {
	case BT_MSG_PRINTF:
		do_printf(r, &m);
		break;
	case BT_MSG_PRINT: { /* then u64 top, u64 div */
		uint64_t top = 0, div = 0;

		if (m.len >= 16) {
			memcpy(&top, m.data, 8);
			memcpy(&div, m.data + 8, 8);
		}
		/* bpftrace: a blank line after the map */
		if (!run_print_map(r, (int)m.idx, (int)top, (int)div, true) &&
		    !r->opts.json)
			fputc('\n', r->opts.out);
		break;
	}
	case BT_MSG_PRINT_VAL:
		do_value(r, &m);
		break;
	case BT_MSG_CLEAR:
	case BT_MSG_ZERO:
		run_clear_map(r, (int)m.idx, id == BT_MSG_ZERO);
		break;
	case BT_MSG_TIME:
		do_time(r, &m);
		break;
	case BT_MSG_EXIT:
		/* exit(code): after the u64 0, the code (the first one
		 * said, when several CPUs exit at once) */
		if (!r->exited && m.len >= 16) {
			int64_t code;

			memcpy(&code, m.data + 8, 8);
			r->exit_code = (int)code;
		}
		r->exited = true;
		break;
	case BT_MSG_CAT:
		do_cat(r, &m);
		break;
	default: /* system() is refused before it is compiled */
		r->error = -EBADMSG;
		break;
	}
	return 0;
}

int run_ring_open(struct sonde_run *r)
{
	int fd;

	if (r->comp->ringbuf < 0)
		return 0;
	fd = r->comp->maps[r->comp->ringbuf].fd;
	r->rb = ring_buffer__new(fd, on_msg, r, NULL);
	if (!r->rb)
		return run_err(r, errno, "cannot read the ring buffer: %s",
			       strerror(errno));
	return 0;
}

/* The messages the ring had no room for since the last look, said as
 * bpftrace 0.17 says them: "Lost N events" in the output. */
static void say_lost(struct sonde_run *r)
{
	int cm = r->comp->lost, cpu;
	uint64_t *v, total = 0;
	uint32_t key = 0;

	if (cm < 0 || r->comp->maps[cm].fd < 0)
		return;
	v = calloc(r->ncpus, sizeof(*v));
	if (!v || bpf_map_lookup_elem(r->comp->maps[cm].fd, &key, v)) {
		free(v);
		return;
	}
	for (cpu = 0; cpu < r->ncpus; cpu++)
		total += v[cpu];
	free(v);
	if (total <= r->lost)
		return;
	if (r->opts.json)
		fprintf(r->opts.out,
			"{\"type\": \"lost_events\", \"data\": "
			"{\"events\": %llu}}\n",
			(unsigned long long)(total - r->lost));
	else
		fprintf(r->opts.out, "Lost %llu events\n",
			(unsigned long long)(total - r->lost));
	/* the messages' taker (a timeline) may not show the text */
	if (r->opts.msg_fn)
		run_log(r, SONDE_LOG_WARN, "%llu messages lost (the ring was full)",
			(unsigned long long)(total - r->lost));
	r->lost = total;
}

int sonde_run__poll(struct sonde_run *r, int timeout_ms)
{
	int n;

	if (!r || !r->started)
		return -EINVAL;
	if (!r->rb) {
		struct timespec ts = {timeout_ms / 1000,
				      (timeout_ms % 1000) * 1000000L};

		nanosleep(&ts, NULL);
		return 0;
	}
	n = ring_buffer__poll(r->rb, timeout_ms);
	/* printf messages do not wake the reader (bt_gen_msg.c): at the
	 * timeout, what is there is read all the same */
	if (n == 0)
		n = ring_buffer__consume(r->rb);
	if (n < 0 && n != -EINTR)
		return run_err(r, -n, "reading the ring buffer: %s",
			       strerror(-n));
	say_lost(r);
	if (r->error) {
		n = r->error;
		r->error = 0;
		return run_err(r, -n, "a message of the programs: %s",
			       strerror(-n));
	}
	fflush(r->opts.out);
	return n < 0 ? 0 : n;
}

int sonde_run__end(struct sonde_run *r)
{
	int *order, i, err = 0;

	if (!r || !r->started || r->ended)
		return -EINVAL;
	r->ended = true;
	run_detach_probes(r);
	/* what the probes sent before they went (dropped after exit()) */
	if (r->rb && ring_buffer__consume(r->rb) < 0)
		err = run_err(r, EIO, "reading the ring buffer at the end");
	say_lost(r);
	r->in_end = true;
	run_end_probe(r);
	if (r->rb && ring_buffer__consume(r->rb) < 0)
		err = run_err(r, EIO, "reading the ring buffer at the end");
	say_lost(r);
	/* bpftrace 0.17: two newlines, then every map in its order */
	fputs("\n\n", r->opts.out);
	order = calloc(r->prog->nmaps + 1, sizeof(*order));
	if (!order)
		return run_err(r, ENOMEM, "out of memory");
	bt_map_order(r->prog, order);
	for (i = 0; i < r->prog->nmaps && !err; i++)
		err = run_print_map(r, order[i], 0, 0, false);
	free(order);
	fflush(r->opts.out);
	if (!err && r->error)
		err = run_err(r, -r->error, "a message of the programs: %s",
			      strerror(-r->error));
	return err;
}
