// SPDX-License-Identifier: GPL-2.0
/*
 * warp_sensitivity - how small a fault clock_warp's checks catch, beside
 * what the machine lets any reader see.
 *
 * For each pair of CPUs (a, b):
 *  - the round trip of one cache line between them: a ping-pong, the
 *    median of PP_BATCHES batches. A reading published on a is seen on b
 *    no sooner than about half of it, so a clock of b set back by less
 *    than that cannot be told from a correct one by any reader;
 *  - clock_warp's hammer (warp.h) on CLOCK_MONOTONIC, one thread pinned
 *    to each of the two CPUs, once per skew of the sweep (10 us down to
 *    1 ns) injected into the readings taken on b: the smallest skew that
 *    made cross_cpu or backward fire.
 * Then, on all CPUs, a single backward step in one thread (one reading
 * made N ns below the thread's previous one), 1000 ns down to 1 ns.
 *
 * KTAP results: a run with no fault is clean (else the sweeps mean
 * nothing); per pair, the sweep's largest skew is caught; the 1 ns step
 * is caught. The smallest skew caught and the round trip are figures,
 * printed and never asserted (machines are noisy): Documentation/bench.rst,
 * "Cross-CPU sensitivity", has them for this machine. Exit 0 all passed,
 * 1 a result failed, 4 fewer than two CPUs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kselftest.h"
#include "args.h"
#include "cpus.h"
#include "warp.h"

#define PP_BATCHES	9
#define PP_BATCH_NS	20000000.0	/* 20 ms a batch */
#define PP_STOP		UINT64_MAX	/* odd, so tested before the parity */
#define MAX_PAIRS	64

static const double skews[] = {
	10000, 5000, 2000, 1000, 500, 200, 100, 50, 20, 10, 5, 2, 1,
};

static const double backs[] = { 1000, 100, 10, 1 };

struct pingpong {
	/* The line the two threads pass back and forth, alone in it. */
	_Atomic uint64_t v __attribute__((aligned(64)));
	int cpu_b;
	pthread_barrier_t go;
	bool pinned_b;
};

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/*
 * b's side: answers every odd value a writes with the next even one.
 * The acquire load pairs with a's release store of the odd value, and
 * b's release store with a's acquire load of the answer: each side's
 * store is ordered after what it saw, which is all a round trip needs.
 */
