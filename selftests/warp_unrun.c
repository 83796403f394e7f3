// SPDX-License-Identifier: GPL-2.0
/*
 * warp_unrun - clock_warp's jump check tells a thread that was not run
 * from a clock that jumped.
 *
 * A hammer thread's two consecutive readings of a clock further apart
 * than the jump bound are a jump, unless the thread itself was off the
 * CPU and another thread read the same clock throughout (warp_checks.c):
 * then the other's checks watched the clock, and the gap is counted as
 * "not run". Three runs of the hammer on CLOCK_MONOTONIC, with a jump
 * bound of JUMP_MS:
 *
 *  1. two threads, the first sleeping NAP_MS once (the self-test fault
 *     inject_nap_ms): no jump, and one gap of at least NAP_MS not run;
 *  2. the same nap with the thread alone: nobody read meanwhile, a jump;
 *  3. two threads, the whole process stopped NAP_MS (SIGSTOP from a
 *     child, then SIGCONT): every thread's gap, no witness, a jump, and
 *     no gap counted as not run.
 *
 * Run 1 is the excuse working, runs 2 and 3 the proof that it hides no
 * jump that every reader saw. Exit 0 all passed, 1 a result failed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest.h"
#include "args.h"
#include "warp.h"

/*
 * The bound is well above the gaps a running thread of a TCG guest sees
 * (QEMU's round robin: up to 100 ms; the debug kernel: 371 ms measured),
 * so the witness's own run of readings stays unbroken; the nap is well
 * above the bound.
 */
#define JUMP_MS		600.0
#define NAP_MS		1500.0
#define DURATION_S	3.0

enum { R_NAP_TWO, R_NAP_ALONE, R_STOPPED, N_RESULTS };

static void sleep_ms(double ms)
{
	struct timespec ts = {
		.tv_sec = (time_t)(ms / 1000),
		.tv_nsec = (long)((ms - (time_t)(ms / 1000) * 1000) * 1e6),
	};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/*
 * One run; with @stop_at_s >= 0 a child stops this process at that many
 * seconds after the start for NAP_MS. 0, or -1 with a message.
 */
static int hammer(const struct warp_opts *o, double stop_at_s,
		  struct warp_result *res)
{
	struct warp_run *run;
	char err[256];
	pid_t child = -1, parent = getpid();
	int status;

	run = warp_start(o, err, sizeof(err));
	if (!run) {
		ksft_print_msg("the hammer did not start: %s\n", err);
		return -1;
	}
	if (stop_at_s >= 0) {
		child = fork();
		if (child == 0) {
			sleep_ms(stop_at_s * 1000);
			kill(parent, SIGSTOP);
			sleep_ms(NAP_MS);
			kill(parent, SIGCONT);
			_exit(0);
		}
		if (child < 0)
			ksft_print_msg("fork: %s\n", strerror(errno));
	}
	warp_finish(run, res);
	if (child > 0 && (waitpid(child, &status, 0) != child ||
			  !WIFEXITED(status))) {
		ksft_print_msg("the child that stops the process failed\n");
		return -1;
	}
	return child < 0 && stop_at_s >= 0 ? -1 : 0;
}

static void print_run(const char *what, const struct warp_result *r)
{
	const struct warp_stat *j = &r->st[WC_MONO][WK_JUMP];

	ksft_print_msg("%s: %d threads, %llu readings; jump %llu (worst %.3f ms); not run %llu (longest %.3f ms)\n",
		       what, r->nthreads,
		       (unsigned long long)r->reads[WC_MONO],
		       (unsigned long long)j->count, j->worst / 1e6,
		       (unsigned long long)r->unrun.count, r->unrun.worst / 1e6);
}

static void usage(FILE *f, const char *prog)
{
	fprintf(f,
		"usage: %s\n"
		"\n"
		"clock_warp's jump check (bound %g ms) against a thread that sleeps\n"
		"%g ms while another reads (no jump: not run), alone (a jump), and\n"
		"the whole process stopped as long (a jump). KTAP.\n",
		prog, JUMP_MS, NAP_MS);
}

int main(int argc, char **argv)
{
	static struct warp_result res;
	const struct arg_spec specs[] = { ARG_END };
	const struct warp_stat *jump = &res.st[WC_MONO][WK_JUMP];
	struct warp_opts base, o;
	int opt;

	opt = args_parse(argc, argv, specs, usage);
	if (opt >= 0)
		return opt;

	ksft_print_header();
	ksft_set_plan(N_RESULTS);
	warp_opts_default(&base);
	base.duration_s = DURATION_S;
	base.clocks = 1u << WC_MONO;
	base.clocks_all = false;
	base.max_jump_ms = JUMP_MS;
	base.print_events = 0;
	base.events_out = stderr;

	o = base;
	o.threads = 2;
	o.inject_nap_ms = NAP_MS;
	if (hammer(&o, -1, &res))
		ksft_test_result_fail("nap beside a reader: the run failed\n");
	else {
		print_run("nap beside a reader", &res);
		ksft_test_result(!jump->count && res.unrun.count >= 1 &&
				 res.unrun.worst >= NAP_MS * 1e6,
				 "a thread asleep %g ms while another read throughout: no jump (%llu), counted as not run (%llu, longest %.3f ms)\n",
				 NAP_MS, (unsigned long long)jump->count,
				 (unsigned long long)res.unrun.count,
				 res.unrun.worst / 1e6);
	}

	o.threads = 1;
	if (hammer(&o, -1, &res))
		ksft_test_result_fail("nap alone: the run failed\n");
	else {
		print_run("nap alone", &res);
		ksft_test_result(jump->count >= 1 && !res.unrun.count,
				 "the same nap with the thread alone is a jump (%llu, worst %.3f ms; not run %llu)\n",
				 (unsigned long long)jump->count,
				 jump->worst / 1e6,
				 (unsigned long long)res.unrun.count);
	}

	o = base;
	o.threads = 2;
	if (hammer(&o, DURATION_S / 4, &res))
		ksft_test_result_fail("process stopped: the run failed\n");
	else {
		print_run("process stopped", &res);
		ksft_test_result(jump->count >= 1 && !res.unrun.count,
				 "the whole process stopped %g ms is a jump (%llu, worst %.3f ms; not run %llu)\n",
				 NAP_MS, (unsigned long long)jump->count,
				 jump->worst / 1e6,
				 (unsigned long long)res.unrun.count);
	}
	ksft_finished();
}
