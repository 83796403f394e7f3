/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one reader of hypervisor time pages, shared by tscpage.ko and by
 * userspace (libtscpage, the tests). It compiles unchanged in both; the
 * machine primitives come from arch.h.
 *
 * The shape follows the kernel's pvclock readers: sample the page inside a
 * version seqlock, then compute from the private copy. Unlike them, a read
 * never loops for ever: after @max_retries failed attempts it reports
 * -EAGAIN and the caller's fallback runs, and a page whose parameters would
 * make the arithmetic meaningless is reported as -EINVAL, never turned into
 * a time. A Hyper-V page the hypervisor has marked invalid (sequence 0) is
 * -ENODATA: the caller must use another clock.
 *
 * Both formats give nanoseconds to the caller; the Hyper-V page counts in
 * 100 ns units, multiplied by 100 here.
 */
#ifndef _TSCPAGE_READER_H
#define _TSCPAGE_READER_H

#include <tscpage/arch.h>
#include <linux/tscpage.h>

/*
 * One consistent copy of a pvclock page and the TSC read inside it. The
 * caller sees GUEST_STOPPED (and TSC_STABLE) in @params.flags.
 */
struct tscpage_pvclock_sample {
	struct tscpage_pvclock params;
	__u64 tsc;
	/* Attempts that had to be thrown away before this one. */
	unsigned int retries;
};

static inline bool
tscpage_pvclock_params_valid(const struct tscpage_pvclock *p)
{
	return p->tsc_to_system_mul != 0 &&
	       p->tsc_shift >= TSCPAGE_PVCLOCK_SHIFT_MIN &&
	       p->tsc_shift <= TSCPAGE_PVCLOCK_SHIFT_MAX;
}

/*
 * Cycles to nanoseconds, exact to the bit: the delta is shifted first and
 * then multiplied by the 32.32 fraction with a 96-bit intermediate, the
 * low 32 bits of which are dropped. The shift is within [-32, 32]
 * (checked by tscpage_pvclock_params_valid()), so both shifts are defined.
 */
static inline __u64 tscpage_pvclock_scale(__u64 delta, __u32 mul, __s8 shift)
{
	if (shift < 0)
		delta >>= -shift;
	else
		delta <<= shift;
	return tp_mul_u64_u32_shr32(delta, mul);
}

/*
 * tscpage_pvclock_scale() for a TSC @delta cycles before the anchor, with
 * every stage rounded up instead of down: system_time minus this is the
 * page's line rounded down, as system_time plus tscpage_pvclock_scale()
 * is after the anchor, so the two sides meet without a step and two
 * pages anchored a multiple of 2^(32 - shift) cycles apart still agree
 * to the nanosecond. The low 32 bits of the product are those of the
 * low 32 bits of the factors: no second wide multiply.
 */
static inline __u64 tscpage_pvclock_scale_up(__u64 delta, __u32 mul,
					     __s8 shift)
{
	if (shift < 0)
		delta = (delta >> -shift) +
			!!(delta & ((1ULL << -shift) - 1));
	else
		delta <<= shift;
	return tp_mul_u64_u32_shr32(delta, mul) +
	       ((__u32)((__u32)delta * mul) != 0);
}

/*
 * Nanoseconds at @tsc by the parameters in @p (a sample, not the page).
 *
 * The kernel's pvclock computes tsc - tsc_timestamp unsigned: each vCPU
 * reads its own page, anchored at a TSC value that vCPU has passed. We
 * read one page on every CPU (and the watch reads other CPUs' pages), so
 * a TSC a few cycles behind the anchor's is an ordinary input: the delta
 * is taken as signed, and a TSC behind the anchor gives a time behind
 * system_time. An unsigned delta would give about 2^64 cycles, centuries
 * ahead. A delta of 2^63 cycles or more (a century at 3 GHz) is no real
 * TSC's and reads as behind.
 */
