// SPDX-License-Identifier: GPL-2.0
/*
 * reader_math - the arithmetic of include/tscpage/reader.h, bit for bit,
 * against a second, independent computation.
 *
 * The reader computes with 64-bit integers and a 128-bit intermediate
 * (__int128 in userspace, mul_u64_u*_shr() in the kernel). The reference
 * here never uses a type wider than 64 bits: numbers are little-endian
 * arrays of 16-bit limbs, multiplied by schoolbook, shifted limb by limb
 * and reduced mod 2^64 by dropping limbs. A mistake would have to be made
 * twice, in two unrelated ways, to go unseen.
 *
 * Checked, each over the extreme values of every input (0, 1, 2^31 - 1,
 * 2^31, 2^32 - 1, 2^32, 2^63, 2^64 - 1; every shift in [-32, 32]; offsets
 * at both ends of s64) and over --count random inputs from a seeded
 * generator (the seed is printed; --seed N reruns a run):
 *
 *   tscpage_pvclock_scale(delta, mul, shift)
 *       = ((shifted(delta) * mul) >> 32) mod 2^64, where shifted(d) is
 *         d >> -shift for shift < 0 and (d << shift) mod 2^64 otherwise
 *   tscpage_pvclock_ns(p, tsc)
 *       = system_time + scale(tsc - tsc_timestamp mod 2^64), mod 2^64,
 *         when that distance is below 2^63 (the TSC at or past the
 *         anchor), else system_time - scale_up(tsc_timestamp - tsc mod
 *         2^64), mod 2^64: a TSC behind the anchor, rounded so that the
 *         time is the page's line rounded down on both sides
 *   tscpage_pvclock_scale_up(x, mul, shift) = the scale with both
 *         stages rounded up
 *   tscpage_hvref_time(p, tsc) = ((tsc * scale) >> 64) + (u64)offset
 *   tscpage_hvref_ns(p, tsc)   = time * 100 mod 2^64
 *
 * and that tscpage_pvclock_params_valid() / tscpage_hvref_params_valid()
 * accept exactly the pages they should (mul != 0 and shift in [-32, 32];
 * scale != 0), whatever the other fields hold.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <tscpage/reader.h>

#include "kselftest.h"

/* Mismatches printed per check: enough to see a pattern, not a flood. */
#define MAX_REPORTS	5

/* ------------------------------------------------------------------ */
/* The reference: non-negative integers in 16-bit limbs.               */

/*
 * 16-bit limbs so that a limb product (< 2^32) and the sums of them always
 * fit in 64 bits with room to spare. 10 limbs (160 bits) hold the widest
 * value any formula makes: a 64 x 64-bit product (128 bits), or 2^64 plus
 * a 64-bit value.
 */
#define BIG_LIMBS	10
#define LIMB_BITS	16
#define LIMB_MASK	0xffffu

struct big {
	uint32_t l[BIG_LIMBS];	/* l[0] least significant; each < 2^16 */
};

static struct big big_from_u64(uint64_t v)
{
	struct big r = { { 0 } };
	int i;

	for (i = 0; i < 4; i++)
		r.l[i] = (uint32_t)(v >> (LIMB_BITS * i)) & LIMB_MASK;
	return r;
}

/* 2^n, n < 160. */
static struct big big_pow2(unsigned int n)
{
	struct big r = { { 0 } };

	r.l[n / LIMB_BITS] = 1u << (n % LIMB_BITS);
	return r;
}

/* The value mod 2^64: the four low limbs, reassembled. */
static uint64_t big_low64(const struct big *a)
{
	uint64_t v = 0;
	int i;

	for (i = 3; i >= 0; i--)
		v = (v << LIMB_BITS) | a->l[i];
	return v;
}

static struct big big_add(const struct big *a, const struct big *b)
{
	struct big r;
	uint32_t carry = 0;
	int i;

	for (i = 0; i < BIG_LIMBS; i++) {
		uint32_t s = a->l[i] + b->l[i] + carry;

		r.l[i] = s & LIMB_MASK;
		carry = s >> LIMB_BITS;
	}
	return r;
}

