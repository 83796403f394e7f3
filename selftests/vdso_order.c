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
 * Two more results, about the vDSO itself:
 *
 * never faults: every vDSO read (the readers of each clock, and the
 * counting below) runs in a forked child; a child that dies of a signal
 * (a SIGBUS from a [vvar] page the kernel did not map, as when it never
 * maps the pvclock page for a clocksource that claims the vDSO) fails
 * this result, naming the signal, the clock, the fault address and which
 * page of [vvar] it is in; the clock's order result is then a SKIP.
 *
 * stays in userspace: in a child under a seccomp filter that makes
 * clock_gettime and gettimeofday trap (SECCOMP_RET_TRAP; the SIGSYS
 * handler counts each and then makes the call itself, past the filter),
 * each clock is read 1000 times through the vDSO, and gettimeofday too.
 * The COARSE clocks must never enter the kernel. The fine clocks and
 * gettimeofday must not either where the clocksource has a vDSO clock
 * mode: tscpage when TSCPAGE_IOC_INFO says TSCPAGE_INFO_VDSO, tsc,
 * kvm-clock and hyperv_clocksource_tsc_page; elsewhere how many went to
 * the kernel is a diagnostic (the claim and the behaviour side by side).
 *
 * --self-test fault|trap proves those two can fail: "fault" maps an
 * unbacked page over [vvar] in every child before it reads (the vDSO then
 * gets SIGBUS, as with the kernel defect), "trap" also demands of
 * CLOCK_PROCESS_CPUTIME_ID, which the vDSO always hands to the kernel,
 * that it stays in userspace. Either way the run must fail.
 *
 * --clocksource NAME makes NAME current first and hands the clock back
 * after; without it the current clocksource is used.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <stddef.h>
#include <sys/auxv.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <linux/tscpage.h>

#include "kselftest.h"
#include "args.h"
#include "clock_takeover.h"
#include "cpus.h"

#define CONTEXT 4	/* readings kept on each side of the worst step */

#define TRAP_CALLS 1000	/* vDSO calls per clock under the seccomp filter */

typedef int (*vdso_gettime_t)(clockid_t, struct timespec *);
typedef int (*vdso_gettimeofday_t)(struct timeval *, void *);

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
static vdso_gettimeofday_t vdso_gettimeofday;
static atomic_bool stop;
static pthread_barrier_t start;

/*
 * How a child that read the vDSO ended, in memory shared with the parent:
 * the first fault its handler saw, and where [vvar] was.
 */
struct child_fault {
	atomic_int sig;			/* 0: none */
	int code;
	uintptr_t addr;
	uintptr_t vvar_lo, vvar_hi;
};

/* Shared with the children (MAP_SHARED), set up in main(). */
static struct child_fault *fault;

enum self_test { SELF_TEST_NONE, SELF_TEST_FAULT, SELF_TEST_TRAP };
static enum self_test self_test;

/* A symbol of the vDSO, from its own dynamic symbol table. */
static void *vdso_lookup(const char *name)
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
			    !strcmp(str + sym[j].st_name, name))
				return (void *)(load + sym[j].st_value);
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
	bool vdso;

	r->err = cpu_pin(r->cpu);
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

/*
 * Which path the vDSO takes for the fine clocks, as far as we can tell:
 * true for user space. @claim: who says so, for the results.
 */
static bool say_vdso_path(const char *cs, char *claim, size_t size)
{
	static const char *const vdso_modes[] = {
		"tsc", "kvm-clock", "hyperv_clocksource_tsc_page",
	};
	struct tscpage_info info;
	unsigned int i;
	bool vdso;
	int fd;

	if (!strcmp(cs, "tscpage")) {
		fd = open("/dev/tscpage", O_RDONLY | O_CLOEXEC);
		if (fd >= 0 && !ioctl(fd, TSCPAGE_IOC_INFO, &info)) {
			vdso = (info.flags & TSCPAGE_INFO_VDSO) &&
			       (info.flags & TSCPAGE_INFO_CURRENT);
			ksft_print_msg("clocksource tscpage over provider %.*s (INFO flags 0x%x): %s\n",
				       (int)sizeof(info.provider), info.provider,
				       info.flags, vdso ?
				       "the vDSO reads the page itself" :
				       "no vDSO clock mode: the vDSO falls back to the system call, so for the fine clocks both sides are the kernel's read");
			snprintf(claim, size, "tscpage over %.*s: INFO %s",
				 (int)sizeof(info.provider), info.provider,
				 vdso ? "claims VDSO" : "claims no VDSO");
			close(fd);
			return vdso;
		}
		if (fd >= 0)
			close(fd);
	}
	for (i = 0; i < sizeof(vdso_modes) / sizeof(vdso_modes[0]); i++)
		if (!strcmp(cs, vdso_modes[i])) {
			ksft_print_msg("clocksource %s has a vDSO clock mode: the vDSO reads it in user space\n",
				       cs);
			snprintf(claim, size, "%s has a vDSO clock mode", cs);
			return true;
		}
	ksft_print_msg("clocksource %s has no vDSO clock mode on x86 (as far as this test knows): the vDSO falls back to the system call for the fine clocks\n",
		       cs);
	snprintf(claim, size, "%s: no vDSO clock mode known", cs);
	return false;
}

