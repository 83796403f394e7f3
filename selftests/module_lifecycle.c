// SPDX-License-Identifier: GPL-2.0
/*
 * module_lifecycle - tscpage.ko and tscpage_hvsim.ko load, serve and leave
 * cleanly, and refuse what they must refuse.
 *
 * Starts with neither module loaded and ends the same way. In order:
 * tscpage refuses to load without a provider and says why in the kernel
 * log; bad module parameters are refused, a rating above 1 over hvsim
 * too (a test double must never be the clocksource watchdog); the kvm and hyperv providers
 * load only where the kernel's own clock for their page exists (in a TCG
 * guest, nowhere); with tscpage_hvsim loaded,
 * tscpage loads and registers its clocksource; the provider cannot be
 * unloaded under it; tscpage becomes current and clock_gettime keeps
 * working; rmmod is refused while it is current; after switching back,
 * both modules unload and the clocksource is gone. Last, tscpage loads
 * every time over a Hyper-V page the simulator keeps invalid (sequence 0)
 * for 200 us of each 1 ms rewrite.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kselftest.h"
#include "args.h"
#include "clock_takeover.h"
#include "klog.h"
#include "kmod.h"

/* A load or unload that must fail with one of two errnos. */
static void expect_refused(int err, int want, int also, const char *what)
{
	if (err == -want || err == -also)
		ksft_test_result_pass("%s: refused (%s)\n", what, strerror(-err));
	else
		ksft_test_result_fail("%s: expected %s, got %s\n", what,
				      strerror(want), err ? strerror(-err) : "success");
}

