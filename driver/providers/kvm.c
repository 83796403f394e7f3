// SPDX-License-Identifier: GPL-2.0
/*
 * The kvm provider: the kernel's own kvmclock page of CPU 0, the one the
 * kernel maps into the vDSO.
 *
 * kvmclock publishes that page (pvclock_set_pvti_cpu0_va()) only when KVM
 * promised a stable TSC at boot, and then it is one clock for all CPUs:
 * pvclock_get_pvti_cpu0_va() is NULL otherwise. We also take it only while
 * its TSC_STABLE bit is set now. Because it is the page the vDSO maps
 * (arch/x86/entry/vdso/vma.c maps it whenever it is non-NULL and a
 * clocksource with VDSO_CLOCKMODE_PVCLOCK has been current), tscpage can
 * let clock_gettime() read it in userspace, as kvm-clock does.
 */
#include <linux/clocksource.h>
#include <linux/compiler.h>
#include <linux/errno.h>
#include <linux/pfn.h>
#include <linux/types.h>
#include <asm/page.h>
#include <asm/pvclock.h>
#include <asm/tsc.h>

#include "../tscpage.h"

static int tscpage_kvm_get(struct tscpage_provider *p, const char **why)
{
#ifdef CONFIG_PARAVIRT_CLOCK
	struct pvclock_vsyscall_time_info *pvti = pvclock_get_pvti_cpu0_va();

	if (!pvti) {
		*why = "no kvmclock page shared with the vDSO (not KVM, or KVM gave no stable TSC)";
		return -ENODEV;
	}
	if (!(READ_ONCE(pvti->pvti.flags) & PVCLOCK_TSC_STABLE_BIT)) {
		*why = "the kvmclock page is not TSC_STABLE";
		return -ENODEV;
	}
	*p = (struct tscpage_provider) {
		.name			= "kvm",
		.format			= TSCPAGE_FORMAT_PVCLOCK,
		.page			= &pvti->pvti,
		/* Linear map or kernel image, as the vDSO maps it. */
		.pfn			= PHYS_PFN(__pa(pvti)),
		.tsc_khz		= tsc_khz,
		.vdso_clock_mode	= VDSO_CLOCKMODE_PVCLOCK,
	};
	return 0;
#else
	*why = "kernel built without CONFIG_PARAVIRT_CLOCK";
	return -ENODEV;
#endif
}

static void tscpage_kvm_put(void)
{
}

const struct tscpage_source tscpage_source_kvm = {
	.name	= "kvm",
	.get	= tscpage_kvm_get,
	.put	= tscpage_kvm_put,
};
