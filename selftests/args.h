/* SPDX-License-Identifier: GPL-2.0 */
/* Command-line numbers for the selftests, checked the same way everywhere. */
#ifndef _TSCPAGE_SELFTESTS_ARGS_H
#define _TSCPAGE_SELFTESTS_ARGS_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Parses @arg, the value of option --@flag, as a decimal number in
 * [@min, @max] into *@out. On bad input says so on stderr, naming @prog,
 * the option and the range, and returns false.
 */
bool arg_u64(const char *prog, const char *flag, const char *arg,
	     uint64_t min, uint64_t max, uint64_t *out);

#endif /* _TSCPAGE_SELFTESTS_ARGS_H */
