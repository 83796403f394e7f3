// SPDX-License-Identifier: GPL-2.0
/*
 * hvsim_migrate - time stays right across simulated live migrations, and
 * tscpage tells userspace about each one.
 *
 * With tscpage current over tscpage_hvsim, one hammer thread pinned to
 * each CPU reads CLOCK_MONOTONIC and the page (mmap of /dev/tscpage, the
 * shared reader) as fast as it can, and tracks per clock its backward
 * steps and its largest forward gap between consecutive reads. Meanwhile
 * the main thread asks the simulator for --count migrations
 * (TSCPAGE_HVSIM_IOC_MIGRATE: every CPU held --blackout-ms, the declared
 * TSC frequency alternating between its value at start and +1% / -1%, the
 * notification delivered to each CPU in turn) and after each one:
 *
 *  - waits (poll(), 2 s) for tscpage's NOTIFIED event on /dev/tscpage:
 *    ACKED, on the CPU the notification was sent to, also CHANGED over
 *    pvclock (GUEST_STOPPED newly set; a Hyper-V page over an unmoved TSC
 *    is the same page after a migration), and a step of 0 +/- 1 us (the
 *    simulator keeps its clock continuous through the blackout, so the
 *    new parameters give the old time). A notification later than a round
 *    of tscpage's watch (a vCPU of a TCG guest, above all on the debug
 *    kernel, can stand still that long) comes as a late pair, as
 *    reenlighten.c says: DETECTED by the watch with the change (CHANGED,
 *    no BACKWARD, the step within 1 us), then NOTIFIED, ACKED, without
 *    CHANGED. It counts as notified and is reported as late. Every
 *    event's seq and generation is one more than the previous event's;
 *  - polls the simulator's status until its acks count grew (2 s) and
 *    keeps last_ack_ns, the notification-to-acknowledgement latency.
 *
 * Results: no backward step on either clock on any CPU; each thread's
 * largest gap at most the blackout plus --duration-slack-ms; each
 * migration done, notified, acknowledged, its event in order and nothing
 * lost; then the ack latency percentiles and the gap statistics. Every
 * failure prints the readings or events that made it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "kselftest.h"
#include "args.h"
#include "clocksource_sysfs.h"
#include "cpus.h"
#include "hvsim_util.h"

/*
 * How much longer than the blackout a hammer thread may go without a
 * reading. The blackout itself holds every CPU in stop_machine for B ms;
 * on top of it come the stop_machine rendezvous, the notification's
 * interrupt and tscpage's handling, the simulator's page rewrites, the
 * scheduler putting the main thread (which runs the migrations and polls)
 * on a hammer's CPU, and under TCG with one host thread for all vCPUs
 * QEMU's round robin, which lets a busy vCPU keep the host thread for up
 * to 100 ms. Measured on the project machine (4 vCPUs, 2 host cores,
 * 100 migrations of 20 ms, each format): each thread's largest gap was
 * 15 to 112 ms over the blackout on 6.12 (two runs), up to 164 ms on 6.1
 * and 6.12-rt, the worst always on cpu0. The bound is about twice the
 * worst. A clock step smaller than it is caught by the events' step_ns
 * check, not here.
 */
#define GAP_SLACK_MS_DEFAULT	350

/* Attempts of a page read that meets the page mid-update. */
#define PAGE_TRIES		1000

/* How long the event, and the acknowledgement, may take. */
#define WAIT_MS			2000

/* |step_ns| of a migration over a continuous clock. */
#define STEP_TOL_NS		1000

enum { CLK_MONO, CLK_PAGE, N_CLOCKS };

static const char *const clock_names[N_CLOCKS] = {
	"CLOCK_MONOTONIC", "page",
};

struct track {
	uint64_t reads;
	uint64_t prev;
	uint64_t backward;
	int64_t worst_back;		/* most negative step, 0 if none */
	uint64_t worst_back_prev;	/* the readings that made it */
	uint64_t worst_back_next;
	uint64_t max_gap;
	uint64_t max_gap_at;		/* the reading that ended it */
	uint64_t blackout_gaps;		/* gaps of at least the blackout */
};

