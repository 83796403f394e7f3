// SPDX-License-Identifier: GPL-2.0
/*
 * Reenlightenment: what tscpage does when the page changes under it.
 *
 * Two ways to hear of a change, one way to handle it:
 *  - the provider's notification (hvsim: an interrupt on one CPU), which
 *    tscpage acknowledges;
 *  - its own watch: every TSCPAGE_WATCH_MS the page is sampled and
 *    compared with the last parameters seen. This is how the kvm and
 *    hyperv providers, which do not notify (hyperv refuses the kernel's
 *    reenlightenment callback: see driver/providers/hyperv.c), see a
 *    migration, and how a hypervisor that forgets to notify is caught.
 * Either way: the page is re-validated, the change measured (the rate
 * before and after, the step of the clock at one TSC value, a pause:
 * GUEST_STOPPED newly set, the clocksource's count of pauses moved, or a
 * step back over which the guest did not run: see tscpage_hid_pause()),
 * the generation bumped if anything changed, an event appended for
 * read()/poll() and traced.
 *
 * The watch also keeps three defences: a page that steps back is no
 * longer trusted to be monotonic (every clocksource read is guarded from
 * then on, and clock_gettime() leaves the vDSO, which would not guard), a
 * page unusable for unusable_ms (and not readable another way, see
 * tscpage_provider.ref_ns) gets the clocksource withdrawn so the kernel
 * switches to another, and CPUs whose own pages disagree (their
 * TSCs out of step, see tscpage_clocksource_check_cpus()) take
 * clock_gettime() out of the vDSO.
 *
 * Context: the notification callback runs in any context, hard interrupt
 * included, and only queues tscpage_notify_work. Both work items run in
 * process context and hold tscpage_reenlighten_lock, which serialises
 * everything below that is not atomic.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/jiffies.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/smp.h>
#include <linux/workqueue.h>

#include "tscpage.h"
#include "trace.h"

/* How often the page is looked at. */
#define TSCPAGE_WATCH_MS	100
/*
 * A step of the clock smaller than this is rounding, not a change: KVM's
 * own re-anchoring moves kvmclock by nanoseconds.
 */
#define TSCPAGE_STEP_NS		10000

static unsigned int unusable_ms = 1000;
module_param(unusable_ms, uint, 0444);
MODULE_PARM_DESC(unusable_ms, "withdraw the clocksource after the page was unusable this long, 200..60000 ms, 0: never (default 1000)");

struct tscpage_migration_stats tscpage_migration_stats;

static DEFINE_MUTEX(tscpage_reenlighten_lock);
static const struct tscpage_provider *tscpage_rl_provider;
/*
 * Under the lock: the parameters last seen, and what we make of them;
 * tscpage_ref_pauses is the clocksource's count of pauses
 * (tscpage_clocksource_pauses()) when they were seen.
 */
static union tscpage_params tscpage_ref;
static u64 tscpage_ref_tsc;
static u32 tscpage_ref_pauses;
static bool tscpage_ref_valid;
/* A change the watch saw once and holds for one round (see below). */
static bool tscpage_change_held;
static u64 tscpage_unusable_since;
static bool tscpage_subscribed;

static atomic64_t tscpage_gen;
static u32 tscpage_khz;
/* The CPU the last notification arrived on. */
static unsigned int tscpage_notify_cpu;

static void tscpage_notify_fn(struct work_struct *work);
static void tscpage_watch_fn(struct work_struct *work);
static DECLARE_WORK(tscpage_notify_work, tscpage_notify_fn);
static DECLARE_DELAYED_WORK(tscpage_watch_work, tscpage_watch_fn);

u64 tscpage_generation(void)
{
	return atomic64_read(&tscpage_gen);
}

u32 tscpage_current_khz(void)
{
	return READ_ONCE(tscpage_khz);
}

/**
 * struct tscpage_change - the page now against tscpage_ref
 * @now:     the parameters now
 * @tsc:     the TSC value they were read with
 * @pauses:  the clocksource's count of pauses, read after them
 * @step:    clock by @now minus clock by the reference, both at @tsc
 * @flags:   TSCPAGE_EVENT_* that describe it
 * @old_khz: rate the reference implies
 * @new_khz: rate @now implies
 */
struct tscpage_change {
	union tscpage_params now;
	u64 tsc;
	u32 pauses;
	s64 step;
	u32 flags;
	u32 old_khz;
	u32 new_khz;
};

