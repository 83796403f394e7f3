// SPDX-License-Identifier: GPL-2.0
/*
 * reader_vvar - the shared reader on a real hypervisor page: this KVM
 * guest's own kvmclock page, which the kernel maps read-only into every
 * process for the vDSO.
 *
 * The page is a struct pvclock_vcpu_time_info (the layout of struct
 * tscpage_pvclock) at offset 0 of a page of the vvar area:
 *   - 6.13 and later: the first page of [vvar_vclock] (the second is the
 *     Hyper-V page);
 *   - 5.6 to 6.12: the second of the four pages of [vvar] (vvar,
 *     pvclock, hvclock, timens: arch/x86/entry/vdso/vdso-layout.lds.S);
 *     checked against the 6.12 sources, so used only up to 6.12.
 * The kernel inserts it only while the vDSO reads time from it; it is
 * found and probed by libtscpage's own tscpage_vvar_find()
 * (tools/lib/vvar.c), so the test reads the page the library reads.
 *
 * Runs only when kvm-clock is the current clocksource and the page says
 * TSC_STABLE (the vDSO itself uses the page only then); skips otherwise.
 *
 * The kernel's CLOCK_MONOTONIC_RAW then counts kvm-clock nanoseconds (a
 * 1 GHz clocksource: its raw multiplier is exactly 1), so our reading of
 * the page and CLOCK_MONOTONIC_RAW must differ by a constant. Every point
 * takes the page's time between two CLOCK_MONOTONIC_RAW reads and keeps
 * the narrowest of a few tries; over --duration seconds the page's time
 * is fitted against the midpoints:
 *   - jitter: spread (max - min) of the residuals of that fit;
 *   - rate error: slope - 1, in ppm.
 * Also printed: the offset, the TSC frequency the page implies and the
 * one measured against CLOCK_MONOTONIC_RAW, and the cost of a read by our
 * reader, by a bare ordered RDTSC and by clock_gettime() (figures only).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <tscpage/reader.h>

#include "kselftest.h"
#include "vvar.h"

/*
 * The kernel's struct pvclock_vcpu_time_info, which the page holds, read
 * through ours: the same bytes at the same places, or nothing here holds.
 */
_Static_assert(sizeof(struct tscpage_pvclock) == 32, "pvclock size");
_Static_assert(offsetof(struct tscpage_pvclock, tsc_timestamp) == 8, "layout");
_Static_assert(offsetof(struct tscpage_pvclock, system_time) == 16, "layout");
_Static_assert(offsetof(struct tscpage_pvclock, tsc_to_system_mul) == 24,
	       "layout");
_Static_assert(offsetof(struct tscpage_pvclock, tsc_shift) == 28, "layout");
_Static_assert(offsetof(struct tscpage_pvclock, flags) == 29, "layout");

#define CURRENT_CS "/sys/devices/system/clocksource/clocksource0/current_clocksource"

/*
 * Both clocks are computed from the same TSC by the same formula on the
 * same page, so the true jitter is at most a nanosecond of rounding; what
 * is measured is how well a bracket pins the moment of the page read.
 * Brackets wider than MAX_BRACKET_NS (the thread was interrupted between
 * its reads) are dropped, so a kept point is off by at most half that,
 * and the spread of kept points by at most MAX_BRACKET_NS: the bound of
 * twice that leaves the other half for whatever the page really does.
 */
#define MAX_BRACKET_NS	1000
#define JITTER_BOUND_NS	2000
/*
 * The true rate error is 0 (see above); measured here: -0.0004 ppm over
 * 3 s with 40 ns brackets. The bound must hold however the noise falls:
 * residuals within +-MAX_BRACKET_NS / 2 can tilt a least-squares line
 * over evenly spread points by at most 3 * 500 ns / T, 0.75 ppm at the
 * shortest run allowed (MIN_DURATION_S), hence 1 ppm. Being exact is
 * reader_math's job; this bound catches a reader (or a page) that makes a
 * different clock from the kernel's: any formula error of note is a
 * factor, hundreds of thousands of ppm.
 */
