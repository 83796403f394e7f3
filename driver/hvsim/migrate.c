// SPDX-License-Identifier: GPL-2.0
/*
 * Migrations, as the guest sees one: every vCPU stops (stop_machine(), like
 * a paused VM) for the blackout; the destination publishes its page, the
 * clock continuous across the pause (KVM's behaviour: the pause shows as
 * a forward jump of guest time, the TSC having run through it); then a
 * reenlightenment notification arrives as an interrupt on one CPU, and
 * Hyper-V's TSC emulation stays on ("emulation in progress") until the
 * guest acknowledges.
 *
 * What hvsim cannot do is change the rate the CPU's TSC counts at. A
 * destination "with another TSC frequency" (migrate --tsc-khz) declares
 * that frequency (status, tscpage_provider.tsc_khz stays the load-time
 * one); the page keeps describing the real TSC, as it would on a host that
 * scales the guest's TSC. A page whose rate disagrees with the TSC is the
 * wrong_rate fault. A destination whose TSC is offset (--tsc-offset) is
 * real: with allow_tsc_writes=1 every CPU's TSC is moved by that much
 * inside the blackout and the page rebased onto the new TSC.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/ktime.h>
#include <linux/smp.h>
#include <linux/stop_machine.h>
#include <linux/workqueue.h>
#include <asm/msr.h>
#include <asm/tsc.h>
#include <tscpage/provider.h>

#include "hvsim.h"

/* Move this CPU's TSC by @cycles. Interrupts off. */
static int hvsim_tsc_add(s64 cycles)
{
	u64 adj;

	if (boot_cpu_has(X86_FEATURE_TSC_ADJUST)) {
		if (rdmsrl_safe(MSR_IA32_TSC_ADJUST, &adj) ||
		    wrmsrl_safe(MSR_IA32_TSC_ADJUST, adj + cycles))
			return -EIO;
		return 0;
	}
	return wrmsrl_safe(MSR_IA32_TSC, rdtsc() + cycles) ? -EIO : 0;
}

/*
 * Module init, with allow_tsc_writes=1: does this CPU's TSC move when
 * written? QEMU under TCG accepts the write and ignores it. Moves the TSC
 * by 2^30 cycles and back, with interrupts off so nothing on this CPU
 * reads it meanwhile.
 */
bool hvsim_tsc_writes_work(void)
{
	unsigned long flags;
	bool moved = false;
	u64 before;

	local_irq_save(flags);
	before = rdtsc_ordered();
	if (!hvsim_tsc_add(1LL << 30)) {
		moved = rdtsc_ordered() - before >= 1ULL << 29;
		if (moved)
			hvsim_tsc_add(-(1LL << 30));
	}
	local_irq_restore(flags);
	return moved;
}

struct hvsim_stop {
	struct hvsim *sim;
	const struct tscpage_hvsim_migrate *m;
	unsigned int how;
	atomic_t arrived;
	atomic_t failed;
};

/*
 * stop_machine() callback, on every online CPU at once, interrupts off:
 * the guest is paused. Each CPU moves its own TSC; the first online CPU
 * waits for all of them, sits out the blackout and publishes the
 * destination's page. Nobody reads the page meanwhile: every CPU is here.
 */
static int hvsim_migrate_cpu(void *data)
{
	struct hvsim_stop *stop = data;
	const struct tscpage_hvsim_migrate *m = stop->m;
	struct hvsim *sim = stop->sim;
	bool leader = smp_processor_id() == cpumask_first(cpu_online_mask);
	u64 paused_tsc = rdtsc_ordered();
	u64 tsc, ns;

	if (m->tsc_offset && hvsim_tsc_add(m->tsc_offset))
		atomic_inc(&stop->failed);
	atomic_inc(&stop->arrived);
	if (!leader)
		return 0;
	while (atomic_read(&stop->arrived) < num_online_cpus())
		cpu_relax();

	mdelay(m->blackout_ms);

	raw_spin_lock(&sim->lock);
	hvsim_settle(sim);
	tsc = rdtsc_ordered();
	/* The clock at the moment the pause began, or now. */
	if (stop->how & HVSIM_MIGRATE_HIDE)
		ns = hvsim_clock_ns(sim, paused_tsc);
	else
		ns = hvsim_clock_ns(sim, tsc - m->tsc_offset);
	/*
	 * A Hyper-V page over an unmoved TSC is already right on the
	 * destination: rebasing it would only round its offset.
	 */
	if (sim->format == TSCPAGE_FORMAT_PVCLOCK || m->tsc_offset ||
	    (stop->how & HVSIM_MIGRATE_HIDE))
		hvsim_rebase(sim, tsc, ns);
	if (sim->format == TSCPAGE_FORMAT_PVCLOCK &&
	    !(stop->how & HVSIM_MIGRATE_NOFLAG))
		sim->stopped = true;
	if (m->tsc_khz)
		sim->tsc_khz = m->tsc_khz;
	sim->tsc_offset += m->tsc_offset;
	sim->st.migrations++;
	hvsim_publish(sim);
	raw_spin_unlock(&sim->lock);
	return 0;
}

