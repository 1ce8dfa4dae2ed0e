/* SPDX-License-Identifier: MIT */
/*
 * bpftrace's language in sonde (`sonde run`): the syntax tree, its types,
 * the byte layout of every value the kernel hands up, and what the code
 * generator gives the runtime. One header for the whole path, because
 * four parts meet here:
 *
 *   lang/      text -> tree (lex.c, parse.c), types and checks (sema.c)
 *   backend/bpf/bt_gen*.c   checked tree -> BPF programs, maps, messages
 *   decode/bt_*.c           bytes -> bpftrace's text and JSON (printf,
 *                           print(), the maps at exit)
 *   api/run*.c              load, attach, read the ring, run to the end
 *
 * Ownership: a struct bt_program owns its nodes, strings and types
 * (bt_program_free()); a struct bt_compiled owns its instructions and
 * tables but borrows the program it was made from.
 */
#ifndef SONDE_LANG_BT_H
#define SONDE_LANG_BT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../base/error.h"

struct bpf_insn;

/* bpftrace 0.17's defaults (BPFTRACE_STRLEN, BPFTRACE_MAP_KEYS_MAX...) */
#define BT_STRLEN 64
#define BT_MAP_MAX_ENTRIES 4096
#define BT_MAX_ARGS 6 /* arg0..arg5 */

/* A place in the program's text, for errors with a caret: 1-based line,
 * 0-based column in bytes, length of the token(s) blamed (>= 1). */
struct bt_loc {
	int line, col, len;
};

/*
 * Types. Every value has one; sema.c gives one to every expression node,
 * map and scratch variable. Sizes are the bytes the value takes in a
 * map key, a map value, a scratch slot or a message (layouts below).
 */
enum bt_tkind {
	BT_T_NONE,   /* a statement, or a call that gives nothing */
	BT_T_INT,    /* size 1/2/4/8 as declared, is_signed; stored as 8 */
	BT_T_STR,    /* strsize bytes, NUL-terminated, NUL-padded */
	BT_T_BUF,    /* buf(): u32 length, then strsize bytes of data */
	BT_T_TUPLE,  /* elements in order, each at an 8-aligned offset */
	BT_T_PTR,    /* a kernel or user address (args->filename): 8 bytes;
		      * is_user; what it points to in pointee_size/signed */
	BT_T_KSYM,   /* ksym(): u64 address */
	BT_T_USYM,   /* usym(): u64 address, u64 tgid */
	BT_T_KADDR,  /* kaddr(): u64 (prints as an integer) */
	BT_T_INET,   /* ntop(): u64 family (2 or 10), 16 bytes of address */
	BT_T_KSTACK, /* kstack: s64 stack id (a negative errno: lost) */
	BT_T_USTACK, /* ustack: s64 stack id, u64 tgid */
	BT_T_PROBE,  /* probe: u64 index into bt_compiled.probe_names */
	BT_T_TIMESTAMP, /* strftime(): u64 ns since boot (printf %s) */
	/* map values of the aggregating functions; layouts in
	 * struct bt_map_row (user space sums the CPUs first) */
	BT_T_COUNT,
	BT_T_SUM,
	BT_T_MIN,
	BT_T_MAX,
	BT_T_AVG,
	BT_T_STATS,
	BT_T_HIST,
	BT_T_LHIST,
};

struct bt_type {
	enum bt_tkind kind;
	uint32_t size;	/* bytes, with the layouts above (INT: 8) */
	uint8_t isize;	/* INT, PTR pointee, SUM/MIN/MAX: the declared width
			 * 1/2/4/8, for printf's and printing's sign rules */
	bool is_signed; /* INT, SUM, MIN, MAX, AVG, STATS */
	bool is_user;	/* PTR: a user address (bpf_probe_read_user) */
	uint32_t strsize; /* STR, BUF: the data bytes */
	int ntup;	      /* TUPLE */
	struct bt_type *tup;  /* TUPLE: ntup element types (owned) */
	int64_t lmin, lmax, lstep; /* LHIST's arguments */
	char **names; /* TUPLE: a record's member names (ntup, owned), printed
		       * "{ .a = 1, .b = 2 }" (a uprobe's args); NULL for a
		       * tuple "(1, 2)" */
};