/* a - b; the callers guarantee a >= b. */
static struct big big_sub(const struct big *a, const struct big *b)
{
	struct big r;
	uint32_t borrow = 0;
	int i;

	for (i = 0; i < BIG_LIMBS; i++) {
		uint32_t sub = b->l[i] + borrow;

		if (a->l[i] >= sub) {
			r.l[i] = a->l[i] - sub;
			borrow = 0;
		} else {
			r.l[i] = a->l[i] + (1u << LIMB_BITS) - sub;
			borrow = 1;
		}
	}
	return r;
}

static struct big big_mul(const struct big *a, const struct big *b)
{
	uint64_t acc[2 * BIG_LIMBS] = { 0 };
	struct big r;
	uint64_t carry = 0;
	int i, j;

	for (i = 0; i < BIG_LIMBS; i++)
		for (j = 0; j < BIG_LIMBS; j++)
			acc[i + j] += (uint64_t)a->l[i] * b->l[j];
	/* The callers' products are below 2^128: nothing is lost here. */
	for (i = 0; i < BIG_LIMBS; i++) {
		carry += acc[i];
		r.l[i] = (uint32_t)(carry & LIMB_MASK);
		carry >>= LIMB_BITS;
	}
	return r;
}

/*
 * Shifts move whole limbs, then bits across limb boundaries: a different
 * route from the reader's 64-bit shifts. Bits shifted past the top of the
 * array are lost; no caller shifts anything that far.
 */
static struct big big_shl(const struct big *a, unsigned int n)
{
	unsigned int limbs = n / LIMB_BITS, bits = n % LIMB_BITS;
	struct big r = { { 0 } };
	int i;

	for (i = BIG_LIMBS - 1; i >= (int)limbs; i--) {
		uint32_t v = a->l[i - limbs] << bits;

		if (bits && i - (int)limbs - 1 >= 0)
			v |= a->l[i - limbs - 1] >> (LIMB_BITS - bits);
		r.l[i] = v & LIMB_MASK;
	}
	return r;
}

static struct big big_shr(const struct big *a, unsigned int n)
{
	unsigned int limbs = n / LIMB_BITS, bits = n % LIMB_BITS;
	struct big r = { { 0 } };
	unsigned int i;

	for (i = 0; i + limbs < BIG_LIMBS; i++) {
		uint32_t v = a->l[i + limbs] >> bits;

		if (bits && i + limbs + 1 < BIG_LIMBS)
			v |= a->l[i + limbs + 1] << (LIMB_BITS - bits);
		r.l[i] = v & LIMB_MASK;
	}
	return r;
}

/* a mod 2^64, as a big again: wraps the way the page formats say. */
static struct big big_mod64(const struct big *a)
{
	struct big r = { { 0 } };

	memcpy(r.l, a->l, 4 * sizeof(r.l[0]));
	return r;
}

/* (x - y) mod 2^64, computed as x + 2^64 - y, which is never negative. */
static struct big big_sub_mod64(uint64_t x, uint64_t y)
{
	struct big bx = big_from_u64(x), by = big_from_u64(y);
	struct big two64 = big_pow2(64);
	struct big sum = big_add(&bx, &two64);
	struct big diff = big_sub(&sum, &by);

	return big_mod64(&diff);
}

/* (u64)v for a signed v, i.e. v mod 2^64, without a C conversion. */
static struct big big_from_s64(int64_t v)
{
	struct big mag, one = big_from_u64(1), two64 = big_pow2(64);

	if (v >= 0)
		return big_from_u64((uint64_t)v);
	/* |v| without overflowing at INT64_MIN: -(v + 1) + 1. */
	mag = big_from_u64((uint64_t)(-(v + 1)));
	mag = big_add(&mag, &one);
	return big_sub(&two64, &mag);
}

