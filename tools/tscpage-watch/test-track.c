// SPDX-License-Identifier: GPL-2.0
/*
 * test-track - the event logic of tscpage-watch on a page it controls: a
 * copy of this machine's kvmclock page (so its time is the real one) that
 * the test then rewrites as a migration would. Prints one diagnostic line
 * per failed check; exit 0 all passed, 1 a check failed, 4 no kvmclock
 * page to copy (skip).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sample.h"
#include "track.h"
#include "vvar.h"

#define MAX_EVENTS	16

static struct watch_event events[MAX_EVENTS];
static int nevents;
static int failures;

static void record(const struct watch_event *ev, void *ctx)
{
	(void)ctx;
	if (nevents < MAX_EVENTS)
		events[nevents++] = *ev;
}

static void check(bool ok, const char *what)
{
	if (!ok) {
		printf("FAIL: %s\n", what);
		failures++;
	}
}

/* Feed one sample of @src; true if exactly one event of @kind came. */
static bool feed_expect(struct watch_track *t, const struct watch_source *src,
			int kind, struct watch_sample *s)
{
	nevents = 0;
	watch_sample_take(src, s);
	watch_track_feed(t, s);
	if (kind < 0)
		return nevents == 0;
	return nevents == 1 && (int)events[0].kind == kind;
}

/* Publish a new set of fields as the hypervisor does: odd, write, even. */
static void update(struct tscpage_pvclock *p, __u32 mul, __u64 add_ns,
		   __u8 flags)
{
	p->version++;
	__atomic_thread_fence(__ATOMIC_RELEASE);
	p->tsc_to_system_mul = mul;
	p->system_time += add_ns;
	p->flags = flags;
	__atomic_thread_fence(__ATOMIC_RELEASE);
	p->version++;
}

static void test_hvref_khz(void)
{
	struct watch_sample s = { .format = TSCPAGE_FORMAT_HVREF };

	/* 2096007 kHz: 100 ns units per cycle = 1e4 / 2096007. */
	s.hv.tsc_scale = (__u64)(1e4 * ldexp(1.0, 64) / 2096007.0);
	check(fabs(watch_sample_khz(&s) - 2096007.0) < 0.001,
	      "hvref kHz round trip");
}

static void test_pvclock_khz(void)
{
	struct watch_sample s = { .format = TSCPAGE_FORMAT_PVCLOCK };

	/* 1 GHz: 1 ns per cycle = 2^31 / 2^32 * 2^1. */
	s.pv.tsc_to_system_mul = 1U << 31;
	s.pv.tsc_shift = 1;
	check(fabs(watch_sample_khz(&s) - 1e6) < 0.000001, "pvclock kHz shift 1");
	/* 4 GHz: 0.25 ns per cycle = 2^31/2^32 * 2^-1. */
	s.pv.tsc_shift = -1;
	check(fabs(watch_sample_khz(&s) - 4e6) < 0.000001, "pvclock kHz shift -1");
	/* The widest right shift: 2^-64 ns per cycle, absurd but defined. */
	s.pv.tsc_to_system_mul = 1;
	s.pv.tsc_shift = -32;
	check(fabs(watch_sample_khz(&s) - 1e6 * ldexp(1.0, 64)) <
	      ldexp(1.0, 64), "pvclock kHz shift -32");
}

int main(void)
{
	static struct tscpage_pvclock page __attribute__((aligned(64)));
	struct watch_source src = { .name = "test", .fd = -1,
				    .format = TSCPAGE_FORMAT_PVCLOCK };
	enum tscpage_format format;
	const struct tscpage_pvclock *real;
	struct watch_sample s;
	struct watch_track t;
	__u32 mul;

	test_hvref_khz();
	test_pvclock_khz();

	real = tscpage_vvar_page(&format);
	if (!real || format != TSCPAGE_FORMAT_PVCLOCK) {
		printf("SKIP: no kvmclock page in the vDSO data to copy\n");
		return failures ? 1 : 4;
	}
	if (watch_sample_init())
		return 1;
	memcpy(&page, real, sizeof(page));
	page.version &= ~1U;
	page.flags = TSCPAGE_PVCLOCK_TSC_STABLE;
	mul = page.tsc_to_system_mul;
	src.page = &page;
	watch_track_init(&t, 1000, record, NULL);

	check(feed_expect(&t, &src, -1, &s) && !s.err, "first sample, no event");
	check(feed_expect(&t, &src, -1, &s), "unchanged page, no event");

	/*
	 * Frequency: 1/1000 more ns per cycle. The whole delta since
	 * tsc_timestamp is scaled anew, so the time steps too: only the
	 * first event, the frequency change, is checked here.
	 */
	update(&page, mul + mul / 1000, 0, TSCPAGE_PVCLOCK_TSC_STABLE);
	nevents = 0;
	watch_sample_take(&src, &s);
	watch_track_feed(&t, &s);
	check(nevents >= 1 && events[0].kind == WATCH_EV_FREQUENCY &&
	      events[0].new_khz < events[0].old_khz,
	      "mul change reported as FREQUENCY CHANGE, lower kHz");
	check(t.changes == 1, "one update counted");
	update(&page, mul, 0, TSCPAGE_PVCLOCK_TSC_STABLE);
	nevents = 0;
	watch_sample_take(&src, &s);
	watch_track_feed(&t, &s);

	/* Steps: +1 ms is one, +500 ns is not (threshold 1000 ns). */
	update(&page, mul, 1000000, TSCPAGE_PVCLOCK_TSC_STABLE);
	check(feed_expect(&t, &src, WATCH_EV_STEP, &s) &&
	      llabs(events[0].step_ns - 1000000) < 1000, "1 ms step reported");
	update(&page, mul, 500, TSCPAGE_PVCLOCK_TSC_STABLE);
	check(feed_expect(&t, &src, -1, &s), "500 ns is below the threshold");
	check(llabs(watch_track_drift_ns(&t, &s) - 1000500) < 1000,
	      "drift counts the steps");

	/* GUEST_STOPPED: once when set, not again while it stays set. */
	update(&page, mul, 0,
	       TSCPAGE_PVCLOCK_TSC_STABLE | TSCPAGE_PVCLOCK_GUEST_STOPPED);
	check(feed_expect(&t, &src, WATCH_EV_STOPPED, &s), "GUEST_STOPPED set");
	check(feed_expect(&t, &src, -1, &s), "GUEST_STOPPED still set: quiet");
	update(&page, mul, 0, 0);
	check(feed_expect(&t, &src, WATCH_EV_FLAGS, &s) &&
	      events[0].old_flags & TSCPAGE_PVCLOCK_TSC_STABLE &&
	      !(events[0].new_flags & TSCPAGE_PVCLOCK_TSC_STABLE),
	      "TSC_STABLE cleared");

	/* Stuck mid-update: invalid once, valid again when it ends. */
	page.version++;
	check(feed_expect(&t, &src, WATCH_EV_INVALID, &s) &&
	      s.err == -EAGAIN, "odd version: PAGE INVALID");
	check(feed_expect(&t, &src, -1, &s) && s.err == -EAGAIN,
	      "still odd: quiet");
	page.version++;
	check(feed_expect(&t, &src, WATCH_EV_VALID, &s) && !s.err,
	      "even again: PAGE VALID");
	/* Unusable parameters (mul 0) are invalid too. */
	update(&page, 0, 0, 0);
	check(feed_expect(&t, &src, WATCH_EV_INVALID, &s) && s.err == -EINVAL,
	      "mul 0: PAGE INVALID");

	return failures ? 1 : 0;
}