struct hammer {
	pthread_t thread;
	int cpu;
	int err;			/* errno of the affinity, -errno of the page */
	uint64_t page_errors;		/* page reads that gave up */
	struct track t[N_CLOCKS];
};

/* Events kept per migration: one, or a late pair, and one to spare. */
#define EVENTS_KEPT		3

/* One migration, as the main thread saw it. */
struct migration {
	uint32_t tsc_khz;
	int cpu;
	int err;			/* MIGRATE's errno */
	int events;			/* events read after it */
	struct tscpage_event ev[EVENTS_KEPT];	/* the first of them */
	bool acked;			/* hvsim's acks grew within WAIT_MS */
	uint64_t ack_ns;		/* last_ack_ns then */
	uint64_t ack_wait_ns;		/* MIGRATE's return to acks growing */
	bool status_ok;			/* migrations +1, tsc_khz as asked */
	struct tscpage_hvsim_status after;
};

static atomic_bool stop;
static pthread_barrier_t start;
static const void *page;
static uint32_t page_format;
static uint64_t blackout_ns;

static void track(struct track *t, uint64_t v)
{
	if (t->reads++) {
		if (v < t->prev) {
			t->backward++;
			if ((int64_t)(v - t->prev) < t->worst_back) {
				t->worst_back = (int64_t)(v - t->prev);
				t->worst_back_prev = t->prev;
				t->worst_back_next = v;
			}
		} else {
			if (v - t->prev > t->max_gap) {
				t->max_gap = v - t->prev;
				t->max_gap_at = v;
			}
			if (blackout_ns && v - t->prev >= blackout_ns)
				t->blackout_gaps++;
		}
	}
	t->prev = v;
}

static void *hammer_fn(void *arg)
{
	struct hammer *h = arg;
	uint64_t p;
	int err;

	h->err = cpu_pin(h->cpu);
	pthread_barrier_wait(&start);
	if (h->err)
		return NULL;
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		track(&h->t[CLK_MONO], clock_ns(CLOCK_MONOTONIC));
		err = page_now_ns(page, page_format, PAGE_TRIES, &p);
		if (err) {
			h->page_errors++;
			if (err != -EAGAIN && err != -ENODATA && !h->err)
				h->err = err;
			continue;
		}
		track(&h->t[CLK_PAGE], p);
	}
	return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The declared frequency of migration @i: base, +1%, base, -1%, ... */
static uint32_t khz_for(uint32_t base, uint64_t i)
{
	switch (i % 4) {
	case 0:	return base + base / 100;
	case 2:	return base - base / 100;
	}
	return base;
}

/* Evidence for one migration. */
static void print_migration(uint64_t i, const struct migration *m)
{
	char ev[256] = "no event";
	int e;

	if (m->events)
		event_str(&m->ev[0], ev, sizeof(ev));
	ksft_print_msg("  migration %" PRIu64 ": tsc_khz %u cpu %d: MIGRATE %s; %d event(s), first: %s; %s (%.3f ms)\n",
		       i + 1, m->tsc_khz, m->cpu, errname(m->err), m->events,
		       ev, m->acked ? "acked" : "NOT acked",
		       m->ack_wait_ns / 1e6);
	for (e = 1; e < m->events && e < EVENTS_KEPT; e++) {
		event_str(&m->ev[e], ev, sizeof(ev));
		ksft_print_msg("    then: %s\n", ev);
	}
}

/* Prints up to 5 migrations for which @bad says so; returns how many. */
static uint64_t print_bad(const struct migration *m, uint64_t n,
			  bool (*bad)(const struct migration *))
{
	uint64_t i, count = 0;

	for (i = 0; i < n; i++) {
		if (!bad(&m[i]))
			continue;
		if (count++ < 5)
			print_migration(i, &m[i]);
	}
	if (count > 5)
		ksft_print_msg("  ... and %" PRIu64 " more\n", count - 5);
	return count;
}

static bool bad_done(const struct migration *m)
{
	return m->err || !m->status_ok;
}

