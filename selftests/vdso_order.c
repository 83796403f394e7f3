// SPDX-License-Identifier: GPL-2.0
/*
 * vdso_order - the vDSO's clock_gettime() and the system call agree on
 * order, for every clock the vDSO serves, on every CPU.
 *
 * For each clock (REALTIME, MONOTONIC, MONOTONIC_RAW, BOOTTIME, TAI,
 * REALTIME_COARSE, MONOTONIC_COARSE) one thread pinned to each CPU reads
 * the clock alternately through the vDSO's __vdso_clock_gettime (looked
 * up in the vDSO image itself, not through libc) and through
 * syscall(SYS_clock_gettime), for --duration seconds. A reading taken
 * after another is never smaller: a syscall reading after a vDSO reading,
 * and a vDSO reading after a syscall reading. The tolerance is 0 ns for
 * every clock: both paths read the same timekeeper snapshot, the COARSE
 * ones included (the vDSO's copy is written inside the timekeeper's own
 * write section); steps back within one tick of a COARSE clock
 * (clock_getres()) are still counted and printed, beyond it they fail in
 * any case. A failure prints the CPU and the readings around the worst
 * step, each marked vdso or sys.
 *
 * When the current clocksource has no vDSO clock mode (tscpage over
 * tscpage_hvsim, hpet), the vDSO itself makes the system call for the
 * fine clocks: both sides are then the same kernel read, and the test
 * says so. The COARSE clocks never need the clocksource.
 *
 * --clocksource NAME makes NAME current first and hands the clock back
 * after; without it the current clocksource is used.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <linux/tscpage.h>

#include "kselftest.h"
#include "args.h"
#include "clocksource_sysfs.h"

#define CONTEXT 4	/* readings kept on each side of the worst step */

typedef int (*vdso_gettime_t)(clockid_t, struct timespec *);

static const struct {
	clockid_t id;
	const char *name;
	bool coarse;
} clocks[] = {
	{ CLOCK_REALTIME, "CLOCK_REALTIME", false },
	{ CLOCK_MONOTONIC, "CLOCK_MONOTONIC", false },
	{ CLOCK_MONOTONIC_RAW, "CLOCK_MONOTONIC_RAW", false },
	{ CLOCK_BOOTTIME, "CLOCK_BOOTTIME", false },
	{ CLOCK_TAI, "CLOCK_TAI", false },
	{ CLOCK_REALTIME_COARSE, "CLOCK_REALTIME_COARSE", true },
	{ CLOCK_MONOTONIC_COARSE, "CLOCK_MONOTONIC_COARSE", true },
};
#define N_CLOCKS (sizeof(clocks) / sizeof(clocks[0]))

struct reader {
	pthread_t thread;
	int cpu;
	clockid_t clock;
	int64_t tolerance;
	int err;
	uint64_t reads;
	uint64_t back;			/* steps back, any size */
	uint64_t fail;			/* steps back beyond the tolerance */
	int64_t worst;			/* most negative step, 0 if none */
	uint64_t worst_at;
	uint64_t around[2 * CONTEXT];
	unsigned int around_n;
	bool worst_from_vdso;		/* the reading before the worst step */
	uint64_t vdso_ns, sys_ns;	/* time spent in each, for ns/call */
};

static vdso_gettime_t vdso_gettime;
static atomic_bool stop;
static pthread_barrier_t start;

