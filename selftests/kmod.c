// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "kmod.h"

static const char *kmod_dir;

void kmod_set_dir(const char *dir)
{
	kmod_dir = dir;
}

int kmod_load(const char *name, const char *params)
{
	char path[PATH_MAX];
	struct utsname u;
	int fd, err = 0;

	if (kmod_dir) {
		snprintf(path, sizeof(path), "%s/%s.ko", kmod_dir, name);
	} else {
		if (uname(&u))
			return -errno;
		snprintf(path, sizeof(path), "/lib/modules/%s/extra/%s.ko",
			 u.release, name);
	}

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (syscall(SYS_finit_module, fd, params, 0))
		err = -errno;
	close(fd);
	return err;
}

int kmod_unload(const char *name)
{
	return syscall(SYS_delete_module, name, O_NONBLOCK) ? -errno : 0;
}

bool kmod_loaded(const char *name)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "/sys/module/%s", name);
	return !stat(path, &st);
}
