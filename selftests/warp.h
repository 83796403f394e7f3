/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The hammer of clock_warp, shared with fault_matrix: the clocks it reads
 * (warp_clocks.c), the checks its hot threads make (warp_checks.c), the
 * rate sampler (warp_rate.c) and the collector and report (warp_report.c).
 *
 * One run: a bare single-thread read loop and the TSC's calibration
 * against CLOCK_MONOTONIC_RAW, then one hot thread pinned per online CPU
 * plus unpinned ones, each reading every selected clock in turn with an
 * ordered TSC read between two clocks, checking every reading as it goes
 * and handing what it finds to one collector thread through liburcu's
 * wait-free queue; a sampler thread measures each clock's rate against the
 * TSC over sliding windows.
 */
#ifndef _TSCPAGE_SELFTESTS_WARP_H
#define _TSCPAGE_SELFTESTS_WARP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

enum warp_clock {
	WC_MONO, WC_RAW, WC_COARSE, WC_BOOT, WC_REAL, WC_TSC, WC_PAGE, WC_N
};

enum warp_check {
	WK_BACKWARD,	/* a thread's own readings go back */
	WK_CROSS,	/* below a reading another thread published earlier */
	WK_JUMP,	/* consecutive readings further apart than --max-jump-ms,
			 * unless the thread was not run (warp_checks.c) */
	WK_RATE,	/* rate against the TSC, net of NTP, over a window */
	WK_STEP,	/* advanced more or less than the TSC between readings */
	WK_N
};

#define WARP_ALL_CLOCKS		((1u << WC_N) - 1)
#define WARP_HIST_BUCKETS	40

/* Defaults; Documentation/testing.rst says where they come from. */
#define WARP_DURATION_S		10.0
#define WARP_MAX_JUMP_MS	2000.0
#define WARP_MAX_PPM		20.0
#define WARP_MAX_STEP_US	500.0
#define WARP_WINDOW_MS		1000.0
#define WARP_SLIDE_MS		250.0
#define WARP_PUBLISH_NS		250

struct warp_opts {
	double duration_s;
	int threads;			/* 0: online CPUs + unpinned extra */
	unsigned int clocks;		/* 1 << enum warp_clock */
	bool clocks_all;		/* "all": the page only when present */
	double max_jump_ms;
	double max_ppm;
	double max_step_us;
	double window_ms;		/* rate window */
	double slide_ms;		/* rate sampling period */
	unsigned int publish_ns;	/* cross-CPU publication granularity */
	int print_events;		/* event lines per clock and check */
	FILE *events_out;		/* where the collector prints them */
	/*
	 * Self-test faults (warp_sensitivity), on the clock_gettime()
	 * clocks only (the TSC is the reference, the page carries its own):
	 * readings taken on CPU inject_cpu are set back by inject_skew_ns;
	 * one reading of the first thread, the first after a quarter of the
	 * duration, is made inject_back_ns below that thread's previous
	 * reading of the clock. 0: none. The hot loop without them is
	 * compiled apart, so a normal run pays nothing for them.
	 */
	double inject_skew_ns;
	int inject_cpu;
	double inject_back_ns;
	/*
	 * Also a self-test fault (warp_unrun): the first thread sleeps
	 * inject_nap_ms once, a quarter into the duration. 0: never.
	 */
	double inject_nap_ms;
};

void warp_opts_default(struct warp_opts *o);

/* What one check found on one clock, over the whole run. */
struct warp_stat {
	uint64_t count;			/* times it fired */
	double worst;			/* signed: ns, or ppm for the rate */
	int worst_cpu, worst_other;	/* -1 if none */
	double worst_at;		/* s since the start */
	double first_at;		/* s since the start of the first firing */
	uint64_t cpus;			/* CPUs involved, bit per CPU (mod 64) */
	/* The largest magnitude seen, fired or not (the noise floor). */
	double peak;
	int peak_cpu;
	double peak_at;
	uint64_t evaluated;		/* readings (or windows) checked */
	uint64_t unevaluated;		/* rate windows too noisy to judge */
};

struct warp_result {
	unsigned int clocks;		/* those actually read */
	const char *skip_why[WC_N];	/* a selected clock not read: why */
	int ncpus, nthreads, npinned;
	double duration_s;
	struct warp_stat st[WC_N][WK_N];
	/*
	 * A thread's gaps of more than the jump bound, by the TSC, over
	 * which another thread read the same clock throughout: the thread
	 * was not run, and no jump of the clock is counted (warp_checks.c).
	 * count: such absences; worst: the longest, in ns.
	 */
	struct warp_stat unrun;
	uint64_t reads[WC_N];
	uint64_t page_failures;		/* page reads that gave up */
	uint64_t iterations;		/* rounds of all clocks, all threads */
	double bare_rate[WC_N];		/* reads/s, one bare thread */
	double bare_mix_rate;		/* rounds/s of a bare thread */
	double thread_rate_min, thread_rate_avg;	/* rounds/s, wall */
	double thread_cpu_rate_avg;	/* rounds per CPU second */
	double migrations;		/* CPU changes of unpinned threads */
	uint64_t hist[WARP_HIST_BUCKETS];	/* round durations, log2 ns */
	double tsc_ghz;
	double cal_unc_ppm;		/* rate calibration uncertainty */
	double coarse_res_ns;
	uint64_t events, events_dropped;
	bool realtime_set;		/* someone set CLOCK_REALTIME */
	double realtime_set_at;
	bool rdtscp;
	const char *page_format;	/* NULL without a page */
};

struct warp_run;

/*
 * Measures the bare read rate, calibrates the TSC, starts the threads.
 * NULL with a message in @err on failure.
 */
struct warp_run *warp_start(const struct warp_opts *o, char *err,
			    size_t size);
/* Seconds since the start, by the TSC. */
double warp_now(struct warp_run *r);
/* The rate calibration is done: a fault injected now is measured. */
bool warp_rate_ready(struct warp_run *r);
/*
 * Waits out the duration (or until warp_end_early()), stops and joins,
 * fills @res, frees @r.
 */
void warp_finish(struct warp_run *r, struct warp_result *res);
/*
 * Makes a waiting warp_finish() end the run now, as if the duration were
 * over: for a caller that does not know beforehand how long it needs the
 * hammer. Async-signal-safe.
 */
void warp_end_early(void);

/* Names. */
const char *warp_clock_name(enum warp_clock c);
const char *warp_check_name(enum warp_check k);
/* "monotonic,raw,page" or "all" into a mask; -1 on an unknown name. */
int warp_parse_clocks(const char *s, unsigned int *mask, bool *all);

/*
 * Whether the check passed, and a one-line description for the KTAP
 * result; 1 pass, 0 fail, -1 not applicable (skip).
 */
int warp_verdict(const struct warp_result *res, const struct warp_opts *o,
		 enum warp_clock c, enum warp_check k, char *buf,
		 size_t size);
/* The report as KTAP diagnostic lines (ksft_print_msg). */
void warp_report(const struct warp_result *res, const struct warp_opts *o);
/* The whole result as one JSON document. */
void warp_json(FILE *f, const struct warp_result *res,
	       const struct warp_opts *o);

#endif /* _TSCPAGE_SELFTESTS_WARP_H */
