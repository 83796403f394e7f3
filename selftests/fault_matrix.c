// SPDX-License-Identifier: GPL-2.0
/*
 * fault_matrix - every check of clock_warp proven able to fail: each fault
 * of tscpage_hvsim's catalogue that applies to the loaded page format is
 * injected (TSCPAGE_HVSIM_IOC_FAULT) under the hammer, with tscpage
 * current, and must make the checks its row names fire; the hammer is run
 * again with no fault and must pass. Prints the matrix (fault -> checks
 * that fired, time to detect; clean run) and one KTAP result per row.
 *
 * tscpage's own defences keep several faults away from CLOCK_MONOTONIC (a
 * page stuck or invalid: the fallback to the last good parameters; a step
 * back: the guard), so most rows require the page clock, read raw through
 * /dev/tscpage. Documentation/testing.rst has the table and why each row
 * expects what it does.
 *
 * --sweep then injects backward steps of 1 ms down to 1 ns with the page
 * clock alone and --max-tsc-step-us 0 (the page is exact to the
 * nanosecond against its own TSC), after a clean run at that threshold,
 * and reports the smallest step each check caught.
 *
 * Needs root, tscpage_hvsim and tscpage loaded (tscpage with unusable_ms
 * above the stall rows' 1.2 s, so that it is not withdrawn mid-matrix).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "kselftest.h"
#include "args.h"
#include "clocksource_sysfs.h"
#include "hvsim_util.h"
#include "warp.h"

#define PV	(1u << TSCPAGE_FORMAT_PVCLOCK)
#define HV	(1u << TSCPAGE_FORMAT_HVREF)

#define REQ_MAX	3

struct req {
	enum warp_clock clock;
	enum warp_check check;
};

struct row {
	uint32_t fault;
	unsigned int formats;
	uint32_t for_ms;		/* 0: --max-jump-ms + 700 (a stall) */
	int64_t arg;
	struct req req[REQ_MAX];
	int nreq;			/* 0: nothing may fire */
	const char *why;
};

#define R(c, k)	{ WC_##c, WK_##k }

static const struct row rows[] = {
	{ TSCPAGE_HVSIM_FAULT_STUCK_ODD, PV, 0, 0, { R(PAGE, JUMP) }, 1,
	  "reads give up: the page clock stalls; the kernel falls back" },
	{ TSCPAGE_HVSIM_FAULT_SEQ_ZERO, HV, 0, 0, { R(PAGE, JUMP) }, 1,
	  "the page is invalid: the page clock stalls; the kernel falls back" },
	{ TSCPAGE_HVSIM_FAULT_ZERO_MUL, PV | HV, 0, 0, { R(PAGE, JUMP) }, 1,
	  "the reader refuses mul 0: a stall" },
	{ TSCPAGE_HVSIM_FAULT_BAD_SHIFT, PV, 0, 0, { R(PAGE, JUMP) }, 1,
	  "the reader refuses shift 40: a stall" },
	{ TSCPAGE_HVSIM_FAULT_HUGE_MUL, PV | HV, 400, 0,
	  { R(PAGE, STEP), R(PAGE, BACKWARD), R(PAGE, CROSS) }, 3,
	  "an absurd rate against the TSC; far back when it ends" },
	{ TSCPAGE_HVSIM_FAULT_STABLE_FLAP, PV, 800, 0, { }, 0,
	  "the flag carries no time: nothing may fire" },
	{ TSCPAGE_HVSIM_FAULT_ANCHOR_AHEAD, PV, 800, 0, { }, 0,
	  "tsc_timestamp ahead of every TSC, the same line: nothing may fire" },
	{ TSCPAGE_HVSIM_FAULT_NOTIFY_NOCHANGE, PV | HV, 300, 0, { }, 0,
	  "a notification alone: nothing may fire" },
	{ TSCPAGE_HVSIM_FAULT_NO_ACK, PV | HV, 300, 0, { }, 0,
	  "a 20 ms migration, clock continuous: nothing may fire" },
	{ TSCPAGE_HVSIM_FAULT_NOTIFY_LATE, PV | HV, 600, 0, { }, 0,
	  "a 20 ms migration told 600 ms late: nothing may fire" },
	/*
	 * The page stuck 400 ms, then resuming where it stuck: the kernel
	 * went on by extrapolating (fallback reads, published to the
	 * guard) and the page comes back behind it. The page clock steps
	 * back against the TSC; CLOCK_MONOTONIC must hold (it stepped less
	 * than the TSC), never go back or jump. The timekeeping core holds
	 * only what it accumulated at its last tick; tscpage's trusted
	 * reads hold the rest (tscpage_hold(), design.rst). Without that,
	 * 6.12: 'monotonic backward ... 1521317 ns back'.
	 */
	{ TSCPAGE_HVSIM_FAULT_STUCK_BACK, PV | HV, 400, 0,
	  { R(PAGE, STEP), R(MONO, STEP) }, 2,
	  "stuck 400 ms, then resumes where it stuck: the kernel's clock holds" },
	{ TSCPAGE_HVSIM_FAULT_WRONG_RATE, PV | HV, 1500, 0, { R(PAGE, RATE) }, 1,
	  "+1000 ppm, continuous: only the rate shows it" },
	{ TSCPAGE_HVSIM_FAULT_CHANGE_NONOTIFY, PV | HV, 300, 0,
	  { R(PAGE, STEP), R(MONO, STEP) }, 2,
	  "a 20 ms pause hidden from the clock: behind the TSC, kernel too" },
	{ TSCPAGE_HVSIM_FAULT_FORWARD, PV | HV, 300, 0,
	  { R(PAGE, STEP), R(MONO, STEP) }, 2,
	  "50 ms ahead: tscpage reports it and the kernel's clock follows" },
	{ TSCPAGE_HVSIM_FAULT_BACKWARD, PV | HV, 300, 0, { R(PAGE, STEP) }, 1,
	  "1 ms back, published properly: exact against the TSC" },
	{ TSCPAGE_HVSIM_FAULT_TORN, PV, 500, 0,
	  { R(PAGE, STEP), R(PAGE, BACKWARD), R(PAGE, CROSS) }, 3,
	  "new tsc_timestamp, old system_time: seconds back" },
	/*
	 * 1 ms back in alternate half periods: with the vCPUs in one host
	 * thread no reader meets both halves within 1 ms of its own time.
	 */
	{ TSCPAGE_HVSIM_FAULT_TORN, HV, 500, 0, { R(PAGE, STEP) }, 1,
	  "the offset 1 ms behind in alternate half periods" },
};

