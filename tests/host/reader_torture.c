// SPDX-License-Identifier: GPL-2.0
/*
 * reader_torture - the samplers of include/tscpage/reader.h never accept
 * a torn page, with a writer rewriting it as fast as it can.
 *
 * For each format, one writer thread rewrites a page we own, following
 * that format's writer protocol, while one reader thread per CPU (at least
 * two) samples it in a loop with tscpage_pvclock_sample() or
 * tscpage_hvref_sample(). Every field of update number c is a function of
 * c alone, and one field gives c back, so a sample is consistent exactly
 * when all its fields (the sequence count included) belong to the same c.
 *
 * Per format: ok when no accepted sample is torn (and none is -EINVAL:
 * the writer only writes valid parameters, so an invalid sample is a torn
 * one); ok when the race was really run: samples accepted and retries
 * seen. The counts of retries, -EAGAIN and -ENODATA are printed; -ENODATA
 * is a Hyper-V reader arriving while sequence 0 is on the page, which this
 * writer leaves there for half its time.
 *
 * --broken-writer drops the first half of each protocol (the odd version;
 * the sequence 0) so the samplers cannot see an update begin: the first
 * result of each format must then fail, which shows that this test sees
 * torn samples when there are some.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <tscpage/reader.h>

#include "kselftest.h"

/*
 * Small, so that a reader that keeps meeting updates gives up now and then
 * and the -EAGAIN path runs too.
 */
#define MAX_RETRIES	4
/* Torn samples printed per reader. */
#define MAX_REPORTS	3

enum format { PVCLOCK, HVREF };

static const char *const format_name[] = { "pvclock", "hvref" };

union page {
	struct tscpage_pvclock pv;
	struct tscpage_hvref hv;
};

static union page *page;
static bool broken_writer;
static bool stop;		/* __atomic: main -> all threads */
static pthread_barrier_t start;

/* ------------------------------------------------------------------ */
/* Update c, field by field. tsc_timestamp / tsc_scale are c itself.   */

static uint32_t pv_version(uint64_t c)
{
	return (uint32_t)(2 * c);
}

static uint64_t pv_system_time(uint64_t c)
{
	return c * 0x9e3779b97f4a7c15ull + 0x0123456789abcdefull;
}

/* Never 0, and different from the neighbours' in the low bits. */
static uint32_t pv_mul(uint64_t c)
{
	return (uint32_t)c | 0x80000000u;
}

/* Always within [-32, 32], so every update passes params_valid. */
static int8_t pv_shift(uint64_t c)
{
	return (int8_t)((int)(c % 65) - 32);
}

static uint8_t pv_flags(uint64_t c)
{
	return (uint8_t)c ^ 0xa5;
}

/* Never 0, which would mean "invalid page" rather than an update. */
static uint32_t hv_sequence(uint64_t c)
{
	return (uint32_t)(c % 0xffffffffull) + 1;
}

static int64_t hv_offset(uint64_t c)
{
	return (int64_t)(c * 0xd6e8feb86659fd93ull);
}

#define STORE(field, v)	__atomic_store_n(&(field), (v), __ATOMIC_RELAXED)
#define WMB()		__atomic_thread_fence(__ATOMIC_RELEASE)

/*
 * pvclock: version odd, write barrier, fields, write barrier, version
 * even. The broken writer skips the odd version and the barrier after it.
 */
static void pv_write(struct tscpage_pvclock *p, uint64_t c)
{
	if (!broken_writer) {
		STORE(p->version, pv_version(c) - 1);
		WMB();
	}
	STORE(p->tsc_timestamp, c);
	STORE(p->system_time, pv_system_time(c));
	STORE(p->tsc_to_system_mul, pv_mul(c));
	STORE(p->tsc_shift, pv_shift(c));
	STORE(p->flags, pv_flags(c));
	WMB();
	STORE(p->version, pv_version(c));
}

/*
 * Hyper-V: sequence 0, write barrier, scale and offset, write barrier, the
 * new sequence. The broken writer skips the sequence 0 and its barrier.
 */
static void hv_write(struct tscpage_hvref *p, uint64_t c)
{
	if (!broken_writer) {
		STORE(p->tsc_sequence, 0);
		WMB();
	}
	STORE(p->tsc_scale, c);
	STORE(p->tsc_offset, hv_offset(c));
	WMB();
	STORE(p->tsc_sequence, hv_sequence(c));
}

static bool pv_consistent(const struct tscpage_pvclock *s)
{
	uint64_t c = s->tsc_timestamp;

	return s->version == pv_version(c) &&
	       s->system_time == pv_system_time(c) &&
	       s->tsc_to_system_mul == pv_mul(c) &&
	       s->tsc_shift == pv_shift(c) && s->flags == pv_flags(c);
}

static bool hv_consistent(const struct tscpage_hvref *s)
{
	uint64_t c = s->tsc_scale;

	return s->tsc_sequence == hv_sequence(c) &&
	       s->tsc_offset == hv_offset(c);
}

/* ------------------------------------------------------------------ */

struct writer {
	pthread_t thread;
	enum format fmt;
	uint64_t updates;
};

