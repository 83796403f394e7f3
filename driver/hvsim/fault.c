// SPDX-License-Identifier: GPL-2.0
/*
 * The fault catalogue: a hypervisor that gets the page wrong in each of
 * the ways Documentation/hvsim.rst lists, one fault at a time, for a
 * given time. Each fault is one case in each of three places:
 *
 *   hvsim_fault_start()     what the fault does when it starts
 *   hvsim_fault_tick() and
 *   hvsim_fault_override()  what it does to each rewrite while active
 *   hvsim_fault_stop()      how the page is made right again
 *
 * Start and stop run in process context with ctl_lock held; tick and
 * override with sim->lock held, interrupts off (from the timer).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/jiffies.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/workqueue.h>
#include <asm/tsc.h>

#include "hvsim.h"

#define HVSIM_FAULT_STEP_MAX_NS		(10 * NSEC_PER_SEC)
#define HVSIM_FAULT_BACKWARD_NS		NSEC_PER_MSEC
#define HVSIM_FAULT_FORWARD_NS		(50 * NSEC_PER_MSEC)
#define HVSIM_FAULT_PPM_MAX		100000
#define HVSIM_FAULT_PPM			1000
/* torn on a Hyper-V page: the offset published early, this far behind. */
#define HVSIM_FAULT_TORN_100NS		10000
/*
 * torn: how long the fault's first torn half stays, longer than three of
 * tscpage's watch periods (100 ms): hvsim_torn_half().
 */
#define HVSIM_FAULT_TORN_FIRST_NS	(350 * NSEC_PER_MSEC)

/* From the catalogue, include/uapi/linux/tscpage_hvsim_faults.h. */
#define HVSIM_ON_PVCLOCK	BIT(TSCPAGE_FORMAT_PVCLOCK)
#define HVSIM_ON_HVREF		BIT(TSCPAGE_FORMAT_HVREF)
#define HVSIM_ON_BOTH		(HVSIM_ON_PVCLOCK | HVSIM_ON_HVREF)

/*
 * Each fault's name, and the page formats it exists on (a fault of a field
 * the other format does not have).
 */
