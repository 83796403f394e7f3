// SPDX-License-Identifier: GPL-2.0
/*
 * clock_latency - what one read of the time costs, every way this machine
 * offers, side by side in one run (issue #7, item 4).
 *
 * Calls are timed between two LFENCE;RDTSC reads. The cost of that empty
 * bracket, measured in the same run, is subtracted, so a figure is the
 * time the call adds to a stream of instructions. Cycles become
 * nanoseconds by the TSC frequency the kvmclock (or Hyper-V) page
 * implies, or, without a page, by a 200 ms calibration against
 * CLOCK_MONOTONIC_RAW.
 *
 * Resolution: some TSCs do not advance by one every cycle but in steps
 * (on this project's AMD EPYC KVM guest, 21 ticks, 10 ns, at a time), too
 * coarse for calls of 10 to 30 ns. The step is measured first (the
 * greatest common divisor of many bracket widths); when it is more than
 * one tick, a bracket times K calls in a row, K chosen so that a step is
 * at most 0.5 ns per call, and a sample is the bracket's cost divided by
 * K. A sample is then the mean of K consecutive calls: the body of the
 * distribution is right, its tail is diluted K times. Paths slow enough
 * that one step does not matter (the syscall) keep one call per bracket.
 * For the same reason the empty bracket's mean (its slowest 1% left out)
 * is subtracted, not its median: the TSC's phase drifts against the loop,
 * so the mean of quantized widths is not biased by the step, the median
 * is.
 *
 * The paths are interleaved in batches (BATCH calls of one path, then the
 * next), the order rotated every round, so that whatever the machine does
 * meanwhile (interrupts, the host stealing the vCPU) falls on all paths
 * alike; the thread is pinned to one CPU so that no path is measured on
 * another CPU's TSC or caches.
 *
 * Output: a table on stdout; with --json, every figure as JSON; with
 * --hist, the complementary CDF of each path for bench/latency.gp.
 */
#define _GNU_SOURCE
#include <cpuid.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/perf_event.h>
#include <math.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <tscpage/reader.h>

#include "libtscpage.h"
#include "vvar.h"

#define DEFAULT_SAMPLES	1000000L
#define MAX_SAMPLES	100000000L
/*
 * Calls of one path in a row: long enough for the path to run warm, as in
 * a program that reads the time often, short enough (tens of microseconds)
 * that machine noise is spread over all paths.
 */
#define BATCH		1000
/* Calls of each path before any is kept: caches, TLB, branch predictors. */
#define WARMUP		20000
/* As libtscpage: a page stuck mid-update costs a read this many attempts. */
#define MAX_RETRIES	1024
/* Calls per bracket at most; and the resolution a step is spread to. */
#define MAX_GROUP	64
#define GROUP_RES_NS	0.5
/* A path this many steps slow keeps one call per bracket. */
#define SLOW_STEPS	20
#define CALIBRATE_NS	200000000ULL
#define CURRENT_CS "/sys/devices/system/clocksource/clocksource0/current_clocksource"

/* ------------------------------------------------------------------ */
/* The timing primitives.                                              */

/* The bracket: LFENCE so that RDTSC waits for the work before it. */
static inline uint64_t rdtsc_lfence(void)
{
	return tp_rdtsc_ordered();
}

static inline uint64_t rdtsc_bare(void)
{
	uint32_t lo, hi;

	__asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

static inline uint64_t rdtscp_bare(void)
{
	uint32_t lo, hi, aux;

	__asm__ __volatile__("rdtscp" : "=a"(lo), "=d"(hi), "=c"(aux));
	return ((uint64_t)hi << 32) | lo;
}

/*
 * Makes @v look used by an asm the compiler must keep in order with the
 * closing RDTSC (both are volatile): without it, pure arithmetic such as
 * the page scaling could be moved past the bracket, or dropped.
 */
static inline void sink(uint64_t v)
{
	__asm__ __volatile__("" : : "r"(v) : "memory");
}

static uint64_t ts_ns(const struct timespec *ts)
{
	return (uint64_t)ts->tv_sec * 1000000000u + (uint64_t)ts->tv_nsec;
}

/* ------------------------------------------------------------------ */
/* The paths.                                                          */

static struct tscpage_clock *clk_best;	/* tscpage_clock_open(0) */
static struct tscpage_clock *clk_vvar;	/* open(NO_DEVICE), if open(0) got the device */
static struct tscpage_clock *clk_sys;	/* open(NO_DEVICE | NO_VVAR) */
static const void *vvar_page;
static enum tscpage_format vvar_format;

/*
 * One timed call. Each path is its own function, called through a
 * pointer: the call into it is outside the bracket, the path's own work
 * (including its calls into libc, the vDSO or libtscpage) inside.
 */
#define TIMED(k, body) do {				\
	uint64_t t0_, t1_;				\
	unsigned int i_;				\
							\
	t0_ = rdtsc_lfence();				\
	for (i_ = 0; i_ < (k); i_++) {			\
		body;					\
	}						\
	t1_ = rdtsc_lfence();				\
	return t1_ - t0_;				\
} while (0)

