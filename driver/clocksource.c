// SPDX-License-Identifier: GPL-2.0
/*
 * The tscpage clocksource: kernel time read from the provider's page.
 *
 * The clocksource counts nanoseconds (registered at 1 GHz) for both page
 * formats, so the timekeeping core's mult/shift are the identity and all
 * the scaling is the page's own.
 *
 * Context: ->read() runs in any context, NMI included, on any CPU, with
 * or without preemption (PREEMPT_RT reads time preemptibly). It takes no
 * lock and never sleeps; it keeps preemption off while it touches this
 * CPU's copy of the last good parameters and its statistics and, where
 * the provider has a page per CPU (kvm), this CPU's page, whose
 * GUEST_STOPPED it clears with one cmpxchg() (tscpage_take_guest_stopped()),
 * and once per pause CPU 0's page, whose TSC_STABLE it may clear the same
 * way while that page is stale (tscpage_withhold_stale_cpu0()).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/build_bug.h>
#include <linux/cache.h>
#include <linux/clocksource.h>
#include <linux/delay.h>
#include <linux/math64.h>
#include <linux/mutex.h>
#include <linux/nmi.h>
#include <linux/percpu.h>
#include <linux/preempt.h>
#include <linux/printk.h>
#include <linux/stddef.h>
#include <linux/time64.h>
#include <asm/tsc.h>
#include <tscpage/reader.h>

#include "tscpage.h"
#include "trace.h"

static_assert(sizeof(struct tscpage_pvclock) == 32);
static_assert(offsetof(struct tscpage_pvclock, tsc_timestamp) == 8);
static_assert(offsetof(struct tscpage_pvclock, tsc_to_system_mul) == 24);
static_assert(offsetof(struct tscpage_pvclock, flags) == 29);
static_assert(sizeof(struct tscpage_hvref) == 24);
static_assert(offsetof(struct tscpage_hvref, tsc_offset) == 16);

static const void *tscpage_page;
/* TSCPAGE_SPIN_US in TSC cycles, set at registration. */
static u64 tscpage_spin_cycles;
/* The provider's per-CPU pages, or NULL (tscpage_provider.cpu_pages). */
static void * __percpu *tscpage_cpu_pages;

/*
 * The last parameters this CPU read consistently from the page. When the
 * page cannot be read (stuck mid-update, marked invalid, unusable
 * parameters) time goes on from these at their rate instead of stopping.
 * Written only by its own CPU with preemption disabled; read only there,
 * but an interrupt or NMI on that CPU may read or write them in the middle
 * of an update: <tscpage/lastgood.h> keeps what it reads whole.
 */
static DEFINE_PER_CPU(struct tscpage_lastgood, tscpage_last_good);
DEFINE_PER_CPU(struct tscpage_stats, tscpage_stats);

/*
 * The largest time handed out on the guarded paths (a page without
 * TSC_STABLE, or a fallback), for tscpage_monotonic_guard(); the trusted
 * reads only load it (tscpage_hold()). Written only on the guarded paths,
 * so while the page is trusted the line stays shared in every CPU's
 * cache: its own line, away from anything written often.
 */
static struct tp_atomic64 tscpage_last_ns ____cacheline_aligned;

/*
 * The provider's pages carry a GUEST_STOPPED for the guest to clear
 * (tscpage_provider.clears_guest_stopped), and the pauses whose flag our
 * reads took from the page the watch samples (tscpage_page, CPU 0's), for
 * the watch: see tscpage_take_guest_stopped().
 */
static bool tscpage_clears_stopped;
static atomic_t tscpage_pauses;

/*
 * Whether the hvref read guards every read: the kernel's word that its
 * TSCs are unsynchronized (check_tsc_unstable(), an out-of-line, traceable
 * function), unless the provider vouches that the hypervisor keeps them
 * in step (tscpage_provider.tsc_in_step). Taken at registration and again
 * by the watch every round (tscpage_clocksource_check_cpus()), so that the
 * read only loads a bool. The kernel marks the TSC unstable once and for
 * good; a read may miss that for up to a watch period.
 *
 * Hyper-V is why the provider has a say: without TSC_INVARIANT the kernel
 * marks the TSC unstable "running on Hyper-V" (mshyperv.c), because a
 * migration may change its rate, which the page absorbs; the TSC is still
 * in step across the partition's vCPUs, the kernel's own
 * hyperv_clocksource_tsc_page reads the page unguarded, and guarding
 * would put every read through one global compare-exchange line.
 */
static bool tscpage_tsc_in_step;
static bool tscpage_tsc_unsynced;

/*
 * The provider's other way to the hvref page's clock, for while the page
 * is marked invalid (tscpage_provider.ref_ns: Hyper-V's reference counter
 * MSR), or NULL. Set before registration, like the page.
 */
