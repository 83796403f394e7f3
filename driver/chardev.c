// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/tscpage: the provider's page, shared read-only with userspace, an
 * ioctl that says what it is, and the migration events on read() and
 * poll() (include/uapi/linux/tscpage.h; the events are events.c's).
 *
 * The page is the provider's one page (kvm: CPU 0's kvmclock page), even
 * where the clocksource reads a page per CPU: without TSC_STABLE it is
 * valid for CPU 0's TSC only, which the ABI says (TSCPAGE_INFO_TSC_STABLE).
 *
 * Mode 0444: the page holds nothing secret (every process already reads
 * the kvmclock and Hyper-V pages through the vDSO), like /dev/vmclock*.
 *
 * Lifetime: the misc device's fops carry THIS_MODULE, so an open file pins
 * tscpage.ko, and a mapping keeps its file; tscpage.ko in turn pins the
 * provider (see driver/providers/). The page therefore outlives every
 * mapping of it. All file operations run in process context and may sleep.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/io.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/clocksource.h>

#include "tscpage.h"

static const struct tscpage_provider *tscpage_dev_provider;

/**
 * struct tscpage_dev_file - an open /dev/tscpage
 * @lock:   one read() at a time moves @cursor; never held while waiting
 * @cursor: seq of the last event this file has read
 */
struct tscpage_dev_file {
	struct mutex lock;	/* serialises reads of @cursor's events */
	u64 cursor;
};

/* A new file reads the events that come after its open(). */
static int tscpage_dev_open(struct inode *inode, struct file *file)
{
	struct tscpage_dev_file *f;

	if (file->f_mode & FMODE_WRITE)
		return -EPERM;
	f = kzalloc(sizeof(*f), GFP_KERNEL);
	if (!f)
		return -ENOMEM;
	mutex_init(&f->lock);
	f->cursor = tscpage_events_head();
	file->private_data = f;
	return 0;
}

static int tscpage_dev_release(struct inode *inode, struct file *file)
{
	kfree(file->private_data);
	return 0;
}

static ssize_t tscpage_dev_read(struct file *file, char __user *buf,
				size_t count, loff_t *ppos)
{
	struct tscpage_dev_file *f = file->private_data;
	ssize_t ret;
	u64 cursor;

	for (;;) {
		if (mutex_lock_interruptible(&f->lock))
			return -ERESTARTSYS;
		ret = tscpage_events_read(&f->cursor, buf, count);
		cursor = f->cursor;
		mutex_unlock(&f->lock);
		if (ret != -EAGAIN || (file->f_flags & O_NONBLOCK))
			return ret;
		/*
		 * Wait with the lock dropped: another reader of this open
		 * file (a dup(), a thread, a forked child) must not wait
		 * behind this one, least of all one that is O_NONBLOCK
		 * (dev_tscpage's "O_NONBLOCK read beside a blocked reader").
		 * Whoever takes the event first has it; the loser waits on.
		 */
		ret = tscpage_events_wait(cursor);
		if (ret)
			return ret;
	}
}

static __poll_t tscpage_dev_poll(struct file *file, poll_table *wait)
{
	struct tscpage_dev_file *f = file->private_data;

	return tscpage_events_poll(READ_ONCE(f->cursor), file, wait);
}

/* vm_flags became read-only with their own setters in 6.3. */
static void tscpage_vma_clear(struct vm_area_struct *vma, vm_flags_t flags)
{
#ifdef TSCPAGE_HAVE_VM_FLAGS_CLEAR
	vm_flags_clear(vma, flags);
#else
	vma->vm_flags &= ~flags;
#endif
}

/*
 * The one mapping we mean to allow: exactly the page, at offset 0, shared,
 * readable and never writable or executable, now or after mprotect().
 * Everything else is refused here, before anything is mapped.
 */
static int tscpage_dev_mmap(struct file *file, struct vm_area_struct *vma)
{
	if (vma->vm_pgoff || vma->vm_end - vma->vm_start != PAGE_SIZE)
		return -EINVAL;
	/*
	 * VM_MAYSHARE, not VM_SHARED: mmap() drops VM_SHARED from a shared
	 * mapping of a file not open for writing, and ours never is.
	 */
	if (!(vma->vm_flags & VM_MAYSHARE))
		return -EINVAL;
	if (vma->vm_flags & (VM_WRITE | VM_EXEC))
		return -EPERM;
	tscpage_vma_clear(vma, VM_MAYWRITE | VM_MAYEXEC);

	/*
	 * Decrypted like the vDSO maps the kvmclock and Hyper-V pages: under
	 * memory encryption the hypervisor writes them in the clear. The
	 * frame is the provider's (tscpage_provider.pfn), not __pa() of the
	 * page: on a Hyper-V root partition the page is memremap()ed.
	 */
	return remap_pfn_range(vma, vma->vm_start, tscpage_dev_provider->pfn,
			       PAGE_SIZE, pgprot_decrypted(vma->vm_page_prot));
}

static u32 tscpage_dev_flags(const struct tscpage_provider *p)
{
	const struct tscpage_pvclock *pv = p->page;
	u32 flags = 0;

	/* As the clocksource judges it: see tscpage_read_hvref(). */
	if (p->format == TSCPAGE_FORMAT_HVREF ?
	    !tscpage_clocksource_tsc_unsynced() :
	    READ_ONCE(pv->flags) & TSCPAGE_PVCLOCK_TSC_STABLE)
		flags |= TSCPAGE_INFO_TSC_STABLE;
	if (tscpage_clocksource_is_current())
		flags |= TSCPAGE_INFO_CURRENT;
	if (tscpage_clocksource_in_vdso())
		flags |= TSCPAGE_INFO_VDSO;
	return flags;
}

static long tscpage_dev_ioctl(struct file *file, unsigned int cmd,
			      unsigned long arg)
{
	const struct tscpage_provider *p = tscpage_dev_provider;
	struct tscpage_info info;

	if (cmd != TSCPAGE_IOC_INFO)
		return -ENOTTY;

	memset(&info, 0, sizeof(info));
	info.format = p->format;
	info.flags = tscpage_dev_flags(p);
	strscpy(info.provider, p->name, sizeof(info.provider));
	info.tsc_khz = tscpage_current_khz() ?: p->tsc_khz;
	info.generation = tscpage_generation();
	if (copy_to_user((void __user *)arg, &info, sizeof(info)))
		return -EFAULT;
	return 0;
}

static const struct file_operations tscpage_dev_fops = {
	.owner		= THIS_MODULE,
	.open		= tscpage_dev_open,
	.release	= tscpage_dev_release,
	.read		= tscpage_dev_read,
	.poll		= tscpage_dev_poll,
	.mmap		= tscpage_dev_mmap,
	.unlocked_ioctl	= tscpage_dev_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

static struct miscdevice tscpage_miscdev = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "tscpage",
	.fops	= &tscpage_dev_fops,
	.mode	= 0444,
};

int tscpage_chardev_register(const struct tscpage_provider *provider)
{
	int err;

	tscpage_dev_provider = provider;
	err = misc_register(&tscpage_miscdev);
	if (err)
		pr_err("cannot register /dev/tscpage: %d\n", err);
	return err;
}

void tscpage_chardev_unregister(void)
{
	misc_deregister(&tscpage_miscdev);
}
