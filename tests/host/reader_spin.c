// SPDX-License-Identifier: GPL-2.0
/*
 * reader_spin - how long a sample of include/tscpage/reader.h spins on a
 * page stuck mid-update: a number of attempts, or a number of TSC cycles.
 *
 * The clocksource read may run in NMI, and a stuck page must cost it a
 * bounded time whatever a PAUSE costs on the CPU (a few cycles on some,
 * over a hundred on others): tscpage.ko bounds it in TSC cycles with
 * tscpage_pvclock_sample_bounded() and tscpage_hvref_sample_bounded().
 * On a pvclock page whose version stays odd:
 *
 *  1. attempts only (max_cycles 0): -EAGAIN after max_retries + 1
 *     attempts (1001);
 *  2. cycles: max_retries near UINT_MAX (minutes of PAUSEs) and
 *     max_cycles 10^7: -EAGAIN with at least 10^7 cycles spent, and
 *     long before the attempts run out (a bound that did not work would
 *     spin past the test's time limit);
 *  3. the same on a healthy page: 0 at the first attempt.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <tscpage/reader.h>

#include "kselftest.h"

#define SPIN_CYCLES	10000000ULL

int main(void)
{
	struct tscpage_pvclock page = {
		.version = 3,	/* odd: an update in progress, for ever */
		.tsc_timestamp = 1000,
		.system_time = 1000000,
		.tsc_to_system_mul = 0x80000000u,
		.tsc_shift = 0,
		.flags = TSCPAGE_PVCLOCK_TSC_STABLE,
	};
	struct tscpage_pvclock_sample s;
	uint64_t t0, spent;
	int err;

	ksft_print_header();
	ksft_set_plan(3);

	memset(&s, 0, sizeof(s));
	err = tscpage_pvclock_sample_bounded(&page, 1000, 0, &s);
	ksft_test_result(err == -EAGAIN && s.retries == 1001,
			 "stuck page, 1000 retries, no cycle bound: %s after %u attempts (want EAGAIN after 1001)\n",
			 err == -EAGAIN ? "EAGAIN" : strerror(-err), s.retries);

	memset(&s, 0, sizeof(s));
	t0 = tp_rdtsc_ordered();
	err = tscpage_pvclock_sample_bounded(&page, UINT_MAX - 1, SPIN_CYCLES,
					     &s);
	spent = tp_rdtsc_ordered() - t0;
	ksft_test_result(err == -EAGAIN && spent >= SPIN_CYCLES &&
			 s.retries < UINT_MAX - 1,
			 "stuck page, %u retries allowed, %llu cycles: %s after %u attempts, %llu cycles\n",
			 UINT_MAX - 1, SPIN_CYCLES,
			 err == -EAGAIN ? "EAGAIN" : strerror(-err), s.retries,
			 (unsigned long long)spent);

	page.version = 4;
	memset(&s, 0, sizeof(s));
	err = tscpage_pvclock_sample_bounded(&page, UINT_MAX - 1, SPIN_CYCLES,
					     &s);
	ksft_test_result(!err && !s.retries,
			 "healthy page with the cycle bound: %s, %u retries\n",
			 err ? strerror(-err) : "0", s.retries);
	ksft_finished();
	return 0;
}
