// SPDX-License-Identifier: GPL-2.0
/*
 * The hot threads of clock_warp and the checks they make on every reading;
 * and one run from start to finish.
 *
 * A hot thread reads the selected clocks in turn, an ordered TSC read
 * between any two, so each clock_gettime() reading is bracketed by the TSC
 * values just before and after it (a page reading carries its own TSC).
 * For each reading of clock c, with m the largest value of c the other
 * threads had published, loaded before the reading:
 *
 *  - backward:  below this thread's previous reading of c;
 *  - cross_cpu: below m. m was published after its reading was taken, and
 *    loaded before ours was, so a correct clock gives at least m. Only the
 *    publisher ever stores, with a release store when its reading is at
 *    least publish_ns above m: lock-free, and the line is written once per
 *    publish_ns of clock time rather than on every read;
 *  - jump:      more than --max-jump-ms above the previous reading (a
 *    stall, a freeze, a blackout), unless the thread itself was not run:
 *    the TSC too says it read nothing for longer than the bound, and
 *    another thread read the same clock throughout, never that long
 *    without a reading (struct presence). Such a gap is counted apart
 *    (unrun): the other thread's own checks looked at the clock over it.
 *    A guest stopped whole, or a clock no thread could read (a page that
 *    stays mid-update), has no such witness and is a jump. A scheduler
 *    that leaves a pinned thread unrun for a while is no fault of the
 *    clock: a nested guest's thread went 41 s unrun after a save/restore
 *    (the kvm-events row), every clock and the TSC alike;
 *  - tsc_step:  the clock advanced more or less than the TSC did between
 *    the two readings, beyond the TSC brackets, by more than
 *    --max-tsc-step-us plus the clock's resolution plus 1000 ppm of the
 *    interval (calibration error, NTP's largest slew); for
 *    CLOCK_MONOTONIC_COARSE, the time of the timekeeper's last tick, also
 *    plus --max-jump-ms, as long as a late tick may leave it stale. For the page, whose
 *    reading carries its TSC, the reading is compared with what the
 *    previous reading's parameters give at the new TSC: exact to the
 *    nanosecond on a consistent page.
 *
 * Nothing here blocks: findings go into the thread's own statistics and,
 * a bounded number of them, as events through the wait-free queue.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpus.h"
#include "warp_int.h"

void warp_stat_init(struct warp_stat *s)
{
	memset(s, 0, sizeof(*s));
	s->worst_cpu = s->worst_other = s->peak_cpu = -1;
	s->first_at = -1;
}

static uint64_t cpu_bit(int cpu)
{
	return cpu < 0 ? 0 : 1ull << (cpu & 63);
}

void warp_stat_fire(struct warp_stat *s, double size, int cpu, int other,
		    double at)
{
	s->count++;
	if (fabs(size) > fabs(s->worst)) {
		s->worst = size;
		s->worst_cpu = cpu;
		s->worst_other = other;
		s->worst_at = at;
	}
	if (s->first_at < 0 || at < s->first_at)
		s->first_at = at;
	s->cpus |= cpu_bit(cpu) | cpu_bit(other);
}

void warp_stat_peak(struct warp_stat *s, double mag, int cpu, double at)
{
	if (mag > s->peak) {
		s->peak = mag;
		s->peak_cpu = cpu;
		s->peak_at = at;
	}
}

void warp_stat_merge(struct warp_stat *to, const struct warp_stat *from)
{
	if (fabs(from->worst) > fabs(to->worst)) {
		to->worst = from->worst;
		to->worst_cpu = from->worst_cpu;
		to->worst_other = from->worst_other;
		to->worst_at = from->worst_at;
	}
	if (from->count && (to->first_at < 0 || from->first_at < to->first_at))
		to->first_at = from->first_at;
	to->count += from->count;
	to->cpus |= from->cpus;
	if (from->peak > to->peak) {
		to->peak = from->peak;
		to->peak_cpu = from->peak_cpu;
		to->peak_at = from->peak_at;
	}
	to->evaluated += from->evaluated;
	to->unevaluated += from->unevaluated;
}

static void fire(struct warp_thread *t, int c, int k, double size, int cpu,
		 int other, double at, uint64_t a, uint64_t b, double extra)
{
	struct warp_event *e;

	warp_stat_fire(&t->st[c][k], size, cpu, other, at);
	if (t->per[c][k] >= WARP_POOL_PER || t->pool_used >= WARP_POOL) {
		t->dropped++;
		return;
	}
	t->per[c][k]++;
	e = &t->pool[t->pool_used++];
	e->clock = c;
	e->check = k;
	e->thread = t->idx;
	e->cpu = cpu;
	e->other = other;
	e->at = at;
	e->size = size;
	e->a = a;
	e->b = b;
	e->c = extra;
	warp_event_push(t->run, e);
}

/*
 * Whether a thread other than @self read clock @c throughout the TSC
 * interval [@from, @to]: its unbroken run of readings (none further apart
 * than the jump bound, @jump TSC cycles) began at or before @from, and
 * its latest reading is less than the bound before @to (it is reading
 * still: its latest need not be after our own, just taken). The jump
 * check's witness; called only when a reading jumped.
 */
