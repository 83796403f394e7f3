// SPDX-License-Identifier: GPL-2.0
/*
 * The hyperv provider: the kernel's Hyper-V reference TSC page.
 *
 * hyperv_timer.c owns one page for all CPUs. hv_get_tsc_page() returns it
 * whether or not Hyper-V enabled it. On 6.12, hv_get_tsc_pfn() is non-zero
 * only once the kernel gave it to the hypervisor, and that is also the
 * condition on which the vDSO maps it (arch/x86/entry/vdso/vma.c); 6.1 has
 * no such call and its vDSO maps the page whenever it exists. Either way
 * clock_gettime() can read it in userspace as hyperv_clocksource_tsc_page
 * does. A sequence of 0 means the page is not (or no longer) valid (TLFS
 * 12.7.2): the hypervisor never filled it in, or withdrew it.
 */
#include <linux/clocksource.h>
#include <linux/compiler.h>
#include <linux/errno.h>
#include <linux/types.h>

#include "../tscpage.h"

#if IS_ENABLED(CONFIG_HYPERV_TIMER)
#include <clocksource/hyperv_timer.h>
#include <asm/tsc.h>

static unsigned long tscpage_hv_tsc_pfn(const void *page)
{
#ifdef TSCPAGE_HAVE_HV_GET_TSC_PFN
	return hv_get_tsc_pfn();
#else
	return PHYS_PFN(__pa(page));
#endif
}
#endif

static int tscpage_hyperv_get(struct tscpage_provider *p, const char **why)
{
#if IS_ENABLED(CONFIG_HYPERV_TIMER)
	const struct tscpage_hvref *page = (const void *)hv_get_tsc_page();

	if (!page || !tscpage_hv_tsc_pfn(page)) {
		*why = "no Hyper-V reference TSC page (not Hyper-V, or not enabled)";
		return -ENODEV;
	}
	if (!READ_ONCE(page->tsc_sequence)) {
		*why = "the Hyper-V reference TSC page is marked invalid (sequence 0)";
		return -ENODEV;
	}
	*p = (struct tscpage_provider) {
		.name			= "hyperv",
		.format			= TSCPAGE_FORMAT_HVREF,
		.page			= page,
		.tsc_khz		= tsc_khz,
		.vdso_clock_mode	= VDSO_CLOCKMODE_HVCLOCK,
	};
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