#define RATE_BOUND_PPM	1.0
#define MIN_DURATION_S	2
/* Tries per point: the narrowest bracket of them is kept. */
#define TRIES		8
/* Attempts the sampler may make: KVM rewrites the page rarely. */
#define MAX_RETRIES	16
#define POINT_GAP_NS	1000000

static uint64_t raw_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ------------------------------------------------------------------ */
/* Finding the page.                                                   */

static bool read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	bool ok;

	if (!f)
		return false;
	ok = fgets(buf, (int)len, f) != NULL;
	fclose(f);
	if (ok)
		buf[strcspn(buf, "\n")] = '\0';
	return ok;
}

/* ------------------------------------------------------------------ */
/* Measuring.                                                          */

struct point {
	uint64_t mid;		/* CLOCK_MONOTONIC_RAW, middle of the bracket */
	uint64_t page;		/* the page's time, by our reader */
	uint64_t tsc;
	uint32_t width;		/* bracket width, ns */
};

/* The narrowest of TRIES bracketed reads; false if the page never sampled. */
static bool take_point(const struct tscpage_pvclock *pg, struct point *p,
		       uint64_t *sample_errs)
{
	bool have = false;
	int i;

	for (i = 0; i < TRIES; i++) {
		struct tscpage_pvclock_sample s;
		uint64_t t0, t1, ns;
		int ret;

		t0 = raw_ns();
		ret = tscpage_pvclock_sample(pg, MAX_RETRIES, &s);
		if (ret) {
			(*sample_errs)++;
			continue;
		}
		ns = tscpage_pvclock_ns(&s.params, s.tsc);
		t1 = raw_ns();
		if (!have || t1 - t0 < p->width) {
			p->mid = t0 + (t1 - t0) / 2;
			p->page = ns;
			p->tsc = s.tsc;
			p->width = (uint32_t)(t1 - t0);
			have = true;
		}
	}
	return have;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* One timed batch of @n reads the way @m says; ns per read. */
static double time_batch(const struct tscpage_pvclock *pg, int m, int n)
{
	uint64_t t0, acc = 0;
	struct timespec ts;
	int i;

	t0 = raw_ns();
	switch (m) {
	case 0:
		for (i = 0; i < n; i++) {
			struct tscpage_pvclock_sample s;

			/* As a caller would: the time only if sampled. */
			if (!tscpage_pvclock_sample(pg, MAX_RETRIES, &s))
				acc += tscpage_pvclock_ns(&s.params, s.tsc);
		}
		break;
	case 1:
		for (i = 0; i < n; i++)
			acc += tp_rdtsc_ordered();
		break;
	default:
		for (i = 0; i < n; i++) {
			clock_gettime(CLOCK_MONOTONIC, &ts);
			acc += (uint64_t)ts.tv_nsec;
		}
		break;
	}
	/* The results must look used, or the math would go away. */
	__asm__ __volatile__("" : : "r"(acc));
	return (double)(raw_ns() - t0) / n;
}

/*
 * ns per read of each way of reading time, side by side: round-robin, so
 * all three see the same machine, and the best round of each, the one
 * least disturbed.
 */
static void read_costs(const struct tscpage_pvclock *pg)
{
	enum { ROUNDS = 5, N = 200000 };
	static const char *const what[] = {
		"tscpage reader (sample + ns)", "bare RDTSC (lfence; rdtsc)",
		"clock_gettime(CLOCK_MONOTONIC) (vDSO)",
	};
	double best[3] = { INFINITY, INFINITY, INFINITY };
	int r, m;

	for (r = 0; r < ROUNDS; r++)
		for (m = 0; m < 3; m++)
			best[m] = fmin(best[m], time_batch(pg, m, N));
	for (m = 0; m < 3; m++)
		ksft_print_msg("read cost: %-40s %6.1f ns (best of %d rounds of %d)\n",
			       what[m], best[m], ROUNDS, N);
}

static void usage(FILE *f, const char *prog)
{
	fprintf(f, "usage: %s [--duration S]\n"
		"  --duration S  seconds of comparison (default 3, at least %d)\n",
		prog, MIN_DURATION_S);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "duration", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct tscpage_pvclock *pg;
	struct tscpage_pvclock_sample s;
	uint64_t sample_errs = 0, end_at, start_at;
	size_t n = 0, cap, kept = 0, dropped = 0, i;
	double sx = 0, sy = 0, sxx = 0, sxy = 0, slope, ppm, rmin, rmax;
	double xbar, ybar, page_khz, meas_khz;
	int64_t off_first, lo = INT64_MIN, hi = INT64_MAX;
	char cs[64];
	const char *where = "";
	struct point *pts;
	uint32_t *widths;
	long duration = 3;
	char *endp;
	int opt, ret;

	while ((opt = getopt_long(argc, argv, "d:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'd':
			errno = 0;
			duration = strtol(optarg, &endp, 10);
			if (errno || *endp || endp == optarg ||
			    duration < MIN_DURATION_S || duration > 3600) {
				fprintf(stderr, "%s: --duration: '%s' is not a number of seconds in %d..3600\n",
					argv[0], optarg, MIN_DURATION_S);
				return KSFT_FAIL;
			}
			break;
		case 'h':
			usage(stdout, argv[0]);
			return KSFT_PASS;
		default:
			usage(stderr, argv[0]);
			return KSFT_FAIL;
		}
	}
	if (optind != argc) {
		usage(stderr, argv[0]);
		return KSFT_FAIL;
	}

	ksft_print_header();

	if (!read_line(CURRENT_CS, cs, sizeof(cs)))
		ksft_exit_skip("cannot read %s: %s\n", CURRENT_CS,
			       strerror(errno));
	if (strcmp(cs, "kvm-clock"))
		ksft_exit_skip("current clocksource is %s, not kvm-clock: the kernel maps no kvmclock page\n",
			       cs);
	pg = tscpage_vvar_find(TSCPAGE_FORMAT_PVCLOCK, &where);
	if (!pg)
		ksft_exit_skip("kvmclock page not found: %s\n", where);

	ret = tscpage_pvclock_sample(pg, MAX_RETRIES, &s);
	if (ret == -EAGAIN)
		ksft_exit_fail_msg("kvmclock page at %p: no consistent sample in %u attempts\n",
				   (const void *)pg, s.retries);
	if (ret)
		ksft_exit_fail_msg("kvmclock page at %p: invalid parameters: version %u mul 0x%08x shift %d flags 0x%02x\n",
				   (const void *)pg, s.params.version,
				   s.params.tsc_to_system_mul,
				   s.params.tsc_shift, s.params.flags);
	if (!(s.params.flags & TSCPAGE_PVCLOCK_TSC_STABLE))
		ksft_exit_skip("kvmclock page flags 0x%02x: no TSC_STABLE, the page alone does not give one clock\n",
			       s.params.flags);

	ksft_set_plan(2);
	/* Cycles per second = 1e9 * 2^32 / (mul * 2^shift). */
	page_khz = 1e6 * ldexp(1.0, 32 - s.params.tsc_shift) /
		   s.params.tsc_to_system_mul;
	ksft_print_msg("kvmclock page at %p (%s): version %u, tsc_timestamp %" PRIu64
		       ", system_time %" PRIu64 ", mul 0x%08x, shift %d, flags 0x%02x\n",
		       (const void *)pg, where, s.params.version,
		       (uint64_t)s.params.tsc_timestamp,
		       (uint64_t)s.params.system_time,
		       s.params.tsc_to_system_mul, s.params.tsc_shift,
		       s.params.flags);

	cap = (size_t)duration * (1000000000u / POINT_GAP_NS) + 16;
	pts = calloc(cap, sizeof(*pts));
	widths = calloc(cap, sizeof(*widths));
	if (!pts || !widths)
		ksft_exit_fail_msg("calloc: %s\n", strerror(errno));

	start_at = raw_ns();
	end_at = start_at + (uint64_t)duration * 1000000000u;
	while (n < cap && raw_ns() < end_at) {
		struct timespec gap = { 0, POINT_GAP_NS };
		struct point p;

		if (take_point(pg, &p, &sample_errs)) {
			widths[n] = p.width;
			if (p.width <= MAX_BRACKET_NS)
				pts[kept++] = p;
			else
				dropped++;
			n++;
		}
		nanosleep(&gap, NULL);
	}

	qsort(widths, n, sizeof(*widths), cmp_u32);
	ksft_print_msg("%zu points in %ld s, %d tries each; narrowest bracket per point: median %u ns, max %u ns; %zu dropped (> %d ns); %" PRIu64 " samples failed\n",
		       n, duration, TRIES, n ? widths[n / 2] : 0,
		       n ? widths[n - 1] : 0, dropped, MAX_BRACKET_NS,
		       sample_errs);
	if (kept < 100 || kept < n / 2) {
		ksft_test_result_fail("jitter: only %zu of %zu points had a bracket under %d ns\n",
				      kept, n, MAX_BRACKET_NS);
		ksft_test_result_skip("rate error: not enough points\n");
		ksft_finished();
	}

	/* Least squares of page time on raw time, relative to point 0. */
	for (i = 0; i < kept; i++) {
		double x = (double)(pts[i].mid - pts[0].mid);
		double y = (double)(int64_t)(pts[i].page - pts[0].page);

		sx += x;
		sy += y;
	}
	xbar = sx / (double)kept;
	ybar = sy / (double)kept;
	for (i = 0; i < kept; i++) {
		double x = (double)(pts[i].mid - pts[0].mid) - xbar;
		double y = (double)(int64_t)(pts[i].page - pts[0].page) - ybar;

		sxx += x * x;
		sxy += x * y;
	}
	slope = sxy / sxx;
	ppm = (slope - 1.0) * 1e6;
	rmin = INFINITY;
	rmax = -INFINITY;
	for (i = 0; i < kept; i++) {
		double x = (double)(pts[i].mid - pts[0].mid) - xbar;
		double y = (double)(int64_t)(pts[i].page - pts[0].page) - ybar;
		double r = y - slope * x;
		/* The offsets a bracket allows: [page - t1, page - t0]. */
		int64_t half = (int64_t)pts[i].width / 2;
		int64_t off = (int64_t)(pts[i].page - pts[i].mid);

		rmin = fmin(rmin, r);
		rmax = fmax(rmax, r);
		if (off - half - 1 > lo)
			lo = off - half - 1;
		if (off + half + 1 < hi)
			hi = off + half + 1;
	}
	off_first = (int64_t)(pts[0].page - pts[0].mid);
	meas_khz = (double)(pts[kept - 1].tsc - pts[0].tsc) /
		   (double)(pts[kept - 1].mid - pts[0].mid) * 1e6;

	ksft_print_msg("offset (page - CLOCK_MONOTONIC_RAW): %" PRId64 " ns at the start; one offset fits every bracket: %s [%" PRId64 ", %" PRId64 "]\n",
		       off_first, lo <= hi ? "yes" : "NO", lo, hi);
	ksft_print_msg("TSC: %.3f kHz implied by the page (mul/shift), %.3f kHz measured against CLOCK_MONOTONIC_RAW\n",
		       page_khz, meas_khz);
	read_costs(pg);

	ksft_test_result(rmax - rmin < JITTER_BOUND_NS,
			 "jitter: offset spread %.0f ns after the linear trend (%.0f..%.0f) over %zu points, bound %d ns\n",
			 rmax - rmin, rmin, rmax, kept, JITTER_BOUND_NS);
	ksft_test_result(fabs(ppm) < RATE_BOUND_PPM,
			 "rate error: %+.4f ppm against CLOCK_MONOTONIC_RAW over %.3f s, bound %.1f ppm\n",
			 ppm, (double)(pts[kept - 1].mid - pts[0].mid) / 1e9,
			 RATE_BOUND_PPM);
	free(pts);
	free(widths);
	ksft_finished();
}
