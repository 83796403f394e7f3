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
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "clock_takeover.h"
#include "kselftest.h"
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

/* --clock LIST */
static bool parse_clocks(const char *prog, const char *name,
			 const char *value, void *out)
{
	struct warp_opts *o = out;

	if (warp_parse_clocks(value, &o->clocks, &o->clocks_all)) {
		fprintf(stderr, "%s: --%s %s: want a comma-separated list of monotonic, raw, coarse, boottime, realtime, tsc, page, or all\n",
			prog, name, value);
		return false;
	}
	return true;
}

int main(int argc, char **argv)
{
	char msg[CLOCK_TAKEOVER_MSG];
	struct clock_takeover clock;
	const char *clocksource = NULL;
	struct warp_result *res;
	struct warp_opts o;
	struct warp_run *run;
	bool json = false, ok;
	int opt, c, k, v, nclocks = 0, fails = 0, passes = 0, err;
	double threads = 0, events;
	char buf[512];
	const struct arg_spec specs[] = {
		ARG_DOUBLE("duration", 'd', &o.duration_s, 0.5, 86400),
		ARG_DOUBLE("threads", 't', &threads, 1, 1024),
		ARG_FN("clock", 'c', parse_clocks, &o),
		ARG_DOUBLE("max-jump-ms", 0, &o.max_jump_ms, 0.001, 1e6),
		ARG_DOUBLE("max-ppm", 0, &o.max_ppm, 0.1, 1e7),
		ARG_DOUBLE("max-tsc-step-us", 0, &o.max_step_us, 0, 1e9),
		ARG_DOUBLE("rate-window-ms", 0, &o.window_ms, WARP_SLIDE_MS,
			   60000),
		ARG_DOUBLE("events", 0, &events, 0, 1e6),
		ARG_STR("clocksource", 0, &clocksource),
		ARG_FLAG("json", 'j', &json),
		ARG_END,
	};

	signal(SIGUSR1, on_sigusr1);
	warp_opts_default(&o);
	events = o.print_events;
	opt = args_parse(argc, argv, specs, usage);
	if (opt >= 0)
		return opt;
	if (threads)
		o.threads = (int)threads;
	o.print_events = (int)events;
	if (json)
		o.events_out = stderr;
	for (c = 0; c < WC_N; c++)
		nclocks += !!(o.clocks & (1u << c));

	if (!json) {
		ksft_print_header();
		ksft_set_plan(nclocks * WK_N +
			      (clocksource ? CLOCK_TAKEOVER_RESULTS : 0));
	}
	if (clocksource) {
		if (geteuid())
			ksft_exit_skip("--clocksource needs root\n");
		if (!clocksource_available(clocksource))
			ksft_exit_skip("clocksource %s is not registered\n",
				       clocksource);
		err = clock_take(&clock, clocksource, msg, sizeof(msg));
		if (!json)
			ksft_test_result(!err, "%s\n", msg);
		if (err) {
			ok = clock_give(&clock, msg, sizeof(msg));
			if (!json)
				ksft_test_result(ok, "%s\n", msg);
			ksft_exit_fail_msg("cannot go on without %s current\n",
					   clocksource);
		}
	}

	run = warp_start(&o, buf, sizeof(buf));
	if (!run)
		ksft_exit_fail_msg("%s\n", buf);
	res = malloc(sizeof(*res));
	if (!res)
		ksft_exit_fail_msg("out of memory\n");
	warp_finish(run, res);

	if (clocksource) {
		ok = clock_give(&clock, msg, sizeof(msg));
		if (!json)
			ksft_test_result(ok, "%s\n", msg);
		if (ok)
			passes++;
		else
			fails++;
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