static void expect_ok(int err, const char *what)
{
	ksft_test_result(!err, "%s%s%s\n", what, err ? ": " : "",
			 err ? strerror(-err) : "");
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Time keeps running while tscpage is current: a 20 ms sleep measures so. */
static void check_clock_runs(void)
{
	struct timespec nap = { .tv_nsec = 20 * 1000 * 1000 };
	uint64_t a, b;

	a = mono_ns();
	nanosleep(&nap, NULL);
	b = mono_ns();
	ksft_test_result(b > a && b - a >= 20000000u && b - a < 1000000000u,
			 "clock_gettime runs while tscpage is current (20 ms sleep took %lld ns)\n",
			 (long long)(b - a));
}

/*
 * A real provider loads exactly when the kernel's own clocksource for its
 * page is there: without kvm-clock (or the Hyper-V TSC page clocksource)
 * tscpage must refuse it with ENODEV; with it, the page may still be
 * refused for a reason the hypervisor decides (no stable TSC), so either
 * answer passes and is reported.
 */
static void check_real_provider(const char *name, const char *kernel_cs)
{
	char params[32];
	int err;

	snprintf(params, sizeof(params), "provider=%s", name);
	err = kmod_load("tscpage", params);
	if (!err)
		kmod_unload("tscpage");
	if (!clocksource_available(kernel_cs)) {
		expect_refused(err, ENODEV, ENODEV, params);
		return;
	}
	ksft_test_result(!err || err == -ENODEV,
			 "%s with %s present: %s\n", params, kernel_cs,
			 err ? strerror(-err) : "loaded and unloaded");
}

/*
 * tscpage's first read must find the page between two rewrites, however
 * its tries fall against them: a Hyper-V page held at sequence 0 for
 * 200 us of every 1 ms, @loads loads at whatever phase they happen to
 * start. A try that wakes on the rewrite's own timer interrupt sees
 * sequence 0; its next try must not wake on the next one the same way.
 */
static void check_loads_over_held_page(unsigned int loads)
{
	const char *what = "tscpage over a Hyper-V page at sequence 0 for 200 us of every ms";
	unsigned int i, ok = 0;
	int err, first = 0;

	err = kmod_load("tscpage_hvsim", "format=hvref hold_us=200");
	if (err) {
		ksft_test_result_fail("%s: tscpage_hvsim: %s\n", what,
				      strerror(-err));
		return;
	}
	for (i = 0; i < loads; i++) {
		err = kmod_load("tscpage", "");
		if (err) {
			if (!first)
				first = err;
			continue;
		}
		ok++;
		err = kmod_unload("tscpage");
		if (err) {
			first = err;
			break;
		}
	}
	err = kmod_unload("tscpage_hvsim");
	if (err && !first)
		first = err;
	ksft_test_result(ok == loads && !first, "%s: %u of %u loads%s%s\n",
			 what, ok, loads, first ? ", first error: " : "",
			 first ? strerror(-first) : "");
}

/* The results, in the order main() gives them. */
enum lifecycle_result {
	R_NO_PROVIDER, R_NO_PROVIDER_SAID, R_BAD_UPDATE_HZ, R_BAD_FORMAT,
	R_BAD_PROVIDER, R_KVM, R_HYPERV, R_HVSIM_LOADS, R_BAD_RATING,
	R_RATING_2, R_LOADS, R_RATING_1_SAID, R_AVAILABLE, R_PROVIDER_PINNED,
	R_TAKE, R_CLOCK_RUNS, R_RMMOD_CURRENT, R_GIVE, R_UNLOADS, R_GONE,
	R_HVSIM_UNLOADS, R_HELD_LOADS, N_RESULTS
};

static void usage(FILE *f, const char *prog)
{
	fprintf(f,
		"usage: %s [--module-dir DIR] [--held-loads N]\n"
		"  --module-dir DIR  where tscpage.ko and tscpage_hvsim.ko are\n"
		"                    (default /lib/modules/$(uname -r)/extra)\n"
		"  --held-loads N    loads over a page held invalid, 1..10000\n"
		"                    (default 50)\n",
		prog);
}

int main(int argc, char **argv)
{
	char msg[CLOCK_TAKEOVER_MSG];
	struct clock_takeover clock;
	uint64_t held_loads = 50;
	const char *module_dir = NULL;
	int opt, err;
	const struct arg_spec specs[] = {
		ARG_STR("module-dir", 'm', &module_dir),
		ARG_U64("held-loads", 'l', &held_loads, 1, 10000),
		ARG_END,
	};

	opt = args_parse(argc, argv, specs, usage);
	if (opt >= 0)
		return opt;
	if (module_dir)
		kmod_set_dir(module_dir);

	ksft_print_header();
	if (geteuid())
		ksft_exit_skip("loading modules needs root\n");
	if (kmod_loaded("tscpage") || kmod_loaded("tscpage_hvsim"))
		ksft_exit_skip("tscpage or tscpage_hvsim is already loaded; this test starts without them\n");
	ksft_set_plan(N_RESULTS);

	expect_refused(kmod_load("tscpage", ""), ENODEV, ENODEV,
		       "tscpage without a provider");
	ksft_test_result(klog_contains("tscpage: no time page provider"),
			 "the refusal says why in the kernel log\n");
	expect_refused(kmod_load("tscpage_hvsim", "update_hz=0"), EINVAL,
		       EINVAL, "tscpage_hvsim update_hz=0");
	expect_refused(kmod_load("tscpage_hvsim", "format=bogus"), EINVAL,
		       EINVAL, "tscpage_hvsim format=bogus");
	expect_refused(kmod_load("tscpage", "provider=nope"), EINVAL, EINVAL,
		       "tscpage provider=nope");
	check_real_provider("kvm", "kvm-clock");
	check_real_provider("hyperv", "hyperv_clocksource_tsc_page");

	err = kmod_load("tscpage_hvsim", "");
	expect_ok(err, "tscpage_hvsim loads");
	if (err)
		ksft_exit_fail_msg("cannot go on without the provider\n");

	expect_refused(kmod_load("tscpage", "rating=500"), EINVAL, EINVAL,
		       "tscpage rating=500");
	/*
	 * Over the test double tscpage must never be the clocksource
	 * watchdog (driver/core.c): it ranks at 1, level with jiffies.
	 */
	expect_refused(kmod_load("tscpage", "rating=2"), EINVAL, EINVAL,
		       "tscpage rating=2 over hvsim");
	err = kmod_load("tscpage", "");
	expect_ok(err, "tscpage loads over tscpage_hvsim");
	if (err)
		goto unload_hvsim;
	ksft_test_result(klog_contains("tscpage registered (rating 1) over the hvsim"),
			 "over hvsim it registers at rating 1, never the watchdog\n");
	ksft_test_result(clocksource_available("tscpage"),
			 "tscpage is in available_clocksource\n");
	expect_refused(kmod_unload("tscpage_hvsim"), EBUSY, EWOULDBLOCK,
		       "unloading the provider under tscpage");

	err = clock_take(&clock, "tscpage", msg, sizeof(msg));
	ksft_test_result(!err, "%s\n", msg);
	if (!err) {
		check_clock_runs();
		expect_refused(kmod_unload("tscpage"), EBUSY, EWOULDBLOCK,
			       "rmmod tscpage while current");
	} else {
		ksft_test_result_skip("clock_gettime while current: not current\n");
		ksft_test_result_skip("rmmod while current: not current\n");
	}
	ksft_test_result(clock_give(&clock, msg, sizeof(msg)), "%s\n", msg);
	expect_ok(kmod_unload("tscpage"), "tscpage unloads");
	ksft_test_result(!clocksource_available("tscpage"),
			 "tscpage is gone from available_clocksource\n");
unload_hvsim:
	expect_ok(kmod_unload("tscpage_hvsim"), "tscpage_hvsim unloads");
	check_loads_over_held_page(held_loads);
	ksft_finished();
}