/*
 * Process context, ctl_lock held. The arguments are checked by the
 * caller (control.c) or are the faults' own.
 */
int hvsim_migrate(struct hvsim *sim, const struct tscpage_hvsim_migrate *m,
		  unsigned int how)
{
	struct hvsim_stop stop = { .sim = sim, .m = m, .how = how };
	int err;

	lockdep_assert_held(&sim->ctl_lock);
	/* Refused before the page changes, not after (UAPI: as it was). */
	if (!(how & HVSIM_MIGRATE_NONOTIFY) && hvsim_notify_busy(sim))
		return -EBUSY;
	atomic_set(&stop.arrived, 0);
	atomic_set(&stop.failed, 0);
	err = stop_machine(hvsim_migrate_cpu, &stop, cpu_online_mask);
	if (err)
		return err;
	if (!(how & HVSIM_MIGRATE_NONOTIFY))
		err = hvsim_notify(sim, m->cpu);
	/*
	 * Not a refusal: the guest did move, and was told. The one case the
	 * UAPI header names where a failed command changed the simulator.
	 */
	if (atomic_read(&stop.failed)) {
		pr_err("migration: %d CPUs could not move their TSC; TSCs may now disagree\n",
		       atomic_read(&stop.failed));
		return -EIO;
	}
	return err;
}

/*
 * ctl_lock held. Only hvsim_notify(), under ctl_lock, sets notify_busy;
 * the IPI only clears it. So a false answer stays true until the caller
 * notifies: checked first, it refuses a command before anything changed.
 */
bool hvsim_notify_busy(const struct hvsim *sim)
{
	lockdep_assert_held(&sim->ctl_lock);
	/* Pairs with the release in hvsim_notify_ipi(). */
	return atomic_read_acquire(&sim->notify_busy);
}

/*
 * The notification interrupt: hard-irq context on the target CPU (an IPI;
 * or the sending CPU itself with interrupts off). tscpage's callback runs
 * under sim->lock, so that hvsim_unsubscribe() knows when none is running;
 * it only queues work, and acknowledges from there, never from here.
 */
static void hvsim_notify_ipi(void *info)
{
	struct hvsim *sim = info;
	unsigned int cpu = smp_processor_id();

	raw_spin_lock(&sim->lock);
	sim->notify_ns = ktime_get_ns();
	sim->notify_cpu = cpu;
	sim->st.notify_cpu = cpu;
	sim->st.notifications++;
	if (sim->notify)
		sim->notify(cpu);
	raw_spin_unlock(&sim->lock);
	/* Pairs with the acquire in hvsim_notify() and hvsim_notify_exit(). */
	atomic_set_release(&sim->notify_busy, 0);
}

/*
 * Process context, ctl_lock held: send a notification to @cpu (-1: the
 * first online) and turn TSC emulation on until it is acknowledged.
 */
int hvsim_notify(struct hvsim *sim, int cpu)
{
	unsigned long flags;
	int err;

	lockdep_assert_held(&sim->ctl_lock);
	if (cpu < 0)
		cpu = cpumask_first(cpu_online_mask);
	if (atomic_cmpxchg_acquire(&sim->notify_busy, 0, 1))
		return -EBUSY;

	raw_spin_lock_irqsave(&sim->lock, flags);
	sim->emulating = true;
	sim->notify_seq++;
	sim->notify_sent_ns = ktime_get_ns();
	raw_spin_unlock_irqrestore(&sim->lock, flags);

	err = smp_call_function_single_async(cpu, &sim->csd);
	if (err) {
		atomic_set(&sim->notify_busy, 0);
		pr_err("notification to CPU %d failed: %d\n", cpu, err);
		return err;
	}
	mod_delayed_work(system_wq, &sim->ack_watch,
			 msecs_to_jiffies(HVSIM_ACK_TIMEOUT_MS));
	return 0;
}

/*
 * Process context (system_wq): a notification left unacknowledged.
 *
 * The work is queued in jiffies and the deadline is in ktime, as for
 * hvsim_fault_end_work(): "1 s after the notification" is a promise in
 * the guest's CLOCK_MONOTONIC, which the jiffies follow only roughly (a
 * timer wheel expiry can come up to a jiffy early, and a fault that runs
 * the clock fast moves ktime against them). Early, the work re-arms
 * itself for what is left.
 *
 * Racing hvsim_notify() (which re-arms under ctl_lock, not held here):
 * whichever mod_delayed_work() comes last sets the delay, and an early
 * run re-reads the latest notify_sent_ns, so the count is never early.
 */
