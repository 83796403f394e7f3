/* SPDX-License-Identifier: GPL-2.0 */
/*
 * unix_connect.h - connect to a QEMU unix socket (QMP, a serial port's
 * chardev) that may not exist yet: QEMU creates it while it starts.
 * Shared by qmp.c and serial-rx.c.
 */
#ifndef _VMTEST_UNIX_CONNECT_H
#define _VMTEST_UNIX_CONNECT_H

#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

/*
 * Connects to @path, trying every 20 ms for up to @wait_ms. Returns the
 * socket, or -1 with errno from the last try (ENAMETOOLONG for a path that
 * does not fit).
 */
static int unix_connect(const char *path, long wait_ms)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timespec t0, t;
	int fd, e;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(sa.sun_path, path);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -1;
		if (!connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
			return fd;
		e = errno;
		close(fd);
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((t.tv_sec - t0.tv_sec) * 1000 +
		    (t.tv_nsec - t0.tv_nsec) / 1000000 >= wait_ms) {
			errno = e;
			return -1;
		}
		usleep(20000);
	}
}

#endif /* _VMTEST_UNIX_CONNECT_H */
