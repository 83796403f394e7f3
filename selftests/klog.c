// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>

#include "klog.h"

/* klogctl(2) actions; glibc has no names for them. */
#define SYSLOG_ACTION_READ_ALL		3
#define SYSLOG_ACTION_SIZE_BUFFER	10

bool klog_contains(const char *needle)
{
	int size = klogctl(SYSLOG_ACTION_SIZE_BUFFER, NULL, 0);
	bool found = false;
	char *buf;
	int n;

	if (size <= 0)
		return false;
	buf = malloc(size + 1);
	if (!buf)
		return false;
	n = klogctl(SYSLOG_ACTION_READ_ALL, buf, size);
	if (n >= 0) {
		buf[n] = '\0';
		found = strstr(buf, needle);
	}
	free(buf);
	return found;
}