static uint64_t ref_pvclock_scale(uint64_t delta, uint32_t mul, int shift)
{
	struct big d = big_from_u64(delta), m = big_from_u64(mul), prod;

	if (shift < 0) {
		d = big_shr(&d, (unsigned int)-shift);
	} else {
		d = big_shl(&d, (unsigned int)shift);
		d = big_mod64(&d);
	}
	prod = big_mul(&d, &m);
	prod = big_shr(&prod, 32);
	return big_low64(&prod);
}

/*
 * The scaling of a distance before the anchor: ceil(ceil(x / 2^-shift) *
 * mul / 2^32) for shift < 0, ceil(((x << shift) mod 2^64) * mul / 2^32)
 * otherwise; each ceiling is (a + 2^k - 1) >> k, on bigs.
 */
static uint64_t ref_pvclock_scale_up(uint64_t x, uint32_t mul, int shift)
{
	struct big d = big_from_u64(x), m = big_from_u64(mul), one, prod;

	one = big_from_u64(1);
	if (shift < 0) {
		struct big up = big_pow2((unsigned int)-shift);

		up = big_sub(&up, &one);
		d = big_add(&d, &up);
		d = big_shr(&d, (unsigned int)-shift);
	} else {
		d = big_shl(&d, (unsigned int)shift);
		d = big_mod64(&d);
	}
	prod = big_mul(&d, &m);
	{
		struct big up = big_pow2(32);

		up = big_sub(&up, &one);
		prod = big_add(&prod, &up);
	}
	prod = big_shr(&prod, 32);
	return big_low64(&prod);
}

/*
 * system_time + scale(tsc - tsc_timestamp) when the TSC is at or past the
 * anchor, system_time - scale_up(tsc_timestamp - tsc) when it is behind,
 * mod 2^64. "Behind" is a distance mod 2^64 of 2^63 or more, read here
 * from the top limb, not through a signed conversion.
 */
static uint64_t ref_pvclock_ns(uint64_t tsc, uint64_t tsc_timestamp,
			       uint64_t system_time, uint32_t mul, int shift)
{
	struct big d = big_sub_mod64(tsc, tsc_timestamp);
	struct big st = big_from_u64(system_time), q, sum;

	if (d.l[3] & 0x8000u) {
		struct big back = big_sub_mod64(tsc_timestamp, tsc);

		q = big_from_u64(ref_pvclock_scale_up(big_low64(&back), mul,
						      shift));
		sum = big_sub_mod64(big_low64(&st), big_low64(&q));
		return big_low64(&sum);
	}
	q = big_from_u64(ref_pvclock_scale(big_low64(&d), mul, shift));
	sum = big_add(&st, &q);
	return big_low64(&sum);
}

static struct big ref_hvref_time_big(uint64_t tsc, uint64_t scale,
				     int64_t offset)
{
	struct big t = big_from_u64(tsc), s = big_from_u64(scale);
	struct big o = big_from_s64(offset), prod, sum;

	prod = big_mul(&t, &s);
	prod = big_shr(&prod, 64);
	sum = big_add(&prod, &o);
	return big_mod64(&sum);
}

static uint64_t ref_hvref_time(uint64_t tsc, uint64_t scale, int64_t offset)
{
	struct big t = ref_hvref_time_big(tsc, scale, offset);

	return big_low64(&t);
}

static uint64_t ref_hvref_ns(uint64_t tsc, uint64_t scale, int64_t offset)
{
	struct big t = ref_hvref_time_big(tsc, scale, offset);
	struct big hundred = big_from_u64(100);
	struct big ns = big_mul(&t, &hundred);

	return big_low64(&ns);
}

/* ------------------------------------------------------------------ */
/* Inputs.                                                             */

static const uint64_t extremes64[] = {
	0, 1, 0x7fffffffull, 0x80000000ull, 0xffffffffull, 0x100000000ull,
	0x8000000000000000ull, 0xffffffffffffffffull,
};

/* The extremes that fit the 32-bit mul. */
static const uint32_t extremes32[] = {
	0, 1, 0x7fffffffu, 0x80000000u, 0xffffffffu,
};