static uint64_t p_empty(void)
{
	uint64_t t0 = rdtsc_lfence();

	return rdtsc_lfence() - t0;
}

static uint64_t p_rdtsc_lfence(unsigned int k)
{
	TIMED(k, sink(tp_rdtsc_ordered()));
}

static uint64_t p_rdtsc(unsigned int k)
{
	TIMED(k, sink(rdtsc_bare()));
}

static uint64_t p_rdtscp(unsigned int k)
{
	TIMED(k, sink(rdtscp_bare()));
}

static uint64_t p_lib_best(unsigned int k)
{
	TIMED(k, sink(tscpage_clock_ns(clk_best)));
}

static uint64_t p_lib_vvar(unsigned int k)
{
	TIMED(k, sink(tscpage_clock_ns(clk_vvar)));
}

static uint64_t p_lib_sys(unsigned int k)
{
	TIMED(k, sink(tscpage_clock_ns(clk_sys)));
}

/* The reader alone, as a caller would use it: the time only if sampled. */
static uint64_t p_reader_pvclock(unsigned int k)
{
	uint64_t ns = 0;

	TIMED(k, {
		struct tscpage_pvclock_sample s;

		if (!tscpage_pvclock_sample(vvar_page, MAX_RETRIES, &s))
			ns = tscpage_pvclock_ns(&s.params, s.tsc);
		sink(ns);
	});
}

static uint64_t p_reader_hvref(unsigned int k)
{
	uint64_t ns = 0;

	TIMED(k, {
		struct tscpage_hvref_sample s;

		if (!tscpage_hvref_sample(vvar_page, MAX_RETRIES, &s))
			ns = tscpage_hvref_ns(&s.params, s.tsc);
		sink(ns);
	});
}

#define VDSO_PATH(fn, clock)					\
static uint64_t fn(unsigned int k)				\
{								\
	struct timespec ts;					\
								\
	TIMED(k, { clock_gettime(clock, &ts); sink(ts_ns(&ts)); }); \
}

VDSO_PATH(p_vdso_mono, CLOCK_MONOTONIC)
VDSO_PATH(p_vdso_raw, CLOCK_MONOTONIC_RAW)
VDSO_PATH(p_vdso_real, CLOCK_REALTIME)
VDSO_PATH(p_vdso_boot, CLOCK_BOOTTIME)
VDSO_PATH(p_vdso_mono_coarse, CLOCK_MONOTONIC_COARSE)
VDSO_PATH(p_vdso_real_coarse, CLOCK_REALTIME_COARSE)

static uint64_t p_syscall(unsigned int k)
{
	struct timespec ts;

	TIMED(k, { syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts);
		sink(ts_ns(&ts)); });
}

enum path_id {
	P_RDTSC_LFENCE, P_RDTSC, P_RDTSCP,
	P_LIB_BEST, P_LIB_VVAR, P_READER, P_LIB_SYS,
	P_VDSO_MONO, P_VDSO_RAW, P_VDSO_REAL, P_VDSO_BOOT,
	P_VDSO_MONO_COARSE, P_VDSO_REAL_COARSE,
	P_SYSCALL,
	NR_PATHS
};

struct path {
	const char *name;	/* short, for the table, JSON and the plot */
	const char *what;	/* what exactly is called */
	uint64_t (*fn)(unsigned int k);
	unsigned int k;		/* calls per bracket */
	bool available;
	bool hidden;		/* another row measures the same thing */
	const char *why_not;
	uint32_t *cyc;		/* raw bracket widths, cycles */
	double med, p90, p99, p999, max, mean;	/* ns, empty pair subtracted */
	double core_cycles;	/* per call, by the PMU; < 0: not counted */
};

static struct path paths[NR_PATHS] = {
	[P_RDTSC_LFENCE] = {
		"lfence;rdtsc",
		"tp_rdtsc_ordered()",
		p_rdtsc_lfence,
	},
	[P_RDTSC] = {
		"rdtsc",
		"bare RDTSC, unordered",
		p_rdtsc,
	},
	[P_RDTSCP] = {
		"rdtscp",
		"RDTSCP",
		p_rdtscp,
	},
	[P_LIB_BEST] = {
		"libtscpage open(0)",
		"tscpage_clock_ns(), tscpage_clock_open(0)",
		p_lib_best,
	},
	[P_LIB_VVAR] = {
		"libtscpage vvar",
		"tscpage_clock_ns(), tscpage_clock_open(NO_DEVICE)",
		p_lib_vvar,
	},
	[P_READER] = {
		"reader.h on vDSO page",
		"tscpage_pvclock_sample() + _ns() on tscpage_vvar_page()",
		p_reader_pvclock,
	},
	[P_LIB_SYS] = {
		"libtscpage syscall",
		"tscpage_clock_ns(), tscpage_clock_open(NO_DEVICE|NO_VVAR)",
		p_lib_sys,
	},
	[P_VDSO_MONO] = {
		"vDSO MONOTONIC",
		"clock_gettime(CLOCK_MONOTONIC)",
		p_vdso_mono,
	},
	[P_VDSO_RAW] = {
		"vDSO MONOTONIC_RAW",
		"clock_gettime(CLOCK_MONOTONIC_RAW)",
		p_vdso_raw,
	},
	[P_VDSO_REAL] = {
		"vDSO REALTIME",
		"clock_gettime(CLOCK_REALTIME)",
		p_vdso_real,
	},
	[P_VDSO_BOOT] = {
		"vDSO BOOTTIME",
		"clock_gettime(CLOCK_BOOTTIME)",
		p_vdso_boot,
	},
	[P_VDSO_MONO_COARSE] = {
		"vDSO MONOTONIC_COARSE",
		"clock_gettime(CLOCK_MONOTONIC_COARSE)",
		p_vdso_mono_coarse,
	},
	[P_VDSO_REAL_COARSE] = {
		"vDSO REALTIME_COARSE",
		"clock_gettime(CLOCK_REALTIME_COARSE)",
		p_vdso_real_coarse,
	},
	[P_SYSCALL] = {
		"syscall clock_gettime",
		"syscall(SYS_clock_gettime, CLOCK_MONOTONIC)",
		p_syscall,
	},
};

