// SPDX-License-Identifier: GPL-2.0
/*
 * qmp - one-shot QMP client for vmtest's migration mode.
 *
 * usage: qmp [--wait-ms N] [--times] SOCKET JSON|sleep:MS...
 *
 * Connects to QEMU's QMP unix socket (retrying for up to N ms, default 0,
 * while QEMU starts), negotiates capabilities, sends each JSON command in
 * turn and prints QEMU's answer to each on one line (asynchronous events
 * are skipped). An argument sleep:MS waits MS ms instead, on the same
 * connection (a pause timed by QEMU's answers, not by our start-up).
 * --times prefixes each answer with the host's CLOCK_REALTIME in ns when
 * the command was sent and when its answer came. Exits 0 when every
 * command returned, 1 on the first {"error": ...} (printed, so the caller
 * has QEMU's own text), 2 when the socket cannot be reached or QEMU
 * closes it, 3 on bad usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "unix_connect.h"

#define REPLY_TIMEOUT_MS	60000

static char buf[1 << 20];
static size_t len;

static long long real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Next line from QEMU into @line (without "\r\n"); 0, or -1 on EOF. */
static int read_line(int fd, char **line)
{
	static size_t consumed;
	long long deadline = now_ms() + REPLY_TIMEOUT_MS;
	char *nl;

	if (consumed) {
		memmove(buf, buf + consumed, len - consumed);
		len -= consumed;
		consumed = 0;
	}
	while (!(nl = memchr(buf, '\n', len))) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		long long left = deadline - now_ms();
		ssize_t n;

		if (left <= 0 || len == sizeof(buf) - 1) {
			fprintf(stderr, "qmp: no complete answer in %d ms\n",
				REPLY_TIMEOUT_MS);
			return -1;
		}
		if (poll(&p, 1, (int)left) < 0 && errno != EINTR)
			return -1;
		n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
			return -1;
		if (n > 0)
			len += (size_t)n;
	}
	*nl = '\0';
	if (nl > buf && nl[-1] == '\r')
		nl[-1] = '\0';
	*line = buf;
	consumed = (size_t)(nl + 1 - buf);
	return 0;
}

/* The answer to a command: the first line that is not an event. */
static int answer(int fd, char **line)
{
	do {
		if (read_line(fd, line))
			return -1;
	} while (!strncmp(*line, "{\"timestamp\"", 12) ||
		 strstr(*line, "\"event\"") == *line + 1);
	return 0;
}

static int send_all(int fd, const char *s)
{
	size_t n = strlen(s);

	while (n) {
		ssize_t w = write(fd, s, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *path;
	long wait_ms = 0;
	int times = 0;
	char *line;
	int i = 1, fd;

	if (argc > 2 && !strcmp(argv[1], "--wait-ms")) {
		wait_ms = strtol(argv[2], NULL, 10);
		i = 3;
	}
	if (argc > i && !strcmp(argv[i], "--times")) {
		times = 1;
		i++;
	}
	if (argc - i < 1) {
		fprintf(stderr, "usage: qmp [--wait-ms N] [--times] SOCKET JSON|sleep:MS...\n");
		return 3;
	}
	path = argv[i++];
	fd = unix_connect(path, wait_ms);
	if (fd < 0) {
		fprintf(stderr, "qmp: connect %s: %s\n", path, strerror(errno));
		return 2;
	}
	/* The greeting, then capabilities negotiation. */
	if (read_line(fd, &line) ||
	    send_all(fd, "{\"execute\":\"qmp_capabilities\"}\n") ||
	    answer(fd, &line)) {
		fprintf(stderr, "qmp: %s: no QMP greeting\n", path);
		return 2;
	}
	for (; i < argc; i++) {
		long long sent;

		if (!strncmp(argv[i], "sleep:", 6)) {
			usleep((useconds_t)strtol(argv[i] + 6, NULL, 10) * 1000);
			continue;
		}
		sent = real_ns();
		if (send_all(fd, argv[i]) || send_all(fd, "\n") ||
		    answer(fd, &line)) {
			fprintf(stderr, "qmp: %s: connection lost after %s\n",
				path, argv[i]);
			return 2;
		}
		if (times)
			printf("%lld %lld ", sent, real_ns());
		printf("%s\n", line);
		if (strstr(line, "\"error\"") == line + 1)
			return 1;
	}
	return 0;
}
