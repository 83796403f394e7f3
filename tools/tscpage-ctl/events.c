// SPDX-License-Identifier: GPL-2.0
/*
 * tscpage-ctl: events. /dev/tscpage gives each open file the events that
 * come after its open(), as whole struct tscpage_event records; poll()
 * says when one is there. A reader that falls more than
 * TSCPAGE_EVENT_RING behind finds a gap in seq: said on stderr, so that
 * stdout stays one record per line.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "device.h"
#include "events.h"
#include "output.h"

#define CTL_EVENTS_BATCH	16

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* poll()'s timeout: -1 with no deadline, else the ms left (0: past). */
static int ms_left(long long deadline)
{
	long long left;

	if (deadline < 0)
		return -1;
	left = deadline - mono_ms();
	return left > 0 ? (int)left : 0;
}

int ctl_cmd_events(const struct ctl_options *o)
{
	struct tscpage_event ev[CTL_EVENTS_BATCH];
	unsigned long printed = 0, want;
	long long deadline = -1;
	unsigned long long next_seq = 0;
	struct pollfd pfd;
	ssize_t n;
	int fd, ret = 1;

	fd = ctl_open_tscpage(o->name, o->tscpage);
	if (fd < 0)
		return 1;
	if (o->timeout_ms)
		deadline = mono_ms() + (long long)o->timeout_ms;
	pfd = (struct pollfd) { .fd = fd, .events = POLLIN };

	while (!o->count || printed < o->count) {
		n = poll(&pfd, 1, ms_left(deadline));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "tscpage-ctl: %s: %s: poll: %s\n",
				o->name, o->tscpage, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;		/* the timeout */
		want = CTL_EVENTS_BATCH;
		if (o->count && o->count - printed < want)
			want = o->count - printed;
		n = read(fd, ev, want * sizeof(ev[0]));
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0 || n % sizeof(ev[0])) {
			fprintf(stderr, "tscpage-ctl: %s: %s: read: %s\n",
				o->name, o->tscpage,
				n < 0 ? strerror(errno) :
				n ? "not a whole number of struct tscpage_event" :
				    "end of file (tscpage going away?)");
			goto out;
		}
		for (size_t i = 0; i < n / sizeof(ev[0]); i++) {
			if (next_seq && ev[i].seq > next_seq)
				fprintf(stderr, "tscpage-ctl: %s: seq jumped from %llu to %llu: %llu events lost, this reader fell behind\n",
					o->name, next_seq - 1,
					(unsigned long long)ev[i].seq,
					(unsigned long long)(ev[i].seq - next_seq));
			next_seq = ev[i].seq + 1;
			ctl_print_event(o->json, &ev[i]);
			printed++;
		}
	}
	ret = 0;
	if (o->count && printed < o->count) {
		fprintf(stderr, "tscpage-ctl: %s: %lu of %lu events within %lu ms\n",
			o->name, printed, o->count, o->timeout_ms);
		ret = 1;
	}
out:
	close(fd);
	return ret;
}
