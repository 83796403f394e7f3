// SPDX-License-Identifier: GPL-2.0
/*
 * host_tsc_watch: does this machine's own TSC step back while the guests
 * run? Under TCG a guest's TSC is the host's (QEMU's cpu_get_ticks()),
 * and QEMU hides a host TSC that steps back by moving the guest's TSC
 * forward, so a host whose TSC steps back often makes a real-time guest's
 * TSC run ahead of its other clocks: checks of the clocks against the TSC
 * fail in the guest without any fault of the guest's. CI's machine had
 * such episodes (its TSC 117943 times back, worst 632 ns, in 2 s of
 * clock_warp; tests/tsc_skew). vmtest runs this beside its guests to know
 * whether a row ran through one.
 *
 * usage: host_tsc_watch [--inject-ns NS] [--inject-ppm PPM] LOG
 *
 * --inject-ns NS: the watch's own proof: the 101st reading of every
 * burst is taken NS back, so every second of every CPU is reported.
 *
 * A thread pinned to each CPU reads LFENCE;RDTSC back to back for
 * BURST_US, then sleeps SLEEP_MS: about 2% of a CPU, so the real-time
 * guests beside it are not slowed. A reading below the one before it on
 * the same CPU is a step back. Each second that saw any, per CPU, is
 * appended to LOG as one line:
 *
 *   <CLOCK_REALTIME s> <cpu> <step backs> <worst ns>
 *
 * The other clock a real-time guest follows is this machine's
 * CLOCK_MONOTONIC (QEMU's virtual clock: the guest's HPET, ACPI PM timer
 * and kvmclock), so the main thread also measures, each second, that
 * clock's rate against the TSC over the second, and the rate over the
 * whole watch so far; a second whose rate is more than RATE_PPM off the
 * whole's is appended as
 *
 *   <CLOCK_REALTIME s> mono <ppm>
 *
 * (positive: CLOCK_MONOTONIC ran fast against the TSC). A guest whose
 * clocksource is the HPET and whose checks measure it against its TSC
 * would see that difference as its own. Through a 137 s episode of the
 * TSC stepping back it stayed within 20 ppm: what a guest sees then is
 * QEMU's hiding of the step backs, not this machine's clock. Each pair
 * of readings is bracketed by two TSC readings, the narrowest bracket of
 * 8 kept: a pair is good to about 0.1 us, a second's rate to about
 * 0.1 ppm.
 *
 * --inject-ppm PPM proves this: every second is measured as if
 * CLOCK_MONOTONIC had run PPM fast over it (the whole's rate is not).
 *
 * Runs until SIGTERM or SIGINT, or until its parent (vmtest) ends. Exit
 * 0, or 2 on bad usage or I/O.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>
#include <tscpage/arch.h>

#define BURST_US	200
#define SLEEP_MS	10
#define RATE_PPM	20	/* clock_warp's --max-ppm */
#define RATE_SKIP_S	5	/* the whole's first seconds are too short */

static FILE *out;
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;
static double ns_per_cycle;
static uint64_t inject_cycles;

/* The project's ordered TSC read (include/tscpage/arch.h). */
static inline uint64_t tsc(void)
{
	return tp_rdtsc_ordered();
}

static uint64_t now_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The TSC's rate against CLOCK_MONOTONIC_RAW, over 100 ms. */
static void calibrate(void)
{
	uint64_t t0 = tsc(), n0 = now_ns(CLOCK_MONOTONIC_RAW);
	struct timespec d = { 0, 100000000 };

	nanosleep(&d, NULL);
	ns_per_cycle = (double)(now_ns(CLOCK_MONOTONIC_RAW) - n0) /
		       (double)(tsc() - t0);
}

static void report(time_t sec, int cpu, uint64_t n, uint64_t worst)
{
	pthread_mutex_lock(&out_lock);
	fprintf(out, "%lld %d %llu %.0f\n", (long long)sec, cpu,
		(unsigned long long)n, (double)worst * ns_per_cycle);
	fflush(out);
	pthread_mutex_unlock(&out_lock);
}

static void report_rate(time_t sec, double ppm)
{
	pthread_mutex_lock(&out_lock);
	fprintf(out, "%lld mono %+.1f\n", (long long)sec, ppm);
	fflush(out);
	pthread_mutex_unlock(&out_lock);
}

/* CLOCK_MONOTONIC and the TSC at one instant: the narrowest of 8 brackets. */
static void mono_pair(uint64_t *mono, uint64_t *at)
{
	uint64_t lo, hi, m, best = UINT64_MAX;
	int i;

	for (i = 0; i < 8; i++) {
		lo = tsc();
		m = now_ns(CLOCK_MONOTONIC);
		hi = tsc();
		if (hi >= lo && hi - lo < best) {
			best = hi - lo;
			*mono = m;
			*at = lo + (hi - lo) / 2;
		}
	}
}

