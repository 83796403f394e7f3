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
#include "clock_takeover.h"
#include "cpus.h"

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

	r->err = cpu_pin(r->cpu);
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
	char msg[CLOCK_TAKEOVER_MSG];
	struct clock_takeover clock;
	const char *name = "tscpage";
	struct timespec t0, t1;
	struct reader *readers;
	uint64_t duration = 3;
	unsigned int n, i;
	double seconds;
	int opt, err, *cpus;
	const struct arg_spec specs[] = {
		ARG_STR("clocksource", 'c', &name),
		ARG_U64("duration", 'd', &duration, 1, 3600),
		ARG_END,
	};

	opt = args_parse(argc, argv, specs, usage);
	if (opt >= 0)
		return opt;

	ksft_print_header();
	if (geteuid())
		ksft_exit_skip("switching clocksources needs root\n");
	if (!clocksource_available(name))
		ksft_exit_skip("clocksource %s is not registered\n", name);
	cpus = cpus_allowed(&n);
	readers = calloc(n, sizeof(*readers));
	if (!readers)
		ksft_exit_fail_perror("calloc");
	for (i = 0; i < n; i++)
		readers[i].cpu = cpus[i];
	free(cpus);

	ksft_set_plan(CLOCK_TAKEOVER_RESULTS + n);	/* a result per CPU */
	err = clock_take(&clock, name, msg, sizeof(msg));
	ksft_test_result(!err, "%s\n", msg);
	if (err) {
		for (i = 0; i < n; i++)
			ksft_test_result_skip("cpu%d: %s is not current\n",
					      readers[i].cpu, name);
		goto restore;
	}

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
	ksft_test_result(clock_give(&clock, msg, sizeof(msg)), "%s\n", msg);
	free(readers);
	ksft_finished();
}
