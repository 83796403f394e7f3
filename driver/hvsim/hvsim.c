// SPDX-License-Identifier: GPL-2.0
/*
 * tscpage_hvsim: a test double of the hypervisor. It owns one page, in
 * either format (format=pvclock, the default, or format=hvref), fills it
 * from the TSC frequency the kernel measured, and rewrites it periodically
 * with that format's update protocol, so that tscpage.ko has a page to read
 * in any VM, including QEMU under TCG where no hypervisor writes one.
 *
 * The clock it publishes starts at CLOCK_MONOTONIC_RAW at load time and
 * then runs on the TSC. Its rate never changes here, and the periodic
 * rewrites keep it exactly continuous (see hvsim_publish_pvclock()).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/gfp.h>
#include <linux/hrtimer.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/clocksource.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/time64.h>
#include <asm/tsc.h>
#include <tscpage/provider.h>

static unsigned int update_hz = 1000;
module_param(update_hz, uint, 0444);
MODULE_PARM_DESC(update_hz, "page rewrites per second, 1..100000 (default 1000)");

#define HVSIM_UPDATE_HZ_MAX	100000

/*
 * A slow writer: how long each rewrite keeps the page mid-update (pvclock
 * version odd, Hyper-V sequence 0), in real time, so that readers really
 * meet updates in progress even when the vCPUs do not run in parallel.
 */
static unsigned int hold_us;
module_param(hold_us, uint, 0444);
MODULE_PARM_DESC(hold_us, "microseconds each rewrite keeps the page mid-update, 0..1000 (default 0)");

#define HVSIM_HOLD_US_MAX	1000

static char *format = "pvclock";
module_param(format, charp, 0444);
MODULE_PARM_DESC(format, "page format: pvclock (KVM, default) or hvref (Hyper-V)");

/* The Hyper-V page counts 100 ns units. */
#define HVREF_HZ		10000000ULL

/**
 * struct hvsim - the simulated hypervisor's state for its one page
 * @lock:        serialises writers of the page (the timer, and later
 *               commands); raw because it is taken from a hard-irq timer on
 *               RT too
 * @format:      which layout the page has
 * @page:        the page readers see, in the layout @format names
 * @pvclock:     the page, when @format is pvclock
 * @hvref:       the page, when @format is hvref
 * @scale:       hvref: the 64.64 multiplier from TSC cycles to 100 ns
 * @offset:      hvref: added after scaling, in 100 ns
 * @sequence:    hvref: the last non-zero sequence published
 * @tsc0:        pvclock: TSC at the origin of the clock
 * @ns0:         pvclock: clock value, in ns, at @tsc0
 * @mul:         pvclock: the 32.32 multiplier published in the page
 * @shift:       pvclock: the shift published in the page
 * @anchor_bits: pvclock: log2 of the TSC distance between exact anchors
 * @timer:       drives the periodic rewrites
 * @period:      time between rewrites
 * @hold:        hold_us, as a ktime
 * @mid_update:  a rewrite is begun and not yet ended (hold_us only)
 */
struct hvsim {
	raw_spinlock_t lock;
	enum tscpage_format format;
	union {
		void *page;
		struct tscpage_pvclock *pvclock;
		struct tscpage_hvref *hvref;
	};
	u64 scale;
	s64 offset;
	u32 sequence;
	u64 tsc0;
	u64 ns0;
	u32 mul;
	s8 shift;
	unsigned int anchor_bits;
	struct hrtimer timer;
	ktime_t period;
	ktime_t hold;
	bool mid_update;
};

static struct hvsim hvsim;

struct tscpage_provider tscpage_hvsim_provider;
EXPORT_SYMBOL_GPL(tscpage_hvsim_provider);

/*
 * Choose @shift and @mul so that ns = (shifted(cycles) * mul) >> 32 for a
 * TSC of @tsc_hz: the shift brings the rate into (1 GHz, 2 GHz], which puts
 * mul in [2^31, 2^32) and keeps 31 bits of precision in it.
 */