static void *writer_fn(void *arg)
{
	struct writer *w = arg;
	uint64_t c = 1;		/* update 1 is on the page already */

	pthread_barrier_wait(&start);
	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		c++;
		if (w->fmt == PVCLOCK)
			pv_write(&page->pv, c);
		else
			hv_write(&page->hv, c);
	}
	w->updates = c - 1;
	return NULL;
}

struct bad_sample {
	union page params;
	int ret;		/* 0: accepted although torn; or -EINVAL */
};

struct reader {
	pthread_t thread;
	enum format fmt;
	int cpu;			/* -1: not pinned */
	int err;			/* errno of a failed pinning */
	uint64_t accepted, retries, eagain, enodata, einval, torn;
	struct bad_sample seen[MAX_REPORTS];	/* the first bad samples */
	unsigned int n_seen;
};

static void reader_keep(struct reader *r, const union page *params, int ret)
{
	if (r->n_seen < MAX_REPORTS) {
		r->seen[r->n_seen].params = *params;
		r->seen[r->n_seen].ret = ret;
		r->n_seen++;
	}
}

static void *reader_fn(void *arg)
{
	struct reader *r = arg;
	uint64_t accepted = 0, retries = 0, eagain = 0, enodata = 0;
	uint64_t einval = 0, torn = 0;

	if (r->cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(r->cpu, &set);
		r->err = pthread_setaffinity_np(pthread_self(), sizeof(set),
						&set);
	}
	pthread_barrier_wait(&start);
	/* Counters in registers: the readers must not share cache lines. */
	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		union page copy;
		bool consistent;
		int ret;

		if (r->fmt == PVCLOCK) {
			struct tscpage_pvclock_sample s;

			ret = tscpage_pvclock_sample(&page->pv, MAX_RETRIES,
						     &s);
			retries += s.retries;
			/* The parameters are defined on 0 and -EINVAL. */
			if (ret == 0 || ret == -EINVAL)
				copy.pv = s.params;
			consistent = !ret && pv_consistent(&s.params);
		} else {
			struct tscpage_hvref_sample s;

			ret = tscpage_hvref_sample(&page->hv, MAX_RETRIES, &s);
			retries += s.retries;
			if (ret == 0 || ret == -EINVAL)
				copy.hv = s.params;
			consistent = !ret && hv_consistent(&s.params);
		}
		switch (ret) {
		case 0:
			accepted++;
			if (!consistent) {
				torn++;
				reader_keep(r, &copy, ret);
			}
			break;
		case -EAGAIN:
			eagain++;
			break;
		case -ENODATA:
			enodata++;
			break;
		default:	/* -EINVAL: see the top of the file */
			einval++;
			reader_keep(r, &copy, ret);
			break;
		}
	}
	r->accepted = accepted;
	r->retries = retries;
	r->eagain = eagain;
	r->enodata = enodata;
	r->einval = einval;
	r->torn = torn;
	return NULL;
}

/* The evidence: what the sample holds, and what update c wrote. */
static void print_bad(const struct reader *r, const struct bad_sample *b)
{
	const char *how = b->ret ? "got -EINVAL with" : "accepted";
	const union page *s = &b->params;

	if (r->fmt == PVCLOCK) {
		uint64_t c = s->pv.tsc_timestamp;

		ksft_print_msg("  cpu%d %s version=%" PRIu32 " tsc_timestamp=%" PRIu64
			       " system_time=0x%016" PRIx64 " mul=0x%08" PRIx32
			       " shift=%d flags=0x%02x\n", r->cpu, how,
			       s->pv.version, c, (uint64_t)s->pv.system_time,
			       s->pv.tsc_to_system_mul, s->pv.tsc_shift,
			       s->pv.flags);
		ksft_print_msg("  but update %" PRIu64 " wrote version=%" PRIu32 " tsc_timestamp=%" PRIu64
			       " system_time=0x%016" PRIx64 " mul=0x%08" PRIx32
			       " shift=%d flags=0x%02x\n", c, pv_version(c),
			       c, pv_system_time(c), pv_mul(c), pv_shift(c),
			       pv_flags(c));
	} else {
		uint64_t c = s->hv.tsc_scale;

		ksft_print_msg("  cpu%d %s sequence=%" PRIu32 " scale=%" PRIu64
			       " offset=%" PRId64 "\n", r->cpu, how,
			       s->hv.tsc_sequence, c,
			       (int64_t)s->hv.tsc_offset);
		ksft_print_msg("  but update %" PRIu64 " wrote sequence=%" PRIu32 " scale=%" PRIu64
			       " offset=%" PRId64 "\n", c, hv_sequence(c), c,
			       hv_offset(c));
	}
}