/*
 * The syntax tree: one node shape for every kind, its children in kid[]
 * (the comment on each kind says which). Expressions get their type in
 * `type` from sema.c. Strings are owned, NUL-terminated, unescaped.
 */
enum bt_kind {
	/* expressions */
	BT_N_INT,	/* num (u64; a literal is signed when it fits s64) */
	BT_N_STR,	/* name: the string's bytes */
	BT_N_BUILTIN,	/* name: pid tid uid gid cpu comm nsecs elapsed
			 * retval arg0..argN func probe kstack ustack
			 * cgroup curtask rand username sarg0.. */
	BT_N_POSPARAM,	/* num: $1..$N (0: $#) */
	BT_N_VAR,	/* name: scratch variable without '$' */
	BT_N_MAP,	/* name: map without '@' ("" for @); kid: keys
			 * (none, one, or several: a tuple key) */
	BT_N_CALL,	/* name: the function; kid: its arguments */
	BT_N_BINOP,	/* op; kid[0] op kid[1] (&& || short-circuit) */
	BT_N_UNOP,	/* op: '!' '~' '-' '*' (deref) '&' (not yet); kid[0];
			 * BT_OP_PREINC.. for ++/-- */
	BT_N_TERNARY,	/* kid[0] ? kid[1] : kid[2] */
	BT_N_FIELD,	/* kid[0] -> name or kid[0] . name (op '.' or
			 * BT_OP_ARROW); args->field, args.field */
	BT_N_INDEX,	/* kid[0][kid[1]] (an array or pointer) */
	BT_N_TUPLE_GET, /* kid[0].num (tuple element) */
	BT_N_CAST,	/* (name)kid[0]: name a C integer type, or "struct x *" */
	BT_N_TUPLE,	/* (kid[0], kid[1], ...) */
	/* statements */
	BT_N_EXPR,	/* kid[0] evaluated for its effect (a call) */
	BT_N_ASSIGN,	/* kid[0] (MAP or VAR) = kid[1]; op: '=' or the
			 * compound operator ('+' for +=, ...) */
	BT_N_IF,	/* if (kid[0]) body else orelse (orelse may be NULL,
			 * or a single BT_N_IF for else if) */
	BT_N_UNROLL,	/* unroll (num) body */
	BT_N_WHILE,	/* while (kid[0]) body (refused where not loaded) */
	BT_N_BLOCK,	/* kid: the statements */
	BT_N_RETURN,	/* return (kid[0] optional) */
};

/* Operators that are not one character (one-character ones are the
 * character itself: '+', '<', '&', '!', ...). */
enum bt_op {
	BT_OP_EQ = 256, /* == */
	BT_OP_NE,	/* != */
	BT_OP_LE,	/* <= */
	BT_OP_GE,	/* >= */
	BT_OP_LAND,	/* && */
	BT_OP_LOR,	/* || */
	BT_OP_SHL,	/* << */
	BT_OP_SHR,	/* >> */
	BT_OP_ARROW,	/* -> */
	BT_OP_PREINC,	/* ++x */
	BT_OP_PREDEC,
	BT_OP_POSTINC,	/* x++ */
	BT_OP_POSTDEC,
};

struct bt_node {
	enum bt_kind kind;
	struct bt_loc loc;
	int op;		 /* BINOP, UNOP, ASSIGN, FIELD */
	char *name;	 /* see enum bt_kind */
	uint64_t num;	 /* INT, POSPARAM, TUPLE_GET, UNROLL */
	struct bt_node **kid;
	int nkid;
	struct bt_node *body, *orelse; /* IF, UNROLL, WHILE: BT_N_BLOCK */
	struct bt_type type;	       /* sema.c */
	int64_t off; /* sema.c: FIELD of a tracepoint: the field's offset
		      * in the record (data_loc: of its u32 locator); of a
		      * uprobe's DWARF argument: its index (arg0..) */
	bool data_loc; /* sema.c: FIELD of a tracepoint that is a
			* __data_loc string (off: its u32 locator) */
	int id; /* sema.c: VAR its index in bt_probe.vars; MAP its index in
		 * bt_program.maps; CALL printf/system/cat: its format's
		 * index in bt_program.formats; STR of a printf: -1 */
};

