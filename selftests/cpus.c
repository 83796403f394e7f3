// SPDX-License-Identifier: GPL-2.0
/*
 * The CPUs a test runs on: see cpus.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest.h"
#include "cpus.h"

int *cpus_allowed(unsigned int *n)
{
	cpu_set_t set;
	int *cpus, c;

	if (sched_getaffinity(0, sizeof(set), &set))
		ksft_exit_fail_msg("sched_getaffinity: %s\n", strerror(errno));
	cpus = calloc(CPU_COUNT(&set) ? CPU_COUNT(&set) : 1, sizeof(*cpus));
	if (!cpus)
		ksft_exit_fail_msg("calloc: %s\n", strerror(errno));
	*n = 0;
	for (c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &set))
			cpus[(*n)++] = c;
	return cpus;
}

int cpus_pin(const int *cpus, unsigned int n)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	while (n--)
		CPU_SET(cpus[n], &set);
	return pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

int cpu_pin(int cpu)
{
	return cpus_pin(&cpu, 1);
}
