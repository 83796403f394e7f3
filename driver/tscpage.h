/* SPDX-License-Identifier: GPL-2.0 */
/* What the parts of tscpage.ko tell one another. */
#ifndef _DRIVER_TSCPAGE_H
#define _DRIVER_TSCPAGE_H

#include <linux/atomic.h>
#include <linux/percpu.h>
#include <linux/poll.h>
#include <linux/types.h>
#include <tscpage/lastgood.h>
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
 * @guarded:     reads that went through the monotonic guard (page not
 *               TSC_STABLE, TSCs unsynchronized, page distrusted, fallback)
 * @ref_counter: reads of a page marked invalid that took the provider's
 *               other way to its clock (tscpage_provider.ref_ns) instead
 *               of falling back
 * @cpu0_withheld: reads that found CPU 0's kvm page, which the vDSO reads
 *               on every CPU, stale after a pause and took its TSC_STABLE
 * @cpu0_raced:  of those, ones whose store may have hit the page KVM was
 *               rewriting (harmless: the syscall until its next rewrite)
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
	u64 guarded;
	u64 ref_counter;
	u64 cpu0_withheld;
	u64 cpu0_raced;
};

DECLARE_PER_CPU(struct tscpage_stats, tscpage_stats);

/*
 * A stuck page costs a reader at most this many attempts before it gives
 * up: the clocksource then falls back, the watch (reenlighten.c) counts
 * the page unusable. An update in progress takes the writer a handful of
 * stores, so a healthy page never comes close.
 */
#define TSCPAGE_MAX_RETRIES	1024
/*
 * ... and the clocksource read at most this long, in TSC cycles at the
 * kernel's tsc_khz: 1024 PAUSEs are a few microseconds on some CPUs and
 * about 50 on those with a long PAUSE, in NMI included.
 */
#define TSCPAGE_SPIN_US		10

/*
 * A copy of the page's parameters, in its format (union tscpage_params),
 * and a CPU's last good ones: <tscpage/lastgood.h>.
 */

/* params.c: what a set of parameters means. */
bool tscpage_params_sane(enum tscpage_format format,
			 const union tscpage_params *p);
u32 tscpage_params_khz(enum tscpage_format format,
		       const union tscpage_params *p);
u64 tscpage_params_ns(enum tscpage_format format,
		      const union tscpage_params *p, u64 tsc);
int tscpage_params_sample(enum tscpage_format format, const void *page,
			  union tscpage_params *p, u64 *tsc);

int tscpage_clocksource_register(const struct tscpage_provider *provider,
				 int rating);
void tscpage_clocksource_unregister(void);
bool tscpage_clocksource_is_current(void);
bool tscpage_clocksource_absent(u64 tsc, u64 cycles);
void tscpage_clocksource_presence_reset(void);
u32 tscpage_clocksource_pauses(void);
bool tscpage_clocksource_in_vdso(void);
bool tscpage_clocksource_tsc_unsynced(void);
void tscpage_clocksource_vdso_off(const char *why);
void tscpage_clocksource_check_cpus(void);
u64 tscpage_clocksource_read(void);

int tscpage_chardev_register(const struct tscpage_provider *provider);
void tscpage_chardev_unregister(void);

/* events.c: the ring read() and poll() on /dev/tscpage serve. */
void tscpage_event_add(struct tscpage_event *e);
u64 tscpage_events_head(void);
ssize_t tscpage_events_read(u64 *cursor, char __user *buf, size_t count);
int tscpage_events_wait(u64 cursor);
__poll_t tscpage_events_poll(u64 cursor, struct file *file,
			     struct poll_table_struct *wait);

/**
 * struct tscpage_migration_stats - what reenlighten.c went through
 * @notifications: notifications from the provider handled
 * @detections:    changes of the page found with no notification
 * @acks:          acknowledgments sent to the provider
 * @withdrawn:     1 once the clocksource was withdrawn (page unusable)
 * @distrust:      1 once the page stepped back: every read is guarded;
 *                 cleared only by hand (tscpage_reenlighten_trust_again())
 *
 * Written under reenlighten.c's mutex; read without it (debugfs).
 */
struct tscpage_migration_stats {
	u64 notifications;
	u64 detections;
	u64 acks;
	u32 withdrawn;
	u32 distrust;
};

extern struct tscpage_migration_stats tscpage_migration_stats;

/* reenlighten.c */
int tscpage_reenlighten_check_params(void);
void tscpage_reenlighten_start(const struct tscpage_provider *provider);
void tscpage_reenlighten_stop(void);
void tscpage_reenlighten_trust_again(void);
u64 tscpage_generation(void);
u32 tscpage_current_khz(void);

struct dentry;
void tscpage_bench_init(struct dentry *dir);

void tscpage_debugfs_init(void);
void tscpage_debugfs_exit(void);

#endif /* _DRIVER_TSCPAGE_H */
