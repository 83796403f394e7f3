/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the parts of tscpage_hvsim tell one another.
 *
 *   hvsim.c    module parameters, load and unload
 *   page.c     the page writer: the clock, the update protocols, the timer
 *   fault.c    the fault catalogue
 *   migrate.c  migrations, notifications and their acknowledgment, TSC
 *              writes
 *   control.c  /dev/tscpage_hvsim
 *
 * Locking. Two locks, always taken in this order:
 *   ctl_lock (mutex): one command at a time (ioctls, the end of a fault,
 *     subscribe/unsubscribe); process context, may sleep.
 *   lock (raw spinlock, interrupts off): everything a page writer touches
 *     (the page, the clock, the fault's per-rewrite state, the notification
 *     and acknowledgment bookkeeping). Taken from the hard-irq timer, from
 *     the stop_machine() callback, from the notification IPI and from
 *     process context. Raw because all of these are hard-irq on PREEMPT_RT
 *     too.
 */
#ifndef _HVSIM_H
#define _HVSIM_H

#include <linux/bits.h>
#include <linux/hrtimer.h>
#include <linux/mutex.h>
#include <linux/smp.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/workqueue.h>
#include <linux/tscpage.h>
#include <linux/tscpage_hvsim.h>

/* The Hyper-V page counts 100 ns units. */
#define HVREF_HZ		10000000ULL

#define HVSIM_UPDATE_HZ_MAX	100000
#define HVSIM_HOLD_US_MAX	1000

/* A notification not acknowledged this long counts as an ack timeout. */
#define HVSIM_ACK_TIMEOUT_MS	1000

/*
 * The blackout of the migrations the change_nonotify, no_ack and
 * notify_late faults do.
 */
#define HVSIM_FAULT_BLACKOUT_MS	20
/*
 * pause_noflag's: longer than tscpage's watch period (100 ms), so that
 * the step back it hides is more than rounding or a page rebased by a
 * little, and the watch cannot run through it (every CPU is held).
 */
#define HVSIM_FAULT_PAUSE_MS	300

/**
 * struct hvsim - the simulated hypervisor
 *
 * Under @lock:
 * @format:      layout of the page
 * @page:        the page readers see
 * @tsc_hz:      the real rate of the TSC, as the kernel measured it
 * @scale:       hvref: 64.64 multiplier from TSC cycles to 100 ns
 * @offset:      hvref: added after scaling, in 100 ns
 * @sequence:    hvref: the last non-zero sequence published
 * @tsc0:        pvclock: TSC at the clock's origin
 * @ns0:         pvclock: the clock, in ns, at @tsc0
 * @mul:         pvclock: 32.32 multiplier published
 * @shift:       pvclock: shift published
 * @good_mul:    pvclock: @mul for the real TSC rate (wrong_rate changes @mul)
 * @good_shift:  pvclock: likewise for @shift
 * @good_scale:  hvref: likewise for @scale
 * @anchor_bits: pvclock: log2 of the TSC distance between exact anchors
 * @stopped:     pvclock: publish GUEST_STOPPED until the acknowledgment
 * @mid_update:  a rewrite is begun and not yet ended (hold_us)
 * @period:      time between rewrites
 * @hold:        hold_us, as a ktime
 * @fault:       the active fault
 * @fault_phase: per-rewrite state of the active fault: torn, the halves
 *               written; stable_flap, the flag's phase; notify_late, 1
 *               once its migration is done
 * @fault_rand:  torn: state of the generator that times its halves
 * @fault_until: when the active fault ends
 * @fault_ns:    stuck_back: the clock when the page got stuck, where it
 *               resumes
 * @notify:      tscpage's notification callback, NULL if nobody listens
 * @emulating:   a notification is not yet acknowledged (Hyper-V's TSC
 *               emulation stays on until it is)
 * @notify_seq:  notifications sent; @acked_seq: of those, the last acked
 * @notify_ns:   CLOCK_MONOTONIC when the last notification was delivered
 * @notify_sent_ns: CLOCK_MONOTONIC when the last one was sent: @ack_watch's
 *               deadline is HVSIM_ACK_TIMEOUT_MS after it
 * @tsc_khz:     the frequency the simulated host declares
 * @tsc_offset:  cycles every CPU's TSC was moved by migrations
 * @st:          counters for the status ioctl
 *
 * Under @ctl_lock:
 * @fault_end:   ends the active fault at @fault_until
 * @ack_watch:   counts an ack timeout HVSIM_ACK_TIMEOUT_MS after a
 *               notification
 *
 * Neither: @timer (its own), @csd and @notify_busy (the notification IPI).
 */
