/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * /dev/tscpage_hvsim: the control device of tscpage_hvsim, the hypervisor
 * test double. Root only (mode 0600, and CAP_SYS_ADMIN on open).
 *
 * Every command validates all of its argument before it changes anything:
 * a bad value (unknown fault, out-of-range number, non-zero reserved
 * field) is -EINVAL, a fault that does not apply to the page's format is
 * -EOPNOTSUPP, a fault while another is active is -EBUSY, a TSC write
 * while the module was loaded without allow_tsc_writes=1 is -EPERM, and
 * -EOPNOTSUPP on a CPU that ignores TSC writes (TSCPAGE_HVSIM_TSC_IGNORED),
 * a migration or a notifying fault while the last notification is still
 * on its way is -EBUSY; in every such case the simulator is exactly as it
 * was. One failure is not a refusal: MIGRATE's -EIO says the migration
 * happened (page rewritten, notification sent) but some CPU's TSC did not
 * move, so the TSCs may now disagree.
 */
#ifndef _UAPI_LINUX_TSCPAGE_HVSIM_H
#define _UAPI_LINUX_TSCPAGE_HVSIM_H

#include <linux/ioctl.h>
#include <linux/types.h>

/*
 * The fault catalogue: linux/tscpage_hvsim_faults.h, one line per fault in
 * the order of its number. This enum, the simulator's names and format
 * checks, the selftests' names and tscpage-ctl's catalogue are all made
 * from it. Documentation/hvsim.rst gives, for each, what the simulator
 * does and the outcome it must produce in tscpage.
 */
#define TSCPAGE_HVSIM_FAULT(id, ...)	TSCPAGE_HVSIM_FAULT_##id,
enum tscpage_hvsim_fault {
#include <linux/tscpage_hvsim_faults.h>
	TSCPAGE_HVSIM_FAULT_COUNT
};

#undef TSCPAGE_HVSIM_FAULT

/* Status flags. */
/* Hyper-V TSC emulation in progress: a notification not yet acknowledged. */
#define TSCPAGE_HVSIM_EMULATING		(1U << 0)
/* The pvclock page carries GUEST_STOPPED (cleared by the acknowledgment). */
#define TSCPAGE_HVSIM_GUEST_STOPPED	(1U << 1)
/* tscpage.ko listens for notifications. */
#define TSCPAGE_HVSIM_SUBSCRIBED	(1U << 2)
/* Loaded with allow_tsc_writes=1: migrate --tsc-offset and desync allowed. */
#define TSCPAGE_HVSIM_TSC_WRITES	(1U << 3)
/*
 * ... but this CPU ignores writes to its TSC (QEMU under TCG does), so
 * they fail with EOPNOTSUPP. Found at load by a write and a read back.
 */
#define TSCPAGE_HVSIM_TSC_IGNORED	(1U << 4)

/**
 * struct tscpage_hvsim_status - answer of TSCPAGE_HVSIM_IOC_STATUS
 * @format:        enum tscpage_format of the page
 * @update_hz:     page rewrites per second
 * @tsc_khz:       TSC frequency the simulated host declares (changed by
 *                 migrate --tsc-khz; the page itself always matches the
 *                 CPU's real TSC rate, see Documentation/hvsim.rst)
 * @flags:         TSCPAGE_HVSIM_* above
 * @fault:         active enum tscpage_hvsim_fault, or 0
 * @notify_cpu:    CPU the last notification was delivered on
 * @fault_ms_left: milliseconds until the active fault ends
 * @migrations:    migrations done
 * @notifications: notifications delivered
 * @acks:          acknowledgments received (and not dropped)
 * @acks_dropped:  acknowledgments dropped by the no_ack fault
 * @ack_timeouts:  notifications still unacknowledged 1 s after delivery
 * @last_ack_ns:   notification to acknowledgment of the last one acked
 * @max_ack_ns:    the longest of those since load
 * @tsc_offset:    cycles added to every CPU's TSC by migrations so far
 * @page_ns:       the page's clock now, in ns
 * @reserved:      zero
 */
struct tscpage_hvsim_status {
	__u32 format;
	__u32 update_hz;
	__u32 tsc_khz;
	__u32 flags;
	__u32 fault;
	__u32 notify_cpu;
	__u64 fault_ms_left;
	__u64 migrations;
	__u64 notifications;
	__u64 acks;
	__u64 acks_dropped;
	__u64 ack_timeouts;
	__u64 last_ack_ns;
	__u64 max_ack_ns;
	__s64 tsc_offset;
	__u64 page_ns;
	__u64 reserved[4];
};

