// SPDX-License-Identifier: GPL-2.0
/*
 * tscpage_hvsim: a test double of the hypervisor. It owns one page, in
 * either format (format=pvclock, the default, or format=hvref), fills it
 * from the TSC frequency the kernel measured and rewrites it periodically
 * with that format's update protocol (page.c), so that tscpage.ko has a
 * page to read in any VM, including QEMU under TCG where no hypervisor
 * writes one. On command (/dev/tscpage_hvsim, control.c) it migrates the
 * guest (migrate.c) and gets the page wrong on purpose (fault.c).
 *
 * Module init and exit run in process context and may sleep.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/clocksource.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/pfn.h>
#include <linux/string.h>
#include <linux/workqueue.h>
#include <asm/cpufeature.h>
#include <asm/page.h>
#include <asm/tsc.h>
#include <tscpage/provider.h>

#include "hvsim.h"

static unsigned int update_hz = 1000;
module_param(update_hz, uint, 0444);
MODULE_PARM_DESC(update_hz, "page rewrites per second, 1..100000 (default 1000)");

/*
 * A slow writer: how long each rewrite keeps the page mid-update (pvclock
 * version odd, Hyper-V sequence 0), in real time, so that readers really
 * meet updates in progress even when the vCPUs do not run in parallel.
 */
static unsigned int hold_us;
module_param(hold_us, uint, 0444);
MODULE_PARM_DESC(hold_us, "microseconds each rewrite keeps the page mid-update, 0..1000 (default 0)");

static char *format = "pvclock";
module_param(format, charp, 0444);
MODULE_PARM_DESC(format, "page format: pvclock (KVM, default) or hvref (Hyper-V)");

bool hvsim_allow_tsc_writes;
module_param_named(allow_tsc_writes, hvsim_allow_tsc_writes, bool, 0444);
MODULE_PARM_DESC(allow_tsc_writes, "DESTRUCTIVE: let migrate --tsc-offset and desync write every CPU's TSC (default 0)");

/* allow_tsc_writes=1 on a CPU that ignores TSC writes. */
bool hvsim_tsc_ignored;

struct hvsim hvsim = {
	.lock = __RAW_SPIN_LOCK_UNLOCKED(hvsim.lock),
	.ctl_lock = __MUTEX_INITIALIZER(hvsim.ctl_lock),
};

struct tscpage_provider tscpage_hvsim_provider;
EXPORT_SYMBOL_GPL(tscpage_hvsim_provider);

static int __init hvsim_init(void)
{
	struct hvsim *sim = &hvsim;
	int err;

	if (!boot_cpu_has(X86_FEATURE_TSC) || !tsc_khz) {
		pr_err("the kernel has no TSC frequency to build a page from\n");
		return -ENODEV;
	}
	if (!strcmp(format, "pvclock")) {
		sim->format = TSCPAGE_FORMAT_PVCLOCK;
	} else if (!strcmp(format, "hvref")) {
		sim->format = TSCPAGE_FORMAT_HVREF;
	} else {
		pr_err("format=%s: not pvclock or hvref\n", format);
		return -EINVAL;
	}
	sim->tsc_khz = tsc_khz;
	INIT_DELAYED_WORK(&sim->fault_end, hvsim_fault_end_work);

	err = hvsim_page_init(sim, update_hz, hold_us);
	if (err)
		return err;

	/* Published by the end of module init; see tscpage_provider. */
	tscpage_hvsim_provider = (struct tscpage_provider) {
		.name			= "hvsim",
		.format			= sim->format,
		.page			= sim->page,
		.pfn			= PHYS_PFN(__pa(sim->page)),
		.tsc_khz		= tsc_khz,
		.vdso_clock_mode	= VDSO_CLOCKMODE_NONE,
		.vdso_why		= "the hvsim page is not in the vDSO",
		.test_double		= true,
	};
	hvsim_notify_init(sim);

	err = hvsim_control_register();
	if (err) {
		hvsim_page_stop(sim);
		return err;
	}
	hvsim_page_start(sim);
	if (hvsim_allow_tsc_writes) {
		hvsim_tsc_ignored = !hvsim_tsc_writes_work();
		if (hvsim_tsc_ignored)
			pr_info("allow_tsc_writes=1, but this CPU ignores TSC writes (QEMU under TCG does): migrate --tsc-offset and desync will fail\n");
		else
			pr_warn("allow_tsc_writes=1: migrate --tsc-offset and desync will write the TSCs\n");
	}
	return 0;
}

/*
 * tscpage.ko holds a reference on this module (symbol_get) for as long as
 * it reads the page, so no reader, and no subscriber, is left when this
 * runs. The control device goes first, so no command runs after it.
 */
static void __exit hvsim_exit(void)
{
	struct hvsim *sim = &hvsim;

	hvsim_control_unregister();
	cancel_delayed_work_sync(&sim->fault_end);
	hvsim_notify_exit(sim);
	hvsim_page_stop(sim);
}

module_init(hvsim_init);
module_exit(hvsim_exit);

MODULE_DESCRIPTION("tscpage hypervisor test double: a simulated time page, migrations and faults");
MODULE_LICENSE("GPL");
