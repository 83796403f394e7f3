/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The hammer's insides, shared by warp_clocks.c, warp_checks.c,
 * warp_rate.c and warp_report.c: the run, the hot threads, the events and
 * the clock readers that the hot loop inlines.
 */
#ifndef _TSCPAGE_SELFTESTS_WARP_INT_H
#define _TSCPAGE_SELFTESTS_WARP_INT_H

#define _LGPL_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include <urcu/wfcqueue.h>

#include <linux/tscpage.h>

#include "warp.h"

#define CACHELINE	64

/* Events a thread can hand over in one run; more are counted only. */
#define WARP_POOL	64
/* Of which at most this many per clock and check. */
#define WARP_POOL_PER	6

/* One finding, handed from a hot thread to the collector. */
struct warp_event {
	struct cds_wfcq_node node;
	uint8_t clock, check;
	int16_t thread;
	int16_t cpu, other;		/* other: the publisher's CPU, or -1 */
	double at;			/* s since the start */
	double size;			/* ns, or ppm */
	uint64_t a, b;			/* the readings (or window ends) */
	double c;			/* rate: expected ppm; step: TSC ns */
};

/* One reading of the page by the shared reader, with its TSC. */
struct page_read {
	uint64_t ns, tsc;
	union {
		struct tscpage_pvclock pv;
		struct tscpage_hvref hv;
	} p;
};

/* A clock's last reading as published for the other threads. */
struct pub {
	_Atomic uint64_t v;
	_Atomic int32_t who;		/* CPU of the publisher, best effort */
} __attribute__((aligned(CACHELINE)));

/*
 * A thread's unbroken reading of one clock, for the other threads' jump
 * check: last, the TSC after its latest reading; since, the TSC before
 * the first reading of its current run of readings no further apart by
 * the TSC than the jump bound. Written by the thread alone, since
 * (relaxed) before last (release); read by another thread only when one
 * of its own readings jumped, last (acquire) before since, so that a last
 * it sees comes with a since at least as new as the one stored with it.
 */
struct presence {
	_Atomic uint64_t since, last;
};

struct warp_thread {
	struct warp_run *run;
	pthread_t th;
	int idx, pin;			/* pin: CPU, or -1 */
	bool started;
	uint64_t iters;
	uint64_t reads[WC_N];
	uint64_t page_fail;
	uint64_t migrations;
	double cpu_s;			/* CPU time used */
	double wall_s;
	struct warp_stat st[WC_N][WK_N];
	struct warp_stat unrun;		/* see struct warp_result */
	uint64_t unrun_round;		/* iters + 1 of the last one counted */
	struct presence seen[WC_N];
	uint64_t hist[WARP_HIST_BUCKETS];
	struct warp_event pool[WARP_POOL];
	int pool_used;
	uint8_t per[WC_N][WK_N];	/* events handed over per pair */
	uint64_t dropped;
	bool back_pending;		/* inject_back_ns still to inject */
	bool nap_pending;		/* inject_nap_ms still to sleep */
} __attribute__((aligned(CACHELINE)));

struct warp_run {
	struct warp_opts o;
	unsigned int clocks;
	int order[WC_N], nclocks;	/* the hot loop's rotation */
	const char *skip_why[WC_N];
	int ncpus, nthreads, npinned;
	struct warp_thread *t;
	pthread_barrier_t go;
	atomic_bool stop;
	struct pub pub[WC_N];

	/* The TSC: start, ns per cycle (bare-phase and rate calibration). */
	uint64_t tsc0;
	struct timespec raw0;	/* CLOCK_MONOTONIC_RAW at tsc0 */
	double nspc;
	double res_ns[WC_N];		/* clock_getres(), for the step check */

	/* The page. */
	const void *page;
	uint32_t format;
	int page_fd;
	/*
	 * The page is one CPU's own (the kvm provider maps CPU 0's
	 * kvmclock page): without TSC_STABLE it holds for that CPU alone.
	 */
	bool page_per_cpu;

