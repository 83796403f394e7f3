/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libtscpage: time from a hypervisor TSC page, without a syscall.
 *
 * Sources, in the order tscpage_clock_open() tries them:
 *   TSCPAGE_CLOCK_DEVICE   the page tscpage.ko shares at /dev/tscpage
 *                          (pvclock or Hyper-V format, any provider);
 *   TSCPAGE_CLOCK_VVAR     the kernel's own kvmclock or Hyper-V page, which
 *                          it maps into every process for the vDSO, when
 *                          tscpage.ko is absent (used only while the page
 *                          promises a stable TSC, as the vDSO does);
 *   TSCPAGE_CLOCK_SYSCALL  clock_gettime(CLOCK_MONOTONIC_RAW), when there
 *                          is no usable page.
 *
 * Time scale: nanoseconds of the page (a pvclock page's system_time; the
 * Hyper-V page's 100 ns count times 100). The syscall source, and any read
 * that finds the page unusable (invalid, stuck mid-update), returns
 * CLOCK_MONOTONIC_RAW plus the offset between the two measured at open,
 * so the time stays on one scale whatever a read had to use.
 *
 * Thread safety: a handle may be used by any number of threads at once;
 * only open and close must not race with its other calls.
 */
#ifndef _LIBTSCPAGE_H
#define _LIBTSCPAGE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum tscpage_clock_source {
	TSCPAGE_CLOCK_DEVICE = 1,
	TSCPAGE_CLOCK_VVAR = 2,
	TSCPAGE_CLOCK_SYSCALL = 3,
};

/* tscpage_clock_open() flags: sources not to try. */
#define TSCPAGE_CLOCK_NO_DEVICE	(1U << 0)
#define TSCPAGE_CLOCK_NO_VVAR	(1U << 1)

struct tscpage_clock;

/*
 * Opens a clock on the best source the flags allow. A missing or unusable
 * page is not an error: the clock then uses the syscall. Returns NULL with
 * errno set only when memory runs out or @flags has unknown bits (EINVAL).
 */
struct tscpage_clock *tscpage_clock_open(unsigned int flags);

/* Releases the clock and its mapping. NULL is allowed. */
void tscpage_clock_close(struct tscpage_clock *c);

/* The time, in nanoseconds on the clock's scale; never less than any
 * value this clock returned before, in any thread. */
uint64_t tscpage_clock_ns(struct tscpage_clock *c);

/* Which source the clock opened on. */
enum tscpage_clock_source tscpage_clock_source(const struct tscpage_clock *c);

/* "device", "vvar" or "syscall". */
const char *tscpage_clock_source_name(enum tscpage_clock_source s);

/*
 * A number that changes when the TSC frequency behind the page changes
 * (a migration to another host): a program that calibrated the raw TSC
 * itself must recalibrate when it does. DEVICE: tscpage's own generation
 * (one ioctl, so call it now and then, not per read). VVAR: counted here,
 * from changes of the page's scaling seen by tscpage_clock_ns(). SYSCALL:
 * always 0.
 */
uint64_t tscpage_clock_generation(struct tscpage_clock *c);

/* Reads that could not use the page and fell back to the syscall. */
uint64_t tscpage_clock_fallbacks(const struct tscpage_clock *c);

#ifdef __cplusplus
}
#endif

#endif /* _LIBTSCPAGE_H */
