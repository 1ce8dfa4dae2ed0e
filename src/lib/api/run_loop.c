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

/* -f json: s as a JSON string, escaped as bpftrace does */
static void json_str(FILE *out, const char *s, size_t len)
{
	size_t i;

	fputc('"', out);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", out);
		else if (c == '\t')
			fputs("\\t", out);
		else if (c == '\r')
			fputs("\\r", out);
		else if (c < 0x20)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

/* Text made by f(out), as it is, or in a {"type": type, "data": ...}
 * line for -f json. */
static void emit(struct sonde_run *r, const char *type,
		 void (*f)(struct sonde_run *r, FILE *out, void *arg),
		 void *arg)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m;

	if (!r->opts.json) {
		f(r, r->opts.out, arg);
		return;
	}
	m = open_memstream(&buf, &len);
	if (!m) {
		r->error = -ENOMEM;
		return;
	}
	f(r, m, arg);
	fclose(m);
	fprintf(r->opts.out, "{\"type\": \"%s\", \"data\": ", type);
	json_str(r->opts.out, buf ? buf : "", len);
	fputs("}\n", r->opts.out);
	free(buf);
}

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

static void do_printf(struct sonde_run *r, FILE *out, void *arg)
{
	const struct msg *m = arg;
	const struct bt_format *f = format_of(r, m);
	struct bt_symbolizer sym;
	int err;

	if (!f)
		return;
	run_symbolizer(r, &sym);
	err = bt_format_printf(out, f, m->data, m->len, &sym);
	if (err < 0)
		r->error = err;
}

static void do_value(struct sonde_run *r, FILE *out, void *arg)
{
	const struct msg *m = arg;
	const struct bt_format *f = format_of(r, m);
	struct bt_symbolizer sym;

	if (!f || f->args.ntup < 1 || m->len < f->args.tup[0].size) {
		r->error = -EBADMSG;
		return;
	}
	run_symbolizer(r, &sym);
	bt_format_value(out, &f->args.tup[0], m->data, &sym);
	fputc('\n', out);
}

/* print(x): the value and a newline; -f json: {"type": "value", "data":
 * x} with x a number, or a string quoted */
static void print_value(struct sonde_run *r, struct msg *m)
{
	const struct bt_format *f = format_of(r, m);
	char *buf = NULL;
	size_t len = 0;
	FILE *mf;

	if (!f || !r->opts.json) {
		emit(r, "value", do_value, m);
		return;
	}
	mf = open_memstream(&buf, &len);
	if (!mf) {
		r->error = -ENOMEM;
		return;
	}
	do_value(r, mf, m);
	fclose(mf);
	if (len && buf[len - 1] == '\n')
		len--;
	fputs("{\"type\": \"value\", \"data\": ", r->opts.out);
	if (f->args.ntup >= 1 && f->args.tup[0].kind == BT_T_INT)
		fwrite(buf, 1, len, r->opts.out);
	else
		json_str(r->opts.out, buf ? buf : "", len);
	fputs("}\n", r->opts.out);
	free(buf);
}

/* time("fmt"): the local time, strftime's directives */
static void do_time(struct sonde_run *r, FILE *out, void *arg)
{
	const struct msg *m = arg;
	const struct bt_format *f = format_of(r, m);
	char buf[512];
	struct tm tm;
	time_t t = time(NULL);

	if (!f || !localtime_r(&t, &tm))
		return;
	if (strftime(buf, sizeof(buf), f->fmt, &tm))
		fputs(buf, out);
}

/* cat("path fmt", args): the file's text */
static void do_cat(struct sonde_run *r, FILE *out, void *arg)
{
	const struct msg *m = arg;
	const struct bt_format *f = format_of(r, m);
	struct bt_symbolizer sym;
	char *path = NULL, buf[4096];
	size_t len = 0, n;
	FILE *pm, *in;

	if (!f || !(pm = open_memstream(&path, &len)))
		return;
	run_symbolizer(r, &sym);
	bt_format_printf(pm, f, m->data, m->len, &sym);
	fclose(pm);
	in = path ? fopen(path, "re") : NULL;
	if (!in) {
		run_log(r, SONDE_LOG_WARN, "cat(\"%s\"): %s",
			path ? path : "", strerror(errno));
		free(path);
		return;
	}
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		fwrite(buf, 1, n, out);
	fclose(in);
	free(path);
}

/* libbpf's callback: one message */
static int on_msg(void *ctx, void *data, size_t len)
{
	struct sonde_run *r = ctx;
	struct msg m = {.data = data, .len = len};
	uint64_t id;

	if (len < 8)
		return 0;
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
		emit(r, "printf", do_printf, &m);
		break;
	case BT_MSG_PRINT: /* bpftrace: a blank line after the map */
		if (!run_print_map(r, (int)m.idx, 0, 0) && !r->opts.json)
			fputc('\n', r->opts.out);
		break;
	case BT_MSG_PRINT_VAL:
		print_value(r, &m);
		break;
	case BT_MSG_CLEAR:
	case BT_MSG_ZERO:
		run_clear_map(r, (int)m.idx, id == BT_MSG_ZERO);
		break;
	case BT_MSG_TIME:
		emit(r, "time", do_time, &m);
		break;
	case BT_MSG_EXIT:
		r->exited = true;
		break;
	case BT_MSG_CAT:
		emit(r, "cat", do_cat, &m);
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
	if (n < 0 && n != -EINTR)
		return run_err(r, -n, "reading the ring buffer: %s",
			       strerror(-n));
	if (r->error) {
		n = r->error;
		r->error = 0;
		return run_err(r, -n, "a message of the programs: %s",
			       strerror(-n));
	}
	fflush(r->opts.out);
	return n < 0 ? 0 : n;
}

static const struct bt_program *sort_prog;

static int by_name(const void *a, const void *b)
{
	return strcmp(sort_prog->maps[*(const int *)a].name,
		      sort_prog->maps[*(const int *)b].name);
}

int sonde_run__end(struct sonde_run *r)
{
	int *order, i, err = 0;

	if (!r || !r->started || r->ended)
		return -EINVAL;
	r->ended = true;
	run_end_probe(r);
	if (r->rb && ring_buffer__consume(r->rb) < 0)
		err = run_err(r, EIO, "reading the ring buffer at the end");
	/* bpftrace 0.17: two newlines, then every map, by name */
	fputs("\n\n", r->opts.out);
	order = calloc(r->prog->nmaps + 1, sizeof(*order));
	if (!order)
		return run_err(r, ENOMEM, "out of memory");
	for (i = 0; i < r->prog->nmaps; i++)
		order[i] = i;
	sort_prog = r->prog;
	qsort(order, r->prog->nmaps, sizeof(*order), by_name);
	for (i = 0; i < r->prog->nmaps && !err; i++)
		err = run_print_map(r, order[i], 0, 0);
	free(order);
	fflush(r->opts.out);
	if (!err && r->error)
		err = run_err(r, -r->error, "a message of the programs: %s",
			      strerror(-r->error));
	return err;
}
