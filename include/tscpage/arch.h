/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The few machine primitives the shared reader needs, spelled once for the
 * kernel and once for userspace, so that reader.h is the same code in both.
 *
 * Ordering model: the page is written by another agent (the hypervisor, or
 * tscpage_hvsim on another CPU) and read here. tp_rmb() orders this CPU's
 * loads of the page against each other; on x86 (TSO) loads are not
 * reordered with loads, so it only has to stop the compiler. In the kernel
 * it is virt_rmb(), the barrier meant for memory shared with a hypervisor.
 */
#ifndef _TSCPAGE_ARCH_H
#define _TSCPAGE_ARCH_H

#ifdef __KERNEL__

#include <linux/atomic.h>
#include <linux/compiler.h>
#include <linux/errno.h>
#include <linux/math64.h>
#include <linux/types.h>
#include <asm/barrier.h>
#include <asm/processor.h>
#include <asm/tsc.h>

struct tp_atomic64 {
	atomic64_t v;
};

#define tp_load(x)		READ_ONCE(x)
#define tp_store(x, v)		WRITE_ONCE(x, v)
/* Orders this CPU's accesses against its own interrupts: the compiler's. */
#define tp_barrier()		barrier()
/* Orders loads of the page; see the top of this file for what it pairs with. */
#define tp_rmb()		virt_rmb()
#define tp_cpu_relax()		cpu_relax()
#define tp_likely(x)		likely(x)
#define tp_unlikely(x)		unlikely(x)

/*
 * RDTSC that is not executed before the loads that precede it: the kernel
 * picks LFENCE;RDTSC, MFENCE;RDTSC or RDTSCP for this CPU.
 */
static __always_inline __u64 tp_rdtsc_ordered(void)
{
	return rdtsc_ordered();
}

static __always_inline __u64 tp_mul_u64_u32_shr32(__u64 a, __u32 mul)
{
	return mul_u64_u32_shr(a, mul, 32);
}

static __always_inline __u64 tp_mul_u64_u64_shr64(__u64 a, __u64 mul)
{
	return mul_u64_u64_shr(a, mul, 64);
}

/*
 * The guard's atomics run inside the clocksource read, in any context, NMI
 * included: uninstrumented (no KASAN or KCSAN call-outs), as pvclock.c's
 * guard is with raw_atomic64_*(). Those arrived in 6.5 and on x86-64 are
 * exactly the arch_atomic64_*() used here, which every kernel we build for
 * has.
 */
static __always_inline __u64 tp_atomic64_read(struct tp_atomic64 *a)
{
	return (__u64)arch_atomic64_read(&a->v);
}

static __always_inline bool tp_atomic64_try_cmpxchg(struct tp_atomic64 *a,
						    __u64 *old, __u64 new)
{
	return arch_atomic64_try_cmpxchg(&a->v, (s64 *)old, (s64)new);
}

#else /* userspace */

#include <errno.h>
#include <stdbool.h>
#include <linux/types.h>

struct tp_atomic64 {
	__u64 v;
};

/* One single-copy-atomic load that the compiler may not tear or repeat. */
#define tp_load(x)		__atomic_load_n(&(x), __ATOMIC_RELAXED)
#define tp_store(x, v)		__atomic_store_n(&(x), (v), __ATOMIC_RELAXED)
/* Orders this thread's accesses against its own signal handlers. */
#define tp_barrier()		__atomic_signal_fence(__ATOMIC_SEQ_CST)
/* Loads before it are ordered before loads after it. */
#define tp_rmb()		__atomic_thread_fence(__ATOMIC_ACQUIRE)
#define tp_cpu_relax()		__builtin_ia32_pause()
#define tp_likely(x)		__builtin_expect(!!(x), 1)
#define tp_unlikely(x)		__builtin_expect(!!(x), 0)

/*
 * LFENCE;RDTSC: LFENCE does not let RDTSC start before the loads ahead of
 * it have completed. That holds on Intel, and on AMD where the kernel has
 * made LFENCE dispatch-serializing (it does so on every CPU it boots).
 */
static inline __u64 tp_rdtsc_ordered(void)
{
	__u32 lo, hi;

	__asm__ __volatile__("lfence\n\trdtsc" : "=a"(lo), "=d"(hi) : : "memory");
	return ((__u64)hi << 32) | lo;
}

static inline __u64 tp_mul_u64_u32_shr32(__u64 a, __u32 mul)
{
	return (__u64)(((__uint128_t)a * mul) >> 32);
}

static inline __u64 tp_mul_u64_u64_shr64(__u64 a, __u64 mul)
{
	return (__u64)(((__uint128_t)a * mul) >> 64);
}

static inline __u64 tp_atomic64_read(struct tp_atomic64 *a)
{
	return __atomic_load_n(&a->v, __ATOMIC_RELAXED);
}

static inline bool tp_atomic64_try_cmpxchg(struct tp_atomic64 *a, __u64 *old,
					   __u64 new)
{
	return __atomic_compare_exchange_n(&a->v, old, new, false,
					   __ATOMIC_RELAXED, __ATOMIC_RELAXED);
}

#endif /* __KERNEL__ */

#endif /* _TSCPAGE_ARCH_H */
