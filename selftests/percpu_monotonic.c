// SPDX-License-Identifier: GPL-2.0
/*
 * percpu_monotonic - CLOCK_MONOTONIC never goes back on any CPU while a
 * given clocksource (tscpage by default) is current.
 *
 * Makes the clocksource current, starts one reader thread pinned to each
 * CPU we may run on, lets each read CLOCK_MONOTONIC as fast as it can for
 * --duration seconds, and checks that each thread's readings never
 * decrease and do advance. Then it restores the clocksource that was
 * current before. One KTAP result per CPU; a failure prints the readings
 * around the worst backward step.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
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
#include "clocksource_sysfs.h"

/* Readings kept on each side of the worst backward step. */
#define CONTEXT 4

struct reader {
	pthread_t thread;
	int cpu;
	int err;			/* errno of a failed setup or read */
	uint64_t reads;
	uint64_t backward;		/* steps that went back */
	uint64_t first, last;
	int64_t worst;			/* most negative step, 0 if none */
	uint64_t worst_at;		/* index of the read that made it */
	uint64_t around[2 * CONTEXT];	/* readings around the worst step */
	unsigned int around_n;
};

static atomic_bool stop;
static pthread_barrier_t start;

static inline uint64_t now_ns(int *err)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts)) {
		*err = errno;
		return 0;
	}
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void *reader_fn(void *arg)
{
	struct reader *r = arg;
	uint64_t ring[CONTEXT] = { 0 };
	unsigned int capture = 0;
	uint64_t prev, t;
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(r->cpu, &set);
	r->err = pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	pthread_barrier_wait(&start);
	if (r->err)
		return NULL;

	prev = r->first = now_ns(&r->err);
	ring[0] = prev;
	r->reads = 1;
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		t = now_ns(&r->err);
		if (r->err)
			break;
		if (t < prev) {
			r->backward++;
			if ((int64_t)(t - prev) < r->worst) {
				unsigned int i;

				r->worst = (int64_t)(t - prev);
				r->worst_at = r->reads;
				/* The CONTEXT readings up to prev, oldest first. */
				for (i = 0; i < CONTEXT; i++)
					r->around[i] = ring[(r->reads + i) % CONTEXT];
				r->around_n = CONTEXT;
				capture = CONTEXT;
			}
		}
		if (capture) {
			r->around[r->around_n++] = t;
			capture--;
		}
		ring[r->reads % CONTEXT] = t;
		r->reads++;
		prev = t;
	}
	r->last = prev;
	return NULL;
}

static void report(const struct reader *r, double seconds)
{
	unsigned int i;

	if (r->err) {
		ksft_test_result_fail("cpu%d: %s\n", r->cpu, strerror(r->err));
		return;
	}
	if (r->backward) {
		ksft_print_msg("cpu%d: readings around the worst step (read %" PRIu64 "), ns:\n",
			       r->cpu, r->worst_at);
		for (i = 0; i < r->around_n; i++)
			ksft_print_msg("  %" PRIu64 "%s\n", r->around[i],
				       i == CONTEXT ? "   <- went back" : "");
		ksft_test_result_fail("cpu%d: %" PRIu64 " backward steps in %" PRIu64 " reads, worst %" PRId64 " ns\n",
				      r->cpu, r->backward, r->reads, r->worst);
		return;
	}
	if (r->last <= r->first) {
		ksft_test_result_fail("cpu%d: clock did not advance in %" PRIu64 " reads (stuck at %" PRIu64 " ns)\n",
				      r->cpu, r->reads, r->first);
		return;
	}
	ksft_test_result_pass("cpu%d: %" PRIu64 " reads (%.0f/s), never back, advanced %" PRIu64 " ns\n",
			      r->cpu, r->reads, r->reads / seconds,
			      r->last - r->first);
}