/* __vdso_clock_gettime from the vDSO's own dynamic symbol table. */
static vdso_gettime_t vdso_lookup(void)
{
	uintptr_t base = getauxval(AT_SYSINFO_EHDR), load = 0;
	const Elf64_Ehdr *eh = (const void *)base;
	const Elf64_Shdr *sh;
	const Elf64_Phdr *ph;
	unsigned int i, j;

	if (!base || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64)
		return NULL;
	ph = (const void *)(base + eh->e_phoff);
	for (i = 0; i < eh->e_phnum; i++)
		if (ph[i].p_type == PT_LOAD) {
			load = base + ph[i].p_offset - ph[i].p_vaddr;
			break;
		}
	sh = (const void *)(base + eh->e_shoff);
	for (i = 0; i < eh->e_shnum; i++) {
		const Elf64_Sym *sym;
		const char *str;

		if (sh[i].sh_type != SHT_DYNSYM || sh[i].sh_link >= eh->e_shnum)
			continue;
		sym = (const void *)(base + sh[i].sh_offset);
		str = (const char *)(base + sh[sh[i].sh_link].sh_offset);
		for (j = 0; j < sh[i].sh_size / sizeof(*sym); j++)
			if (ELF64_ST_TYPE(sym[j].st_info) == STT_FUNC &&
			    sym[j].st_shndx != SHN_UNDEF &&
			    !strcmp(str + sym[j].st_name, "__vdso_clock_gettime"))
				return (vdso_gettime_t)(load + sym[j].st_value);
	}
	return NULL;
}

static inline uint64_t ts_ns(const struct timespec *ts)
{
	return (uint64_t)ts->tv_sec * 1000000000u + (uint64_t)ts->tv_nsec;
}

static inline uint64_t raw_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
	return ts_ns(&ts);
}

static void *reader_fn(void *arg)
{
	struct reader *r = arg;
	uint64_t ring[CONTEXT] = { 0 };
	unsigned int capture = 0;
	uint64_t prev = 0, t, t0;
	struct timespec ts;
	cpu_set_t set;
	bool vdso;

	CPU_ZERO(&set);
	CPU_SET(r->cpu, &set);
	r->err = pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	pthread_barrier_wait(&start);
	if (r->err)
		return NULL;

	t0 = raw_ns();
	/* Batches of 1024 reads per side, timed, for the ns/call figures. */
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		for (unsigned int k = 0; k < 2048; k++) {
			vdso = !(k & 1);
			if (vdso) {
				if (vdso_gettime(r->clock, &ts)) {
					r->err = errno ? errno : EINVAL;
					return NULL;
				}
			} else if (syscall(SYS_clock_gettime, r->clock, &ts)) {
				r->err = errno;
				return NULL;
			}
			t = ts_ns(&ts);
			if (r->reads && t < prev) {
				int64_t step = (int64_t)(t - prev);

				r->back++;
				if (-step > r->tolerance)
					r->fail++;
				if (step < r->worst) {
					unsigned int i;

					r->worst = step;
					r->worst_at = r->reads;
					r->worst_from_vdso = !vdso;
					for (i = 0; i < CONTEXT; i++)
						r->around[i] = ring[(r->reads + i) % CONTEXT];
					r->around_n = CONTEXT;
					capture = CONTEXT;
				}
			}
			if (capture) {
				r->around[r->around_n++] = t;
				capture--;
			}
			ring[r->reads % CONTEXT] = t;
			r->reads++;
			prev = t;
		}
	}
	/* A separate timing pass: the loop above interleaves both. */
	t = raw_ns();
	for (unsigned int k = 0; k < 4096; k++)
		vdso_gettime(r->clock, &ts);
	t0 = raw_ns();
	r->vdso_ns = t0 - t;
	for (unsigned int k = 0; k < 4096; k++)
		syscall(SYS_clock_gettime, r->clock, &ts);
	r->sys_ns = raw_ns() - t0;
	return NULL;
}