static inline __u64 tscpage_pvclock_ns(const struct tscpage_pvclock *p, __u64 tsc)
{
	__u64 delta = tsc - p->tsc_timestamp;

	if (tp_likely((__s64)delta >= 0))
		return p->system_time +
		       tscpage_pvclock_scale(delta, p->tsc_to_system_mul,
					     p->tsc_shift);
	return p->system_time -
	       tscpage_pvclock_scale_up(-delta, p->tsc_to_system_mul,
					p->tsc_shift);
}

/*
 * Whether a sample that has failed @tries times (@tries >= 1) has spun
 * long enough: more than @max_cycles TSC cycles since its first failure,
 * whose TSC *@start keeps (0: no bound in cycles). Only failed attempts
 * read the TSC for this, so a healthy page costs nothing more. A bound in
 * cycles holds whatever a PAUSE costs (from a few cycles to over a
 * hundred, depending on the CPU), where a bound in attempts does not.
 */
static __always_inline bool tscpage_sample_spun(unsigned int tries,
						__u64 max_cycles,
						__u64 *start)
{
	__u64 now;

	if (!max_cycles)
		return false;
	now = tp_rdtsc_ordered();
	if (tries == 1) {
		*start = now;
		return false;
	}
	return now - *start > max_cycles;
}

/*
 * Take one consistent sample of the pvclock @page.
 *
 * Returns 0 with @s filled in; -EAGAIN when @max_retries + 1 attempts all
 * met an update in progress (odd version) or a version that changed under
 * the read, or when failed attempts went on for more than @max_cycles TSC
 * cycles (0: no such bound), @s->retries then counting them all; -EINVAL
 * when the sample is consistent but its parameters are unusable
 * (@s->params holds them, for the caller to report).
 */
static __always_inline int
tscpage_pvclock_sample_bounded(const struct tscpage_pvclock *page,
			       unsigned int max_retries, __u64 max_cycles,
			       struct tscpage_pvclock_sample *s)
{
	unsigned int tries;
	__u64 start = 0;
	__u32 version;

	for (tries = 0; tries <= max_retries; tries++) {
		if (tp_unlikely(tries) &&
		    tscpage_sample_spun(tries, max_cycles, &start))
			break;
		version = tp_load(page->version);
		/*
		 * Pairs with the writer's write barrier between its stores of
		 * the fields and its store of the even version: having seen
		 * that version, the loads below see the fields stored before
		 * it.
		 */
		tp_rmb();
		if (tp_unlikely(version & 1)) {
			tp_cpu_relax();
			continue;
		}
		s->params.tsc_timestamp = tp_load(page->tsc_timestamp);
		s->params.system_time = tp_load(page->system_time);
		s->params.tsc_to_system_mul = tp_load(page->tsc_to_system_mul);
		s->params.tsc_shift = tp_load(page->tsc_shift);
		s->params.flags = tp_load(page->flags);
		/*
		 * Inside the critical section, and ordered after the field
		 * loads, so the TSC value belongs to these parameters.
		 */
		s->tsc = tp_rdtsc_ordered();
		/*
		 * Pairs with the writer's write barrier between its store of
		 * the odd version and its stores of the fields: if a load
		 * above saw a field of the next update, the version below is
		 * that odd one or later, so an unchanged version means no
		 * field was rewritten while we loaded them.
		 */
		tp_rmb();
		if (tp_unlikely(tp_load(page->version) != version))
			continue;

		s->params.version = version;
		s->retries = tries;
		if (tp_unlikely(!tscpage_pvclock_params_valid(&s->params)))
			return -EINVAL;
		return 0;
	}
	s->retries = tries;
	return -EAGAIN;
}

/* tscpage_pvclock_sample_bounded() bounded in attempts only. */
static __always_inline int
tscpage_pvclock_sample(const struct tscpage_pvclock *page,
		       unsigned int max_retries,
		       struct tscpage_pvclock_sample *s)
{
	return tscpage_pvclock_sample_bounded(page, max_retries, 0, s);
}

/* One consistent copy of a Hyper-V reference page and the TSC read in it. */
struct tscpage_hvref_sample {
	struct tscpage_hvref params;
	__u64 tsc;
	unsigned int retries;
};

static inline bool tscpage_hvref_params_valid(const struct tscpage_hvref *p)
{
	return p->tsc_scale != 0;
}

