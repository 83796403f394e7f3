// SPDX-License-Identifier: GPL-2.0
/*
 * clock_warp's rate check: one sampler thread (not a hot one: it sleeps
 * between samples) takes, every --rate-slide-ms, a reading of each clock
 * with a narrow TSC bracket around it, and measures each clock's rate
 * against the TSC over a sliding window of --rate-window-ms.
 *
 * The TSC's rate is calibrated against CLOCK_MONOTONIC_RAW over the first
 * window; from then on a window's rate, in ppm, is compared with what the
 * clock should do: 0 for CLOCK_MONOTONIC_RAW and the page, and for the
 * clocks NTP steers (MONOTONIC, COARSE, BOOTTIME, REALTIME) the frequency
 * the kernel reports through adjtimex(), as the kernel's raw_skew selftest
 * nets it out: freq / 2^16 ppm plus the tick length's offset from nominal,
 * the range of both over the window; plus, while a phase offset is being
 * slewed, the most the kernel's PLL slews it per second (offset /
 * 2^(SHIFT_PLL + time constant)), and 500 ppm while an adjtime() is in
 * progress. A legitimate slew so never fails; anything else beyond
 * --max-ppm plus the window's measurement uncertainty (the brackets over
 * the window, and the calibration's) does. A window too noisy to tell
 * 50 ppm from nothing (uncertainty above --max-ppm) is counted, not judged.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timex.h>
#include <unistd.h>

#include "warp_int.h"

struct rsample {
	uint64_t tsc[WC_N];		/* bracket middles */
	uint64_t v[WC_N];
	double hw_ns[WC_N];		/* half bracket */
	bool ok[WC_N];
	double ntp_ppm, slew_ppm;
	uint64_t at_tsc;
};

struct warp_rate_state {
	struct rsample *s;
	int n, cap, win;
	unsigned int clocks;		/* sampled: the read ones but the TSC, and raw */
};

/* The narrowest bracket of 8 tries. */
static bool sample_plain(struct warp_run *r, int c, struct rsample *s)
{
	uint64_t v, lo, hi, best = UINT64_MAX;
	int i;

	for (i = 0; i < 8; i++) {
		if (warp_read_bracketed(r, c, &v, &lo, &hi))
			continue;
		if (hi - lo < best) {
			best = hi - lo;
			s->tsc[c] = lo + (hi - lo) / 2;
			s->v[c] = v;
			s->hw_ns[c] = (hi - lo) / 2 * r->nspc;
		}
	}
	return best != UINT64_MAX;
}

static void ntp_sample(struct rsample *s)
{
	struct timex tx = { .modes = 0 };
	long hz = sysconf(_SC_CLK_TCK);
	double nominal, off_ns;
	int tc;

	s->ntp_ppm = 0;
	s->slew_ppm = 0;
	if (adjtimex(&tx) < 0)
		return;
	nominal = 1e6 / (hz > 0 ? hz : 100);
	s->ntp_ppm = tx.freq / 65536.0 + (tx.tick - nominal) / nominal * 1e6;
	if (tx.offset) {
		off_ns = fabs((double)tx.offset) * (tx.status & STA_NANO ? 1 : 1000);
		tc = tx.constant + (tx.status & STA_NANO ? 0 : 4);
		tc = tc < 0 ? 0 : tc > 10 ? 10 : tc;
		s->slew_ppm = off_ns / (double)(1 << (2 + tc)) / 1e3;
	}
	/* An adjtime() in progress slews at 500 ppm. */
	tx.modes = ADJ_OFFSET_SS_READ;
	if (adjtimex(&tx) >= 0 && tx.offset && s->slew_ppm < 500)
		s->slew_ppm = 500;
}

static bool ntp_steered(int c)
{
	return c == WC_MONO || c == WC_COARSE || c == WC_BOOT || c == WC_REAL;
}

static void rate_fire(struct warp_run *r, int c, double dev, double meas,
		      double expected, double at, uint64_t a, uint64_t b)
{
	struct warp_event *e;

	warp_stat_fire(&r->rate_st[c], dev, -1, -1, at);
	if (r->rate_per[c] >= WARP_POOL_PER || r->rate_pool_used >= WARP_POOL)
		return;
	r->rate_per[c]++;
	e = &r->rate_pool[r->rate_pool_used++];
	e->clock = c;
	e->check = WK_RATE;
	e->thread = -1;
	e->cpu = e->other = -1;
	e->at = at;
	e->size = meas;
	e->a = a;
	e->b = b;
	e->c = expected;
	warp_event_push(r, e);
}

