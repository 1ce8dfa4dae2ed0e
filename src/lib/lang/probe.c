// SPDX-License-Identifier: MIT
/*
 * A block's probe as written ("uprobe:/bin/bash:readline", "t:syscalls:
 * sys_enter_openat", "interval:ms:100") -> its kind and period, with
 * bpftrace 0.17's checks and messages ("uprobe probe type requires 2
 * arguments", "x is not an accepted unit of time"). The rest of the text
 * (paths, globs, sonde's own spec syntax) is the runtime's to resolve.
 * Positional parameters in a probe ("i:ms:$1", "BEG$1", "$1") are replaced
 * by their text first, as bpftrace does.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lang_int.h"

static const struct {
	const char *name, *alias;
	enum bt_pkind kind;
	int min, max; /* arguments after the type */
} types[] = {
	{"BEGIN", "begin", BT_P_BEGIN, 0, 0}, /* newer bpftrace: begin, end */
	{"END", "end", BT_P_END, 0, 0},
	{"uprobe", "u", BT_P_UPROBE, 2, 3},
	{"uretprobe", "ur", BT_P_URETPROBE, 2, 3},
	{"usdt", "U", BT_P_USDT, 2, 3},
	{"kprobe", "k", BT_P_KPROBE, 1, 2},
	{"kretprobe", "kr", BT_P_KRETPROBE, 1, 2},
	{"tracepoint", "t", BT_P_TRACEPOINT, 2, 2},
	{"interval", "i", BT_P_INTERVAL, 2, 2},
	{"profile", "p", BT_P_PROFILE, 2, 2},
};

/* bpftrace's probe types that sonde does not run */
static const char *const later[] = {
	"software",	 "s",  "hardware",   "h",  "kfunc",	      "f",
	"kretfunc",	 "fr", "watchpoint", "w",  "asyncwatchpoint", "aw",
	"rawtracepoint", "rt", "iter",	     "it", "fentry",	      "fexit"};

/* The arguments after the type: ':' outside quotes. */
static int count_args(const char *s)
{
	int n = 0;
	bool q = false;

	for (; *s; s++) {
		if (*s == '"')
			q = !q;
		else if (*s == ':' && !q)
			n++;
	}
	return n;
}

static int period(struct bt_probe *pr, const char *args, const char *what,
		  struct lib_error *err, const char *text, const char *file)
{
	static const struct {
		const char *unit;
		uint64_t ns;
	} units[] = {
		{"s", 1000000000}, {"ms", 1000000}, {"us", 1000}, {"hz", 0}};
	size_t ul = strcspn(args, ":");
	const char *num = args + ul + 1;
	char *end;
	unsigned long long v;

	for (size_t i = 0; i < sizeof(units) / sizeof(*units); i++) {
		if (strlen(units[i].unit) != ul ||
		    strncmp(args, units[i].unit, ul))
			continue;
		v = strtoull(num, &end, 10);
		if (!*num || *end || *num == '-')
			return bt_error(err, text, file, pr->loc,
					"%s: '%s' is not a number", what, num);
		if (!v)
			return bt_error(err, text, file, pr->loc,
					"%s: the %s must be more than 0", what,
					units[i].ns ? "period" : "rate");
		pr->period_ns =
			units[i].ns ? v * units[i].ns : 1000000000ull / v;
		if (!pr->period_ns)
			pr->period_ns = 1;
		return 0;
	}
	return bt_error(err, text, file, pr->loc,
			"%.*s is not an accepted unit of time", (int)ul, args);
}

int bt_probe_subst(struct bt_probe *pr, char *const *params, int nparams,
		   struct lib_error *err, const char *text, const char *file)
{
	const char *s = pr->spec;
	char *out, *o, *end;
	size_t len = 0;
	long k;

	if (!strchr(s, '$'))
		return 0;
	/* twice: the length, then the text */
	for (int pass = 0; pass < 2; pass++) {
		o = out = pass ? malloc(len + 1) : NULL;
		if (pass && !out)
			return lib_error_set(err, ENOMEM, -1, "out of memory");
		for (s = pr->spec; *s;) {
			if (*s != '$' || s[1] < '0' || s[1] > '9') {
				if (pass)
					*o++ = *s;
				else
					len++;
				s++;
				continue;
			}
			k = strtol(s + 1, &end, 10);
			if (k < 1 || k > nparams) {
				free(out);
				return bt_error(err, text, file, pr->loc,
						"$%ld is used in a probe but "
						"not given (%d positional "
						"parameter%s)",
						k, nparams,
						nparams == 1 ? "" : "s");
			}
			if (pass)
				o = stpcpy(o, params[k - 1]);
			else
				len += strlen(params[k - 1]);
			s = end;
		}
	}
	*o = '\0';
	free(pr->spec);
	pr->spec = out;
	return 0;
}

int bt_probe_classify(struct bt_probe *pr, struct lib_error *err,
		      const char *text, const char *file)
{
	const char *s = pr->spec;
	size_t tl = strcspn(s, ":");
	int nargs = count_args(s);

	for (size_t i = 0; i < sizeof(later) / sizeof(*later); i++)
		if (strlen(later[i]) == tl && !strncmp(s, later[i], tl))
			return bt_error(err, text, file, pr->loc,
					"%.*s probes are not supported yet",
					(int)tl, s);
	for (size_t i = 0; i < sizeof(types) / sizeof(*types); i++) {
		const char *name = types[i].name;

		if (!((strlen(name) == tl && !strncmp(s, name, tl)) ||
		      (types[i].alias && strlen(types[i].alias) == tl &&
		       !strncmp(s, types[i].alias, tl))))
			continue;
		pr->kind = types[i].kind;
		if (nargs < types[i].min || nargs > types[i].max)
			return bt_error(err, text, file, pr->loc,
					"%s probe type requires %d arguments",
					name, types[i].min);
		if (s[tl] == ':' && !s[tl + 1])
			return bt_error(err, text, file, pr->loc,
					"%s probe type requires %d arguments",
					name, types[i].min);
		if (pr->kind == BT_P_INTERVAL || pr->kind == BT_P_PROFILE)
			return period(pr, s + tl + 1, name, err, text, file);
		return 0;
	}
	return bt_error(err, text, file, pr->loc, "Invalid probe type: '%.*s'",
			(int)tl, s);
}
