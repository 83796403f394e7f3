/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * tscpage ABI: the layouts of the hypervisor-written time pages that
 * tscpage reads.
 *
 * Both layouts are written by the hypervisor (or by tscpage_hvsim, its
 * test double) and only read by the guest, but for the pvclock page's
 * GUEST_STOPPED flag, which the guest kernel clears. Every multi-byte field
 * is little-endian, as on the only architecture these pages exist on
 * (x86). Every field is naturally aligned, so the structures need no
 * packing: their size and offsets are those of the hypervisors' own
 * definitions (checked at build time in the driver), and readers may
 * load each field with one single-copy-atomic access.
 */
#ifndef _UAPI_LINUX_TSCPAGE_H
#define _UAPI_LINUX_TSCPAGE_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* The page formats tscpage reads. */
enum tscpage_format {
	TSCPAGE_FORMAT_PVCLOCK = 1,	/* struct tscpage_pvclock */
	TSCPAGE_FORMAT_HVREF = 2,	/* struct tscpage_hvref */
};

/*
 * KVM/Xen pvclock (struct pvclock_vcpu_time_info in the kernel), 32 bytes
 * at offset 0 of the page.
 *
 * @version:       sequence count. The writer makes it odd before it
 *                 touches any other field and even again (one more) after
 *                 the last; a reader that sees it odd, or sees it change
 *                 across its reads, must retry.
 * @pad0:          reserved, zero.
 * @tsc_timestamp: the TSC value, in guest TSC cycles, at which
 *                 @system_time was sampled.
 * @system_time:   guest time in nanoseconds at @tsc_timestamp.
 * @tsc_to_system_mul: 32.32 fixed-point multiplier from (shifted) TSC
 *                 cycles to nanoseconds.
 * @tsc_shift:     binary shift applied to the TSC delta before the
 *                 multiplication: left when positive, right when negative.
 *                 Readers reject values outside [-32, 32].
 * @flags:         TSCPAGE_PVCLOCK_* below.
 * @pad:           reserved, zero.
 *
 * Time in nanoseconds at TSC value @tsc:
 *   ns = system_time + ((shifted(tsc - tsc_timestamp) * mul) >> 32)
 */
struct tscpage_pvclock {
	__u32 version;
	__u32 pad0;
	__u64 tsc_timestamp;
	__u64 system_time;
	__u32 tsc_to_system_mul;
	__s8 tsc_shift;
	__u8 flags;
	__u8 pad[2];
};

/*
 * The TSC is synchronized across all CPUs: the page alone is monotonic and
 * readers need no global guard.
 */
#define TSCPAGE_PVCLOCK_TSC_STABLE	(1 << 0)
/*
 * The hypervisor paused the guest; set by the host, cleared by the guest
 * kernel (with the kvm provider, tscpage's clocksource read clears it on
 * each CPU's page). Userspace never clears it.
 */
#define TSCPAGE_PVCLOCK_GUEST_STOPPED	(1 << 1)

#define TSCPAGE_PVCLOCK_SHIFT_MIN	(-32)
#define TSCPAGE_PVCLOCK_SHIFT_MAX	32

/*
 * Hyper-V reference TSC page (TLFS 6.0, section 12.7), at offset 0 of
 * the page.
 *
 * @tsc_sequence:  0 means the page is invalid and the reader must use
 *                 another clock; any other value names one consistent set
 *                 of @tsc_scale and @tsc_offset, and a change of it across
 *                 a read means the read must be retried.
 * @tsc_scale:     64.64 fixed-point multiplier from TSC cycles to 100 ns
 *                 units.
 * @tsc_offset:    added after the scaling, in 100 ns units.
 *
 * Time in 100 ns units at TSC value @tsc:
 *   t = ((tsc * tsc_scale) >> 64) + tsc_offset
 */
struct tscpage_hvref {
	__u32 tsc_sequence;
	__u32 reserved1;
	__u64 tsc_scale;
	__s64 tsc_offset;
};

/*
 * /dev/tscpage
 * ============
 *
 * mmap(): the provider's page, read-only: exactly one page at offset 0,
 * PROT_READ only (PROT_WRITE, PROT_EXEC, a later mprotect() to writable,
 * MAP_PRIVATE copies and any other length or offset are refused).
 *
 * TSCPAGE_IOC_INFO: what the page is.
 *
 * read() and poll(): migration events, see struct tscpage_event.
 */

#define TSCPAGE_PROVIDER_NAME_LEN	16

/**
 * struct tscpage_info - answer of TSCPAGE_IOC_INFO
 * @format:     enum tscpage_format of the page mmap() gives
 * @flags:      TSCPAGE_INFO_* below
 * @provider:   who writes the page: "kvm", "hyperv" or "hvsim",
 *              NUL-terminated
 * @tsc_khz:    TSC frequency the page's parameters imply, as of the
 *              last time tscpage looked (at most 100 ms ago)
 * @reserved0:  zero
 * @generation: starts at 0 and grows by one with each migration event:
 *              every notification by the provider, and every change of
 *              the page's parameters tscpage sees: a program that
 *              calibrated the raw TSC itself must recalibrate when it
 *              changes
 * @reserved:   zero
 */
