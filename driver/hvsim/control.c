// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/tscpage_hvsim: the simulator's control device
 * (include/uapi/linux/tscpage_hvsim.h). Root only: mode 0600 and
 * CAP_SYS_ADMIN at open, since its commands stop every CPU, break the
 * clock on purpose and may write the TSCs.
 *
 * Every command is checked whole before anything changes, and commands
 * run one at a time under ctl_lock. All of it runs in process context and
 * may sleep; a command waiting for ctl_lock (behind migrations with long
 * blackouts, say) gives way to a signal before anything changed.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/cpumask.h>
#include <linux/fs.h>
#include <linux/ktime.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/uaccess.h>
#include <asm/tsc.h>

#include "hvsim.h"

static int hvsim_ctl_open(struct inode *inode, struct file *file)
{
	return capable(CAP_SYS_ADMIN) ? 0 : -EPERM;
}

static void hvsim_status(struct hvsim *sim, struct tscpage_hvsim_status *st)
{
	unsigned long flags;
	s64 left;

	raw_spin_lock_irqsave(&sim->lock, flags);
	*st = sim->st;
	st->format = sim->format;
	st->tsc_khz = sim->tsc_khz;
	st->tsc_offset = sim->tsc_offset;
	if (sim->emulating)
		st->flags |= TSCPAGE_HVSIM_EMULATING;
	if (sim->stopped)
		st->flags |= TSCPAGE_HVSIM_GUEST_STOPPED;
	if (hvsim_allow_tsc_writes)
		st->flags |= TSCPAGE_HVSIM_TSC_WRITES;
	if (hvsim_tsc_ignored)
		st->flags |= TSCPAGE_HVSIM_TSC_IGNORED;
	if (sim->fault != TSCPAGE_HVSIM_FAULT_NONE) {
		left = ktime_ms_delta(sim->fault_until, ktime_get());
		st->fault_ms_left = left > 0 ? left : 0;
	}
	st->page_ns = hvsim_clock_ns(sim, rdtsc_ordered());
	raw_spin_unlock_irqrestore(&sim->lock, flags);
}

static bool hvsim_cpu_ok(s32 cpu, bool any)
{
	if (any && cpu == -1)
		return true;
	return cpu >= 0 && cpu < nr_cpu_ids && cpu_online(cpu);
}

static bool hvsim_offset_ok(s64 cycles)
{
	return cycles >= -TSCPAGE_HVSIM_TSC_OFFSET_MAX &&
	       cycles <= TSCPAGE_HVSIM_TSC_OFFSET_MAX;
}

static int hvsim_ctl_migrate(struct hvsim *sim,
			     const struct tscpage_hvsim_migrate *m)
{
	if (m->flags || m->reserved[0] || m->reserved[1] ||
	    m->blackout_ms > TSCPAGE_HVSIM_BLACKOUT_MS_MAX ||
	    (m->tsc_khz && (m->tsc_khz < TSCPAGE_HVSIM_TSC_KHZ_MIN ||
			    m->tsc_khz > TSCPAGE_HVSIM_TSC_KHZ_MAX)) ||
	    !hvsim_offset_ok(m->tsc_offset) || !hvsim_cpu_ok(m->cpu, true))
		return -EINVAL;
	if (m->tsc_offset && !hvsim_allow_tsc_writes)
		return -EPERM;
	if (m->tsc_offset && hvsim_tsc_ignored)
		return -EOPNOTSUPP;
	/* A migration would overwrite what the fault does to the page. */
	if (hvsim_page_spoiled(sim))
		return -EBUSY;
	return hvsim_migrate(sim, m, 0);
}

static int hvsim_ctl_desync(struct hvsim *sim,
			    const struct tscpage_hvsim_desync *d)
{
	if (d->flags || !d->cycles || !hvsim_offset_ok(d->cycles) ||
	    !hvsim_cpu_ok(d->cpu, false))
		return -EINVAL;
	if (!hvsim_allow_tsc_writes)
		return -EPERM;
	if (hvsim_tsc_ignored)
		return -EOPNOTSUPP;
	return hvsim_desync(sim, d);
}

static long hvsim_ctl_ioctl(struct file *file, unsigned int cmd,
			    unsigned long arg)
{
	void __user *uarg = (void __user *)arg;
	struct hvsim *sim = &hvsim;
	union {
		struct tscpage_hvsim_status status;
		struct tscpage_hvsim_migrate migrate;
		struct tscpage_hvsim_fault_req fault;
		struct tscpage_hvsim_desync desync;
		u32 rate;
	} u;
	long err;

	switch (cmd) {
	case TSCPAGE_HVSIM_IOC_STATUS:
		hvsim_status(sim, &u.status);
		return copy_to_user(uarg, &u.status, sizeof(u.status)) ?
		       -EFAULT : 0;
	case TSCPAGE_HVSIM_IOC_MIGRATE:
	case TSCPAGE_HVSIM_IOC_FAULT:
	case TSCPAGE_HVSIM_IOC_RATE:
	case TSCPAGE_HVSIM_IOC_DESYNC:
		break;
	default:
		return -ENOTTY;
	}

	if (copy_from_user(&u, uarg, _IOC_SIZE(cmd)))
		return -EFAULT;

	if (mutex_lock_interruptible(&sim->ctl_lock))
		return -ERESTARTSYS;
	switch (cmd) {
	case TSCPAGE_HVSIM_IOC_MIGRATE:
		err = hvsim_ctl_migrate(sim, &u.migrate);
		break;
	case TSCPAGE_HVSIM_IOC_FAULT:
		err = hvsim_fault_start(sim, &u.fault);
		break;
	case TSCPAGE_HVSIM_IOC_RATE:
		err = hvsim_set_rate(sim, u.rate);
		break;
	default:
		err = hvsim_ctl_desync(sim, &u.desync);
		break;
	}
	mutex_unlock(&sim->ctl_lock);
	return err;
}

static const struct file_operations hvsim_ctl_fops = {
	.owner		= THIS_MODULE,
	.open		= hvsim_ctl_open,
	.unlocked_ioctl	= hvsim_ctl_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

static struct miscdevice hvsim_ctl_dev = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "tscpage_hvsim",
	.fops	= &hvsim_ctl_fops,
	.mode	= 0600,
};

int hvsim_control_register(void)
{
	int err = misc_register(&hvsim_ctl_dev);

	if (err)
		pr_err("cannot register /dev/tscpage_hvsim: %d\n", err);
	return err;
}

void hvsim_control_unregister(void)
{
	misc_deregister(&hvsim_ctl_dev);
}