#define NROWS	(sizeof(rows) / sizeof(rows[0]))

static const int64_t sweep_args[] = {
	1000000, 100000, 10000, 1000, 100, 10, 1
};
#define NSWEEP	(sizeof(sweep_args) / sizeof(sweep_args[0]))

static int hv;
static struct warp_opts base;

/* "page:backward(3) monotonic:tsc_step(1)" */
static int fired_str(const struct warp_result *res, char *buf, size_t size)
{
	size_t len = 0;
	int c, k, n = 0;

	buf[0] = '\0';
	for (c = 0; c < WC_N; c++)
		for (k = 0; k < WK_N; k++) {
			const struct warp_stat *s = &res->st[c][k];

			if (!s->count)
				continue;
			/* A set CLOCK_REALTIME is not a fault's doing. */
			n++;
			if (len < size)
				len += snprintf(buf + len, size - len, "%s%s:%s(%" PRIu64 ")",
						len ? " " : "", warp_clock_name(c),
						warp_check_name(k), s->count);
		}
	if (!n)
		snprintf(buf, size, "none");
	return n;
}

/* Waits for the simulator to have no active fault: 5 s at most. */
static bool wait_idle(void)
{
	uint32_t fault;

	return hvsim_wait_idle(hv, 5000, &fault);
}

/*
 * One hammer run of @o, with @fault injected for @for_ms once the rate is
 * calibrated (or after @inject_s when @inject_s > 0); *@at the injection
 * time (s since the run's start). 0, or the ioctl's errno.
 */
static int hammer(const struct warp_opts *o, uint32_t fault, uint32_t for_ms,
		  int64_t arg, double inject_s, struct warp_result *res,
		  double *at)
{
	struct tscpage_hvsim_fault_req req = {
		.fault = fault, .for_ms = for_ms, .arg = arg,
	};
	struct timespec ts = { 0, 5 * 1000 * 1000 };
	struct warp_run *run;
	char err[256];
	int e = 0;

	run = warp_start(o, err, sizeof(err));
	if (!run)
		ksft_exit_fail_msg("hammer: %s\n", err);
	if (fault) {
		while (inject_s > 0 ? warp_now(run) < inject_s :
				      !warp_rate_ready(run))
			nanosleep(&ts, NULL);
		if (inject_s <= 0)
			while (warp_now(run) < o->window_ms / 1000 + 0.5)
				nanosleep(&ts, NULL);
		*at = warp_now(run);
		if (ioctl(hv, TSCPAGE_HVSIM_IOC_FAULT, &req))
			e = errno;
	}
	warp_finish(run, res);
	return e;
}

/* Whether every required check fired (none at all for a "nothing" row). */
/* What a row with checks that must fire also says must not. */
static const struct {
	uint32_t fault;
	struct req never[REQ_MAX];
	int n;
} nevers[] = {
	{ TSCPAGE_HVSIM_FAULT_STUCK_BACK,
	  { R(MONO, BACKWARD), R(MONO, JUMP), R(MONO, CROSS) }, 3 },
};