#define TSCPAGE_HVSIM_BLACKOUT_MS_MAX	5000
#define TSCPAGE_HVSIM_TSC_KHZ_MIN	1000		/* 1 MHz */
#define TSCPAGE_HVSIM_TSC_KHZ_MAX	100000000	/* 100 GHz */
/* 2^40 cycles: minutes at any real TSC rate. */
#define TSCPAGE_HVSIM_TSC_OFFSET_MAX	(1LL << 40)

/**
 * struct tscpage_hvsim_migrate - argument of TSCPAGE_HVSIM_IOC_MIGRATE
 * @blackout_ms: 0..TSCPAGE_HVSIM_BLACKOUT_MS_MAX: how long every CPU is
 *               held (stop_machine) before the new page appears
 * @tsc_khz:     TSC frequency the destination declares, in
 *               TSCPAGE_HVSIM_TSC_KHZ_MIN..MAX, or 0 to keep it
 * @tsc_offset:  cycles the destination's TSC is ahead (or behind) of the
 *               source's, |offset| <= TSCPAGE_HVSIM_TSC_OFFSET_MAX; non-zero
 *               needs allow_tsc_writes=1 (it writes every CPU's TSC)
 * @cpu:         CPU the notification is delivered on; -1: the first online
 * @flags:       zero
 * @reserved:    zero
 *
 * Returns once the new page is published and the notification sent; the
 * acknowledgment comes later (see @acks in the status).
 */
struct tscpage_hvsim_migrate {
	__u32 blackout_ms;
	__u32 tsc_khz;
	__s64 tsc_offset;
	__s32 cpu;
	__u32 flags;
	__u64 reserved[2];
};

#define TSCPAGE_HVSIM_FOR_MS_MAX	60000

/**
 * struct tscpage_hvsim_fault_req - argument of TSCPAGE_HVSIM_IOC_FAULT
 * @fault:    enum tscpage_hvsim_fault; TSCPAGE_HVSIM_FAULT_NONE ends the
 *            active fault now
 * @for_ms:   how long the fault lasts, 1..TSCPAGE_HVSIM_FOR_MS_MAX (0 for
 *            NONE); one-shot faults stay "active" that long, so no other
 *            starts over them
 * @arg:      backward, forward: the step in ns (1..10^10, 0: 1 ms back,
 *            50 ms ahead); wrong_rate: ppm (-10^5..10^5 except 0, 0: +1000);
 *            zero for every other fault
 * @reserved: zero
 */
struct tscpage_hvsim_fault_req {
	__u32 fault;
	__u32 for_ms;
	__s64 arg;
	__u64 reserved[2];
};

/**
 * struct tscpage_hvsim_desync - argument of TSCPAGE_HVSIM_IOC_DESYNC
 * @cpu:      the CPU whose TSC moves
 * @flags:    zero
 * @cycles:   added to that CPU's TSC (IA32_TSC_ADJUST where the CPU has
 *            it, else IA32_TSC), |cycles| <= TSCPAGE_HVSIM_TSC_OFFSET_MAX,
 *            not 0
 *
 * Destructive: the kernel's own TSC clocksource and sched_clock see it
 * too. Needs allow_tsc_writes=1.
 */
struct tscpage_hvsim_desync {
	__s32 cpu;
	__u32 flags;
	__s64 cycles;
};

#define TSCPAGE_HVSIM_IOC_MAGIC		0xE2
#define TSCPAGE_HVSIM_IOC_STATUS	_IOR(TSCPAGE_HVSIM_IOC_MAGIC, 0x01, \
					     struct tscpage_hvsim_status)
#define TSCPAGE_HVSIM_IOC_MIGRATE	_IOW(TSCPAGE_HVSIM_IOC_MAGIC, 0x02, \
					     struct tscpage_hvsim_migrate)
#define TSCPAGE_HVSIM_IOC_FAULT		_IOW(TSCPAGE_HVSIM_IOC_MAGIC, 0x03, \
					     struct tscpage_hvsim_fault_req)
/*
 * Argument: __u32 rewrites per second, 1..100000, and with the module's
 * hold_us set, at most what keeps the page mid-update less than half the
 * time (hold_us * rate < 500000); -EINVAL otherwise.
 */
#define TSCPAGE_HVSIM_IOC_RATE		_IOW(TSCPAGE_HVSIM_IOC_MAGIC, 0x04, \
					     __u32)
#define TSCPAGE_HVSIM_IOC_DESYNC	_IOW(TSCPAGE_HVSIM_IOC_MAGIC, 0x05, \
					     struct tscpage_hvsim_desync)

#endif /* _UAPI_LINUX_TSCPAGE_HVSIM_H */