/* ------------------------------------------------------------------ */
/* The machine.                                                        */

struct machine {
	char cpu_model[128];
	char clocksource[64];
	char kernel[128];
	char date[32];
	int cpu;
	double tsc_khz;
	const char *tsc_khz_from;
	char pmu[160];
	unsigned int step;	/* TSC ticks per step */
	unsigned int group;	/* calls per bracket for the fast paths */
	double empty;		/* cycles: mean empty bracket, subtracted */
	double empty_ns, empty_ns_med, empty_ns_p99;
};

static bool read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	bool ok;

	if (!f)
		return false;
	ok = fgets(buf, (int)len, f) != NULL;
	fclose(f);
	if (ok)
		buf[strcspn(buf, "\n")] = '\0';
	return ok;
}

static void cpu_model(char *buf, size_t len)
{
	char line[256];
	FILE *f = fopen("/proc/cpuinfo", "re");

	snprintf(buf, len, "unknown");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (!strncmp(line, "model name", 10) && colon) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(buf, len, "%s", colon + 2);
			break;
		}
	}
	fclose(f);
}

/* The core's cycle counter (perf_event_open), or -1: no PMU here. */
static int pmu_fd = -1;

/*
 * Whether a cycle counter is there, said once: without one the numbers
 * can only be TSC ticks, which run at a fixed rate whatever the core's
 * clock does (and a KVM guest usually gets no PMU). With one, each path's
 * core cycles per call are counted too (pmu_cycles()).
 */
static void check_pmu(char *buf, size_t len)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_HARDWARE,
		.size = sizeof(attr),
		.config = PERF_COUNT_HW_CPU_CYCLES,
		.disabled = 1,
		.exclude_kernel = 1,
		.exclude_hv = 1,
	};
	long fd = syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0);

	if (fd < 0) {
		snprintf(buf, len, "no cycle counter (perf_event_open(PERF_COUNT_HW_CPU_CYCLES): %s): TSC ticks only",
			 strerror(errno));
		return;
	}
	pmu_fd = (int)fd;
	snprintf(buf, len, "core cycles counted (perf_event_open(PERF_COUNT_HW_CPU_CYCLES), user space): the cycles column");
}

#define PMU_CALLS	1000	/* calls per count */
#define PMU_ROUNDS	21	/* counts per path; the median is kept */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/*
 * Core cycles per call of @p, by the PMU, user space only: the median of
 * PMU_ROUNDS counts of PMU_CALLS calls (the bracket's two ordered TSC
 * reads, amortised over them, are left in). -1 when it cannot count.
 */
static double pmu_cycles(const struct path *p)
{
	double per_call[PMU_ROUNDS];
	uint64_t count;

	for (int r = 0; r < PMU_ROUNDS; r++) {
		if (ioctl(pmu_fd, PERF_EVENT_IOC_RESET, 0) ||
		    ioctl(pmu_fd, PERF_EVENT_IOC_ENABLE, 0))
			return -1;
		p->fn(PMU_CALLS);
		if (ioctl(pmu_fd, PERF_EVENT_IOC_DISABLE, 0) ||
		    read(pmu_fd, &count, sizeof(count)) != sizeof(count))
			return -1;
		per_call[r] = (double)count / PMU_CALLS;
	}
	qsort(per_call, PMU_ROUNDS, sizeof(per_call[0]), cmp_double);
	return per_call[PMU_ROUNDS / 2];
}

static bool have_rdtscp(void)
{
	unsigned int a, b, c, d;

	return __get_cpuid(0x80000001, &a, &b, &c, &d) && (d & (1u << 27));
}

