/* SPDX-License-Identifier: MIT */
/*
 * A PMU probe has no format file: sonde writes the one the kernel would
 * give the same definition through {u,k}probe_events (trace_probe.c
 * traceprobe_define_arg_fields() and __set_print_fmt(): common fields,
 * __probe_ip or __probe_func + __probe_ret_ip, then each arg in order at
 * its type's size, strings as a 32-bit __data_loc), and parses it with the
 * same decoder, so records built from samples decode and print exactly as
 * the tracefs backend's. The kernel fetch strings are compiled here too.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "perf.h"

const char *const perf_reg_names[PR_NUM] = {
	[PR_AX] = "ax",	  [PR_BX] = "bx",   [PR_CX] = "cx",
	[PR_DX] = "dx",	  [PR_SI] = "si",   [PR_DI] = "di",
	[PR_BP] = "bp",	  [PR_SP] = "sp",   [PR_IP] = "ip",
	[PR_FLAGS] = "flags", [PR_CS] = "cs", [PR_SS] = "ss",
	[PR_R8] = "r8",	  [PR_R9] = "r9",   [PR_R10] = "r10",
	[PR_R11] = "r11", [PR_R12] = "r12", [PR_R13] = "r13",
	[PR_R14] = "r14", [PR_R15] = "r15",
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

/* FETCH as fetch.c leaves it (uprobetracer.rst): %REG $stack $stackN
 * $retval $comm @ADDR @+OFF +|-[u]OFF(FETCH) \IMM \"str". */