static u64 (*tscpage_ref_ns)(void);

static bool tscpage_check_tsc_unsynced(void)
{
	return check_tsc_unstable() && !tscpage_tsc_in_step;
}

/*
 * The hvref read's judgment, asked afresh (not the watch's copy), for
 * /dev/tscpage's INFO. Process context.
 */
bool tscpage_clocksource_tsc_unsynced(void)
{
	return tscpage_check_tsc_unsynced();
}

/* Whether the timekeeping core reads us (between ->enable and ->disable). */
static bool tscpage_current;

/*
 * Registered with the timekeeping core: from register until unregister or
 * withdrawal. Only changed in process context (module init and exit, the
 * watch in reenlighten.c) under tscpage_cs_lock.
 */
static DEFINE_MUTEX(tscpage_cs_lock);
static bool tscpage_registered;

/*
 * The reads' witness that the guest ran, for the watch
 * (tscpage_clocksource_absent()), kept by the pvclock read only: over
 * Hyper-V's page the watch does not ask it (reenlighten.c,
 * tscpage_hid_pause()). Per CPU, the TSC of its last read of the
 * clock and the longest time between two of its reads since the watch
 * last adopted the page (tscpage_clocksource_presence_reset()). Written
 * by its own CPU's reads with this_cpu_*(), single instructions, so an
 * NMI's read in the middle of ours costs at most one gap. The watch
 * zeroes max_gap from another CPU with a plain store; a read racing with
 * it may store back a gap that ended just then: a gap that happened,
 * counted once more.
 */
struct tscpage_presence {
	u64 last_tsc;
	u64 max_gap;
};

static DEFINE_PER_CPU(struct tscpage_presence, tscpage_presence);

/* Preemption disabled by the caller; any context, NMI included. */
static __always_inline void tscpage_note_read(u64 tsc)
{
	u64 last = this_cpu_read(tscpage_presence.last_tsc);

	this_cpu_write(tscpage_presence.last_tsc, tsc);
	if (unlikely(last && (s64)(tsc - last) >
			     (s64)this_cpu_read(tscpage_presence.max_gap)))
		this_cpu_write(tscpage_presence.max_gap, tsc - last);
}

/*
 * The counters use this_cpu_*() operations: single instructions on x86, so
 * an NMI that reads the clock in the middle of our read cannot lose an
 * increment. max_retries is a compare-then-store and may, rarely, keep the
 * smaller of two racing values: it is a statistic.
 */
static __always_inline void tscpage_count_read(struct tscpage_stats *st,
					       unsigned int retries)
{
	this_cpu_inc(tscpage_stats.reads);
	if (unlikely(retries)) {
		this_cpu_add(tscpage_stats.retries, retries);
		if (retries > st->max_retries)
			st->max_retries = retries;
	}
}

/*
 * A page that stepped back once (reenlighten.c) is guarded on every read,
 * TSC_STABLE or not.
 */
static __always_inline bool tscpage_distrusted(void)
{
	return READ_ONCE(tscpage_migration_stats.distrust);
}

/* Preemption disabled by the caller. */
static __always_inline u64 tscpage_guard(u64 ns)
{
	bool clamped;
	u64 ret = tscpage_monotonic_guard(&tscpage_last_ns, ns, &clamped);

	this_cpu_inc(tscpage_stats.guarded);

	if (unlikely(clamped)) {
		this_cpu_inc(tscpage_stats.clamps);
		trace_tscpage_clamp(ns, ret);
	}
	return ret;
}

/*
 * A trusted read (a TSC_STABLE pvclock page, a Hyper-V page over TSCs the
 * kernel trusts, no step back seen) is not guarded, but it must not hand
 * out less than the guarded paths already did: fallback reads extrapolate
 * while the page cannot be read, and a page that comes back behind their
 * extrapolation (stuck, then resumed where it stuck; a rate change while
 * stuck) would otherwise make the clock step back for every reader that
 * read it in between. The timekeeping core's own check (a clocksource
 * behind the last cycle it accumulated reads as no time passed) covers
 * only what it accumulated at its last tick, not what readers got since:
 * hvsim's stuck_back made CLOCK_MONOTONIC step back on 6.12 without this.
 * Only a load while nothing is clamped; the value is published by the
 * guarded paths' fully ordered compare-exchange, and a reader that starts
 * after such a read returned loads it. Preemption disabled by the caller.
 */
static __always_inline u64 tscpage_hold(u64 ns)
{
	u64 last = tp_atomic64_read(&tscpage_last_ns);

	if (likely(ns >= last))
		return ns;
	this_cpu_inc(tscpage_stats.clamps);
	trace_tscpage_clamp(ns, last);
	return last;
}