/* Adopt @c's parameters as the parameters last seen. Lock held. */
static void tscpage_ref_set(const struct tscpage_change *c)
{
	tscpage_ref = c->now;
	tscpage_ref_tsc = c->tsc;
	tscpage_ref_pauses = c->pauses;
	tscpage_ref_valid = true;
	/* The reads' witness of a pause counts from here. */
	tscpage_clocksource_presence_reset();
}

/*
 * Sample the provider's page into @c, then the clocksource's count of
 * pauses. Lock held (or, at start, no watch running yet).
 */
static int tscpage_watch_sample(const struct tscpage_provider *p,
				struct tscpage_change *c)
{
	int err = tscpage_params_sample(p->format, p->page, &c->now, &c->tsc);

	/*
	 * Pairs with the fully ordered cmpxchg() by which a clocksource read
	 * clears GUEST_STOPPED after counting the pause
	 * (tscpage_take_guest_stopped() in clocksource.c): if the sample
	 * found the flag of a pause already cleared by such a read, the
	 * count read below has moved.
	 */
	smp_rmb();
	c->pauses = tscpage_clocksource_pauses();
	return err;
}

/* Clock by @now minus clock by @ref, both at @tsc. */
static s64 tscpage_step_at(enum tscpage_format format,
			   const union tscpage_params *ref,
			   const union tscpage_params *now, u64 tsc)
{
	return tscpage_params_ns(format, now, tsc) -
	       tscpage_params_ns(format, ref, tsc);
}

/*
 * The page went from the reference parameters to the new ones somewhere
 * between the TSC the reference was last seen at and now. With the same
 * rate the step is the same anywhere in between. With a new rate it
 * differs from end to end: if it changes sign, the change was continuous
 * at some point in between (a re-anchored rate change) and the step is 0;
 * if not, the smaller end is the least the clock jumped.
 */
static s64 tscpage_step(enum tscpage_format format, const struct tscpage_change *c)
{
	s64 then = tscpage_step_at(format, &tscpage_ref, &c->now,
				   tscpage_ref_tsc);
	s64 now = tscpage_step_at(format, &tscpage_ref, &c->now, c->tsc);

	if (then < 0 ? now >= 0 : now < 0)
		return 0;
	return abs(then) < abs(now) ? then : now;
}

/*
 * The page hid a pause: the guest was stopped, and the clock the page
 * gives does not count the time it was (QEMU rebases kvmclock at a
 * 'cont'; the Hyper-V partition's reference time does not run while it
 * is stopped), while the TSC did. A Hyper-V page has no flag to say so,
 * and KVM's GUEST_STOPPED can be gone before any read here took it: KVM
 * keeps the flag in the page until the guest clears it, but the guest
 * has other hands on it (6.12's soft lockup timer clears its CPU's flag
 * on every run: watchdog_timer_fn(), kvm_check_and_clear_guest_paused()),
 * and the nested kvm-events row met one pause in five that came to the
 * watch 2.006 s back with neither the flag nor the count of pauses moved;
 * who took it there is not known.
 *
 * So a step back is also taken for a pause when it is longer than the
 * watch's period and yet leaves the page at or ahead of where it was at
 * the watch's last look: the clock did not go behind anything the watch
 * saw. Over pvclock, where that is the last resort after the flag and
 * the count, the step must also be longer than two periods, and the
 * reads must say the guest did not run for about that long
 * (tscpage_clocksource_absent(): every CPU went the step less half a
 * period without reading the clock). Why the reads and not the watch's
 * own absence: a page that steps back holds the kernel's clock, and the
 * watch's timer with it, so by the TSC the watch is away about as long
 * as the step whatever made the step (hvsim's torn and stuck_back), but
 * while the guest runs some CPU keeps reading the clock. A step back
 * within the period (a page rebased by a millisecond, hvsim's backward
 * fault) stays BACKWARD. What this cannot tell apart over Hyper-V's page:
 * a real step back longer than the watch's period at a moment the watch
 * was kept from running for longer still; over pvclock with tscpage not
 * the kernel's clock, a pause whose flag was lost stays BACKWARD. Lock
 * held.
 */
static bool tscpage_hid_pause(enum tscpage_format format,
			      const struct tscpage_change *c)
{
	s64 period = (s64)TSCPAGE_WATCH_MS * NSEC_PER_MSEC;
	s64 since = tscpage_params_ns(format, &c->now, c->tsc) -
		    tscpage_params_ns(format, &tscpage_ref, tscpage_ref_tsc);
	u32 khz;

	if (c->step >= -period || since < 0)
		return false;
	if (format == TSCPAGE_FORMAT_HVREF)
		return true;
	khz = tscpage_params_khz(format, &c->now);
	return c->step < -2 * period && khz &&
	       tscpage_clocksource_absent(c->tsc,
					  mul_u64_u32_div(-c->step - period / 2,
							  khz, USEC_PER_SEC));
}