void hvsim_ack_watch_work(struct work_struct *work)
{
	struct hvsim *sim = container_of(to_delayed_work(work), struct hvsim,
					 ack_watch);
	unsigned long flags;
	s64 left = 0;
	u64 seq = 0;

	raw_spin_lock_irqsave(&sim->lock, flags);
	if (sim->emulating && sim->acked_seq < sim->notify_seq) {
		left = (s64)(sim->notify_sent_ns +
			     HVSIM_ACK_TIMEOUT_MS * NSEC_PER_MSEC -
			     ktime_get_ns());
		if (left <= 0) {
			sim->st.ack_timeouts++;
			seq = sim->notify_seq;
			/* Counted once. */
			sim->acked_seq = seq;
		}
	}
	raw_spin_unlock_irqrestore(&sim->lock, flags);
	if (left > 0)
		mod_delayed_work(system_wq, &sim->ack_watch,
				 msecs_to_jiffies(div_u64(left, NSEC_PER_MSEC) + 1));
	if (seq)
		pr_info("notification %llu not acknowledged after %u ms: TSC emulation stays on\n",
			seq, HVSIM_ACK_TIMEOUT_MS);
}

/* tscpage_provider.subscribe: process context. */
static int hvsim_subscribe(void (*notify)(unsigned int cpu))
{
	struct hvsim *sim = &hvsim;
	unsigned long flags;
	int err = 0;

	mutex_lock(&sim->ctl_lock);
	raw_spin_lock_irqsave(&sim->lock, flags);
	if (sim->notify) {
		err = -EBUSY;
	} else {
		sim->notify = notify;
		sim->st.flags |= TSCPAGE_HVSIM_SUBSCRIBED;
	}
	raw_spin_unlock_irqrestore(&sim->lock, flags);
	mutex_unlock(&sim->ctl_lock);
	return err;
}

/*
 * tscpage_provider.unsubscribe: process context. The callback runs only
 * under sim->lock, so once this has held it no call is running or can
 * start.
 */
static void hvsim_unsubscribe(void)
{
	struct hvsim *sim = &hvsim;
	unsigned long flags;

	raw_spin_lock_irqsave(&sim->lock, flags);
	sim->notify = NULL;
	sim->st.flags &= ~TSCPAGE_HVSIM_SUBSCRIBED;
	raw_spin_unlock_irqrestore(&sim->lock, flags);
}

/*
 * tscpage_provider.ack: process context. Ends TSC emulation and clears
 * GUEST_STOPPED (a rewrite now, unless a fault holds the page), and
 * records how long the guest took:
 * from the notification's delivery to here. The no_ack fault loses it.
 */
static void hvsim_ack(void)
{
	struct hvsim *sim = &hvsim;
	unsigned long flags;
	u64 lat;

	raw_spin_lock_irqsave(&sim->lock, flags);
	if (sim->fault == TSCPAGE_HVSIM_FAULT_NO_ACK) {
		sim->st.acks_dropped++;
	} else if (sim->emulating) {
		lat = ktime_get_ns() - sim->notify_ns;
		sim->st.last_ack_ns = lat;
		sim->st.max_ack_ns = max(sim->st.max_ack_ns, lat);
		sim->st.acks++;
		sim->emulating = false;
		sim->acked_seq = sim->notify_seq;
		if (sim->stopped && !hvsim_page_spoiled(sim)) {
			/* The guest clears GUEST_STOPPED at once, as on KVM. */
			sim->stopped = false;
			hvsim_settle(sim);
			hvsim_publish(sim);
		}
	}
	raw_spin_unlock_irqrestore(&sim->lock, flags);
}

struct hvsim_desync_arg {
	s64 cycles;
	int err;
};

static void hvsim_desync_cpu(void *info)
{
	struct hvsim_desync_arg *a = info;

	a->err = hvsim_tsc_add(a->cycles);
}

/* Process context, ctl_lock held, arguments checked by control.c. */
int hvsim_desync(struct hvsim *sim, const struct tscpage_hvsim_desync *d)
{
	struct hvsim_desync_arg a = { .cycles = d->cycles };
	int err;

	lockdep_assert_held(&sim->ctl_lock);
	err = smp_call_function_single(d->cpu, hvsim_desync_cpu, &a, 1);
	if (!err)
		err = a.err;
	if (!err)
		pr_info("CPU %d: TSC moved by %lld cycles\n", d->cpu, d->cycles);
	return err;
}

void hvsim_notify_init(struct hvsim *sim)
{
	INIT_CSD(&sim->csd, hvsim_notify_ipi, sim);
	atomic_set(&sim->notify_busy, 0);
	INIT_DELAYED_WORK(&sim->ack_watch, hvsim_ack_watch_work);
	tscpage_hvsim_provider.subscribe = hvsim_subscribe;
	tscpage_hvsim_provider.unsubscribe = hvsim_unsubscribe;
	tscpage_hvsim_provider.ack = hvsim_ack;
}

/*
 * Module exit: nobody is subscribed (tscpage.ko pinned us while it was),
 * but a notification may still be on its way to a CPU.
 */
void hvsim_notify_exit(struct hvsim *sim)
{
	while (atomic_read_acquire(&sim->notify_busy))
		usleep_range(1000, 2000);
	cancel_delayed_work_sync(&sim->ack_watch);
}