/* Which path the vDSO takes for the fine clocks, as far as we can tell. */
static void say_vdso_path(const char *cs)
{
	static const char *const vdso_modes[] = {
		"tsc", "kvm-clock", "hyperv_clocksource_tsc_page",
	};
	struct tscpage_info info;
	unsigned int i;
	int fd;

	if (!strcmp(cs, "tscpage")) {
		fd = open("/dev/tscpage", O_RDONLY | O_CLOEXEC);
		if (fd >= 0 && !ioctl(fd, TSCPAGE_IOC_INFO, &info)) {
			ksft_print_msg("clocksource tscpage over provider %.*s: %s\n",
				       (int)sizeof(info.provider), info.provider,
				       info.flags & TSCPAGE_INFO_VDSO ?
				       "the vDSO reads the page itself" :
				       "no vDSO clock mode: the vDSO falls back to the system call, so for the fine clocks both sides are the kernel's read");
			close(fd);
			return;
		}
		if (fd >= 0)
			close(fd);
	}
	for (i = 0; i < sizeof(vdso_modes) / sizeof(vdso_modes[0]); i++)
		if (!strcmp(cs, vdso_modes[i])) {
			ksft_print_msg("clocksource %s has a vDSO clock mode: the vDSO reads it in user space\n",
				       cs);
			return;
		}
	ksft_print_msg("clocksource %s has no vDSO clock mode on x86 (as far as this test knows): the vDSO falls back to the system call for the fine clocks\n",
		       cs);
}

static void run_clock(unsigned int c, struct reader *rd, unsigned int n,
		      uint64_t duration)
{
	uint64_t reads = 0, back = 0, fail = 0, vns = 0, sns = 0;
	struct reader *worst = NULL;
	int64_t tolerance = 0;
	struct timespec res;
	unsigned int i;
	int err;

	if (clocks[c].coarse && !clock_getres(clocks[c].id, &res))
		tolerance = (int64_t)ts_ns(&res);
	atomic_store(&stop, false);
	if (pthread_barrier_init(&start, NULL, n + 1))
		ksft_exit_fail_perror("pthread_barrier_init");
	for (i = 0; i < n; i++) {
		int cpu = rd[i].cpu;

		memset(&rd[i], 0, sizeof(rd[i]));
		rd[i].cpu = cpu;
		rd[i].clock = clocks[c].id;
		rd[i].tolerance = tolerance;
		err = pthread_create(&rd[i].thread, NULL, reader_fn, &rd[i]);
		if (err)
			ksft_exit_fail_msg("pthread_create: %s\n", strerror(err));
	}
	pthread_barrier_wait(&start);
	nanosleep(&(struct timespec){ .tv_sec = (time_t)duration }, NULL);
	atomic_store(&stop, true);
	for (i = 0; i < n; i++)
		pthread_join(rd[i].thread, NULL);
	pthread_barrier_destroy(&start);

	for (i = 0; i < n; i++) {
		if (rd[i].err) {
			ksft_test_result_fail("%s: cpu%d: %s\n", clocks[c].name,
					      rd[i].cpu, strerror(rd[i].err));
			return;
		}
		reads += rd[i].reads;
		back += rd[i].back;
		fail += rd[i].fail;
		vns += rd[i].vdso_ns;
		sns += rd[i].sys_ns;
		if (rd[i].back && (!worst || rd[i].worst < worst->worst))
			worst = &rd[i];
	}
	if (worst) {
		ksft_print_msg("%s: cpu%d: readings around the worst step (read %" PRIu64 "), ns:\n",
			       clocks[c].name, worst->cpu, worst->worst_at);
		for (i = 0; i < worst->around_n; i++) {
			/* Reads alternate vdso, sys from read 0. */
			uint64_t idx = worst->worst_at - CONTEXT + i;

			ksft_print_msg("  %" PRIu64 " %s%s\n", worst->around[i],
				       idx % 2 ? "sys " : "vdso",
				       i == CONTEXT ? "   <- went back" : "");
		}
	}
	ksft_print_msg("%s: vDSO %.0f ns/call, syscall %.0f ns/call (mean over CPUs)\n",
		       clocks[c].name, vns / (4096.0 * n), sns / (4096.0 * n));
	if (fail)
		ksft_test_result_fail("%s: %" PRIu64 " of %" PRIu64 " alternating reads went back, beyond %" PRId64 " ns; worst %" PRId64 " ns, %s after %s\n",
				      clocks[c].name, fail, reads, tolerance,
				      worst->worst,
				      worst->worst_from_vdso ? "sys" : "vdso",
				      worst->worst_from_vdso ? "vdso" : "sys");
	else if (back)
		ksft_test_result_pass("%s: %" PRIu64 " alternating reads on %u CPUs; %" PRIu64 " steps back within the granularity of %" PRId64 " ns, worst %" PRId64 " ns\n",
				      clocks[c].name, reads, n, back, tolerance,
				      worst->worst);
	else
		ksft_test_result_pass("%s: %" PRIu64 " alternating vDSO/syscall reads on %u CPUs, never back\n",
				      clocks[c].name, reads, n);
}

