// SPDX-License-Identifier: GPL-2.0
/*
 * clock_warp - the hammer: every clock on every CPU at full read rate,
 * every reading checked.
 *
 * One reader thread pinned to each online CPU plus unpinned ones (more
 * threads than CPUs, so the scheduler moves them mid-stream) read
 * CLOCK_MONOTONIC, _RAW, _COARSE, BOOTTIME, REALTIME, the raw TSC and, when
 * /dev/tscpage exists, the page it maps, and check each reading: a
 * thread's own readings never go back; never below another thread's
 * earlier published reading (lock-free); no gap above a threshold; each
 * clock's rate against the TSC over sliding windows, net of NTP; no step
 * against the TSC. warp_checks.c and warp_rate.c say how.
 *
 * KTAP: one result per check per clock (five per clock), plus two when
 * --clocksource switches the clocksource; exit 0 when all passed, 1 on any
 * failure, 4 when nothing could be checked. SIGUSR1 ends the hammering
 * before --duration is up, with the results of the shorter run: for a
 * parent (stable_drop) that cannot know beforehand how long it needs it.
 * Documentation/testing.rst.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kselftest.h"
#include "clocksource_sysfs.h"
#include "warp.h"

static void usage(FILE *f, const char *prog)
{
	fprintf(f,
		"usage: %s [--duration S] [--threads N] [--clock LIST]\n"
		"          [--max-jump-ms MS] [--max-ppm PPM] [--max-tsc-step-us US]\n"
		"          [--rate-window-ms MS] [--events N] [--clocksource NAME] [--json]\n"
		"\n"
		"Reads every selected clock on every CPU (a thread pinned per CPU and\n"
		"unpinned ones) and checks each reading; KTAP, one result per check per\n"
		"clock. Exit 0 all passed, 1 a check failed, 4 nothing to check.\n"
		"\n"
		"  --duration S         seconds of hammering by the TSC (default %g;\n"
		"                       at most 2 S + 10 by CLOCK_MONOTONIC_RAW)\n"
		"  --threads N          reader threads in all (default: one per CPU\n"
		"                       plus max(2, CPUs/2) unpinned); the first\n"
		"                       min(N, CPUs) are pinned\n"
		"  --clock LIST         comma-separated: monotonic raw coarse boottime\n"
		"                       realtime tsc page, or all (default all; with\n"
		"                       all, the page only where /dev/tscpage exists)\n"
		"  --max-jump-ms MS     gap between a thread's readings that fails\n"
		"                       (default %g)\n"
		"  --max-ppm PPM        rate deviation against the TSC, net of NTP,\n"
		"                       that fails (default %g)\n"
		"  --max-tsc-step-us US step against the TSC that fails (default %g;\n"
		"                       fractions allowed: the page is exact to 1 ns)\n"
		"  --rate-window-ms MS  rate window, sampled every %g ms (default %g)\n"
		"  --events N           event lines printed per clock and check\n"
		"                       (default 5; all are counted)\n"
		"  --clocksource NAME   make NAME current for the run (root), then\n"
		"                       hand the previous one back\n"
		"  --json               the result as JSON on stdout (events on stderr)\n"
		"\n"
		"Checks: backward (a thread's own readings), cross_cpu (below a reading\n"
		"another thread published earlier), jump, rate, tsc_step.\n"
		"SIGUSR1 ends the hammering early; the results are of the shorter run.\n",
		prog, WARP_DURATION_S, WARP_MAX_JUMP_MS, WARP_MAX_PPM,
		WARP_MAX_STEP_US, WARP_SLIDE_MS, WARP_WINDOW_MS);
}

static void on_sigusr1(int sig)
{
	(void)sig;
	warp_end_early();
}

static bool arg_double(const char *prog, const char *flag, const char *s,
		       double min, double max, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= min && v <= max)) {
		fprintf(stderr, "%s: --%s %s: want a number in [%g, %g]\n",
			prog, flag, s, min, max);
		return false;
	}
	*out = v;
	return true;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "duration", required_argument, NULL, 'd' },
		{ "threads", required_argument, NULL, 't' },
		{ "clock", required_argument, NULL, 'c' },
		{ "max-jump-ms", required_argument, NULL, 'J' },
		{ "max-ppm", required_argument, NULL, 'P' },
		{ "max-tsc-step-us", required_argument, NULL, 'S' },
		{ "rate-window-ms", required_argument, NULL, 'W' },
		{ "events", required_argument, NULL, 'e' },
		{ "clocksource", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	char prev[CLOCKSOURCE_NAME_MAX] = "", now[CLOCKSOURCE_NAME_MAX];
	const char *clocksource = NULL;
	struct warp_result *res;
	struct warp_opts o;
	struct warp_run *run;
	bool json = false, refused;
	int opt, c, k, v, nclocks = 0, fails = 0, passes = 0, err;
	double d;
	char buf[512];

	signal(SIGUSR1, on_sigusr1);
	warp_opts_default(&o);
	while ((opt = getopt_long(argc, argv, "d:t:c:jh", opts, NULL)) != -1) {
		switch (opt) {
		case 'd':
			if (!arg_double(argv[0], "duration", optarg, 0.5, 86400,
					&o.duration_s))
				return KSFT_FAIL;
			break;
		case 't':
			if (!arg_double(argv[0], "threads", optarg, 1, 1024, &d))
				return KSFT_FAIL;
			o.threads = (int)d;
			break;
		case 'c':
			if (warp_parse_clocks(optarg, &o.clocks, &o.clocks_all)) {
				fprintf(stderr, "%s: --clock %s: want a comma-separated list of monotonic, raw, coarse, boottime, realtime, tsc, page, or all\n",
					argv[0], optarg);
				return KSFT_FAIL;
			}
			break;
		case 'J':
			if (!arg_double(argv[0], "max-jump-ms", optarg, 0.001,
					1e6, &o.max_jump_ms))
				return KSFT_FAIL;
			break;
		case 'P':
			if (!arg_double(argv[0], "max-ppm", optarg, 0.1, 1e7,
					&o.max_ppm))
				return KSFT_FAIL;
			break;
		case 'S':
			if (!arg_double(argv[0], "max-tsc-step-us", optarg, 0,
					1e9, &o.max_step_us))
				return KSFT_FAIL;
			break;
		case 'W':
			if (!arg_double(argv[0], "rate-window-ms", optarg,
					WARP_SLIDE_MS, 60000, &o.window_ms))
				return KSFT_FAIL;
			break;
		case 'e':
			if (!arg_double(argv[0], "events", optarg, 0, 1e6, &d))
				return KSFT_FAIL;
			o.print_events = (int)d;
			break;
		case 's':
			clocksource = optarg;
			break;
		case 'j':
			json = true;
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
	if (json)
		o.events_out = stderr;
	for (c = 0; c < WC_N; c++)
		nclocks += !!(o.clocks & (1u << c));

	if (!json) {
		ksft_print_header();
		ksft_set_plan(nclocks * WK_N + (clocksource ? 2 : 0));
	}
	if (clocksource) {
		if (geteuid())
			ksft_exit_skip("--clocksource needs root\n");
		if (!clocksource_available(clocksource))
			ksft_exit_skip("clocksource %s is not registered\n",
				       clocksource);
		err = clocksource_current(prev, sizeof(prev));
		if (!err)
			err = clocksource_select(clocksource);
		if (!json)
			ksft_test_result(!err, "clocksource %s made current (was %s)\n",
					 clocksource, prev);
		if (err)
			ksft_exit_fail_msg("cannot make %s current: %s\n",
					   clocksource, strerror(-err));
	}

	run = warp_start(&o, buf, sizeof(buf));
	if (!run)
		ksft_exit_fail_msg("%s\n", buf);
	res = malloc(sizeof(*res));
	if (!res)
		ksft_exit_fail_msg("out of memory\n");
	warp_finish(run, res);

	if (clocksource) {
		err = clocksource_restore(prev, now, sizeof(now), &refused);
		if (refused)
			ksft_print_msg("the kernel refused %s back (its watchdog marked it unstable); it chose %s\n",
				       prev, now);
		if (!json)
			ksft_test_result(!err && strcmp(now, clocksource),
					 "clocksource handed back from %s to %s\n",
					 clocksource, err ? "?" : now);
		if (err || !strcmp(now, clocksource))
			fails++;
		else
			passes++;
	}

	if (json) {
		for (c = 0; c < WC_N; c++)
			for (k = 0; k < WK_N && (o.clocks & (1u << c)); k++) {
				v = warp_verdict(res, &o, c, k, buf, sizeof(buf));
				fails += v == 0;
				passes += v > 0;
			}
		warp_json(stdout, res, &o);
		return fails ? KSFT_FAIL : passes ? KSFT_PASS : KSFT_SKIP;
	}

	warp_report(res, &o);
	for (c = 0; c < WC_N; c++) {
		if (!(o.clocks & (1u << c)))
			continue;
		for (k = 0; k < WK_N; k++) {
			v = warp_verdict(res, &o, c, k, buf, sizeof(buf));
			if (v > 0)
				ksft_test_result_pass("%s\n", buf);
			else if (v == 0)
				ksft_test_result_fail("%s\n", buf);
			else
				ksft_test_result_skip("%s\n", buf);
			fails += v == 0;
			passes += v > 0;
		}
	}
	free(res);
	if (fails)
		ksft_exit_fail();
	if (!passes)
		ksft_exit_skip("nothing could be checked\n");
	ksft_exit_pass();
}