/*
 * One probe of a block: `a, b { }` is two probes sharing the block.
 * spec is the text as written ("uprobe:/bin/bash:readline",
 * "BEGIN", "interval:s:1", "kprobe:vfs_*"); the runtime resolves it with
 * sonde's spec grammar and tells sema what it needs (bt_probe_info).
 */
enum bt_pkind {
	BT_P_BEGIN,
	BT_P_END,
	BT_P_UPROBE,	/* uprobe:, u:, and sonde's own u: specs */
	BT_P_URETPROBE,
	BT_P_USDT,
	BT_P_KPROBE,
	BT_P_KRETPROBE,
	BT_P_TRACEPOINT,
	BT_P_INTERVAL,	/* period_ns */
	BT_P_PROFILE,	/* period_ns (hz:N: 1e9 / N), on every CPU */
};

/* A USDT argument as its note gives it (x86-64 "-4@%ebx", "8@-8(%rbp)",
 * "4@$5", "8@sym(%rip)"): where the value is, its size and sign. */
enum bt_uarg_kind {
	BT_UARG_CONST, /* value */
	BT_UARG_REG,   /* the register at reg (struct pt_regs offset), >> shift */
	BT_UARG_MEM,   /* size bytes at register reg + value (user memory) */
	BT_UARG_FILE,  /* size bytes at the probe's address - its file offset
			* + value (a %rip-relative global, as the kernel's
			* "@+OFF" fetcharg of uprobes reads it) */
	BT_UARG_BAD,   /* not readable: why says so */
	BT_UARG_INDEX, /* size bytes at reg + index * scale + value */
};

struct bt_uarg {
	enum bt_uarg_kind kind;
	int size; /* 1, 2, 4, 8 */
	bool is_signed;
	int reg;	/* REG, MEM: offsetof(struct pt_regs, the register) */
	int shift;	/* REG: 8 for %ah-style registers */
	int64_t value;	/* CONST: the value; MEM: displacement; FILE: OFF */
	char *why;	/* BAD: one sentence */
	int index, scale; /* INDEX: the index register (pt_regs offset) */
};

/* One place a probe goes, as the runtime resolved it (api/run_probe.c):
 * a wildcard's match, a USDT probe's location. Sites are told apart in
 * the program by the attach cookie, the site's index. */
struct bt_site {
	char *name;	/* the `probe` builtin's value ("usdt:/path:prov:name") */
	uint64_t file_off; /* USDT: the location's file offset */
	struct bt_uarg *uargs; /* USDT: the note's arguments (arg0..) */
	int nuargs;
};

struct bt_probe {
	enum bt_pkind kind;
	char *spec;	/* as written */
	struct bt_loc loc;
	uint64_t period_ns; /* INTERVAL, PROFILE */
	/* set by the runtime before bt_gen() and owned by it (never freed
	 * with the program): the probe's sites, nsites 0 when the runtime
	 * gave none (`probe` is then spec, argN the calling convention's) */
	struct bt_site *sites;
	int nsites;
};

/* What the runtime found for a probe, for sema: a tracepoint's fields
 * (args->x), a uprobe's DWARF arguments by name (args->x with
 * `uprobe:... { args->n }`), the wildcard's expansion size. */
struct bt_field {
	char *name;
	struct bt_type type;
	uint32_t offset; /* tracepoint: in the record; uprobe: unused */
	bool data_loc;	 /* __data_loc char[]: a string in the record */
	int arg;	 /* uprobe DWARF: the argument's index (arg0..) */
	char *why; /* type NONE: why the field cannot be read ("a parameter
		    * of type 'double' ..."), for sema's error; else NULL
		    * (owned by the callee's ctx) */
};

struct bt_block {
	struct bt_probe *probes;
	int nprobes;
	struct bt_node *pred; /* /expr/ or NULL */
	struct bt_node *body; /* BT_N_BLOCK */
	struct bt_loc loc;
	/* sema.c: the block's scratch variables (index = VAR node's id) */
	char **var_names;
	struct bt_type *var_types;
	int nvars;
};