/* Preemption disabled by the caller. */
static __always_inline void tscpage_count_fallback(int err,
						   unsigned int retries)
{
	this_cpu_inc(tscpage_stats.fallbacks);
	if (err != -EAGAIN)
		this_cpu_inc(tscpage_stats.invalid);
	trace_tscpage_fallback(err, retries);
}

/*
 * The page this CPU reads: its own where the provider has one per CPU
 * (kvm: without TSC_STABLE a page is valid only for its own vCPU's TSC,
 * as kvm-clock reads this_cpu_pvti()), else the one page. Preemption
 * disabled by the caller, so CPU, page and TSC stay matched for the read.
 * A CPU whose own page is not set up yet reads its fields as zero, which
 * the sample reports as -EINVAL: the fallback covers it.
 */
static __always_inline const struct tscpage_pvclock *tscpage_pvclock_page(void)
{
	const struct tscpage_pvclock *page;

	if (!tscpage_cpu_pages)
		return tscpage_page;
	page = this_cpu_read(*tscpage_cpu_pages);
	return likely(page) ? page : tscpage_page;
}

/*
 * KVM set GUEST_STOPPED in this CPU's page: the VM was paused, and QEMU
 * hid the pause from the clock by rebasing kvmclock, so the parameters
 * before the pause, extrapolated to now, are ahead of the new ones.
 * pvclock_clocksource_read() clears the flag on its CPU's page and touches
 * the watchdogs; 6.12's kvm-clock reads without that (_nowd) and leaves it
 * to the soft lockup timer. When tscpage is current, we clear it here, on
 * every read that finds it, on every CPU's own page. On the page the watch
 * samples (CPU 0's) we also count the pause, so that the watch, which may
 * find that flag already cleared by the time it samples, still knows the
 * step back it sees is a pause (reenlighten.c). Only there: KVM sets the
 * flag in every vCPU's page at one pause, and idle CPUs take theirs
 * late; counting those would make one pause look like several.
 *
 * The store: KVM writes a vCPU's page only from that vCPU's thread, while
 * the vCPU is outside guest mode, so the only writer that can come between
 * our load of the flags and our store is KVM at a VM exit in between, and
 * an NMI that reads the clock (which clears the same bit). The kernel does
 * it with a plain read-modify-write and accepts that window; we use one
 * cmpxchg(), which no VM exit can split, so a TSC_STABLE or GUEST_STOPPED
 * KVM writes in that window is never overwritten by our stale copy. It
 * bypasses the page's version protocol as the kernel's store does: a
 * reader racing it sees the flag before or after, both consistent. It
 * runs once per pause, not once per read.
 *
 * The count is incremented first, and the fully ordered cmpxchg() orders
 * it before the flag's clearing: pairs with the smp_rmb() between the
 * watch's sample of the page and its read of the count
 * (tscpage_watch_sample()), so a watch that found the flag cleared by us
 * finds the count moved. A failed cmpxchg() (KVM changed the flags)
 * retries with what it found, at most a few times.
 *
 * The watchdogs: of pvclock_touch_watchdogs(), only
 * touch_softlockup_watchdog() and reset_hung_task_detector() are
 * exported, both safe in any context (a per-CPU store, an atomic_set()),
 * so we call those: we took the flag from the soft lockup timer that
 * would have touched them. clocksource_touch_watchdog() and
 * rcu_cpu_stall_reset() are not exported; a pause hidden from kvmclock
 * leaves jiffies and the timekeeping clock without a jump, so neither the
 * RCU stall detector (jiffies) nor the clocksource watchdog of a
 * kvmclock-based clock sees one; only a clocksource compared across the
 * pause with the TSC, which kept running, may.
 *
 * Preemption disabled by the caller; any context, NMI included.
 */
static void notrace tscpage_take_guest_stopped(const struct tscpage_pvclock *page,
					       u8 flags)
{
	u8 *pflags = (u8 *)&page->flags;
	unsigned int tries;

	/* Uninstrumented atomics, as in the guard: see tscpage/arch.h. */
	if (page == tscpage_page)
		arch_atomic_inc(&tscpage_pauses);
	for (tries = 0; tries < 4 && (flags & TSCPAGE_PVCLOCK_GUEST_STOPPED);
	     tries++) {
		if (arch_try_cmpxchg(pflags, &flags,
				     flags & ~TSCPAGE_PVCLOCK_GUEST_STOPPED))
			break;
	}
	touch_softlockup_watchdog();
	reset_hung_task_detector();
}

/*
 * Beyond this, two CPUs' own pages disagree on the time at one TSC
 * value: their TSCs are not in step, or one page is stale. Each page is
 * exact to a nanosecond; KVM re-anchors each vCPU's page at its own VM
 * entry, from one master clock sample, so two pages caught on either side
 * of a re-anchoring differ by the master clock's own step, nanoseconds.
 */
