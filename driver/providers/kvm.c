// SPDX-License-Identifier: GPL-2.0
/*
 * The kvm provider: the kernel's own kvmclock page of CPU 0, the one the
 * kernel maps into the vDSO.
 *
 * kvmclock publishes that page (pvclock_set_pvti_cpu0_va()) whenever it
 * sets kvmclock up, stable TSC or not; we take it only while its
 * TSC_STABLE bit is set now, and only where KVM offers
 * KVM_FEATURE_CLOCKSOURCE_STABLE_BIT: without it pvclock.c ignores the bit
 * (pvclock_set_flags() is never called), and so do we. kvm_para_has_feature()
 * is not usable from a module (kvm_arch_para_features() is not exported),
 * so we read KVM's CPUID leaf ourselves.
 *
 * Per CPU: the page is one clock for all CPUs only while TSC_STABLE; KVM
 * can drop the bit at run time (the host's TSC became unstable), and then
 * each vCPU's page is valid only for that vCPU's TSC. So the clocksource
 * reads this CPU's own kvmclock page (hv_clock_per_cpu, exported by
 * kvmclock.c; what this_cpu_pvti() reads for kvm-clock) through
 * tscpage_provider.cpu_pages, and reads without TSC_STABLE go through the
 * monotonic guard. CPU 0's page stays the one /dev/tscpage shares and the
 * watch samples: userspace must treat it, without TSC_STABLE, as valid for
 * CPU 0 only (include/uapi/linux/tscpage.h).
 *
 * GUEST_STOPPED: KVM sets it in every vCPU's page when the VM was paused
 * and leaves it to the guest to clear. With tscpage current nothing else
 * would on every read, so the clocksource's read clears it on this CPU's
 * page and counts the pause (tscpage_provider.clears_guest_stopped), for
 * the watch to tell a pause hidden from the clock from a page gone back.
 *
 * The vDSO: arch/x86/entry/vdso/vma.c maps the page into [vvar] only once
 * vclock_was_used(VDSO_CLOCKMODE_PVCLOCK), a bit that kvm-clock's own
 * ->enable sets when it becomes the current clocksource, that nothing
 * clears, and that a module can neither read nor set (vclocks_used is not
 * exported). A clocksource that claims VDSO_CLOCKMODE_PVCLOCK without that
 * bit makes every process that reads the time die of SIGBUS on the
 * unmapped page. So tscpage claims the mode only when it can prove the bit
 * set: kvm-clock is the current clocksource when tscpage loads
 * (ktime_get_snapshot()'s cs_id is CSID_X86_KVM_CLK). Otherwise, and on
 * kernels without CSID_X86_KVM_CLK (6.1), VDSO_CLOCKMODE_NONE: the vDSO
 * takes the syscall.
 */
#include <linux/clocksource.h>
#include <linux/compiler.h>
#include <linux/errno.h>
#include <linux/pfn.h>
#include <linux/timekeeping.h>
#include <linux/types.h>
#include <linux/percpu.h>
#include <linux/stddef.h>
#include <asm/cpufeature.h>
#include <asm/kvm_para.h>
#include <asm/page.h>
#include <asm/processor.h>
#include <asm/pvclock.h>
#include <asm/kvmclock.h>	/* after pvclock.h, whose types it uses */
#include <asm/tsc.h>

#include "../tscpage.h"

#ifdef CONFIG_PARAVIRT_CLOCK
/*
 * VDSO_CLOCKMODE_PVCLOCK only if vclock_was_used() is sure to be true for
 * it: kvm-clock is current now, so its ->enable has run, and the bit it
 * set is never cleared. Process context (module init).
 */
static int tscpage_kvm_vdso_mode(const char **vdso_why)
{
#ifdef TSCPAGE_HAVE_CSID_X86_KVM_CLK
	struct system_time_snapshot snap;

	ktime_get_snapshot(&snap);
	if (snap.cs_id == CSID_X86_KVM_CLK)
		return VDSO_CLOCKMODE_PVCLOCK;
	*vdso_why = "kvm-clock was not current at load, the kernel may not map its page";
#else
	*vdso_why = "this kernel has no CSID_X86_KVM_CLK to tell, the kernel may not map its page";
#endif
	return VDSO_CLOCKMODE_NONE;
}

/*
 * Whether KVM says its TSC_STABLE bit means something: what kvmclock_init()
 * asks with kvm_para_has_feature() before it lets pvclock.c trust the bit.
 */
static bool tscpage_kvm_stable_bit_offered(void)
{
	u32 base;

	if (!boot_cpu_has(X86_FEATURE_HYPERVISOR))
		return false;
	base = hypervisor_cpuid_base(KVM_SIGNATURE, 0);
	return base && (cpuid_eax(base | KVM_CPUID_FEATURES) &
			BIT(KVM_FEATURE_CLOCKSOURCE_STABLE_BIT));
}

/* The pvclock page is the first member: a CPU's pointer is its page's. */
static_assert(offsetof(struct pvclock_vsyscall_time_info, pvti) == 0);
#endif

static int tscpage_kvm_get(struct tscpage_provider *p, const char **why)
{
#ifdef CONFIG_PARAVIRT_CLOCK
	const char *vdso_why = NULL;
	int vdso_clock_mode;
	struct pvclock_vsyscall_time_info *pvti = pvclock_get_pvti_cpu0_va();

	if (!pvti) {
		*why = "no kvmclock page (not KVM, or kvmclock disabled)";
		return -ENODEV;
	}
	if (!tscpage_kvm_stable_bit_offered()) {
		*why = "KVM lacks KVM_FEATURE_CLOCKSOURCE_STABLE_BIT: TSC_STABLE means nothing";
		return -ENODEV;
	}
	if (!(READ_ONCE(pvti->pvti.flags) & PVCLOCK_TSC_STABLE_BIT)) {
		*why = "the kvmclock page is not TSC_STABLE";
		return -ENODEV;
	}
	vdso_clock_mode = tscpage_kvm_vdso_mode(&vdso_why);
	*p = (struct tscpage_provider) {
		.name			= "kvm",
		.format			= TSCPAGE_FORMAT_PVCLOCK,
		.page			= &pvti->pvti,
		/* Linear map or kernel image, as the vDSO maps it. */
		.pfn			= PHYS_PFN(__pa(pvti)),
		.cpu_pages		= (void * __percpu *)&hv_clock_per_cpu,
		.clears_guest_stopped	= true,
		.tsc_khz		= tsc_khz,
		.vdso_clock_mode	= vdso_clock_mode,
		.vdso_why		= vdso_why,
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