struct bt_map {
	char *name; /* without '@' ("" for @) */
	struct bt_type key;   /* NONE: no key; a TUPLE for several */
	struct bt_type value; /* INT, STR, ..., or COUNT..LHIST */
	struct bt_loc loc;    /* its first use */
};

/* A printf/system/cat format, checked by sema.c against its arguments:
 * args is the TUPLE of the arguments' types (the message's layout). */
struct bt_format {
	char *fmt;
	struct bt_type args;
	struct bt_loc loc;
};

struct bt_program {
	char *filename; /* "stdin", or the .bt file */
	char *text;	/* the whole source, for carets */
	struct bt_block *blocks;
	int nblocks;
	struct bt_map *maps;
	int nmaps;
	struct bt_format *formats;
	int nformats;
	/* $1..$N from the command line (borrowed by sema, copied here) */
	char **params;
	int nparams;
	/* sema.c: warnings as bpftrace words them ("stdin:1:25-28: WARNING:
	 * Unreachable statement", then the line and the tildes), for the
	 * runtime to log; the program runs */
	char **warnings;
	int nwarnings;
	/* set by the runtime before bt_gen(): each message carries its
	 * stamp (BT_MSG_STAMP_SIZE) */
	bool msg_stamp;
};

/* lang/parse.c: the text into a tree. NULL on error, with err's message
 * "FILE:LINE:COL: what" and err->col the byte offset in text. */
struct bt_program *bt_parse(const char *text, const char *filename,
			    struct lib_error *err);
/* The same with the command line's $1..$N known: bpftrace puts their text
 * into the probes ("i:ms:$1", "BEG$1", "$1"); unroll ($1), lhist()'s
 * bounds and str($1) as a literal read them in bt_check(). */
struct bt_program *bt_parse_params(const char *text, const char *filename,
				   char *const *params, int nparams,
				   struct lib_error *err);
void bt_program_free(struct bt_program *p);

/* What sema needs of each probe, from the runtime: info(ctx, block,
 * probe, &fields, &nfields) gives the probe's fields (owned by the
 * callee's ctx) or -errno with err set (an unknown tracepoint...). */
typedef int (*bt_probe_info_fn)(void *ctx, const struct bt_block *b,
				const struct bt_probe *p,
				const struct bt_field **fields, int *nfields,
				struct lib_error *err);

/* lang/sema.c: types, map and variable slots, formats, every check; a
 * feature not supported is refused here with its place ("... is not
 * supported yet"). 0 or -errno with err set. */
int bt_check(struct bt_program *p, char **params, int nparams,
	     bt_probe_info_fn info, void *ctx, struct lib_error *err);

/* "FILE:LINE:COL: msg\n<the line>\n<spaces>^~~~" for an error at loc. */
void bt_caret(const struct bt_program *p, struct bt_loc loc, FILE *out);

/*
 * What the BPF programs send up the ring buffer: each message starts with
 * a u64 id; what follows depends on it.
 */
enum bt_msg {
	BT_MSG_PRINTF = 1, /* u64 format index, then the args tuple */
	BT_MSG_PRINT,	   /* u64 map index: print(@m); then u64 top, u64 div
			    * (0 when not given) */
	BT_MSG_PRINT_VAL,  /* u64 format index (a one-element tuple): print(x) */
	BT_MSG_CLEAR,	   /* u64 map index: clear(@m) */
	BT_MSG_ZERO,	   /* u64 map index: zero(@m) */
	BT_MSG_TIME,	   /* u64 format index: time("fmt") */
	BT_MSG_EXIT,	   /* exit(); exit(code): u64 0, then s64 code */
	BT_MSG_SYSTEM,	   /* u64 format index, then the args (system()) */
	BT_MSG_CAT,	   /* u64 format index, then the args (cat()) */
};

/* With bt_program.msg_stamp, every message ends with who sent it, when:
 * u64 pid_tgid (tgid << 32 | tid), u64 bpf_ktime_get_ns(), u64 the index
 * of the `probe` builtin's name in bt_compiled.probe_names, char comm[16]
 * (a timeline's instants: sonde run -f perfetto). */
#define BT_MSG_STAMP_SIZE 40

/* backend/bpf/bt_gen*.c: one program per probe of a block, the maps, and
 * the instructions for --dry-run. */