#define TSCPAGE_CPU_SKEW_NS	10000

/*
 * This CPU found GUEST_STOPPED in its own page: the VM ran again after a
 * pause or a migration (QEMU sets the flag in every vCPU's page then), and
 * KVM rebased this page, hiding the blackout from the clock. It rewrites
 * each vCPU's page only at that vCPU's next VM entry, and an idle vCPU 0
 * may stay out a while (long enough, over a real KVM, for CPU 1's
 * userspace to read CPU 0's page 2 s ahead after a 2 s pause). Until it
 * does, CPU 0's page still holds the parameters from before the blackout,
 * which, extrapolated over the TSC that kept running, are the blackout's
 * length ahead. The vDSO and /dev/tscpage read CPU 0's page on every CPU:
 * userspace here would read time ahead, then step back when vCPU 0 runs
 * (-1.944 s after a 2 s QEMU pause; kvm-clock's vDSO does the same).
 *
 * So if CPU 0's page is ahead of ours, we take TSC_STABLE from it: the
 * vDSO then makes the syscall, which reads this CPU's own page, and
 * /dev/tscpage's readers guard every read, until KVM rewrites CPU 0's
 * page at vCPU 0's entry, flags included. We run before userspace on this
 * CPU does: the tick that fell due during the blackout is pending at this
 * vCPU's first entry, and its handler reads the clock. So the window
 * closes for any blackout longer than a tick; a shorter one can still
 * show userspace at most its own length.
 *
 * The store races only KVM rewriting CPU 0's page from vCPU 0's thread.
 * KVM stores the odd version before the fields and the even one after,
 * each step ordered (smp_wmb()). The cmpxchg() expects the flags we
 * sampled, so a rewrite that changed them (a fresh page after a pause
 * carries GUEST_STOPPED) makes it fail. One that left them alone cannot be
 * told from the stale page by the flags: after the fully ordered
 * cmpxchg() we load the version again, and if it is still the one we
 * sampled, KVM's store of the odd version (and so of the flags after it)
 * is not yet visible, so its rewrite comes after our store and replaces
 * it. If the version moved, our store may sit on a fresh page: that only
 * sends clock_gettime() through the syscall until KVM's next rewrite of
 * CPU 0's page, which is safe, and is counted apart (cpu0_raced; every
 * store is counted in cpu0_withheld).
 *
 * Preemption disabled by the caller; any context, NMI included.
 */
static void notrace tscpage_withhold_stale_cpu0(const struct tscpage_pvclock_sample *own)
{
	const struct tscpage_pvclock *page0 = tscpage_page;
	struct tscpage_pvclock_sample s0;
	u8 *pflags = (u8 *)&page0->flags;
	u8 flags;
	u64 t;

	if (tscpage_pvclock_sample_bounded(page0, TSCPAGE_MAX_RETRIES,
					   tscpage_spin_cycles, &s0))
		return;
	flags = s0.params.flags;
	if (!(flags & TSCPAGE_PVCLOCK_TSC_STABLE))
		return;
	t = max3(own->tsc, s0.tsc, s0.params.tsc_timestamp);
	if ((s64)(tscpage_pvclock_ns(&s0.params, t) -
		  tscpage_pvclock_ns(&own->params, t)) <= TSCPAGE_CPU_SKEW_NS)
		return;
	if (!arch_try_cmpxchg(pflags, &flags,
			      flags & ~TSCPAGE_PVCLOCK_TSC_STABLE))
		return;
	this_cpu_inc(tscpage_stats.cpu0_withheld);
	if (unlikely(READ_ONCE(page0->version) != s0.params.version))
		this_cpu_inc(tscpage_stats.cpu0_raced);
}

/* Pauses whose GUEST_STOPPED the reads took from CPU 0's page. */
u32 tscpage_clocksource_pauses(void)
{
	return atomic_read(&tscpage_pauses);
}

