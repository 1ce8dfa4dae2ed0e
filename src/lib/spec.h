/* SPDX-License-Identifier: MIT */
/* Probe-spec and fetcharg grammars: text -> struct probe_spec (memory only). */
#ifndef SONDE_SPEC_H
#define SONDE_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum probe_kind {
	PROBE_UPROBE,
	PROBE_URETPROBE,
	PROBE_KPROBE,
	PROBE_KRETPROBE,
};

static inline bool probe_kind_is_return(enum probe_kind k)
{
	return k == PROBE_URETPROBE || k == PROBE_KRETPROBE;
}

static inline bool probe_kind_is_user(enum probe_kind k)
{
	return k == PROBE_UPROBE || k == PROBE_URETPROBE;
}

/* A parse error: what is wrong and the 0-based column in the spec text
 * (-1 when no single character is to blame). */
struct spec_error {
	int col;
	char msg[256];
};

struct probe_arg {
	char *name;	/* user's NAME, or a readable default ("arg1", "retval",
			 * "stack2", "di", "comm", "val3"...), unique per probe */
	char *fetch;	/* FETCH as the kernel takes it (portable names rewritten:
			 * arg1 -> %di, retval -> $retval, comm -> $comm) */
	char *type;	/* TYPE as written ("u32", "string", "b4@2/32", "x8[4]"),
			 * or NULL for the kernel's default */
	int col;	/* column of this argument in the spec text */
};

struct probe_spec {
	enum probe_kind kind;
	char *group;	  /* raw syntax "p:GRP/EV": GRP, else NULL */
	char *event;	  /* raw syntax "p:EV" or "p:GRP/EV": EV, else NULL */
	char *target;	  /* uprobes: TARGET as written (path, name, short
			   * library name); kprobes: MOD of k:MOD:FUNC or NULL */
	char *symbol;	  /* function name, NULL when an address is given */
	uint64_t offset;  /* +OFF after the symbol */
	uint64_t addr;	  /* valid when has_addr */
	bool has_addr;
	/* true when addr is already a file offset (the kernel's own uprobe
	 * syntax "p:/path:0xOFF"); false when it is a virtual address
	 * (u:TARGET:0xADDR) to be converted through the ELF headers */
	bool addr_is_offset;
	uint64_t ref_ctr_offset; /* "/path:0xOFF(0xREF)": REF, else 0 */
	int maxactive;	  /* kr[N] / rN; 0 = kernel default */
	struct probe_arg *args;
	size_t nargs;
	int target_col;	  /* column of TARGET (or FUNC for kprobes) */
	int symbol_col;	  /* column of SYM/ADDR */
};

/*
 * Parse one probe spec:
 *   u:TARGET:SYM[+OFF] [ARGS]   ur:TARGET:SYM [ARGS]   u:TARGET:0xADDR
 *   k:FUNC[+OFF] [ARGS]   k:MOD:FUNC   kr[N]:FUNC [ARGS]
 *   p:[GRP/]EV /path:0xOFF ARGS   r:[GRP/]EV /path:0xOFF ARGS   (uprobe_events)
 *   p:[GRP/]EV FUNC[+OFF] ARGS    r[N]:[GRP/]EV FUNC ARGS      (kprobe_events)
 *   p:bash:readline   r:libc:gets +0($retval):string            (perf-tools)
 * ARGS: whitespace-separated [NAME=]FETCH[:TYPE]. The whole spec may be one
 * shell word with spaces inside. Also "/path:0xOFF(0xREF)" (ref_ctr_offset)
 * and the kernel's "LOCATION%return" for return probes.
 * Portable argN and retval without a TYPE get type "s64".
 * Returns 0 or -EINVAL with err filled (-ENOMEM on allocation failure);
 * on error *spec is left zeroed. spec_free() frees what spec_parse()
 * allocated; it accepts a zeroed struct and leaves one behind.
 */
int spec_parse(const char *text, struct probe_spec *spec,
	       struct spec_error *err);
void spec_free(struct probe_spec *spec);

/*
 * Validate and rewrite one argument's FETCH for the probe kind, as the
 * running kernel would take it (kprobetrace.rst / uprobetracer.rst):
 *   %REG  $stackN  $stack  $retval (return probes only)  $comm  $argN
 *   (kprobes only)  @ADDR  @SYM[+|-off] (kprobes)  @+OFF (uprobes)
 *   +|-[u]OFF(FETCH)  \IMM  \"str"
 * portable: argN (x86-64 SysV / kernel ABI integer argument N, 1-based) ->
 *   %di %si %dx %cx %r8 %r9; retval -> $retval; comm -> $comm.
 * col is the column of fetch in the spec text, for err. Returns a malloc'd
 * kernel fetch string, or NULL with err filled.
 */
char *fetch_rewrite(const char *fetch, enum probe_kind kind, int col,
		    struct spec_error *err);
/* Validate TYPE: u8..u64 s8..s64 x8..x64 string ustring symbol symstr
 * b<W>@<O>/<S> and any of those with [N]. 0 or -EINVAL. */
int fetch_check_type(const char *type, int col, struct spec_error *err);

/* The kernel's register names for x86-64 (for "bad register" carets). */
bool fetch_is_register(const char *name);

#endif
