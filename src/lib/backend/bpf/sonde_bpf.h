/* SPDX-License-Identifier: MIT */
/*
 * In-kernel aggregation (sonde_bpf_agg__*) is declared in sonde.h's
 * "Aggregations" section; this header stays for the library's own files.
 */
#ifndef SONDE_BPF_H
#define SONDE_BPF_H

#include <sonde/sonde.h>

#endif