static u64 notrace tscpage_read_pvclock(struct clocksource *cs)
{
	const struct tscpage_pvclock *page;
	struct tscpage_stats *st;
	struct tscpage_pvclock_sample s;
	struct tscpage_lastgood *lg;
	union tscpage_params last;
	u64 ns;
	int err;

	preempt_disable_notrace();
	st = this_cpu_ptr(&tscpage_stats);
	lg = this_cpu_ptr(&tscpage_last_good);
	page = tscpage_pvclock_page();
	err = tscpage_pvclock_sample_bounded(page, TSCPAGE_MAX_RETRIES,
					     tscpage_spin_cycles, &s);
	tscpage_count_read(st, s.retries);
	if (likely(!err) &&
	    unlikely(s.params.flags & TSCPAGE_PVCLOCK_GUEST_STOPPED) &&
	    tscpage_clears_stopped) {
		tscpage_take_guest_stopped(page, s.params.flags);
		if (page != tscpage_page)
			tscpage_withhold_stale_cpu0(&s);
	}
	/* New parameters: adopted if a TSC could have them (params.c). */
	if (likely(!err) && unlikely(s.params.version !=
				     tscpage_lastgood_peek(lg)->pvclock.version)) {
		last.pvclock = s.params;
		if (tscpage_params_sane(TSCPAGE_FORMAT_PVCLOCK, &last))
			tscpage_lastgood_set(lg, &last);
		else
			err = -EINVAL;
	}
	if (likely(!err)) {
		tscpage_note_read(s.tsc);
		ns = tscpage_pvclock_ns(&s.params, s.tsc);
		if (likely(s.params.flags & TSCPAGE_PVCLOCK_TSC_STABLE) &&
		    likely(!tscpage_distrusted())) {
			ns = tscpage_hold(ns);
			goto out;
		}
	} else {
		u64 tsc = tp_rdtsc_ordered();

		tscpage_note_read(tsc);
		tscpage_count_fallback(err, s.retries);
		tscpage_lastgood_read(lg, &last);
		ns = tscpage_pvclock_ns(&last.pvclock, tsc);
	}
	ns = tscpage_guard(ns);
out:
	preempt_enable_notrace();
	return ns;
}

/*
 * The Hyper-V page is one page for all CPUs over a TSC the hypervisor
 * keeps synchronized (TLFS: the reference TSC page is only offered when
 * it is), so its successful reads need no guard, but it carries no flag
 * that could say otherwise. Where the kernel has found its TSCs
 * unsynchronized (check_tsc_unstable()), we take the kernel's word over the
 * page's silence and guard every read, unless the provider vouches for the
 * hypervisor (tscpage_tsc_unsynced says which).
 */
static u64 notrace tscpage_read_hvref(struct clocksource *cs)
{
	struct tscpage_stats *st;
	struct tscpage_hvref_sample s;
	struct tscpage_lastgood *lg;
	union tscpage_params last;
	u64 ns;
	int err;

	preempt_disable_notrace();
	st = this_cpu_ptr(&tscpage_stats);
	lg = this_cpu_ptr(&tscpage_last_good);
	err = tscpage_hvref_sample_bounded(tscpage_page, TSCPAGE_MAX_RETRIES,
					   tscpage_spin_cycles, &s);
	tscpage_count_read(st, s.retries);
	if (likely(!err) &&
	    unlikely(s.params.tsc_sequence !=
		     tscpage_lastgood_peek(lg)->hvref.tsc_sequence)) {
		last.hvref = s.params;
		if (tscpage_params_sane(TSCPAGE_FORMAT_HVREF, &last))
			tscpage_lastgood_set(lg, &last);
		else
			err = -EINVAL;
	}
	if (likely(!err)) {
		ns = tscpage_hvref_ns(&s.params, s.tsc);
		if (unlikely(READ_ONCE(tscpage_tsc_unsynced) ||
			     tscpage_distrusted()))
			ns = tscpage_guard(ns);
		else
			ns = tscpage_hold(ns);
	} else if (err == -ENODATA && tscpage_ref_ns) {
		/*
		 * Marked invalid: the clock the page would give, from the
		 * provider's counter, as hyperv_timer.c reads it, not an
		 * extrapolation. Another clock than the page's, in step with
		 * it by the TLFS's word: guarded, so that the way back to the
		 * page (held to what this handed out) cannot step back. The
		 * counter costs a VM exit; the guard's line is nothing beside.
		 */
		this_cpu_inc(tscpage_stats.ref_counter);
		ns = tscpage_guard(tscpage_ref_ns());
	} else {
		tscpage_count_fallback(err, s.retries);
		tscpage_lastgood_read(lg, &last);
		ns = tscpage_guard(tscpage_hvref_ns(&last.hvref,
						    tp_rdtsc_ordered()));
	}
	preempt_enable_notrace();
	return ns;
}

static int tscpage_cs_enable(struct clocksource *cs)
{
	WRITE_ONCE(tscpage_current, true);
	return 0;
}

static void tscpage_cs_disable(struct clocksource *cs)
{
	WRITE_ONCE(tscpage_current, false);
}

/*
 * After a resume the page may count from a new origin (a TSC reset by the
 * firmware, a provider that re-anchored): the guard's memory of the time
 * before the suspend must not hold the new time back. Called with
 * interrupts off on the boot CPU, all others offline.
 */
static void tscpage_cs_resume(struct clocksource *cs)
{
	atomic64_set(&tscpage_last_ns.v, 0);
}

static struct clocksource tscpage_cs = {
	.name		= "tscpage",
	.mask		= CLOCKSOURCE_MASK(64),
	.flags		= CLOCK_SOURCE_IS_CONTINUOUS,
	.enable		= tscpage_cs_enable,
	.disable	= tscpage_cs_disable,
	.resume		= tscpage_cs_resume,
	.owner		= THIS_MODULE,
};