static bool step_ok(const struct tscpage_event *e)
{
	return e->step_ns >= -STEP_TOL_NS && e->step_ns <= STEP_TOL_NS;
}

/*
 * A late pair: the watch's DETECTED with the migration's change, then
 * the notification, which found the change taken already.
 */
static bool late_pair(const struct migration *m)
{
	const struct tscpage_event *d = &m->ev[0], *n = &m->ev[1];
	uint32_t want = TSCPAGE_EVENT_CHANGED;

	if (page_format == TSCPAGE_FORMAT_PVCLOCK)
		want |= TSCPAGE_EVENT_GUEST_STOPPED;
	return m->events == 2 && d->type == TSCPAGE_EVENT_DETECTED &&
	       (d->flags & (want | TSCPAGE_EVENT_BACKWARD)) == want &&
	       step_ok(d) && n->type == TSCPAGE_EVENT_NOTIFIED &&
	       (n->flags & (TSCPAGE_EVENT_ACKED | TSCPAGE_EVENT_CHANGED |
			    TSCPAGE_EVENT_BACKWARD)) == TSCPAGE_EVENT_ACKED &&
	       (int)n->cpu == m->cpu;
}

static bool bad_notified(const struct migration *m)
{
	const struct tscpage_event *e = &m->ev[0];
	uint32_t want = TSCPAGE_EVENT_ACKED;

	if (page_format == TSCPAGE_FORMAT_PVCLOCK)
		want |= TSCPAGE_EVENT_CHANGED | TSCPAGE_EVENT_GUEST_STOPPED;
	if (m->err || late_pair(m))
		return false;
	return m->events != 1 || e->type != TSCPAGE_EVENT_NOTIFIED ||
	       (e->flags & (want | TSCPAGE_EVENT_BACKWARD)) != want ||
	       (int)e->cpu != m->cpu || !step_ok(e);
}

static bool bad_acked(const struct migration *m)
{
	return !m->err && !m->acked;
}

/*
 * In order and nothing lost: one event per migration, or a late pair;
 * each event's seq one more than the previous event's, its generation
 * one more than the previous event's (the first: than INFO's before the
 * first migration). Returns how many migrations break that, printing up
 * to 5.
 */
static uint64_t check_order(const struct migration *m, uint64_t n,
			    uint64_t gen0)
{
	uint64_t i, count = 0, seq = 0, gen = gen0 + 1;
	const struct tscpage_event *e;
	bool bad;
	int k;

	for (i = 0; i < n; i++) {
		if (m[i].err)
			continue;
		bad = m[i].events != 1 + late_pair(&m[i]);
		for (k = 0; k < m[i].events && k < EVENTS_KEPT; k++) {
			e = &m[i].ev[k];
			bad |= (seq && e->seq != seq) || e->generation != gen;
			seq = e->seq + 1;
			gen = e->generation + 1;
		}
		if (bad && count++ < 5)
			print_migration(i, &m[i]);
	}
	if (count > 5)
		ksft_print_msg("  ... and %" PRIu64 " more\n", count - 5);
	return count;
}

/* The generation of @m's last event kept, 0 if none. */
static uint64_t last_generation(const struct migration *m)
{
	int k = m->events < EVENTS_KEPT ? m->events : EVENTS_KEPT;

	return k ? m->ev[k - 1].generation : 0;
}

static void report_clock(struct hammer *h, unsigned int n, int c)
{
	uint64_t back = 0, reads = 0;
	unsigned int i;

	for (i = 0; i < n; i++) {
		back += h[i].t[c].backward;
		reads += h[i].t[c].reads;
		if (h[i].t[c].backward)
			ksft_print_msg("  cpu%d: %" PRIu64 " backward steps, worst %" PRId64 " ns: %" PRIu64 " then %" PRIu64 "\n",
				       h[i].cpu, h[i].t[c].backward,
				       h[i].t[c].worst_back,
				       h[i].t[c].worst_back_prev,
				       h[i].t[c].worst_back_next);
	}
	ksft_test_result(!back, "%s: %" PRIu64 " backward steps in %" PRIu64 " reads on %u CPUs\n",
			 clock_names[c], back, reads, n);
}