static __attribute__((noinline, cold)) bool
others_read_through(const struct warp_thread *self, int c, uint64_t from,
		    uint64_t to, uint64_t jump)
{
	const struct warp_run *r = self->run;
	uint64_t last, since;
	int i;

	for (i = 0; i < r->nthreads; i++) {
		struct presence *p = &r->t[i].seen[c];

		if (&r->t[i] == self)
			continue;
		last = atomic_load_explicit(&p->last, memory_order_acquire);
		since = atomic_load_explicit(&p->since, memory_order_relaxed);
		if (last && (int64_t)(last - (to - jump)) >= 0 &&
		    (int64_t)(from - since) >= 0)
			return true;
	}
	return false;
}

/* A gap of @tgap ns the thread was not run; one per round is counted. */
static void unrun(struct warp_thread *t, double tgap, int cpu, double at)
{
	if (t->unrun_round == t->iters + 1)
		return;
	t->unrun_round = t->iters + 1;
	warp_stat_fire(&t->unrun, tgap, cpu, -1, at);
}

/* A clock's last reading in this thread. */
struct last {
	uint64_t v, lo, hi;
	bool have;
	struct page_read pr;
};

static int hist_bucket(uint64_t ns)
{
	int b = ns ? 63 - __builtin_clzll(ns) : 0;

	return b < WARP_HIST_BUCKETS ? b : WARP_HIST_BUCKETS - 1;
}

/*
 * The hot loop, inlined twice by hot_fn(): with @inject a constant false
 * the compiler drops the self-test faults from it.
 */
