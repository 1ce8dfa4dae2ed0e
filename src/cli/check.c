/* SPDX-License-Identifier: MIT */
/* sonde check: what this kernel and machine support. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "options.h"

static void usage(FILE *out)
{
	fprintf(out, "usage: sonde check [options]\n"
		     "       sonde check [options] PROBE...\n"
		     "  reports tracefs, uprobes, kprobes, the uprobe and kprobe\n"
		     "  PMUs, hist triggers, BPF, debuginfod and root; exit 1\n"
		     "  when sonde cannot trace at all here. With probes, also\n"
		     "  the backend they would take and how the bpf backend\n"
		     "  attaches them (multi links or one perf event per\n"
		     "  probe), and why\n");
	cli_options_help(out, CMD_CHECK);
}

static void line(const char *what, bool yes, const char *missing)
{
	printf("%-14s %s%s%s%s\n", what, yes ? "yes" : "no",
	       !yes && missing ? " (" : "", !yes && missing ? missing : "",
	       !yes && missing ? ")" : "");
}

/* What tracefs holds: not absent when tracefs is root's and this user
 * cannot look (EACCES), only unknown. */
static void tfs_line(const char *what, bool yes, bool denied,
		     const char *missing)
{
	if (!yes && denied)
		printf("%-14s unknown (needs root: tracefs: permission "
		       "denied)\n",
		       what);
	else
		line(what, yes, missing);
}

static const char *backend_name(enum sonde_backend b)
{
	return b == SONDE_BACKEND_BPF	    ? "bpf"
	       : b == SONDE_BACKEND_PERF    ? "perf"
	       : b == SONDE_BACKEND_TRACEFS ? "tracefs"
					    : "auto";
}

/* Whether a missing debug file would be fetched from a debuginfod server. */
static void debuginfod_line(void)
{
	const char *what = "debuginfod:";

	switch (sonde_debuginfod_state()) {
	case SONDE_DEBUGINFOD_READY:
		printf("%-14s yes (DEBUGINFOD_URLS=%s)\n", what,
		       getenv("DEBUGINFOD_URLS"));
		break;
	case SONDE_DEBUGINFOD_OFF:
		line(what, false, "--no-debuginfod");
		break;
	case SONDE_DEBUGINFOD_NO_URLS:
		line(what, false, "DEBUGINFOD_URLS is not set");
		break;
	case SONDE_DEBUGINFOD_NO_LIB:
		line(what, false,
		     "DEBUGINFOD_URLS is set but libdebuginfod.so.1 cannot be "
		     "loaded: install libdebuginfod1");
		break;
	case SONDE_DEBUGINFOD_NOT_BUILT:
		line(what, false, "sonde was built without libdebuginfod");
		break;
	}
}

/* The probes' path: resolved as trace would (nothing reaches the kernel),
 * then the backend and the bpf backend's links. */
static int probes_path(const struct cli_opts *o, bool bpf)
{
	struct sonde_attach_plan p = {.sz = sizeof(p)};
	struct sonde_session *s;
	int status = 0, n, err;
	const char *sep;

	s = cli_session(o, &status);
	if (!s)
		return status;
	err = sonde_session__attach_plan(s, &p);
	n = sonde_session__probe_count(s);
	cli_session_close(s);
	if (err < 0) {
		fprintf(stderr, "%s: check: %s\n", prog, strerror(-err));
		return EXIT_RUNTIME;
	}
	printf("%-14s %d\n", "probes:", n);
	printf("%-14s %s%s%s%s\n", "backend:", backend_name(p.backend),
	       p.backend_why[0] ? " (" : "", p.backend_why,
	       p.backend_why[0] ? ")" : "");
	printf("%-14s", "bpf path:");
	if (!bpf) {
		printf(" none: this kernel has no BPF for sonde\n");
		return 0;
	}
	sep = " ";
	if (p.kprobe_multi_links) {
		printf("%skprobe_multi (%d link%s, %d function%s)", sep,
		       p.kprobe_multi_links,
		       p.kprobe_multi_links == 1 ? "" : "s",
		       p.kprobe_multi_probes,
		       p.kprobe_multi_probes == 1 ? "" : "s");
		sep = ", ";
	}
	if (p.uprobe_multi_links) {
		printf("%suprobe_multi (%d link%s, %d probe%s)", sep,
		       p.uprobe_multi_links,
		       p.uprobe_multi_links == 1 ? "" : "s",
		       p.uprobe_multi_probes,
		       p.uprobe_multi_probes == 1 ? "" : "s");
		sep = ", ";
	}
	if (p.perf_events)
		printf("%sone perf event per probe (%d)%s%s", sep,
		       p.perf_events, p.why[0] ? ": " : "", p.why);
	printf("\n");
	return 0;
}

int cmd_check(int argc, char **argv)
{
	struct sonde_features f = { .sz = sizeof(f) };
	bool denied;
	struct cli_opts o;
	int status;

	status = cli_parse(argc, argv, &o, usage);
	if (!status)
		status = cli_no_outfile(&o, "check");
	if (status)
		return status;
	sonde_features__probe(&f);
	denied = f.tracefs_denied;
	printf("%-14s %s\n", "kernel:", f.kernel);
	printf("%-14s sonde %s\n", "version:", sonde_version());
	line("root:", f.root, "tracing needs root or CAP_SYS_ADMIN");
	if (f.tracefs)
		printf("%-14s yes (%s)\n", "tracefs:", f.tracefs_path);
	else
		line("tracefs:", false,
		     f.root ? "CONFIG_FTRACE, or not mountable"
			    : "not mounted; root could mount it");
	tfs_line("uprobes:", f.uprobes, denied, "CONFIG_UPROBE_EVENTS");
	tfs_line("kprobes:", f.kprobes, denied, "CONFIG_KPROBE_EVENTS");
	line("uprobe PMU:", f.uprobe_pmu, "perf_event_open uprobes");
	line("kprobe PMU:", f.kprobe_pmu, "perf_event_open kprobes");
	tfs_line("hist triggers:", f.hist_triggers, denied,
		 "CONFIG_HIST_TRIGGERS");
	line("BPF:", f.bpf, f.root ? "CONFIG_BPF_SYSCALL" : "needs root");
	if (f.bpf) {
		line("BPF ringbuf:", f.bpf_ringbuf, "Linux 5.8");
		line("uprobe_multi:", f.bpf_uprobe_multi,
		     "Linux 6.6: the bpf backend makes one perf event per probe");
		line("kprobe_multi:", f.bpf_kprobe_multi, "CONFIG_FPROBE");
	} else {
		printf("%-14s %s\n", "bpf backend:",
		       "not here: sonde traces through tracefs and perf");
	}
	debuginfod_line();
	if (o.nprobes) {
		fflush(stdout);
		status = probes_path(&o, f.bpf);
		if (status)
			return status;
	}
	return f.tracefs && (f.uprobes || f.kprobes) ? 0 : EXIT_RUNTIME;
}
