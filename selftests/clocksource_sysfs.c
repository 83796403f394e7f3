// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "clocksource_sysfs.h"
#include "klog.h"
#include "sysfs_file.h"

#define CS_DIR "/sys/devices/system/clocksource/clocksource0/"

int clocksource_current(char *name, size_t size)
{
	return sysfs_read_line(CS_DIR "current_clocksource", name, size);
}

bool clocksource_available(const char *name)
{
	char list[1024], *save, *tok;

	if (sysfs_read_line(CS_DIR "available_clocksource", list, sizeof(list)))
		return false;
	for (tok = strtok_r(list, " ", &save); tok;
	     tok = strtok_r(NULL, " ", &save))
		if (!strcmp(tok, name))
			return true;
	return false;
}

/* A name, or "\n" for no override. */
static int write_current(const char *buf)
{
	return sysfs_write(CS_DIR "current_clocksource", buf);
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
