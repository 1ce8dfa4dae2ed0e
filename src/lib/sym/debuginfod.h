/* SPDX-License-Identifier: MIT */
/*
 * Debug files fetched from debuginfod servers by build-id, with elfutils'
 * client (libdebuginfod), when no local one was found (debuginfo.c);
 * sonde_debuginfod_configure() and sonde_debuginfod_state() (sonde.h)
 * are its public side.
 * The client reads its own environment: DEBUGINFOD_URLS (the servers; unset
 * or empty: nothing is fetched), DEBUGINFOD_CACHE_PATH (default
 * ~/.cache/debuginfod_client), DEBUGINFOD_TIMEOUT (seconds to connect and
 * get the first 100 kB, default 90), DEBUGINFOD_MAXTIME/MAXSIZE.
 * The library is opened with dlopen() when first needed: sonde starts as
 * fast without it and runs where it is not installed.
 */
#ifndef SONDE_DEBUGINFOD_H
#define SONDE_DEBUGINFOD_H

#include <stdbool.h>
#include <stddef.h>

#include <sonde/sonde.h>

/*
 * The debug file of build-id hex (lowercase hex digits), for the file at
 * path (messages only): 0 with *out the malloc'd path of the file in the
 * client's cache, else -errno (-ENOENT: no server has it, or fetching is
 * off; -ENOTSUP: no library). Each build-id is asked once per process;
 * a failure other than "not there" is a warning, said once; note (when
 * given and still empty) gets one sentence about the failure.
 */
int debuginfod_fetch(const char *hex, const char *path, char **out,
		     char *note, size_t notelen);

#endif
