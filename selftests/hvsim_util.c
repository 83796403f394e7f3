// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <tscpage/reader.h>

#include "kselftest.h"
#include "clocksource_sysfs.h"
#include "hvsim_util.h"
#include "sysfs_file.h"

const char *errname(int err)
{
	switch (err) {
	case 0:		return "success";
	case EPERM:	return "EPERM";
	case ENOENT:	return "ENOENT";
	case EIO:	return "EIO";
	case EBADF:	return "EBADF";
	case EAGAIN:	return "EAGAIN";
	case ENOMEM:	return "ENOMEM";
	case EACCES:	return "EACCES";
	case EFAULT:	return "EFAULT";
	case EBUSY:	return "EBUSY";
	case ENODEV:	return "ENODEV";
	case EINVAL:	return "EINVAL";
	case ENOTTY:	return "ENOTTY";
	case ERANGE:	return "ERANGE";
	case ENODATA:	return "ENODATA";
	case ENXIO:	return "ENXIO";
	case EPROTO:	return "EPROTO";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case ETIMEDOUT:	return "ETIMEDOUT";
	}
	return strerror(err);
}

const char *format_name(uint32_t format)
{
	switch (format) {
	case TSCPAGE_FORMAT_PVCLOCK:	return "pvclock";
	case TSCPAGE_FORMAT_HVREF:	return "hvref";
	}
	return "unknown";
}

const char *fault_name(uint32_t fault)
{
	static const char *const names[TSCPAGE_HVSIM_FAULT_COUNT] = {
#define TSCPAGE_HVSIM_FAULT(id, name, ...) [TSCPAGE_HVSIM_FAULT_##id] = name,
#include <linux/tscpage_hvsim_faults.h>
#undef TSCPAGE_HVSIM_FAULT
	};
	static char other[16];

	if (fault < TSCPAGE_HVSIM_FAULT_COUNT && names[fault])
		return names[fault];
	snprintf(other, sizeof(other), "fault%u", fault);
	return other;
}

uint64_t clock_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* As tscpage's clocksource: a healthy page never comes close. */
#define MAX_RETRIES	1024

int page_now_ns(const void *page, uint32_t format, unsigned int tries,
		uint64_t *ns)
{
	struct tscpage_pvclock_sample pv;
	struct tscpage_hvref_sample hv;
	int err = -EAGAIN;

	while (tries--) {
		if (format == TSCPAGE_FORMAT_PVCLOCK) {
			err = tscpage_pvclock_sample(page, MAX_RETRIES, &pv);
			if (!err)
				*ns = tscpage_pvclock_ns(&pv.params, pv.tsc);
		} else {
			err = tscpage_hvref_sample(page, MAX_RETRIES, &hv);
			if (!err)
				*ns = tscpage_hvref_ns(&hv.params, hv.tsc);
		}
		if (err != -EAGAIN && err != -ENODATA)
			break;
	}
	return err;
}

int hvsim_status(int fd, struct tscpage_hvsim_status *st)
{
	/* Poisoned, so that a field left unwritten shows. */
	memset(st, 0xa5, sizeof(*st));
	return ioctl(fd, TSCPAGE_HVSIM_IOC_STATUS, st) ? errno : 0;
}

bool hvsim_wait_idle(int fd, unsigned int ms, uint32_t *fault)
{
	struct tscpage_hvsim_status st;
	const struct timespec poll = { 0, 10 * 1000 * 1000 };

	*fault = 0;
	for (unsigned int waited = 0; ; waited += 10) {
		if (hvsim_status(fd, &st))
			return false;
		*fault = st.fault;
		if (!st.fault)
			return true;
		if (waited >= ms)
			return false;
		nanosleep(&poll, NULL);
	}
}

void hvsim_status_print(const char *what, const struct tscpage_hvsim_status *st)
{
	ksft_print_msg("%s: format %u (%s) update_hz %u tsc_khz %u flags %#x fault %u (%s) notify_cpu %u fault_ms_left %" PRIu64 " migrations %" PRIu64 " notifications %" PRIu64 " acks %" PRIu64 " acks_dropped %" PRIu64 " ack_timeouts %" PRIu64 " last_ack_ns %" PRIu64 " max_ack_ns %" PRIu64 " tsc_offset %" PRId64 " page_ns %" PRIu64 " reserved %#" PRIx64 " %#" PRIx64 " %#" PRIx64 " %#" PRIx64 "\n",
		       what, st->format, format_name(st->format), st->update_hz,
		       st->tsc_khz, st->flags, st->fault, fault_name(st->fault),
		       st->notify_cpu, (uint64_t)st->fault_ms_left,
		       (uint64_t)st->migrations, (uint64_t)st->notifications,
		       (uint64_t)st->acks, (uint64_t)st->acks_dropped,
		       (uint64_t)st->ack_timeouts, (uint64_t)st->last_ack_ns,
		       (uint64_t)st->max_ack_ns, (int64_t)st->tsc_offset,
		       (uint64_t)st->page_ns, (uint64_t)st->reserved[0],
		       (uint64_t)st->reserved[1], (uint64_t)st->reserved[2],
		       (uint64_t)st->reserved[3]);
}

/* Appends " name a->b" to @buf when @a != @b; returns 1 if it did. */
static int diff_u64(char *buf, size_t size, const char *name, uint64_t a,
		    uint64_t b)
{
	size_t len = strlen(buf);

	if (a == b)
		return 0;
	if (len < size)
		snprintf(buf + len, size - len, "%s%s %" PRIu64 "->%" PRIu64,
			 len ? " " : "", name, a, b);
	return 1;
}

