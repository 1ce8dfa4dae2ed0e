/* SPDX-License-Identifier: MIT */
/*
 * A `sonde run` USDT probe's sites for the code generator (lang/bt.h,
 * struct bt_site): for each location the resolving session made, the
 * `probe` builtin's full name ("usdt:PATH:PROVIDER:NAME", as bpftrace
 * prints it) and the note's arguments, read again from the note of the
 * location (sym/usdt.c's parser: the kernel fetchargs it gives are
 * turned into where the value is, its size and sign; an index register,
 * which fetchargs cannot add, is read here). An argument the program
 * cannot read is kept with the reason, for the generator to refuse where
 * the program uses it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/bpf/bpf_int.h"
#include "internal.h"
#include "run_int.h"
#include "sym/usdt.h"

/* v as size bytes, sign- or zero-extended to 64 bits */
static int64_t extend(uint64_t v, int size, bool sign)
{
	int sh = 64 - 8 * size;

	if (sh <= 0 || sh >= 64)
		return (int64_t)v;
	v <<= sh;
	return sign ? (int64_t)v >> sh : (int64_t)(v >> sh);
}

/* The fetcharg forms of usdt.h (struct usdt_arg) into a bt_uarg. */
static int uarg_of(const struct usdt_arg *a, struct bt_uarg *u)
{
	const char *f = a->fetch;
	char reg[8], *end;
	unsigned long long v;
	int n = 0;

	u->size = a->size;
	u->is_signed = a->is_signed;
	if (f[0] == '\\') { /* an immediate: \N or \-N */
		bool neg = f[1] == '-';

		errno = 0;
		v = strtoull(f + 1 + neg, &end, 10);
		if (*end || errno)
			return -EINVAL;
		u->kind = BT_UARG_CONST;
		u->value = extend(neg ? -v : v, a->size, a->is_signed);
		return 0;
	}
	if (f[0] == '%') {
		u->kind = BT_UARG_REG;
		u->reg = gen_reg_offset(f + 1);
		if (!strcmp(a->type, "b8@8/64")) /* %ah and the like */
			u->shift = 8;
		return u->reg < 0 ? -EINVAL : 0;
	}
	if (f[0] == '@' && f[1] == '+') {
		errno = 0;
		v = strtoull(f + 2, &end, 0);
		if (*end || errno)
			return -EINVAL;
		u->kind = BT_UARG_FILE;
		u->value = (int64_t)v;
		return 0;
	}
	if ((f[0] == '+' || f[0] == '-') &&
	    sscanf(f + 1, "%llu(%%%7[a-z0-9])%n", &v, reg, &n) == 2 &&
	    !f[n + 1]) {
		u->kind = BT_UARG_MEM;
		u->value = f[0] == '-' ? -(int64_t)v : (int64_t)v;
		u->reg = gen_reg_offset(reg);
		return u->reg < 0 ? -EINVAL : 0;
	}
	return -EINVAL;
}

/* Argument n (1-based) of the note's text when it is "SIZE@DISP(%BASE,
 * %INDEX[,SCALE])": the form usdt_arg() leaves out (the kernel's uprobe
 * fetchargs cannot add a register), which the program reads itself. */
static int index_arg(const char *args, int n, struct bt_uarg *u)
{
	char tok[128], base[8], index[8], *p;
	long long size, disp = 0;
	int k = 0, scale = 1, end = 0;
	size_t len;

	for (;;) {
		args += strspn(args, " ");
		len = strcspn(args, " ");
		if (!len)
			return -EINVAL;
		if (++k == n)
			break;
		args += len;
	}
	if (len >= sizeof(tok))
		return -EINVAL;
	memcpy(tok, args, len);
	tok[len] = '\0';
	size = strtoll(tok, &p, 10);
	if (*p != '@' || !size || size < -8 || size > 8 ||
	    (llabs(size) & (llabs(size) - 1)))
		return -EINVAL;
	p++;
	if (*p != '(') {
		errno = 0;
		disp = strtoll(p, &p, 0);
		if (errno)
			return -EINVAL;
	}
	if (sscanf(p, "(%%%7[a-z0-9],%%%7[a-z0-9],%d)%n", base, index, &scale,
		   &end) != 3 &&
	    sscanf(p, "(%%%7[a-z0-9],%%%7[a-z0-9])%n", base, index, &end) != 2)
		return -EINVAL;
	if (p[end] || (scale != 1 && scale != 2 && scale != 4 && scale != 8))
		return -EINVAL;
	memset(u, 0, sizeof(*u));
	u->kind = BT_UARG_INDEX;
	u->size = (int)llabs(size);
	u->is_signed = size < 0;
	u->reg = gen_reg_offset(base);
	u->index = gen_reg_offset(index);
	u->scale = scale;
	u->value = disp;
	return u->reg < 0 || u->index < 0 || !strcmp(base, "rip") ? -EINVAL : 0;
}

/* The note of p's location: same file offset and name (and provider). */
static const struct usdt_probe *note_of(const struct usdt_file *f,
					const struct probe *p)
{
	const struct usdt_probe *u;
	size_t i;

	for (i = 0; i < usdt_count(f); i++) {
		u = usdt_get(f, i);
		if (u->offset == p->offset &&
		    !strcmp(u->name, p->spec.symbol) &&
		    (!p->spec.provider ||
		     !strcmp(u->provider, p->spec.provider)))
			return u;
	}
	return NULL;
}

static int take_args(const struct usdt_file *f, const struct usdt_probe *u,
		     struct bt_site *bs)
{
	struct lib_error e = LIB_ERROR_INIT(0);
	int i, n = usdt_nargs(u);
	struct usdt_arg a;

	bs->uargs = calloc(n + 1, sizeof(*bs->uargs));
	if (!bs->uargs)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		struct bt_uarg *ua = &bs->uargs[bs->nuargs++];

		lib_error_clear(&e);
		if (!usdt_arg(f, u, i + 1, &a, &e) && !uarg_of(&a, ua))
			continue;
		if (!index_arg(u->args, i + 1, ua))
			continue;
		memset(ua, 0, sizeof(*ua));
		ua->kind = BT_UARG_BAD;
		if (asprintf(&ua->why, "arg%d of %s:%s cannot be read: %s", i,
			     u->provider, u->name,
			     e.msg[0] ? e.msg : "an operand not understood") <
		    0) {
			ua->why = NULL;
			return -ENOMEM;
		}
	}
	return 0;
}

int run_usdt_site(const struct probe *p, struct bt_site *bs)
{
	const struct usdt_probe *u;
	struct usdt_file *f;
	int err;

	memset(bs, 0, sizeof(*bs));
	bs->file_off = p->offset;
	err = usdt_open(p->path, &f);
	if (err)
		return err;
	u = note_of(f, p);
	if (!u) {
		usdt_close(f);
		return -ENOENT;
	}
	err = take_args(f, u, bs);
	if (!err && asprintf(&bs->name, "usdt:%s:%s:%s", p->path, u->provider,
			     u->name) < 0) {
		bs->name = NULL;
		err = -ENOMEM;
	}
	usdt_close(f);
	return err;
}

void run_site_free(struct bt_site *bs)
{
	int i;

	for (i = 0; i < bs->nuargs; i++)
		free(bs->uargs[i].why);
	free(bs->uargs);
	free(bs->name);
}
