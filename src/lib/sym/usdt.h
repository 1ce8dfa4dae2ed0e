/* SPDX-License-Identifier: MIT */
/* USDT (SystemTap SDT) probes: .note.stapsdt -> uprobe locations, semaphores
 * and kernel fetchargs (libelf). */
#ifndef SONDE_USDT_H
#define SONDE_USDT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

struct usdt_probe {
	const char *provider, *name; /* owned by the usdt_file */
	const char *args;	     /* the note's argument text, e.g.
				      * "-4@%ebx 8@counter(%rip)" */
	uint64_t pc;		     /* vaddr, adjusted for prelink */
	uint64_t offset;	     /* file offset of pc (the uprobe's) */
	uint64_t sem_addr;	     /* semaphore vaddr, 0 when none */
	uint64_t sem_offset;	     /* its file offset: ref_ctr_offset */
};

struct usdt_arg {
	int size; /* bytes: 1, 2, 4, 8 */
	bool is_signed;
	char fetch[64]; /* the kernel's fetcharg: %bx, +12(%sp), @+0x4028 */
	char type[16];	/* u8..u64, s8..s64; b8@8/64 for %ah-style registers */
};

struct usdt_file;

/* Read every probe of the ELF file at path. 0 (a file without probes has
 * none), or -errno: -ENOEXEC not ELF or a malformed note, -ENOMEM. */
int usdt_open(const char *path, struct usdt_file **out);
void usdt_close(struct usdt_file *f);
size_t usdt_count(const struct usdt_file *f);
const struct usdt_probe *usdt_get(const struct usdt_file *f, size_t i);

/* How many arguments the probe's note has. */
int usdt_nargs(const struct usdt_probe *p);

/*
 * Argument n (1-based) of the probe as a kernel fetcharg. Returns 0, -ERANGE
 * (no such argument) or -EINVAL (a form the kernel cannot fetch), with one
 * sentence in err.
 */
int usdt_arg(const struct usdt_file *f, const struct usdt_probe *p, int n,
	     struct usdt_arg *a, struct lib_error *err);

/*
 * One x86-64 argument spec of a note ("-4@%ebx", "8@-8(%rbp)",
 * "-8@counter(%rip)", "4@$5") -> fetcharg and type. sym() gives a symbol's
 * vaddr (0 = found, else -ENOENT); pc and pc_offset are the probe's vaddr
 * and file offset, for the "@+OFF" of %rip-relative operands. 0 or -EINVAL
 * with err.
 */
int usdt_arg_parse(const char *spec,
		   int (*sym)(void *ctx, const char *name, uint64_t *vaddr),
		   void *ctx, uint64_t pc, uint64_t pc_offset,
		   struct usdt_arg *a, struct lib_error *err);

struct sonde_session;
struct probe;
/* session.c: p->path and p->spec are set: place the probe on location
 * p->spec.usdt_loc of the USDT probe p->spec names (offset, semaphore as
 * ref_ctr_offset, spec.usdt_nlocs) and resolve its argN (all of the
 * note's arguments when the spec gives none). 0 or -errno with the
 * session's message. */
int usdt_resolve_probe(struct sonde_session *s, struct probe *p);

#endif