/*
 * A change is a new rate, a step beyond rounding, or a pause: GUEST_STOPPED
 * newly set, or the clocksource's count of pauses moved since the
 * reference (a read cleared the flag before we could see it: kvm), or a
 * page that hid one (tscpage_hid_pause()). A step back is
 * BACKWARD unless a pause says the guest was paused: then it is the pause
 * being hidden from the clock (what KVM does when the VM is stopped), and
 * nobody was running to see time go back. Lock held.
 */
static void tscpage_compare(enum tscpage_format format,
			    struct tscpage_change *c)
{
	const union tscpage_params *ref = &tscpage_ref;
	bool stopped = false;

	c->flags = 0;
	c->old_khz = tscpage_params_khz(format, ref);
	c->new_khz = tscpage_params_khz(format, &c->now);
	c->step = tscpage_step(format, c);

	if (format == TSCPAGE_FORMAT_PVCLOCK) {
		stopped = (c->now.pvclock.flags &
			   TSCPAGE_PVCLOCK_GUEST_STOPPED) &&
			  !(ref->pvclock.flags & TSCPAGE_PVCLOCK_GUEST_STOPPED);
		/*
		 * A moved count is a pause the reference has not seen,
		 * unless the reference has the flag set: then a read took
		 * that very flag, and this is the same pause.
		 */
		stopped |= c->pauses != tscpage_ref_pauses &&
			   !(ref->pvclock.flags & TSCPAGE_PVCLOCK_GUEST_STOPPED);
		/* Neither says so: the last resort, tscpage_hid_pause(). */
		stopped = stopped || tscpage_hid_pause(format, c);
		if (c->now.pvclock.tsc_to_system_mul !=
		    ref->pvclock.tsc_to_system_mul ||
		    c->now.pvclock.tsc_shift != ref->pvclock.tsc_shift)
			c->flags |= TSCPAGE_EVENT_CHANGED;
	} else {
		if (c->now.hvref.tsc_scale != ref->hvref.tsc_scale)
			c->flags |= TSCPAGE_EVENT_CHANGED;
		stopped = tscpage_hid_pause(format, c);
	}
	if (stopped)
		c->flags |= TSCPAGE_EVENT_CHANGED | TSCPAGE_EVENT_GUEST_STOPPED;
	if (c->step > TSCPAGE_STEP_NS || c->step < -TSCPAGE_STEP_NS)
		c->flags |= TSCPAGE_EVENT_CHANGED;
	if (c->step < -TSCPAGE_STEP_NS && !stopped)
		c->flags |= TSCPAGE_EVENT_BACKWARD;
}

/*
 * Record what happened and adopt the new parameters. The generation grows
 * with a change of the page and with every notification: the provider's
 * word that the TSC changed is reason enough for a program that calibrated
 * it to do so again. Lock held.
 */
static void tscpage_record(u32 type, unsigned int cpu,
			   const struct tscpage_change *c, u32 flags)
{
	struct tscpage_event e = {
		.type = type,
		.flags = flags,
		.cpu = cpu,
		.old_tsc_khz = c->old_khz,
		.new_tsc_khz = c->new_khz,
		.step_ns = c->step,
		.guest_ns = ktime_get_ns(),
	};

	if ((flags & TSCPAGE_EVENT_CHANGED) || type == TSCPAGE_EVENT_NOTIFIED)
		atomic64_inc(&tscpage_gen);
	if ((flags & TSCPAGE_EVENT_BACKWARD) &&
	    !tscpage_migration_stats.distrust) {
		/*
		 * Read locklessly by the clocksource: from its next read on,
		 * every read goes through the monotonic guard.
		 */
		WRITE_ONCE(tscpage_migration_stats.distrust, 1);
		pr_warn("the %s page stepped back by %lld ns: no longer trusted to be monotonic, every read is guarded\n",
			tscpage_rl_provider->name, -c->step);
		/* The vDSO reads the page unguarded: not any more. */
		tscpage_clocksource_vdso_off("the page stepped back");
	}
	e.generation = tscpage_generation();
	tscpage_ref_set(c);
	tscpage_change_held = false;
	if (c->new_khz)
		WRITE_ONCE(tscpage_khz, c->new_khz);
	trace_tscpage_event(&e);
	tscpage_event_add(&e);
}

