// SPDX-License-Identifier: GPL-2.0
/*
 * guard_scope - which of tscpage's clocksource reads go through the
 * monotonic guard (one global compare-exchange line), and that distrust
 * is sticky until cleared by hand.
 *
 * Needs tscpage loaded. With tscpage current (made so, handed back at the
 * end), one thread reads CLOCK_MONOTONIC through the syscall (never the
 * vDSO, which does not call the clocksource) for --ms; the debugfs
 * counters reads, guarded and fallbacks are taken before and after.
 *
 *  1. A trusted page (INFO says TSC_STABLE, distrust is 0): no read that
 *     sampled the page was guarded (guarded grew by no more than
 *     fallbacks). An untrusted one: every read was.
 *  2. Over provider hyperv, INFO says TSC_STABLE whatever the kernel
 *     concluded of its TSC: Linux marks it unstable "running on Hyper-V"
 *     without TSC_INVARIANT, for its rate, and the partition-wide page
 *     absorbs that (driver/clocksource.c, tscpage_tsc_unsynced). In the
 *     nested hyperv row that is the case; before, every read was guarded.
 *
 * With --distrust (provider hvsim): the simulator steps the page back by
 * 1 ms (its backward fault), and then
 *  3. distrust becomes 1 within 2 s, and every read is guarded;
 *  4. debugfs's distrust refuses being set (writing 1: EINVAL): only the
 *     evidence sets it;
 *  5. writing 0 clears it, and the reads are as 1. says again.
 * Distrust is sticky by design: no migration clears it (a page that
 * stepped back once has shown its hypervisor can), only an administrator
 * who knows the cause is gone (Documentation/design.rst).
 *
 *   guard_scope [--ms N] [--distrust]     (N: 100..10000, default 500)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "kselftest.h"
#include "args.h"
#include "hvsim_util.h"
#include "klog.h"
#include "sysfs_file.h"

#define DISTRUST	TSCPAGE_DEBUGFS "distrust"
#define WAIT_MS		2000

struct counters {
	uint64_t reads, guarded, fallbacks;
};

static int counters_read(struct counters *c)
{
	int err;

	err = debugfs_counter("reads", &c->reads);
	if (!err)
		err = debugfs_counter("guarded", &c->guarded);
	if (!err)
		err = debugfs_counter("fallbacks", &c->fallbacks);
	return err;
}

static int info_read(struct tscpage_info *info)
{
	int fd = open(TSCPAGE_DEV, O_RDONLY | O_CLOEXEC), err = 0;

	if (fd < 0)
		return -errno;
	memset(info, 0, sizeof(*info));
	if (ioctl(fd, TSCPAGE_IOC_INFO, info))
		err = -errno;
	close(fd);
	return err;
}

/* CLOCK_MONOTONIC through the syscall for @ms: how many reads. */
static uint64_t read_through_syscall(unsigned int ms)
{
	struct timespec ts;
	uint64_t end, n = 0;

	end = clock_ns(CLOCK_MONOTONIC) + (uint64_t)ms * 1000000;
	do {
		syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts);
		n++;
	} while ((uint64_t)ts.tv_sec * 1000000000 + ts.tv_nsec < end);
	return n;
}

/*
 * Reads for @ms and checks the guard's scope: a trusted page guards no
 * read that sampled it, an untrusted one guards every read. The
 * counters are read one file at a time while the kernel's own tick reads
 * go on, so "every" allows the reads of those moments (SLACK).
 */
#define SLACK	1000
static void check_scope(const char *when, unsigned int ms)
{
	struct tscpage_info info;
	struct counters a, b;
	uint64_t distrust = 0, n, reads, guarded, fallbacks;
	bool trusted;
	int err;

	err = info_read(&info);
	if (!err)
		err = debugfs_counter("distrust", &distrust);
	if (!err)
		err = counters_read(&a);
	if (err) {
		ksft_test_result_fail("%s: reading INFO and debugfs: %s\n",
				      when, errname(-err));
		return;
	}
	n = read_through_syscall(ms);
	err = counters_read(&b);
	if (err) {
		ksft_test_result_fail("%s: reading debugfs: %s\n", when,
				      errname(-err));
		return;
	}
	trusted = (info.flags & TSCPAGE_INFO_TSC_STABLE) && !distrust;
	reads = b.reads - a.reads;
	guarded = b.guarded - a.guarded;
	fallbacks = b.fallbacks - a.fallbacks;
	ksft_print_msg("%s: provider %.*s, %s, distrust %" PRIu64 ": %" PRIu64 " syscalls, %" PRIu64 " reads, %" PRIu64 " guarded, %" PRIu64 " fallbacks\n",
		       when, (int)sizeof(info.provider), info.provider,
		       info.flags & TSCPAGE_INFO_TSC_STABLE ? "TSC_STABLE" :
		       "not TSC_STABLE", distrust, n, reads, guarded,
		       fallbacks);
	if (trusted)
		ksft_test_result(reads >= n && guarded <= fallbacks,
				 "%s: trusted page, no read that sampled it guarded (%" PRIu64 " of %" PRIu64 ")\n",
				 when, guarded - (guarded > fallbacks ? fallbacks : guarded),
				 reads);
	else
		ksft_test_result(reads >= n && guarded + SLACK >= reads,
				 "%s: untrusted page, every read guarded (%" PRIu64 " of %" PRIu64 ")\n",
				 when, guarded, reads);
}

