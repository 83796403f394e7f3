// SPDX-License-Identifier: GPL-2.0
/*
 * test_libtscpage - libtscpage on this machine: it picks the best source
 * there is, its time is CLOCK_MONOTONIC_RAW plus a constant to within the
 * width of a bracket, it never goes back within or across threads, and it
 * refuses bad flags. Where no page is usable (not a kvm-clock guest, no
 * tscpage.ko) the page checks are skipped with the reason.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "kselftest.h"
#include "libtscpage.h"

#define SAMPLES		100000
#define THREADS		4
#define THREAD_READS	2000000
/*
 * How far the library's time may stray from CLOCK_MONOTONIC_RAW plus the
 * offset it measured at open: that offset is the midpoint of the
 * narrowest of 16 brackets (40 to 50 ns wide here), so its own error is
 * under half a bracket; 1 us leaves room for a preempted open.
 */
#define TOLERANCE_NS	1000

static uint64_t raw_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The library's time against CLOCK_MONOTONIC_RAW, bracketed. */
static void check_agreement(struct tscpage_clock *c)
{
	int64_t off = 0, lo, hi, worst = 0;
	uint64_t before, ns, after, bad = 0;
	int i;

	for (i = 0; i < SAMPLES; i++) {
		before = raw_ns();
		ns = tscpage_clock_ns(c);
		after = raw_ns();
		if (!i)
			off = (int64_t)(ns - before);
		lo = (int64_t)(before - ns) + off - TOLERANCE_NS;
		hi = (int64_t)(after - ns) + off + TOLERANCE_NS;
		if (lo > 0 || hi < 0) {
			bad++;
			if (llabs(lo > 0 ? lo : hi) > llabs(worst))
				worst = lo > 0 ? lo : hi;
		}
	}
	ksft_test_result(!bad, "%s: time is CLOCK_MONOTONIC_RAW %+" PRId64 " ns within %d ns over %d samples (%" PRIu64 " outside, worst by %" PRId64 " ns)\n",
			 tscpage_clock_source_name(tscpage_clock_source(c)),
			 off, TOLERANCE_NS, SAMPLES, bad, worst);
}

struct reader {
	struct tscpage_clock *c;
	uint64_t backward, warps;
};

/* The largest time any thread has published. */
static atomic_uint_fast64_t published;

/*
 * Each thread reads the largest published time, then the clock: the
 * clock must not be below it (it was returned before this read began),
 * nor below this thread's own previous reading.
 */
static void *reader_fn(void *arg)
{
	struct reader *r = arg;
	uint64_t prev = 0, seen, t, cur;
	int i;

	for (i = 0; i < THREAD_READS; i++) {
		seen = atomic_load_explicit(&published, memory_order_acquire);
		t = tscpage_clock_ns(r->c);
		if (t < prev)
			r->backward++;
		if (t < seen)
			r->warps++;
		prev = t;
		cur = atomic_load_explicit(&published, memory_order_relaxed);
		while (cur < t &&
		       !atomic_compare_exchange_weak_explicit(&published, &cur, t,
							      memory_order_release,
							      memory_order_relaxed))
			;
	}
	return NULL;
}

static void check_threads(struct tscpage_clock *c)
{
	struct reader r[THREADS] = { 0 };
	pthread_t t[THREADS];
	uint64_t backward = 0, warps = 0;
	int i;

	for (i = 0; i < THREADS; i++) {
		r[i].c = c;
		if (pthread_create(&t[i], NULL, reader_fn, &r[i]))
			ksft_exit_fail_msg("pthread_create failed\n");
	}
	for (i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		backward += r[i].backward;
		warps += r[i].warps;
	}
	ksft_test_result(!backward && !warps,
			 "%s: %d threads x %d reads: %" PRIu64 " backward, %" PRIu64 " behind another thread\n",
			 tscpage_clock_source_name(tscpage_clock_source(c)),
			 THREADS, THREAD_READS, backward, warps);
}

int main(void)
{
	struct tscpage_clock *c;

	ksft_print_header();
	ksft_set_plan(7);

	errno = 0;
	c = tscpage_clock_open(1U << 7);
	ksft_test_result(!c && errno == EINVAL,
			 "unknown flags refused with EINVAL (%s)\n",
			 c ? "opened" : strerror(errno));
	tscpage_clock_close(c);

	c = tscpage_clock_open(TSCPAGE_CLOCK_NO_DEVICE | TSCPAGE_CLOCK_NO_VVAR);
	if (!c)
		ksft_exit_fail_msg("tscpage_clock_open: %s\n", strerror(errno));
	ksft_test_result(tscpage_clock_source(c) == TSCPAGE_CLOCK_SYSCALL,
			 "both pages excluded: source %s\n",
			 tscpage_clock_source_name(tscpage_clock_source(c)));
	check_threads(c);
	tscpage_clock_close(c);

	c = tscpage_clock_open(0);
	if (!c)
		ksft_exit_fail_msg("tscpage_clock_open: %s\n", strerror(errno));
	ksft_print_msg("best source here: %s\n",
		       tscpage_clock_source_name(tscpage_clock_source(c)));
	if (tscpage_clock_source(c) == TSCPAGE_CLOCK_SYSCALL) {
		ksft_test_result_skip("no usable page here (no /dev/tscpage, no stable kvmclock or Hyper-V page in the vDSO)\n");
		ksft_test_result_skip("page time against CLOCK_MONOTONIC_RAW: no page\n");
		ksft_test_result_skip("threads over the page: no page\n");
		ksft_test_result_skip("fallbacks: no page\n");
	} else {
		ksft_test_result_pass("a page source: %s\n",
				      tscpage_clock_source_name(tscpage_clock_source(c)));
		check_agreement(c);
		check_threads(c);
		ksft_test_result(!tscpage_clock_fallbacks(c),
				 "no read fell back to the syscall (%" PRIu64 "), generation %" PRIu64 "\n",
				 tscpage_clock_fallbacks(c),
				 tscpage_clock_generation(c));
	}
	tscpage_clock_close(c);
	ksft_finished();
}
