/* SPDX-License-Identifier: GPL-2.0 */
/* What the parts of tscpage.ko tell one another. */
#ifndef _DRIVER_TSCPAGE_H
#define _DRIVER_TSCPAGE_H

#include <linux/atomic.h>
#include <linux/percpu.h>
#include <tscpage/provider.h>

/**
 * struct tscpage_source - a way to find a provider (driver/providers/)
 * @name: the value of the provider= module parameter that picks it
 * @get:  fills in @p if this provider's page is there and usable; else
 *        returns -ENODEV (or another -errno) and points @why at the reason
 * @put:  releases what @get took; called once for each successful @get
 *
 * Both run in process context (module init and exit) and may sleep.
 */
struct tscpage_source {
	const char *name;
	int (*get)(struct tscpage_provider *p, const char **why);
	void (*put)(void);
};

extern const struct tscpage_source tscpage_source_kvm;
extern const struct tscpage_source tscpage_source_hyperv;
extern const struct tscpage_source tscpage_source_hvsim;

/**
 * struct tscpage_stats - what the readers of the page went through
 * @reads:       clocksource reads
 * @retries:     attempts thrown away (update in progress, or version changed)
 * @max_retries: most attempts thrown away by one read
 * @fallbacks:   reads that could not use the page and went on from this
 *               CPU's last good parameters
 * @invalid:     of those, reads that found the page marked invalid (Hyper-V
 *               sequence 0) or its parameters unusable
 * @clamps:      reads the monotonic guard held back to the last time
 *               handed out
 *
 * Per CPU: each CPU writes only its own, with preemption disabled.
 */
struct tscpage_stats {
	u64 reads;
	u64 retries;
	u64 max_retries;
	u64 fallbacks;
	u64 invalid;
	u64 clamps;
};

DECLARE_PER_CPU(struct tscpage_stats, tscpage_stats);

int tscpage_clocksource_register(const struct tscpage_provider *provider,
				 int rating);
void tscpage_clocksource_unregister(void);
bool tscpage_clocksource_is_current(void);

int tscpage_chardev_register(const struct tscpage_provider *provider);
void tscpage_chardev_unregister(void);

u64 tscpage_generation(void);

void tscpage_debugfs_init(void);
void tscpage_debugfs_exit(void);

#endif /* _DRIVER_TSCPAGE_H */