/* The page's own time, in 100 ns units, at @tsc: exact to the bit. */
static inline __u64 tscpage_hvref_time(const struct tscpage_hvref *p,
				       __u64 tsc)
{
	return tp_mul_u64_u64_shr64(tsc, p->tsc_scale) + (__u64)p->tsc_offset;
}

static inline __u64 tscpage_hvref_ns(const struct tscpage_hvref *p, __u64 tsc)
{
	return tscpage_hvref_time(p, tsc) * 100;
}

/*
 * Take one consistent sample of the Hyper-V reference @page.
 *
 * The writer's protocol (TLFS 12.7.2, and tscpage_hvsim): store sequence 0,
 * write barrier, store scale and offset, write barrier, store the new,
 * non-zero sequence. Hyper-V itself rewrites the page only while the guest
 * is paused; the protocol still has to hold for hvsim, which rewrites it
 * under a running guest.
 *
 * Returns 0 with @s filled in; -ENODATA when the page says it is invalid
 * (sequence 0), with @s->retries the attempts made; -EAGAIN when
 * @max_retries + 1 attempts all saw the sequence change under them, or
 * failed attempts went on for more than @max_cycles TSC cycles (0: no
 * such bound); -EINVAL when the sample is consistent but the scale is
 * zero.
 */
static __always_inline int
tscpage_hvref_sample_bounded(const struct tscpage_hvref *page,
			     unsigned int max_retries, __u64 max_cycles,
			     struct tscpage_hvref_sample *s)
{
	unsigned int tries;
	__u64 start = 0;
	__u32 sequence;

	for (tries = 0; tries <= max_retries; tries++) {
		if (tp_unlikely(tries) &&
		    tscpage_sample_spun(tries, max_cycles, &start))
			break;
		sequence = tp_load(page->tsc_sequence);
		if (tp_unlikely(!sequence)) {
			s->params.tsc_sequence = 0;
			s->retries = tries;
			return -ENODATA;
		}
		/*
		 * Pairs with the writer's write barrier before it stores the
		 * new sequence: having seen it, the loads below see the scale
		 * and offset stored before it.
		 */
		tp_rmb();
		s->params.tsc_scale = tp_load(page->tsc_scale);
		s->params.tsc_offset = tp_load(page->tsc_offset);
		s->tsc = tp_rdtsc_ordered();
		/*
		 * Pairs with the writer's write barrier after it stores
		 * sequence 0: if a load above saw a value of the next update,
		 * the sequence below is no longer the one we started with.
		 */
		tp_rmb();
		if (tp_unlikely(tp_load(page->tsc_sequence) != sequence))
			continue;

		s->params.tsc_sequence = sequence;
		s->retries = tries;
		if (tp_unlikely(!tscpage_hvref_params_valid(&s->params)))
			return -EINVAL;
		return 0;
	}
	s->retries = tries;
	return -EAGAIN;
}

/* tscpage_hvref_sample_bounded() bounded in attempts only. */
static __always_inline int
tscpage_hvref_sample(const struct tscpage_hvref *page, unsigned int max_retries,
		     struct tscpage_hvref_sample *s)
{
	return tscpage_hvref_sample_bounded(page, max_retries, 0, s);
}

/*
 * The guard for pages that do not promise TSC_STABLE: per-CPU TSCs (or
 * per-CPU pages) may disagree by a little, so the time handed out is never
 * below the largest one handed out before, on any CPU. @last is that
 * largest value; the compare-exchange publishes @ns only if it is larger,
 * so two CPUs racing can never move @last backwards.
 *
 * Returns the time to use; *@clamped says whether @ns was behind @last.
 */
static __always_inline __u64
tscpage_monotonic_guard(struct tp_atomic64 *last, __u64 ns, bool *clamped)
{
	__u64 old = tp_atomic64_read(last);

	do {
		if (ns <= old) {
			*clamped = ns < old;
			return old;
		}
	} while (!tp_atomic64_try_cmpxchg(last, &old, ns));

	*clamped = false;
	return ns;
}

#endif /* _TSCPAGE_READER_H */