static bool row_ok(const struct row *rw, const struct warp_result *res,
		   double at, double *detect)
{
	unsigned int k;
	int i, n;

	*detect = -1;
	if (!rw->nreq) {
		for (n = 0; n < WC_N * WK_N; n++)
			if (res->st[n / WK_N][n % WK_N].count)
				return false;
		return true;
	}
	for (k = 0; k < ARRAY_SIZE(nevers); k++) {
		if (nevers[k].fault != rw->fault)
			continue;
		for (i = 0; i < nevers[k].n; i++)
			if (res->st[nevers[k].never[i].clock]
				   [nevers[k].never[i].check].count)
				return false;
	}
	for (i = 0; i < rw->nreq; i++) {
		const struct warp_stat *s = &res->st[rw->req[i].clock][rw->req[i].check];

		if (!s->count)
			return false;
		if (*detect < 0 || s->first_at - at < *detect)
			*detect = s->first_at - at;
	}
	return true;
}

static void req_str(const struct row *rw, char *buf, size_t size)
{
	unsigned int k;
	size_t len = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < rw->nreq && len < size; i++)
		len += snprintf(buf + len, size - len, "%s%s:%s", i ? " " : "",
				warp_clock_name(rw->req[i].clock),
				warp_check_name(rw->req[i].check));
	if (!rw->nreq)
		snprintf(buf, size, "nothing");
	for (k = 0; k < ARRAY_SIZE(nevers); k++) {
		if (nevers[k].fault != rw->fault)
			continue;
		for (i = 0; i < nevers[k].n && len < size; i++)
			len += snprintf(buf + len, size - len, " !%s:%s",
					warp_clock_name(nevers[k].never[i].clock),
					warp_check_name(nevers[k].never[i].check));
	}
}

struct line {
	const char *fault;
	int64_t arg;
	uint32_t for_ms;
	char want[160], fired[1024], clean[64];
	double detect;
	bool ok;
};

static void sweep(struct warp_result *res)
{
	struct warp_opts o = base;
	char fired[256];
	double at;
	int64_t smallest[WK_N];
	unsigned int i;
	int k, e;
	bool clean;

	o.clocks = 1u << WC_PAGE;
	o.clocks_all = false;
	o.max_step_us = 0;
	o.duration_s = 1.2;
	o.print_events = 0;
	for (k = 0; k < WK_N; k++)
		smallest[k] = -1;

	hammer(&o, 0, 0, 0, 0, res, &at);
	clean = !fired_str(res, fired, sizeof(fired));
	ksft_test_result(clean, "sweep: clean run, page alone, tsc_step threshold 0: %s fired\n",
			 fired);
	for (i = 0; i < NSWEEP; i++) {
		if (!wait_idle())
			ksft_exit_fail_msg("the simulator's fault did not end\n");
		e = hammer(&o, TSCPAGE_HVSIM_FAULT_BACKWARD, 200, sweep_args[i],
			   0.4, res, &at);
		fired_str(res, fired, sizeof(fired));
		if (e) {
			ksft_test_result_fail("sweep: backward %" PRId64 " ns: IOC_FAULT %s\n",
					      sweep_args[i], errname(e));
			continue;
		}
		for (k = 0; k < WK_N; k++)
			if (res->st[WC_PAGE][k].count)
				smallest[k] = sweep_args[i];
		ksft_test_result(res->st[WC_PAGE][WK_STEP].count ||
				 sweep_args[i] < 100,
				 "sweep: backward %" PRId64 " ns: %s\n",
				 sweep_args[i], fired);
	}
	ksft_print_msg("smallest backward step caught on the page clock: backward %" PRId64 " ns, cross_cpu %" PRId64 " ns, tsc_step %" PRId64 " ns (-1: none)\n",
		       smallest[WK_BACKWARD], smallest[WK_CROSS],
		       smallest[WK_STEP]);
}

static void usage(FILE *f, const char *prog)
{
	fprintf(f,
		"usage: %s [--sweep] [--max-jump-ms MS] [--events N]\n"
		"\n"
		"With tscpage current over tscpage_hvsim: each fault of the catalogue\n"
		"that applies to the page format, injected under clock_warp's hammer,\n"
		"must make its row's checks fire, and a clean run must pass. --sweep\n"
		"then finds the smallest backward step caught on the page clock.\n",
		prog);
}