static int hvsim_time_scale(u64 tsc_hz, u32 *mul, s8 *shift)
{
	u64 scaled = tsc_hz;
	int s = 0;

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

/*
 * Like KVM, which sets the stable bit only while the host's TSC is its
 * clocksource (the master clock): once the kernel finds the TSCs
 * unsynchronized, at boot or later through the clocksource watchdog, the
 * next rewrite withdraws TSC_STABLE and readers run the monotonic guard.
 */
static u8 hvsim_pvclock_flags(void)
{
	return check_tsc_unstable() ? 0 : TSCPAGE_PVCLOCK_TSC_STABLE;
}

/*
 * Rewrite the pvclock page, in two halves: begin leaves it mid-update
 * (version odd, new fields), end completes it (version even). Both are
 * called with hvsim.lock held, interrupts off.
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
 * which exercises the version protocol alone.
 */
static void hvsim_begin_pvclock(struct hvsim *sim)
{
	struct tscpage_pvclock *page = sim->pvclock;
	s64 since = rdtsc_ordered() - sim->tsc0;
	u64 k;

	/* A CPU whose TSC is behind the origin's keeps the origin. */
	k = since > 0 ? (u64)since >> sim->anchor_bits : 0;

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
	WRITE_ONCE(page->flags, hvsim_pvclock_flags());
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
 * fields; then a new sequence), with hvsim.lock held, interrupts off.
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

static void hvsim_begin(struct hvsim *sim)
{
	if (sim->format == TSCPAGE_FORMAT_PVCLOCK)
		hvsim_begin_pvclock(sim);
	else
		hvsim_begin_hvref(sim);
}

static void hvsim_end(struct hvsim *sim)
{
	if (sim->format == TSCPAGE_FORMAT_PVCLOCK)
		hvsim_end_pvclock(sim);
	else
		hvsim_end_hvref(sim);
}

static void hvsim_publish(struct hvsim *sim)
{
	hvsim_begin(sim);
	hvsim_end(sim);
}

/*
 * Hard-irq context, also on PREEMPT_RT (HRTIMER_MODE_REL_HARD). With
 * hold_us, a rewrite takes two expiries: the first leaves the page
 * mid-update, the second, hold_us later, completes it. The page then stays
 * mid-update for that long in real time, whoever runs meanwhile.
 */
static enum hrtimer_restart hvsim_timer_fn(struct hrtimer *timer)
{
	struct hvsim *sim = container_of(timer, struct hvsim, timer);
	ktime_t next = sim->period;
	unsigned long flags;

	raw_spin_lock_irqsave(&sim->lock, flags);
	if (!hold_us) {
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

static int __init hvsim_init(void)
{
	struct hvsim *sim = &hvsim;
	unsigned long flags;
	int err;

	if (update_hz < 1 || update_hz > HVSIM_UPDATE_HZ_MAX) {
		pr_err("update_hz=%u out of range 1..%u\n", update_hz,
		       HVSIM_UPDATE_HZ_MAX);
		return -EINVAL;
	}
	if (!boot_cpu_has(X86_FEATURE_TSC) || !tsc_khz) {
		pr_err("the kernel has no TSC frequency to build a page from\n");
		return -ENODEV;
	}

	if (hold_us > HVSIM_HOLD_US_MAX ||
	    (u64)hold_us * update_hz >= USEC_PER_SEC / 2) {
		pr_err("hold_us=%u out of range 0..%u, or at update_hz=%u more than half of every second\n",
		       hold_us, HVSIM_HOLD_US_MAX, update_hz);
		return -EINVAL;
	}
	if (!strcmp(format, "pvclock")) {
		sim->format = TSCPAGE_FORMAT_PVCLOCK;
	} else if (!strcmp(format, "hvref")) {
		sim->format = TSCPAGE_FORMAT_HVREF;
	} else {
		pr_err("format=%s: not pvclock or hvref\n", format);
		return -EINVAL;
	}

	err = hvsim_time_scale((u64)tsc_khz * 1000, &sim->mul, &sim->shift);
	if (err) {
		pr_err("TSC at %u kHz cannot be scaled to ns\n", tsc_khz);
		return err;
	}
	sim->anchor_bits = 32 - sim->shift;
	/*
	 * scale = 2^64 * 10^7 / tsc_hz, below 2^64 for any TSC above 10 MHz,
	 * which every x86 TSC is (tsc_khz is at least 1 MHz here, so check).
	 */
	if ((u64)tsc_khz * 1000 <= HVREF_HZ) {
		pr_err("TSC at %u kHz too slow for a reference page\n", tsc_khz);
		return -ERANGE;
	}
	sim->scale = mul_u64_u64_div_u64(1ULL << 63, 2 * HVREF_HZ,
					 (u64)tsc_khz * 1000);

	sim->page = (void *)get_zeroed_page(GFP_KERNEL);
	if (!sim->page)
		return -ENOMEM;

	raw_spin_lock_init(&sim->lock);
	raw_spin_lock_irqsave(&sim->lock, flags);
	sim->tsc0 = rdtsc_ordered();
	sim->ns0 = ktime_get_raw_ns();
	sim->offset = div_u64(sim->ns0, 100) -
		      mul_u64_u64_shr(sim->tsc0, sim->scale, 64);
	hvsim_publish(sim);
	raw_spin_unlock_irqrestore(&sim->lock, flags);

	sim->period = ns_to_ktime(div_u64(NSEC_PER_SEC, update_hz));
	sim->hold = ns_to_ktime((u64)hold_us * NSEC_PER_USEC);
	hrtimer_init(&sim->timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_HARD);
	sim->timer.function = hvsim_timer_fn;
	hrtimer_start(&sim->timer, sim->period, HRTIMER_MODE_REL_HARD);

	/* Published by the end of module init; see tscpage_provider. */
	tscpage_hvsim_provider = (struct tscpage_provider) {
		.name			= "hvsim",
		.format			= sim->format,
		.page			= sim->page,
		.tsc_khz		= tsc_khz,
		.vdso_clock_mode	= VDSO_CLOCKMODE_NONE,
	};

	if (sim->format == TSCPAGE_FORMAT_PVCLOCK)
		pr_info("pvclock page: TSC %u kHz, mul %u shift %d, %s, %u updates/s, held %u us\n",
			tsc_khz, sim->mul, sim->shift,
			hvsim_pvclock_flags() ? "TSC_STABLE" : "not TSC_STABLE",
			update_hz, hold_us);
	else
		pr_info("reference page: TSC %u kHz, scale %llu offset %lld, %u updates/s, held %u us\n",
			tsc_khz, sim->scale, sim->offset, update_hz, hold_us);
	return 0;
}

/*
 * tscpage.ko holds a reference on this module (symbol_get) for as long as
 * it reads the page, so no reader is left when this runs.
 */
static void __exit hvsim_exit(void)
{
	hrtimer_cancel(&hvsim.timer);
	free_page((unsigned long)hvsim.page);
}

module_init(hvsim_init);
module_exit(hvsim_exit);

MODULE_DESCRIPTION("tscpage hypervisor test double: a simulated pvclock page");
MODULE_LICENSE("GPL");
