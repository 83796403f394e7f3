// SPDX-License-Identifier: GPL-2.0
/*
 * tscpage-watch: one bracketed reading of the page, through the shared
 * reader (include/tscpage/reader.h).
 *
 * The kernel maps a vDSO time page only while a vDSO clock mode reads it,
 * and a load from it otherwise raises SIGBUS: the clocksource can change
 * while we watch. A program (unlike libtscpage) may handle that signal, so
 * a read that faults comes back here through siglongjmp() and is reported
 * as -EFAULT instead of killing the watcher.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include <tscpage/reader.h>

#include "sample.h"

/* Brackets per sample; the narrowest wins. */
#define WATCH_BRACKETS		3
/* Failed attempts the reader may throw away before it gives up. */
#define WATCH_MAX_RETRIES	1000

static sigjmp_buf fault_jmp;
static volatile sig_atomic_t fault_armed;

static void on_sigbus(int sig)
{
	if (!fault_armed) {
		signal(sig, SIG_DFL);
		raise(sig);
		return;
	}
	siglongjmp(fault_jmp, 1);
}

int watch_sample_init(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigbus;
	sigemptyset(&sa.sa_mask);
	return sigaction(SIGBUS, &sa, NULL);
}

static __s64 raw_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
	return (__s64)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* One bracket. Returns the reader's verdict, or -EFAULT on SIGBUS. */
static int bracket(const struct watch_source *src, struct watch_sample *s)
{
	struct tscpage_pvclock_sample pv;
	struct tscpage_hvref_sample hv;
	__s64 t0, t1;
	int err;

	memset(&pv, 0, sizeof(pv));
	memset(&hv, 0, sizeof(hv));
	if (sigsetjmp(fault_jmp, 1)) {
		fault_armed = 0;
		s->raw_ns = raw_now();
		s->bracket_ns = 0;
		return -EFAULT;
	}
	fault_armed = 1;
	t0 = raw_now();
	if (src->format == TSCPAGE_FORMAT_PVCLOCK) {
		err = tscpage_pvclock_sample(src->page, WATCH_MAX_RETRIES, &pv);
		t1 = raw_now();
		s->pv = pv.params;
		s->retries = pv.retries;
		if (!err)
			s->page_ns = tscpage_pvclock_ns(&pv.params, pv.tsc);
	} else {
		err = tscpage_hvref_sample(src->page, WATCH_MAX_RETRIES, &hv);
		t1 = raw_now();
		s->hv = hv.params;
		s->retries = hv.retries;
		if (!err)
			s->page_ns = tscpage_hvref_ns(&hv.params, hv.tsc);
	}
	fault_armed = 0;
	s->raw_ns = t0 + (t1 - t0) / 2;
	s->bracket_ns = (__u64)(t1 - t0);
	return err;
}

void watch_sample_take(const struct watch_source *src, struct watch_sample *s)
{
	struct watch_sample best, cur;
	int i;

	memset(&best, 0, sizeof(best));
	for (i = 0; i < WATCH_BRACKETS; i++) {
		memset(&cur, 0, sizeof(cur));
		cur.format = src->format;
		cur.err = bracket(src, &cur);
		if (i == 0 || (!cur.err && (best.err ||
					    cur.bracket_ns < best.bracket_ns)))
			best = cur;
		if (cur.err == -EFAULT)
			break;
	}
	*s = best;
}

__u32 watch_sample_seq(const struct watch_sample *s)
{
	return s->format == TSCPAGE_FORMAT_PVCLOCK ? s->pv.version :
						     s->hv.tsc_sequence;
}

/*
 * pvclock: ns per cycle = mul * 2^shift / 2^32, so
 *   kHz = 1e6 * 2^(32 - shift) / mul,
 * ldexp() taking either sign of the shift.
 * Hyper-V: 100 ns units per cycle = scale / 2^64, so
 *   kHz = 1e7 * 2^64 / scale / 1000.
 */
double watch_sample_khz(const struct watch_sample *s)
{
	if (s->format == TSCPAGE_FORMAT_PVCLOCK) {
		if (!s->pv.tsc_to_system_mul)
			return 0;
		return 1e6 * ldexp(1.0, 32 - s->pv.tsc_shift) /
		       s->pv.tsc_to_system_mul;
	}
	if (!s->hv.tsc_scale)
		return 0;
	return 1e4 * ldexp(1.0, 64) / (double)s->hv.tsc_scale;
}

bool watch_sample_same_scale(const struct watch_sample *a,
			     const struct watch_sample *b)
{
	if (a->format == TSCPAGE_FORMAT_PVCLOCK)
		return a->pv.tsc_to_system_mul == b->pv.tsc_to_system_mul &&
		       a->pv.tsc_shift == b->pv.tsc_shift;
	return a->hv.tsc_scale == b->hv.tsc_scale;
}

const char *watch_sample_strerror(int err)
{
	switch (err) {
	case 0:
		return "ok";
	case -EAGAIN:
		return "stuck mid-update (odd or changing sequence)";
	case -ENODATA:
		return "marked invalid (sequence 0)";
	case -EINVAL:
		return "unusable parameters";
	case -EFAULT:
		return "unmapped by the kernel (SIGBUS)";
	}
	return "unknown error";
}