static void check_hyperv_trusted(void)
{
	struct tscpage_info info;
	int err = info_read(&info);

	if (err || strcmp(info.provider, "hyperv")) {
		ksft_test_result_skip("Hyper-V's page is trusted: provider %s\n",
				      err ? errname(-err) : info.provider);
		return;
	}
	ksft_print_msg("the kernel %s its TSC unstable for running on Hyper-V\n",
		       klog_contains("Marking TSC unstable due to running on Hyper-V") ?
		       "marked" : "did not mark");
	ksft_test_result(info.flags & TSCPAGE_INFO_TSC_STABLE,
			 "Hyper-V's page is trusted (INFO TSC_STABLE): it is partition-wide\n");
}

static bool distrust_is(uint64_t want, unsigned int wait_ms)
{
	uint64_t v = !want;
	unsigned int t;

	for (t = 0; ; t += 10) {
		if (!debugfs_counter("distrust", &v) && v == want)
			return true;
		if (t >= wait_ms)
			return false;
		usleep(10000);
	}
}

/*
 * Its results: distrust set, the scope then, 1 refused, 0 clearing it, the
 * scope after.
 */
#define DISTRUST_RESULTS	5
static void check_distrust(int hv, unsigned int ms)
{
	struct tscpage_hvsim_fault_req req = {
		.fault = TSCPAGE_HVSIM_FAULT_BACKWARD,
		.for_ms = 300,
		.arg = 1000000,
	};
	struct tscpage_hvsim_status st;
	unsigned int t;
	int err;

	if (ioctl(hv, TSCPAGE_HVSIM_IOC_FAULT, &req))
		ksft_exit_fail_msg("FAULT backward: %s\n", errname(errno));
	ksft_test_result(distrust_is(1, WAIT_MS),
			 "a page 1 ms back: distrust within %d ms\n", WAIT_MS);
	for (t = 0; t < WAIT_MS && !hvsim_status(hv, &st) && st.fault; t += 10)
		usleep(10000);
	check_scope("distrusted", ms);

	err = sysfs_write(DISTRUST, "1");
	ksft_test_result(err == -EINVAL,
			 "writing 1 to distrust is refused with EINVAL (got %s)\n",
			 err ? errname(-err) : "success");
	err = sysfs_write(DISTRUST, "0");
	ksft_test_result(!err && distrust_is(0, 0),
			 "writing 0 clears distrust%s%s\n", err ? ": " : "",
			 err ? errname(-err) : "");
	check_scope("cleared", ms);
}

static void usage(FILE *f, const char *argv0)
{
	fprintf(f, "usage: %s [--ms N] [--distrust]\n"
		"  --ms N       read for N ms per check, 100..10000 (default 500)\n"
		"  --distrust   provider hvsim: step the page back, then clear distrust\n",
		argv0);
}

int main(int argc, char **argv)
{
	struct clock_takeover clock;
	uint64_t ms = 500;
	struct tscpage_hvsim_status st;
	bool distrust = false;
	int c, hv = -1, tp;
	const struct arg_spec specs[] = {
		ARG_U64("ms", 0, &ms, 100, 10000),
		ARG_FLAG("distrust", 0, &distrust),
		ARG_END,
	};

	c = args_parse(argc, argv, specs, usage);
	if (c >= 0)
		return c;
	ksft_print_header();
	if (geteuid())
		ksft_exit_skip("debugfs and current_clocksource need root\n");
	if (access(TSCPAGE_DEV, R_OK))
		ksft_exit_skip("%s: %s (tscpage not loaded)\n", TSCPAGE_DEV,
			       errname(errno));
	if (distrust) {
		hv = hvsim_open(&tp, &st);
		close(tp);
	}
	/* check_hyperv_trusted() and check_scope() as loaded: 2. */
	ksft_set_plan(CLOCK_TAKEOVER_RESULTS + 2 + (distrust ? DISTRUST_RESULTS : 0));
	take_clock(&clock);
	check_hyperv_trusted();
	check_scope("as loaded", ms);
	if (distrust)
		check_distrust(hv, ms);
	give_clock(&clock);
	if (hv >= 0)
		close(hv);
	ksft_finished();
}
