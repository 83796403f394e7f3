// SPDX-License-Identifier: GPL-2.0
/*
 * fake-hvsim.so - a stand-in for tscpage_hvsim's ioctls, for test-ctl on a
 * machine without the module (LD_PRELOAD; the "device" is any file).
 *
 * It answers every ioctl of magic TSCPAGE_HVSIM_IOC_MAGIC itself; any
 * other goes to the kernel. Environment:
 *   FAKE_ERRNO=EINVAL|EOPNOTSUPP|EBUSY|EPERM  refuse every command but
 *                         STATUS with it
 *   FAKE_ACK=acked|dropped|none  what a migration's acknowledgment does:
 *                         counted in acks or acks_dropped after the third
 *                         STATUS that follows it, or never (default acked)
 *   FAKE_LOG=FILE         append one line per command with its argument
 * The status it gives: format pvclock, update_hz 1000, tsc_khz 2000000,
 * flags SUBSCRIBED|TSC_WRITES, fault stuck_odd with 250 ms left (while
 * FAKE_ERRNO=EBUSY, else none), acks 5, acks_dropped 1, last_ack_ns 4242
 * (then 31337 once a migration is acknowledged).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/tscpage.h>
#include <linux/tscpage_hvsim.h>

static int migrated;		/* STATUS calls since the migration, +1 */

static void log_line(const char *fmt, ...)
{
	const char *path = getenv("FAKE_LOG");
	va_list ap;
	FILE *f;

	if (!path)
		return;
	f = fopen(path, "a");
	if (!f)
		return;
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fputc('\n', f);
	fclose(f);
}

static int refusal(void)
{
	const char *e = getenv("FAKE_ERRNO");

	if (!e)
		return 0;
	if (!strcmp(e, "EINVAL"))
		return EINVAL;
	if (!strcmp(e, "EOPNOTSUPP"))
		return EOPNOTSUPP;
	if (!strcmp(e, "EBUSY"))
		return EBUSY;
	if (!strcmp(e, "EPERM"))
		return EPERM;
	return EIO;
}

static void status(struct tscpage_hvsim_status *st)
{
	const char *ack = getenv("FAKE_ACK");

	memset(st, 0, sizeof(*st));
	st->format = TSCPAGE_FORMAT_PVCLOCK;
	st->update_hz = 1000;
	st->tsc_khz = 2000000;
	st->flags = TSCPAGE_HVSIM_SUBSCRIBED | TSCPAGE_HVSIM_TSC_WRITES;
	if (refusal() == EBUSY) {
		st->fault = TSCPAGE_HVSIM_FAULT_STUCK_ODD;
		st->fault_ms_left = 250;
	}
	st->migrations = 7;
	st->notifications = 7;
	st->acks = 5;
	st->acks_dropped = 1;
	st->last_ack_ns = 4242;
	st->max_ack_ns = 90000;
	st->tsc_offset = -12345;
	st->page_ns = 1234567890123ULL;
	if (!migrated)
		return;
	st->migrations++;
	st->notifications++;
	if (migrated++ < 4 || (ack && !strcmp(ack, "none")))
		return;
	if (ack && !strcmp(ack, "dropped")) {
		st->acks_dropped++;
	} else {
		st->acks++;
		st->last_ack_ns = 31337;
	}
}

static int fake(unsigned long request, void *arg)
{
	const struct tscpage_hvsim_migrate *m = arg;
	const struct tscpage_hvsim_fault_req *f = arg;
	const struct tscpage_hvsim_desync *d = arg;
	int err = refusal();

	switch (request) {
	case TSCPAGE_HVSIM_IOC_STATUS:
		status(arg);
		log_line("STATUS");
		return 0;
	case TSCPAGE_HVSIM_IOC_MIGRATE:
		log_line("MIGRATE blackout_ms=%u tsc_khz=%u tsc_offset=%lld cpu=%d flags=%u reserved=%llu,%llu",
			 m->blackout_ms, m->tsc_khz, (long long)m->tsc_offset,
			 m->cpu, m->flags, (unsigned long long)m->reserved[0],
			 (unsigned long long)m->reserved[1]);
		if (!err)
			migrated = 1;
		break;
	case TSCPAGE_HVSIM_IOC_FAULT:
		log_line("FAULT fault=%u for_ms=%u arg=%lld reserved=%llu,%llu",
			 f->fault, f->for_ms, (long long)f->arg,
			 (unsigned long long)f->reserved[0],
			 (unsigned long long)f->reserved[1]);
		break;
	case TSCPAGE_HVSIM_IOC_RATE:
		log_line("RATE %u", *(const __u32 *)arg);
		break;
	case TSCPAGE_HVSIM_IOC_DESYNC:
		log_line("DESYNC cpu=%d flags=%u cycles=%lld", d->cpu, d->flags,
			 (long long)d->cycles);
		break;
	default:
		err = ENOTTY;
		break;
	}
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}

int ioctl(int fd, unsigned long request, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (_IOC_TYPE(request) == TSCPAGE_HVSIM_IOC_MAGIC)
		return fake(request, arg);
	return syscall(SYS_ioctl, fd, request, arg);
}
