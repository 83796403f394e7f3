// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "clocksource_sysfs.h"
#include "klog.h"

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

/* Writes @buf to current_clocksource: a name, or "\n" for no override. */
static int write_current(const char *buf)
{
	size_t len = strlen(buf);
	int fd, err = 0;

	fd = open(CS_DIR "current_clocksource", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, buf, len) != (ssize_t)len)
		err = -errno;
	close(fd);
	return err;
}

int clocksource_select(const char *name)
{
	char now[CLOCKSOURCE_NAME_MAX];
	int err;

	err = write_current(name);
	if (err)
		return err;

	err = clocksource_current(now, sizeof(now));
	if (err)
		return err;
	return strcmp(now, name) ? -EPROTO : 0;
}

int clocksource_restore(const char *prev, char *now, size_t size,
			bool *refused)
{
	char why[CLOCKSOURCE_NAME_MAX + 64];
	int err;

	*refused = false;
	err = clocksource_select(prev);
	if (err != -EPROTO) {
		if (!err)
			snprintf(now, size, "%s", prev);
		return err;
	}
	snprintf(why, sizeof(why), "Override clocksource %s is unstable", prev);
	if (!klog_contains(why))
		return -EPROTO;
	*refused = true;
	err = write_current("\n");
	return err ? err : clocksource_current(now, size);
}
