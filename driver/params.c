// SPDX-License-Identifier: GPL-2.0
/*
 * What a set of page parameters means: the rate it implies, whether a
 * TSC could have it, the time it gives at a TSC value. Used off the hot
 * path: by the clocksource only when the page's parameters change, and
 * by reenlighten.c. Any context; no locks. What the clocksource read calls
 * (tscpage_params_sane()) is notrace: the read runs in NMI and under the
 * tracers themselves.
 */
#include <linux/math64.h>
#include <linux/time64.h>
#include <asm/tsc.h>
#include <tscpage/reader.h>

#include "tscpage.h"

/*
 * The TSCs a page may describe: 1 MHz to 100 GHz, so a cycle is 0.01 to
 * 1000 ns. Outside that a page is wrong, not merely unusual, and using it
 * would be worse than falling back.
 */
#define TSCPAGE_KHZ_MIN		1000ULL
#define TSCPAGE_KHZ_MAX		100000000ULL

/*
 * pvclock: ns per cycle is mul * 2^shift / 2^32. Shifts within +-16 cover
 * every rate above normalised (mul in [2^31, 2^32): shifts -7 to +10) with
 * room, and keep the shifted delta from overflowing before 2^48 cycles
 * (a day at 3 GHz) since the last rewrite.
 */
#define TSCPAGE_SHIFT_SANE	16
#define TSCPAGE_PV_RATE_MIN	((1ULL << 32) / 100)			/* 0.01 ns */
#define TSCPAGE_PV_RATE_MAX	(1000ULL << 32)				/* 1000 ns */
/* hvref: 100 ns per cycle is scale / 2^64; at least 0.01 ns per cycle. */
#define TSCPAGE_HV_SCALE_MIN	(U64_MAX / 10000)

/* mul * 2^shift, the pvclock page's ns per cycle times 2^32. */
static __always_inline u64 tscpage_pvclock_rate(const struct tscpage_pvclock *p)
{
	if (p->tsc_shift >= 0)
		return (u64)p->tsc_to_system_mul << p->tsc_shift;
	return (u64)p->tsc_to_system_mul >> -p->tsc_shift;
}

bool notrace tscpage_params_sane(enum tscpage_format format,
				 const union tscpage_params *p)
{
	u64 rate;

	if (format == TSCPAGE_FORMAT_HVREF)
		return p->hvref.tsc_scale >= TSCPAGE_HV_SCALE_MIN;
	if (!tscpage_pvclock_params_valid(&p->pvclock) ||
	    p->pvclock.tsc_shift > TSCPAGE_SHIFT_SANE ||
	    p->pvclock.tsc_shift < -TSCPAGE_SHIFT_SANE)
		return false;
	rate = tscpage_pvclock_rate(&p->pvclock);
	return rate >= TSCPAGE_PV_RATE_MIN && rate <= TSCPAGE_PV_RATE_MAX;
}

/* The TSC frequency @p implies, in kHz; 0 for parameters not sane. */
u32 tscpage_params_khz(enum tscpage_format format,
		       const union tscpage_params *p)
{
	if (!tscpage_params_sane(format, p))
		return 0;
	/* kHz = 10^4 * 2^64 / scale, at most 10^8 for a sane scale. */
	if (format == TSCPAGE_FORMAT_HVREF)
		return mul_u64_u64_div_u64(1ULL << 63, 20000,
					   p->hvref.tsc_scale);
	/* kHz = 10^6 * 2^32 / rate, rate at least 2^32 / 100. */
	return div64_u64(USEC_PER_SEC << 32, tscpage_pvclock_rate(&p->pvclock));
}

/*
 * The time @p gives at @tsc, also for a @tsc before a pvclock page's
 * tsc_timestamp (reenlighten.c compares parameters at an earlier TSC).
 */
u64 tscpage_params_ns(enum tscpage_format format,
		      const union tscpage_params *p, u64 tsc)
{
	const struct tscpage_pvclock *pv = &p->pvclock;

	if (format == TSCPAGE_FORMAT_HVREF)
		return tscpage_hvref_ns(&p->hvref, tsc);
	if (tsc >= pv->tsc_timestamp)
		return tscpage_pvclock_ns(pv, tsc);
	return pv->system_time -
	       tscpage_pvclock_scale(pv->tsc_timestamp - tsc,
				     pv->tsc_to_system_mul, pv->tsc_shift);
}

/*
 * One consistent, sane copy of the page and the TSC read with it, from
 * process context: -EAGAIN (stuck mid-update), -ENODATA (Hyper-V
 * sequence 0) or -EINVAL (parameters no TSC could have) otherwise.
 */
int tscpage_params_sample(enum tscpage_format format, const void *page,
			  union tscpage_params *p, u64 *tsc)
{
	struct tscpage_pvclock_sample pv;
	struct tscpage_hvref_sample hv;
	int err;

	if (format == TSCPAGE_FORMAT_HVREF) {
		err = tscpage_hvref_sample(page, TSCPAGE_MAX_RETRIES, &hv);
		p->hvref = hv.params;
		*tsc = hv.tsc;
	} else {
		err = tscpage_pvclock_sample(page, TSCPAGE_MAX_RETRIES, &pv);
		p->pvclock = pv.params;
		*tsc = pv.tsc;
	}
	if (!err && !tscpage_params_sane(format, p))
		err = -EINVAL;
	return err;
}