static void *pong_fn(void *arg)
{
	struct pingpong *p = arg;
	uint64_t x;

	p->pinned_b = !cpu_pin(p->cpu_b);
	pthread_barrier_wait(&p->go);
	for (;;) {
		x = atomic_load_explicit(&p->v, memory_order_acquire);
		if (x == PP_STOP)
			break;
		if (x & 1)
			atomic_store_explicit(&p->v, x + 1,
					      memory_order_release);
		else
			__builtin_ia32_pause();
	}
	return NULL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The median round trip between @a and @b in ns, or -1. */
static double round_trip(int a, int b)
{
	struct pingpong *p;
	double batch[PP_BATCHES], t0, med = -1;
	uint64_t cur = 0, n;
	pthread_t th;
	bool pinned_a;

	if (posix_memalign((void **)&p, 64, sizeof(*p)))
		return -1;
	memset(p, 0, sizeof(*p));
	p->cpu_b = b;
	pthread_barrier_init(&p->go, NULL, 2);
	if (pthread_create(&th, NULL, pong_fn, p)) {
		free(p);
		return -1;
	}
	pinned_a = !cpu_pin(a);
	pthread_barrier_wait(&p->go);
	for (int k = 0; k < PP_BATCHES && pinned_a && p->pinned_b; k++) {
		t0 = now_ns();
		n = 0;
		do {
			atomic_store_explicit(&p->v, cur + 1,
					      memory_order_release);
			while (atomic_load_explicit(&p->v,
						    memory_order_acquire) !=
			       cur + 2)
				__builtin_ia32_pause();
			cur += 2;
			n++;
		} while ((n & 255) || now_ns() - t0 < PP_BATCH_NS);
		batch[k] = (now_ns() - t0) / n;
		if (k == PP_BATCHES - 1) {
			qsort(batch, PP_BATCHES, sizeof(batch[0]), cmp_double);
			med = batch[PP_BATCHES / 2];
		}
	}
	atomic_store_explicit(&p->v, PP_STOP, memory_order_release);
	pthread_join(th, NULL);
	pthread_barrier_destroy(&p->go);
	free(p);
	return med;
}

/* One hammer run with the given faults; -1 (and a message) on failure. */
static int hammer(const struct warp_opts *base, double skew, int skew_cpu,
		  double back, struct warp_result *res)
{
	struct warp_opts o = *base;
	struct warp_run *run;
	char err[256];

	o.inject_skew_ns = skew;
	o.inject_cpu = skew_cpu;
	o.inject_back_ns = back;
	run = warp_start(&o, err, sizeof(err));
	if (!run) {
		ksft_print_msg("the hammer did not start: %s\n", err);
		return -1;
	}
	warp_finish(run, res);
	return 0;
}

static uint64_t fired(const struct warp_result *res)
{
	return res->st[WC_MONO][WK_CROSS].count +
	       res->st[WC_MONO][WK_BACKWARD].count;
}

static void usage(FILE *f, const char *prog)
{
	fprintf(f,
		"usage: %s [--duration-ms MS]\n"
		"\n"
		"Per pair of CPUs: the round trip of a cache line, and the smallest\n"
		"skew of one CPU's CLOCK_MONOTONIC readings (10 us down to 1 ns) that\n"
		"clock_warp's checks catch; then the smallest single backward step\n"
		"in one thread. KTAP; about %zu runs of the hammer per pair.\n"
		"\n"
		"  --duration-ms MS  hammering per run (default 500; each run adds\n"
		"                    about 300 ms of calibration)\n",
		prog, sizeof(skews) / sizeof(skews[0]));
}

int main(int argc, char **argv)
{
	static struct warp_result res;
	int *cpus, npairs, pa[MAX_PAIRS], pb[MAX_PAIRS];
	double rt[MAX_PAIRS], smallest[MAX_PAIRS];
	uint64_t dur_ms = 500;
	struct warp_opts base;
	unsigned int ncpus, i, j;
	int opt, k, p;
	double back_caught = -1;
	const struct arg_spec specs[] = {
		ARG_U64("duration-ms", 0, &dur_ms, 100, 60000),
		ARG_END,
	};

	opt = args_parse(argc, argv, specs, usage);
	if (opt >= 0)
		return opt;

	ksft_print_header();
	cpus = cpus_allowed(&ncpus);
	if (ncpus < 2)
		ksft_exit_skip("one CPU: no pair to skew\n");
	npairs = 0;
	for (i = 0; i < ncpus && npairs < MAX_PAIRS; i++)
		for (j = i + 1; j < ncpus && npairs < MAX_PAIRS; j++) {
			pa[npairs] = cpus[i];
			pb[npairs++] = cpus[j];
		}
	/* The control, each pair's skew, the backward step. */
	ksft_set_plan(1 + npairs + 1);
	if (npairs == MAX_PAIRS)
		ksft_print_msg("only the first %d pairs of CPUs\n", MAX_PAIRS);

	warp_opts_default(&base);
	base.duration_s = dur_ms / 1000.0;
	base.clocks = 1u << WC_MONO;
	base.clocks_all = false;
	base.threads = 2;
	base.print_events = 0;
	base.events_out = stderr;

	/* The control: the same runs with no fault must be clean. */
	if (cpus_pin(cpus, ncpus) || hammer(&base, 0, -1, 0, &res))
		ksft_exit_fail_msg("the control run could not be made\n");
	ksft_test_result(!fired(&res),
			 "control: no fault, CLOCK_MONOTONIC on 2 threads over %u CPUs: %llu cross_cpu, %llu backward in %llu readings\n",
			 ncpus,
			 (unsigned long long)res.st[WC_MONO][WK_CROSS].count,
			 (unsigned long long)res.st[WC_MONO][WK_BACKWARD].count,
			 (unsigned long long)res.reads[WC_MONO]);

	for (p = 0; p < npairs; p++) {
		int pair[2] = { pa[p], pb[p] };
		bool largest = false;

		rt[p] = round_trip(pa[p], pb[p]);
		smallest[p] = -1;
		ksft_print_msg("cpus %d-%d: cache-line round trip %.0f ns (median of %d batches of %g ms)\n",
			       pa[p], pb[p], rt[p], PP_BATCHES, PP_BATCH_NS / 1e6);
		if (cpus_pin(pair, 2)) {
			ksft_test_result_fail("cpus %d-%d: cannot run on the pair\n",
					      pa[p], pb[p]);
			continue;
		}
		for (k = 0; k < (int)(sizeof(skews) / sizeof(skews[0])); k++) {
			if (hammer(&base, skews[k], pb[p], 0, &res))
				break;
			ksft_print_msg("  skew %6.0f ns on cpu %d: cross_cpu %llu (worst %.0f ns), backward %llu, in %llu readings\n",
				       skews[k], pb[p],
				       (unsigned long long)res.st[WC_MONO][WK_CROSS].count,
				       res.st[WC_MONO][WK_CROSS].worst,
				       (unsigned long long)res.st[WC_MONO][WK_BACKWARD].count,
				       (unsigned long long)res.reads[WC_MONO]);
			if (!fired(&res))
				continue;
			smallest[p] = skews[k];
			if (k == 0)
				largest = true;
		}
		ksft_test_result(largest,
				 "cpus %d-%d: a %.0f ns skew of cpu %d is caught (smallest caught %.0f ns, round trip %.0f ns)\n",
				 pa[p], pb[p], skews[0], pb[p], smallest[p],
				 rt[p]);
	}

	cpus_pin(cpus, ncpus);
	for (k = 0; k < (int)(sizeof(backs) / sizeof(backs[0])); k++) {
		if (hammer(&base, 0, -1, backs[k], &res))
			break;
		ksft_print_msg("backward step of %4.0f ns in one thread: backward %llu (worst %.0f ns)\n",
			       backs[k],
			       (unsigned long long)res.st[WC_MONO][WK_BACKWARD].count,
			       res.st[WC_MONO][WK_BACKWARD].worst);
		if (res.st[WC_MONO][WK_BACKWARD].count)
			back_caught = backs[k];
	}
	ksft_test_result(back_caught == 1,
			 "a single backward step of 1 ns in one thread is caught (smallest caught %.0f ns)\n",
			 back_caught);

	ksft_print_msg("pair     round trip  smallest skew caught  ratio\n");
	for (p = 0; p < npairs; p++)
		ksft_print_msg("%3d-%-3d  %7.0f ns  %17.0f ns  %5.2fx\n",
			       pa[p], pb[p], rt[p], smallest[p],
			       rt[p] > 0 && smallest[p] > 0 ?
			       smallest[p] / rt[p] : 0);
	ksft_finished();
}
