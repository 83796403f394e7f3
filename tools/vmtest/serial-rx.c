// SPDX-License-Identifier: GPL-2.0
/*
 * serial-rx - the host's end of a guest serial port on a unix socket,
 * each line timestamped with the host's clock as it arrives.
 *
 * usage: serial-rx SOCKET [FIFO]
 *
 * Connects to SOCKET (a QEMU "-chardev socket,server=on,wait=off"),
 * retrying for up to 10 s while QEMU starts, and prints every line that
 * comes from the guest as "HOST_NS LINE", HOST_NS being CLOCK_REALTIME in
 * ns when its '\n' was read (the clock bash's $EPOCHREALTIME reads).
 * Lines written to FIFO (a named pipe, kept open so that writers may come
 * and go) are sent to the guest. Ends when QEMU closes the socket.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "unix_connect.h"

#define CONNECT_WAIT_MS	10000

int main(int argc, char **argv)
{
	static char line[65536];
	size_t len = 0;
	int fd, in = -1;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: serial-rx SOCKET [FIFO]\n");
		return 2;
	}
	fd = unix_connect(argv[1], CONNECT_WAIT_MS);
	if (fd < 0) {
		fprintf(stderr, "serial-rx: connect %s: %s\n", argv[1],
			strerror(errno));
		return 1;
	}
	/* O_RDWR: the FIFO never reports EOF between writers. */
	if (argc == 3) {
		in = open(argv[2], O_RDWR | O_NONBLOCK | O_CLOEXEC);
		if (in < 0)
			fprintf(stderr, "serial-rx: open %s: %s\n", argv[2],
				strerror(errno));
	}
	for (;;) {
		struct pollfd p[2] = { { .fd = fd, .events = POLLIN },
				       { .fd = in, .events = POLLIN } };
		char buf[4096];
		struct timespec ts;
		ssize_t n;

		if (poll(p, in >= 0 ? 2 : 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			perror("serial-rx: poll");
			return 1;
		}
		if (in >= 0 && (p[1].revents & POLLIN)) {
			n = read(in, buf, sizeof(buf));
			if (n > 0 && write(fd, buf, (size_t)n) != n)
				fprintf(stderr, "serial-rx: write: %s\n",
					strerror(errno));
		}
		if (!(p[0].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		clock_gettime(CLOCK_REALTIME, &ts);
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] == '\r')
				continue;
			if (buf[i] != '\n') {
				if (len < sizeof(line) - 1)
					line[len++] = buf[i];
				continue;
			}
			line[len] = '\0';
			printf("%lld%09ld %s\n", (long long)ts.tv_sec,
			       ts.tv_nsec, line);
			len = 0;
		}
		fflush(stdout);
	}
	if (len) {
		line[len] = '\0';
		printf("0 %s\n", line);
	}
	return 0;
}
