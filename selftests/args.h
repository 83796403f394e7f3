/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The selftests' command lines, parsed and refused the same way in every
 * program:
 *
 *   --help, -h       the usage on stdout, exit KSFT_PASS;
 *   a bad command    an unknown option, a missing value, an argument that
 *                    is not an option, a value out of its range: what was
 *                    wrong (and, but for a bad value, the usage) on stderr,
 *                    exit KSFT_FAIL.
 *
 * A program lists its options as a table of struct arg_spec ending with
 * ARG_END and calls args_parse() first thing in main().
 */
#ifndef _TSCPAGE_SELFTESTS_ARGS_H
#define _TSCPAGE_SELFTESTS_ARGS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum arg_type {
	ARG_FLAG,	/* no value; *(bool *)out = true */
	ARG_STR,	/* *(const char **)out = the value */
	ARG_U64,	/* *(uint64_t *)out, decimal, in [min, max] */
	ARG_DOUBLE,	/* *(double *)out, in [dmin, dmax] */
	ARG_FN,		/* fn(prog, name, value, out); false refuses */
};

struct arg_spec {
	const char *name;	/* the long option, without "--" */
	int short_name;		/* its one-letter form, or 0 */
	enum arg_type type;
	void *out;
	uint64_t min, max;	/* ARG_U64 */
	double dmin, dmax;	/* ARG_DOUBLE */
	/* ARG_FN: says what is wrong on stderr when it refuses. */
	bool (*fn)(const char *prog, const char *name, const char *value,
		   void *out);
};

#define ARG_FLAG(n, s, p)	{ .name = (n), .short_name = (s), \
				  .type = ARG_FLAG, .out = (p) }
#define ARG_STR(n, s, p)	{ .name = (n), .short_name = (s), \
				  .type = ARG_STR, .out = (p) }
#define ARG_U64(n, s, p, lo, hi) { .name = (n), .short_name = (s), \
				  .type = ARG_U64, .out = (p), \
				  .min = (lo), .max = (hi) }
#define ARG_DOUBLE(n, s, p, lo, hi) { .name = (n), .short_name = (s), \
				  .type = ARG_DOUBLE, .out = (p), \
				  .dmin = (lo), .dmax = (hi) }
#define ARG_FN(n, s, f, p)	{ .name = (n), .short_name = (s), \
				  .type = ARG_FN, .fn = (f), .out = (p) }
#define ARG_END			{ .name = NULL }

/*
 * Parses argv by @specs. Returns -1 when the program goes on, else the
 * status main() returns (above). @usage prints the program's usage on
 * the stream it is given, naming the program @prog.
 */
int args_parse(int argc, char **argv, const struct arg_spec *specs,
	       void (*usage)(FILE *f, const char *prog));

/*
 * Parses @arg, the value of option --@flag, as a decimal number in
 * [@min, @max] into *@out. On bad input says so on stderr, naming @prog,
 * the option and the range, and returns false.
 */
bool arg_u64(const char *prog, const char *flag, const char *arg,
	     uint64_t min, uint64_t max, uint64_t *out);

/* Likewise for a number with a fraction, in [@min, @max]. */
bool arg_double(const char *prog, const char *flag, const char *arg,
		double min, double max, double *out);

#endif /* _TSCPAGE_SELFTESTS_ARGS_H */