static inline __attribute__((always_inline)) void
hot_loop(struct warp_thread *t, const bool inject)
{
	struct warp_run *r = t->run;
	struct last last[WC_N];
	uint64_t pub_thr[WC_N], tprev, t0, tend;
	double jump_ns = r->o.max_jump_ms * 1e6;
	uint64_t jump_cyc = (uint64_t)(jump_ns / r->nspc);
	double step_ns = r->o.max_step_us * 1e3;
	clockid_t ids[WC_N];
	struct timespec cpu_ts;
	int cpu = t->pin, lastcpu, i;

	memset(last, 0, sizeof(last));
	for (i = 0; i < WC_N; i++) {
		ids[i] = warp_clockid(i);
		pub_thr[i] = i == WC_TSC ? (uint64_t)(r->o.publish_ns / r->nspc) :
					   r->o.publish_ns;
	}
	if (t->pin >= 0 && cpu_pin(t->pin))
		t->pin = -2;
	pthread_barrier_wait(&r->go);
	if (t->pin == -2)
		return;
	t->back_pending = inject && t->idx == 0 && r->o.inject_back_ns > 0;
	t->nap_pending = inject && t->idx == 0 && r->o.inject_nap_ms > 0;
	tprev = t0 = warp_tsc(&cpu);
	if (!warp_have_rdtscp)
		cpu = sched_getcpu();
	lastcpu = cpu;
	while (!atomic_load_explicit(&r->stop, memory_order_relaxed)) {
		uint64_t round0 = tprev;

		if (!warp_have_rdtscp && t->pin < 0)
			cpu = sched_getcpu();
		if (inject && t->nap_pending &&
		    warp_at(r, tprev) >= r->o.duration_s / 4) {
			struct timespec nap = {
				.tv_sec = (time_t)(r->o.inject_nap_ms / 1000),
				.tv_nsec = (long)(fmod(r->o.inject_nap_ms, 1000) * 1e6),
			};

			t->nap_pending = false;
			nanosleep(&nap, NULL);
		}
		for (i = 0; i < r->nclocks; i++) {
			int c = r->order[i];
			struct last *l = &last[c];
			struct page_read pr;
			struct timespec ts;
			uint64_t m, v, lo, hi, tnow;
			double scale = 1.0, at;
			bool away;

			m = atomic_load_explicit(&r->pub[c].v,
						 memory_order_acquire);
			if (c == WC_TSC) {
				v = lo = hi = tnow = warp_tsc(&cpu);
				scale = r->nspc;
			} else if (c == WC_PAGE) {
				if (warp_page_read(r, &pr)) {
					t->page_fail++;
					tprev = warp_tsc(&cpu);
					continue;
				}
				v = pr.ns;
				lo = hi = pr.tsc;
				tnow = warp_tsc(&cpu);
			} else {
				clock_gettime(ids[c], &ts);
				tnow = warp_tsc(&cpu);
				v = warp_ts_ns(&ts);
				lo = tprev;
				hi = tnow;
			}
			tprev = tnow;
			t->reads[c]++;
			at = warp_at(r, hi);
			/*
			 * This thread's presence, for the others' jump check:
			 * tgap, the TSC from the end of its previous reading
			 * of c to the end of this one (a thread put off the
			 * CPU within a reading's bracket was not run either),
			 * compared in cycles: tgap > jump_ns exactly when the
			 * whole cycles exceed jump_cyc, jump_ns / nspc rounded
			 * down.
			 */
			away = l->have && (int64_t)(hi - l->hi) > (int64_t)jump_cyc;
			if (!l->have || away)
				atomic_store_explicit(&t->seen[c].since, hi,
						      memory_order_relaxed);
			atomic_store_explicit(&t->seen[c].last, hi,
					      memory_order_release);
			if (inject && c != WC_TSC && c != WC_PAGE) {
				if (cpu == r->o.inject_cpu)
					v -= (uint64_t)r->o.inject_skew_ns;
				if (t->back_pending && l->have &&
				    at >= r->o.duration_s / 4) {
					v = l->v - (uint64_t)r->o.inject_back_ns;
					t->back_pending = false;
				}
			}

			if (l->have) {
				if (v < l->v) {
					fire(t, c, WK_BACKWARD,
					     -(double)(l->v - v) * scale, cpu,
					     -1, at, l->v, v, 0);
				} else {
					double gap = (double)(v - l->v) * scale;

					if (gap > jump_ns && away &&
					    others_read_through(t, c, l->hi, hi,
								jump_cyc)) {
						unrun(t, (double)(hi - l->hi) *
							 r->nspc, cpu, at);
					} else {
						warp_stat_peak(&t->st[c][WK_JUMP],
							       gap, cpu, at);
						if (gap > jump_ns)
							fire(t, c, WK_JUMP, gap,
							     cpu, -1, at, l->v,
							     v, 0);
					}
				}
				if (c != WC_TSC) {
					double step, tol, el_min, el_max, d;

					if (c == WC_PAGE) {
						step = (double)(int64_t)(v -
							warp_page_predict(r, &l->pr, lo));
						tol = step_ns;
						el_max = (double)(lo - l->lo) * r->nspc;
					} else {
						el_min = (double)(int64_t)(lo - l->hi) * r->nspc;
						el_max = (double)(int64_t)(hi - l->lo) * r->nspc;
						d = (double)(int64_t)(v - l->v);
						tol = step_ns + r->res_ns[c] +
						      1e-3 * el_max;
						/*
						 * Coarse time is the timekeeper's last
						 * tick: stale for as long as the tick
						 * is late, which the jump budget covers.
						 */
						if (c == WC_COARSE)
							tol += jump_ns;
						step = d < el_min ? d - el_min :
						       d > el_max ? d - el_max : 0;
					}
					warp_stat_peak(&t->st[c][WK_STEP],
						       fabs(step), cpu, at);
					if (fabs(step) > tol)
						fire(t, c, WK_STEP, step, cpu, -1,
						     at, l->v, v, el_max);
				}
			}
			if (m && v < m) {
				fire(t, c, WK_CROSS, -(double)(m - v) * scale,
				     cpu, atomic_load_explicit(&r->pub[c].who,
							       memory_order_relaxed),
				     at, m, v, 0);
			} else if (v - m >= pub_thr[c]) {
				atomic_store_explicit(&r->pub[c].who, cpu,
						      memory_order_relaxed);
				atomic_store_explicit(&r->pub[c].v, v,
						      memory_order_release);
			}
			l->v = v;
			l->lo = lo;
			l->hi = hi;
			l->have = true;
			if (c == WC_PAGE)
				l->pr = pr;
		}
		t->hist[hist_bucket((uint64_t)((double)(tprev - round0) *
					       r->nspc))]++;
		t->iters++;
		if (cpu != lastcpu) {
			t->migrations++;
			lastcpu = cpu;
		}
	}
	tend = warp_tsc(&cpu);
	t->wall_s = (double)(tend - t0) * r->nspc * 1e-9;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu_ts);
	t->cpu_s = cpu_ts.tv_sec + cpu_ts.tv_nsec * 1e-9;
}

