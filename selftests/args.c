// SPDX-License-Identifier: GPL-2.0
/* The selftests' command lines: see args.h. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "kselftest.h"
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

bool arg_double(const char *prog, const char *flag, const char *arg,
		double min, double max, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno || end == arg || *end || !(v >= min && v <= max)) {
		fprintf(stderr, "%s: --%s %s: want a number in [%g, %g]\n",
			prog, flag, arg, min, max);
		return false;
	}
	*out = v;
	return true;
}

#define ARGS_MAX	32
/* getopt_long()'s value for specs[i]; above every one-letter option. */
#define ARG_VAL(i)	(256 + (i))

int args_parse(int argc, char **argv, const struct arg_spec *specs,
	       void (*usage)(FILE *f, const char *prog))
{
	struct option opts[ARGS_MAX + 2];
	char shorts[2 * ARGS_MAX + 2], *s = shorts;
	const struct arg_spec *a;
	int n, i, opt;

	for (n = 0; specs[n].name; n++) {
		if (n == ARGS_MAX) {
			fprintf(stderr, "%s: more than %d options\n", argv[0],
				ARGS_MAX);
			return KSFT_FAIL;
		}
		opts[n] = (struct option){
			.name = specs[n].name,
			.has_arg = specs[n].type == ARG_FLAG ? no_argument :
							       required_argument,
			.val = ARG_VAL(n),
		};
		if (specs[n].short_name) {
			*s++ = (char)specs[n].short_name;
			if (specs[n].type != ARG_FLAG)
				*s++ = ':';
		}
	}
	opts[n] = (struct option){ .name = "help", .val = 'h' };
	opts[n + 1] = (struct option){ 0 };
	*s++ = 'h';
	*s = '\0';

	while ((opt = getopt_long(argc, argv, shorts, opts, NULL)) != -1) {
		if (opt == 'h') {
			usage(stdout, argv[0]);
			return KSFT_PASS;
		}
		for (i = 0; i < n; i++)
			if (opt == ARG_VAL(i) || opt == specs[i].short_name)
				break;
		if (i == n) {
			/* getopt_long() said what it was. */
			usage(stderr, argv[0]);
			return KSFT_FAIL;
		}
		a = &specs[i];
		switch (a->type) {
		case ARG_FLAG:
			*(bool *)a->out = true;
			break;
		case ARG_STR:
			*(const char **)a->out = optarg;
			break;
		case ARG_U64:
			if (!arg_u64(argv[0], a->name, optarg, a->min, a->max,
				     a->out))
				return KSFT_FAIL;
			break;
		case ARG_DOUBLE:
			if (!arg_double(argv[0], a->name, optarg, a->dmin,
					a->dmax, a->out))
				return KSFT_FAIL;
			break;
		case ARG_FN:
			if (!a->fn(argv[0], a->name, optarg, a->out))
				return KSFT_FAIL;
			break;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "%s: '%s' is not an option\n", argv[0],
			argv[optind]);
		usage(stderr, argv[0]);
		return KSFT_FAIL;
	}
	return -1;
}
