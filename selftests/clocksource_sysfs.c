// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "clocksource_sysfs.h"

#define CS_DIR "/sys/devices/system/clocksource/clocksource0/"

static int read_line(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	if (n < 0) {
		n = -errno;
		close(fd);
		return n;
	}
	close(fd);
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

int clocksource_current(char *name, size_t size)
{
	return read_line(CS_DIR "current_clocksource", name, size);
}

bool clocksource_available(const char *name)
{
	char list[1024], *save, *tok;

	if (read_line(CS_DIR "available_clocksource", list, sizeof(list)))
		return false;
	for (tok = strtok_r(list, " ", &save); tok;
	     tok = strtok_r(NULL, " ", &save))
		if (!strcmp(tok, name))
			return true;
	return false;
}

int clocksource_select(const char *name)
{
	char now[CLOCKSOURCE_NAME_MAX];
	size_t len = strlen(name);
	int fd, err = 0;

	fd = open(CS_DIR "current_clocksource", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, name, len) != (ssize_t)len)
		err = -errno;
	close(fd);
	if (err)
		return err;

	err = clocksource_current(now, sizeof(now));
	if (err)
		return err;
	return strcmp(now, name) ? -EPROTO : 0;
}