/* The windows that end at sample @k. */
static void evaluate(struct warp_run *r, struct warp_rate_state *rs, int k)
{
	struct rsample *sk = &rs->s[k], *sj;
	int j = k - rs->win, c, i;

	if (j < 0)
		return;
	sj = &rs->s[j];
	if (k == rs->win) {
		if (!sj->ok[WC_RAW] || !sk->ok[WC_RAW]) {
			rs->win++;	/* try a sample later */
			return;
		}
		r->rate_nspc = (double)(sk->v[WC_RAW] - sj->v[WC_RAW]) /
			       (double)(sk->tsc[WC_RAW] - sj->tsc[WC_RAW]);
		r->cal_unc_ppm = (sj->hw_ns[WC_RAW] + sk->hw_ns[WC_RAW]) /
				 ((double)(sk->v[WC_RAW] - sj->v[WC_RAW])) * 1e6;
		atomic_store(&r->rate_ready, true);
	}
	for (c = 0; c < WC_N; c++) {
		double dt, meas, lo, hi, slew = 0, unc, dev, at;

		if (!(rs->clocks & (1u << c)) || !(r->clocks & (1u << c)))
			continue;
		if (!sj->ok[c] || !sk->ok[c]) {
			r->rate_st[c].unevaluated++;
			continue;
		}
		dt = (double)(sk->tsc[c] - sj->tsc[c]) * r->rate_nspc;
		meas = ((double)(int64_t)(sk->v[c] - sj->v[c]) / dt - 1) * 1e6;
		lo = hi = 0;
		if (ntp_steered(c)) {
			lo = hi = sj->ntp_ppm;
			for (i = j; i <= k; i++) {
				lo = fmin(lo, rs->s[i].ntp_ppm);
				hi = fmax(hi, rs->s[i].ntp_ppm);
				slew = fmax(slew, rs->s[i].slew_ppm);
			}
		}
		lo -= slew;
		hi += slew;
		unc = (sj->hw_ns[c] + sk->hw_ns[c]) / dt * 1e6 + r->cal_unc_ppm;
		if (unc > r->o.max_ppm) {
			r->rate_st[c].unevaluated++;
			continue;
		}
		r->rate_st[c].evaluated++;
		dev = meas < lo ? meas - lo : meas > hi ? meas - hi : 0;
		at = warp_at(r, sk->at_tsc);
		warp_stat_peak(&r->rate_st[c], fabs(dev), -1, at);
		if (fabs(dev) > r->o.max_ppm + unc)
			rate_fire(r, c, dev, meas, (lo + hi) / 2, at,
				  sj->at_tsc, sk->at_tsc);
	}
}

static void *sampler_fn(void *arg)
{
	struct warp_run *r = arg;
	struct warp_rate_state *rs = r->rs;
	struct timespec ts;
	int c, cpu;

	ts.tv_sec = (time_t)(r->o.slide_ms / 1000);
	ts.tv_nsec = (long)(fmod(r->o.slide_ms, 1000) * 1e6);
	while (!atomic_load(&r->stop) && rs->n < rs->cap) {
		struct rsample *s = &rs->s[rs->n];

		memset(s, 0, sizeof(*s));
		s->at_tsc = warp_tsc(&cpu);
		ntp_sample(s);
		for (c = 0; c < WC_N; c++) {
			if (!(rs->clocks & (1u << c)))
				continue;
			s->ok[c] = sample_plain(r, c, s);
		}
		evaluate(r, rs, rs->n);
		rs->n++;
		nanosleep(&ts, NULL);
	}
	return NULL;
}

int warp_rate_start(struct warp_run *r)
{
	struct warp_rate_state *rs = calloc(1, sizeof(*rs));

	if (!rs)
		return -ENOMEM;
	rs->win = (int)lround(r->o.window_ms / r->o.slide_ms);
	if (rs->win < 1)
		rs->win = 1;
	rs->cap = (int)(r->o.duration_s * 1000 / r->o.slide_ms) + 16;
	rs->s = calloc(rs->cap, sizeof(*rs->s));
	if (!rs->s) {
		free(rs);
		return -ENOMEM;
	}
	/*
	 * Not the TSC (the reference) nor CLOCK_MONOTONIC_COARSE: its value
	 * is the timekeeper's last whole tick interval, which lags the tick's
	 * own time by the tick's latency (up to hundreds of us measured in a
	 * KVM guest), some 100 ppm of noise over a 1 s window even read at
	 * its edges; CLOCK_MONOTONIC's rate, the same timekeeper's, stands
	 * for it.
	 */
	rs->clocks = (r->clocks & ~(1u << WC_TSC | 1u << WC_COARSE)) |
		     (1u << WC_RAW);
	r->rs = rs;
	if (pthread_create(&r->sampler, NULL, sampler_fn, r)) {
		free(rs->s);
		free(rs);
		r->rs = NULL;
		return -EAGAIN;
	}
	return 0;
}

void warp_rate_stop(struct warp_run *r)
{
	if (!r->rs)
		return;
	atomic_store(&r->stop, true);
	pthread_join(r->sampler, NULL);
	free(r->rs->s);
	free(r->rs);
	r->rs = NULL;
}