static void run_format(enum format fmt, const int *cpus, unsigned int n,
		       unsigned int seconds)
{
	const char *name = format_name[fmt];
	struct writer w = { .fmt = fmt };
	struct reader *readers;
	uint64_t accepted = 0, retries = 0, eagain = 0, enodata = 0;
	uint64_t einval = 0, torn = 0;
	unsigned int i, j;
	int err;

	readers = calloc(n, sizeof(*readers));
	if (!readers)
		ksft_exit_fail_msg("calloc: %s\n", strerror(errno));

	/* Update 1 on the page before anyone looks. */
	if (fmt == PVCLOCK)
		pv_write(&page->pv, 1);
	else
		hv_write(&page->hv, 1);
	__atomic_store_n(&stop, false, __ATOMIC_RELAXED);
	err = pthread_barrier_init(&start, NULL, n + 2);
	if (err)
		ksft_exit_fail_msg("pthread_barrier_init: %s\n", strerror(err));

	for (i = 0; i < n; i++) {
		readers[i].fmt = fmt;
		readers[i].cpu = cpus[i];
		err = pthread_create(&readers[i].thread, NULL, reader_fn,
				     &readers[i]);
		if (err)
			ksft_exit_fail_msg("pthread_create: %s\n",
					   strerror(err));
	}
	err = pthread_create(&w.thread, NULL, writer_fn, &w);
	if (err)
		ksft_exit_fail_msg("pthread_create: %s\n", strerror(err));

	pthread_barrier_wait(&start);
	sleep(seconds);
	__atomic_store_n(&stop, true, __ATOMIC_RELAXED);

	pthread_join(w.thread, NULL);
	for (i = 0; i < n; i++)
		pthread_join(readers[i].thread, NULL);
	pthread_barrier_destroy(&start);

	ksft_print_msg("%s: %s writer, %" PRIu64 " updates in %u s\n", name,
		       broken_writer ? "BROKEN" : "correct", w.updates,
		       seconds);
	for (i = 0; i < n; i++) {
		struct reader *r = &readers[i];

		if (r->err)
			ksft_print_msg("%s: reader %u: cannot pin to cpu%d: %s\n",
				       name, i, r->cpu, strerror(r->err));
		ksft_print_msg("%s: reader on cpu%d: accepted %" PRIu64
			       ", retries %" PRIu64 ", -EAGAIN %" PRIu64
			       ", -ENODATA %" PRIu64 ", -EINVAL %" PRIu64
			       ", torn %" PRIu64 "\n", name, r->cpu,
			       r->accepted, r->retries, r->eagain, r->enodata,
			       r->einval, r->torn);
		for (j = 0; j < r->n_seen; j++)
			print_bad(r, &r->seen[j]);
		accepted += r->accepted;
		retries += r->retries;
		eagain += r->eagain;
		enodata += r->enodata;
		einval += r->einval;
		torn += r->torn;
	}
	free(readers);

	ksft_test_result(!torn && !einval,
			 "%s: no torn sample accepted: %" PRIu64 " accepted, %"
			 PRIu64 " torn, %" PRIu64 " -EINVAL\n", name, accepted,
			 torn, einval);
	ksft_test_result(accepted && retries,
			 "%s: race exercised: %" PRIu64 " accepted, %" PRIu64
			 " retries, %" PRIu64 " -EAGAIN, %" PRIu64
			 " -ENODATA, %" PRIu64 " updates\n", name, accepted,
			 retries, eagain, enodata, w.updates);
}

static void usage(FILE *f, const char *prog)
{
	fprintf(f, "usage: %s [--duration S] [--broken-writer]\n"
		"  --duration S     seconds per format (default 2)\n"
		"  --broken-writer  writer skips the odd version / sequence 0: must fail\n",
		prog);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "duration", required_argument, NULL, 'd' },
		{ "broken-writer", no_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	long duration = 2, psize;
	int cpus[CPU_SETSIZE];
	unsigned int n = 0;
	cpu_set_t set;
	char *end;
	int opt, c;

	while ((opt = getopt_long(argc, argv, "d:bh", opts, NULL)) != -1) {
		switch (opt) {
		case 'd':
			errno = 0;
			duration = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || duration < 1 ||
			    duration > 3600) {
				fprintf(stderr, "%s: --duration: '%s' is not a number of seconds in 1..3600\n",
					argv[0], optarg);
				return KSFT_FAIL;
			}
			break;
		case 'b':
			broken_writer = true;
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
	ksft_set_plan(4);

	/* One reader per CPU we may run on; at least two, unpinned then. */
	if (sched_getaffinity(0, sizeof(set), &set))
		ksft_exit_fail_msg("sched_getaffinity: %s\n", strerror(errno));
	for (c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &set))
			cpus[n++] = c;
	if (n < 2) {
		cpus[0] = cpus[1] = -1;
		n = 2;
	}

	psize = sysconf(_SC_PAGESIZE);
	page = aligned_alloc((size_t)psize, (size_t)psize);
	if (!page)
		ksft_exit_fail_msg("aligned_alloc: %s\n", strerror(errno));
	memset(page, 0, (size_t)psize);
	ksft_print_msg("%u readers, 1 writer, %s writer, %ld s per format, max_retries %d\n",
		       n, broken_writer ? "BROKEN" : "correct", duration,
		       MAX_RETRIES);

	run_format(PVCLOCK, cpus, n, (unsigned int)duration);
	memset(page, 0, (size_t)psize);
	run_format(HVREF, cpus, n, (unsigned int)duration);

	free(page);
	ksft_finished();
}
