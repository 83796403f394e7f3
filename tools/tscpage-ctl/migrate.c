// SPDX-License-Identifier: GPL-2.0
/*
 * tscpage-ctl: migrate. TSCPAGE_HVSIM_IOC_MIGRATE returns once the new
 * page is published and the notification sent; the acknowledgment comes
 * later, from tscpage's handler. It is counted in the status, in acks, or
 * in acks_dropped while the no_ack fault is active, so the wait polls the
 * status every millisecond until their sum passes its value from just
 * before the migrate. last_ack_ns is then the latency of this one
 * (acks grew) and not of an earlier one.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "control.h"
#include "device.h"
#include "faults.h"
#include "migrate.h"
#include "names.h"
#include "output.h"

#define CTL_POLL_NS	1000000ULL

static unsigned long long mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static unsigned long long acked(const struct tscpage_hvsim_status *st)
{
	return st->acks + st->acks_dropped;
}

/* Poll the status until the ack is counted or @o->wait_ms pass. */
static int wait_ack(const struct ctl_options *o, int fd,
		    struct ctl_migrate_result *res)
{
	const struct timespec tick = { 0, CTL_POLL_NS };
	unsigned long long start = mono_ns(), deadline, now;

	deadline = start + o->wait_ms * 1000000ULL;
	for (;;) {
		if (ctl_get_status(o, fd, &res->after))
			return -1;
		now = mono_ns();
		res->waited_ns = now - start;
		if (acked(&res->after) > acked(&res->before)) {
			res->ack = res->after.acks > res->before.acks ?
				   CTL_ACK_RECEIVED : CTL_ACK_DROPPED;
			return 0;
		}
		if (now >= deadline) {
			res->ack = CTL_ACK_TIMEOUT;
			return 0;
		}
		nanosleep(&tick, NULL);
	}
}

/* One line on stderr: the wait ran out, and the status's likely reason. */
static void report_timeout(const struct ctl_options *o,
			   const struct ctl_migrate_result *res)
{
	const struct tscpage_hvsim_status *st = &res->after;
	const char *why = "";

	if (!(st->flags & TSCPAGE_HVSIM_SUBSCRIBED))
		why = "; tscpage does not listen for notifications (SUBSCRIBED is clear: is tscpage loaded over tscpage_hvsim?)";
	else if (st->fault == TSCPAGE_HVSIM_FAULT_CHANGE_NONOTIFY)
		why = "; fault change_nonotify is active: no notification was sent";
	else if (st->notifications == res->before.notifications)
		why = "; no notification was counted";
	fprintf(stderr, "tscpage-ctl: %s: no acknowledgment within %lu ms (acks %llu, acks_dropped %llu unchanged)%s\n",
		o->name, o->wait_ms, (unsigned long long)st->acks,
		(unsigned long long)st->acks_dropped, why);
}

int ctl_cmd_migrate(const struct ctl_options *o)
{
	struct ctl_migrate_result res = {
		.req = o->migrate,
		.ack = CTL_ACK_NOT_WAITED,
		.wait_ms = o->wait_ms,
	};
	char einval[160];
	struct ctl_refusal r = {
		.cmd = o->name,
		.path = o->device,
		.request = "TSCPAGE_HVSIM_IOC_MIGRATE",
		.einval = einval,
	};
	int fd, ret = 1;

	if (o->migrate.cpu >= 0)
		snprintf(einval, sizeof(einval), "--cpu %d is probably not online",
			 (int)o->migrate.cpu);
	else
		snprintf(einval, sizeof(einval),
			 "blackout_ms, tsc_khz and tsc_offset are in the header's ranges: tool and module from different versions?");

	fd = ctl_open_hvsim(o->name, o->device);
	if (fd < 0)
		return 1;
	if (ctl_get_status(o, fd, &res.before))
		goto out;
	if (ioctl(fd, TSCPAGE_HVSIM_IOC_MIGRATE, &o->migrate)) {
		ctl_refused(&r, errno);
		goto out;
	}
	res.after = res.before;
	if (o->wait && wait_ack(o, fd, &res))
		goto out;
	ctl_print_migrate(o->json, &res);
	if (res.ack == CTL_ACK_TIMEOUT) {
		report_timeout(o, &res);
		goto out;
	}
	ret = 0;
out:
	close(fd);
	return ret;
}