enum bt_map_kind {
	BT_M_HASH,	 /* key -> value (INT, STR, TUPLE...) */
	BT_M_PERCPU,	 /* key -> per-CPU aggregate (COUNT..STATS) */
	BT_M_PERCPU_HIST, /* key + u64 bucket -> per-CPU u64 count */
	/* the special maps (bt_cmap.map -1), see struct bt_compiled */
	BT_M_RINGBUF,
	BT_M_STACKS,  /* STACK_TRACE, value 127 u64 frames */
	BT_M_SCRATCH, /* PERCPU_ARRAY[1] */
	BT_M_ELAPSED, /* ARRAY[1] u64 */
	BT_M_LOST,    /* PERCPU_ARRAY[1] u64 */
};

/*
 * Per-CPU values of BT_M_PERCPU (each CPU's copy; user space combines):
 *   COUNT: u64 count          SUM: s64 sum
 *   MIN, MAX: u64 value ^ bt_minmax_mask(), u64 set (a CPU whose set is
 *             0 saw no value); encoded so that the larger u64 is the one
 *             to keep, and a fresh slot's 0 is what any value replaces
 *   AVG, STATS: u64 count, s64 total
 * BT_M_PERCPU_HIST keys: the key as BT_M_HASH has it (a NONE key: 8 zero
 * bytes) padded to 8 bytes, then a u64 bucket index: hist 0 = negative,
 * 1 = zero, 2 + floor(log2(v)); lhist 0 = below min, 1 + (v - min) / step, above max:
 * 1 + (max - min) / step (bpftrace 0.17's numbering).
 */

/* The XOR that encodes (and decodes) a MIN or MAX value as kept in its
 * map: an unsigned compare of the encoded values orders them as the
 * aggregation wants, and 0 encodes the identity (INT64_MAX for a signed
 * min, 0 for an unsigned max, ...). */
static inline uint64_t bt_minmax_mask(bool is_min, bool is_signed)
{
	if (is_min)
		return is_signed ? 0x7fffffffffffffffULL : ~0ULL;
	return is_signed ? 0x8000000000000000ULL : 0;
}

struct bt_cmap {
	int map;	  /* index into bt_program.maps */
	enum bt_map_kind kind;
	uint32_t key_size, value_size; /* as created (a NONE key: 8 zero
					* bytes) */
	uint32_t max_entries;
	int fd;		  /* api/run.c creates it; -1 before */
};

struct bt_cprog {
	int block, probe; /* which bt_block and bt_probe it runs */
	uint32_t prog_type; /* BPF_PROG_TYPE_KPROBE, _TRACEPOINT, _PERF_EVENT */
	struct bpf_insn *insns;
	size_t ninsns;
	/* where each instruction came from, for the verifier's complaints
	 * and --dry-run: lines[i] is the source line of insns[i] */
	int *lines;
	/* the instructions that load a map's fd (ld_imm64 with
	 * BPF_PSEUDO_MAP_FD): insn index and bt_cmap index, patched by
	 * bt_gen_set_fds() once the maps exist */
	struct {
		size_t insn;
		int cmap;
	} *relocs;
	int nrelocs;
};

struct bt_compiled {
	const struct bt_program *prog; /* borrowed */
	struct bt_cmap *maps;
	int nmaps;
	/* the special maps, indexes into maps (-1: none needed) */
	int ringbuf;	 /* BPF_MAP_TYPE_RINGBUF for the messages */
	int stacks;	 /* BPF_MAP_TYPE_STACK_TRACE for kstack/ustack */
	int scratch;	 /* PERCPU_ARRAY of one big value: strings and
			  * message staging that do not fit the stack */
	int elapsed;	 /* ARRAY[1] u64: the start time, set by the runtime
			  * before the BEGIN probe runs (elapsed) */
	int lost;	 /* PERCPU_ARRAY[1] u64: the messages the ring had
			  * no room for ("Lost N events") */
	struct bt_cprog *progs;
	int nprogs;
	char **probe_names; /* the `probe` builtin's values, as bpftrace
			     * prints them ("uprobe:/bin/bash:readline") */
	int nprobe_names;
};