/*
 * Any context. Only hands over to process context: the page is
 * re-validated and the provider acknowledged from there.
 */
static void tscpage_notify(unsigned int cpu)
{
	trace_tscpage_notify(cpu);
	WRITE_ONCE(tscpage_notify_cpu, cpu);
	queue_work(system_highpri_wq, &tscpage_notify_work);
}

static void tscpage_notify_fn(struct work_struct *work)
{
	const struct tscpage_provider *p = tscpage_rl_provider;
	struct tscpage_change c = { };
	union tscpage_params after;
	bool still_stopped = false;
	u64 tsc;
	u32 flags;
	int err;

	mutex_lock(&tscpage_reenlighten_lock);
	tscpage_migration_stats.notifications++;
	err = tscpage_watch_sample(p, &c);
	if (!err && tscpage_ref_valid) {
		tscpage_compare(p->format, &c);
		flags = c.flags;
	} else {
		/*
		 * A page we cannot read, or nothing yet to compare it with:
		 * the event says only that the provider spoke; the watch
		 * deals with an unusable page. Acknowledged all the same: the
		 * hypervisor (hvsim) keeps emulating the TSC until it hears
		 * back.
		 */
		if (err)
			c.now = tscpage_ref;
		c.new_khz = tscpage_params_khz(p->format, &c.now);
		flags = 0;
	}
	if (p->ack) {
		p->ack();
		tscpage_migration_stats.acks++;
		trace_tscpage_ack(p->name, tscpage_migration_stats.acks);
		flags |= TSCPAGE_EVENT_ACKED;
		/*
		 * A provider that clears GUEST_STOPPED on the acknowledgment
		 * has done so by now; one whose acknowledgment was lost still
		 * shows it. Looked at here, before tscpage_record() makes the
		 * event visible: a program that acts on the event (the next
		 * migration, in hvsim_migrate) could otherwise set the flag
		 * again before this look, and the reference would keep it. A
		 * read that fails (the page mid-update for the whole retry
		 * bound) does not say the flag is still there.
		 */
		still_stopped = p->format == TSCPAGE_FORMAT_PVCLOCK &&
				!tscpage_params_sample(p->format, p->page,
						       &after, &tsc) &&
				(after.pvclock.flags &
				 TSCPAGE_PVCLOCK_GUEST_STOPPED);
	}
	if (err)
		pr_warn("notified of a change, but the %s page is unusable (%d)\n",
			p->name, err);
	tscpage_record(TSCPAGE_EVENT_NOTIFIED, READ_ONCE(tscpage_notify_cpu),
		       &c, flags);
	/*
	 * The reference must not keep a flag the acknowledgment cleared, or
	 * the next migration's would not count as newly set; a flag the
	 * page still shows (the acknowledgment lost) stays in it, so it is
	 * not reported again.
	 */
	if (p->ack && p->format == TSCPAGE_FORMAT_PVCLOCK && !still_stopped)
		tscpage_ref.pvclock.flags &= ~TSCPAGE_PVCLOCK_GUEST_STOPPED;
	mutex_unlock(&tscpage_reenlighten_lock);
}

static void tscpage_withdraw(const struct tscpage_provider *p, u64 ms)
{
	struct tscpage_change c = {
		.now = tscpage_ref,
		.tsc = tscpage_ref_tsc,
		.pauses = tscpage_ref_pauses,
	};

	pr_warn("the %s page has been unusable for %llu ms: withdrawing clocksource tscpage, the kernel switches to another\n",
		p->name, ms);
	tscpage_clocksource_unregister();
	WRITE_ONCE(tscpage_migration_stats.withdrawn, 1);
	c.old_khz = tscpage_params_khz(p->format, &tscpage_ref);
	c.new_khz = c.old_khz;
	tscpage_record(TSCPAGE_EVENT_WITHDRAWN, raw_smp_processor_id(), &c, 0);
}

/*
 * The watch, every TSCPAGE_WATCH_MS. A change is reported only when it
 * is still there one round later, because a migration's page appears
 * before its notification does: a notification in between takes it over
 * (tscpage_record() drops the held change). A step back is reported at
 * once: no notification makes it right.
 */
