/* SPDX-License-Identifier: MIT */
/*
 * Values that could not be read: which fields of an event are faults
 * (fault.c).
 */
#ifndef SONDE_FAULT_H
#define SONDE_FAULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FAULT_MAX_LEVELS 16

/* An argument read through pointers by the kernel (tracefs and perf's
 * tracefs-made events), checked through hidden fields holding each
 * pointer of its chain. */
struct fault_chain {
	int field; /* the visible field */
	int first; /* its first hidden field, in probe->hidden */
	int nlev;  /* dereferences */
	int64_t off[FAULT_MAX_LEVELS]; /* innermost first */
	unsigned int size; /* bytes read at the last one; 0: a string */
};

/* The names of the fields sonde adds to a definition for itself (the
 * pointers of a chain, the comm at the hit): never shown, never set. */
#define FAULT_HIDDEN_PREFIX "__sonde_p"

struct sonde_session;
struct probe;
struct probe_arg;

/* Append to a definition the hidden fields of the args that need them
 * (user-memory reads). 0 or -ENOMEM. */
int fault_hidden_args(const struct probe *p, char **def, size_t *len);
/* After p->fmt is parsed: take the hidden fields out of the visible ones
 * and build the chains. 0 or -ENOMEM. */
int fault_setup(struct probe *p);
/* Which fields of this record are faults (bit i: field i). A 0 read at
 * an address that may be mapped is read again from the process; when it
 * is gone, *unchecked gets its bit (a 0 or a fault: sonde cannot tell). */
uint64_t fault_mask(const struct probe *p, const uint8_t *rec, size_t len,
		    uint64_t *unchecked);
/* The comm of the task at the hit, from the record's hidden $comm field
 * into comm; false when the probe has none (a tracepoint, 128 args). */
bool fault_record_comm(const struct probe *p, const uint8_t *rec, size_t len,
		       char *comm, size_t size);
void fault_free(struct probe *p);

#endif