int hvsim_status_diff(const struct tscpage_hvsim_status *a,
		      const struct tscpage_hvsim_status *b,
		      char *buf, size_t size)
{
	int n = 0;
	unsigned int i;

	buf[0] = '\0';
#define DIFF(f) (n += diff_u64(buf, size, #f, (uint64_t)a->f, (uint64_t)b->f))
	DIFF(format);
	DIFF(update_hz);
	DIFF(tsc_khz);
	DIFF(flags);
	DIFF(fault);
	DIFF(notify_cpu);
	DIFF(migrations);
	DIFF(notifications);
	DIFF(acks);
	DIFF(acks_dropped);
	DIFF(ack_timeouts);
	DIFF(last_ack_ns);
	DIFF(max_ack_ns);
	DIFF(tsc_offset);
#undef DIFF
	for (i = 0; i < 4; i++)
		n += diff_u64(buf, size, "reserved", a->reserved[i],
			      b->reserved[i]);
	return n;
}

static const char *event_type_name(uint32_t type)
{
	switch (type) {
	case TSCPAGE_EVENT_NOTIFIED:	return "NOTIFIED";
	case TSCPAGE_EVENT_DETECTED:	return "DETECTED";
	case TSCPAGE_EVENT_WITHDRAWN:	return "WITHDRAWN";
	}
	return "type?";
}

void event_str(const struct tscpage_event *ev, char *buf, size_t size)
{
	snprintf(buf, size,
		 "seq %" PRIu64 " %s(%u) flags %#x%s%s%s%s cpu %u khz %u->%u step %" PRId64 " ns gen %" PRIu64 "%s",
		 (uint64_t)ev->seq, event_type_name(ev->type), ev->type,
		 ev->flags,
		 ev->flags & TSCPAGE_EVENT_CHANGED ? " CHANGED" : "",
		 ev->flags & TSCPAGE_EVENT_GUEST_STOPPED ? " GUEST_STOPPED" : "",
		 ev->flags & TSCPAGE_EVENT_ACKED ? " ACKED" : "",
		 ev->flags & TSCPAGE_EVENT_BACKWARD ? " BACKWARD" : "",
		 ev->cpu, ev->old_tsc_khz, ev->new_tsc_khz,
		 (int64_t)ev->step_ns, (uint64_t)ev->generation,
		 ev->reserved0 || ev->reserved[0] || ev->reserved[1] ?
		 " RESERVED NON-ZERO" : "");
}

int event_read(int fd, struct tscpage_event *ev)
{
	ssize_t n = read(fd, ev, sizeof(*ev));

	if (n < 0)
		return errno == EAGAIN ? 0 : -errno;
	return n == sizeof(*ev) ? 1 : -EPROTO;
}

int event_wait(int fd, int ms, struct tscpage_event *ev)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	poll(&pfd, 1, ms);
	return event_read(fd, ev);
}

/* debugfs is mounted by the guest's init; elsewhere, maybe not. */
static void debugfs_mount(void)
{
	static bool tried;
	struct stat st;

	if (tried)
		return;
	tried = true;
	if (!stat(TSCPAGE_DEBUGFS, &st))
		return;
	if (mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL) &&
	    errno != EBUSY)
		ksft_print_msg("mount debugfs on /sys/kernel/debug: %s\n",
			       errname(errno));
}

int debugfs_counter(const char *name, uint64_t *val)
{
	char path[256], buf[64], *end;
	int err;

	debugfs_mount();
	snprintf(path, sizeof(path), TSCPAGE_DEBUGFS "%s", name);
	err = sysfs_read_line(path, buf, sizeof(buf));
	if (err)
		return err;
	errno = 0;
	*val = strtoull(buf, &end, 10);
	return errno || end == buf || *end ? -EPROTO : 0;
}

int hvsim_open(int *tp, struct tscpage_hvsim_status *st)
{
	int hv, err;

	if (geteuid())
		ksft_exit_skip("the simulator's control device is root's\n");
	if (access(HVSIM_DEV, F_OK))
		ksft_exit_skip(HVSIM_DEV " does not exist: tscpage_hvsim is not loaded, or has no control device\n");
	if (tp && access(TSCPAGE_DEV, F_OK))
		ksft_exit_skip(TSCPAGE_DEV " does not exist: tscpage is not loaded\n");
	hv = open(HVSIM_DEV, O_RDWR | O_CLOEXEC);
	if (hv < 0)
		ksft_exit_fail_msg("open " HVSIM_DEV ": %s\n", errname(errno));
	if (tp) {
		*tp = open(TSCPAGE_DEV, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (*tp < 0)
			ksft_exit_fail_msg("open " TSCPAGE_DEV ": %s\n",
					   errname(errno));
	}
	err = hvsim_status(hv, st);
	if (err)
		ksft_exit_fail_msg("TSCPAGE_HVSIM_IOC_STATUS: %s\n", errname(err));
	if (st->format != TSCPAGE_FORMAT_PVCLOCK &&
	    st->format != TSCPAGE_FORMAT_HVREF)
		ksft_exit_fail_msg("unknown page format %u\n", st->format);
	hvsim_status_print("hvsim at start", st);
	return hv;
}
