// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/tscpage as the dev_* selftests meet it: see tscpage_dev.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tscpage_dev.h"

void tscpage_dev_open(struct tscpage_dev *d, bool map)
{
	int err;

	if (geteuid())
		ksft_exit_skip("the dev_* tests switch clocksources, unload modules and drop root: run as root\n");
	if (access(TSCPAGE_DEV, F_OK))
		ksft_exit_skip(TSCPAGE_DEV " does not exist: tscpage is not loaded, or has no device\n");
	d->page_size = sysconf(_SC_PAGESIZE);
	d->page = NULL;
	d->fd = open(TSCPAGE_DEV, O_RDONLY | O_CLOEXEC);
	if (d->fd < 0)
		ksft_exit_fail_msg("open " TSCPAGE_DEV " O_RDONLY: %s\n",
				   errname(errno));
	if (!map)
		return;
	err = tscpage_dev_info(d->fd, &d->info);
	if (err)
		ksft_exit_fail_msg("TSCPAGE_IOC_INFO: %s\n", errname(err));
	if (!tscpage_format_known(d->info.format))
		ksft_exit_fail_msg("cannot read a page of format %u\n",
				   d->info.format);
	d->page = mmap(NULL, d->page_size, PROT_READ, MAP_SHARED, d->fd, 0);
	if (d->page == MAP_FAILED)
		ksft_exit_fail_msg("mmap " TSCPAGE_DEV ": %s\n", errname(errno));
}

int tscpage_dev_info(int fd, struct tscpage_info *info)
{
	/*
	 * Poisoned, so that a field the driver leaves unwritten cannot pass
	 * the zero checks by the accident of a zeroed buffer.
	 */
	memset(info, 0xa5, sizeof(*info));
	return ioctl(fd, TSCPAGE_IOC_INFO, info) ? errno : 0;
}

bool tscpage_format_known(uint32_t format)
{
	return format == TSCPAGE_FORMAT_PVCLOCK ||
	       format == TSCPAGE_FORMAT_HVREF;
}

int tscpage_dev_time(const void *page, uint32_t format, uint64_t *ns,
		     struct read_stats *st)
{
	struct tscpage_pvclock_sample pv;
	struct tscpage_hvref_sample hv;
	int err;

	st->reads++;
	if (format == TSCPAGE_FORMAT_PVCLOCK) {
		err = tscpage_pvclock_sample(page, DEV_MAX_RETRIES, &pv);
		st->retries += pv.retries;
		if (!err)
			*ns = tscpage_pvclock_ns(&pv.params, pv.tsc);
	} else {
		err = tscpage_hvref_sample(page, DEV_MAX_RETRIES, &hv);
		st->retries += hv.retries;
		if (!err)
			*ns = tscpage_hvref_ns(&hv.params, hv.tsc);
	}
	if (err == -ENODATA)
		st->invalid++;
	else if (err == -EAGAIN)
		st->busy++;
	return err;
}

int tscpage_dev_sample(const void *page, uint32_t format,
		       struct tscpage_pvclock_sample *pv,
		       struct tscpage_hvref_sample *hv)
{
	uint64_t start = clock_ns(CLOCK_MONOTONIC_RAW);
	int err;

	do {
		if (format == TSCPAGE_FORMAT_PVCLOCK)
			err = tscpage_pvclock_sample(page, DEV_MAX_RETRIES, pv);
		else
			err = tscpage_hvref_sample(page, DEV_MAX_RETRIES, hv);
		if (err != -ENODATA && err != -EAGAIN)
			break;
	} while ((int64_t)(clock_ns(CLOCK_MONOTONIC_RAW) - start) <
		 DEV_RETRY_NS);
	return err;
}