static void tscpage_watch_fn(struct work_struct *work)
{
	const struct tscpage_provider *p = tscpage_rl_provider;
	struct tscpage_change c;
	u64 now = ktime_get_ns();
	u64 ms;
	int err;

	mutex_lock(&tscpage_reenlighten_lock);
	tscpage_clocksource_check_cpus();
	err = tscpage_watch_sample(p, &c);
	if (err == -ENODATA && p->ref_ns) {
		/*
		 * Marked invalid, but the clocksource reads its clock another
		 * way (tscpage_provider.ref_ns): not unusable, and nothing to
		 * compare until the page is valid again.
		 */
		tscpage_unusable_since = 0;
		goto out;
	}
	if (err) {
		if (!tscpage_unusable_since)
			tscpage_unusable_since = now;
		ms = div_u64(now - tscpage_unusable_since, NSEC_PER_MSEC);
		if (unusable_ms && ms >= unusable_ms &&
		    !tscpage_migration_stats.withdrawn)
			tscpage_withdraw(p, ms);
		goto out;
	}
	tscpage_unusable_since = 0;
	if (!tscpage_ref_valid) {
		tscpage_ref_set(&c);
		goto out;
	}
	tscpage_compare(p->format, &c);
	if (!(c.flags & TSCPAGE_EVENT_CHANGED)) {
		/* Follow the re-anchoring of a healthy page. */
		tscpage_ref_set(&c);
		tscpage_change_held = false;
	} else if (tscpage_change_held || (c.flags & TSCPAGE_EVENT_BACKWARD)) {
		tscpage_migration_stats.detections++;
		tscpage_record(TSCPAGE_EVENT_DETECTED, raw_smp_processor_id(),
			       &c, c.flags);
	} else {
		tscpage_change_held = true;
	}
out:
	mutex_unlock(&tscpage_reenlighten_lock);
	queue_delayed_work(system_wq, &tscpage_watch_work,
			   msecs_to_jiffies(TSCPAGE_WATCH_MS));
}

/*
 * Distrust is sticky: no migration, pause or quiet time clears it. A page
 * that stepped back once has shown its hypervisor can, and no later page
 * proves it will not again. The price: every read's compare-exchange on
 * one global line, and clock_gettime() through the syscall. Whoever knows
 * the cause is gone clears it by hand (debugfs's distrust, written 0),
 * and the next step back sets it again. The vDSO claim given up with it
 * stays given up until reload: the page the vDSO would read is the one
 * that stepped back. Process context (a debugfs write); the next read
 * after the store is unguarded, a read in flight may still be guarded
 * once.
 */
void tscpage_reenlighten_trust_again(void)
{
	mutex_lock(&tscpage_reenlighten_lock);
	if (tscpage_migration_stats.distrust) {
		WRITE_ONCE(tscpage_migration_stats.distrust, 0);
		pr_info("the %s page is trusted to be monotonic again: distrust cleared by hand\n",
			tscpage_rl_provider->name);
	}
	mutex_unlock(&tscpage_reenlighten_lock);
}

/*
 * Module init, process context, before anything is set up: a bad
 * parameter must refuse the load while nobody can have seen the module.
 */
int tscpage_reenlighten_check_params(void)
{
	if (unusable_ms && (unusable_ms < 200 || unusable_ms > 60000)) {
		pr_err("unusable_ms=%u out of range 200..60000 (or 0)\n",
		       unusable_ms);
		return -EINVAL;
	}
	return 0;
}

/* Module init, process context, after the clocksource is registered. */
void tscpage_reenlighten_start(const struct tscpage_provider *provider)
{
	struct tscpage_change c;
	int err;

	tscpage_rl_provider = provider;
	mutex_lock(&tscpage_reenlighten_lock);
	if (!tscpage_watch_sample(provider, &c)) {
		tscpage_ref_set(&c);
		WRITE_ONCE(tscpage_khz, tscpage_params_khz(provider->format,
							   &c.now));
	}
	mutex_unlock(&tscpage_reenlighten_lock);

	if (provider->subscribe) {
		err = provider->subscribe(tscpage_notify);
		if (!err)
			tscpage_subscribed = true;
		else
			pr_warn("%s notifications not available (%d): migrations are seen by watching the page only\n",
				provider->name, err);
	}
	queue_delayed_work(system_wq, &tscpage_watch_work,
			   msecs_to_jiffies(TSCPAGE_WATCH_MS));
}

/*
 * Module exit, process context. Once unsubscribed no notification can
 * queue the work again; the watch re-queues itself, which
 * cancel_delayed_work_sync() allows for.
 */
void tscpage_reenlighten_stop(void)
{
	if (tscpage_subscribed)
		tscpage_rl_provider->unsubscribe();
	tscpage_subscribed = false;
	cancel_work_sync(&tscpage_notify_work);
	cancel_delayed_work_sync(&tscpage_watch_work);
}
