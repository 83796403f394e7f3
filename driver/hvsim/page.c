// SPDX-License-Identifier: GPL-2.0
/*
 * The page writer: the simulated hypervisor's clock, the two update
 * protocols, and the timer that rewrites the page.
 *
 * The clock starts at CLOCK_MONOTONIC_RAW at load time and then runs on
 * the TSC, at the rate the kernel measured for it. Faults (fault.c) and
 * migrations (migrate.c) move it, through hvsim_rebase(); the periodic
 * rewrites keep it exactly continuous (see hvsim_begin_pvclock()).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/gfp.h>
#include <linux/hrtimer.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/time64.h>
#include <asm/tsc.h>
#include <tscpage/reader.h>

#include "hvsim.h"

/*
 * Choose @shift and @mul so that ns = (shifted(cycles) * mul) >> 32 for a
 * TSC of @tsc_hz: the shift brings the rate into (1 GHz, 2 GHz], which puts
 * mul in [2^31, 2^32) and keeps 31 bits of precision in it.
 */
int hvsim_pvclock_scale(u64 tsc_hz, u32 *mul, s8 *shift)
{
	u64 scaled = tsc_hz;
	int s = 0;

	if (!tsc_hz)
		return -ERANGE;
	while (scaled > 2 * NSEC_PER_SEC) {
		scaled >>= 1;
		s--;
	}
	while (scaled <= NSEC_PER_SEC) {
		scaled <<= 1;
		s++;
	}
	if (s <= TSCPAGE_PVCLOCK_SHIFT_MIN || s >= TSCPAGE_PVCLOCK_SHIFT_MAX)
		return -ERANGE;

	/* mul = 2^32 * 1e9 / (tsc_hz * 2^s), computed without losing bits. */
	if (s < 0)
		*mul = mul_u64_u64_div_u64(NSEC_PER_SEC << 32, 1ULL << -s,
					   tsc_hz);
	else
		*mul = div64_u64(NSEC_PER_SEC << 32, tsc_hz << s);
	*shift = s;
	return 0;
}

/* The simulated clock at @tsc, in ns, by the parameters it runs on now. */
u64 hvsim_clock_ns(const struct hvsim *sim, u64 tsc)
{
	struct tscpage_hvref hv = {
		.tsc_scale = sim->scale,
		.tsc_offset = sim->offset,
	};

	if (sim->format == TSCPAGE_FORMAT_HVREF)
		return tscpage_hvref_ns(&hv, tsc);
	if (tsc >= sim->tsc0)
		return sim->ns0 +
		       tscpage_pvclock_scale(tsc - sim->tsc0, sim->mul,
					     sim->shift);
	return sim->ns0 -
	       tscpage_pvclock_scale(sim->tsc0 - tsc, sim->mul, sim->shift);
}

/*
 * Move the clock so that it reads @ns at @tsc, from then on at its
 * current rate. The Hyper-V page can only say so to 100 ns: the offset is
 * rounded up, so the new clock is never behind @ns.
 */
void hvsim_rebase(struct hvsim *sim, u64 tsc, u64 ns)
{
	lockdep_assert_held(&sim->lock);
	if (sim->format == TSCPAGE_FORMAT_HVREF) {
		sim->offset = DIV_ROUND_UP_ULL(ns, 100) -
			      mul_u64_u64_shr(tsc, sim->scale, 64);
	} else {
		sim->tsc0 = tsc;
		sim->ns0 = ns;
		sim->anchor_bits = 32 - sim->shift;
	}
}

/*
 * Like KVM, which sets the stable bit only while the host's TSC is its
 * clocksource (the master clock): once the kernel finds the TSCs
 * unsynchronized, at boot or later through the clocksource watchdog, the
 * next rewrite withdraws TSC_STABLE and readers run the monotonic guard.
 * GUEST_STOPPED stays from a migration until the acknowledgment, as KVM
 * keeps it until the guest clears it.
 */
