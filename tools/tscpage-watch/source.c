// SPDX-License-Identifier: GPL-2.0
/*
 * tscpage-watch: where the page comes from. /dev/tscpage gives the page
 * tscpage.ko reads, mapped read-only, and says its format; without it,
 * libtscpage's tscpage_vvar_page() finds the kernel's own kvmclock or
 * Hyper-V page in this process's vDSO data.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "source.h"
#include "vvar.h"

const char *watch_format_name(enum tscpage_format format)
{
	switch (format) {
	case TSCPAGE_FORMAT_PVCLOCK:
		return "pvclock";
	case TSCPAGE_FORMAT_HVREF:
		return "hvref";
	}
	return "unknown";
}

/* 1 opened, 0 no device, -1 a device that is unusable (message printed). */
static int open_device(struct watch_source *src)
{
	long psize = sysconf(_SC_PAGESIZE);
	void *page;
	int fd;

	fd = open(WATCH_DEVICE_PATH, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT || errno == ENODEV || errno == ENXIO)
			return 0;
		fprintf(stderr, "tscpage-watch: %s: %s\n", WATCH_DEVICE_PATH,
			strerror(errno));
		return -1;
	}
	if (ioctl(fd, TSCPAGE_IOC_INFO, &src->info)) {
		fprintf(stderr, "tscpage-watch: %s: TSCPAGE_IOC_INFO: %s\n",
			WATCH_DEVICE_PATH, strerror(errno));
		goto err;
	}
	src->info.provider[TSCPAGE_PROVIDER_NAME_LEN - 1] = '\0';
	if (src->info.format != TSCPAGE_FORMAT_PVCLOCK &&
	    src->info.format != TSCPAGE_FORMAT_HVREF) {
		fprintf(stderr, "tscpage-watch: %s: unknown page format %u\n",
			WATCH_DEVICE_PATH, src->info.format);
		goto err;
	}
	page = mmap(NULL, psize, PROT_READ, MAP_SHARED, fd, 0);
	if (page == MAP_FAILED) {
		fprintf(stderr, "tscpage-watch: %s: mmap: %s\n",
			WATCH_DEVICE_PATH, strerror(errno));
		goto err;
	}
	src->name = "device";
	src->format = src->info.format;
	src->page = page;
	src->fd = fd;
	return 1;
err:
	close(fd);
	return -1;
}

static bool open_vvar(struct watch_source *src)
{
	enum tscpage_format format;
	const void *page = tscpage_vvar_page(&format);

	if (!page)
		return false;
	src->name = "vvar";
	src->format = format;
	src->page = page;
	return true;
}

int watch_source_open(enum watch_source_kind kind, struct watch_source *src)
{
	int ret;

	memset(src, 0, sizeof(*src));
	src->fd = -1;
	if (kind != WATCH_SOURCE_VVAR) {
		ret = open_device(src);
		if (ret)
			return ret > 0 ? 0 : -1;
		if (kind == WATCH_SOURCE_DEVICE) {
			fprintf(stderr, "tscpage-watch: %s is not there (is tscpage.ko loaded?)\n",
				WATCH_DEVICE_PATH);
			return -1;
		}
	}
	if (open_vvar(src))
		return 0;
	if (kind == WATCH_SOURCE_VVAR)
		fprintf(stderr, "tscpage-watch: no kvmclock or Hyper-V page in this process's vDSO data (the clocksource is not one the vDSO reads from a page)\n");
	else
		fprintf(stderr, "tscpage-watch: no time page: %s is not there and the vDSO maps no kvmclock or Hyper-V page\n",
			WATCH_DEVICE_PATH);
	return -1;
}

bool watch_source_refresh_info(struct watch_source *src)
{
	struct tscpage_info info;

	if (src->fd < 0 || ioctl(src->fd, TSCPAGE_IOC_INFO, &info))
		return false;
	info.provider[TSCPAGE_PROVIDER_NAME_LEN - 1] = '\0';
	src->info = info;
	return true;
}