/*
 * Hand the clock back. If the kernel's clocksource watchdog marked the
 * previous clocksource unstable during the run (a TCG guest's TSC under
 * full load does that on 6.12), the kernel refuses it: that is the
 * kernel's verdict on its own clock, not on @tested, so it is reported and
 * the kernel's own choice is accepted, provided it is not @tested.
 */
static void restore(const char *prev, const char *tested)
{
	char now[CLOCKSOURCE_NAME_MAX];
	bool refused;
	int err;

	err = clocksource_restore(prev, now, sizeof(now), &refused);
	if (err) {
		ksft_test_result_fail("previous clocksource %s restored: %s\n",
				      prev, strerror(-err));
		return;
	}
	if (refused)
		ksft_print_msg("the kernel refused %s: its clocksource watchdog marked it unstable during the run (see dmesg); it chose %s\n",
			       prev, now);
	ksft_test_result(strcmp(now, tested), "clocksource handed back from %s to %s%s\n",
			 tested, now, refused ? " (previous one refused by the kernel)" : "");
}

static void usage(FILE *f, const char *prog)
{
	fprintf(f,
		"usage: %s [--clocksource NAME] [--duration SECONDS]\n"
		"  --clocksource NAME  clocksource to make current (default tscpage)\n"
		"  --duration SECONDS  how long each CPU reads, 1..3600 (default 3)\n",
		prog);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "clocksource", required_argument, NULL, 'c' },
		{ "duration", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char prev[CLOCKSOURCE_NAME_MAX];
	const char *name = "tscpage";
	struct timespec t0, t1;
	struct reader *readers;
	uint64_t duration = 3;
	unsigned int n = 0, i;
	double seconds;
	cpu_set_t set;
	int opt, err;

	while ((opt = getopt_long(argc, argv, "c:d:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			name = optarg;
			break;
		case 'd':
			if (!arg_u64(argv[0], "duration", optarg, 1, 3600,
				     &duration))
				return KSFT_FAIL;
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

	ksft_print_header();
	if (geteuid())
		ksft_exit_skip("switching clocksources needs root\n");
	if (!clocksource_available(name))
		ksft_exit_skip("clocksource %s is not registered\n", name);
	if (sched_getaffinity(0, sizeof(set), &set))
		ksft_exit_fail_perror("sched_getaffinity");
	readers = calloc(CPU_COUNT(&set), sizeof(*readers));
	if (!readers)
		ksft_exit_fail_perror("calloc");
	for (i = 0; i < CPU_SETSIZE; i++)
		if (CPU_ISSET(i, &set))
			readers[n++].cpu = i;

	ksft_set_plan(n + 2);
	err = clocksource_current(prev, sizeof(prev));
	if (err)
		ksft_exit_fail_msg("cannot read current_clocksource: %s\n",
				   strerror(-err));
	err = clocksource_select(name);
	if (err) {
		ksft_test_result_fail("%s made current (was %s): %s\n", name,
				      prev, strerror(-err));
		for (i = 0; i < n; i++)
			ksft_test_result_skip("cpu%d: %s is not current\n",
					      readers[i].cpu, name);
		goto restore;
	}
	ksft_test_result_pass("%s made current (was %s)\n", name, prev);

	if (pthread_barrier_init(&start, NULL, n + 1))
		ksft_exit_fail_perror("pthread_barrier_init");
	for (i = 0; i < n; i++) {
		err = pthread_create(&readers[i].thread, NULL, reader_fn,
				     &readers[i]);
		if (err)
			ksft_exit_fail_msg("pthread_create: %s\n", strerror(err));
	}
	pthread_barrier_wait(&start);
	clock_gettime(CLOCK_MONOTONIC_RAW, &t0);
	sleep(duration);
	atomic_store(&stop, true);
	for (i = 0; i < n; i++)
		pthread_join(readers[i].thread, NULL);
	clock_gettime(CLOCK_MONOTONIC_RAW, &t1);
	seconds = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;

	for (i = 0; i < n; i++)
		report(&readers[i], seconds);

restore:
	restore(prev, name);
	free(readers);
	ksft_finished();
}