static u8 hvsim_pvclock_flags(const struct hvsim *sim)
{
	u8 flags = check_tsc_unstable() ? 0 : TSCPAGE_PVCLOCK_TSC_STABLE;

	if (sim->stopped)
		flags |= TSCPAGE_PVCLOCK_GUEST_STOPPED;
	return flags;
}

/*
 * Rewrite the pvclock page, in two halves: begin leaves it mid-update
 * (version odd, new fields), end completes it (version even). Both are
 * called with sim->lock held, interrupts off.
 *
 * Exact continuity: re-anchoring a pvclock page at an arbitrary TSC value
 * loses up to 1 ns to truncation, because scale(a) + scale(b) may be one
 * less than scale(a + b), which a reader that straddles the rewrite can see
 * as a 1 ns step back. So the page is re-anchored only at TSC distances
 * from the origin that are multiples of 2^(32 - shift) cycles: there the
 * shifted delta is a multiple of 2^32, the scaling of the anchor distance
 * is exactly k * mul, and old and new parameters give the same time to the
 * nanosecond for every TSC value. Anchor points are mul ns apart (2^31 to
 * 2^32 ns, 2 to 4 s); the rewrites between them publish unchanged values,
 * which exercises the version protocol alone. A rebase moves the origin
 * itself (hvsim_rebase()) and is continuous by construction: its first
 * anchor is the rebase point.
 */
static void hvsim_begin_pvclock(struct hvsim *sim)
{
	struct tscpage_pvclock *page = sim->pvclock;
	s64 since = rdtsc_ordered() - sim->tsc0;
	u64 k;

	/* A CPU whose TSC is behind the origin's keeps the origin. */
	k = since > 0 ? (u64)since >> sim->anchor_bits : 0;
	/*
	 * The anchor_ahead fault: the next anchor point instead, ahead of
	 * every CPU's TSC (by up to 2 to 4 s), as a page written from a TSC
	 * a little ahead of this CPU's would be. The line is the same, so
	 * the time is too, to the nanosecond, for a reader that takes a
	 * TSC behind the anchor as behind system_time.
	 */
	if (sim->fault == TSCPAGE_HVSIM_FAULT_ANCHOR_AHEAD)
		k++;

	WRITE_ONCE(page->version, page->version + 1);
	/*
	 * Pairs with the reader's barrier before its second load of the
	 * version: a reader that loads any field below also loads this odd
	 * version, or a later one, when it checks again.
	 */
	smp_wmb();
	WRITE_ONCE(page->tsc_timestamp, sim->tsc0 + (k << sim->anchor_bits));
	WRITE_ONCE(page->system_time, sim->ns0 + k * sim->mul);
	WRITE_ONCE(page->tsc_to_system_mul, sim->mul);
	WRITE_ONCE(page->tsc_shift, sim->shift);
	WRITE_ONCE(page->flags, hvsim_pvclock_flags(sim));
}

static void hvsim_end_pvclock(struct hvsim *sim)
{
	struct tscpage_pvclock *page = sim->pvclock;

	/*
	 * Pairs with the reader's barrier after its first load of the
	 * version: a reader that sees the even version below sees all the
	 * fields above.
	 */
	smp_wmb();
	WRITE_ONCE(page->version, page->version + 1);
}

/*
 * Rewrite the Hyper-V page, in the same two halves (sequence 0 and the
 * fields; then a new sequence), with sim->lock held, interrupts off.
 * The page's formula is absolute in the TSC, so republishing the same
 * scale and offset is exactly continuous. Readers that meet sequence 0
 * fall back for that read (as they would on real Hyper-V, where it means
 * "use the MSR").
 */
static void hvsim_begin_hvref(struct hvsim *sim)
{
	struct tscpage_hvref *page = sim->hvref;

	WRITE_ONCE(page->tsc_sequence, 0);
	/*
	 * Pairs with the reader's barrier before its second load of the
	 * sequence: a reader that loads a field below sees 0, or a later
	 * sequence, when it checks again.
	 */
	smp_wmb();
	WRITE_ONCE(page->tsc_scale, sim->scale);
	WRITE_ONCE(page->tsc_offset, sim->offset);
}