/* [vvar] (and 6.13's [vvar_vclock]) from /proc/self/maps; 0 if none. */
static int vvar_range(uintptr_t *lo, uintptr_t *hi)
{
	unsigned long a, b;
	char line[256];
	FILE *f = fopen("/proc/self/maps", "r");
	int n = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "[vvar") &&
		    sscanf(line, "%lx-%lx", &a, &b) == 2) {
			if (!n++ || a < *lo)
				*lo = a;
			if (n == 1 || b > *hi)
				*hi = b;
		}
	fclose(f);
	return n;
}

static void on_fault(int sig, siginfo_t *si, void *uc)
{
	int none = 0;

	(void)uc;
	if (atomic_compare_exchange_strong(&fault->sig, &none, sig)) {
		fault->code = si->si_code;
		fault->addr = (uintptr_t)si->si_addr;
	}
	/* SA_RESETHAND: the faulting read runs again and kills us. */
}

/*
 * In a child, before its first vDSO read: SIGBUS and SIGSEGV recorded for
 * the parent, then fatal as ever; with --self-test fault, [vvar] replaced
 * by a page past the end of an empty file, which SIGBUSes like a [vvar]
 * page the kernel refuses to map.
 */
static void child_prepare(void)
{
	struct sigaction sa = {
		.sa_sigaction = on_fault,
		.sa_flags = SA_SIGINFO | SA_RESETHAND,
	};
	int fd;

	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGSEGV, &sa, NULL);
	if (!vvar_range(&fault->vvar_lo, &fault->vvar_hi))
		return;
	if (self_test != SELF_TEST_FAULT)
		return;
	fd = memfd_create("no-vvar", MFD_CLOEXEC);
	if (fd < 0 || mmap((void *)fault->vvar_lo,
			   fault->vvar_hi - fault->vvar_lo, PROT_READ,
			   MAP_SHARED | MAP_FIXED, fd, 0) == MAP_FAILED)
		_exit(3);
	close(fd);
}

/*
 * Runs @fn in a child prepared by child_prepare(). Returns 0 when it
 * exited 0; otherwise describes how it ended in @why and returns the
 * signal that killed it, or -1 for any other end.
 */