/* Compile a checked program. The maps are described, not created. */
struct bt_compiled *bt_gen(const struct bt_program *p, struct lib_error *err);
void bt_compiled_free(struct bt_compiled *c);
/* Put the created maps' fds into the programs' ld_imm64 instructions. */
void bt_gen_set_fds(struct bt_compiled *c);
/* --dry-run: each program as readable instructions, with source lines. */
void bt_gen_dump(const struct bt_compiled *c, FILE *out);

/*
 * A map as user space reads it, for printing (decode/bt_maps.c): the CPUs
 * already summed, one row per key. key points to key.size bytes in the
 * key type's layout; for HIST/LHIST the bucket is not in it.
 */
struct bt_map_row {
	const uint8_t *key;
	int64_t value;	       /* INT, COUNT, SUM, MIN, MAX */
	int64_t count, total;  /* AVG, STATS */
	const uint8_t *bytes;  /* STR, TUPLE, KSYM... values: value.size */
	uint64_t *buckets;     /* HIST, LHIST: counts by bucket index */
	int nbuckets;
};

/* How numbers become text (ksym, usym, kstack, ustack need symbols):
 * the runtime gives these, the printer calls them. */
struct bt_symbolizer {
	/* "func+off" or the hex address, into buf */
	void (*ksym)(void *ctx, uint64_t addr, char *buf, size_t len);
	void (*usym)(void *ctx, uint64_t addr, uint32_t tgid, char *buf,
		     size_t len);
	/* the frames of a stack id; the count or -errno */
	int (*stack)(void *ctx, int64_t id, bool user, uint32_t tgid,
		     uint64_t *frames, int max);
	void *ctx;
	const struct bt_compiled *c; /* probe names */
};

/* decode/bt_format.c: printf's format with the args tuple's bytes, as
 * bpftrace prints it (its directives, widths, %s of every type). */
int bt_format_printf(FILE *out, const struct bt_format *f,
		     const uint8_t *args, size_t len,
		     const struct bt_symbolizer *sym);
/* A value alone, as print() and map printing show it. */
void bt_format_value(FILE *out, const struct bt_type *t, const uint8_t *v,
		     const struct bt_symbolizer *sym);

/* At exit bpftrace 0.17 prints "\n\n" (text and json alike, maps or
 * none), then every map in bt_map_order(), each by bt_print_map().
 * decode/bt_maps.c: a map as bpftrace prints it at exit and with print():
 * sorted as bpftrace sorts, hist bars, "@name[key]: value" lines; json:
 * bpftrace's -f json object. top/div: print(@m, top, div). */
void bt_print_map(FILE *out, const struct bt_map *m, struct bt_map_row *rows,
		  int nrows, bool json, int top, int div,
		  const struct bt_symbolizer *sym);

/* print(@m) of a map with no key and nothing in it: bpftrace (0.18 on)
 * prints its zero ("@: 0"). True, with *row that zero, for the maps that
 * have one (integers, count, sum, avg, stats). */
bool bt_map_zero_row(const struct bt_map *m, struct bt_map_row *row);

/* decode/bt_format.c: a whole message as bpftrace -f text|json prints it.
 * Text: printf's text as is; json: {"type": "printf", "data": "..."}. */
int bt_print_printf(FILE *out, const struct bt_format *f, const uint8_t *args,
		    size_t len, bool json, const struct bt_symbolizer *sym);
/* print(x): the value and a newline; json {"type": "value", "data": v} */
void bt_print_value(FILE *out, const struct bt_type *t, const uint8_t *v,
		    bool json, const struct bt_symbolizer *sym);
/* Text made elsewhere (time()'s strftime, cat()): as is, or in json
 * {"type": "<type>", "data": "<text escaped>"} and a newline. */
void bt_print_text(FILE *out, const char *type, const char *text, size_t len,
		   bool json);
/* A value in bpftrace's JSON form (numbers, "strings", [tuples]). */
void bt_format_value_json(FILE *out, const struct bt_type *t,
			  const uint8_t *v, const struct bt_symbolizer *sym);

/* decode/bt_maps.c: the order bpftrace prints the maps in at exit (by
 * name, byte order, "@" first): order[0..p->nmaps) gets the indexes. */
void bt_map_order(const struct bt_program *p, int *order);

#endif
