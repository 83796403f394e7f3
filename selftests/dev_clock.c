// SPDX-License-Identifier: GPL-2.0
/*
 * dev_clock - with tscpage current, the time read from the /dev/tscpage
 * mapping is the clocksource's: CLOCK_MONOTONIC_RAW read just before and
 * just after a page read brackets it (up to one constant offset), on
 * every CPU; and INFO's CURRENT flag says whether tscpage is current.
 * A clock failure prints the brackets that failed.
 *
 * Runs with tscpage loaded and not current; makes it current, and hands
 * the clock back.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kselftest.h"
#include "args.h"
#include "clock_takeover.h"
#include "cpus.h"
#include "tscpage_dev.h"

/* Brackets that pin down the offset between the page and MONOTONIC_RAW. */
#define OFFSET_BRACKETS	64

/*
 * CLOCK_MONOTONIC_RAW read before and after one read of the page, and the
 * page's time.
 */
struct bracket {
	uint64_t before, page, after;
};

static int take_bracket(const void *page, __u32 format, struct bracket *b,
			struct read_stats *st)
{
	uint64_t start = clock_ns(CLOCK_MONOTONIC_RAW);
	int err;

	do {
		b->before = clock_ns(CLOCK_MONOTONIC_RAW);
		err = tscpage_dev_time(page, format, &b->page, st);
		b->after = clock_ns(CLOCK_MONOTONIC_RAW);
		if (err != -ENODATA && err != -EAGAIN)
			break;
	} while ((int64_t)(b->after - start) < DEV_RETRY_NS);
	return err;
}

/*
 * The offsets page - raw a bracket allows: the page was read after
 * @before and before @after, so page - after <= offset <= page - before.
 */
static int64_t bracket_lo(const struct bracket *b)
{
	return (int64_t)(b->page - b->after);
}

static int64_t bracket_hi(const struct bracket *b)
{
	return (int64_t)(b->page - b->before);
}

/*
 * The offset between the page's time and CLOCK_MONOTONIC_RAW, as far as
 * brackets can pin it: within [lo, hi].
 */
struct offset {
	int64_t lo, hi;
};

/*
 * Why MONOTONIC_RAW: it is the current clocksource's count converted with
 * the clocksource's mult/shift, which for tscpage (1 GHz) are the
 * identity, plus a base the timekeeping core fixed when tscpage became
 * current; NTP never adjusts it. So while tscpage is current,
 * MONOTONIC_RAW = page time at the TSC value the kernel read + a constant.
 * tscpage's clocksource does not use the vDSO here (hvsim), so each
 * clock_gettime() reads the page in the kernel on this CPU, and the
 * page's time for the TSC read in between must lie between the two.
 *
 * The constant is only known to within the time a clock_gettime() spends
 * between its own read of the page and returning, plus the time the next
 * one spends before its read: the intersection of the brackets' allowed
 * offsets. A deviation smaller than that width cannot be seen here.
 */
static int estimate_offset(const void *page, __u32 format,
			   struct offset *off, struct bracket *lo_at,
			   struct bracket *hi_at)
{
	struct read_stats st = { 0 };
	struct bracket b;
	int i, err;

	off->lo = INT64_MIN;
	off->hi = INT64_MAX;
	for (i = 0; i < OFFSET_BRACKETS; i++) {
		err = take_bracket(page, format, &b, &st);
		if (err)
			return err;
		if (bracket_lo(&b) > off->lo) {
			off->lo = bracket_lo(&b);
			*lo_at = b;
		}
		if (bracket_hi(&b) < off->hi) {
			off->hi = bracket_hi(&b);
			*hi_at = b;
		}
	}
	return 0;
}

struct cpu_check {
	int cpu;
	int err;			/* the reader's -errno that stopped it */
	uint64_t samples;
	uint64_t outside;		/* samples more than tol outside */
	/*
	 * Most the page was ahead of its bracket's end and behind its
	 * start, in ns, with the offset in [lo, hi] that suits the sample
	 * best; negative: inside the bracket, by that margin.
	 */
	int64_t ahead, behind;
	struct bracket ahead_at, behind_at;
	struct read_stats st;
};

