// SPDX-License-Identifier: GPL-2.0
/*
 * tsc_order - the TSC never goes back across CPUs: a TSC value read after
 * another CPU's published TSC value is not smaller.
 *
 * One thread pinned to each CPU loops: it loads every other CPU's last
 * published value (acquire), reads its own TSC, checks that value against
 * each load, and publishes it (release). The TSC read is ordered against
 * the loads before it and the store after it: LFENCE; RDTSC; LFENCE, or,
 * where CPUID says RDTSCP exists (leaf 0x80000001, EDX bit 27), a second
 * pass with RDTSCP; LFENCE (RDTSCP waits for earlier loads itself). The
 * tolerance is 0 cycles: any own reading smaller than a value another CPU
 * published before it fails. A thread's own readings must also never go
 * back.
 *
 * Reports per pair (reader, publisher) the largest excess of the
 * publisher's value over the reader's later reading: positive is a warp
 * (how far the reader's TSC is behind), negative is how close the two
 * came, an upper bound on the skew in that direction. In cycles, and in
 * ns at the TSC rate measured against CLOCK_MONOTONIC_RAW over the run.
 * One KTAP result per CPU and instruction; --duration seconds per
 * instruction (default 2).
 */
#define _GNU_SOURCE
#include <cpuid.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kselftest.h"
#include "args.h"
#include "cpus.h"

struct slot {
	_Atomic uint64_t tsc;
	char pad[64 - sizeof(uint64_t)];
};

struct reader {
	pthread_t thread;
	int cpu;
	unsigned int idx;
	int err;
	uint64_t reads, checks;
	uint64_t warps;			/* own reading < a published one */
	uint64_t own_back;		/* own reading < own previous */
	int64_t *excess;		/* per publisher: max(pub - own) */
	uint64_t warp_pub, warp_own;	/* the worst warp's values */
	int warp_from;			/* its publisher's index, -1 none */
};

static struct slot *pub;
static unsigned int n;
static bool use_rdtscp;
static atomic_bool stop;
static pthread_barrier_t start;

static inline uint64_t read_tsc(void)
{
	uint32_t lo, hi;

	if (use_rdtscp) {
		uint32_t aux;

		__asm__ volatile("rdtscp; lfence"
				 : "=a"(lo), "=d"(hi), "=c"(aux) :: "memory");
	} else {
		__asm__ volatile("lfence; rdtsc; lfence"
				 : "=a"(lo), "=d"(hi) :: "memory");
	}
	return (uint64_t)hi << 32 | lo;
}

static bool have_rdtscp(void)
{
	unsigned int a, b, c, d;

	if (!__get_cpuid(0x80000001, &a, &b, &c, &d))
		return false;
	return d & (1u << 27);
}

static void *reader_fn(void *arg)
{
	struct reader *r = arg;
	uint64_t seen[CPU_SETSIZE];
	uint64_t t, prev = 0;
	unsigned int j;

	r->err = cpu_pin(r->cpu);
	pthread_barrier_wait(&start);
	if (r->err)
		return NULL;

	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		for (j = 0; j < n; j++)
			seen[j] = atomic_load_explicit(&pub[j].tsc,
						       memory_order_acquire);
		t = read_tsc();
		for (j = 0; j < n; j++) {
			int64_t d;

			if (j == r->idx || !seen[j])
				continue;
			r->checks++;
			d = (int64_t)(seen[j] - t);
			if (d > r->excess[j])
				r->excess[j] = d;
			if (d > 0) {
				if (!r->warps || seen[j] - t >
				    r->warp_pub - r->warp_own) {
					r->warp_pub = seen[j];
					r->warp_own = t;
					r->warp_from = (int)j;
				}
				r->warps++;
			}
		}
		if (r->reads && t < prev)
			r->own_back++;
		prev = t;
		r->reads++;
		atomic_store_explicit(&pub[r->idx].tsc, t,
				      memory_order_release);
	}
	return NULL;
}