static const struct hvsim_fault_info {
	const char *name;
	u8 formats;
} hvsim_faults[TSCPAGE_HVSIM_FAULT_COUNT] = {
#define TSCPAGE_HVSIM_FAULT(id, name, formats, ...)			\
	[TSCPAGE_HVSIM_FAULT_##id] = { name, HVSIM_ON_##formats },
#include <linux/tscpage_hvsim_faults.h>
#undef TSCPAGE_HVSIM_FAULT
};

static bool hvsim_fault_applies(enum tscpage_hvsim_fault f,
				enum tscpage_format format)
{
	return hvsim_faults[f].formats & BIT(format);
}

static int hvsim_fault_check(const struct hvsim *sim,
			     const struct tscpage_hvsim_fault_req *req)
{
	s64 arg = req->arg;

	if (req->reserved[0] || req->reserved[1] ||
	    req->fault >= TSCPAGE_HVSIM_FAULT_COUNT)
		return -EINVAL;
	if (req->fault == TSCPAGE_HVSIM_FAULT_NONE)
		return req->for_ms || arg ? -EINVAL : 0;
	if (req->for_ms < 1 || req->for_ms > TSCPAGE_HVSIM_FOR_MS_MAX)
		return -EINVAL;
	switch (req->fault) {
	case TSCPAGE_HVSIM_FAULT_BACKWARD:
	case TSCPAGE_HVSIM_FAULT_FORWARD:
		if (arg < 0 || arg > HVSIM_FAULT_STEP_MAX_NS)
			return -EINVAL;
		break;
	case TSCPAGE_HVSIM_FAULT_WRONG_RATE:
		if (arg < -HVSIM_FAULT_PPM_MAX || arg > HVSIM_FAULT_PPM_MAX)
			return -EINVAL;
		break;
	default:
		if (arg)
			return -EINVAL;
	}
	if (!hvsim_fault_applies(req->fault, sim->format))
		return -EOPNOTSUPP;
	if (sim->fault != TSCPAGE_HVSIM_FAULT_NONE)
		return -EBUSY;
	/* The faults that notify: refused now, not after a rewrite. */
	if ((req->fault == TSCPAGE_HVSIM_FAULT_NOTIFY_NOCHANGE ||
	     req->fault == TSCPAGE_HVSIM_FAULT_NO_ACK) &&
	    hvsim_notify_busy(sim))
		return -EBUSY;
	return 0;
}

/*
 * Run the clock at (1 + ppm / 10^6) times its right rate from now on,
 * continuously; ppm 0 puts the right rate back. sim->lock held.
 */
static void hvsim_set_rate_error(struct hvsim *sim, s64 ppm)
{
	u64 tsc = rdtsc_ordered();
	u64 ns = hvsim_clock_ns(sim, tsc);
	u64 mul;

	if (sim->format == TSCPAGE_FORMAT_HVREF) {
		sim->scale = mul_u64_u64_div_u64(sim->good_scale,
						 USEC_PER_SEC + ppm,
						 USEC_PER_SEC);
	} else {
		mul = div_u64((u64)sim->good_mul * (USEC_PER_SEC + ppm),
			      USEC_PER_SEC);
		sim->shift = sim->good_shift;
		/* Keep mul in 32 bits: halve it and shift once more. */
		if (mul > U32_MAX) {
			mul >>= 1;
			sim->shift++;
		}
		sim->mul = mul;
	}
	hvsim_rebase(sim, tsc, ns);
}

/*
 * The active fault does something to the page itself (the faults about
 * notifications do not). Either lock held.
 */
bool hvsim_page_spoiled(const struct hvsim *sim)
{
	switch (sim->fault) {
	case TSCPAGE_HVSIM_FAULT_NONE:
	case TSCPAGE_HVSIM_FAULT_NOTIFY_NOCHANGE:
	case TSCPAGE_HVSIM_FAULT_CHANGE_NONOTIFY:
	case TSCPAGE_HVSIM_FAULT_NO_ACK:
	case TSCPAGE_HVSIM_FAULT_NOTIFY_LATE:
	case TSCPAGE_HVSIM_FAULT_PAUSE_NOFLAG:
		return false;
	default:
		return true;
	}
}

/* Process context, ctl_lock held: TSCPAGE_HVSIM_IOC_FAULT. */
int hvsim_fault_start(struct hvsim *sim,
		      const struct tscpage_hvsim_fault_req *req)
{
	struct tscpage_hvsim_migrate m = {
		.blackout_ms = HVSIM_FAULT_BLACKOUT_MS,
		.cpu = -1,
	};
	enum tscpage_hvsim_fault f = req->fault;
	unsigned long flags;
	s64 arg = req->arg;
	u64 tsc;
	int err;

	lockdep_assert_held(&sim->ctl_lock);
	err = hvsim_fault_check(sim, req);
	if (err)
		return err;
	if (f == TSCPAGE_HVSIM_FAULT_NONE) {
		hvsim_fault_stop(sim);
		return 0;
	}

	raw_spin_lock_irqsave(&sim->lock, flags);
	hvsim_settle(sim);
	sim->fault = f;
	sim->st.fault = f;
	sim->fault_phase = 0;
	sim->fault_until = ktime_add_ms(ktime_get(), req->for_ms);
	switch (f) {
	case TSCPAGE_HVSIM_FAULT_STUCK_BACK:
		/* Where the clock resumes: hvsim_fault_stop(). */
		sim->fault_ns = hvsim_clock_ns(sim, rdtsc_ordered());
		fallthrough;
	case TSCPAGE_HVSIM_FAULT_STUCK_ODD:
	case TSCPAGE_HVSIM_FAULT_SEQ_ZERO:
		/* Begun and never ended: hvsim_fault_tick() skips rewrites. */
		hvsim_begin(sim);
		break;
	case TSCPAGE_HVSIM_FAULT_BACKWARD:
	case TSCPAGE_HVSIM_FAULT_FORWARD:
		if (!arg)
			arg = f == TSCPAGE_HVSIM_FAULT_BACKWARD ?
			      HVSIM_FAULT_BACKWARD_NS : HVSIM_FAULT_FORWARD_NS;
		if (f == TSCPAGE_HVSIM_FAULT_BACKWARD)
			arg = -arg;
		tsc = rdtsc_ordered();
		hvsim_rebase(sim, tsc, hvsim_clock_ns(sim, tsc) + arg);
		hvsim_publish(sim);
		break;
	case TSCPAGE_HVSIM_FAULT_WRONG_RATE:
		hvsim_set_rate_error(sim, arg ? arg : HVSIM_FAULT_PPM);
		hvsim_publish(sim);
		break;
	case TSCPAGE_HVSIM_FAULT_ZERO_MUL:
	case TSCPAGE_HVSIM_FAULT_HUGE_MUL:
	case TSCPAGE_HVSIM_FAULT_BAD_SHIFT:
	case TSCPAGE_HVSIM_FAULT_STABLE_FLAP:
	case TSCPAGE_HVSIM_FAULT_ANCHOR_AHEAD:
		/*
		 * Every rewrite from now on: hvsim_fault_override(), or
		 * for anchor_ahead hvsim_begin_pvclock().
		 */
		hvsim_publish(sim);
		break;
	default:
		/* torn: the rewrites; the notification faults: below. */
		break;
	}
	raw_spin_unlock_irqrestore(&sim->lock, flags);

	switch (f) {
	case TSCPAGE_HVSIM_FAULT_NOTIFY_NOCHANGE:
		err = hvsim_notify(sim, -1);
		break;
	case TSCPAGE_HVSIM_FAULT_CHANGE_NONOTIFY:
		err = hvsim_migrate(sim, &m, HVSIM_MIGRATE_HIDE |
					     HVSIM_MIGRATE_NONOTIFY);
		break;
	case TSCPAGE_HVSIM_FAULT_PAUSE_NOFLAG:
		/*
		 * A pause whose GUEST_STOPPED the guest never sees, as if
		 * something else took it first: what the nested kvm-events
		 * row met once over a real KVM.
		 */
		m.blackout_ms = HVSIM_FAULT_PAUSE_MS;
		err = hvsim_migrate(sim, &m, HVSIM_MIGRATE_HIDE |
					     HVSIM_MIGRATE_NONOTIFY |
					     HVSIM_MIGRATE_NOFLAG);
		break;
	case TSCPAGE_HVSIM_FAULT_NO_ACK:
		err = hvsim_migrate(sim, &m, 0);
		break;
	case TSCPAGE_HVSIM_FAULT_NOTIFY_LATE:
		/*
		 * The guest runs on the destination's page, untold, until
		 * the fault ends: hvsim_fault_stop() sends what it owes.
		 */
		err = hvsim_migrate(sim, &m, HVSIM_MIGRATE_NONOTIFY);
		if (!err) {
			raw_spin_lock_irqsave(&sim->lock, flags);
			sim->fault_phase = 1;
			raw_spin_unlock_irqrestore(&sim->lock, flags);
		}
		break;
	default:
		break;
	}
	if (err) {
		hvsim_fault_stop(sim);
		return err;
	}
	pr_info("fault %s for %u ms\n", hvsim_faults[f].name, req->for_ms);
	mod_delayed_work(system_wq, &sim->fault_end,
			 msecs_to_jiffies(req->for_ms));
	return 0;
}

/*
 * Process context, ctl_lock held: end the active fault, page made right;
 * notify_late's notification, if its migration was done.
 */
void hvsim_fault_stop(struct hvsim *sim)
{
	enum tscpage_hvsim_fault f;
	unsigned long flags;
	bool owed;
	int err;

	lockdep_assert_held(&sim->ctl_lock);
	raw_spin_lock_irqsave(&sim->lock, flags);
	f = sim->fault;
	owed = f == TSCPAGE_HVSIM_FAULT_NOTIFY_LATE && sim->fault_phase;
	switch (f) {
	case TSCPAGE_HVSIM_FAULT_NONE:
		raw_spin_unlock_irqrestore(&sim->lock, flags);
		return;
	case TSCPAGE_HVSIM_FAULT_STUCK_ODD:
	case TSCPAGE_HVSIM_FAULT_SEQ_ZERO:
		hvsim_end(sim);
		break;
	case TSCPAGE_HVSIM_FAULT_STUCK_BACK:
		/*
		 * The time the page was stuck hidden from the clock, as a
		 * hypervisor that rebases the page after stopping the guest's
		 * clock would: the new page resumes where the stuck one
		 * stopped, behind any reader that went on by extrapolating.
		 */
		hvsim_rebase(sim, rdtsc_ordered(), sim->fault_ns);
		/*
		 * The stuck page still holds the old line: ending it as it
		 * is would show readers on other CPUs the old line, valid,
		 * for a moment, and the rebased page after it a step back
		 * (6.12-rt, fault_matrix: page and monotonic backward). So
		 * it gets the new line while still mid-update.
		 */
		hvsim_refill(sim);
		hvsim_end(sim);
		break;
	case TSCPAGE_HVSIM_FAULT_WRONG_RATE:
		hvsim_set_rate_error(sim, 0);
		break;
	default:
		hvsim_settle(sim);
		break;
	}
	sim->fault = TSCPAGE_HVSIM_FAULT_NONE;
	sim->st.fault = TSCPAGE_HVSIM_FAULT_NONE;
	/*
	 * A whole rewrite by the clock's own parameters: it undoes torn and
	 * the spoiled fields. backward and forward stay where they put it.
	 */
	hvsim_publish(sim);
	raw_spin_unlock_irqrestore(&sim->lock, flags);
	pr_info("fault %s ended\n", hvsim_faults[f].name);
	if (!owed)
		return;
	/*
	 * Busy: a migration meanwhile notified, and its notification is
	 * still on the way; the guest hears of this one with it.
	 */
	err = hvsim_notify(sim, -1);
	if (err)
		pr_warn("notify_late: the late notification was not sent (%d)\n",
			err);
}

/*
 * Process context (system_wq): the active fault's time is up, or nearly.
 * The work was queued in jiffies and the deadline is in ktime: a timer
 * wheel expiry can come up to a jiffy early, and a fault that runs the
 * clock fast (wrong_rate with tscpage current) moves ktime against the
 * jiffies too. Early, it re-arms itself for what is left rather than
 * leave the fault on for good (seen on 6.12-rt: wrong_rate still active,
 * fault_ms_left 0, and fault_matrix's "the simulator's fault did not
 * end").
 */
void hvsim_fault_end_work(struct work_struct *work)
{
	struct hvsim *sim = container_of(to_delayed_work(work), struct hvsim,
					 fault_end);
	s64 left;

	mutex_lock(&sim->ctl_lock);
	if (sim->fault != TSCPAGE_HVSIM_FAULT_NONE) {
		left = ktime_to_ns(ktime_sub(sim->fault_until, ktime_get()));
		if (left <= 0)
			hvsim_fault_stop(sim);
		else
			mod_delayed_work(system_wq, &sim->fault_end,
					 msecs_to_jiffies(div_u64(left, NSEC_PER_MSEC) + 1));
	}
	mutex_unlock(&sim->ctl_lock);
}

/*
 * A pseudo-random quarter to three quarters of @period, in ns. sim->lock
 * held.
 */
static u64 hvsim_torn_length(struct hvsim *sim, u64 period)
{
	sim->fault_rand = sim->fault_rand * 6364136223846793005ULL +
			  1442695040888963407ULL;
	return period / 4 + mul_u64_u32_shr(period / 2, sim->fault_rand >> 32,
					    32);
}

/*
 * A torn update: the fields rewritten with no version bump (no sequence
 * change), in two halves about half a period apart, so that readers meet
 * the inconsistent pair whether or not the vCPUs run in parallel.
 * pvclock: the new tsc_timestamp first, its system_time later; in between
 * the page is behind by the time since the last anchor. Hyper-V: an
 * offset 1 ms behind first, the right one later. fault_phase counts the
 * halves: even ones are torn.
 */
static void hvsim_torn_half(struct hvsim *sim, ktime_t *next)
{
	u64 period = ktime_to_ns(sim->period);
	struct tscpage_pvclock *pv = sim->pvclock;
	struct tscpage_hvref *hv = sim->hvref;
	bool torn = !(sim->fault_phase & 1);
	u64 tsc;

	if (sim->format == TSCPAGE_FORMAT_HVREF) {
		WRITE_ONCE(hv->tsc_offset, torn ?
			   sim->offset - HVSIM_FAULT_TORN_100NS : sim->offset);
	} else if (torn) {
		WRITE_ONCE(pv->tsc_timestamp, rdtsc_ordered());
	} else {
		tsc = READ_ONCE(pv->tsc_timestamp);
		WRITE_ONCE(pv->system_time, hvsim_clock_ns(sim, tsc));
	}
	/*
	 * The first torn half stays HVSIM_FAULT_TORN_FIRST_NS, so that
	 * tscpage's watch, which looks at the page every 100 ms, meets it
	 * whatever the vCPUs' scheduling: with every half a fraction of a
	 * period, drawn at random, the watch still never met one in 3 s on
	 * 6.12-rt in CI ('torn (3000 ms, format pvclock): distrust 1, 0
	 * event(s); detected never'), as it had not in 2 s on 6.1 and 6.12
	 * with the halves of fixed length: under TCG the vCPUs take turns
	 * in slices longer than the page's period, and the phase the watch
	 * found was not random. Every later half lasts a pseudo-random
	 * quarter to three quarters of the period, for readers to race.
	 */
	if (!sim->fault_phase)
		*next = ns_to_ktime(max_t(u64, HVSIM_FAULT_TORN_FIRST_NS, period));
	else
		*next = ns_to_ktime(hvsim_torn_length(sim, period) + 1);
	sim->fault_phase++;
}

/*
 * From the timer, sim->lock held: true if the active fault did this
 * rewrite itself (and set *@next), false for an ordinary rewrite.
 */
bool hvsim_fault_tick(struct hvsim *sim, ktime_t *next)
{
	switch (sim->fault) {
	case TSCPAGE_HVSIM_FAULT_STUCK_ODD:
	case TSCPAGE_HVSIM_FAULT_SEQ_ZERO:
	case TSCPAGE_HVSIM_FAULT_STUCK_BACK:
		return true;
	case TSCPAGE_HVSIM_FAULT_TORN:
		hvsim_torn_half(sim, next);
		return true;
	case TSCPAGE_HVSIM_FAULT_STABLE_FLAP:
		sim->fault_phase ^= 1;
		return false;
	default:
		return false;
	}
}

/*
 * From hvsim_begin(), sim->lock held, between the two halves of the
 * protocol: spoil the fields the active fault spoils. "Absurd" is a rate
 * no TSC has: a pvclock page saying a cycle is about 1 us (a TSC below
 * 1 MHz), a Hyper-V page saying it is 2^-63 of 100 ns.
 */
void hvsim_fault_override(struct hvsim *sim)
{
	struct tscpage_pvclock *pv = sim->pvclock;
	struct tscpage_hvref *hv = sim->hvref;
	bool pvclock = sim->format == TSCPAGE_FORMAT_PVCLOCK;

	switch (sim->fault) {
	case TSCPAGE_HVSIM_FAULT_ZERO_MUL:
		if (pvclock)
			WRITE_ONCE(pv->tsc_to_system_mul, 0);
		else
			WRITE_ONCE(hv->tsc_scale, 0);
		break;
	case TSCPAGE_HVSIM_FAULT_HUGE_MUL:
		if (pvclock) {
			WRITE_ONCE(pv->tsc_to_system_mul, U32_MAX);
			WRITE_ONCE(pv->tsc_shift, 10);
		} else {
			WRITE_ONCE(hv->tsc_scale, 2);
		}
		break;
	case TSCPAGE_HVSIM_FAULT_BAD_SHIFT:
		WRITE_ONCE(pv->tsc_shift, TSCPAGE_PVCLOCK_SHIFT_MAX + 8);
		break;
	case TSCPAGE_HVSIM_FAULT_STABLE_FLAP:
		if (sim->fault_phase)
			WRITE_ONCE(pv->flags,
				   pv->flags & ~TSCPAGE_PVCLOCK_TSC_STABLE);
		break;
	default:
		break;
	}
}