static const int64_t extreme_offsets[] = {
	0, 1, -1, 0x7fffffffll, -0x80000000ll, 0x100000000ll, -0x100000000ll,
	INT64_MAX, INT64_MIN, INT64_MIN + 1,
};

/*
 * splitmix64: tiny, seedable with any value, and every output bit
 * depends on every seed bit, so nearby seeds give unrelated runs.
 */
static uint64_t rng_state;

static uint64_t rng_next(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/*
 * Uniform 64-bit values almost never come near the places where
 * arithmetic goes wrong (small values, the 2^32 and 2^64 boundaries), so
 * a quarter are uniform, a quarter have a random width, a quarter sit
 * just around an extreme, and a quarter are a single bit, or all but one.
 */
static uint64_t rng_value(void)
{
	uint64_t r = rng_next(), v = rng_next();
	unsigned int width, bit;

	switch (r & 3) {
	case 0:
		return v;
	case 1:
		width = (unsigned int)((r >> 2) % 65);
		return width == 64 ? v : v & ((1ull << width) - 1);
	case 2:
		return extremes64[(r >> 2) % ARRAY_SIZE(extremes64)] +
		       (uint64_t)((int64_t)((r >> 8) & 15) - 8);
	default:
		bit = (unsigned int)((r >> 2) & 63);
		return (r >> 8) & 1 ? ~(1ull << bit) : 1ull << bit;
	}
}

static int rng_shift(void)
{
	return (int)(rng_next() % 65) - 32;
}

/* ------------------------------------------------------------------ */
/* The checks.                                                         */

struct tally {
	const char *what;
	uint64_t cases, bad;
};

static void tally_report(struct tally *t)
{
	ksft_test_result(!t->bad && t->cases, "%s: %" PRIu64 " cases, %" PRIu64
			 " wrong\n", t->what, t->cases, t->bad);
}

/*
 * Counts a case. True when it is wrong and among the first few wrong ones:
 * the caller then prints the evidence.
 */
static bool tally_wrong(struct tally *t, uint64_t expected, uint64_t got)
{
	t->cases++;
	if (expected == got)
		return false;
	return ++t->bad <= MAX_REPORTS;
}

/* A scaling function of reader.h and its reference on bigs. */
struct scale_fn {
	const char *name;
	uint64_t (*ref)(uint64_t delta, uint32_t mul, int shift);
	__u64 (*fn)(__u64 delta, __u32 mul, __s8 shift);
};

static const struct scale_fn scale_down = {
	"tscpage_pvclock_scale", ref_pvclock_scale, tscpage_pvclock_scale,
};
static const struct scale_fn scale_up = {
	"tscpage_pvclock_scale_up", ref_pvclock_scale_up,
	tscpage_pvclock_scale_up,
};

static void check_scale(struct tally *t, const struct scale_fn *f,
			uint64_t delta, uint32_t mul, int shift)
{
	uint64_t exp = f->ref(delta, mul, shift);
	uint64_t got = f->fn(delta, mul, (__s8)shift);

	if (tally_wrong(t, exp, got))
		ksft_print_msg("%s: delta=0x%016" PRIx64 " mul=0x%08" PRIx32
			       " shift=%d: expected 0x%016" PRIx64 ", got 0x%016"
			       PRIx64 "\n", t->what, delta, mul, shift, exp,
			       got);
}

static void check_pvns(struct tally *t, uint64_t tsc, uint64_t tsc_timestamp,
		       uint64_t system_time, uint32_t mul, int shift)
{
	struct tscpage_pvclock p = {
		.tsc_timestamp = tsc_timestamp,
		.system_time = system_time,
		.tsc_to_system_mul = mul,
		.tsc_shift = (__s8)shift,
	};
	uint64_t exp = ref_pvclock_ns(tsc, tsc_timestamp, system_time, mul,
				      shift);
	uint64_t got = tscpage_pvclock_ns(&p, tsc);

	if (tally_wrong(t, exp, got))
		ksft_print_msg("%s: tsc=0x%016" PRIx64 " tsc_timestamp=0x%016"
			       PRIx64 " system_time=0x%016" PRIx64
			       " mul=0x%08" PRIx32 " shift=%d: expected 0x%016"
			       PRIx64 ", got 0x%016" PRIx64 "\n", t->what, tsc,
			       tsc_timestamp, system_time, mul, shift, exp, got);
}

static void check_hv(struct tally *t, bool ns, uint64_t tsc, uint64_t scale,
		     int64_t offset)
{
	struct tscpage_hvref p = {
		.tsc_sequence = 1,
		.tsc_scale = scale,
		.tsc_offset = offset,
	};
	uint64_t exp = ns ? ref_hvref_ns(tsc, scale, offset) :
			    ref_hvref_time(tsc, scale, offset);
	uint64_t got = ns ? tscpage_hvref_ns(&p, tsc) :
			    tscpage_hvref_time(&p, tsc);

	if (tally_wrong(t, exp, got))
		ksft_print_msg("%s: tsc=0x%016" PRIx64 " scale=0x%016" PRIx64
			       " offset=%" PRId64 ": expected 0x%016" PRIx64
			       ", got 0x%016" PRIx64 "\n", t->what, tsc, scale,
			       offset, exp, got);
}

static void test_scale(const struct scale_fn *f, uint64_t count)
{
	char ext_what[64], rnd_what[64];
	struct tally ext = { .what = ext_what };
	struct tally rnd = { .what = rnd_what };
	size_t i, j;
	uint64_t n;
	int shift;

	snprintf(ext_what, sizeof(ext_what), "%s, extremes", f->name);
	snprintf(rnd_what, sizeof(rnd_what), "%s, random", f->name);
	for (i = 0; i < ARRAY_SIZE(extremes64); i++)
		for (j = 0; j < ARRAY_SIZE(extremes32); j++)
			for (shift = -32; shift <= 32; shift++)
				check_scale(&ext, f, extremes64[i],
					    extremes32[j], shift);
	tally_report(&ext);

	for (n = 0; n < count; n++)
		check_scale(&rnd, f, rng_value(), (uint32_t)rng_value(),
			    rng_shift());
	tally_report(&rnd);
}

/*
 * A TSC behind the page's anchor, on pages a real TSC has (100 MHz to
 * 10 GHz, the kernel's own mul/shift): the time is behind system_time by
 * the distance, to a nanosecond; and a page anchored k * 2^(32 - shift)
 * cycles ahead of another gives, for every TSC between the two anchors,
 * exactly the other's time (any writer that re-anchors ahead of a
 * reader's TSC). Before the signed delta, a TSC 40 ns behind a 2.5 GHz
 * page read about 2^64 cycles ahead: +234 years.
 */
static void test_behind(uint64_t count)
{
	struct tally t = { .what = "tscpage_pvclock_ns, TSC behind the anchor" };
	uint64_t n;

	for (n = 0; n < count; n++) {
		uint64_t hz = 100000000ull + rng_value() % 9900000000ull;
		/* Away from 0 and 2^64, where the time would wrap. */
		uint64_t base = (rng_value() >> 2) | 1ull << 40;
		uint64_t tsc0 = (rng_value() >> 2) | 1ull << 40;
		uint64_t span, tsc, back, a, b, want, low, unit;
		struct tscpage_pvclock p = { 0 }, q;
		unsigned int k, bits;
		int shift = 0;
		uint64_t m;

		/* kvm_get_time_scale()'s shape: m < hz <= 2m, mul < 2^32. */
		m = 1000000000ull;
		while (hz > 2 * m) {
			hz >>= 1;
			shift--;
		}
		while (hz <= m) {
			hz <<= 1;
			shift++;
		}
		p.tsc_to_system_mul = (uint32_t)((m << 32) / hz);
		p.tsc_shift = (__s8)shift;
		p.tsc_timestamp = tsc0;
		p.system_time = base;

		bits = (unsigned int)(32 - shift);
		k = 1 + (unsigned int)(rng_next() % 4);
		span = (uint64_t)k << bits;
		q = p;
		q.tsc_timestamp = tsc0 + span;
		q.system_time = base + (uint64_t)k * p.tsc_to_system_mul;

		tsc = tsc0 + rng_value() % (span + 1);
		a = tscpage_pvclock_ns(&p, tsc);
		b = tscpage_pvclock_ns(&q, tsc);
		t.cases++;
		if (a != b && ++t.bad <= MAX_REPORTS)
			ksft_print_msg("%s: mul=0x%08" PRIx32 " shift=%d tsc0=0x%016"
				       PRIx64 " k=%u tsc=+%" PRIu64 ": %" PRIu64
				       " from the anchor, %" PRIu64
				       " from %u anchors ahead\n", t.what,
				       p.tsc_to_system_mul, shift, tsc0, k,
				       tsc - tsc0, a, b, k);

		/*
		 * Up to 1000 cycles behind: behind by that distance, as the
		 * page can say it: within one unit of the shifted delta
		 * (2^-shift cycles, for shift < 0) and 1 ns of rounding.
		 */
		back = rng_next() % 1000;
		unit = shift < 0 ? 1ull << -shift : 1;
		want = base - tscpage_pvclock_scale(back, p.tsc_to_system_mul,
						    p.tsc_shift);
		low = base - tscpage_pvclock_scale(back + unit,
						   p.tsc_to_system_mul,
						   p.tsc_shift) - 1;
		a = tscpage_pvclock_ns(&p, tsc0 - back);
		t.cases++;
		if ((a > want || a < low) && ++t.bad <= MAX_REPORTS)
			ksft_print_msg("%s: mul=0x%08" PRIx32 " shift=%d: %" PRIu64
				       " cycles behind the anchor at %" PRIu64
				       " ns read %" PRIu64 " ns (%+" PRId64
				       "), not in [%" PRIu64 ", %" PRIu64 "]\n",
				       t.what, p.tsc_to_system_mul, shift, back,
				       base, a, (int64_t)(a - base), low, want);
	}
	tally_report(&t);
}

static void test_pvns(uint64_t count)
{
	struct tally ext = { .what = "tscpage_pvclock_ns, extremes" };
	struct tally rnd = { .what = "tscpage_pvclock_ns, random" };
	size_t a, b, c, m;
	uint64_t n;
	int shift;

	for (a = 0; a < ARRAY_SIZE(extremes64); a++)
		for (b = 0; b < ARRAY_SIZE(extremes64); b++)
			for (c = 0; c < ARRAY_SIZE(extremes64); c++)
				for (m = 0; m < ARRAY_SIZE(extremes32); m++)
					for (shift = -32; shift <= 32; shift++)
						check_pvns(&ext, extremes64[a],
							   extremes64[b],
							   extremes64[c],
							   extremes32[m],
							   shift);
	tally_report(&ext);

	for (n = 0; n < count; n++) {
		uint64_t tsc = rng_value(), ts, st = rng_value();

		/*
		 * Half the time a realistic page: the TSC a little past
		 * the timestamp. The other half anything, wrap included.
		 */
		if (rng_next() & 1)
			ts = tsc - (rng_value() >> (rng_next() % 64));
		else
			ts = rng_value();
		check_pvns(&rnd, tsc, ts, st, (uint32_t)rng_value(),
			   rng_shift());
	}
	tally_report(&rnd);
}

static void test_hvref(uint64_t count, bool ns)
{
	struct tally ext = {
		.what = ns ? "tscpage_hvref_ns, extremes" :
			     "tscpage_hvref_time, extremes",
	};
	struct tally rnd = {
		.what = ns ? "tscpage_hvref_ns, random" :
			     "tscpage_hvref_time, random",
	};
	size_t a, b, c;
	uint64_t n;

	for (a = 0; a < ARRAY_SIZE(extremes64); a++)
		for (b = 0; b < ARRAY_SIZE(extremes64); b++)
			for (c = 0; c < ARRAY_SIZE(extreme_offsets); c++)
				check_hv(&ext, ns, extremes64[a], extremes64[b],
					 extreme_offsets[c]);
	tally_report(&ext);

	for (n = 0; n < count; n++)
		check_hv(&rnd, ns, rng_value(), rng_value(),
			 (int64_t)rng_value());
	tally_report(&rnd);
}

/*
 * Every shift a __s8 can hold, with zero and non-zero multipliers, the
 * other fields random: exactly mul != 0 with shift in [-32, 32] passes.
 */
static void test_pvclock_valid(uint64_t count)
{
	struct tally t = { .what = "tscpage_pvclock_params_valid" };
	uint64_t n;
	int shift;
	size_t m;

	for (n = 0; n < 1 + count / 1000; n++) {
		for (shift = -128; shift <= 127; shift++) {
			for (m = 0; m <= ARRAY_SIZE(extremes32); m++) {
				uint32_t mul = m < ARRAY_SIZE(extremes32) ?
					       extremes32[m] :
					       (uint32_t)rng_value();
				struct tscpage_pvclock p = {
					.version = (uint32_t)rng_next(),
					.pad0 = (uint32_t)rng_next(),
					.tsc_timestamp = rng_value(),
					.system_time = rng_value(),
					.tsc_to_system_mul = mul,
					.tsc_shift = (__s8)shift,
					.flags = (uint8_t)rng_next(),
				};
				bool exp = mul != 0 && shift >= -32 &&
					   shift <= 32;
				bool got = tscpage_pvclock_params_valid(&p);

				if (tally_wrong(&t, exp, got))
					ksft_print_msg("%s: mul=0x%08" PRIx32
						       " shift=%d version=%u flags=0x%02x: expected %s, got %s\n",
						       t.what, mul, shift,
						       p.version, p.flags,
						       exp ? "valid" : "invalid",
						       got ? "valid" : "invalid");
			}
		}
	}
	tally_report(&t);
}

static void test_hvref_valid(uint64_t count)
{
	struct tally t = { .what = "tscpage_hvref_params_valid" };
	uint64_t n;
	size_t i;

	for (n = 0; n < 1 + count / 100; n++) {
		for (i = 0; i <= ARRAY_SIZE(extremes64); i++) {
			uint64_t scale = i < ARRAY_SIZE(extremes64) ?
					 extremes64[i] : rng_value();
			struct tscpage_hvref p = {
				/* Sequence 0 is the sampler's business. */
				.tsc_sequence = (uint32_t)rng_next(),
				.reserved1 = (uint32_t)rng_next(),
				.tsc_scale = scale,
				.tsc_offset = (int64_t)rng_value(),
			};
			bool exp = scale != 0;
			bool got = tscpage_hvref_params_valid(&p);

			if (tally_wrong(&t, exp, got))
				ksft_print_msg("%s: scale=0x%016" PRIx64
					       " sequence=%u offset=%" PRId64
					       ": expected %s, got %s\n",
					       t.what, scale, p.tsc_sequence,
					       (int64_t)p.tsc_offset,
					       exp ? "valid" : "invalid",
					       got ? "valid" : "invalid");
		}
	}
	tally_report(&t);
}

/*
 * The reference itself, on values worked out by hand: if it were wrong
 * in the same way as the reader, the comparisons above would all pass.
 */
static void test_reference(void)
{
	static const struct {
		uint64_t delta;
		uint32_t mul;
		int shift;
		uint64_t expect;
	} sc[] = {
		/* A 2 GHz page; the widest products; both shift ends; truncation. */
		{ 1000000000, 0x80000000u, 1, 1000000000 },
		{ 0xffffffffffffffffull, 0xffffffffu, 0, 0xfffffffeffffffffull },
		{ 0xffffffffffffffffull, 0xffffffffu, -32, 0xfffffffe },
		{ 0xffffffffffffffffull, 1, 32, 0xffffffff },
		{ 3, 0x80000000u, 0, 1 },
	};
	static const struct {
		uint64_t tsc, scale;
		int64_t offset;
		uint64_t expect;
	} hv[] = {
		{ 0xffffffffffffffffull, 0xffffffffffffffffull, 0,
		  0xfffffffffffffffeull },
		{ 0x8000000000000000ull, 0x8000000000000000ull, -1,
		  0x3fffffffffffffffull },
		{ 0, 1, INT64_MIN, 0x8000000000000000ull },
	};
	unsigned int bad = 0;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(sc); i++) {
		uint64_t got = ref_pvclock_scale(sc[i].delta, sc[i].mul,
						 sc[i].shift);

		if (got != sc[i].expect) {
			bad++;
			ksft_print_msg("reference scale(0x%" PRIx64 ", 0x%" PRIx32
				       ", %d): expected 0x%" PRIx64 ", got 0x%"
				       PRIx64 "\n", sc[i].delta, sc[i].mul,
				       sc[i].shift, sc[i].expect, got);
		}
	}
	for (i = 0; i < ARRAY_SIZE(hv); i++) {
		uint64_t got = ref_hvref_time(hv[i].tsc, hv[i].scale,
					      hv[i].offset);

		if (got != hv[i].expect) {
			bad++;
			ksft_print_msg("reference hvref_time(0x%" PRIx64 ", 0x%"
				       PRIx64 ", %" PRId64 "): expected 0x%"
				       PRIx64 ", got 0x%" PRIx64 "\n",
				       hv[i].tsc, hv[i].scale, hv[i].offset,
				       hv[i].expect, got);
		}
	}
	ksft_test_result(!bad, "reference agrees with %zu hand-worked values\n",
			 ARRAY_SIZE(sc) + ARRAY_SIZE(hv));
}