static uint64_t raw_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* One pass with one instruction; returns the worst excess over pairs. */
static int64_t run_pass(const char *insn, struct reader *rd,
			uint64_t duration)
{
	uint64_t ns0, ns1, tsc0, tsc1;
	int64_t worst = INT64_MIN;
	double ghz;
	unsigned int i, j;
	int err;

	for (i = 0; i < n; i++) {
		atomic_store(&pub[i].tsc, 0);
		memset(rd[i].excess, 0, n * sizeof(*rd[i].excess));
		for (j = 0; j < n; j++)
			rd[i].excess[j] = INT64_MIN;
		rd[i].reads = rd[i].checks = rd[i].warps = rd[i].own_back = 0;
		rd[i].warp_from = -1;
		rd[i].err = 0;
	}
	atomic_store(&stop, false);
	if (pthread_barrier_init(&start, NULL, n + 1))
		ksft_exit_fail_perror("pthread_barrier_init");
	for (i = 0; i < n; i++) {
		err = pthread_create(&rd[i].thread, NULL, reader_fn, &rd[i]);
		if (err)
			ksft_exit_fail_msg("pthread_create: %s\n", strerror(err));
	}
	pthread_barrier_wait(&start);
	ns0 = raw_ns();
	tsc0 = read_tsc();
	nanosleep(&(struct timespec){ .tv_sec = (time_t)duration }, NULL);
	atomic_store(&stop, true);
	for (i = 0; i < n; i++)
		pthread_join(rd[i].thread, NULL);
	tsc1 = read_tsc();
	ns1 = raw_ns();
	pthread_barrier_destroy(&start);
	ghz = ns1 > ns0 ? (double)(tsc1 - tsc0) / (double)(ns1 - ns0) : 0;

	ksft_print_msg("%s: TSC %.3f GHz against CLOCK_MONOTONIC_RAW; largest (publisher - later reader) per pair, cycles (ns), positive = warp:\n",
		       insn, ghz);
	for (i = 0; i < n; i++) {
		char line[4096];
		size_t len = 0;

		len += snprintf(line + len, sizeof(line) - len, "  reader cpu%-3d", rd[i].cpu);
		for (j = 0; j < n && len < sizeof(line) - 64; j++) {
			if (j == i)
				continue;
			if (rd[i].excess[j] == INT64_MIN)
				len += snprintf(line + len, sizeof(line) - len,
						" | cpu%d: none", rd[j].cpu);
			else
				len += snprintf(line + len, sizeof(line) - len,
						" | cpu%d: %" PRId64 " (%.0f)",
						rd[j].cpu, rd[i].excess[j],
						ghz ? rd[i].excess[j] / ghz : 0);
			if (rd[i].excess[j] > worst)
				worst = rd[i].excess[j];
		}
		ksft_print_msg("%s\n", line);
	}
	for (i = 0; i < n; i++) {
		struct reader *r = &rd[i];

		if (r->err) {
			ksft_test_result_fail("%s: cpu%d: %s\n", insn, r->cpu,
					      strerror(r->err));
			continue;
		}
		if (r->warps)
			ksft_print_msg("%s: cpu%d read %" PRIu64 " after cpu%d had published %" PRIu64 " (%" PRIu64 " cycles back)\n",
				       insn, r->cpu, r->warp_own,
				       rd[r->warp_from].cpu, r->warp_pub,
				       r->warp_pub - r->warp_own);
		ksft_test_result(!r->warps && !r->own_back && r->checks,
				 "%s: cpu%d: %" PRIu64 " reads, %" PRIu64 " cross-CPU checks, %" PRIu64 " warps, %" PRIu64 " own steps back\n",
				 insn, r->cpu, r->reads, r->checks, r->warps,
				 r->own_back);
	}
	if (worst != INT64_MIN)
		ksft_print_msg("%s: worst cross-CPU excess %" PRId64 " cycles (%.0f ns); tolerance 0\n",
			       insn, worst, ghz ? worst / ghz : 0);
	return worst;
}

static void usage(FILE *f, const char *prog)
{
	fprintf(f,
		"usage: %s [--duration SECONDS]\n"
		"  --duration SECONDS  per instruction (RDTSC, RDTSCP), 1..3600 (default 2)\n",
		prog);
}

int main(int argc, char **argv)
{
	uint64_t duration = 2;
	struct reader *rd;
	bool rdtscp;
	unsigned int i;
	int opt, *cpus;
	const struct arg_spec specs[] = {
		ARG_U64("duration", 'd', &duration, 1, 3600),
		ARG_END,
	};

	opt = args_parse(argc, argv, specs, usage);
	if (opt >= 0)
		return opt;

	ksft_print_header();
	cpus = cpus_allowed(&n);
	if (n < 2)
		ksft_exit_skip("one CPU: nothing to order across\n");
	rd = calloc(n, sizeof(*rd));
	pub = aligned_alloc(64, n * sizeof(*pub));
	if (!rd || !pub)
		ksft_exit_fail_perror("alloc");
	for (i = 0; i < n; i++) {
		rd[i].cpu = cpus[i];
		rd[i].idx = i;
		rd[i].excess = calloc(n, sizeof(int64_t));
		if (!rd[i].excess)
			ksft_exit_fail_perror("calloc");
	}
	free(cpus);
	rdtscp = have_rdtscp();
	ksft_set_plan(n * 2);

	use_rdtscp = false;
	run_pass("rdtsc", rd, duration);
	if (rdtscp) {
		use_rdtscp = true;
		run_pass("rdtscp", rd, duration);
	} else {
		for (i = 0; i < n; i++)
			ksft_test_result_skip("rdtscp: cpu%d: CPUID says no RDTSCP\n",
					      rd[i].cpu);
	}
	ksft_finished();
}
