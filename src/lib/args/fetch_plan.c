// SPDX-License-Identifier: MIT
/*
 * The argument compiler: the kernel fetch strings of a probe's args (as
 * fetch.c leaves them) -> struct fetch_plan, with each value's offset in
 * the record the kernel would write for the same definition (trace_probe.c
 * traceprobe_define_arg_fields(), store_trace_args() of
 * trace_probe_tmpl.h). What only the kernel can fetch is refused.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args/fetch_plan.h"

const char *const perf_reg_names[PR_NUM] = {
	[PR_AX] = "ax",	      [PR_BX] = "bx",	[PR_CX] = "cx",
	[PR_DX] = "dx",	      [PR_SI] = "si",	[PR_DI] = "di",
	[PR_BP] = "bp",	      [PR_SP] = "sp",	[PR_IP] = "ip",
	[PR_FLAGS] = "flags", [PR_CS] = "cs",	[PR_SS] = "ss",
	[PR_R8] = "r8",	      [PR_R9] = "r9",	[PR_R10] = "r10",
	[PR_R11] = "r11",     [PR_R12] = "r12", [PR_R13] = "r13",
	[PR_R14] = "r14",     [PR_R15] = "r15",
};

static int parse_num(const char **sp, const char *e, int64_t *v)
{
	char buf[32], *end;
	size_t n = e - *sp;

	if (n >= sizeof(buf))
		n = sizeof(buf) - 1;
	memcpy(buf, *sp, n);
	buf[n] = '\0';
	errno = 0;
	*v = (int64_t)strtoull(buf, &end, 0);
	if (end == buf || errno)
		return -EINVAL;
	*sp += end - buf;
	return 0;
}

/* +|-[u]OFF(FETCH): the inner fetch, then one more deref. */
static int parse_fetch(const char *s, const char *e, struct fetch_arg *a);

static int parse_deref(const char *s, const char *e, struct fetch_arg *a)
{
	const char *q = s + 1, *open, *close = e - 1;
	bool user = *q == 'u';
	int64_t off;

	q += user;
	open = memchr(q, '(', e - q);
	if (!open || *close != ')' || parse_num(&q, open, &off) || q != open)
		return -EINVAL;
	if (parse_fetch(open + 1, close, a))
		return -EINVAL;
	if (a->nderef >= FETCH_MAX_DEREF)
		return -E2BIG;
	a->deref[a->nderef++] = *s == '-' ? -off : off;
	a->nparen++;
	a->nuser += user;
	return 0;
}

static bool is(const char *s, const char *e, const char *word)
{
	return (size_t)(e - s) == strlen(word) && !strncmp(s, word, e - s);
}

/* FETCH (uprobetracer.rst): %REG $stack $stackN $retval $comm @ADDR
 * @+OFF +|-[u]OFF(FETCH) \IMM \"str". */
static int parse_fetch(const char *s, const char *e, struct fetch_arg *a)
{
	int i;

	if (e > s && (*s == '+' || *s == '-'))
		return parse_deref(s, e, a);
	if (*s == '%') {
		for (i = 0; i < PR_NUM; i++)
			if (perf_reg_names[i] &&
			    is(s + 1, e, perf_reg_names[i])) {
				a->base = FETCH_REG;
				a->reg = i;
				return 0;
			}
		return -ENOTSUP;
	}
	if (is(s, e, "$stack")) {
		a->base = FETCH_STACK;
		return 0;
	}
	if (e - s > 6 && !strncmp(s, "$stack", 6)) {
		s += 6;
		a->base = FETCH_STACKN;
		return parse_num(&s, e, &a->imm) || s != e ? -EINVAL : 0;
	}
	if (is(s, e, "$retval")) {
		a->base = FETCH_RETVAL;
		return 0;
	}
	if (is(s, e, "$comm") || is(s, e, "$COMM")) {
		a->base = FETCH_COMM;
		return 0;
	}
	if (*s == '@') {
		s++;
		a->base = FETCH_IMM;
		if (s < e && *s == '+') {
			a->base = FETCH_FILEOFF;
			s++;
		}
		if (parse_num(&s, e, &a->imm) || s != e)
			return -ENOTSUP; /* @SYM: kprobes only */
		a->deref[a->nderef++] = 0;
		return 0;
	}
	if (*s == '\\' && s + 1 < e && s[1] == '"') {
		if (e - s < 3 || e[-1] != '"')
			return -EINVAL;
		a->base = FETCH_IMMSTR;
		a->str = strndup(s + 2, e - s - 3);
		return a->str ? 0 : -ENOMEM;
	}
	if (*s == '\\') {
		s++;
		a->base = FETCH_IMM;
		return parse_num(&s, e, &a->imm) || s != e ? -EINVAL : 0;
	}
	return -ENOTSUP; /* $argN, @SYM: the kernel's fetch only */
}