static int parse_fetch(const char *s, const char *e, struct parg *a)
{
	const char *open, *close;
	int64_t off;
	int i;

	if (e > s && (*s == '+' || *s == '-')) {
		const char *q = s + 1;

		if (*q == 'u')
			q++;
		open = memchr(q, '(', e - q);
		close = e - 1;
		if (!open || *close != ')' || parse_num(&q, open, &off) ||
		    q != open)
			return -EINVAL;
		if (parse_fetch(open + 1, close, a))
			return -EINVAL;
		if (a->nderef >= PARG_MAX_DEREF)
			return -E2BIG;
		a->deref[a->nderef++] = *s == '-' ? -off : off;
		return 0;
	}
	if (*s == '%') {
		for (i = 0; i < PR_NUM; i++)
			if (perf_reg_names[i] && (size_t)(e - s - 1) ==
						    strlen(perf_reg_names[i]) &&
			    !strncmp(s + 1, perf_reg_names[i], e - s - 1)) {
				a->base = PB_REG;
				a->reg = i;
				return 0;
			}
		return -ENOTSUP;
	}
	if (e - s == 6 && !strncmp(s, "$stack", 6)) {
		a->base = PB_STACK;
		return 0;
	}
	if (e - s > 6 && !strncmp(s, "$stack", 6)) {
		s += 6;
		a->base = PB_STACKN;
		return parse_num(&s, e, &a->imm) || s != e ? -EINVAL : 0;
	}
	if (e - s == 7 && !strncmp(s, "$retval", 7)) {
		a->base = PB_RETVAL;
		return 0;
	}
	if (e - s == 5 && (!strncmp(s, "$comm", 5) || !strncmp(s, "$COMM", 5))) {
		a->base = PB_COMM;
		return 0;
	}
	if (*s == '@') {
		s++;
		a->base = PB_IMM;
		if (s < e && *s == '+') {
			a->base = PB_FILEOFF;
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
		a->base = PB_IMMSTR;
		a->str = strndup(s + 2, e - s - 3);
		return a->str ? 0 : -ENOMEM;
	}
	if (*s == '\\') {
		s++;
		a->base = PB_IMM;
		return parse_num(&s, e, &a->imm) || s != e ? -EINVAL : 0;
	}
	return -ENOTSUP; /* $argN, @SYM: the kernel's fetch only */
}

/* TYPE: u8..u64 s8..s64 x8..x64 string ustring symbol b<W>@<O>/<S>, [N]. */
static int parse_type(const char *t, struct parg *a, bool *hex, bool *sym)
{
	char base[32];
	const char *br;
	unsigned int bits, w, o, sz;
	size_t n;

	*hex = *sym = false;
	a->count = 1;
	if (!t)
		t = a->base == PB_COMM || a->base == PB_IMMSTR ? "string"
							       : "x64";
	br = strchr(t, '[');
	n = br ? (size_t)(br - t) : strlen(t);
	if (n >= sizeof(base))
		return -EINVAL;
	memcpy(base, t, n);
	base[n] = '\0';
	if (br && (sscanf(br, "[%u]", &a->count) != 1 || !a->count ||
		   a->count > 64))
		return -EINVAL;
	if (!strcmp(base, "string") || !strcmp(base, "ustring")) {
		if (br)
			return -ENOTSUP; /* arrays of strings */
		a->is_string = true;
		a->elem = 4;
		return 0;
	}
	if (!strcmp(base, "symbol")) {
		*sym = true;
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
	*hex = base[0] == 'x';
	return 0;
}

void perf_probe_state_free(struct perf_probe_state *pp)
{
	size_t i;

	for (i = 0; pp->args && i < pp->nargs; i++)
		free(pp->args[i].str);
	free(pp->args);
	memset(pp, 0, sizeof(*pp));
}

bool perf_format_supported(const struct probe *p, char *why, size_t len)
{
	struct parg a;
	bool hex, sym;
	size_t i;
	int err;

	for (i = 0; i < p->spec.nargs; i++) {
		const struct probe_arg *pa = &p->spec.args[i];

		memset(&a, 0, sizeof(a));
		err = parse_fetch(pa->fetch, pa->fetch + strlen(pa->fetch), &a);
		if (!err)
			err = parse_type(pa->type, &a, &hex, &sym);
		free(a.str);
		if (err) {
			snprintf(why, len, "argument '%s=%s%s%s' %s", pa->name,
				 pa->fetch, pa->type ? ":" : "",
				 pa->type ? pa->type : "",
				 err == -ENOTSUP
					 ? "needs the kernel's own fetch"
					 : "cannot be computed from a sample");
			return false;
		}
	}
	return true;
}

static int append(char **buf, size_t *len, size_t *cap, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int append(char **buf, size_t *len, size_t *cap, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(*buf + *len, *cap - *len, fmt, ap);
		va_end(ap);
		if (n < 0)
			return -EINVAL;
		if ((size_t)n < *cap - *len)
			break;
		*cap = (*cap + n) * 2;
		*buf = realloc(*buf, *cap);
		if (!*buf)
			return -ENOMEM;
	}
	*len += n;
	return 0;
}

/* The print fmt of one value (trace_probe.c PRINT_TYPE_FMT_NAME). */
static const char *value_fmt(const struct parg *a, bool hex, bool sym)
{
	if (sym)
		return "%pS";
	if (a->bf_width)
		return a->elem == 8 ? "%Lu" : "%u";
	if (hex)
		return a->elem == 8 ? "0x%Lx" : "0x%x";
	if (a->is_signed)
		return a->elem == 8 ? "%Ld" : "%d";
	return a->elem == 8 ? "%Lu" : "%u";
}

static int field_line(char **t, size_t *n, size_t *cap, const char *type,
		      const char *name, const char *suffix, unsigned int off,
		      unsigned int size, int sign)
{
	return append(t, n, cap, "\tfield:%s %s%s;\toffset:%u;\tsize:%u;\tsigned:%d;\n",
		      type, name, suffix, off, size, sign);
}

int perf_format_build(struct sonde_session *s, struct probe *p, struct perf_probe_state *pp,
	       int id)
{
	bool ret = probe_kind_is_return(p->spec.kind), hex, sym;
	size_t n = 0, cap = 1024, pn = 0, pcap = 256, an = 0, acap = 256, i;
	char *t = malloc(cap), *pf = malloc(pcap), *av = malloc(acap);
	char type[32];
	unsigned int off = ret ? 24 : 16, j;
	int err = t && pf && av ? 0 : -ENOMEM;

	pp->args = calloc(p->spec.nargs ? p->spec.nargs : 1,
			  sizeof(*pp->args));
	pp->nargs = p->spec.nargs;
	if (!pp->args)
		err = -ENOMEM;
	if (!err) {
		t[0] = pf[0] = av[0] = '\0';
		err = append(&t, &n, &cap,
			     "name: %s\nID: %d\nformat:\n"
			     "\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
			     "\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n"
			     "\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n"
			     "\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n\n",
			     p->name, id);
	}
	if (!err && ret)
		err = append(&t, &n, &cap,
			     "\tfield:unsigned long __probe_func;\toffset:8;\tsize:8;\tsigned:0;\n"
			     "\tfield:unsigned long __probe_ret_ip;\toffset:16;\tsize:8;\tsigned:0;\n");
	else if (!err)
		err = append(&t, &n, &cap,
			     "\tfield:unsigned long __probe_ip;\toffset:8;\tsize:8;\tsigned:0;\n");
	if (!err)
		err = append(&pf, &pn, &pcap, "%s",
			     ret ? "(%lx <- %lx)" : "(%lx)");
	if (!err)
		err = append(&av, &an, &acap, "%s",
			     ret ? ", REC->__probe_func, REC->__probe_ret_ip"
				 : ", REC->__probe_ip");
	for (i = 0; !err && i < p->spec.nargs; i++) {
		const struct probe_arg *pa = &p->spec.args[i];
		struct parg *a = &pp->args[i];
		const char *vf;

		err = parse_fetch(pa->fetch, pa->fetch + strlen(pa->fetch), a);
		if (!err)
			err = parse_type(pa->type, a, &hex, &sym);
		if (err) {
			err = set_err(s, -err == ENOTSUP ? ENOTSUP : EINVAL,
				      pa->col,
				      "the perf backend cannot compute '%s' of probe %s",
				      pa->fetch, p->name);
			break;
		}
		a->offset = off;
		vf = value_fmt(a, hex, sym);
		if (a->is_string) {
			err = field_line(&t, &n, &cap, "__data_loc char[]",
					 pa->name, "", off, 4, 1);
			if (!err)
				err = append(&pf, &pn, &pcap, " %s=\\\"%%s\\\"",
					     pa->name);
			if (!err)
				err = append(&av, &an, &acap,
					     ", __get_str(%s)", pa->name);
			off += 4;
			continue;
		}
		snprintf(type, sizeof(type), "%c%u",
			 a->is_signed ? 's' : 'u', a->elem * 8);
		if (a->count > 1 || strchr(pa->type ? pa->type : "", '[')) {
			err = field_line(&t, &n, &cap, type, pa->name, "[]",
					 off, a->elem * a->count,
					 a->is_signed);
			if (!err)
				err = append(&pf, &pn, &pcap, " %s={", pa->name);
			for (j = 0; !err && j < a->count; j++) {
				err = append(&pf, &pn, &pcap, "%s%s",
					     j ? "," : "", vf);
				if (!err)
					err = append(&av, &an, &acap,
						     ", REC->%s[%u]", pa->name,
						     j);
			}
			if (!err)
				err = append(&pf, &pn, &pcap, "}");
		} else {
			err = field_line(&t, &n, &cap, type, pa->name, "", off,
					 a->elem, a->is_signed);
			if (!err)
				err = append(&pf, &pn, &pcap, " %s=%s",
					     pa->name, vf);
			if (!err)
				err = append(&av, &an, &acap, ", REC->%s",
					     pa->name);
		}
		off += a->elem * a->count;
	}
	if (!err)
		err = append(&t, &n, &cap, "\nprint fmt: \"%s\"%s\n", pf, av);
	pp->fixed = off;
	free(pf);
	free(av);
	if (err) {
		free(t);
		if (err == -ENOMEM)
			set_err(s, ENOMEM, -1, "out of memory");
		return err;
	}
	p->format_text = t;
	err = event_format_parse(t, &p->fmt);
	if (err)
		return set_err(s, EINVAL, -1,
			       "cannot parse the format built for %s", p->name);
	if (fault_setup(p)) /* its strings' faults */
		return set_err(s, ENOMEM, -1, "out of memory");
	return 0;
}