static void usage(FILE *f, const char *prog)
{
	fprintf(f,
		"usage: %s [--clocksource NAME] [--duration SECONDS]\n"
		"  --clocksource NAME  make NAME current first, hand the clock back after\n"
		"                      (default: the current clocksource)\n"
		"  --duration SECONDS  per clock, 1..3600 (default 1)\n",
		prog);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "clocksource", required_argument, NULL, 'c' },
		{ "duration", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char prev[CLOCKSOURCE_NAME_MAX], now[CLOCKSOURCE_NAME_MAX];
	const char *name = NULL;
	struct reader *rd;
	uint64_t duration = 1;
	unsigned int n = 0, i;
	bool refused;
	cpu_set_t set;
	int opt, err;

	while ((opt = getopt_long(argc, argv, "c:d:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			name = optarg;
			break;
		case 'd':
			if (!arg_u64(argv[0], "duration", optarg, 1, 3600,
				     &duration))
				return KSFT_FAIL;
			break;
		case 'h':
			usage(stdout, argv[0]);
			return KSFT_PASS;
		default:
			usage(stderr, argv[0]);
			return KSFT_FAIL;
		}
	}
	if (optind != argc) {
		usage(stderr, argv[0]);
		return KSFT_FAIL;
	}

	ksft_print_header();
	vdso_gettime = vdso_lookup();
	if (!vdso_gettime)
		ksft_exit_skip("no vDSO, or no __vdso_clock_gettime in it\n");
	if (name && geteuid())
		ksft_exit_skip("switching clocksources needs root\n");
	if (name && !clocksource_available(name))
		ksft_exit_skip("clocksource %s is not registered\n", name);
	if (sched_getaffinity(0, sizeof(set), &set))
		ksft_exit_fail_perror("sched_getaffinity");
	rd = calloc(CPU_COUNT(&set), sizeof(*rd));
	if (!rd)
		ksft_exit_fail_perror("calloc");
	for (i = 0; i < CPU_SETSIZE; i++)
		if (CPU_ISSET(i, &set))
			rd[n++].cpu = i;

	ksft_set_plan(N_CLOCKS + (name ? 2 : 0));
	err = clocksource_current(prev, sizeof(prev));
	if (err)
		ksft_exit_fail_msg("cannot read current_clocksource: %s\n",
				   strerror(-err));
	if (name) {
		err = clocksource_select(name);
		if (err) {
			ksft_test_result_fail("%s made current (was %s): %s\n",
					      name, prev, strerror(-err));
			for (i = 0; i < N_CLOCKS; i++)
				ksft_test_result_skip("%s: %s is not current\n",
						      clocks[i].name, name);
			goto restore;
		}
		ksft_test_result_pass("%s made current (was %s)\n", name, prev);
	}
	say_vdso_path(name ? name : prev);

	for (i = 0; i < N_CLOCKS; i++)
		run_clock(i, rd, n, duration);

	err = clocksource_current(now, sizeof(now));
	if (!err && strcmp(now, name ? name : prev))
		ksft_print_msg("the clocksource changed during the run: %s is current now\n",
			       now);
restore:
	if (name) {
		err = clocksource_restore(prev, now, sizeof(now), &refused);
		if (err)
			ksft_test_result_fail("previous clocksource %s restored: %s\n",
					      prev, strerror(-err));
		else
			ksft_test_result(strcmp(now, name) || !strcmp(prev, name),
					 "clocksource handed back from %s to %s%s\n",
					 name, now, refused ?
					 " (previous one refused by the kernel: its watchdog marked it unstable)" : "");
	}
	free(rd);
	ksft_finished();
}