static void check_cpu(const void *page, __u32 format, const struct offset *off,
		      uint64_t samples, int64_t tol, struct cpu_check *c)
{
	struct bracket b;
	int64_t ahead, behind;
	uint64_t i;

	c->ahead = c->behind = INT64_MIN;
	for (i = 0; i < samples; i++) {
		c->err = take_bracket(page, format, &b, &c->st);
		if (c->err)
			return;
		c->samples++;
		/* Even the largest offset puts the page after the bracket. */
		ahead = bracket_lo(&b) - off->hi;
		/* Even the smallest offset puts the page before the bracket. */
		behind = off->lo - bracket_hi(&b);
		if (ahead > tol || behind > tol)
			c->outside++;
		if (ahead > c->ahead) {
			c->ahead = ahead;
			c->ahead_at = b;
		}
		if (behind > c->behind) {
			c->behind = behind;
			c->behind_at = b;
		}
	}
}

static void print_bracket(const char *what, const struct bracket *b,
			  const struct offset *off)
{
	int64_t width = (int64_t)(b->after - b->before);

	ksft_print_msg("  %s: raw before %" PRIu64 ", page - offset %" PRIu64 "..%" PRIu64 ", raw after %" PRIu64 " (bracket %" PRId64 " ns%s)\n",
		       what, b->before, b->page - (uint64_t)off->hi,
		       b->page - (uint64_t)off->lo, b->after, width,
		       width < 0 ? ": MONOTONIC_RAW went back" : "");
}

static void report_cpu(const struct cpu_check *c, const struct offset *off,
		       int64_t tol)
{
	int64_t worst = c->ahead > c->behind ? c->ahead : c->behind;

	if (c->err) {
		ksft_test_result_fail("cpu%d: page unreadable after %" PRIu64 " samples: %s\n",
				      c->cpu, c->samples, errname(-c->err));
		return;
	}
	ksft_print_msg("cpu%d: %" PRIu64 " page reads, %" PRIu64 " retries, %" PRIu64 " invalid (sequence 0), %" PRIu64 " gave up\n",
		       c->cpu, c->st.reads, c->st.retries, c->st.invalid,
		       c->st.busy);
	if (c->outside) {
		if (c->ahead > tol)
			print_bracket("page furthest ahead", &c->ahead_at, off);
		if (c->behind > tol)
			print_bracket("page furthest behind", &c->behind_at, off);
		ksft_test_result_fail("cpu%d: page time outside its MONOTONIC_RAW bracket by more than %" PRId64 " ns in %" PRIu64 " of %" PRIu64 " samples: up to %" PRId64 " ns %s\n",
				      c->cpu, tol, c->outside, c->samples,
				      worst, c->ahead >= c->behind ?
				      "ahead of its end" : "behind its start");
		return;
	}
	/* Margins: how close the page came to the edges of its bracket. */
	ksft_test_result_pass("cpu%d: page time inside its MONOTONIC_RAW bracket (tol %" PRId64 " ns) in %" PRIu64 " samples: worst %" PRId64 " ns outside; closest %" PRId64 " ns to the end, %" PRId64 " ns to the start\n",
			      c->cpu, tol, c->samples, worst > 0 ? worst : 0,
			      -c->ahead, -c->behind);
}

/* ------------------------------------------------------------ the check */

static void check_current_flag(int fd, bool want)
{
	struct tscpage_info info;
	int err = tscpage_dev_info(fd, &info);

	if (err)
		ksft_test_result_fail("INFO while tscpage is %scurrent: %s\n",
				      want ? "" : "not ", errname(err));
	else
		ksft_test_result(!!(info.flags & TSCPAGE_INFO_CURRENT) == want,
				 "INFO flags say CURRENT %s while tscpage is %scurrent (flags %#x)\n",
				 want ? "set" : "clear", want ? "" : "not ",
				 info.flags);
}

/* This thread on the @n CPUs of @cpus, or the test ends. */
static void pin(const int *cpus, unsigned int n)
{
	int err = cpus_pin(cpus, n);

	if (err)
		ksft_exit_fail_msg("pinning to cpu%d%s: %s\n", cpus[0],
				   n > 1 ? " and the others" : "", errname(err));
}