/*
 * Each second until a signal: CLOCK_MONOTONIC's rate against the TSC over
 * the second, against its rate over the whole watch so far.
 */
static int watch_rate(const sigset_t *sigs, double inject_ppm)
{
	struct timespec sec_ts = { 1, 0 };
	uint64_t m0, t0, m, t, pm, pt;
	double whole, last, ppm;
	int n = 0;

	mono_pair(&m0, &t0);
	pm = m0;
	pt = t0;
	for (;;) {
		if (sigtimedwait(sigs, NULL, &sec_ts) >= 0)
			return 0;
		if (errno != EAGAIN && errno != EINTR)
			return 2;
		mono_pair(&m, &t);
		n++;
		if (t <= pt || t <= t0 || m <= pm)
			continue;
		last = (double)(m - pm) / (double)(t - pt);
		last *= 1 + inject_ppm / 1e6;
		whole = (double)(m - m0) / (double)(t - t0);
		ppm = (last / whole - 1) * 1e6;
		if (n > RATE_SKIP_S && (ppm > RATE_PPM || ppm < -RATE_PPM))
			report_rate(time(NULL), ppm);
		pm = m;
		pt = t;
	}
}

static void *watch(void *arg)
{
	int cpu = (int)(intptr_t)arg;
	struct timespec nap = { 0, SLEEP_MS * 1000000L };
	uint64_t burst = (uint64_t)(BURST_US * 1000.0 / ns_per_cycle);
	uint64_t n = 0, worst = 0, prev, t, end, i;
	time_t sec = time(NULL), s;
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set))
		return NULL;
	for (;;) {
		/* Across the sleep too: the thread stays on its CPU. */
		prev = tsc();
		end = prev + burst;
		i = 0;
		do {
			t = tsc();
			if (inject_cycles && i == 100)
				t -= inject_cycles;
			if (t < prev) {
				n++;
				if (prev - t > worst)
					worst = prev - t;
			}
			prev = t;
			/* A TSC far back must not hold the burst open. */
		} while (t < end && ++i < burst);
		s = time(NULL);
		if (s != sec) {
			if (n)
				report(sec, cpu, n, worst);
			sec = s;
			n = worst = 0;
		}
		nanosleep(&nap, NULL);
	}
	return NULL;
}

/* An option's number, within [lo, hi]; false with a message if not. */
static bool option_number(const char *prog, const char *opt, const char *arg,
			  double lo, double hi, double *v)
{
	char *end;

	*v = arg ? strtod(arg, &end) : 0;
	if (!arg || *end || !(*v >= lo && *v <= hi)) {
		fprintf(stderr, "%s: %s: %g to %g, not '%s'\n", prog, opt, lo,
			hi, arg ? arg : "");
		return false;
	}
	return true;
}

int main(int argc, char **argv)
{
	sigset_t sigs;
	cpu_set_t set;
	pthread_t th;
	double inject_ns = 0, inject_ppm = 0;
	int cpu, a = 1;

	for (; a < argc - 1 && !strncmp(argv[a], "--", 2); a += 2) {
		if (!strcmp(argv[a], "--inject-ns")) {
			if (!option_number(argv[0], argv[a], argv[a + 1], 1, 1e9,
					   &inject_ns))
				return 2;
		} else if (!strcmp(argv[a], "--inject-ppm")) {
			if (!option_number(argv[0], argv[a], argv[a + 1], -1e5,
					   1e5, &inject_ppm))
				return 2;
		} else {
			break;
		}
	}
	if (argc != a + 1 || argv[a][0] == '-') {
		fprintf(stderr, "usage: %s [--inject-ns NS] [--inject-ppm PPM] LOG\n",
			argv[0]);
		return 2;
	}
	out = fopen(argv[a], "a");
	if (!out) {
		fprintf(stderr, "%s: %s: %s\n", argv[0], argv[a], strerror(errno));
		return 2;
	}
	/* Nothing of a killed vmtest keeps running. */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) || getppid() == 1)
		return 2;
	/* The threads inherit the mask: only main takes the signals. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	calibrate();
	inject_cycles = (uint64_t)(inject_ns / ns_per_cycle);
	if (sched_getaffinity(0, sizeof(set), &set))
		return 2;
	for (cpu = 0; cpu < CPU_SETSIZE; cpu++) {
		if (!CPU_ISSET(cpu, &set))
			continue;
		if (pthread_create(&th, NULL, watch, (void *)(intptr_t)cpu))
			return 2;
	}
	/* A second's last lines may be lost: they were never written. */
	return watch_rate(&sigs, inject_ppm);
}