/*
 * Whether clock_gettime() reads the page in the vDSO (INFO_VDSO). The
 * vDSO's vread_pvclock() reads CPU 0's page on every CPU and trusts it
 * while TSC_STABLE is set, unguarded: tscpage_clocksource_vdso_off()
 * takes the claim back, for good, when that is no longer right. The
 * timekeeping core reads the mode at every update of the vDSO's data
 * (update_vsyscall(), under its own lock), so from the next tick on
 * clock_gettime() makes the syscall, which reads this CPU's own page.
 */
bool tscpage_clocksource_in_vdso(void)
{
	return READ_ONCE(tscpage_cs.vdso_clock_mode) != VDSO_CLOCKMODE_NONE;
}

/* Process context (the watch), any lock. */
void tscpage_clocksource_vdso_off(const char *why)
{
	if (!tscpage_clocksource_in_vdso())
		return;
	WRITE_ONCE(tscpage_cs.vdso_clock_mode, VDSO_CLOCKMODE_NONE);
	pr_warn("clock_gettime() through the syscall from now on: %s\n", why);
}

/*
 * KVM keeps TSC_STABLE set when the guest moves one vCPU's TSC through
 * IA32_TSC_ADJUST: it rewrites that vCPU's page for its new TSC, not the
 * flag. CPU 0's page then no longer describes the other CPUs' TSCs, and
 * the vDSO, which reads it everywhere, is off on them by the difference
 * (kvm-clock's vDSO with it). The kernel's reads of each CPU's own page
 * stay right. The watch calls this every round: each online CPU's page is
 * compared with CPU 0's at one TSC value (the largest of the pages'
 * timestamps and our TSC, so that neither delta is negative), and a
 * difference beyond TSCPAGE_CPU_SKEW_NS takes the vDSO claim back. Until
 * then (at most a watch period) the vDSO is as wrong as kvm-clock's.
 * Process context; reads other CPUs' pages, which are plain memory.
 */
void tscpage_clocksource_check_cpus(void)
{
	struct tscpage_pvclock_sample s0, s;
	char why[96];
	unsigned int cpu;
	u64 t;
	s64 d;

	WRITE_ONCE(tscpage_tsc_unsynced, tscpage_check_tsc_unsynced());
	if (!tscpage_cpu_pages || !tscpage_clocksource_in_vdso())
		return;
	if (tscpage_pvclock_sample(tscpage_page, TSCPAGE_MAX_RETRIES, &s0) ||
	    !(s0.params.flags & TSCPAGE_PVCLOCK_TSC_STABLE))
		return;	/* the vDSO makes the syscall itself */
	for_each_online_cpu(cpu) {
		const struct tscpage_pvclock *page =
			*per_cpu_ptr(tscpage_cpu_pages, cpu);

		if (!page || page == tscpage_page ||
		    tscpage_pvclock_sample(page, TSCPAGE_MAX_RETRIES, &s))
			continue;
		t = max3(s0.tsc, s0.params.tsc_timestamp,
			 s.params.tsc_timestamp);
		d = tscpage_pvclock_ns(&s.params, t) -
		    tscpage_pvclock_ns(&s0.params, t);
		if (d > TSCPAGE_CPU_SKEW_NS || d < -TSCPAGE_CPU_SKEW_NS) {
			snprintf(why, sizeof(why),
				 "CPU %u's kvmclock page is %lld ns off CPU 0's: TSCs not in step",
				 cpu, d);
			tscpage_clocksource_vdso_off(why);
			return;
		}
	}
}

/* One read of the page, as the timekeeping core would (bench.c). */
u64 tscpage_clocksource_read(void)
{
	return tscpage_cs.read(&tscpage_cs);
}

bool tscpage_clocksource_is_current(void)
{
	return READ_ONCE(tscpage_current);
}

/*
 * Whether the guest did not run for @cycles of the TSC since the last
 * tscpage_clocksource_presence_reset(), by the reads' word: tscpage is
 * the kernel's clock (otherwise the kernel does not read it, and no read
 * says anything), and every online CPU went at least that long without
 * reading it, between two reads or from its last read to @tsc. While the
 * guest runs, the CPU that holds the watch's timer reads the clock at
 * least every watch period, the kernel's clock held or not (a timer
 * interrupt reads it, finds the timer not yet due, and programs the next
 * one by the TSC). Process context (the watch, under its lock).
 */
