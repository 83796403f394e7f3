// SPDX-License-Identifier: GPL-2.0
/*
 * tscpage-watch: events between consecutive readings.
 *
 * The page is polled every few milliseconds (main.c) so that short-lived
 * states (GUEST_STOPPED, which the guest kernel clears again, a page left
 * invalid for a moment) and steps are seen close to when they happen.
 *
 * Sequence changes: a pvclock writer adds 2 per update, so the number of
 * updates between two readings is exact, missed ones included; a Hyper-V
 * sequence is only required to differ, so each observed change counts one.
 *
 * Steps: the offset page - MONOTONIC_RAW of two consecutive polls, each
 * known to within half its bracket. A change larger than the threshold
 * plus both half-brackets is a step. A steady rate difference between the
 * two clocks also moves the offset, by r ppm * the poll period: 10 ns at
 * 1 ppm over 10 ms, far below the default threshold of 1000 ns.
 */
#include <stdlib.h>
#include <string.h>

#include "track.h"

void watch_track_init(struct watch_track *t, __u64 step_ns,
		      watch_event_fn emit, void *ctx)
{
	memset(t, 0, sizeof(*t));
	t->step_ns = step_ns;
	t->emit = emit;
	t->ctx = ctx;
}

static void emit(struct watch_track *t, struct watch_event *ev, __s64 raw_ns)
{
	ev->t_ns = raw_ns - t->start_raw;
	t->events++;
	t->emit(ev, t->ctx);
}

static __s64 offset_of(const struct watch_sample *s)
{
	return (__s64)s->page_ns - s->raw_ns;
}

static unsigned long seq_changes(const struct watch_sample *a,
				 const struct watch_sample *b)
{
	__u32 d = watch_sample_seq(b) - watch_sample_seq(a);

	if (a->format == TSCPAGE_FORMAT_PVCLOCK)
		return (d + 1) / 2;
	return d != 0;
}

static void compare(struct watch_track *t, const struct watch_sample *a,
		    const struct watch_sample *b)
{
	struct watch_event ev;
	__s64 step;
	__u64 bound;

	if (!watch_sample_same_scale(a, b)) {
		memset(&ev, 0, sizeof(ev));
		ev.kind = WATCH_EV_FREQUENCY;
		ev.old_khz = watch_sample_khz(a);
		ev.new_khz = watch_sample_khz(b);
		emit(t, &ev, b->raw_ns);
	} else if (b->format == TSCPAGE_FORMAT_HVREF &&
		   a->hv.tsc_offset != b->hv.tsc_offset) {
		memset(&ev, 0, sizeof(ev));
		ev.kind = WATCH_EV_OFFSET;
		ev.old_offset = a->hv.tsc_offset;
		ev.new_offset = b->hv.tsc_offset;
		emit(t, &ev, b->raw_ns);
	}
	if (b->format == TSCPAGE_FORMAT_PVCLOCK &&
	    (a->pv.flags ^ b->pv.flags) & TSCPAGE_PVCLOCK_TSC_STABLE) {
		memset(&ev, 0, sizeof(ev));
		ev.kind = WATCH_EV_FLAGS;
		ev.old_flags = a->pv.flags;
		ev.new_flags = b->pv.flags;
		emit(t, &ev, b->raw_ns);
	}

	step = offset_of(b) - offset_of(a);
	bound = t->step_ns + a->bracket_ns / 2 + b->bracket_ns / 2;
	if ((__u64)llabs(step) > bound) {
		memset(&ev, 0, sizeof(ev));
		ev.kind = WATCH_EV_STEP;
		ev.step_ns = step;
		ev.bound_ns = a->bracket_ns / 2 + b->bracket_ns / 2;
		emit(t, &ev, b->raw_ns);
	}
}

void watch_track_feed(struct watch_track *t, const struct watch_sample *s)
{
	struct watch_event ev;
	unsigned long n;

	if (!t->start_raw)
		t->start_raw = s->raw_ns;
	if (s->bracket_ns > t->max_bracket_ns)
		t->max_bracket_ns = s->bracket_ns;

	if (s->err) {
		t->failures++;
		if (!t->invalid) {
			memset(&ev, 0, sizeof(ev));
			ev.kind = WATCH_EV_INVALID;
			ev.err = s->err;
			emit(t, &ev, s->raw_ns);
		}
		t->invalid = true;
		return;
	}
	if (t->invalid) {
		memset(&ev, 0, sizeof(ev));
		ev.kind = WATCH_EV_VALID;
		emit(t, &ev, s->raw_ns);
		t->invalid = false;
	}
	if (s->format == TSCPAGE_FORMAT_PVCLOCK &&
	    s->pv.flags & TSCPAGE_PVCLOCK_GUEST_STOPPED &&
	    (!t->have_prev ||
	     !(t->prev.pv.flags & TSCPAGE_PVCLOCK_GUEST_STOPPED))) {
		memset(&ev, 0, sizeof(ev));
		ev.kind = WATCH_EV_STOPPED;
		emit(t, &ev, s->raw_ns);
	}
	if (!t->have_base) {
		t->base_raw = s->raw_ns;
		t->base_offset = offset_of(s);
		t->have_base = true;
	}
	if (t->have_prev) {
		n = seq_changes(&t->prev, s);
		t->changes_line += n;
		t->changes += n;
		compare(t, &t->prev, s);
	}
	t->prev = *s;
	t->have_prev = true;
}

void watch_track_generation(struct watch_track *t, __s64 raw_ns, __u64 gen)
{
	struct watch_event ev;

	if (t->have_gen && gen != t->gen) {
		memset(&ev, 0, sizeof(ev));
		ev.kind = WATCH_EV_GENERATION;
		ev.old_gen = t->gen;
		ev.new_gen = gen;
		emit(t, &ev, raw_ns);
	}
	t->gen = gen;
	t->have_gen = true;
}

__s64 watch_track_drift_ns(const struct watch_track *t,
			   const struct watch_sample *s)
{
	return offset_of(s) - t->base_offset;
}

double watch_track_drift_ppm(const struct watch_track *t,
			     const struct watch_sample *s)
{
	__s64 elapsed = s->raw_ns - t->base_raw;

	if (elapsed <= 0)
		return 0;
	return (double)watch_track_drift_ns(t, s) * 1e6 / (double)elapsed;
}
