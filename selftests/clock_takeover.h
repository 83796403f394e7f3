/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Taking the clock: a test makes a clocksource current (tscpage, mostly),
 * runs, and hands the clock back to the one that was current before,
 * each said as one KTAP result in the same words in every test:
 *
 *   ok N tscpage made current (was kvm-clock)
 *   ...
 *   ok M clocksource handed back from tscpage to kvm-clock
 *
 * The kernel may refuse the previous clocksource back: its watchdog marked
 * it unstable meanwhile (clocksource_restore()). That is the kernel's
 * verdict on its own clock, not on the one tested, so it is reported and
 * the kernel's own choice accepted, provided it is not the tested one.
 *
 * Root only (sysfs). The results are the caller's to give: kselftest.h
 * keeps its counters per source file, so these return the verdict and the
 * words, and the caller calls ksft_test_result().
 */
#ifndef _TSCPAGE_SELFTESTS_CLOCK_TAKEOVER_H
#define _TSCPAGE_SELFTESTS_CLOCK_TAKEOVER_H

#include <stdbool.h>
#include <stddef.h>

#include "clocksource_sysfs.h"

#define CLOCK_TAKEOVER_MSG	192	/* room for the words of a result */
/* The results of a take and its give: the plan counts them. */
#define CLOCK_TAKEOVER_RESULTS	2

struct clock_takeover {
	char prev[CLOCKSOURCE_NAME_MAX];	/* current before the take */
	bool known;				/* prev could be read */
	const char *name;			/* the clocksource taken */
};

/*
 * Remembers the current clocksource in @t and makes @name current: 0, or
 * -errno (-EPROTO: the kernel kept another). @msg: "NAME made current (was
 * PREV)", and what went wrong. A failed take may still have changed the
 * clock: clock_give() is due either way.
 */
int clock_take(struct clock_takeover *t, const char *name, char *msg,
	       size_t size);

/*
 * Hands the clock back to @t->prev: whether the clocksource taken is no
 * longer current (or was current before the take too). @msg: "clocksource
 * handed back from NAME to NOW", and a refusal or an error.
 */
bool clock_give(const struct clock_takeover *t, char *msg, size_t size);

#endif /* _TSCPAGE_SELFTESTS_CLOCK_TAKEOVER_H */
