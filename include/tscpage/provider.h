/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The provider interface: whoever owns a time page hands it to tscpage.ko
 * through one of these. Kernel only.
 */
#ifndef _TSCPAGE_PROVIDER_H
#define _TSCPAGE_PROVIDER_H

#include <linux/types.h>
#include <linux/tscpage.h>

/**
 * struct tscpage_provider - a time page and what tscpage needs to know of it
 * @name:            short name for logs and the ABI: "kvm", "hyperv", "hvsim"
 * @format:          layout of @page
 * @page:            kernel address of the page, page aligned, in the linear
 *                   map or the kernel image (so virt_to_page() works); the
 *                   provider writes it, tscpage only reads it (but see
 *                   @clears_guest_stopped)
 * @pfn:             the page frame of @page, for mapping it into userspace
 *                   (/dev/tscpage): the provider's to give, because only it
 *                   knows how the page was mapped (a memremap()ed page has
 *                   no __pa())
 * @cpu_pages:       optional, pvclock only: a per-CPU variable holding each
 *                   CPU's own page, in the same format (kvm: a vCPU's
 *                   kvmclock page is valid for that vCPU's TSC only, unless
 *                   TSC_STABLE). The clocksource's read on a CPU reads that
 *                   CPU's page, with preemption disabled; a NULL entry
 *                   means @page. NULL: every CPU reads @page. @page stays
 *                   the page of /dev/tscpage and of the watch.
 * @clears_guest_stopped: with @cpu_pages: the guest, not the hypervisor,
 *                   clears GUEST_STOPPED in those pages (KVM sets it when it
 *                   paused the VM and leaves it set), so the clocksource's
 *                   read clears it on its CPU's page and counts the pause
 *                   for the watch (driver/clocksource.c); the one store
 *                   tscpage makes to a provider's page
 * @tsc_khz:         TSC frequency the page parameters were computed from
 * @vdso_clock_mode: the kernel's vDSO clock mode that reads this very page
 *                   (VDSO_CLOCKMODE_PVCLOCK) when the provider can prove the
 *                   kernel maps it into the vDSO, else VDSO_CLOCKMODE_NONE: a
 *                   mode whose page is not mapped makes every process that
 *                   reads the time die of SIGBUS
 * @vdso_why:        with VDSO_CLOCKMODE_NONE, why, for the log; may be NULL
 * @tsc_in_step:     hvref only: the hypervisor keeps every vCPU's TSC in
 *                   step, whatever the kernel concluded (Hyper-V: the
 *                   reference page is partition-wide, TLFS), so a read
 *                   that sampled the page needs no cross-CPU guard even
 *                   where the kernel marked its TSC unstable
 * @ref_ns:          optional, hvref only: the page's clock read another way,
 *                   for while the page is marked invalid (sequence 0):
 *                   Hyper-V's reference counter MSR, which the TLFS keeps
 *                   in step with the page, in ns. Any context, NMI
 *                   included; notrace
 * @test_double:     the page is a test double's, whose time is made wrong
 *                   on purpose (hvsim's faults): tscpage then never ranks
 *                   above jiffies, so it cannot become the clocksource
 *                   watchdog (driver/core.c, rating)
 *
 * @subscribe:       optional: from now on, call @notify when the TSC
 *                   frequency or offset changed (a migration); -EBUSY if
 *                   another listener has it. Process context.
 * @unsubscribe:     undoes @subscribe; on return no call of @notify is
 *                   running or will start. Process context.
 * @ack:             optional: the guest has re-read the page after a
 *                   notification (hvsim: its TSC emulation ends and
 *                   GUEST_STOPPED is cleared). Process context.
 *
 * @notify runs in any context (hvsim: hard interrupt on the target CPU),
 * may not sleep, and gets the CPU the notification arrived on. Only hvsim
 * notifies: kvm has no notification, and the hyperv provider refuses the
 * kernel's reenlightenment callback (driver/providers/hyperv.c says why).
 *
 * Everything here is set before tscpage sees the provider and does not
 * change while tscpage holds it.
 */
struct tscpage_provider {
	const char *name;
	enum tscpage_format format;
	const void *page;
	unsigned long pfn;
	void * __percpu *cpu_pages;
	bool clears_guest_stopped;
	u32 tsc_khz;
	int vdso_clock_mode;
	const char *vdso_why;
	bool tsc_in_step;
	u64 (*ref_ns)(void);
	bool test_double;
	int (*subscribe)(void (*notify)(unsigned int cpu));
	void (*unsubscribe)(void);
	void (*ack)(void);
};

/*
 * Exported by tscpage_hvsim.ko, the hypervisor test double, with
 * EXPORT_SYMBOL_GPL; tscpage.ko takes it with symbol_get(), which pins
 * tscpage_hvsim for as long as tscpage reads its page.
 */
extern struct tscpage_provider tscpage_hvsim_provider;

#endif /* _TSCPAGE_PROVIDER_H */