/* TSC ticks per ms: from the page's scaling when there is one. */
static void tsc_frequency(struct machine *m)
{
	struct timespec a, b;
	uint64_t t0, t1;

	if (vvar_page && vvar_format == TSCPAGE_FORMAT_PVCLOCK) {
		struct tscpage_pvclock_sample s;

		if (!tscpage_pvclock_sample(vvar_page, MAX_RETRIES, &s)) {
			/* ns = cycles * mul * 2^shift / 2^32 */
			m->tsc_khz = 1e6 * ldexp(1.0, 32 - s.params.tsc_shift) /
				     s.params.tsc_to_system_mul;
			m->tsc_khz_from = "kvmclock page mul/shift";
			return;
		}
	}
	if (vvar_page && vvar_format == TSCPAGE_FORMAT_HVREF) {
		struct tscpage_hvref_sample s;

		if (!tscpage_hvref_sample(vvar_page, MAX_RETRIES, &s)) {
			/* 100 ns units = cycles * scale / 2^64 */
			m->tsc_khz = ldexp(1.0, 64) / ((double)s.params.tsc_scale * 100.0) * 1e6;
			m->tsc_khz_from = "Hyper-V page tsc_scale";
			return;
		}
	}
	clock_gettime(CLOCK_MONOTONIC_RAW, &a);
	t0 = rdtsc_lfence();
	do {
		clock_gettime(CLOCK_MONOTONIC_RAW, &b);
	} while (ts_ns(&b) - ts_ns(&a) < CALIBRATE_NS);
	t1 = rdtsc_lfence();
	m->tsc_khz = (double)(t1 - t0) * 1e6 / (double)(ts_ns(&b) - ts_ns(&a));
	m->tsc_khz_from = "calibrated 200 ms against CLOCK_MONOTONIC_RAW";
}

/* Pin to @cpu, or to the last CPU we may run on (CPU 0 takes more IRQs). */
static int pin(int cpu)
{
	cpu_set_t set;
	int i;

	if (cpu < 0) {
		if (sched_getaffinity(0, sizeof(set), &set))
			return -1;
		for (i = CPU_SETSIZE - 1; i >= 0; i--)
			if (CPU_ISSET(i, &set))
				break;
		cpu = i;
	}
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		return -1;
	return cpu;
}

/* ------------------------------------------------------------------ */
/* Statistics.                                                         */

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* Nearest-rank quantile of sorted @v. */
static uint32_t quantile(const uint32_t *v, size_t n, double q)
{
	size_t i = (size_t)ceil(q * (double)n);

	return v[i ? i - 1 : 0];
}

/* ns per call of a bracket of @k calls @cycles wide. */
static double to_ns(const struct machine *m, double cycles, unsigned int k)
{
	return (cycles - m->empty) / k * 1e6 / m->tsc_khz;
}

static void summarize(const struct machine *m, struct path *p, size_t n)
{
	double sum = 0;
	size_t i;

	for (i = 0; i < n; i++)
		sum += p->cyc[i];
	p->mean = to_ns(m, sum / (double)n, p->k);
	p->med = to_ns(m, quantile(p->cyc, n, 0.5), p->k);
	p->p90 = to_ns(m, quantile(p->cyc, n, 0.9), p->k);
	p->p99 = to_ns(m, quantile(p->cyc, n, 0.99), p->k);
	p->p999 = to_ns(m, quantile(p->cyc, n, 0.999), p->k);
	p->max = to_ns(m, p->cyc[n - 1], p->k);
}

static uint64_t gcd(uint64_t a, uint64_t b)
{
	while (b) {
		uint64_t t = a % b;

		a = b;
		b = t;
	}
	return a;
}

/*
 * The TSC's step: the greatest common divisor of bracket widths around
 * varying work. One on a TSC that counts every tick; the spin varies the
 * widths so that a TSC that does cannot look coarse by accident.
 */
static unsigned int tsc_step(void)
{
	volatile unsigned int spin;
	uint64_t g = 0, t0, t1;
	int i;

	for (i = 0; i < 100000 && g != 1; i++) {
		t0 = rdtsc_lfence();
		for (spin = 0; spin < (unsigned int)i % 17; spin++)
			;
		t1 = rdtsc_lfence();
		g = gcd(g, t1 - t0);
	}
	return g ? (unsigned int)g : 1;
}

/* ------------------------------------------------------------------ */
/* Output.                                                             */

struct goal {
	const char *text;
	double ratio, bound;
	bool measured;
};

static void goals(struct goal g[2])
{
	const struct path *lib = paths[P_LIB_VVAR].available ? &paths[P_LIB_VVAR] : NULL;
	const struct path *tsc = &paths[P_RDTSC_LFENCE];
	const struct path *vdso = &paths[P_VDSO_MONO];

	g[0] = (struct goal){ "libtscpage over the vDSO page <= 1.1 x lfence;rdtsc (medians)",
			      0, 1.1, false };
	g[1] = (struct goal){ "libtscpage over the vDSO page <= 0.5 x vDSO clock_gettime(CLOCK_MONOTONIC) (medians)",
			      0, 0.5, false };
	if (!lib)
		return;
	if (tsc->med > 0) {
		g[0].ratio = lib->med / tsc->med;
		g[0].measured = true;
	}
	if (vdso->available && vdso->med > 0) {
		g[1].ratio = lib->med / vdso->med;
		g[1].measured = true;
	}
}

