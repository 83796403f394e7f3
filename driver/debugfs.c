// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/kernel/debug/tscpage/: the readers' counters (struct tscpage_stats),
 * one file each, summed over CPUs (max_retries: the largest); the
 * migration handling's (struct tscpage_migration_stats) and the
 * generation. Reading takes no lock: each sum is of counters that may
 * move while it is made. One file is written: 0 into distrust clears it
 * (root, process context; takes reenlighten.c's mutex).
 */
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/percpu.h>
#include <linux/stddef.h>

#include "tscpage.h"

static struct dentry *tscpage_debugfs_dir;

struct tscpage_counter {
	const char *name;
	size_t offset;
	bool max;
};

static const struct tscpage_counter tscpage_counters[] = {
	{ "reads", offsetof(struct tscpage_stats, reads) },
	{ "retries", offsetof(struct tscpage_stats, retries) },
	{ "max_retries", offsetof(struct tscpage_stats, max_retries), true },
	{ "fallbacks", offsetof(struct tscpage_stats, fallbacks) },
	{ "invalid", offsetof(struct tscpage_stats, invalid) },
	{ "clamps", offsetof(struct tscpage_stats, clamps) },
	{ "guarded", offsetof(struct tscpage_stats, guarded) },
	{ "ref_counter", offsetof(struct tscpage_stats, ref_counter) },
	{ "cpu0_withheld", offsetof(struct tscpage_stats, cpu0_withheld) },
	{ "cpu0_raced", offsetof(struct tscpage_stats, cpu0_raced) },
};

static int tscpage_generation_get(void *data, u64 *val)
{
	*val = tscpage_generation();
	return 0;
}

DEFINE_DEBUGFS_ATTRIBUTE(tscpage_generation_fops, tscpage_generation_get,
			 NULL, "%llu\n");

static int tscpage_distrust_get(void *data, u64 *val)
{
	*val = READ_ONCE(tscpage_migration_stats.distrust);
	return 0;
}

/* Only clearing: the evidence of a step back sets it (reenlighten.c). */
static int tscpage_distrust_set(void *data, u64 val)
{
	if (val)
		return -EINVAL;
	tscpage_reenlighten_trust_again();
	return 0;
}

DEFINE_DEBUGFS_ATTRIBUTE(tscpage_distrust_fops, tscpage_distrust_get,
			 tscpage_distrust_set, "%llu\n");

static int tscpage_counter_get(void *data, u64 *val)
{
	const struct tscpage_counter *c = data;
	unsigned int cpu;
	u64 v;

	*val = 0;
	for_each_possible_cpu(cpu) {
		v = READ_ONCE(*(u64 *)((char *)per_cpu_ptr(&tscpage_stats, cpu) +
				       c->offset));
		if (c->max)
			*val = max(*val, v);
		else
			*val += v;
	}
	return 0;
}

DEFINE_DEBUGFS_ATTRIBUTE(tscpage_counter_fops, tscpage_counter_get, NULL,
			 "%llu\n");

/* Failures here only cost the counters: debugfs is not an interface. */
void tscpage_debugfs_init(void)
{
	size_t i;

	tscpage_debugfs_dir = debugfs_create_dir("tscpage", NULL);
	for (i = 0; i < ARRAY_SIZE(tscpage_counters); i++)
		debugfs_create_file_unsafe(tscpage_counters[i].name, 0444,
					   tscpage_debugfs_dir,
					   (void *)&tscpage_counters[i],
					   &tscpage_counter_fops);

	/* reenlighten.c's, read without its lock. */
	debugfs_create_u64("notifications", 0444, tscpage_debugfs_dir,
			   &tscpage_migration_stats.notifications);
	debugfs_create_u64("detections", 0444, tscpage_debugfs_dir,
			   &tscpage_migration_stats.detections);
	debugfs_create_u64("acks", 0444, tscpage_debugfs_dir,
			   &tscpage_migration_stats.acks);
	debugfs_create_u32("withdrawn", 0444, tscpage_debugfs_dir,
			   &tscpage_migration_stats.withdrawn);
	debugfs_create_file_unsafe("distrust", 0644, tscpage_debugfs_dir,
				   NULL, &tscpage_distrust_fops);
	debugfs_create_file_unsafe("generation", 0444, tscpage_debugfs_dir,
				   NULL, &tscpage_generation_fops);
	tscpage_bench_init(tscpage_debugfs_dir);
}

void tscpage_debugfs_exit(void)
{
	debugfs_remove_recursive(tscpage_debugfs_dir);
}
