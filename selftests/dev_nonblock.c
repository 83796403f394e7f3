// SPDX-License-Identifier: GPL-2.0
/*
 * dev_nonblock - a read() of an O_NONBLOCK /dev/tscpage file with no event
 * waiting returns EAGAIN at once, even while another reader of the same
 * open file is blocked in read().
 *
 * Runs with tscpage loaded and nothing migrating, and leaves it as it was.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "kselftest.h"
#include "args.h"
#include "tscpage_dev.h"

/*
 * O_NONBLOCK beside a blocked reader. A thread blocks in read() of a
 * fresh file (no event for it: nothing migrates here); the file is then
 * made O_NONBLOCK and read again, which must say EAGAIN at once. The
 * blocked reader is woken by a signal after NONBLOCK_WAIT_MS, so a read
 * that waits for it shows as one that took that long. Seen on the first
 * driver: the file's lock was held across the blocking wait, and the
 * O_NONBLOCK read waited behind it for the signal (or an event).
 */
#define NONBLOCK_WAIT_MS	1000

struct blocked_reader {
	int fd;
	ssize_t ret;
	int err;
};

static void on_wake(int sig)
{
	(void)sig;
}

static void *blocked_read(void *arg)
{
	struct blocked_reader *b = arg;
	struct tscpage_event e;

	b->ret = read(b->fd, &e, sizeof(e));
	b->err = errno;
	return NULL;
}

/* Wakes the blocked reader after NONBLOCK_WAIT_MS, whatever happens. */
static void *waker(void *arg)
{
	usleep(NONBLOCK_WAIT_MS * 1000);
	pthread_kill(*(pthread_t *)arg, SIGUSR2);
	return NULL;
}

static void check_nonblock(void)
{
	struct sigaction sa = { .sa_handler = on_wake };	/* no SA_RESTART */
	struct blocked_reader b = { .ret = -2 };
	struct tscpage_event e;
	pthread_t t, w;
	uint64_t t0, t1;
	ssize_t n;
	int err;

	b.fd = open(TSCPAGE_DEV, O_RDONLY | O_CLOEXEC);
	if (b.fd < 0 || sigaction(SIGUSR2, &sa, NULL) ||
	    pthread_create(&t, NULL, blocked_read, &b)) {
		ksft_test_result_fail("O_NONBLOCK read beside a blocked reader: setup: %s\n",
				      errname(errno));
		if (b.fd >= 0)
			close(b.fd);
		return;
	}
	usleep(200000);		/* the thread is in read() by now */
	fcntl(b.fd, F_SETFL, fcntl(b.fd, F_GETFL) | O_NONBLOCK);
	if (pthread_create(&w, NULL, waker, &t))
		ksft_exit_fail_msg("pthread_create: %s\n", errname(errno));
	t0 = clock_ns(CLOCK_MONOTONIC_RAW);
	n = read(b.fd, &e, sizeof(e));
	err = errno;
	t1 = clock_ns(CLOCK_MONOTONIC_RAW);
	pthread_join(w, NULL);
	pthread_join(t, NULL);
	close(b.fd);
	ksft_test_result(n < 0 && err == EAGAIN &&
			 t1 - t0 < NONBLOCK_WAIT_MS * 1000000ULL / 2,
			 "O_NONBLOCK read beside a blocked reader: %s after %.3f s (EAGAIN at once wanted); the blocked one: %s\n",
			 n < 0 ? errname(err) : "an event", (t1 - t0) / 1e9,
			 b.ret < 0 ? errname(b.err) : "an event");
}

static void usage(FILE *f, const char *prog)
{
	fprintf(f, "usage: %s\n", prog);
}

int main(int argc, char **argv)
{
	const struct arg_spec specs[] = { ARG_END };
	struct tscpage_dev dev;
	int opt;

	opt = args_parse(argc, argv, specs, usage);
	if (opt >= 0)
		return opt;

	ksft_print_header();
	tscpage_dev_open(&dev, false);
	ksft_set_plan(1);
	check_nonblock();
	close(dev.fd);
	ksft_finished();
}