static void report_gap(const struct hammer *h, uint64_t bound_ns)
{
	const struct track *mo = &h->t[CLK_MONO], *pg = &h->t[CLK_PAGE];
	bool ok = !h->err && mo->reads > 1 && pg->reads > 1 &&
		  mo->max_gap <= bound_ns && pg->max_gap <= bound_ns;

	if (h->err)
		ksft_print_msg("  cpu%d: %s\n", h->cpu, errname(h->err < 0 ? -h->err : h->err));
	if (!ok)
		ksft_print_msg("  cpu%d: largest gaps end at CLOCK_MONOTONIC %" PRIu64 " ns and page %" PRIu64 " ns; %" PRIu64 " page reads gave up\n",
			       h->cpu, mo->max_gap_at, pg->max_gap_at,
			       h->page_errors);
	ksft_test_result(ok, "cpu%d: largest gap %.3f ms (CLOCK_MONOTONIC), %.3f ms (page) <= %.3f ms; %" PRIu64 "/%" PRIu64 " reads\n",
			 h->cpu, mo->max_gap / 1e6, pg->max_gap / 1e6,
			 bound_ns / 1e6, mo->reads, pg->reads);
}

static void print_stats(const struct migration *m, uint64_t n,
			const struct hammer *h, unsigned int nh)
{
	uint64_t *lat = calloc(n ? n : 1, sizeof(*lat)), k = 0, i;
	uint64_t worst[N_CLOCKS] = { 0 }, sum[N_CLOCKS] = { 0 };
	int c;

	for (i = 0; lat && i < n; i++)
		if (m[i].acked)
			lat[k++] = m[i].ack_ns;
	if (k) {
		qsort(lat, k, sizeof(*lat), cmp_u64);
		ksft_print_msg("ack latency over %" PRIu64 " acks: p50 %.1f us, p99 %.1f us, max %.1f us\n",
			       k, lat[(k - 1) / 2] / 1e3,
			       lat[(k * 99 + 99) / 100 - 1] / 1e3,
			       lat[k - 1] / 1e3);
	} else {
		ksft_print_msg("ack latency: no acknowledgement seen\n");
	}
	free(lat);

	for (i = 0; i < nh; i++)
		for (c = 0; c < N_CLOCKS; c++) {
			sum[c] += h[i].t[c].max_gap;
			if (h[i].t[c].max_gap > worst[c])
				worst[c] = h[i].t[c].max_gap;
		}
	for (c = 0; c < N_CLOCKS; c++) {
		ksft_print_msg("%s gaps: worst %.3f ms, mean of the threads' largest %.3f ms, blackout %.0f ms\n",
			       clock_names[c], worst[c] / 1e6,
			       nh ? sum[c] / 1e6 / nh : 0.0, blackout_ns / 1e6);
		for (i = 0; i < nh; i++)
			ksft_print_msg("  cpu%d: largest %.3f ms, %" PRIu64 " gaps >= the blackout in %" PRIu64 " reads\n",
				       h[i].cpu, h[i].t[c].max_gap / 1e6,
				       h[i].t[c].blackout_gaps, h[i].t[c].reads);
	}
}

/* The results on the migrations as a whole, in the order main() gives them. */
enum { R_DONE, R_NOTIFIED, R_ACKED, R_ORDER, N_MIGRATION_RESULTS };

static void usage(FILE *f, const char *prog)
{
	fprintf(f,
		"usage: %s [--count N] [--blackout-ms B] [--duration-slack-ms S]\n"
		"  --count N              migrations, 1..100000 (default 100)\n"
		"  --blackout-ms B        each one's blackout, 0..%d (default 20)\n"
		"  --duration-slack-ms S  how much longer than B a thread may go\n"
		"                         without a reading, 0..60000 (default %d)\n",
		prog, TSCPAGE_HVSIM_BLACKOUT_MS_MAX, GAP_SLACK_MS_DEFAULT);
}