static void *hot_fn(void *arg)
{
	struct warp_thread *t = arg;
	const struct warp_opts *o = &t->run->o;

	if (o->inject_skew_ns > 0 || o->inject_back_ns > 0 ||
	    o->inject_nap_ms > 0)
		hot_loop(t, true);
	else
		hot_loop(t, false);
	return NULL;
}

int warp_threads_start(struct warp_run *r)
{
	unsigned int ncpus;
	int *cpus = cpus_allowed(&ncpus);
	int i, n = 0, err;

	r->ncpus = (int)ncpus;
	r->nthreads = r->o.threads ? r->o.threads :
		      r->ncpus + (r->ncpus / 2 > 2 ? r->ncpus / 2 : 2);
	r->npinned = r->nthreads < r->ncpus ? r->nthreads : r->ncpus;
	if (posix_memalign((void **)&r->t, CACHELINE,
			   sizeof(*r->t) * r->nthreads)) {
		free(cpus);
		return -ENOMEM;
	}
	memset(r->t, 0, sizeof(*r->t) * r->nthreads);
	for (i = 0; i < r->nthreads; i++) {
		struct warp_thread *t = &r->t[i];
		int c, k;

		t->run = r;
		t->idx = i;
		t->pin = -1;
		if (i < r->npinned)
			t->pin = cpus[i];
		for (c = 0; c < WC_N; c++)
			for (k = 0; k < WK_N; k++)
				warp_stat_init(&t->st[c][k]);
		warp_stat_init(&t->unrun);
	}
	free(cpus);
	pthread_barrier_init(&r->go, NULL, r->nthreads + 1);
	for (i = 0; i < r->nthreads; i++) {
		err = pthread_create(&r->t[i].th, NULL, hot_fn, &r->t[i]);
		if (err) {
			/* The barrier waits for every thread: stop here. */
			fprintf(stderr, "pthread_create: %s\n", strerror(err));
			exit(1);
		}
		r->t[i].started = true;
		n++;
	}
	pthread_barrier_wait(&r->go);
	return n;
}

