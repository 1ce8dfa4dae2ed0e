/* SPDX-License-Identifier: MIT */
/*
 * C++ demangling through libstdc++'s __cxa_demangle (the Itanium C++ ABI's
 * C-callable demangler, cxxabi.h), looked up with dlopen() when the first
 * mangled name is met. Why not link it: sonde is C, and a tracer for small
 * machines should not need libstdc++ to trace C programs; a machine that
 * runs C++ programs has libstdc++.so.6. Without it names stay mangled,
 * which is still correct, only less readable.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "demangle.h"

typedef char *(*cxa_demangle_fn)(const char *mangled, char *buf, size_t *len,
				 int *status);

static cxa_demangle_fn cxa_demangle;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void load(void)
{
	void *h = dlopen("libstdc++.so.6", RTLD_LAZY | RTLD_LOCAL);

	if (h)
		cxa_demangle = (cxa_demangle_fn)dlsym(h, "__cxa_demangle");
	/* h stays open: the function is used for the life of the process */
}

bool demangle_is_mangled(const char *name)
{
	return name[0] == '_' && name[1] == 'Z';
}

char *demangle(const char *name)
{
	int status = -1;
	char *d;

	if (!demangle_is_mangled(name))
		return NULL;
	pthread_once(&once, load);
	if (!cxa_demangle)
		return NULL;
	d = cxa_demangle(name, NULL, NULL, &status);
	if (status) {
		free(d);
		return NULL;
	}
	return d;
}

/* Walk back from the last ')' to its '(' (template arguments and function
 * pointer parameters nest). */
size_t demangle_base_len(const char *dname)
{
	size_t len = strlen(dname), i;
	int depth = 0;

	i = len;
	while (i > 0 && dname[i - 1] != ')') {
		/* trailing qualifiers: " const", " &", " volatile", " &&" */
		if (dname[i - 1] == '>' || dname[i - 1] == ']')
			return len;
		i--;
	}
	if (!i)
		return len;
	while (i > 0) {
		char c = dname[--i];

		if (c == ')')
			depth++;
		else if (c == '(' && --depth == 0)
			break;
	}
	if (depth)
		return len;
	/* "operator()(int)": the '(' found belongs to the parameters */
	return i;
}