bool tscpage_clocksource_absent(u64 tsc, u64 cycles)
{
	unsigned int cpu;

	if (!READ_ONCE(tscpage_current))
		return false;
	for_each_online_cpu(cpu) {
		const struct tscpage_presence *p =
			per_cpu_ptr(&tscpage_presence, cpu);
		u64 last = READ_ONCE(p->last_tsc);

		if (READ_ONCE(p->max_gap) < cycles && last &&
		    (s64)(tsc - last) < (s64)cycles)
			return false;
	}
	return true;
}

/* A new window for tscpage_clocksource_absent(). The watch's lock held. */
void tscpage_clocksource_presence_reset(void)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu)
		WRITE_ONCE(per_cpu_ptr(&tscpage_presence, cpu)->max_gap, 0);
}

/*
 * A first read of the page: refuses a page we cannot read, rather than
 * register a clock that would run on fallbacks from its first read, and
 * returns the parameters every CPU starts from. Says why only on the @last
 * try, or at once for parameters that are simply wrong (-EINVAL).
 */
static int tscpage_first_read(const struct tscpage_provider *provider,
			      union tscpage_params *params, bool *stable,
			      bool last)
{
	struct tscpage_pvclock_sample pv;
	struct tscpage_hvref_sample hv;
	int err;

	switch (provider->format) {
	case TSCPAGE_FORMAT_PVCLOCK:
		err = tscpage_pvclock_sample(provider->page,
					     TSCPAGE_MAX_RETRIES, &pv);
		if (err) {
			if (!last && err != -EINVAL)
				return err;
			if (err == -EINVAL)
				pr_err("%s pvclock page unusable: version %u mul %u shift %d\n",
				       provider->name, pv.params.version,
				       pv.params.tsc_to_system_mul,
				       pv.params.tsc_shift);
			else
				pr_err("%s pvclock page unusable (%d): mid-update for %u tries\n",
				       provider->name, err, pv.retries);
			return err;
		}
		params->pvclock = pv.params;
		*stable = pv.params.flags & TSCPAGE_PVCLOCK_TSC_STABLE;
		tscpage_cs.read = tscpage_read_pvclock;
		return 0;
	case TSCPAGE_FORMAT_HVREF:
		err = tscpage_hvref_sample(provider->page, TSCPAGE_MAX_RETRIES,
					   &hv);
		if (err) {
			if (!last && err != -EINVAL)
				return err;
			if (err == -EINVAL)
				pr_err("%s reference page unusable: sequence %u scale %llu\n",
				       provider->name, hv.params.tsc_sequence,
				       hv.params.tsc_scale);
			else if (err == -ENODATA)
				pr_err("%s reference page marked invalid (sequence 0)\n",
				       provider->name);
			else
				pr_err("%s reference page unusable (%d): changing for %u tries\n",
				       provider->name, err, hv.retries);
			return err;
		}
		params->hvref = hv.params;
		tscpage_tsc_in_step = provider->tsc_in_step;
		tscpage_ref_ns = provider->ref_ns;
		tscpage_tsc_unsynced = tscpage_check_tsc_unsynced();
		*stable = !tscpage_tsc_unsynced;
		tscpage_cs.read = tscpage_read_hvref;
		return 0;
	}
	pr_err("%s: unknown page format %d\n", provider->name, provider->format);
	return -EINVAL;
}

/*
 * A page may be caught mid-update, or marked invalid for a moment, by the
 * first read; one that stays unusable this long is refused.
 *
 * Each try samples the page for TSCPAGE_FIRST_READ_SPIN_US before it
 * sleeps, and the sleeps differ in length. A sleep alone is no sampling:
 * usleep_range() lets its wakeup share the hypervisor's own timer
 * interrupt, so a sleeper that once woke on the interrupt that starts a
 * rewrite can wake on the next one too, and see the page invalid on every
 * try (tscpage_hvsim with hold_us=200 did that in 3% of loads).
 *
 * The tries are bounded in time too: a 1 ms sleep can last tens of ms on
 * a loaded or emulated machine (in a TCG guest of the debug kernel, 100
 * tries outlasted hvsim's 5 s stuck_odd fault, and the load succeeded
 * once the fault ended), and a stuck page should cost a load the same
 * whatever the scheduler does.
 */
#define TSCPAGE_FIRST_READ_TRIES	100
#define TSCPAGE_FIRST_READ_MS		250
#define TSCPAGE_FIRST_READ_SPIN_US	500

/* One try: sample until the page is usable or the spin is over. */
static int tscpage_first_read_spin(const struct tscpage_provider *provider,
				   union tscpage_params *params, bool *stable,
				   bool last)
{
	u64 end = ktime_get_ns() + TSCPAGE_FIRST_READ_SPIN_US * NSEC_PER_USEC;
	int err;

	for (;;) {
		err = tscpage_first_read(provider, params, stable, false);
		if (!err || err == -EINVAL || ktime_get_ns() >= end)
			break;
		cpu_relax();
	}
	if (err && err != -EINVAL && last)	/* again, to say why */
		err = tscpage_first_read(provider, params, stable, true);
	return err;
}

