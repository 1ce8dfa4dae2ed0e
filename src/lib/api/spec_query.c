/* SPDX-License-Identifier: MIT */
/*
 * sonde_spec__*: a probe spec parsed by the library's one parser and asked
 * what it is (return probe, argument names), so that a caller building
 * specs never reads spec text itself. Memory only.
 */
#include <errno.h>
#include <stdlib.h>

#include <sonde/sonde.h>

#include "spec/spec.h"

struct sonde_spec {
	struct probe_spec sp;
};

struct sonde_spec *sonde_spec__parse(const char *text)
{
	struct sonde_spec *spec;
	int err;

	if (!text) {
		errno = EINVAL;
		return NULL;
	}
	spec = calloc(1, sizeof(*spec));
	if (!spec) {
		errno = ENOMEM;
		return NULL;
	}
	/* as sonde_session__add_probe() takes it: kernel patterns too */
	err = spec_parse_pattern(text, &spec->sp, NULL);
	if (err) {
		free(spec);
		errno = -err;
		return NULL;
	}
	return spec;
}

void sonde_spec__free(struct sonde_spec *spec)
{
	if (!spec)
		return;
	spec_free(&spec->sp);
	free(spec);
}

bool sonde_spec__is_return(const struct sonde_spec *spec)
{
	return spec && probe_kind_is_return(spec->sp.kind);
}

int sonde_spec__arg_count(const struct sonde_spec *spec)
{
	return spec ? (int)spec->sp.nargs : 0;
}

const char *sonde_spec__arg_name(const struct sonde_spec *spec, int i)
{
	if (!spec || i < 0 || (size_t)i >= spec->sp.nargs)
		return NULL;
	return spec->sp.args[i].name;
}