/* Waits for hvsim's acks to pass @acks; fills @m. */
static void wait_ack(int hv, uint64_t acks, uint64_t t0, struct migration *m)
{
	struct tscpage_hvsim_status st;
	uint64_t t;

	do {
		t = clock_ns(CLOCK_MONOTONIC);
		if (!hvsim_status(hv, &st) && st.acks > acks) {
			m->acked = true;
			m->ack_ns = st.last_ack_ns;
			m->ack_wait_ns = t - t0;
			m->after = st;
			return;
		}
		usleep(1000);
	} while (t - t0 < WAIT_MS * 1000000ull);
	m->ack_wait_ns = t - t0;
	hvsim_status(hv, &m->after);
}

/* Reads the events there are into @m; returns whether one was NOTIFIED. */
static bool read_events(int tp, struct migration *m)
{
	struct tscpage_event ev;
	bool notified = false;
	char s[256];
	int r;

	while ((r = event_read(tp, &ev)) == 1) {
		notified |= ev.type == TSCPAGE_EVENT_NOTIFIED;
		if (m->events < EVENTS_KEPT)
			m->ev[m->events] = ev;
		if (m->events++ >= 2) {
			event_str(&ev, s, sizeof(s));
			ksft_print_msg("  extra event after migration to cpu%d: %s\n",
				       m->cpu, s);
		}
	}
	if (r < 0)
		ksft_print_msg("  read /dev/tscpage: %s\n", errname(-r));
	return notified;
}

/*
 * One migration and what follows it: its events until a NOTIFIED one
 * (WAIT_MS at most), hvsim's acknowledgment, and whatever event came
 * meanwhile.
 */
static void migrate_one(int hv, int tp, struct migration *m)
{
	struct tscpage_hvsim_migrate req = {
		.blackout_ms = (uint32_t)(blackout_ns / 1000000),
		.tsc_khz = m->tsc_khz,
		.cpu = m->cpu,
	};
	struct tscpage_hvsim_status before;
	struct pollfd pfd = { .fd = tp, .events = POLLIN };
	uint64_t t0, waited;

	if (hvsim_status(hv, &before))
		memset(&before, 0, sizeof(before));
	m->err = ioctl(hv, TSCPAGE_HVSIM_IOC_MIGRATE, &req) ? errno : 0;
	if (m->err)
		return;
	t0 = clock_ns(CLOCK_MONOTONIC);
	for (;;) {
		waited = (clock_ns(CLOCK_MONOTONIC) - t0) / 1000000;
		if (waited >= WAIT_MS)
			break;
		poll(&pfd, 1, (int)(WAIT_MS - waited));
		if (read_events(tp, m))
			break;
	}
	wait_ack(hv, before.acks, t0, m);
	read_events(tp, m);
	m->status_ok = m->after.migrations == before.migrations + 1 &&
		       m->after.tsc_khz == m->tsc_khz;
}

