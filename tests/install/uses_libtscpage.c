// SPDX-License-Identifier: GPL-2.0
/*
 * uses_libtscpage - a program a user writes against the installed
 * libtscpage: built by tests/install/run with only what
 * `pkg-config --cflags --libs libtscpage` gives, against the installed
 * header and library. Opens the clock (the device, else the vDSO's page,
 * else the syscall), reads it twice 10 ms apart and checks it moved by
 * about that. Exit 0 if it did, 1 otherwise.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <time.h>

#include <libtscpage.h>

int main(void)
{
	struct timespec nap = { .tv_nsec = 10 * 1000 * 1000 };
	struct tscpage_clock *c = tscpage_clock_open(0);
	uint64_t a, b;

	if (!c) {
		perror("tscpage_clock_open");
		return 1;
	}
	a = tscpage_clock_ns(c);
	nanosleep(&nap, NULL);
	b = tscpage_clock_ns(c);
	printf("source %s: %llu ns, 10 ms later %llu ns later\n",
	       tscpage_clock_source_name(tscpage_clock_source(c)),
	       (unsigned long long)a, (unsigned long long)(b - a));
	tscpage_clock_close(c);
	/* Slept 10 ms: the clock moved by that, and not by seconds. */
	return b - a >= 10000000 && b - a < 2000000000 ? 0 : 1;
}