static int in_child(void (*fn)(void *), void *arg, char *why, size_t size)
{
	int status;
	pid_t pid;

	memset(fault, 0, sizeof(*fault));
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		ksft_exit_fail_perror("fork");
	if (!pid) {
		child_prepare();
		fn(arg);
		_exit(0);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			ksft_exit_fail_perror("waitpid");
	if (WIFEXITED(status) && !WEXITSTATUS(status))
		return 0;
	if (WIFEXITED(status)) {
		snprintf(why, size, "its child exited %d", WEXITSTATUS(status));
		return -1;
	}
	if (atomic_load(&fault->sig) == WTERMSIG(status) && fault->vvar_hi &&
	    fault->addr >= fault->vvar_lo && fault->addr < fault->vvar_hi)
		snprintf(why, size, "its reader died of SIG%s (si_code %d) at %#lx, page %lu of [vvar] %#lx-%#lx (6.12: 0 vvar, 1 pvclock, 2 hvclock, 3 timens)",
			 sigabbrev_np(WTERMSIG(status)) ? : "?", fault->code,
			 (unsigned long)fault->addr,
			 (unsigned long)((fault->addr - fault->vvar_lo) / 4096),
			 (unsigned long)fault->vvar_lo,
			 (unsigned long)fault->vvar_hi);
	else if (atomic_load(&fault->sig) == WTERMSIG(status))
		snprintf(why, size, "its reader died of SIG%s (si_code %d) at %#lx, outside [vvar] %#lx-%#lx",
			 sigabbrev_np(WTERMSIG(status)) ? : "?", fault->code,
			 (unsigned long)fault->addr,
			 (unsigned long)fault->vvar_lo,
			 (unsigned long)fault->vvar_hi);
	else
		snprintf(why, size, "its reader was killed by SIG%s",
			 sigabbrev_np(WTERMSIG(status)) ? : "?");
	return WTERMSIG(status);
}

struct clock_run {
	struct reader *rd;
	unsigned int n;
	uint64_t duration;
};

/* The readers of one clock, in the child; @rd is shared memory. */
static void read_clock(void *arg)
{
	struct clock_run *cr = arg;
	unsigned int i;
	int err;

	atomic_store(&stop, false);
	if (pthread_barrier_init(&start, NULL, cr->n + 1))
		_exit(2);
	for (i = 0; i < cr->n; i++) {
		err = pthread_create(&cr->rd[i].thread, NULL, reader_fn,
				     &cr->rd[i]);
		if (err)
			_exit(2);
	}
	pthread_barrier_wait(&start);
	nanosleep(&(struct timespec){ .tv_sec = (time_t)cr->duration }, NULL);
	atomic_store(&stop, true);
	for (i = 0; i < cr->n; i++)
		pthread_join(cr->rd[i].thread, NULL);
	pthread_barrier_destroy(&start);
}

/* The never-faults result's evidence: every child that died. */
static unsigned int n_faults;
static char fault_log[N_CLOCKS + 2][320];

static void note_fault(const char *what, const char *why)
{
	if (n_faults < sizeof(fault_log) / sizeof(fault_log[0]))
		snprintf(fault_log[n_faults++], sizeof(fault_log[0]), "%s: %s",
			 what, why);
}

static void run_clock(unsigned int c, struct reader *rd, unsigned int n,
		      uint64_t duration)
{
	struct clock_run cr = { .rd = rd, .n = n, .duration = duration };
	char why[256];
	uint64_t reads = 0, back = 0, fail = 0, vns = 0, sns = 0;
	struct reader *worst = NULL;
	int64_t tolerance = 0;
	struct timespec res;
	unsigned int i;
	int err;

	if (clocks[c].coarse && !clock_getres(clocks[c].id, &res))
		tolerance = (int64_t)ts_ns(&res);
	for (i = 0; i < n; i++) {
		int cpu = rd[i].cpu;

		memset(&rd[i], 0, sizeof(rd[i]));
		rd[i].cpu = cpu;
		rd[i].clock = clocks[c].id;
		rd[i].tolerance = tolerance;
	}
	err = in_child(read_clock, &cr, why, sizeof(why));
	if (err) {
		note_fault(clocks[c].name, why);
		ksft_test_result_skip("%s: order not judged: %s (see the never-faults result)\n",
				      clocks[c].name, why);
		return;
	}

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


/*
 * stays in userspace: the system calls the vDSO makes, counted. The
 * filter traps clock_gettime and gettimeofday unless their third argument
 * (unused by both) is TRAP_PASS: the handler's own call, which answers
 * the trapped one.
 */
#define TRAP_PASS 0x7473637061676521ULL	/* "tscpage!" */

struct trap_counts {
	uint64_t calls[N_CLOCKS + 2];	/* the clocks, gettimeofday, CPUTIME */
	int err[N_CLOCKS + 2];		/* errno of a vDSO call that failed */
};

#define TRAP_GTOD	N_CLOCKS
#define TRAP_CPUTIME	(N_CLOCKS + 1)

static struct trap_counts *traps;
static volatile unsigned int trap_slot;

static void on_sigsys(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	greg_t *r = uc->uc_mcontext.gregs;
	int saved = errno;
	long ret;

	(void)sig;
	traps->calls[trap_slot]++;
	ret = syscall(si->si_syscall, r[REG_RDI], r[REG_RSI], TRAP_PASS);
	r[REG_RAX] = ret == -1 ? -errno : ret;
	errno = saved;
}

static void count_traps(void *arg)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clock_gettime, 2, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_gettimeofday, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		/* args[2], little-endian: low word, then high word. */
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, args[2])),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)TRAP_PASS, 0, 2),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, args[2]) + 4),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
			 (uint32_t)(TRAP_PASS >> 32), 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {
		.len = sizeof(f) / sizeof(f[0]), .filter = f,
	};
	struct sigaction sa = {
		.sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO,
	};
	struct timespec ts;
	struct timeval tv;
	unsigned int c, k;

	(void)arg;
	if (sigaction(SIGSYS, &sa, NULL) ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog))
		_exit(2);
	for (c = 0; c < N_CLOCKS + 2; c++) {
		trap_slot = c;
		for (k = 0; k < TRAP_CALLS; k++) {
			int ret = c < N_CLOCKS ? vdso_gettime(clocks[c].id, &ts) :
				  c == TRAP_GTOD ? vdso_gettimeofday(&tv, NULL) :
				  vdso_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);

			if (ret && !traps->err[c])
				traps->err[c] = errno ? errno : EINVAL;
		}
	}
}