int main(int argc, char **argv)
{
	uint64_t count = 100, blackout_ms = 20, slack_ms = GAP_SLACK_MS_DEFAULT;
	struct clock_takeover clock;
	struct tscpage_hvsim_status st0, st1;
	struct migration *mig;
	struct tscpage_info info;
	struct hammer *h;
	unsigned int n, i;
	uint64_t k, bad, late;
	int opt, err, hv, tp, *cpus;
	void *map;
	const struct arg_spec specs[] = {
		ARG_U64("count", 'n', &count, 1, 100000),
		ARG_U64("blackout-ms", 'b', &blackout_ms, 0, TSCPAGE_HVSIM_BLACKOUT_MS_MAX),
		ARG_U64("duration-slack-ms", 's', &slack_ms, 0, 60000),
		ARG_END,
	};

	opt = args_parse(argc, argv, specs, usage);
	if (opt >= 0)
		return opt;
	blackout_ns = blackout_ms * 1000000;

	ksft_print_header();
	hv = hvsim_open(&tp, &st0);
	if (ioctl(tp, TSCPAGE_IOC_INFO, &info))
		ksft_exit_fail_msg("TSCPAGE_IOC_INFO: %s\n", errname(errno));
	map = mmap(NULL, sysconf(_SC_PAGESIZE), PROT_READ, MAP_SHARED, tp, 0);
	if (map == MAP_FAILED)
		ksft_exit_fail_msg("mmap " TSCPAGE_DEV ": %s\n", errname(errno));
	page = map;
	page_format = info.format;

	cpus = cpus_allowed(&n);
	h = calloc(n, sizeof(*h));
	mig = calloc(count, sizeof(*mig));
	if (!h || !mig)
		ksft_exit_fail_perror("calloc");
	for (i = 0; i < n; i++)
		h[i].cpu = cpus[i];
	free(cpus);

	/* Each clock's, each hammer thread's gap, the migrations'. */
	ksft_set_plan(CLOCK_TAKEOVER_RESULTS + N_CLOCKS + n + N_MIGRATION_RESULTS);
	take_clock(&clock);
	ksft_print_msg("%" PRIu64 " migrations of %" PRIu64 " ms blackout over a %s page, declared tsc_khz %u +/- 1%%, generation %" PRIu64 " at start, %u hammer threads\n",
		       count, blackout_ms, format_name(page_format),
		       st0.tsc_khz, (uint64_t)info.generation, n);

	if (pthread_barrier_init(&start, NULL, n + 1))
		ksft_exit_fail_perror("pthread_barrier_init");
	for (i = 0; i < n; i++) {
		err = pthread_create(&h[i].thread, NULL, hammer_fn, &h[i]);
		if (err)
			ksft_exit_fail_msg("pthread_create: %s\n", errname(err));
	}
	pthread_barrier_wait(&start);
	usleep(100000);

	for (k = 0; k < count; k++) {
		mig[k].tsc_khz = khz_for(st0.tsc_khz, k);
		mig[k].cpu = h[k % n].cpu;
		migrate_one(hv, tp, &mig[k]);
		if ((k + 1) % 10 == 0 || k + 1 == count)
			ksft_print_msg("migration %" PRIu64 "/%" PRIu64 ": tsc_khz %u cpu %d: %s, %d event(s), %s, ack latency %.1f us\n",
				       k + 1, count, mig[k].tsc_khz, mig[k].cpu,
				       errname(mig[k].err), mig[k].events,
				       mig[k].acked ? "acked" : "not acked",
				       mig[k].ack_ns / 1e3);
	}
	usleep(100000);
	atomic_store(&stop, true);
	for (i = 0; i < n; i++)
		pthread_join(h[i].thread, NULL);

	for (i = 0; i < N_CLOCKS; i++)
		report_clock(h, n, i);
	for (i = 0; i < n; i++)
		report_gap(&h[i], blackout_ns + slack_ms * 1000000);

	bad = print_bad(mig, count, bad_done);
	ksft_test_result(!bad, "%" PRIu64 " migrations done (MIGRATE returned 0, status counted it and declares the asked tsc_khz): %" PRIu64 " not\n",
			 count, bad);
	for (k = 0, late = 0; k < count; k++)
		late += late_pair(&mig[k]);
	bad = print_bad(mig, count, bad_notified);
	ksft_test_result(!bad, "every migration notified: one NOTIFIED event, ACKED (and CHANGED|GUEST_STOPPED over pvclock), on the CPU it was sent to, step within +/-%d ns, or a late pair (%" PRIu64 " late): %" PRIu64 " not\n",
			 STEP_TOL_NS, late, bad);
	bad = print_bad(mig, count, bad_acked);
	ksft_test_result(!bad, "every migration acknowledged to hvsim within %d ms: %" PRIu64 " not\n",
			 WAIT_MS, bad);
	bad = check_order(mig, count, info.generation);
	ksft_test_result(!bad, "events in order without loss: one per migration, seq and generation +1 each (generation %" PRIu64 " -> %" PRIu64 "): %" PRIu64 " not\n",
			 (uint64_t)info.generation,
			 last_generation(&mig[count - 1]),
			 bad);

	print_stats(mig, count, h, n);
	if (!hvsim_status(hv, &st1))
		hvsim_status_print("hvsim at end", &st1);

	give_clock(&clock);
	munmap(map, sysconf(_SC_PAGESIZE));
	close(tp);
	close(hv);
	free(h);
	free(mig);
	ksft_finished();
}
