/* SPDX-License-Identifier: GPL-2.0 */
/* tscpage-watch: one bracketed reading of the page. */
#ifndef _TSCPAGE_WATCH_SAMPLE_H
#define _TSCPAGE_WATCH_SAMPLE_H

#include <stdbool.h>
#include <linux/tscpage.h>

#include "source.h"

struct watch_sample {
	/*
	 * 0, or why the page gave no time: -EAGAIN (stuck mid-update),
	 * -ENODATA (Hyper-V sequence 0), -EINVAL (unusable parameters),
	 * -EFAULT (the kernel unmapped the page: SIGBUS).
	 */
	int err;
	enum tscpage_format format;
	union {
		struct tscpage_pvclock pv;	/* params, version included */
		struct tscpage_hvref hv;	/* params, sequence included */
	};
	unsigned int retries;
	__u64 page_ns;		/* page time; valid when !err */
	__s64 raw_ns;		/* CLOCK_MONOTONIC_RAW, bracket midpoint */
	__u64 bracket_ns;	/* width of the bracket */
};

/* Install the SIGBUS guard; call once before the first sample. */
int watch_sample_init(void);

/*
 * Read @src's page between two CLOCK_MONOTONIC_RAW reads, keeping the
 * narrowest of a few brackets.
 */
void watch_sample_take(const struct watch_source *src, struct watch_sample *s);

/* The sequence (pvclock version, Hyper-V tsc_sequence). */
__u32 watch_sample_seq(const struct watch_sample *s);

/* The TSC frequency the parameters imply, in kHz. */
double watch_sample_khz(const struct watch_sample *s);

/* Same TSC-to-time scaling (pvclock mul and shift, Hyper-V scale). */
bool watch_sample_same_scale(const struct watch_sample *a,
			     const struct watch_sample *b);

const char *watch_sample_strerror(int err);

#endif /* _TSCPAGE_WATCH_SAMPLE_H */