static const char *trap_name(unsigned int c)
{
	return c < N_CLOCKS ? clocks[c].name : c == TRAP_GTOD ?
	       "gettimeofday" : "CLOCK_PROCESS_CPUTIME_ID";
}

/*
 * @userspace: the clocksource has a vDSO clock mode, so the fine clocks
 * must stay in userspace too; @claim says who says so.
 */
static void check_userspace(bool userspace, const char *claim)
{
	unsigned int c, n = N_CLOCKS + 1 + (self_test == SELF_TEST_TRAP);
	char why[256], bad[512] = "", diag[512] = "";
	size_t lb = 0, ld = 0;
	uint64_t fine = 0;
	bool must;
	int err;

	memset(traps, 0, sizeof(*traps));
	err = in_child(count_traps, NULL, why, sizeof(why));
	if (err) {
		note_fault("stays in userspace", why);
		ksft_test_result_fail("stays in userspace: not counted: %s\n",
				      why);
		return;
	}
	for (c = 0; c < n; c++) {
		must = c == TRAP_CPUTIME || userspace ||
		       (c < N_CLOCKS && clocks[c].coarse);
		if (c <= TRAP_GTOD && !(c < N_CLOCKS && clocks[c].coarse))
			fine += traps->calls[c];
		ksft_print_msg("%s: %llu of %u vDSO calls entered the kernel%s%s\n",
			       trap_name(c), (unsigned long long)traps->calls[c],
			       TRAP_CALLS, must ? " (0 required)" : "",
			       traps->err[c] ? ", and a call failed" : "");
		if (traps->err[c] && lb < sizeof(bad))
			lb += snprintf(bad + lb, sizeof(bad) - lb, " %s failed (%s);",
				       trap_name(c), strerror(traps->err[c]));
		if (must && traps->calls[c] && lb < sizeof(bad))
			lb += snprintf(bad + lb, sizeof(bad) - lb, " %s %llu/%u;",
				       trap_name(c),
				       (unsigned long long)traps->calls[c],
				       TRAP_CALLS);
		else if (!must && ld < sizeof(diag))
			ld += snprintf(diag + ld, sizeof(diag) - ld, " %s %llu,",
				       trap_name(c),
				       (unsigned long long)traps->calls[c]);
	}
	if (lb)
		ksft_test_result_fail("stays in userspace (%s): entered the kernel:%s\n",
				      claim, bad);
	else if (userspace)
		ksft_test_result_pass("stays in userspace (%s): %u calls of each of %u clocks and gettimeofday, none entered the kernel\n",
				      claim, TRAP_CALLS, (unsigned int)N_CLOCKS);
	else
		ksft_test_result_pass("stays in userspace (%s): the COARSE clocks did; to the kernel of %u each:%s%s\n",
				      claim, TRAP_CALLS, diag, fine ? "" :
				      " -- none: the claim says the kernel, the behaviour says user space");
}

/* Zeroed memory the children write and the parent reads. */
static void *shared_alloc(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		ksft_exit_fail_perror("mmap");
	return p;
}

static void usage(FILE *f, const char *prog)
{
	fprintf(f,
		"usage: %s [--clocksource NAME] [--duration SECONDS] [--self-test fault|trap]\n"
		"  --clocksource NAME  make NAME current first, hand the clock back after\n"
		"                      (default: the current clocksource)\n"
		"  --duration SECONDS  per clock, 1..3600 (default 1)\n"
		"  --self-test fault   map an unbacked page over [vvar] in the readers:\n"
		"                      the never-faults result must fail (SIGBUS)\n"
		"  --self-test trap    also require CLOCK_PROCESS_CPUTIME_ID (always a\n"
		"                      system call) to stay in userspace: must fail\n",
		prog);
}

