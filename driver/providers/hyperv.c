// SPDX-License-Identifier: GPL-2.0
/*
 * The hyperv provider: the kernel's Hyper-V reference TSC page.
 *
 * hyperv_timer.c owns one page for all CPUs. hv_get_tsc_page() returns it
 * whether or not Hyper-V enabled it; on 6.12, hv_get_tsc_pfn() is non-zero
 * only once the kernel gave it to the hypervisor. A sequence of 0 means the
 * page is not (or no longer) valid (TLFS 12.7.2): the hypervisor never
 * filled it in, or withdrew it. A load then is refused; at run time the
 * clocksource reads the reference counter MSR instead (ref_ns), as
 * hyperv_timer.c does, where Hyper-V offers it.
 *
 * The TSC is in step across the partition (tsc_in_step): see
 * tscpage_tsc_unsynced in clocksource.c.
 *
 * The vDSO: never. VDSO_CLOCKMODE_HVCLOCK would be wrong twice over. The
 * vDSO's vread_hvclock() returns the page's 100 ns units as the counter,
 * while tscpage counts nanoseconds at 1 GHz, so the timekeeping core's
 * mult/shift for us would scale it 100 times too slow. And the vDSO maps
 * the page only once vclock_was_used(VDSO_CLOCKMODE_HVCLOCK), a bit that
 * only hyperv_clocksource_tsc_page's ->enable sets and that a module
 * cannot see; nothing like kvm-clock's CSID lets us prove it set. So the
 * provider says VDSO_CLOCKMODE_NONE and clock_gettime() takes the syscall.
 *
 * /dev/tscpage maps the frame hv_get_tsc_pfn() gives; on 6.1, which lacks
 * it, __pa() of the page, which is right everywhere but on a root
 * partition (there the page is memremap()ed): refused there.
 *
 * Reenlightenment: refused. The kernel's TSC-change callback cannot be
 * released safely by a module: clear_hv_tscchange_cb() does not flush the
 * kernel's own hv_reenlightenment_work (static in hv_init.c), so an unload
 * could race a callback into freed module text; the kernel keeps a single
 * callback, which a kvm loaded later silently takes over, and our unload
 * would then clear KVM's; and TSC emulation control stays enabled once we
 * are gone. So the provider never subscribes (no set_hv_tscchange_cb()):
 * migrations are seen by the watch in reenlighten.c only, as for kvm, and
 * the load says so once.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/clocksource.h>
#include <linux/compiler.h>
#include <linux/errno.h>
#include <linux/printk.h>
#include <linux/types.h>

#include "../tscpage.h"

#if IS_ENABLED(CONFIG_HYPERV_TIMER)
#include <linux/pfn.h>
#include <clocksource/hyperv_timer.h>
#include <asm/mshyperv.h>
#include <asm/msr.h>
#include <asm/page.h>
#include <asm/tsc.h>

/*
 * HV_X64_MSR_TIME_REF_COUNT: the partition's reference time in 100 ns
 * units, the very clock the page computes (TLFS, "Partition Reference
 * Counter"), what hyperv_timer.c falls back to on sequence 0. One RDMSR,
 * which the hypervisor emulates; __rdmsr() is the raw instruction, as
 * the kernel's own read_hv_clock_msr() uses, safe in NMI.
 */
static u64 notrace tscpage_hv_ref_ns(void)
{
	return __rdmsr(HV_X64_MSR_TIME_REF_COUNT) * 100;
}

/* The conditions of hv_init.c's own check for reenlightenment. */
static bool tscpage_hv_reenlightenment(void)
{
	return (ms_hyperv.features & HV_ACCESS_FREQUENCY_MSRS) &&
	       (ms_hyperv.misc_features & HV_FEATURE_FREQUENCY_MSRS_AVAILABLE) &&
	       (ms_hyperv.features & HV_ACCESS_REENLIGHTENMENT);
}

/*
 * The frame of the page, for /dev/tscpage. On a root partition the page is
 * Hyper-V's own, memremap()ed by hyperv_timer.c: __pa() of that address is
 * meaningless, and only hv_get_tsc_pfn() knows the frame. A kernel without
 * hv_get_tsc_pfn() (6.1) therefore cannot offer the page of a root
 * partition; everywhere else the page is hyperv_timer.c's static tsc_pg,
 * in the kernel image, where __pa() is right.
 *
 * hv_get_tsc_pfn() is 0 until the kernel gave the page to Hyper-V.
 */
static int tscpage_hv_tsc_pfn(const void *page, unsigned long *pfn,
			      const char **why)
{
#ifdef TSCPAGE_HAVE_HV_GET_TSC_PFN
	*pfn = hv_get_tsc_pfn();
#else
	if (hv_root_partition) {
		*why = "root partition: page memremap()ed, no hv_get_tsc_pfn() to find its frame";
		return -EOPNOTSUPP;
	}
	*pfn = PHYS_PFN(__pa(page));
#endif
	if (!*pfn) {
		*why = "no Hyper-V reference TSC page (not Hyper-V, or not enabled)";
		return -ENODEV;
	}
	return 0;
}
#endif

static int tscpage_hyperv_get(struct tscpage_provider *p, const char **why)
{
#if IS_ENABLED(CONFIG_HYPERV_TIMER)
	const struct tscpage_hvref *page = (const void *)hv_get_tsc_page();
	unsigned long pfn;
	int err;

	if (!page) {
		*why = "no Hyper-V reference TSC page (not Hyper-V, or not enabled)";
		return -ENODEV;
	}
	err = tscpage_hv_tsc_pfn(page, &pfn, why);
	if (err)
		return err;
	if (!READ_ONCE(page->tsc_sequence)) {
		*why = "the Hyper-V reference TSC page is marked invalid (sequence 0)";
		return -ENODEV;
	}
	*p = (struct tscpage_provider) {
		.name			= "hyperv",
		.format			= TSCPAGE_FORMAT_HVREF,
		.page			= page,
		.pfn			= pfn,
		.tsc_khz		= tsc_khz,
		.vdso_clock_mode	= VDSO_CLOCKMODE_NONE,
		.vdso_why		= "the vDSO reads 100 ns units and may not map the page",
		.tsc_in_step		= true,
	};
	if (ms_hyperv.features & HV_MSR_TIME_REF_COUNT_AVAILABLE)
		p->ref_ns = tscpage_hv_ref_ns;
	if (tscpage_hv_reenlightenment())
		pr_info("Hyper-V offers reenlightenment, not used: the kernel's callback cannot be released safely by a module; migrations are seen by watching the page\n");
	return 0;
#else
	*why = "kernel built without CONFIG_HYPERV_TIMER";
	return -ENODEV;
#endif
}

static void tscpage_hyperv_put(void)
{
}

const struct tscpage_source tscpage_source_hyperv = {
	.name	= "hyperv",
	.get	= tscpage_hyperv_get,
	.put	= tscpage_hyperv_put,
};
