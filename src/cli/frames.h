/* SPDX-License-Identifier: MIT */
/* A stack's frames as text (frames.c). */
#ifndef SONDE_CLI_FRAMES_H
#define SONDE_CLI_FRAMES_H

#include <stdbool.h>
#include <stdint.h>

#include <sonde/sonde.h>

typedef void (*frame_text_fn)(const char *text, void *ctx);

/* fn for each frame that frames[i] prints as, innermost first: with DWARF
 * unwinding, the functions inlined there and then its own, with file and
 * line; names: the function names alone. The first kframes of frames are
 * kernel frames. */
void cli_frame_texts(const struct sonde_event *ev, const uint64_t *frames,
		     int i, int kframes, bool names, frame_text_fn fn,
		     void *ctx);
/* "func+0x1a (x.so)" -> "func", in place. */
void cli_frame_name(char *buf);
/* A hash of a process's stack (its frames' addresses). */
uint64_t cli_stack_hash(int pid, const uint64_t *f, int n);

#endif
