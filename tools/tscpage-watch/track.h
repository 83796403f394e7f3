/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tscpage-watch: what changed between two readings of the page, and the
 * drift of its time against CLOCK_MONOTONIC_RAW since the start.
 */
#ifndef _TSCPAGE_WATCH_TRACK_H
#define _TSCPAGE_WATCH_TRACK_H

#include <stdbool.h>
#include <linux/types.h>

#include "sample.h"

enum watch_event_kind {
	WATCH_EV_FREQUENCY,	/* mul/shift or scale changed */
	WATCH_EV_OFFSET,	/* Hyper-V tsc_offset changed, scale did not */
	WATCH_EV_FLAGS,		/* pvclock TSC_STABLE changed */
	WATCH_EV_STOPPED,	/* pvclock GUEST_STOPPED became set */
	WATCH_EV_INVALID,	/* the page stopped giving time */
	WATCH_EV_VALID,		/* ... and gives it again */
	WATCH_EV_STEP,		/* page time stepped against MONOTONIC_RAW */
	WATCH_EV_GENERATION,	/* /dev/tscpage generation grew */
};

struct watch_event {
	enum watch_event_kind kind;
	__s64 t_ns;			/* since the start, MONOTONIC_RAW */
	double old_khz, new_khz;	/* FREQUENCY */
	__s64 old_offset, new_offset;	/* OFFSET */
	unsigned int old_flags, new_flags; /* FLAGS */
	int err;			/* INVALID */
	__s64 step_ns;			/* STEP */
	__u64 bound_ns;			/* STEP: bracket uncertainty */
	__u64 old_gen, new_gen;		/* GENERATION */
};

typedef void (*watch_event_fn)(const struct watch_event *ev, void *ctx);

struct watch_track {
	__u64 step_ns;			/* threshold */
	watch_event_fn emit;
	void *ctx;

	__s64 start_raw;		/* MONOTONIC_RAW at the first sample */
	bool have_base;			/* base_* are set */
	__s64 base_raw;			/* MONOTONIC_RAW at the first valid one */
	__s64 base_offset;		/* page - raw at the first valid one */

	bool have_prev;			/* prev is a valid sample */
	struct watch_sample prev;	/* the last valid sample */
	bool invalid;			/* the last sample failed */
	bool have_gen;
	__u64 gen;

	/* counters */
	unsigned long changes_line;	/* sequence changes since last line */
	unsigned long changes;		/* ... since the start */
	unsigned long events;
	unsigned long failures;		/* samples that gave no time */
	__u64 max_bracket_ns;
};

void watch_track_init(struct watch_track *t, __u64 step_ns,
		      watch_event_fn emit, void *ctx);

/* Take in one sample (a poll or a line), emitting events it shows. */
void watch_track_feed(struct watch_track *t, const struct watch_sample *s);

/* Take in the device's generation (device source only). */
void watch_track_generation(struct watch_track *t, __s64 raw_ns, __u64 gen);

/* Drift of @s (valid) since the start, in ns; and over elapsed, in ppm. */
__s64 watch_track_drift_ns(const struct watch_track *t,
			   const struct watch_sample *s);
double watch_track_drift_ppm(const struct watch_track *t,
			     const struct watch_sample *s);

#endif /* _TSCPAGE_WATCH_TRACK_H */