/* --self-test: "fault" or "trap". */
static bool parse_self_test(const char *prog, const char *name,
			    const char *value, void *out)
{
	enum self_test *t = out;

	if (!strcmp(value, "fault"))
		*t = SELF_TEST_FAULT;
	else if (!strcmp(value, "trap"))
		*t = SELF_TEST_TRAP;
	else {
		fprintf(stderr, "%s: --%s: '%s' is neither fault nor trap\n",
			prog, name, value);
		return false;
	}
	return true;
}

int main(int argc, char **argv)
{
	char now[CLOCKSOURCE_NAME_MAX], claim[128], msg[CLOCK_TAKEOVER_MSG];
	struct clock_takeover clock;
	const char *prev;
	const char *name = NULL;
	struct reader *rd;
	bool userspace;
	uint64_t duration = 1;
	unsigned int n, i;
	int opt, err, *cpus;
	const struct arg_spec specs[] = {
		ARG_STR("clocksource", 'c', &name),
		ARG_U64("duration", 'd', &duration, 1, 3600),
		ARG_FN("self-test", 0, parse_self_test, &self_test),
		ARG_END,
	};

	opt = args_parse(argc, argv, specs, usage);
	if (opt >= 0)
		return opt;

	ksft_print_header();
	vdso_gettime = vdso_lookup("__vdso_clock_gettime");
	vdso_gettimeofday = vdso_lookup("__vdso_gettimeofday");
	if (!vdso_gettime || !vdso_gettimeofday)
		ksft_exit_skip("no vDSO, or no __vdso_clock_gettime or __vdso_gettimeofday in it\n");
	if (name && geteuid())
		ksft_exit_skip("switching clocksources needs root\n");
	if (name && !clocksource_available(name))
		ksft_exit_skip("clocksource %s is not registered\n", name);
	cpus = cpus_allowed(&n);
	/* The readers run in children: what they find is shared. */
	rd = shared_alloc(n * sizeof(*rd));
	fault = shared_alloc(sizeof(*fault));
	traps = shared_alloc(sizeof(*traps));
	for (i = 0; i < n; i++)
		rd[i].cpu = cpus[i];
	free(cpus);

	/* Each clock's order, never faults, stays in userspace; the takeover. */
	ksft_set_plan(N_CLOCKS + 2 + (name ? CLOCK_TAKEOVER_RESULTS : 0));
	err = name ? clock_take(&clock, name, msg, sizeof(msg)) :
		     clocksource_current(clock.prev, sizeof(clock.prev));
	if (!name && err)
		ksft_exit_fail_msg("cannot read current_clocksource: %s\n",
				   strerror(-err));
	prev = clock.prev;
	if (name) {
		ksft_test_result(!err, "%s\n", msg);
		if (err) {
			for (i = 0; i < N_CLOCKS; i++)
				ksft_test_result_skip("%s: %s is not current\n",
						      clocks[i].name, name);
			ksft_test_result_skip("never faults: %s is not current\n",
					      name);
			ksft_test_result_skip("stays in userspace: %s is not current\n",
					      name);
			goto restore;
		}
	}
	userspace = say_vdso_path(name ? name : prev, claim, sizeof(claim));
	if (self_test)
		ksft_print_msg("--self-test %s: the %s result must fail\n",
			       self_test == SELF_TEST_FAULT ? "fault" : "trap",
			       self_test == SELF_TEST_FAULT ? "never-faults" :
			       "stays-in-userspace");

	for (i = 0; i < N_CLOCKS; i++)
		run_clock(i, rd, n, duration);
	check_userspace(userspace, claim);
	for (i = 0; i < n_faults; i++)
		ksft_print_msg("fault: %s\n", fault_log[i]);
	ksft_test_result(!n_faults, "never faults: %s\n", n_faults ?
			 fault_log[0] :
			 "every vDSO read of every clock returned (no SIGBUS, no SIGSEGV)");

	err = clocksource_current(now, sizeof(now));
	if (!err && strcmp(now, name ? name : prev))
		ksft_print_msg("the clocksource changed during the run: %s is current now\n",
			       now);
restore:
	if (name)
		ksft_test_result(clock_give(&clock, msg, sizeof(msg)), "%s\n",
				 msg);
	ksft_finished();
}
