/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The CPUs a test runs on. "Every CPU" is the process's affinity when it
 * asks (taskset narrows it), not the online mask: each per-CPU test reads
 * its list here, and pins its threads here.
 */
#ifndef _TSCPAGE_SELFTESTS_CPUS_H
#define _TSCPAGE_SELFTESTS_CPUS_H

/*
 * The CPUs the calling thread may run on, ascending, in a malloc()ed
 * array of *@n; the test exits failed (KTAP "Bail out!") if the kernel
 * cannot say or memory runs out.
 */
int *cpus_allowed(unsigned int *n);

/*
 * Pins the calling thread to @cpu, or to any of the @n CPUs of @cpus:
 * 0, or the errno (positive, as pthread_setaffinity_np() returns it).
 */
int cpu_pin(int cpu);
int cpus_pin(const int *cpus, unsigned int n);

#endif /* _TSCPAGE_SELFTESTS_CPUS_H */