int tscpage_clocksource_register(const struct tscpage_provider *provider,
				 int rating)
{
	u64 give_up = ktime_get_ns() + TSCPAGE_FIRST_READ_MS * NSEC_PER_MSEC;
	union tscpage_params params;
	unsigned int cpu, tries;
	bool stable, last;
	int err;

	/*
	 * Module init: process context, so spin a while and then sleep
	 * 1 to 2 ms between tries, each sleep 0.13 ms longer than the last
	 * (modulo 1 ms), so that no two wake at the same phase of a rewrite.
	 */
	for (tries = 1; ; tries++) {
		last = tries == TSCPAGE_FIRST_READ_TRIES ||
		       ktime_get_ns() >= give_up;
		err = tscpage_first_read_spin(provider, &params, &stable, last);
		if (!err || err == -EINVAL || last)
			break;
		usleep_range(1000 + tries * 130 % 1000,
			     1000 + tries * 130 % 1000 + 50);
	}
	if (err)
		return err;
	if (!tscpage_params_sane(provider->format, &params)) {
		pr_err("%s page describes a TSC below 1 MHz or above 100 GHz (%u kHz): refused\n",
		       provider->name,
		       tscpage_params_khz(provider->format, &params));
		return -EINVAL;
	}

	/*
	 * Before the clocksource is registered no one reads these, and
	 * registration publishes them (it takes a mutex) to every later
	 * reader.
	 */
	for_each_possible_cpu(cpu) {
		tscpage_lastgood_init(per_cpu_ptr(&tscpage_last_good, cpu),
				      &params);
		memset(per_cpu_ptr(&tscpage_stats, cpu), 0,
		       sizeof(struct tscpage_stats));
	}
	atomic64_set(&tscpage_last_ns.v, 0);
	tscpage_spin_cycles = div_u64((u64)tsc_khz * TSCPAGE_SPIN_US,
				      USEC_PER_MSEC);
	tscpage_page = provider->page;
	tscpage_cpu_pages = provider->format == TSCPAGE_FORMAT_PVCLOCK ?
			    provider->cpu_pages : NULL;
	tscpage_clears_stopped = tscpage_cpu_pages &&
				 provider->clears_guest_stopped;

	tscpage_cs.rating = rating;
	tscpage_cs.vdso_clock_mode = provider->vdso_clock_mode;
	mutex_lock(&tscpage_cs_lock);
	err = clocksource_register_hz(&tscpage_cs, NSEC_PER_SEC);
	tscpage_registered = !err;
	mutex_unlock(&tscpage_cs_lock);
	if (err) {
		pr_err("cannot register the clocksource: %d\n", err);
		return err;
	}
	trace_tscpage_register(provider->name, provider->format,
			       provider->tsc_khz, stable,
			       provider->vdso_clock_mode);
	pr_info("clocksource tscpage registered (rating %d) over the %s %s page, TSC %u kHz, %s, clock_gettime() %s%s%s\n",
		rating, provider->name,
		provider->format == TSCPAGE_FORMAT_PVCLOCK ? "pvclock" : "reference",
		provider->tsc_khz,
		stable ? "TSC stable" : "not TSC stable: monotonic guard on",
		provider->vdso_clock_mode ? "in the vDSO" : "through the syscall",
		!provider->vdso_clock_mode && provider->vdso_why ? ": " : "",
		!provider->vdso_clock_mode && provider->vdso_why ?
		provider->vdso_why : "");
	return 0;
}

/*
 * Called from module exit, and when the page stayed unusable
 * (reenlighten.c).
 *
 * At module exit: the timekeeping core holds a reference on our module
 * while tscpage is the current clocksource (clocksource->owner), so exit
 * runs only when it is not: rmmod of a current tscpage fails with -EBUSY
 * in the module loader and never reaches here.
 *
 * For an unusable page, the module stays: unregistering makes the timekeeping core switch to the
 * best other clocksource, even over a user's choice of tscpage in
 * current_clocksource (the kernel has no exported way to mark a
 * clocksource unstable from outside its watchdog). Idempotent: module
 * exit then finds nothing to do.
 *
 * Unregistering fails only if we are the clocksource watchdog and nothing
 * can replace us; jiffies is always registered and always eligible, so it
 * cannot. Process context; may sleep (a switch runs stop_machine()).
 */
void tscpage_clocksource_unregister(void)
{
	int err;

	mutex_lock(&tscpage_cs_lock);
	if (tscpage_registered) {
		err = clocksource_unregister(&tscpage_cs);
		if (err)
			pr_err("clocksource_unregister failed: %d\n", err);
		else
			tscpage_registered = false;
	}
	mutex_unlock(&tscpage_cs_lock);
}
