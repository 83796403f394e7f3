// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/kernel/debug/tscpage/bench: what one in-kernel read of the time
 * costs, for bench/ and the clocksource_bench selftest.
 *
 * Writing N (1000..1000000) times, on the writing CPU with preemption
 * off in batches of 1000 (so the scheduler can run between them), N
 * calls each of:
 *   empty      the bracket alone: two rdtsc_ordered() back to back
 *   ktime      ktime_get_ns(): the timekeeping core over whichever
 *              clocksource is current (switch it in sysfs between runs)
 *   tscpage    tscpage's own ->read(), whether or not it is current
 * the three interleaved batch by batch so machine noise falls on all.
 * Reading gives, per series, the median, p99, p99.9 and max of the
 * bracket in ns (by tsc_khz), and the empty bracket's mean, which a
 * reader subtracts. Root only (debugfs); one run at a time (a mutex), in
 * process context; the samples live in a vmalloc'd buffer freed after.
 */
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/mutex.h>
#include <linux/preempt.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/sort.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <asm/tsc.h>

#include "tscpage.h"

#define TSCPAGE_BENCH_MIN	1000
#define TSCPAGE_BENCH_MAX	1000000
#define TSCPAGE_BENCH_BATCH	1000

enum {
	TSCPAGE_BENCH_EMPTY,
	TSCPAGE_BENCH_KTIME,
	TSCPAGE_BENCH_TSCPAGE,
	TSCPAGE_BENCH_SERIES
};

static const char *const tscpage_bench_names[TSCPAGE_BENCH_SERIES] = {
	"empty", "ktime", "tscpage",
};

struct tscpage_bench_stat {
	u64 median, p99, p999, max, mean;
};

static DEFINE_MUTEX(tscpage_bench_lock);
/* Under the lock: the last run's figures, in TSC cycles. */
static struct tscpage_bench_stat tscpage_bench_stats[TSCPAGE_BENCH_SERIES];
static unsigned int tscpage_bench_n;

static int tscpage_bench_cmp(const void *a, const void *b)
{
	u32 x = *(const u32 *)a, y = *(const u32 *)b;

	return x < y ? -1 : x > y;
}

static void tscpage_bench_batch(u32 *out, unsigned int series,
				unsigned int n)
{
	unsigned int i;
	u64 t0, t1;

	preempt_disable();
	for (i = 0; i < n; i++) {
		t0 = rdtsc_ordered();
		if (series == TSCPAGE_BENCH_KTIME)
			(void)ktime_get_ns();
		else if (series == TSCPAGE_BENCH_TSCPAGE)
			(void)tscpage_clocksource_read();
		t1 = rdtsc_ordered();
		out[i] = min_t(u64, t1 - t0, U32_MAX);
	}
	preempt_enable();
}

static void tscpage_bench_stat(u32 *s, unsigned int n,
			       struct tscpage_bench_stat *st)
{
	u64 sum = 0;
	unsigned int i, kept = n - n / 100;

	sort(s, n, sizeof(*s), tscpage_bench_cmp, NULL);
	/* The mean leaves the slowest 1% out: interrupts, not the call. */
	for (i = 0; i < kept; i++)
		sum += s[i];
	st->mean = div_u64(sum, kept);
	st->median = s[n / 2];
	st->p99 = s[n - n / 100 - 1];
	st->p999 = s[n - n / 1000 - 1];
	st->max = s[n - 1];
}

static int tscpage_bench_run(unsigned int n)
{
	unsigned int done, k, len;
	u32 *s;

	s = vmalloc(array3_size(TSCPAGE_BENCH_SERIES, n, sizeof(*s)));
	if (!s)
		return -ENOMEM;
	for (done = 0; done < n; done += len) {
		len = min(n - done, TSCPAGE_BENCH_BATCH);
		for (k = 0; k < TSCPAGE_BENCH_SERIES; k++)
			tscpage_bench_batch(s + k * n + done, k, len);
		cond_resched();
		if (fatal_signal_pending(current)) {
			vfree(s);
			return -EINTR;
		}
	}
	for (k = 0; k < TSCPAGE_BENCH_SERIES; k++)
		tscpage_bench_stat(s + k * n, n, &tscpage_bench_stats[k]);
	tscpage_bench_n = n;
	vfree(s);
	return 0;
}

static ssize_t tscpage_bench_write(struct file *file, const char __user *buf,
				   size_t count, loff_t *ppos)
{
	unsigned int n;
	int err;

	err = kstrtouint_from_user(buf, count, 10, &n);
	if (err)
		return err;
	if (n < TSCPAGE_BENCH_MIN || n > TSCPAGE_BENCH_MAX)
		return -EINVAL;
	if (mutex_lock_interruptible(&tscpage_bench_lock))
		return -EINTR;
	err = tscpage_bench_run(n);
	mutex_unlock(&tscpage_bench_lock);
	return err ? err : count;
}

/* Cycles to ns, in tenths of a ns for the print. */
static u64 tscpage_bench_dns(u64 cycles)
{
	return div_u64(cycles * 10 * USEC_PER_SEC, tsc_khz);
}

static int tscpage_bench_show(struct seq_file *m, void *v)
{
	const struct tscpage_bench_stat *st;
	unsigned int k;

	mutex_lock(&tscpage_bench_lock);
	seq_printf(m, "iterations %u tsc_khz %u\n", tscpage_bench_n, tsc_khz);
	for (k = 0; tscpage_bench_n && k < TSCPAGE_BENCH_SERIES; k++) {
		st = &tscpage_bench_stats[k];
		seq_printf(m, "%s median_dns %llu p99_dns %llu p999_dns %llu max_dns %llu mean_dns %llu\n",
			   tscpage_bench_names[k],
			   tscpage_bench_dns(st->median),
			   tscpage_bench_dns(st->p99),
			   tscpage_bench_dns(st->p999),
			   tscpage_bench_dns(st->max),
			   tscpage_bench_dns(st->mean));
	}
	mutex_unlock(&tscpage_bench_lock);
	return 0;
}

static int tscpage_bench_open(struct inode *inode, struct file *file)
{
	return single_open(file, tscpage_bench_show, NULL);
}

static const struct file_operations tscpage_bench_fops = {
	.owner		= THIS_MODULE,
	.open		= tscpage_bench_open,
	.read		= seq_read,
	.write		= tscpage_bench_write,
	.llseek		= seq_lseek,
	.release	= single_release,
};

void tscpage_bench_init(struct dentry *dir)
{
	debugfs_create_file("bench", 0600, dir, NULL, &tscpage_bench_fops);
}