static void usage(FILE *f, const char *prog)
{
	fprintf(f, "usage: %s [--seed N] [--count N]\n"
		"  --seed N   seed of the random inputs (default: from the clock; printed)\n"
		"  --count N  random cases per function (default 1000000)\n",
		prog);
}

static bool parse_u64(const char *s, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 0);
	return !errno && end != s && !*end && s[0] != '-';
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "count", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t seed, count = 1000000;
	bool have_seed = false;
	struct timespec ts;
	int opt;

	while ((opt = getopt_long(argc, argv, "s:c:h", opts, NULL)) != -1) {
		switch (opt) {
		case 's':
			if (!parse_u64(optarg, &seed)) {
				fprintf(stderr, "%s: --seed: '%s' is not an unsigned number\n",
					argv[0], optarg);
				return KSFT_FAIL;
			}
			have_seed = true;
			break;
		case 'c':
			if (!parse_u64(optarg, &count) || !count ||
			    count > 1000000000) {
				fprintf(stderr, "%s: --count: '%s' is not a number in 1..1000000000\n",
					argv[0], optarg);
				return KSFT_FAIL;
			}
			break;
		case 'h':
			usage(stdout, argv[0]);
			return KSFT_PASS;
		default:
			usage(stderr, argv[0]);
			return KSFT_FAIL;
		}
	}
	if (optind != argc) {
		usage(stderr, argv[0]);
		return KSFT_FAIL;
	}
	if (!have_seed) {
		/* A new seed each run covers more ground; it is printed. */
		clock_gettime(CLOCK_REALTIME, &ts);
		seed = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
		seed ^= (uint64_t)getpid() << 32;
	}
	rng_state = seed;

	ksft_print_header();
	ksft_set_plan(14);
	ksft_print_msg("seed %" PRIu64 ", %" PRIu64 " random cases per function (rerun: --seed %" PRIu64 " --count %" PRIu64 ")\n",
		       seed, count, seed, count);

	test_reference();
	test_scale(&scale_down, count);
	test_scale(&scale_up, count);
	test_pvns(count);
	test_behind(count);
	test_hvref(count, false);
	test_hvref(count, true);
	test_pvclock_valid(count);
	test_hvref_valid(count);

	ksft_finished();
}