static void hvsim_end_hvref(struct hvsim *sim)
{
	/*
	 * Pairs with the reader's barrier after its first load of the
	 * sequence: a reader that sees the new sequence sees the fields.
	 */
	smp_wmb();
	if (++sim->sequence == 0)
		sim->sequence = 1;
	WRITE_ONCE(sim->hvref->tsc_sequence, sim->sequence);
}

/* The first half of a rewrite; the active fault may spoil the fields. */
void hvsim_begin(struct hvsim *sim)
{
	lockdep_assert_held(&sim->lock);
	if (sim->format == TSCPAGE_FORMAT_PVCLOCK)
		hvsim_begin_pvclock(sim);
	else
		hvsim_begin_hvref(sim);
	hvsim_fault_override(sim);
}

void hvsim_end(struct hvsim *sim)
{
	lockdep_assert_held(&sim->lock);
	if (sim->format == TSCPAGE_FORMAT_PVCLOCK)
		hvsim_end_pvclock(sim);
	else
		hvsim_end_hvref(sim);
}

/*
 * A page left mid-update (stuck_odd, seq_zero, stuck_back) gets the
 * clock's current parameters while readers still ignore it, so that the
 * hvsim_end() that completes it publishes them and never, not even for a
 * moment, the parameters it was left with. sim->lock held.
 */
void hvsim_refill(struct hvsim *sim)
{
	lockdep_assert_held(&sim->lock);
	if (sim->format == TSCPAGE_FORMAT_PVCLOCK) {
		WRITE_ONCE(sim->pvclock->tsc_timestamp, sim->tsc0);
		WRITE_ONCE(sim->pvclock->system_time, sim->ns0);
		WRITE_ONCE(sim->pvclock->tsc_to_system_mul, sim->mul);
		WRITE_ONCE(sim->pvclock->tsc_shift, sim->shift);
	} else {
		WRITE_ONCE(sim->hvref->tsc_scale, sim->scale);
		WRITE_ONCE(sim->hvref->tsc_offset, sim->offset);
	}
}

void hvsim_publish(struct hvsim *sim)
{
	hvsim_begin(sim);
	hvsim_end(sim);
}

/*
 * Complete a rewrite that hold_us left half done, so that a command
 * starts from a whole page.
 */
void hvsim_settle(struct hvsim *sim)
{
	lockdep_assert_held(&sim->lock);
	if (sim->mid_update) {
		hvsim_end(sim);
		sim->mid_update = false;
	}
}

/*
 * Hard-irq context, also on PREEMPT_RT (HRTIMER_MODE_REL_HARD). With
 * hold_us, a rewrite takes two expiries: the first leaves the page
 * mid-update, the second, hold_us later, completes it. The page then stays
 * mid-update for that long in real time, whoever runs meanwhile. The
 * active fault may take the rewrite over (hvsim_fault_tick()).
 */
static enum hrtimer_restart hvsim_timer_fn(struct hrtimer *timer)
{
	struct hvsim *sim = container_of(timer, struct hvsim, timer);
	unsigned long flags;
	ktime_t next;

	raw_spin_lock_irqsave(&sim->lock, flags);
	next = sim->period;
	if (hvsim_fault_tick(sim, &next)) {
		/* The fault did this rewrite. */
	} else if (!ktime_to_ns(sim->hold)) {
		hvsim_publish(sim);
	} else if (!sim->mid_update) {
		hvsim_begin(sim);
		sim->mid_update = true;
		next = sim->hold;
	} else {
		hvsim_end(sim);
		sim->mid_update = false;
		next = ktime_sub(sim->period, sim->hold);
	}
	raw_spin_unlock_irqrestore(&sim->lock, flags);

	hrtimer_forward_now(timer, next);
	return HRTIMER_RESTART;
}

static bool hvsim_rate_ok(u64 update_hz, u64 hold_ns)
{
	return update_hz >= 1 && update_hz <= HVSIM_UPDATE_HZ_MAX &&
	       hold_ns * update_hz < NSEC_PER_SEC / 2;
}