	/* Bare rates. */
	double bare_rate[WC_N], bare_mix_rate;

	/* Rate sampler (warp_rate.c). */
	pthread_t sampler;
	atomic_bool rate_ready;
	double rate_nspc, cal_unc_ppm;
	struct warp_stat rate_st[WC_N];
	struct warp_event rate_pool[WARP_POOL];
	int rate_pool_used;
	uint8_t rate_per[WC_N];
	struct warp_rate_state *rs;

	/* Collector (warp_report.c). */
	pthread_t collector;
	atomic_bool collector_stop;
	struct cds_wfcq_head qhead;
	struct cds_wfcq_tail qtail;
	uint64_t events_printed[WC_N][WK_N];
	uint64_t events;
	atomic_bool realtime_set;
	double realtime_set_at;
	int timerfd;

	double start_wall;		/* CLOCK_MONOTONIC at the threads' start */
};

extern bool warp_have_rdtscp;

/*
 * The TSC, not read before the loads ahead of it have completed, and the
 * CPU it was read on where RDTSCP says. No fence after: every clock read
 * that follows begins with its own (the vDSO's and the shared reader's
 * LFENCE;RDTSC, a syscall's entry), which waits for this one.
 */
static inline uint64_t warp_tsc(int *cpu)
{
	uint32_t lo, hi, aux;

	if (warp_have_rdtscp) {
		/* RDTSCP waits for the loads before it. */
		__asm__ __volatile__("rdtscp"
				     : "=a"(lo), "=d"(hi), "=c"(aux) : : "memory");
		*cpu = aux & 0xfff;
	} else {
		__asm__ __volatile__("lfence\n\trdtsc"
				     : "=a"(lo), "=d"(hi) : : "memory");
	}
	return ((uint64_t)hi << 32) | lo;
}

static inline uint64_t warp_ts_ns(const struct timespec *ts)
{
	return (uint64_t)ts->tv_sec * 1000000000u + (uint64_t)ts->tv_nsec;
}

/* The clockid of a clock_gettime() clock. */
clockid_t warp_clockid(enum warp_clock c);

/* warp_clocks.c */
bool warp_cpu_has_rdtscp(void);
int warp_page_open(struct warp_run *r);	/* 0, or -errno */
void warp_page_close(struct warp_run *r);
int warp_page_read(const struct warp_run *r, struct page_read *pr);
/* The page's time at @tsc by the parameters of an earlier read. */
uint64_t warp_page_predict(const struct warp_run *r,
			   const struct page_read *prev, uint64_t tsc);
/*
 * One reading of @c with a TSC bracket: *@lo and *@hi the TSC before and
 * after (the page's own TSC for both). 0, or the page reader's -errno.
 */
int warp_read_bracketed(const struct warp_run *r, enum warp_clock c,
			uint64_t *v, uint64_t *lo, uint64_t *hi);
/* Bare read rates and the TSC calibration; before the threads. */
void warp_bare(struct warp_run *r, double seconds);

/* warp_checks.c */
int warp_threads_start(struct warp_run *r);
void warp_threads_join(struct warp_run *r);
void warp_stat_fire(struct warp_stat *s, double size, int cpu, int other,
		    double at);
void warp_stat_peak(struct warp_stat *s, double mag, int cpu, double at);
void warp_stat_merge(struct warp_stat *to, const struct warp_stat *from);
void warp_stat_init(struct warp_stat *s);

/* warp_rate.c */
int warp_rate_start(struct warp_run *r);
void warp_rate_stop(struct warp_run *r);

/* warp_report.c: the collector. */
int warp_collector_start(struct warp_run *r);
void warp_collector_stop(struct warp_run *r);
void warp_event_push(struct warp_run *r, struct warp_event *e);

static inline double warp_at(const struct warp_run *r, uint64_t tsc)
{
	return (double)(int64_t)(tsc - r->tsc0) * r->nspc * 1e-9;
}

#endif /* _TSCPAGE_SELFTESTS_WARP_INT_H */