static void print_table(FILE *f, const struct machine *m, long samples,
			const struct goal g[2])
{
	const struct path *tsc = &paths[P_RDTSC_LFENCE];
	const struct path *vdso = &paths[P_VDSO_MONO];
	int i;

	fprintf(f, "clock_latency: %s, %s, kernel %s, clocksource %s, CPU %d\n",
		m->date, m->cpu_model, m->kernel, m->clocksource, m->cpu);
	fprintf(f, "TSC %.3f kHz (%s); PMU: %s\n", m->tsc_khz, m->tsc_khz_from,
		m->pmu);
	fprintf(f, "TSC step %u ticks (%.2f ns): %u calls per bracket (k) where one step would matter\n",
		m->step, m->step * 1e6 / m->tsc_khz, m->group);
	fprintf(f, "%ld brackets per path in batches of %d, paths interleaved; empty lfence;rdtsc bracket: mean %.1f ns (median %.1f, p99 %.1f), subtracted\n\n",
		samples, BATCH, m->empty_ns, m->empty_ns_med, m->empty_ns_p99);
	fprintf(f, "%-24s %3s %8s %8s %8s %8s %10s %8s %8s %8s\n", "path (ns per call)", "k",
		"median", "p90", "p99", "p99.9", "max", "x rdtsc", "x vdso",
		"cycles");
	for (i = 0; i < NR_PATHS; i++) {
		const struct path *p = &paths[i];

		if (p->hidden)
			continue;
		if (!p->available) {
			fprintf(f, "%-24s  not measured: %s\n", p->name, p->why_not);
			continue;
		}
		fprintf(f, "%-24s %3u %8.1f %8.1f %8.1f %8.1f %10.1f %8.2f %8.2f ",
			p->name, p->k, p->med, p->p90, p->p99, p->p999, p->max,
			tsc->med > 0 ? p->med / tsc->med : NAN,
			vdso->available && vdso->med > 0 ? p->med / vdso->med : NAN);
		if (p->core_cycles >= 0)
			fprintf(f, "%8.1f\n", p->core_cycles);
		else
			fprintf(f, "%8s\n", "-");
	}
	fprintf(f, "\nk > 1: a sample is the mean of k calls in a row (tails diluted k times)\n");
	fprintf(f, "cycles: core cycles per call by the PMU (median of %d counts of %d calls), %s\n",
		PMU_ROUNDS, PMU_CALLS,
		pmu_fd >= 0 ? "user space only" : "- : no cycle counter here (see PMU above)");
	fprintf(f, "x rdtsc, x vdso: median / median of lfence;rdtsc, of vDSO MONOTONIC\n");
	for (i = 0; i < 2; i++) {
		if (!g[i].measured)
			fprintf(f, "goal: %s: not measurable here (%s)\n", g[i].text,
				paths[P_LIB_VVAR].available ? "no reference path" :
				paths[P_LIB_VVAR].why_not);
		else
			fprintf(f, "goal: %s: %.2f, %s\n", g[i].text, g[i].ratio,
				g[i].ratio <= g[i].bound ? "met" : "NOT met");
	}
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static int write_json(const char *file, const struct machine *m, long samples,
		      const struct goal g[2], const char *cmdline)
{
	FILE *f = fopen(file, "we");
	int i;

	if (!f)
		return -1;
	fprintf(f, "{\n  \"tool\": \"bench/clock_latency\",\n  \"command\": ");
	json_str(f, cmdline);
	fprintf(f, ",\n  \"date\": ");
	json_str(f, m->date);
	fprintf(f, ",\n  \"cpu_model\": ");
	json_str(f, m->cpu_model);
	fprintf(f, ",\n  \"kernel\": ");
	json_str(f, m->kernel);
	fprintf(f, ",\n  \"clocksource\": ");
	json_str(f, m->clocksource);
	fprintf(f, ",\n  \"cpu\": %d,\n  \"tsc_khz\": %.3f,\n  \"tsc_khz_from\": ",
		m->cpu, m->tsc_khz);
	json_str(f, m->tsc_khz_from);
	fprintf(f, ",\n  \"pmu\": ");
	json_str(f, m->pmu);
	fprintf(f, ",\n  \"tsc_step_ticks\": %u,\n  \"tsc_step_ns\": %.3f,\n  \"group\": %u,\n"
		"  \"brackets_per_path\": %ld,\n  \"batch\": %d,\n"
		"  \"empty_bracket\": { \"mean_cycles\": %.2f, \"mean_ns\": %.2f, \"median_ns\": %.2f, \"p99_ns\": %.2f },\n"
		"  \"unit\": \"ns per call, empty bracket mean subtracted, bracket divided by k\",\n  \"paths\": [\n",
		m->step, m->step * 1e6 / m->tsc_khz, m->group, samples, BATCH,
		m->empty, m->empty_ns, m->empty_ns_med, m->empty_ns_p99);
	for (i = 0; i < NR_PATHS; i++) {
		const struct path *p = &paths[i];

		if (p->hidden)
			continue;
		fprintf(f, "    { \"name\": ");
		json_str(f, p->name);
		fprintf(f, ", \"call\": ");
		json_str(f, p->what);
		if (!p->available) {
			fprintf(f, ", \"available\": false, \"why_not\": ");
			json_str(f, p->why_not);
		} else {
			fprintf(f, ", \"available\": true, \"k\": %u, \"median\": %.2f, \"p90\": %.2f, \"p99\": %.2f, \"p99_9\": %.2f, \"max\": %.2f, \"mean\": %.2f",
				p->k, p->med, p->p90, p->p99, p->p999, p->max, p->mean);
			if (paths[P_RDTSC_LFENCE].med > 0)
				fprintf(f, ", \"ratio_lfence_rdtsc\": %.3f",
					p->med / paths[P_RDTSC_LFENCE].med);
			if (paths[P_VDSO_MONO].available && paths[P_VDSO_MONO].med > 0)
				fprintf(f, ", \"ratio_vdso_monotonic\": %.3f",
					p->med / paths[P_VDSO_MONO].med);
			if (p->core_cycles >= 0)
				fprintf(f, ", \"core_cycles\": %.2f",
					p->core_cycles);
			else
				fprintf(f, ", \"core_cycles\": null");
		}
		fprintf(f, " }%s\n", i + 1 < NR_PATHS ? "," : "");
	}
	fprintf(f, "  ],\n  \"goals\": [\n");
	for (i = 0; i < 2; i++) {
		fprintf(f, "    { \"goal\": ");
		json_str(f, g[i].text);
		if (g[i].measured)
			fprintf(f, ", \"bound\": %.2f, \"ratio\": %.3f, \"met\": %s }",
				g[i].bound, g[i].ratio,
				g[i].ratio <= g[i].bound ? "true" : "false");
		else
			fprintf(f, ", \"bound\": %.2f, \"ratio\": null, \"met\": null }",
				g[i].bound);
		fprintf(f, "%s\n", i ? "" : ",");
	}
	fprintf(f, "  ]\n}\n");
	return fclose(f) ? -1 : 0;
}

/*
 * The complementary CDF of each path, one gnuplot data block each: for
 * every distinct latency, the fraction of calls slower than it. On log
 * axes the median is where a curve crosses 0.5, p99 where it crosses
 * 0.01, and the tail stays visible down to 1/samples.
 */
static int write_hist(const char *file, const struct machine *m, size_t n)
{
	FILE *f = fopen(file, "we");
	bool first = true;
	int i;

	if (!f)
		return -1;
	fprintf(f, "# clock_latency: complementary CDF per path; ns per call (empty pair subtracted, at least 0.1) and the fraction of calls slower\n");
	for (i = 0; i < NR_PATHS; i++) {
		const struct path *p = &paths[i];
		size_t j, k;

		if (!p->available)
			continue;
		/* Two blank lines between blocks, none after the last: gnuplot's index. */
		fprintf(f, "%s\"%s\" \"fraction slower\"\n", first ? "" : "\n\n",
			p->name);
		first = false;
		/* From the top: every call is at least as slow as the fastest. */
		fprintf(f, "%.2f 1\n", fmax(0.1, to_ns(m, p->cyc[0], p->k)));
		for (j = 0; j < n; j = k) {
			for (k = j; k < n && p->cyc[k] == p->cyc[j]; k++)
				;
			/* Points with nothing slower have no place on a log axis. */
			if (k == n)
				break;
			fprintf(f, "%.2f %.3e\n", fmax(0.1, to_ns(m, p->cyc[j], p->k)),
				(double)(n - k) / (double)n);
		}
	}
	return fclose(f) ? -1 : 0;
}

/* ------------------------------------------------------------------ */

static void usage(FILE *f, const char *prog)
{
	fprintf(f,
		"usage: %s [--samples N] [--group K] [--cpu CPU] [--json FILE] [--hist FILE] [--table FILE]\n"
		"Times every way this machine has to read the time, side by side.\n"
		"  --samples N   timed brackets per path (default %ld, 1000..%ld)\n"
		"  --group K     calls per bracket for paths faster than 20 TSC steps\n"
		"                (default: enough for 0.5 ns per call per step; 1..%d)\n"
		"  --cpu CPU     CPU to pin to (default: the last one allowed)\n"
		"  --json FILE   every figure as JSON\n"
		"  --hist FILE   complementary CDF per path, gnuplot data (bench/latency.gp)\n"
		"  --table FILE  the table printed on stdout, also into FILE\n"
		"  --help        this text\n",
		prog, DEFAULT_SAMPLES, MAX_SAMPLES, MAX_GROUP);
}

static bool parse_long(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

static void open_sources(void)
{
	struct tscpage_clock *c;

	clk_best = tscpage_clock_open(0);
	clk_sys = tscpage_clock_open(TSCPAGE_CLOCK_NO_DEVICE | TSCPAGE_CLOCK_NO_VVAR);
	vvar_page = tscpage_vvar_page(&vvar_format);

	if (clk_best) {
		static char name[48];

		snprintf(name, sizeof(name), "libtscpage open(0) %s",
			 tscpage_clock_source_name(tscpage_clock_source(clk_best)));
		paths[P_LIB_BEST].name = name;
		paths[P_LIB_BEST].available = true;
	} else {
		paths[P_LIB_BEST].why_not = "tscpage_clock_open(0) failed";
	}
	paths[P_LIB_SYS].available = clk_sys != NULL;
	paths[P_LIB_SYS].why_not = "tscpage_clock_open() failed";

	/*
	 * The vDSO page through the library: open(0) already is that unless
	 * /dev/tscpage exists; then a second handle without the device.
	 */
	if (clk_best && tscpage_clock_source(clk_best) == TSCPAGE_CLOCK_VVAR) {
		clk_vvar = clk_best;
		paths[P_LIB_BEST].available = false;
		paths[P_LIB_BEST].hidden = true;
		paths[P_LIB_VVAR].name = "libtscpage open(0) vvar";
		paths[P_LIB_VVAR].what = "tscpage_clock_ns(), tscpage_clock_open(0)";
	} else {
		c = tscpage_clock_open(TSCPAGE_CLOCK_NO_DEVICE);
		if (c && tscpage_clock_source(c) == TSCPAGE_CLOCK_VVAR)
			clk_vvar = c;
		else
			tscpage_clock_close(c);
	}
	paths[P_LIB_VVAR].available = clk_vvar != NULL;
	paths[P_LIB_VVAR].why_not = "no usable vDSO time page (not kvm-clock or Hyper-V, or no TSC_STABLE)";

	paths[P_READER].available = vvar_page != NULL;
	paths[P_READER].why_not = "no vDSO time page mapped";
	if (vvar_page && vvar_format == TSCPAGE_FORMAT_HVREF) {
		paths[P_READER].name = "reader.h on vDSO hvref";
		paths[P_READER].what = "tscpage_hvref_sample() + _ns() on tscpage_vvar_page()";
		paths[P_READER].fn = p_reader_hvref;
	}

	paths[P_RDTSCP].available = have_rdtscp();
	paths[P_RDTSCP].why_not = "CPUID 0x80000001 EDX bit 27 clear";
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "samples", required_argument, NULL, 's' },
		{ "group", required_argument, NULL, 'g' },
		{ "cpu", required_argument, NULL, 'c' },
		{ "json", required_argument, NULL, 'j' },
		{ "hist", required_argument, NULL, 'H' },
		{ "table", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *json = NULL, *hist = NULL, *table = NULL;
	long samples = DEFAULT_SAMPLES, cpu = -1, group = 0, v;
	char cmdline[1024] = "";
	struct machine m = { 0 };
	uint32_t *empty;
	struct goal g[2];
	struct utsname u;
	size_t n, done, b, j;
	uint64_t warm;
	double warm_empty;
	time_t now;
	int opt, i, r, round;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 's':
			if (!parse_long(optarg, 1000, MAX_SAMPLES, &samples)) {
				fprintf(stderr, "%s: --samples: '%s' is not a number in 1000..%ld\n",
					argv[0], optarg, MAX_SAMPLES);
				return 2;
			}
			break;
		case 'g':
			if (!parse_long(optarg, 1, MAX_GROUP, &group)) {
				fprintf(stderr, "%s: --group: '%s' is not a number in 1..%d\n",
					argv[0], optarg, MAX_GROUP);
				return 2;
			}
			break;
		case 'c':
			if (!parse_long(optarg, 0, CPU_SETSIZE - 1, &v)) {
				fprintf(stderr, "%s: --cpu: '%s' is not a CPU number\n",
					argv[0], optarg);
				return 2;
			}
			cpu = v;
			break;
		case 'j':
			json = optarg;
			break;
		case 'H':
			hist = optarg;
			break;
		case 't':
			table = optarg;
			break;
		case 'h':
			usage(stdout, argv[0]);
			return 0;
		default:
			usage(stderr, argv[0]);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\n", argv[0], argv[optind]);
		usage(stderr, argv[0]);
		return 2;
	}
	for (i = 0; i < argc; i++) {
		size_t len = strlen(cmdline);

		snprintf(cmdline + len, sizeof(cmdline) - len, "%s%s", i ? " " : "", argv[i]);
	}

	m.cpu = pin((int)cpu);
	if (m.cpu < 0) {
		fprintf(stderr, "%s: cannot pin to CPU %ld: %s\n", argv[0], cpu,
			strerror(errno));
		/* A CPU we may not run on is a bad --cpu; anything else, a failure. */
		return cpu >= 0 ? 2 : 1;
	}
	now = time(NULL);
	strftime(m.date, sizeof(m.date), "%Y-%m-%d %H:%M UTC", gmtime(&now));
	cpu_model(m.cpu_model, sizeof(m.cpu_model));
	if (!read_line(CURRENT_CS, m.clocksource, sizeof(m.clocksource)))
		snprintf(m.clocksource, sizeof(m.clocksource), "unknown");
	snprintf(m.kernel, sizeof(m.kernel), "%s", uname(&u) ? "unknown" : u.release);
	check_pmu(m.pmu, sizeof(m.pmu));

	for (i = 0; i < NR_PATHS; i++)
		paths[i].available = true;
	open_sources();
	tsc_frequency(&m);

	m.step = tsc_step();
	if (group)
		m.group = (unsigned int)group;
	else
		m.group = (unsigned int)fmin(MAX_GROUP,
					     ceil(m.step * 1e6 / m.tsc_khz / GROUP_RES_NS));

	n = (size_t)samples;
	/* Also the warm-up's scratch: WARMUP entries. */
	empty = malloc((n > WARMUP ? n : WARMUP) * sizeof(*empty));
	if (!empty)
		goto oom;
	/*
	 * Warm up, and see which paths are too slow for a step to matter:
	 * by medians, which one preemption during the warm-up cannot move.
	 */
	for (j = 0; j < WARMUP; j++)
		empty[j] = (uint32_t)p_empty();
	qsort(empty, WARMUP, sizeof(*empty), cmp_u32);
	warm_empty = empty[WARMUP / 2];
	for (i = 0; i < NR_PATHS; i++) {
		if (!paths[i].available)
			continue;
		paths[i].cyc = malloc(n * sizeof(*paths[i].cyc));
		if (!paths[i].cyc)
			goto oom;
		for (j = 0; j < WARMUP; j++)
			empty[j] = (uint32_t)paths[i].fn(1);
		qsort(empty, WARMUP, sizeof(*empty), cmp_u32);
		paths[i].k = empty[WARMUP / 2] - warm_empty >=
			     SLOW_STEPS * (double)m.step ? 1 : m.group;
	}

	/*
	 * Round r: a batch of every path, the empty pair first, then the
	 * others starting at path r mod NR_PATHS, so no path always follows
	 * the same one.
	 */
	for (done = 0, round = 0; done < n; done += b, round++) {
		uint64_t c;

		b = n - done < BATCH ? n - done : BATCH;
		for (j = 0; j < b; j++) {
			c = p_empty();
			empty[done + j] = c > UINT32_MAX ? UINT32_MAX : (uint32_t)c;
		}
		for (r = 0; r < NR_PATHS; r++) {
			struct path *p = &paths[(r + round) % NR_PATHS];

			if (!p->available)
				continue;
			for (j = 0; j < b; j++) {
				c = p->fn(p->k);
				p->cyc[done + j] = c > UINT32_MAX ? UINT32_MAX : (uint32_t)c;
			}
		}
	}

	/* The mean of all but the slowest 1%: see the top of the file. */
	qsort(empty, n, sizeof(*empty), cmp_u32);
	for (j = 0, warm = 0; j < n - n / 100; j++)
		warm += empty[j];
	m.empty = (double)warm / (double)(n - n / 100);
	m.empty_ns = m.empty * 1e6 / m.tsc_khz;
	m.empty_ns_med = quantile(empty, n, 0.5) * 1e6 / m.tsc_khz;
	m.empty_ns_p99 = quantile(empty, n, 0.99) * 1e6 / m.tsc_khz;
	for (i = 0; i < NR_PATHS; i++) {
		if (!paths[i].available)
			continue;
		qsort(paths[i].cyc, n, sizeof(*paths[i].cyc), cmp_u32);
		summarize(&m, &paths[i], n);
		paths[i].core_cycles = pmu_fd >= 0 ? pmu_cycles(&paths[i]) : -1;
	}
	if (pmu_fd >= 0)
		close(pmu_fd);
	if (clk_vvar && tscpage_clock_fallbacks(clk_vvar))
		fprintf(stderr, "%s: warning: libtscpage vvar fell back to the syscall %" PRIu64 " times: its figures mix both\n",
			argv[0], tscpage_clock_fallbacks(clk_vvar));

	goals(g);
	print_table(stdout, &m, samples, g);
	if (table) {
		FILE *f = fopen(table, "we");

		if (!f) {
			fprintf(stderr, "%s: %s: %s\n", argv[0], table, strerror(errno));
			return 1;
		}
		print_table(f, &m, samples, g);
		if (fclose(f)) {
			fprintf(stderr, "%s: %s: %s\n", argv[0], table, strerror(errno));
			return 1;
		}
	}
	if (json && write_json(json, &m, samples, g, cmdline)) {
		fprintf(stderr, "%s: %s: %s\n", argv[0], json, strerror(errno));
		return 1;
	}
	if (hist && write_hist(hist, &m, n)) {
		fprintf(stderr, "%s: %s: %s\n", argv[0], hist, strerror(errno));
		return 1;
	}

	if (clk_vvar != clk_best)
		tscpage_clock_close(clk_vvar);
	tscpage_clock_close(clk_best);
	tscpage_clock_close(clk_sys);
	for (i = 0; i < NR_PATHS; i++)
		free(paths[i].cyc);
	free(empty);
	return 0;

oom:
	fprintf(stderr, "%s: out of memory for %ld samples per path\n", argv[0], samples);
	return 1;
}