/* Process context: TSCPAGE_HVSIM_IOC_RATE. The next expiry uses it. */
int hvsim_set_rate(struct hvsim *sim, u32 update_hz)
{
	unsigned long flags;

	if (!hvsim_rate_ok(update_hz, ktime_to_ns(sim->hold)))
		return -EINVAL;
	raw_spin_lock_irqsave(&sim->lock, flags);
	sim->period = ns_to_ktime(div_u64(NSEC_PER_SEC, update_hz));
	sim->st.update_hz = update_hz;
	raw_spin_unlock_irqrestore(&sim->lock, flags);
	return 0;
}

/* Module init: fill in the page from the kernel's TSC frequency. */
int hvsim_page_init(struct hvsim *sim, unsigned int update_hz,
		    unsigned int hold_us)
{
	unsigned long flags;
	int err;

	if (hold_us > HVSIM_HOLD_US_MAX ||
	    !hvsim_rate_ok(update_hz, (u64)hold_us * NSEC_PER_USEC)) {
		pr_err("update_hz=%u hold_us=%u: update_hz must be 1..%u, hold_us 0..%u, and the holds less than half of every second\n",
		       update_hz, hold_us, HVSIM_UPDATE_HZ_MAX,
		       HVSIM_HOLD_US_MAX);
		return -EINVAL;
	}
	sim->tsc_hz = (u64)tsc_khz * 1000;
	err = hvsim_pvclock_scale(sim->tsc_hz, &sim->good_mul,
				  &sim->good_shift);
	if (err) {
		pr_err("TSC at %u kHz cannot be scaled to ns\n", tsc_khz);
		return err;
	}
	sim->mul = sim->good_mul;
	sim->shift = sim->good_shift;
	/*
	 * scale = 2^64 * 10^7 / tsc_hz, below 2^64 for any TSC above 10 MHz,
	 * which every x86 TSC is (tsc_khz is at least 1 MHz here, so check).
	 */
	if (sim->tsc_hz <= HVREF_HZ) {
		pr_err("TSC at %u kHz too slow for a reference page\n", tsc_khz);
		return -ERANGE;
	}
	sim->good_scale = mul_u64_u64_div_u64(1ULL << 63, 2 * HVREF_HZ,
					      sim->tsc_hz);
	sim->scale = sim->good_scale;

	sim->page = (void *)get_zeroed_page(GFP_KERNEL);
	if (!sim->page)
		return -ENOMEM;

	raw_spin_lock_irqsave(&sim->lock, flags);
	hvsim_rebase(sim, rdtsc_ordered(), ktime_get_raw_ns());
	hvsim_publish(sim);
	sim->period = ns_to_ktime(div_u64(NSEC_PER_SEC, update_hz));
	sim->hold = ns_to_ktime((u64)hold_us * NSEC_PER_USEC);
	sim->st.update_hz = update_hz;
	raw_spin_unlock_irqrestore(&sim->lock, flags);

	hrtimer_init(&sim->timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_HARD);
	sim->timer.function = hvsim_timer_fn;

	if (sim->format == TSCPAGE_FORMAT_PVCLOCK)
		pr_info("pvclock page: TSC %u kHz, mul %u shift %d, %s, %u updates/s, held %u us\n",
			tsc_khz, sim->mul, sim->shift,
			hvsim_pvclock_flags(sim) ? "TSC_STABLE" : "not TSC_STABLE",
			update_hz, hold_us);
	else
		pr_info("reference page: TSC %u kHz, scale %llu offset %lld, %u updates/s, held %u us\n",
			tsc_khz, sim->scale, sim->offset, update_hz, hold_us);
	return 0;
}

void hvsim_page_start(struct hvsim *sim)
{
	hrtimer_start(&sim->timer, sim->period, HRTIMER_MODE_REL_HARD);
}

void hvsim_page_stop(struct hvsim *sim)
{
	hrtimer_cancel(&sim->timer);
	free_page((unsigned long)sim->page);
}