void warp_threads_join(struct warp_run *r)
{
	int i;

	atomic_store(&r->stop, true);
	for (i = 0; i < r->nthreads; i++)
		if (r->t[i].started)
			pthread_join(r->t[i].th, NULL);
}

void warp_opts_default(struct warp_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->duration_s = WARP_DURATION_S;
	o->clocks = WARP_ALL_CLOCKS;
	o->clocks_all = true;
	o->max_jump_ms = WARP_MAX_JUMP_MS;
	o->max_ppm = WARP_MAX_PPM;
	o->max_step_us = WARP_MAX_STEP_US;
	o->window_ms = WARP_WINDOW_MS;
	o->slide_ms = WARP_SLIDE_MS;
	o->publish_ns = WARP_PUBLISH_NS;
	o->print_events = 5;
	o->events_out = stdout;
	o->inject_cpu = -1;
}

static double res_of(enum warp_clock c, uint32_t format)
{
	struct timespec ts;

	if (c == WC_TSC)
		return 0;
	if (c == WC_PAGE)
		return format == TSCPAGE_FORMAT_HVREF ? 100 : 1;
	if (clock_getres(warp_clockid(c), &ts))
		return 0;
	return (double)warp_ts_ns(&ts);
}

struct warp_run *warp_start(const struct warp_opts *o, char *err,
			    size_t size)
{
	struct warp_run *r;
	double bare_s;
	int c, e, cpu;

	if (posix_memalign((void **)&r, CACHELINE, sizeof(*r))) {
		snprintf(err, size, "out of memory");
		return NULL;
	}
	memset(r, 0, sizeof(*r));
	r->o = *o;
	r->timerfd = -1;
	warp_have_rdtscp = warp_cpu_has_rdtscp();
	r->clocks = o->clocks;
	if (r->clocks & (1u << WC_PAGE)) {
		e = warp_page_open(r);
		if (e) {
			r->clocks &= ~(1u << WC_PAGE);
			r->skip_why[WC_PAGE] = e == -ENOENT ?
				"no /dev/tscpage (tscpage not loaded)" :
				"/dev/tscpage unusable";
		}
	}
	if (!r->clocks) {
		snprintf(err, size, "no clock to read");
		free(r);
		return NULL;
	}
	for (c = 0; c < WC_N; c++) {
		if (!(r->clocks & (1u << c)))
			continue;
		r->order[r->nclocks++] = c;
		r->res_ns[c] = res_of(c, r->format);
	}
	bare_s = o->duration_s * 0.05;
	bare_s = bare_s < 0.3 ? 0.3 : bare_s > 1.0 ? 1.0 : bare_s;
	warp_bare(r, bare_s);
	if (!(r->nspc > 0)) {
		snprintf(err, size, "TSC calibration failed");
		warp_page_close(r);
		free(r);
		return NULL;
	}
	for (c = 0; c < WC_N; c++)
		warp_stat_init(&r->rate_st[c]);
	r->tsc0 = warp_tsc(&cpu);
	clock_gettime(CLOCK_MONOTONIC_RAW, &r->raw0);
	if (warp_collector_start(r)) {
		snprintf(err, size, "cannot start the collector");
		warp_page_close(r);
		free(r);
		return NULL;
	}
	e = warp_threads_start(r);
	if (e < 0) {
		snprintf(err, size, "cannot start the threads: %s",
			 strerror(-e));
		warp_collector_stop(r);
		warp_page_close(r);
		free(r);
		return NULL;
	}
	if (warp_rate_start(r)) {
		snprintf(err, size, "cannot start the rate sampler");
		warp_threads_join(r);
		warp_collector_stop(r);
		warp_page_close(r);
		free(r);
		return NULL;
	}
	return r;
}

double warp_now(struct warp_run *r)
{
	int cpu;

	return warp_at(r, warp_tsc(&cpu));
}