struct hvsim {
	raw_spinlock_t lock;	/* page writers; see the top of this file */
	struct mutex ctl_lock;	/* one command at a time */

	enum tscpage_format format;
	union {
		void *page;
		struct tscpage_pvclock *pvclock;
		struct tscpage_hvref *hvref;
	};
	u64 tsc_hz;
	u64 scale;
	s64 offset;
	u32 sequence;
	u64 tsc0;
	u64 ns0;
	u32 mul;
	s8 shift;
	u32 good_mul;
	s8 good_shift;
	u64 good_scale;
	unsigned int anchor_bits;
	bool stopped;
	bool mid_update;

	struct hrtimer timer;
	ktime_t period;
	ktime_t hold;

	enum tscpage_hvsim_fault fault;
	unsigned int fault_phase;
	u64 fault_rand;
	ktime_t fault_until;
	u64 fault_ns;
	struct delayed_work fault_end;

	void (*notify)(unsigned int cpu);
	bool emulating;
	u64 notify_seq;
	u64 acked_seq;
	u64 notify_ns;
	u64 notify_sent_ns;
	unsigned int notify_cpu;
	call_single_data_t csd;
	atomic_t notify_busy;
	struct delayed_work ack_watch;

	u32 tsc_khz;
	s64 tsc_offset;
	struct tscpage_hvsim_status st;
};

extern struct hvsim hvsim;
extern bool hvsim_allow_tsc_writes;
extern bool hvsim_tsc_ignored;

/* page.c */
int hvsim_page_init(struct hvsim *sim, unsigned int update_hz,
		    unsigned int hold_us);
void hvsim_page_start(struct hvsim *sim);
void hvsim_page_stop(struct hvsim *sim);
u64 hvsim_clock_ns(const struct hvsim *sim, u64 tsc);
void hvsim_rebase(struct hvsim *sim, u64 tsc, u64 ns);
void hvsim_settle(struct hvsim *sim);
void hvsim_begin(struct hvsim *sim);
void hvsim_end(struct hvsim *sim);
void hvsim_refill(struct hvsim *sim);
void hvsim_publish(struct hvsim *sim);
int hvsim_set_rate(struct hvsim *sim, u32 update_hz);
int hvsim_pvclock_scale(u64 tsc_hz, u32 *mul, s8 *shift);

/* fault.c */
int hvsim_fault_start(struct hvsim *sim,
		      const struct tscpage_hvsim_fault_req *req);
void hvsim_fault_stop(struct hvsim *sim);
bool hvsim_page_spoiled(const struct hvsim *sim);
bool hvsim_fault_tick(struct hvsim *sim, ktime_t *next);
void hvsim_fault_override(struct hvsim *sim);
void hvsim_fault_end_work(struct work_struct *work);

/* migrate.c */
#define HVSIM_MIGRATE_HIDE	BIT(0)	/* the clock does not see the blackout */
#define HVSIM_MIGRATE_NONOTIFY	BIT(1)	/* no notification */
#define HVSIM_MIGRATE_NOFLAG	BIT(2)	/* pvclock: no GUEST_STOPPED */
int hvsim_migrate(struct hvsim *sim, const struct tscpage_hvsim_migrate *m,
		  unsigned int how);
int hvsim_notify(struct hvsim *sim, int cpu);
bool hvsim_notify_busy(const struct hvsim *sim);
int hvsim_desync(struct hvsim *sim, const struct tscpage_hvsim_desync *d);
bool hvsim_tsc_writes_work(void);
void hvsim_ack_watch_work(struct work_struct *work);
void hvsim_notify_init(struct hvsim *sim);
void hvsim_notify_exit(struct hvsim *sim);

/* control.c */
int hvsim_control_register(void);
void hvsim_control_unregister(void);

#endif /* _HVSIM_H */