/*
 * The page against the clocksource, one CPU after the other, each for
 * @samples brackets, with the offset pinned on the first CPU: the page and
 * the clocksource are one clock for all CPUs, so the offset is too.
 * Its results, CLOCK_RESULTS(@ncpus): tscpage made current, CURRENT set,
 * the constant offset, one per CPU, the clock handed back, CURRENT clear.
 */
#define CLOCK_RESULTS(ncpus)	(CLOCK_TAKEOVER_RESULTS + 3 + (ncpus))

static void check_clock(const struct tscpage_dev *dev, const int *cpus,
			unsigned int ncpus, uint64_t samples, int64_t tol)
{
	const void *page = dev->page;
	__u32 format = dev->info.format;
	int fd = dev->fd;
	char msg[CLOCK_TAKEOVER_MSG];
	struct clock_takeover clock;
	struct bracket lo_at, hi_at;
	struct cpu_check *checks;
	struct offset off;
	unsigned int i;
	int err;

	err = clock_take(&clock, "tscpage", msg, sizeof(msg));
	ksft_test_result(!err, "%s\n", msg);
	if (err) {
		ksft_test_result_skip("INFO CURRENT while current: not current\n");
		ksft_test_result_skip("constant offset: not current\n");
		for (i = 0; i < ncpus; i++)
			ksft_test_result_skip("cpu%d: tscpage is not current\n",
					      cpus[i]);
		goto restore;
	}
	check_current_flag(fd, true);

	checks = calloc(ncpus, sizeof(*checks));
	if (!checks)
		ksft_exit_fail_perror("calloc");

	pin(cpus, 1);
	err = estimate_offset(page, format, &off, &lo_at, &hi_at);
	if (err) {
		ksft_test_result_fail("constant offset: page unreadable: %s\n",
				      errname(-err));
	} else {
		if (off.lo > off.hi) {
			print_bracket("bracket giving the lowest offset", &hi_at, &off);
			print_bracket("bracket giving the highest offset", &lo_at, &off);
		}
		ksft_test_result(off.lo <= off.hi + tol,
				 "page - MONOTONIC_RAW is one constant over %d brackets on cpu%d: offset in [%" PRId64 ", %" PRId64 "] ns (%s %" PRId64 " ns, tol %" PRId64 ")\n",
				 OFFSET_BRACKETS, cpus[0], off.lo, off.hi,
				 off.lo <= off.hi ? "known to" : "brackets disagree by",
				 off.lo <= off.hi ? off.hi - off.lo : off.lo - off.hi,
				 tol);
	}
	for (i = 0; i < ncpus; i++) {
		checks[i].cpu = cpus[i];
		if (err) {
			ksft_test_result_skip("cpu%d: no offset\n", cpus[i]);
			continue;
		}
		if (off.lo > off.hi) {
			/* Within tol: go on from the range they allow. */
			int64_t t = off.lo;

			off.lo = off.hi;
			off.hi = t;
		}
		pin(&cpus[i], 1);
		check_cpu(page, format, &off, samples, tol, &checks[i]);
		report_cpu(&checks[i], &off, tol);
	}
	pin(cpus, ncpus);
	free(checks);

restore:
	ksft_test_result(clock_give(&clock, msg, sizeof(msg)), "%s\n", msg);
	check_current_flag(fd, false);
}

static void usage(FILE *f, const char *prog)
{
	fprintf(f,
		"usage: %s [--samples N] [--tolerance NS]\n"
		"  --samples N       bracketed page reads per CPU (default 100000)\n"
		"  --tolerance NS    how far the page may fall outside its bracket\n"
		"                    (default 0)\n",
		prog);
}

int main(int argc, char **argv)
{
	uint64_t samples = 100000, tol = 0;
	struct tscpage_dev dev;
	unsigned int ncpus;
	int opt, *cpus;
	const struct arg_spec specs[] = {
		ARG_U64("samples", 's', &samples, 1, 100000000),
		ARG_U64("tolerance", 't', &tol, 0, 1000000000),
		ARG_END,
	};

	opt = args_parse(argc, argv, specs, usage);
	if (opt >= 0)
		return opt;

	ksft_print_header();
	tscpage_dev_open(&dev, true);
	cpus = cpus_allowed(&ncpus);
	ksft_set_plan(CLOCK_RESULTS(ncpus));
	check_clock(&dev, cpus, ncpus, samples, (int64_t)tol);
	free(cpus);
	ksft_finished();
}
