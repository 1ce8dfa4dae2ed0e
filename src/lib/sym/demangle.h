/* SPDX-License-Identifier: MIT */
/* C++ (Itanium ABI) symbol names, demangled for matching and output. */
#ifndef SONDE_DEMANGLE_H
#define SONDE_DEMANGLE_H

#include <stdbool.h>
#include <stddef.h>

/* Does name look mangled ("_Z...")? */
bool demangle_is_mangled(const char *name);
/* "_ZN2ns3Cls6methodEi" -> malloc'd "ns::Cls::method(int)", or NULL (not
 * mangled, no demangler on this machine, or invalid). */
char *demangle(const char *name);
/* The length of dname without its parameter list and qualifiers:
 * "ns::Cls::method(int) const" -> strlen("ns::Cls::method"). */
size_t demangle_base_len(const char *dname);

#endif