struct tscpage_info {
	__u32 format;
	__u32 flags;
	char provider[TSCPAGE_PROVIDER_NAME_LEN];
	__u32 tsc_khz;
	__u32 reserved0;
	__u64 generation;
	__u64 reserved[4];
};

/*
 * The TSC is synchronized across CPUs: for a pvclock page, its TSC_STABLE
 * flag; for a reference page, which has no such flag, Hyper-V's promise
 * (its page is partition-wide) or, over hvsim, the kernel's own verdict on
 * its TSCs.
 *
 * The kvm provider's page is CPU 0's kvmclock page. Without TSC_STABLE in
 * its flags (KVM may drop it at any time) its parameters are valid for
 * CPU 0's TSC only: a reader on another CPU must not take its time as
 * exact, and may at best guard it to be monotonic (libtscpage does), or
 * use clock_gettime() instead.
 */
#define TSCPAGE_INFO_TSC_STABLE		(1U << 0)
/* tscpage is the current clocksource. */
#define TSCPAGE_INFO_CURRENT		(1U << 1)
/*
 * While current, clock_gettime() reads this page in the vDSO. Set only by
 * the kvm provider, where kvm-clock was current at load; cleared for good
 * when tscpage stops trusting the vDSO with the page (it stepped back, or
 * the CPUs' own pages disagree: their TSCs out of step).
 */
#define TSCPAGE_INFO_VDSO		(1U << 2)

#define TSCPAGE_IOC_MAGIC	0xE1
#define TSCPAGE_IOC_INFO	_IOR(TSCPAGE_IOC_MAGIC, 0x01, struct tscpage_info)

/*
 * read(): migration events, oldest first, as whole struct tscpage_event
 * records (a buffer smaller than one is -EINVAL). Each open file has its
 * own cursor, starting at the events that come after open(). read()
 * blocks until there is one, unless O_NONBLOCK (-EAGAIN); poll() reports
 * EPOLLIN while there is one. tscpage keeps the last
 * TSCPAGE_EVENT_RING events: a reader that falls further behind finds a
 * gap in @seq and goes on from the oldest kept.
 */
#define TSCPAGE_EVENT_RING	256

/* How tscpage heard of it. */
enum tscpage_event_type {
	/* The provider's reenlightenment notification. */
	TSCPAGE_EVENT_NOTIFIED = 1,
	/*
	 * tscpage's own watch of the page (every 100 ms) found it changed
	 * with no notification: new rate, a step, or a pause (see
	 * TSCPAGE_EVENT_GUEST_STOPPED).
	 */
	TSCPAGE_EVENT_DETECTED = 2,
	/*
	 * The page stayed unusable (stuck mid-update, invalid, or absurd
	 * parameters) so long that tscpage unregistered its clocksource and
	 * the kernel switched to another one.
	 */
	TSCPAGE_EVENT_WITHDRAWN = 3,
};

/*
 * The page's parameters changed. @generation grows with every such event
 * and with every NOTIFIED one.
 */
#define TSCPAGE_EVENT_CHANGED		(1U << 0)
/*
 * The guest was paused: the pvclock page had GUEST_STOPPED newly set, or
 * (kvm) tscpage's clocksource read cleared it from CPU 0's page since the
 * page was last seen; or (hvref, which has no such flag) the page stepped
 * back by more than the watch's 100 ms period yet stayed at or ahead of
 * where it was when last seen: the partition's reference time did not
 * count while the guest was stopped. A step back with it is the pause
 * being hidden from the clock, not BACKWARD.
 */
#define TSCPAGE_EVENT_GUEST_STOPPED	(1U << 1)
/* tscpage acknowledged the notification to the provider. */
#define TSCPAGE_EVENT_ACKED		(1U << 2)
/*
 * The page stepped back: tscpage no longer trusts it to be monotonic and
 * guards every read from now on.
 */
#define TSCPAGE_EVENT_BACKWARD		(1U << 3)

/**
 * struct tscpage_event - one migration event, as read() returns it
 * @seq:         1 for the first event since tscpage was loaded, then one
 *               more for each
 * @type:        enum tscpage_event_type
 * @flags:       TSCPAGE_EVENT_* flags above
 * @cpu:         the CPU the notification arrived on (NOTIFIED), or that
 *               handled the event
 * @old_tsc_khz: TSC frequency the page's parameters implied before
 * @new_tsc_khz: and after
 * @step_ns:     new parameters minus old ones, evaluated at the same TSC
 *               value: the page clock's jump, 0 for a continuous change
 * @guest_ns:    CLOCK_MONOTONIC when tscpage handled the event
 * @generation:  struct tscpage_info.generation after the event
 * @reserved:    zero
 */
struct tscpage_event {
	__u64 seq;
	__u32 type;
	__u32 flags;
	__u32 cpu;
	__u32 old_tsc_khz;
	__u32 new_tsc_khz;
	__u32 reserved0;
	__s64 step_ns;
	__u64 guest_ns;
	__u64 generation;
	__u64 reserved[2];
};

#endif /* _UAPI_LINUX_TSCPAGE_H */