int main(int argc, char **argv)
{
	struct line lines[NROWS];
	struct clock_takeover clock;
	char clean_fired[1024];
	struct tscpage_hvsim_status st;
	struct warp_result *res;
	unsigned int i, nrows = 0, nl = 0;
	bool do_sweep = false;
	uint64_t max_jump_ms, events = 2;
	int opt, tp;
	const struct arg_spec specs[] = {
		ARG_FLAG("sweep", 0, &do_sweep),
		ARG_U64("max-jump-ms", 0, &max_jump_ms, 50, 10000),
		ARG_U64("events", 0, &events, 0, 1000),
		ARG_END,
	};

	warp_opts_default(&base);
	max_jump_ms = base.max_jump_ms;
	opt = args_parse(argc, argv, specs, usage);
	if (opt >= 0)
		return opt;
	base.max_jump_ms = max_jump_ms;
	base.print_events = events;

	ksft_print_header();
	hv = hvsim_open(&tp, &st);
	for (i = 0; i < NROWS; i++)
		nrows += !!(rows[i].formats & (1u << st.format));
	/* The sweep: its clean run, then each step. */
	ksft_set_plan(CLOCK_TAKEOVER_RESULTS + nrows + (do_sweep ? 1 + NSWEEP : 0));
	res = malloc(sizeof(*res));
	if (!res)
		ksft_exit_fail_msg("out of memory\n");
	take_clock(&clock);
	ksft_print_msg("page %s; jump threshold %g ms, rate %g ppm, tsc_step %g us\n",
		       format_name(st.format), base.max_jump_ms, base.max_ppm,
		       base.max_step_us);

	for (i = 0; i < NROWS; i++) {
		const struct row *rw = &rows[i];
		struct warp_opts o = base;
		struct line *l = &lines[nl];
		double at = 0, detect = -1;
		bool fault_ok, clean_ok;
		int e;

		if (!(rw->formats & (1u << st.format)))
			continue;
		nl++;
		memset(l, 0, sizeof(*l));
		l->fault = fault_name(rw->fault);
		l->for_ms = rw->for_ms ? rw->for_ms :
			    (uint32_t)(base.max_jump_ms + 700);
		l->arg = rw->arg;
		req_str(rw, l->want, sizeof(l->want));
		o.duration_s = base.window_ms / 1000 + 0.8 + l->for_ms / 1000.0 +
			       1.0;
		if (!wait_idle())
			ksft_exit_fail_msg("the simulator's fault did not end\n");
		ksft_print_msg("-- %s (%s): %s\n", l->fault, l->want, rw->why);
		e = hammer(&o, rw->fault, l->for_ms, l->arg, 0, res, &at);
		fired_str(res, l->fired, sizeof(l->fired));
		fault_ok = !e && row_ok(rw, res, at, &detect);
		l->detect = detect;
		if (e)
			snprintf(l->fired, sizeof(l->fired), "IOC_FAULT: %s",
				 errname(e));
		if (!wait_idle())
			ksft_exit_fail_msg("the simulator's fault did not end\n");
		/*
		 * The clean run needs no room for a fault: one rate window
		 * and a second, which keeps the matrix inside the guest's
		 * time budget.
		 */
		o.duration_s = base.window_ms / 1000 + 1.0;
		hammer(&o, 0, 0, 0, 0, res, &at);
		clean_ok = !fired_str(res, clean_fired, sizeof(clean_fired));
		snprintf(l->clean, sizeof(l->clean), "%s",
			 clean_ok ? "passed" : "FIRED");
		l->ok = fault_ok && clean_ok;
		if (!clean_ok)
			ksft_print_msg("clean run after %s fired: %s\n", l->fault,
				       clean_fired);
		if (detect >= 0)
			ksft_test_result(l->ok, "%s: %s fired (wanted %s), detected in %.3f s; clean run %s\n",
					 l->fault, l->fired, l->want, detect,
					 l->clean);
		else
			ksft_test_result(l->ok, "%s: %s fired (wanted %s); clean run %s\n",
					 l->fault, l->fired, l->want, l->clean);
	}

	ksft_print_msg("the fault matrix (%s page):\n", format_name(st.format));
	ksft_print_msg("  %-16s %-13s %-7s %-27s %-9s %-6s %s\n", "fault", "arg",
		       "for_ms", "must fire", "detect", "clean", "fired");
	for (i = 0; i < nl; i++) {
		char det[16] = "-", arg[24] = "-";

		if (lines[i].detect >= 0)
			snprintf(det, sizeof(det), "%.3f s", lines[i].detect);
		if (lines[i].arg)
			snprintf(arg, sizeof(arg), "%" PRId64 " ns", lines[i].arg);
		ksft_print_msg("  %-16s %-13s %-7u %-27s %-9s %-6s %s\n",
			       lines[i].fault, arg, lines[i].for_ms,
			       lines[i].want, det, lines[i].clean,
			       lines[i].fired);
	}
	if (do_sweep) {
		if (!wait_idle())
			ksft_exit_fail_msg("the simulator's fault did not end\n");
		sweep(res);
	}
	free(res);
	give_clock(&clock);
	close(tp);
	close(hv);
	ksft_finished();
}
