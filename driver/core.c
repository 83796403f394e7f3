// SPDX-License-Identifier: GPL-2.0
/*
 * tscpage: a clocksource read from a hypervisor-written TSC page.
 *
 * This file finds the provider of the page and wires it to the
 * clocksource. Module init and exit run in process context and may sleep.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/init.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/printk.h>

#include "tscpage.h"

/*
 * Below every hardware clocksource x86 has (acpi_pm 200, hpet 250, tsc 300,
 * kvm-clock 400) and above only jiffies: loading tscpage never takes the
 * system clock over; making it current is a deliberate write to
 * current_clocksource.
 */
static int rating = 50;
module_param(rating, int, 0444);
MODULE_PARM_DESC(rating, "clocksource rating, 1..499 (default 50: never chosen over a hardware clocksource)");

static const struct tscpage_provider *tscpage_provider;

/*
 * For now the only provider is tscpage_hvsim.ko. symbol_get() finds it only
 * once that module has finished loading, and holds a reference on it that
 * keeps the page alive until our exit.
 */
static const struct tscpage_provider *tscpage_provider_get(void)
{
	return symbol_get(tscpage_hvsim_provider);
}

static void tscpage_provider_put(void)
{
	symbol_put(tscpage_hvsim_provider);
}

static int __init tscpage_init(void)
{
	int err;

	if (rating < 1 || rating > 499) {
		pr_err("rating=%d out of range 1..499\n", rating);
		return -EINVAL;
	}

	tscpage_provider = tscpage_provider_get();
	if (!tscpage_provider) {
		pr_err("no time page provider: load tscpage_hvsim first\n");
		return -ENODEV;
	}

	err = tscpage_clocksource_register(tscpage_provider, rating);
	if (err)
		goto err_put;
	return 0;

err_put:
	tscpage_provider_put();
	return err;
}

static void __exit tscpage_exit(void)
{
	tscpage_clocksource_unregister();
	tscpage_provider_put();
}

module_init(tscpage_init);
module_exit(tscpage_exit);

MODULE_DESCRIPTION("Clocksource read from a hypervisor-written TSC page");
MODULE_LICENSE("GPL");
