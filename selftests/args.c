// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "args.h"

bool arg_u64(const char *prog, const char *flag, const char *arg,
	     uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;

	errno = 0;
	*out = strtoull(arg, &end, 10);
	if (errno || !*arg || *end || *arg == '-' || *out < min || *out > max) {
		fprintf(stderr, "%s: --%s: '%s' is not a number in %" PRIu64 "..%" PRIu64 "\n",
			prog, flag, arg, min, max);
		return false;
	}
	return true;
}
