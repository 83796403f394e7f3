// SPDX-License-Identifier: GPL-2.0
/*
 * tscpage: a clocksource read from a hypervisor-written TSC page.
 *
 * This file picks the provider of the page and wires it to the
 * clocksource, /dev/tscpage, debugfs and the handling of migrations
 * (reenlighten.c). Module init and exit run in
 * process context and may sleep.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/printk.h>
#include <linux/string.h>

#include "tscpage.h"

/*
 * 0 asks for the provider's default. Over a real page that is 50: below
 * every hardware clocksource x86 has (acpi_pm 200, hpet 250, tsc 300,
 * kvm-clock 400) and above only jiffies, so loading tscpage never takes
 * the system clock over; making it current is a deliberate write to
 * current_clocksource.
 *
 * Over a test double (hvsim) it is 1, and nothing higher is allowed. The
 * clocksource watchdog is the best-rated clocksource the kernel does not
 * verify itself (clocksource_select_watchdog()): tscpage is one, and at
 * 50 it is the watchdog of a guest whose other clocksources are the
 * verified TSC and jiffies. A time fault injected on purpose would then
 * get the TSC marked unstable, for good. At 1 tscpage only ties jiffies,
 * which registered first and keeps a tie (the choice wants a higher
 * rating to change).
 */
#define TSCPAGE_RATING_REAL		50
#define TSCPAGE_RATING_TEST_DOUBLE	1
static int rating;
module_param(rating, int, 0444);
MODULE_PARM_DESC(rating, "clocksource rating, 1..499, or 0 (default): 50 over a real page, 1 over hvsim, which allows no more");

static char *provider = "auto";
module_param(provider, charp, 0444);
MODULE_PARM_DESC(provider, "page provider: auto (default), hvsim, kvm or hyperv");

/*
 * The order auto tries them in: the test double first, because loading it
 * is a deliberate act, then the real hypervisors.
 */
static const struct tscpage_source *const tscpage_sources[] = {
	&tscpage_source_hvsim,
	&tscpage_source_kvm,
	&tscpage_source_hyperv,
};

static const struct tscpage_source *tscpage_source;
static struct tscpage_provider tscpage_provider;

static int tscpage_pick_provider(void)
{
	bool any = !strcmp(provider, "auto");
	const char *why;
	size_t i;
	int err;

	for (i = 0; i < ARRAY_SIZE(tscpage_sources); i++) {
		const struct tscpage_source *src = tscpage_sources[i];

		if (!any && strcmp(provider, src->name))
			continue;
		why = "unknown reason";
		err = src->get(&tscpage_provider, &why);
		if (!err) {
			tscpage_source = src;
			pr_info("provider %s%s\n", src->name,
				any ? " (picked by provider=auto)" : "");
			return 0;
		}
		if (!any) {
			pr_err("provider %s: %s\n", src->name, why);
			return err;
		}
		pr_info("provider %s not there: %s\n", src->name, why);
	}
	if (!any) {
		pr_err("provider=%s: not one of auto, hvsim, kvm, hyperv\n",
		       provider);
		return -EINVAL;
	}
	pr_err("no time page provider: load tscpage_hvsim first, or run on KVM or Hyper-V\n");
	return -ENODEV;
}

/* The rating to register with: the parameter's, checked against the provider. */
static int tscpage_pick_rating(const struct tscpage_provider *p, int *cs_rating)
{
	if (!p->test_double) {
		*cs_rating = rating ?: TSCPAGE_RATING_REAL;
		return 0;
	}
	if (rating > TSCPAGE_RATING_TEST_DOUBLE) {
		pr_err("rating=%d over %s: at most %d, so that a fault injected on purpose never makes tscpage the clocksource watchdog (it would get the TSC marked unstable)\n",
		       rating, p->name, TSCPAGE_RATING_TEST_DOUBLE);
		return -EINVAL;
	}
	*cs_rating = TSCPAGE_RATING_TEST_DOUBLE;
	return 0;
}

/*
 * The order: every parameter is checked before anything is set up (the
 * rating once the provider it depends on is picked, which nobody sees), so a
 * refused load leaves no trace anyone could have opened; the clocksource
 * comes first, because its registration sets the read function everything
 * else calls (debugfs's bench, the watch); the interfaces userspace can
 * open (/dev/tscpage, then debugfs) come last, once all they serve is
 * there, and nothing after them can fail the load: an open file of a
 * module whose init then fails would outlive its code. Exit undoes it in
 * reverse.
 */
static int __init tscpage_init(void)
{
	int cs_rating, err;

	if (rating < 0 || rating > 499) {
		pr_err("rating=%d out of range 1..499 (or 0: the provider's default)\n",
		       rating);
		return -EINVAL;
	}
	err = tscpage_reenlighten_check_params();
	if (err)
		return err;

	err = tscpage_pick_provider();
	if (err)
		return err;
	err = tscpage_pick_rating(&tscpage_provider, &cs_rating);
	if (err)
		goto err_provider;

	err = tscpage_clocksource_register(&tscpage_provider, cs_rating);
	if (err)
		goto err_provider;
	tscpage_reenlighten_start(&tscpage_provider);
	err = tscpage_chardev_register(&tscpage_provider);
	if (err)
		goto err_reenlighten;
	tscpage_debugfs_init();
	return 0;

err_reenlighten:
	tscpage_reenlighten_stop();
	tscpage_clocksource_unregister();
err_provider:
	tscpage_source->put();
	return err;
}

/*
 * By the time this runs tscpage is not the current clocksource (the
 * timekeeping core holds a module reference while it is) and no file of
 * /dev/tscpage is open (each holds one through the misc device's fops
 * owner), and no mapping of the page is left (each keeps its file).
 */
static void __exit tscpage_exit(void)
{
	tscpage_debugfs_exit();
	tscpage_chardev_unregister();
	tscpage_reenlighten_stop();
	tscpage_clocksource_unregister();
	tscpage_source->put();
}

module_init(tscpage_init);
module_exit(tscpage_exit);

MODULE_DESCRIPTION("Clocksource read from a hypervisor-written TSC page");
MODULE_LICENSE("GPL");
