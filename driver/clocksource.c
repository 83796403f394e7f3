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
 * CPU's copy of the last good parameters and its statistics.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/build_bug.h>
#include <linux/clocksource.h>
#include <linux/delay.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/preempt.h>
#include <linux/printk.h>
#include <linux/stddef.h>
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
/* The provider's per-CPU pages, or NULL (tscpage_provider.cpu_pages). */
static void * __percpu *tscpage_cpu_pages;

/*
 * The last parameters this CPU read consistently from the page. When the
 * page cannot be read (stuck mid-update, marked invalid, unusable
 * parameters) time goes on from these at their rate instead of stopping.
 * Written only by its own CPU with preemption disabled; read only there.
 */
static DEFINE_PER_CPU(union tscpage_params, tscpage_last_good);
DEFINE_PER_CPU(struct tscpage_stats, tscpage_stats);

/*
 * The largest time handed out on the guarded paths (a page without
 * TSC_STABLE, or a fallback), for tscpage_monotonic_guard().
 */
static struct tp_atomic64 tscpage_last_ns;

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

static u64 notrace tscpage_read_pvclock(struct clocksource *cs)
{
	struct tscpage_stats *st;
	struct tscpage_pvclock_sample s;
	struct tscpage_pvclock *last;
	u64 ns;
	int err;

	preempt_disable_notrace();
	st = this_cpu_ptr(&tscpage_stats);
	last = &this_cpu_ptr(&tscpage_last_good)->pvclock;
	err = tscpage_pvclock_sample(tscpage_pvclock_page(), TSCPAGE_MAX_RETRIES,
				     &s);
	tscpage_count_read(st, s.retries);
	/* New parameters: adopted if a TSC could have them (params.c). */
	if (likely(!err) && unlikely(s.params.version != last->version)) {
		if (tscpage_params_sane(TSCPAGE_FORMAT_PVCLOCK,
					(const union tscpage_params *)&s.params))
			*last = s.params;
		else
			err = -EINVAL;
	}
	if (likely(!err)) {
		ns = tscpage_pvclock_ns(&s.params, s.tsc);
		if (likely(s.params.flags & TSCPAGE_PVCLOCK_TSC_STABLE) &&
		    likely(!tscpage_distrusted()))
			goto out;
	} else {
		tscpage_count_fallback(err, s.retries);
		ns = tscpage_pvclock_ns(last, tp_rdtsc_ordered());
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
 * page's silence and guard every read.
 */
static u64 notrace tscpage_read_hvref(struct clocksource *cs)
{
	struct tscpage_stats *st;
	struct tscpage_hvref_sample s;
	struct tscpage_hvref *last;
	u64 ns;
	int err;

	preempt_disable_notrace();
	st = this_cpu_ptr(&tscpage_stats);
	last = &this_cpu_ptr(&tscpage_last_good)->hvref;
	err = tscpage_hvref_sample(tscpage_page, TSCPAGE_MAX_RETRIES, &s);
	tscpage_count_read(st, s.retries);
	if (likely(!err) &&
	    unlikely(s.params.tsc_sequence != last->tsc_sequence)) {
		if (tscpage_params_sane(TSCPAGE_FORMAT_HVREF,
					(const union tscpage_params *)&s.params))
			*last = s.params;
		else
			err = -EINVAL;
	}
	if (likely(!err)) {
		ns = tscpage_hvref_ns(&s.params, s.tsc);
		if (unlikely(check_tsc_unstable() || tscpage_distrusted()))
			ns = tscpage_guard(ns);
	} else {
		tscpage_count_fallback(err, s.retries);
		ns = tscpage_guard(tscpage_hvref_ns(last, tp_rdtsc_ordered()));
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
			pr_err("%s pvclock page unusable (%d): version %u mul %u shift %d\n",
			       provider->name, err, pv.params.version,
			       pv.params.tsc_to_system_mul, pv.params.tsc_shift);
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
			pr_err("%s reference page unusable (%d): sequence %u scale %llu\n",
			       provider->name, err, hv.params.tsc_sequence,
			       hv.params.tsc_scale);
			return err;
		}
		params->hvref = hv.params;
		*stable = !check_tsc_unstable();
		tscpage_cs.read = tscpage_read_hvref;
		return 0;
	}
	pr_err("%s: unknown page format %d\n", provider->name, provider->format);
	return -EINVAL;
}

/*
 * A page may be caught mid-update, or marked invalid for a moment, by the
 * first read; one that stays unusable this long is refused.
 */
#define TSCPAGE_FIRST_READ_TRIES	100

int tscpage_clocksource_register(const struct tscpage_provider *provider,
				 int rating)
{
	union tscpage_params params;
	unsigned int cpu, tries;
	bool stable;
	int err;

	/* Module init: process context, so wait 1 to 2 ms between tries. */
	for (tries = 1; ; tries++) {
		err = tscpage_first_read(provider, &params, &stable,
					 tries == TSCPAGE_FIRST_READ_TRIES);
		if (!err || err == -EINVAL ||
		    tries == TSCPAGE_FIRST_READ_TRIES)
			break;
		usleep_range(1000, 2000);
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
		per_cpu(tscpage_last_good, cpu) = params;
		memset(per_cpu_ptr(&tscpage_stats, cpu), 0,
		       sizeof(struct tscpage_stats));
	}
	atomic64_set(&tscpage_last_ns.v, 0);
	tscpage_page = provider->page;
	tscpage_cpu_pages = provider->format == TSCPAGE_FORMAT_PVCLOCK ?
			    provider->cpu_pages : NULL;

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