bool warp_rate_ready(struct warp_run *r)
{
	return atomic_load(&r->rate_ready);
}

/* Seconds of CLOCK_MONOTONIC_RAW since @t0. */
static double warp_raw_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC_RAW, &t);
	return (double)(t.tv_sec - t0->tv_sec) +
	       (double)(t.tv_nsec - t0->tv_nsec) * 1e-9;
}

static volatile sig_atomic_t warp_ending;

void warp_end_early(void)
{
	warp_ending = 1;
}

void warp_finish(struct warp_run *r, struct warp_result *res)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	double tsum = 0, csum = 0;
	int c, k, i;

	/*
	 * By the TSC: a fault may move the kernel's clocks (by 10 s at
	 * most). And by CLOCK_MONOTONIC_RAW at twice the duration and 10 s
	 * more: under nested KVM on TCG an L2's TSC was seen to run at a
	 * fraction of its rate against every clock, which made a 100 s run
	 * last many minutes.
	 */
	while (warp_now(r) < r->o.duration_s && !warp_ending &&
	       warp_raw_since(&r->raw0) < 2 * r->o.duration_s + 10)
		nanosleep(&ts, NULL);
	warp_threads_join(r);
	warp_rate_stop(r);
	warp_collector_stop(r);

	memset(res, 0, sizeof(*res));
	res->clocks = r->clocks;
	memcpy(res->skip_why, r->skip_why, sizeof(res->skip_why));
	res->ncpus = r->ncpus;
	res->nthreads = r->nthreads;
	res->npinned = r->npinned;
	res->duration_s = warp_now(r);
	res->tsc_ghz = 1.0 / r->nspc;
	res->cal_unc_ppm = r->cal_unc_ppm;
	res->coarse_res_ns = res_of(WC_COARSE, 0);
	res->rdtscp = warp_have_rdtscp;
	res->page_format = !r->page ? NULL :
			   r->format == TSCPAGE_FORMAT_PVCLOCK ? "pvclock" :
								  "hvref";
	memcpy(res->bare_rate, r->bare_rate, sizeof(res->bare_rate));
	res->bare_mix_rate = r->bare_mix_rate;
	res->events = r->events;
	res->realtime_set = atomic_load(&r->realtime_set);
	res->realtime_set_at = r->realtime_set_at;
	for (c = 0; c < WC_N; c++)
		for (k = 0; k < WK_N; k++)
			warp_stat_init(&res->st[c][k]);
	warp_stat_init(&res->unrun);
	res->thread_rate_min = -1;
	for (i = 0; i < r->nthreads; i++) {
		struct warp_thread *t = &r->t[i];
		double rate = t->wall_s > 0 ? t->iters / t->wall_s : 0;

		for (c = 0; c < WC_N; c++) {
			for (k = 0; k < WK_N; k++)
				warp_stat_merge(&res->st[c][k], &t->st[c][k]);
			res->reads[c] += t->reads[c];
		}
		warp_stat_merge(&res->unrun, &t->unrun);
		res->page_failures += t->page_fail;
		res->iterations += t->iters;
		res->events_dropped += t->dropped;
		res->migrations += t->migrations;
		for (k = 0; k < WARP_HIST_BUCKETS; k++)
			res->hist[k] += t->hist[k];
		if (res->thread_rate_min < 0 || rate < res->thread_rate_min)
			res->thread_rate_min = rate;
		tsum += rate;
		csum += t->cpu_s > 0 ? t->iters / t->cpu_s : 0;
	}
	res->thread_rate_avg = tsum / r->nthreads;
	res->thread_cpu_rate_avg = csum / r->nthreads;
	for (c = 0; c < WC_N; c++) {
		warp_stat_merge(&res->st[c][WK_RATE], &r->rate_st[c]);
		for (k = 0; k < WK_N; k++)
			if (k != WK_RATE)
				res->st[c][k].evaluated = res->reads[c];
	}
	warp_page_close(r);
	free(r->t);
	free(r);
}
