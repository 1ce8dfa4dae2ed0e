/* SPDX-License-Identifier: MIT */
/* sonde stack --svg FILE: counted stacks drawn as one self-contained,
 * interactive SVG flame graph (flame_svg.c). */
#ifndef SONDE_CLI_FLAME_SVG_H
#define SONDE_CLI_FLAME_SVG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct flame_stack {
	const char *frames; /* root first, ';' between frames (folded) */
	uint64_t count;
};

/* The layout, for readers of the file (tests): the picture is
 * FLAME_SVG_WIDTH wide, the boxes span it but FLAME_SVG_PAD on each side,
 * and a box narrower than FLAME_SVG_MIN_WIDTH is not drawn. */
#define FLAME_SVG_WIDTH 1200
#define FLAME_SVG_PAD 10
#define FLAME_SVG_MIN_WIDTH 0.1

/*
 * Write the flame graph of the n stacks to out: a root box "all" as wide
 * as every hit, on it a box per frame as wide as the hits of the stacks
 * through it, equal stacks and equal first frames merged. title and
 * subtitle (NULL: none) are one line each, shown at the top. stacks is
 * sorted in place; the strings are borrowed. Returns 0 or -ENOMEM (out
 * then holds a part); write errors are left in out.
 */
int flame_svg_write(FILE *out, struct flame_stack *stacks, size_t n,
		    const char *title, const char *subtitle);

#endif
