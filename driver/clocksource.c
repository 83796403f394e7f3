// SPDX-License-Identifier: GPL-2.0
/*
 * The tscpage clocksource: kernel time read from the provider's page.
 *
 * The clocksource counts nanoseconds (registered at 1 GHz), so the
 * timekeeping core's mult/shift are the identity and all the scaling is
 * the page's own.
 *
 * Context: ->read() runs in any context, NMI included, on any CPU, with
 * or without preemption (PREEMPT_RT reads time preemptibly). It takes no
 * lock and never sleeps; it keeps preemption off only while it touches
 * this CPU's copy of the last good parameters.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/build_bug.h>
#include <linux/clocksource.h>
#include <linux/percpu.h>
#include <linux/preempt.h>
#include <linux/printk.h>
#include <linux/stddef.h>
#include <tscpage/reader.h>

#include "tscpage.h"

/*
 * A stuck page costs a reading CPU at most this many attempts (a few
 * microseconds) before the fallback runs. An update in progress takes the
 * writer a handful of stores, so a healthy page never comes close.
 */
#define TSCPAGE_MAX_RETRIES	1024

static_assert(sizeof(struct tscpage_pvclock) == 32);
static_assert(offsetof(struct tscpage_pvclock, tsc_timestamp) == 8);
static_assert(offsetof(struct tscpage_pvclock, tsc_to_system_mul) == 24);
static_assert(offsetof(struct tscpage_pvclock, flags) == 29);

static const struct tscpage_pvclock *tscpage_page;

/*
 * The last parameters this CPU read consistently from the page. When the
 * page cannot be read (stuck mid-update, unusable parameters) time goes on
 * from these at their rate instead of stopping. Written only by its own
 * CPU with preemption disabled; read only there.
 */
static DEFINE_PER_CPU(struct tscpage_pvclock, tscpage_last_good);

/*
 * The largest time handed out on the guarded paths (a page without
 * TSC_STABLE, or the fallback), for tscpage_monotonic_guard().
 */
static struct tp_atomic64 tscpage_last_ns;

static u64 notrace tscpage_cs_read(struct clocksource *cs)
{
	struct tscpage_pvclock_sample s;
	struct tscpage_pvclock *last;
	bool clamped;
	u64 ns;

	preempt_disable_notrace();
	last = this_cpu_ptr(&tscpage_last_good);
	if (likely(!tscpage_pvclock_sample(tscpage_page, TSCPAGE_MAX_RETRIES,
					   &s))) {
		if (unlikely(s.params.version != last->version))
			*last = s.params;
		ns = tscpage_pvclock_ns(&s.params, s.tsc);
		if (likely(s.params.flags & TSCPAGE_PVCLOCK_TSC_STABLE))
			goto out;
	} else {
		ns = tscpage_pvclock_ns(last, tp_rdtsc_ordered());
	}
	ns = tscpage_monotonic_guard(&tscpage_last_ns, ns, &clamped);
out:
	preempt_enable_notrace();
	return ns;
}

static struct clocksource tscpage_cs = {
	.name	= "tscpage",
	.read	= tscpage_cs_read,
	.mask	= CLOCKSOURCE_MASK(64),
	.flags	= CLOCK_SOURCE_IS_CONTINUOUS,
	.owner	= THIS_MODULE,
};

int tscpage_clocksource_register(const struct tscpage_provider *provider,
				 int rating)
{
	struct tscpage_pvclock_sample s;
	unsigned int cpu;
	int err;

	if (provider->format != TSCPAGE_FORMAT_PVCLOCK) {
		pr_err("provider %s: page format %d is not supported yet\n",
		       provider->name, provider->format);
		return -EOPNOTSUPP;
	}

	/*
	 * Refuse a page we cannot read now, rather than register a clock
	 * that would run on fallbacks from its first read.
	 */
	err = tscpage_pvclock_sample(provider->page, TSCPAGE_MAX_RETRIES, &s);
	if (err) {
		pr_err("provider %s: page unusable (%s): version %u mul %u shift %d\n",
		       provider->name, err == -EAGAIN ? "stuck" : "bad parameters",
		       s.params.version, s.params.tsc_to_system_mul,
		       s.params.tsc_shift);
		return err;
	}

	/*
	 * Before the clocksource is registered no one reads these, and
	 * registration publishes them (it takes a mutex) to every later
	 * reader.
	 */
	for_each_possible_cpu(cpu)
		per_cpu(tscpage_last_good, cpu) = s.params;
	atomic64_set(&tscpage_last_ns.v, 0);
	tscpage_page = provider->page;

	tscpage_cs.rating = rating;
	err = clocksource_register_hz(&tscpage_cs, NSEC_PER_SEC);
	if (err) {
		pr_err("cannot register the clocksource: %d\n", err);
		return err;
	}
	pr_info("clocksource tscpage registered (rating %d) over the %s page, TSC %u kHz%s\n",
		rating, provider->name, provider->tsc_khz,
		s.params.flags & TSCPAGE_PVCLOCK_TSC_STABLE ?
		"" : ", not TSC_STABLE: monotonic guard on");
	return 0;
}

/*
 * The timekeeping core holds a reference on our module while tscpage is
 * the current clocksource (clocksource->owner), so module exit, our only
 * caller, runs only when it is not: rmmod of a current tscpage fails with
 * -EBUSY in the module loader and never reaches here. Unregistering then
 * fails only if we are the clocksource watchdog and nothing can replace
 * us; jiffies is always registered and always eligible, so it cannot.
 */
void tscpage_clocksource_unregister(void)
{
	int err = clocksource_unregister(&tscpage_cs);

	if (err)
		pr_err("clocksource_unregister failed: %d\n", err);
}