/* TYPE: u8..u64 s8..s64 x8..x64 string ustring symbol b<W>@<O>/<S>, [N];
 * none: string for $comm and \"str", else x64 (trace_probe.c). */
static int parse_type(const char *t, struct fetch_arg *a)
{
	char base[32];
	const char *br;
	unsigned int bits, w, o, sz;
	size_t n;

	a->count = 1;
	if (!t)
		t = a->base == FETCH_COMM || a->base == FETCH_IMMSTR ? "string"
								     : "x64";
	br = strchr(t, '[');
	n = br ? (size_t)(br - t) : strlen(t);
	if (n >= sizeof(base))
		return -EINVAL;
	memcpy(base, t, n);
	base[n] = '\0';
	a->array = br != NULL;
	if (br &&
	    (sscanf(br, "[%u]", &a->count) != 1 || !a->count || a->count > 64))
		return -EINVAL;
	if (!strcmp(base, "string") || !strcmp(base, "ustring")) {
		if (br)
			return -ENOTSUP; /* arrays of strings */
		a->is_string = true;
		a->user_string = base[0] == 'u';
		a->elem = 4;
		return 0;
	}
	if (!strcmp(base, "symbol")) {
		a->symbol = true;
		a->elem = 8;
		return 0;
	}
	if (sscanf(base, "b%u@%u/%u", &w, &o, &sz) == 3) {
		if ((sz != 8 && sz != 16 && sz != 32 && sz != 64) || !w ||
		    w + o > sz)
			return -EINVAL;
		a->elem = sz / 8;
		a->bf_width = w;
		a->bf_off = o;
		return 0;
	}
	if ((base[0] != 'u' && base[0] != 's' && base[0] != 'x') ||
	    sscanf(base + 1, "%u", &bits) != 1 ||
	    (bits != 8 && bits != 16 && bits != 32 && bits != 64))
		return -EINVAL;
	a->elem = bits / 8;
	a->is_signed = base[0] == 's';
	a->hex = base[0] == 'x';
	return 0;
}

static int refuse(struct fetch_plan *plan, const struct probe_arg *pa, size_t i,
		  int err)
{
	plan->error_arg = i;
	plan->error.cut = 256; /* one sentence, as a spec error */
	return lib_error_set(&plan->error, err, pa->col,
			     "argument '%s=%s%s%s' %s", pa->name, pa->fetch,
			     pa->type ? ":" : "", pa->type ? pa->type : "",
			     err == -ENOTSUP ? "needs the kernel's own fetch"
					     : "cannot be computed from a sample");
}

static void args_free(struct fetch_arg *args, size_t n)
{
	size_t i;

	for (i = 0; args && i < n; i++)
		free(args[i].str);
	free(args);
}

struct fetch_plan *fetch_plan_compile(const struct probe_spec *spec)
{
	struct fetch_plan *plan = calloc(1, sizeof(*plan));
	unsigned int off;
	size_t i;
	int err = 0;

	if (!plan)
		return NULL;
	plan->retprobe = probe_kind_is_return(spec->kind);
	/* after common_* (8 bytes) and __probe_ip, or __probe_func and
	 * __probe_ret_ip (trace_uprobe.c uprobe_event_define_fields()) */
	off = plan->retprobe ? 24 : 16;
	plan->args = calloc(spec->nargs ? spec->nargs : 1, sizeof(*plan->args));
	if (!plan->args) {
		free(plan);
		return NULL;
	}
	plan->nargs = spec->nargs;
	for (i = 0; !err && i < spec->nargs; i++) {
		const struct probe_arg *pa = &spec->args[i];
		struct fetch_arg *a = &plan->args[i];

		err = parse_fetch(pa->fetch, pa->fetch + strlen(pa->fetch), a);
		if (!err)
			err = parse_type(pa->type, a);
		if (err)
			break;
		a->offset = off;
		off += a->elem * a->count;
	}
	if (err) {
		refuse(plan, &spec->args[i], i, err);
		args_free(plan->args, plan->nargs);
		plan->args = NULL;
		plan->nargs = 0;
		return plan;
	}
	plan->fixed = off;
	return plan;
}

void fetch_plan_free(struct fetch_plan *plan)
{
	if (!plan)
		return;
	args_free(plan->args, plan->nargs);
	free(plan);
}
