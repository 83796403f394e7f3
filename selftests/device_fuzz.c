// SPDX-License-Identifier: GPL-2.0
/*
 * device_fuzz - random, structure-aware calls on /dev/tscpage and
 * /dev/tscpage_hvsim from several threads at once, for a debug kernel
 * (KASAN, lockdep, kmemleak): what counts most is that the kernel says
 * nothing, which the harness checks; the program checks the drivers'
 * promises it can see from userspace (the KTAP results below).
 *
 *   device_fuzz [--seed N] [--calls N] [--threads N] [--reload]
 *               [--module-dir DIR]
 *
 * Each thread has its own generator, seeded from --seed and its index, and
 * its own table of open files and mappings; the threads share the call
 * budget, and a pool of files any of them may use or close while another
 * is inside a call on it. The calls: open() and close() with any flags;
 * every ioctl of both UAPI headers with valid, invalid and bad-pointer
 * arguments, and unknown ones; mmap() with every protection, type, length
 * and offset, then reads of what was accepted, mprotect(), mremap(),
 * madvise(), munmap(); read(), pread(), readv(), write(); poll(), ppoll(),
 * epoll; lseek(); fcntl() and dup(); now and then fork() with a mapping.
 * With --reload another thread unloads and loads the modules meanwhile.
 *
 * The run is reproducible per thread, not across them (the interleaving is
 * the kernel's): "# seed N" comes first, then the command line that
 * replays it.
 *
 * Never blocks for long: one call in WAIT_ONE_IN may wait, a read() under
 * a 1-4 ms per-thread timer whose signal interrupts it, a poll 0-2 ms (the
 * others ask for less than an event, or poll without a timeout); and the
 * simulator is only asked for short faults and blackouts, spaced so that
 * tscpage never sees its page unusable long enough to withdraw its
 * clocksource. A call that does not return within STALL_S is reported,
 * and the program bails out.
 * At the end it ends any fault, puts back the simulator's update rate and
 * (--reload) leaves both modules loaded as they were at the start.
 *
 * Results: one per promise in check_names[] (skipped if never exercised),
 * judged only on the thread's own files, whose device is known. A broken
 * promise prints its first SHOW_MAX cases. Then per device and call, the
 * count of each outcome (errno). Expected in the kernel log meanwhile:
 * tscpage_hvsim's "fault ... for N ms" and "fault ... ended", and from
 * tscpage once "the ... page stepped back ...: no longer trusted" (the
 * backward and stuck_back faults; sticky until tscpage is reloaded).
 *
 * Dry run elsewhere: -DTP_DEV='"file"' -DHV_DEV='"file"' at build time.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/tscpage.h>
#include <linux/tscpage_hvsim.h>

#include "kselftest.h"
#include "args.h"
#include "cpus.h"
#include "kmod.h"
#include "sysfs_file.h"

/* What glibc 2.36 does not name; the values of the kernel's UAPI. */
#ifndef sigev_notify_thread_id
#define sigev_notify_thread_id	_sigev_un._tid
#endif
#ifndef PROT_SEM
#define PROT_SEM		0x8
#endif
#ifndef MAP_UNINITIALIZED
#define MAP_UNINITIALIZED	0x4000000
#endif
#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE		25
#endif

#define MAX_THREADS	64
#define OWN_FDS		8	/* each thread's own files */
#define POOL_FDS	8	/* files every thread may use and close */
#define MAPS		8	/* each thread's mappings */
#define RES_PAGES	8	/* each thread's MAP_FIXED playground */
#define N_ERRB		136	/* errnos counted one by one, then "other" */
#define FORK_ONE_IN	2048	/* fork() is expensive: 0.05% of calls */
#define FORK_WAIT_MS	2000
#define STALL_S		60
#define SHOW_MAX	5	/* violations printed per check */
/*
 * Calls that may wait for an event: one in WAIT_ONE_IN. A wait lasts until
 * its timer or timeout, tens of ms in a debug kernel's TCG guest, where
 * it was most of the run's time once /dev/tscpage stayed loaded.
 */
#define WAIT_ONE_IN	8
/*
 * --reload: how long a loaded module stays, and the workers' longest stop.
 * A load is a second of guest CPU on the debug kernel, taken from the
 * workers (TCG runs a guest's vCPUs in one host thread): at 50-400 ms the
 * loads were most of the run's time (565 in 1043 s).
 */
#define LOADED_MIN_MS	250
#define LOADED_MAX_MS	1000
#define QUIET_MS	5000
/*
 * The simulator's mischief, spaced: at most one migration per
 * MIGRATE_GAP_MS (each stops every CPU); one fault at a time, at most
 * FAULT_MS_MAX long, and after one that spoils the page at least
 * SPOIL_GAP_MS of good page, so that tscpage's watch (every 100 ms) sees
 * it usable between faults and never reaches unusable_ms (1000 ms by
 * default) in a row; after the others FAULT_GAP_MS. Each fault is two
 * lines in the kernel log: a few per second at most.
 */
#define MIGRATE_GAP_MS	20
#define SPOIL_GAP_MS	500
#define FAULT_GAP_MS	100
#define FAULT_MS_MAX	200
#define BLACKOUT_MS_MAX	20
/* driver/hvsim/hvsim.h: the migrations of change_nonotify and no_ack. */
#define HV_FAULT_BLACKOUT_MS	20

#ifndef TP_DEV			/* -D for a dry run on other files */
#define TP_DEV		"/dev/tscpage"
#define HV_DEV		"/dev/tscpage_hvsim"
#endif
#define TP_MOD		"tscpage"
#define HV_MOD		"tscpage_hvsim"

enum dev { D_TP, D_HV, D_POOL, N_DEVS };
static const char *const dev_names[N_DEVS] = { "tscpage", "tscpage_hvsim",
					       "shared fd" };
static const char *const dev_paths[2] = { TP_DEV, HV_DEV };

/* The ioctls first, in the order of kcmd[]. */
enum op {
	OP_INFO, OP_STATUS, OP_MIGRATE, OP_FAULT, OP_RATE, OP_DESYNC,
	OP_UNKNOWN, OP_OPEN, OP_CLOSE, OP_POOL_OPEN, OP_POOL_CLOSE, OP_DUP,
	OP_FCNTL, OP_MMAP, OP_MMAP_FIXED, OP_MAP_READ, OP_MPROTECT, OP_MREMAP,
	OP_MADVISE, OP_MUNMAP, OP_READ, OP_PREAD, OP_READV, OP_WRITE, OP_POLL,
	OP_PPOLL, OP_EPOLL, OP_LSEEK, OP_FORK, N_OPS, OP_IDLE = N_OPS
};
static const char *const op_names[N_OPS + 1] = {
	"INFO", "STATUS", "MIGRATE", "FAULT", "RATE", "DESYNC",
	"unknown ioctl", "open", "close", "pool open", "pool close", "dup",
	"fcntl", "mmap", "mmap MAP_FIXED", "mapping read", "mprotect",
	"mremap", "madvise", "munmap", "read", "pread", "readv", "write",
	"poll", "ppoll", "epoll", "lseek", "fork", "(between calls)",
};
static const unsigned long kcmd[] = {
	TSCPAGE_IOC_INFO, TSCPAGE_HVSIM_IOC_STATUS, TSCPAGE_HVSIM_IOC_MIGRATE,
	TSCPAGE_HVSIM_IOC_FAULT, TSCPAGE_HVSIM_IOC_RATE,
	TSCPAGE_HVSIM_IOC_DESYNC,
};

enum check {
	CK_SIGNAL, CK_MAPPING, CK_READONLY, CK_BADPTR, CK_UNKNOWN, CK_INVALID,
	CK_INFO, CK_READ, CK_FORK, CK_LOADED, CK_BUDGET, N_CHECKS
};
static const char *const check_names[N_CHECKS] = {
	"no SIGSEGV or SIGBUS reading a mapping the kernel accepted",
	"/dev/tscpage maps one shared page at offset 0 and nothing else, /dev/tscpage_hvsim nothing",
	"/dev/tscpage is never opened for writing, nor mapped or mprotect()ed writable or executable; neither device takes a write()",
	"bad pointers are refused with EFAULT, never accepted",
	"unknown ioctls are refused with ENOTTY",
	"the simulator refuses invalid commands with EINVAL, TSC writes it may not do with EPERM or EOPNOTSUPP",
	"INFO and STATUS fill a good buffer: known format, reserved fields zero",
	"read() gives whole, well-formed events and refuses a short buffer; lseek() never moves",
	"every forked child exited on its own",
	"the modules are loaded at the end as at the start",
	"the call budget was spent",
};

/* Kinds of pointer an argument or buffer is given. */
enum ptr {
	P_GOOD, P_RO, P_NULL, P_ONE, P_KERNEL, P_KTEXT, P_FAR, P_TOP, P_LOW,
	P_NONE, P_HOLE, P_STRADDLE_RO, P_STRADDLE_NONE, N_PTRS
};

/* Arguments of the fault catalogue, and its names. */
enum { ARG_NONE, ARG_STEP_NS, ARG_PPM };
static const struct {
	const char *name;
	int arg;
} faults[TSCPAGE_HVSIM_FAULT_COUNT] = {
#define TSCPAGE_HVSIM_FAULT(id, name, formats, arg, ...)		\
	[TSCPAGE_HVSIM_FAULT_##id] = { name, ARG_##arg },
#include <linux/tscpage_hvsim_faults.h>
#undef TSCPAGE_HVSIM_FAULT
};

struct own_fd {
	int fd;			/* -1: free */
	enum dev dev;
	int flags;		/* open() flags */
};

struct map {
	char *addr;		/* NULL: free */
	size_t len;
	int prot;
	int slot;		/* in the reservation; -1: the kernel chose */
	enum dev dev;
};

struct worker {
	pthread_t thread;
	unsigned int idx;
	uint64_t rng;
	unsigned int gen;	/* drain generation seen */
	struct own_fd fds[OWN_FDS];
	struct map maps[MAPS];
	char *scratch;		/* 2 pages RW, 1 read-only, 1 PROT_NONE */
	char *res;		/* RES_PAGES, PROT_NONE or our mappings */
	int epfd;
	timer_t timer;
	atomic_int cur_op;
	uint64_t errs[N_DEVS][N_OPS][N_ERRB];
};

static long page_size;
static uint64_t max_calls;
static unsigned int nthreads = 4;
static unsigned int ncpus;
static int *cpus;	/* the CPUs we may run on */
static atomic_uint_fast64_t claimed, done;
static atomic_bool stop_reload;
static atomic_uint drain_gen;
/*
 * quiesce: the reload thread is about to unload tscpage_hvsim, which any
 * open file or mapping of either device pins (tscpage's pin tscpage, which
 * pins the simulator). It sets quiesce, then moves drain_gen on; a worker
 * that sees the new generation drains, counts itself in quiet and opens
 * nothing until quiesce is off again. A finished worker counts for good.
 * All sequentially consistent: a worker that sees the generation sees
 * quiesce, and the reload thread sees quiet only after the worker drained.
 */
static atomic_bool quiesce;
static atomic_uint quiet;
static atomic_int pool[POOL_FDS];
static atomic_uint_fast64_t ck_seen[N_CHECKS], ck_fail[N_CHECKS];
static atomic_int_fast64_t migrate_gate, fault_gate;
static pthread_mutex_t print_lock = PTHREAD_MUTEX_INITIALIZER;
/*
 * map_lock: MAP_FIXED and mremap() in a thread's reservation may leave
 * a hole there for a moment (a failed MAP_FIXED unmaps first on older
 * kernels); under the write lock nobody else maps anything, so the hole is
 * filled again before any mapping of another thread can land in it.
 * fault_lock: the reload thread holds it for writing while it loads
 * tscpage, whose first read refuses a spoiled page (and says so in the
 * kernel log): no page fault starts meanwhile.
 */
static pthread_rwlock_t map_lock, fault_lock;
static pthread_barrier_t start_barrier;
/* A valid TSC write must be refused with this errno; 0: never send one. */
static int tsc_write_errno;
static struct tscpage_hvsim_status hv_start;
static bool hv_start_ok;

static _Thread_local sigjmp_buf probe_jb;
static _Thread_local volatile sig_atomic_t probing;
static _Thread_local volatile uint64_t probe_sink;

/* ------------------------------------------------------------ helpers */

static uint64_t rnd64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t rnd(struct worker *w, uint64_t n)
{
	return n ? rnd64(&w->rng) % n : 0;
}

#define PICK(w, a)	((a)[rnd(w, ARRAY_SIZE(a))])

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void sleep_us(long us)
{
	struct timespec ts = { us / 1000000, us % 1000000 * 1000 };

	nanosleep(&ts, NULL);
}

static const char *errname(int e, char *buf, size_t size)
{
	const char *s = NULL;

	if (!e)
		return "ok";
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 32)
	s = strerrorname_np(e);
#endif
	if (s)
		return s;
	snprintf(buf, size, "errno %d", e);
	return buf;
}

static void tally(struct worker *w, enum op op, enum dev dev, int err)
{
	w->errs[dev][op][err >= 0 && err < N_ERRB ? err : N_ERRB - 1]++;
}

static void seen(enum check ck)
{
	atomic_fetch_add(&ck_seen[ck], 1);
}

/* A broken promise: counted, and the first few printed with their story. */
static __attribute__((format(printf, 3, 4)))
void violation(struct worker *w, enum check ck, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	if (atomic_fetch_add(&ck_fail[ck], 1) >= SHOW_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&print_lock);
	ksft_print_msg("FAIL [thread %d] %s\n", w ? (int)w->idx : -1, buf);
	pthread_mutex_unlock(&print_lock);
}

/* Take a gate: nobody took it in the last @hold_ms. */
static bool gate_take(atomic_int_fast64_t *gate, int64_t hold_ms)
{
	int_fast64_t now = now_ns(), g = atomic_load(gate);

	return now >= g && atomic_compare_exchange_strong(gate, &g,
				now + hold_ms * 1000000);
}

/* ------------------------------------------------- memory and pointers */

static void *map_anon(void *addr, size_t len, int prot, int flags)
{
	return mmap(addr, len, prot, MAP_PRIVATE | MAP_ANONYMOUS | flags, -1,
		    0);
}

/*
 * The reservation's pages nobody maps any more are ours again. Under the
 * write map_lock: a page without a mapping here was ours a moment ago.
 */
static void res_repair(struct worker *w)
{
	unsigned char v;
	char *p;
	int i;

	for (i = 0; i < RES_PAGES; i++) {
		p = w->res + i * page_size;
		if (mincore(p, page_size, &v) && errno == ENOMEM)
			map_anon(p, page_size, PROT_NONE, MAP_FIXED_NOREPLACE);
	}
}

/*
 * A pointer of @kind for an argument of @size bytes. None is ever
 * dereferenced here; the bad ones point where the process has nothing it
 * could lose if the kernel did write there: nothing (NULL, 1, 0x10000
 * below every mapping, the last page below the 47-bit user limit, one
 * beyond any default mapping), the kernel (the direct map, the kernel
 * image), our read-only and PROT_NONE pages, and a page just unmapped,
 * which another thread may map again at once (only ever with one page of
 * its own mappings: read-only device pages or its own unmapped page).
 */
static char *ptr_of(struct worker *w, enum ptr kind, size_t size)
{
	size_t back = size > 1 ? 1 + rnd(w, size - 1) : 1;
	char *p;

	switch (kind) {
	case P_GOOD:
		return w->scratch + (rnd(w, 2 * page_size - size + 1) & ~7UL);
	case P_RO:
		return w->scratch + 2 * page_size;
	case P_NULL:
		return NULL;
	case P_ONE:
		return (char *)1;
	case P_KERNEL:
		return (char *)0xffff888000000000UL;
	case P_KTEXT:
		return (char *)0xffffffff81000000UL;
	case P_FAR:
		return (char *)0x00ff000000000000UL;
	case P_TOP:
		return (char *)((1UL << 47) - page_size);
	case P_LOW:
		return (char *)0x10000UL;
	case P_NONE:
		return w->scratch + 3 * page_size;
	case P_HOLE:
		pthread_rwlock_rdlock(&map_lock);
		p = map_anon(NULL, page_size, PROT_READ | PROT_WRITE, 0);
		if (p != MAP_FAILED)
			munmap(p, page_size);
		pthread_rwlock_unlock(&map_lock);
		return p == MAP_FAILED ? NULL : p;
	case P_STRADDLE_RO:
		return w->scratch + 2 * page_size - back;
	default:
		return w->scratch + 3 * page_size - back;
	}
}

/* The kernel may not write one byte at p (P_STRADDLE_RO: all but some). */
static bool ptr_unwritable(enum ptr kind)
{
	return kind != P_GOOD;
}

/* The kernel may not read all of it. */
static bool ptr_unreadable(enum ptr kind)
{
	return kind != P_GOOD && kind != P_RO && kind != P_STRADDLE_RO;
}

/*
 * A call with a bad pointer that was not refused with EFAULT: a violation,
 * unless the pointer was the just-unmapped page. Another thread may map
 * something there during the call and unmap it again before we look (seen
 * in the debug row: "DESYNC ... with pointer 0x7f6b1de7a000: EINVAL,
 * expected EFAULT"), so that page is only fuzzed, never judged; the
 * PROT_NONE page stands for it in the judgement.
 */
static bool really_accepted(enum ptr kind)
{
	return kind != P_HOLE;
}

/* ------------------------------------------------------- mapping reads */

static void fault_handler(int sig)
{
	if (probing) {
		probing = 0;
		siglongjmp(probe_jb, sig);
	}
	/* Our own bug, not the kernel's: die of it, as without us. */
	signal(sig, SIG_DFL);
}

static void timer_handler(int sig)
{
	(void)sig;	/* only there to interrupt a blocked read() */
}

static __attribute__((noinline))
uint64_t sum_words(const volatile uint64_t *p, size_t n)
{
	uint64_t s = 0;

	while (n--)
		s += *p++;
	return s;
}

/* Reads every word of [addr, addr + len): 0, or the signal that hit. */
static int probe(const void *addr, size_t len)
{
	int sig = sigsetjmp(probe_jb, 1);

	if (sig)
		return sig;
	probing = 1;
	probe_sink += sum_words(addr, len / 8);
	probing = 0;
	return 0;
}

static size_t page_up(size_t len)
{
	return (len + page_size - 1) & ~(page_size - 1);
}

static struct map *map_free(struct worker *w)
{
	for (int i = 0; i < MAPS; i++)
		if (!w->maps[i].addr)
			return &w->maps[i];
	return NULL;
}

static struct map *map_any(struct worker *w)
{
	struct map *m = &w->maps[rnd(w, MAPS)];

	return m->addr ? m : NULL;
}

/* The reservation pages [s, s + n) hold none of our tracked mappings. */
static bool slots_free(struct worker *w, int s, int n)
{
	for (int i = 0; i < MAPS; i++) {
		struct map *m = &w->maps[i];

		if (m->addr && m->slot >= 0 && m->slot < s + n &&
		    m->slot + (int)(m->len / page_size) > s)
			return false;
	}
	return true;
}

static void map_drop(struct worker *w, struct map *m)
{
	if (m->slot >= 0) {
		pthread_rwlock_wrlock(&map_lock);
		munmap(m->addr, m->len);
		res_repair(w);
		pthread_rwlock_unlock(&map_lock);
	} else {
		munmap(m->addr, m->len);
	}
	m->addr = NULL;
}

/* An accepted mapping of /dev/tscpage, read through: it must not fault. */
static void map_read(struct worker *w, struct map *m)
{
	int sig;

	if (!(m->prot & PROT_READ) || m->dev != D_TP)
		return;
	seen(CK_SIGNAL);
	sig = probe(m->addr, m->len);
	tally(w, OP_MAP_READ, m->dev, sig ? EFAULT : 0);
	if (sig)
		violation(w, CK_SIGNAL, "%s reading the mapping of %s at %p (%zu bytes, prot %#x)",
			  strsignal(sig), dev_paths[m->dev], m->addr, m->len,
			  m->prot);
}

/* --------------------------------------------------------------- files */

static struct own_fd *fd_any(struct worker *w)
{
	struct own_fd *f = &w->fds[rnd(w, OWN_FDS)];

	return f->fd >= 0 ? f : NULL;
}

static struct own_fd *fd_free(struct worker *w)
{
	for (int i = 0; i < OWN_FDS; i++)
		if (w->fds[i].fd < 0)
			return &w->fds[i];
	return NULL;
}

/* Judged calls only on files whose calls reach the driver. */
static bool judged(const struct own_fd *f)
{
	return !(f->flags & O_PATH);
}

/*
 * Random open() flags. Never O_CREAT or O_TMPFILE: with the module
 * unloaded (--reload) they would create a regular file where the device
 * node belongs, and tscpage's node could not come back.
 */
static int open_flags(struct worker *w)
{
	static const int extra[] = {
		O_NONBLOCK, O_CLOEXEC, O_NOCTTY, O_SYNC, O_APPEND, O_TRUNC,
		O_NOFOLLOW, O_DIRECT, O_NOATIME, O_DIRECTORY, O_PATH, O_ASYNC,
	};
	/* Access mode 3: neither read nor write, ioctl only. */
	int flags = rnd(w, 4) ? O_RDONLY : (int)rnd(w, 4);
	int n = rnd(w, 3);

	while (n--)
		flags |= PICK(w, extra);
	if (rnd(w, 2))
		flags |= O_CLOEXEC;
	return flags;
}

static void op_open(struct worker *w)
{
	enum dev dev = rnd(w, 2);
	struct own_fd *f = fd_free(w);
	int flags = open_flags(w), fd;

	if (!f)
		f = fd_any(w);
	if (f && f->fd >= 0) {
		tally(w, OP_CLOSE, f->dev, close(f->fd) ? errno : 0);
		f->fd = -1;
	}
	fd = open(dev_paths[dev], flags);
	tally(w, OP_OPEN, dev, fd < 0 ? errno : 0);
	/* chardev.c's open refuses FMODE_WRITE, root or not. */
	if (dev == D_TP && !(flags & O_PATH) &&
	    ((flags & O_ACCMODE) == O_WRONLY ||
	     (flags & O_ACCMODE) == O_RDWR)) {
		seen(CK_READONLY);
		if (fd >= 0)
			violation(w, CK_READONLY, "open(%s, %#x) for writing succeeded",
				  TP_DEV, flags);
	}
	if (fd >= 0 && f)
		*f = (struct own_fd){ fd, dev, flags };
	else if (fd >= 0)
		close(fd);
}

static void op_pool(struct worker *w, bool open_one)
{
	enum dev dev = rnd(w, 2);
	int slot = rnd(w, POOL_FDS), fd = -1, old;

	if (open_one) {
		fd = open(dev_paths[dev], (dev == D_TP ? O_RDONLY : O_RDWR) |
			  (rnd(w, 2) ? O_NONBLOCK : 0) | O_CLOEXEC);
		tally(w, OP_POOL_OPEN, dev, fd < 0 ? errno : 0);
		if (fd < 0)
			return;
	}
	/*
	 * Whoever takes a file out of the pool closes it, perhaps while
	 * another thread is inside a call on it.
	 */
	old = atomic_exchange(&pool[slot], fd);
	if (old >= 0)
		tally(w, OP_POOL_CLOSE, D_POOL, close(old) ? errno : 0);
}

/* ------------------------------------------------------------- ioctls */

/*
 * An ioctl number neither driver knows, at least not on @dev: the right
 * magic with another number, size or direction, another device's
 * commands, or another magic. The magics the VFS answers itself for any
 * file (FIOCLEX & co. 'T', FIBMAP and FIGETBSZ 0x00, FIFREEZE 'X', 'f',
 * 0x15, 0x94, and block devices' 0x12) are left out: they never reach the
 * driver, and FIFREEZE would freeze /dev.
 */
static bool known_cmd(unsigned long cmd, enum dev dev)
{
	for (int k = 0; k < OP_UNKNOWN; k++)
		if (cmd == kcmd[k] &&
		    (dev == D_POOL || (k == 0) == (dev == D_TP)))
			return true;
	return false;
}

static unsigned long unknown_cmd(struct worker *w, enum dev dev)
{
	static const unsigned int sizes[] = {
		0, 1, 4, 8, sizeof(struct tscpage_info),
		sizeof(struct tscpage_hvsim_status), 16383,
	};
	static const unsigned int skip[] = { 0x00, 0x12, 0x15, 'T', 'X', 'f',
					     0x94 };
	unsigned long cmd;
	unsigned int magic, i;

	do {
		switch (rnd(w, 4)) {
		case 0:		/* ours, another number or size */
			magic = TSCPAGE_IOC_MAGIC + rnd(w, 2);
			cmd = _IOC(rnd(w, 4), magic, rnd(w, 256),
				   PICK(w, sizes));
			break;
		case 1:		/* a command with its bits changed */
			cmd = PICK(w, kcmd) ^ (rnd(w, 2) ?
				3UL << _IOC_DIRSHIFT :
				(1UL + rnd(w, 64)) << _IOC_SIZESHIFT);
			break;
		case 2:			/* the other device's */
			cmd = PICK(w, kcmd);
			break;
		default:		/* nobody's */
			magic = rnd(w, 256);
			for (i = 0; i < ARRAY_SIZE(skip); i++)
				if (magic == skip[i])
					magic = 0xE3;
			cmd = _IOC(rnd(w, 4), magic, rnd(w, 256),
				   PICK(w, sizes));
		}
		cmd &= 0xffffffffUL;
	} while (known_cmd(cmd, dev));
	return cmd;
}

static int rand_cpu(struct worker *w)
{
	return cpus[rnd(w, ncpus)];
}

static int64_t rand_offset(struct worker *w)
{
	int64_t v = rnd(w, 4) ? 1 + rnd(w, TSCPAGE_HVSIM_TSC_OFFSET_MAX) :
		    TSCPAGE_HVSIM_TSC_OFFSET_MAX;

	return rnd(w, 2) ? -v : v;
}

/* Fills @m; returns whether it is valid. Valid ones are short. */
static bool make_migrate(struct worker *w, struct tscpage_hvsim_migrate *m,
			 bool want_valid)
{
	static const uint32_t bad_khz[] = { 1, TSCPAGE_HVSIM_TSC_KHZ_MIN - 1,
		TSCPAGE_HVSIM_TSC_KHZ_MAX + 1, UINT32_MAX };
	static const int32_t bad_cpu[] = { -2, INT32_MIN, 1 << 20 };

	memset(m, 0, sizeof(*m));
	m->blackout_ms = rnd(w, 10) ? rnd(w, 6) : rnd(w, BLACKOUT_MS_MAX + 1);
	/* What the destination declares: any rate of the range will do. */
	if (!rnd(w, 3))
		m->tsc_khz = rnd(w, 2) ? TSCPAGE_HVSIM_TSC_KHZ_MIN +
			rnd(w, TSCPAGE_HVSIM_TSC_KHZ_MAX -
			    TSCPAGE_HVSIM_TSC_KHZ_MIN + 1) :
			rnd(w, 2) ? TSCPAGE_HVSIM_TSC_KHZ_MIN :
			TSCPAGE_HVSIM_TSC_KHZ_MAX;
	m->cpu = rnd(w, 2) ? -1 : rand_cpu(w);
	if (want_valid)
		return true;
	switch (rnd(w, 7)) {
	case 0:
		m->flags = 1U << rnd(w, 32);
		break;
	case 1:
		m->reserved[rnd(w, 2)] = rnd64(&w->rng) | 1;
		break;
	case 2:
		m->blackout_ms = TSCPAGE_HVSIM_BLACKOUT_MS_MAX + 1 +
				 rnd(w, 1000000);
		break;
	case 3:
		m->tsc_khz = PICK(w, bad_khz);
		break;
	case 4:
		m->tsc_offset = rnd(w, 2) ? INT64_MIN :
				TSCPAGE_HVSIM_TSC_OFFSET_MAX + 1;
		break;
	default:
		m->cpu = PICK(w, bad_cpu);
		break;
	}
	return false;
}

static bool fault_spoils(uint32_t f)
{
	return f != TSCPAGE_HVSIM_FAULT_NONE &&
	       f != TSCPAGE_HVSIM_FAULT_NOTIFY_NOCHANGE &&
	       f != TSCPAGE_HVSIM_FAULT_CHANGE_NONOTIFY &&
	       f != TSCPAGE_HVSIM_FAULT_NO_ACK &&
	       f != TSCPAGE_HVSIM_FAULT_NOTIFY_LATE;
}

static bool make_fault(struct worker *w, struct tscpage_hvsim_fault_req *r,
		       bool want_valid)
{
	memset(r, 0, sizeof(*r));
	/* The end of a fault, rarely: the faults are to last a while. */
	r->fault = rnd(w, 256) ? 1 + rnd(w, TSCPAGE_HVSIM_FAULT_COUNT - 1) :
		   TSCPAGE_HVSIM_FAULT_NONE;
	if (r->fault == TSCPAGE_HVSIM_FAULT_NONE && want_valid)
		return true;
	r->for_ms = rnd(w, 4) ? 1 + rnd(w, 30) : 1 + rnd(w, FAULT_MS_MAX);
	/* Small steps and rate errors: the limits' far ends are minutes. */
	if (faults[r->fault].arg == ARG_STEP_NS && rnd(w, 2))
		r->arg = 1 + rnd(w, 1000000);
	else if (faults[r->fault].arg == ARG_PPM && rnd(w, 2))
		r->arg = rnd(w, 2) ? 1 + (int64_t)rnd(w, 1000) :
			 -1 - (int64_t)rnd(w, 1000);
	if (want_valid)
		return true;
	switch (rnd(w, 6)) {
	case 0:
		r->reserved[rnd(w, 2)] = rnd64(&w->rng) | 1;
		break;
	case 1:
		r->fault = TSCPAGE_HVSIM_FAULT_COUNT + rnd(w, 2) *
			   (UINT32_MAX - TSCPAGE_HVSIM_FAULT_COUNT);
		break;
	case 2:
		r->for_ms = rnd(w, 2) ? 0 : rnd(w, 2) ? UINT32_MAX :
			    TSCPAGE_HVSIM_FOR_MS_MAX + 1;
		if (r->fault == TSCPAGE_HVSIM_FAULT_NONE && !r->for_ms)
			r->for_ms = 1;
		break;
	default:
		switch (faults[r->fault].arg) {
		case ARG_STEP_NS:
			r->arg = rnd(w, 2) ? -1 - (int64_t)rnd(w, 1000) :
				 10000000000LL + 1 + (int64_t)rnd(w, 1000);
			break;
		case ARG_PPM:
			r->arg = (rnd(w, 2) ? 1 : -1) *
				 (100001 + (int64_t)rnd(w, 1000));
			break;
		default:
			r->arg = rnd(w, 2) ? 1 : INT64_MIN;
		}
	}
	return false;
}

static bool make_desync(struct worker *w, struct tscpage_hvsim_desync *d,
			bool want_valid)
{
	static const int32_t bad_cpu[] = { -1, -2, INT32_MIN, 1 << 20 };

	memset(d, 0, sizeof(*d));
	d->cpu = rand_cpu(w);
	d->cycles = rand_offset(w);
	if (want_valid)
		return true;
	switch (rnd(w, 4)) {
	case 0:
		d->flags = 1U << rnd(w, 32);
		break;
	case 1:
		d->cycles = 0;
		break;
	case 2:
		d->cycles = rnd(w, 2) ? INT64_MIN :
			    TSCPAGE_HVSIM_TSC_OFFSET_MAX + 1;
		break;
	default:
		d->cpu = PICK(w, bad_cpu);
	}
	return false;
}

/*
 * What INFO (chardev.c) or STATUS (control.c) wrote over the 0xa5 poison:
 * a format of the ABI, every reserved field zero, a terminated provider
 * name, a fault of the catalogue and an update rate.
 */
static void check_filled(struct worker *w, int k, const void *p)
{
	static const __u64 zero[4];
	const struct tscpage_hvsim_status *s = p;
	const struct tscpage_info *i = p;
	__u32 format = k == OP_INFO ? i->format : s->format;
	bool bad = format != TSCPAGE_FORMAT_PVCLOCK &&
		   format != TSCPAGE_FORMAT_HVREF;

	if (k == OP_INFO)
		bad |= !memchr(i->provider, 0, sizeof(i->provider)) ||
		       i->reserved0 || memcmp(i->reserved, zero, sizeof(zero));
	else
		bad |= s->fault >= TSCPAGE_HVSIM_FAULT_COUNT || !s->update_hz ||
		       memcmp(s->reserved, zero, sizeof(zero));
	if (bad && k == OP_INFO)
		violation(w, CK_INFO, "INFO: format %u, provider[15] %#x, reserved0 %#x, reserved[0] %#llx",
			  format, (unsigned char)i->provider[15], i->reserved0,
			  (unsigned long long)i->reserved[0]);
	else if (bad)
		violation(w, CK_INFO, "STATUS: format %u, fault %u, update_hz %u, reserved[0] %#llx",
			  format, s->fault, s->update_hz,
			  (unsigned long long)s->reserved[0]);
}

static const char *en(int err)
{
	static _Thread_local char buf[24];

	return errname(err, buf, sizeof(buf));
}

/*
 * Fills the argument of command @k at @p: valid (mostly), or invalid in
 * one field. Valid ones are short and spaced (the gates), and never write
 * a TSC the simulator would really move. Returns whether it is valid;
 * takes the fault_lock for reading if it returns 2 (a spoiling fault).
 */
static int make_arg(struct worker *w, int k, char *p, bool valid)
{
	static const uint32_t good_rates[] = { 100, 250, 500, 1000, 2000,
					       5000, 10000 };
	static const uint32_t bad_rates[] = { 0, 100001, 1000000, UINT32_MAX };
	struct tscpage_hvsim_migrate *m = (void *)p;
	struct tscpage_hvsim_fault_req *r = (void *)p;

	switch (k) {
	case OP_MIGRATE:
		valid = make_migrate(w, m, valid);
		if (valid && !gate_take(&migrate_gate,
					MIGRATE_GAP_MS + m->blackout_ms))
			valid = make_migrate(w, m, false);
		/* A TSC write, which the simulator must refuse here. */
		if (valid && tsc_write_errno && !rnd(w, 4))
			m->tsc_offset = rand_offset(w);
		return valid;
	case OP_FAULT:
		valid = make_fault(w, r, valid);
		if (!valid || r->fault == TSCPAGE_HVSIM_FAULT_NONE)
			return valid;
		/*
		 * None while the reload thread loads tscpage; the ones about
		 * notifications migrate (change_nonotify, no_ack) or notify.
		 */
		if (!pthread_rwlock_tryrdlock(&fault_lock)) {
			if (gate_take(&fault_gate, r->for_ms +
				      (fault_spoils(r->fault) ? SPOIL_GAP_MS :
				       FAULT_GAP_MS)) &&
			    (fault_spoils(r->fault) ||
			     gate_take(&migrate_gate, MIGRATE_GAP_MS +
				       HV_FAULT_BLACKOUT_MS)))
				return 2;
			pthread_rwlock_unlock(&fault_lock);
		}
		return make_fault(w, r, false);
	case OP_RATE:
		*(uint32_t *)p = !valid ? PICK(w, bad_rates) :
				 rnd(w, 1000) ? PICK(w, good_rates) :
				 rnd(w, 2) ? 1 : 100000;
		return valid;
	case OP_DESYNC:
		/* A real TSC write, never: only the ones refused. */
		return make_desync(w, (void *)p, valid && tsc_write_errno);
	}
	return valid;
}

/*
 * One ioctl on @fd. @f is the thread's own file, whose device is known
 * and whose outcome is judged; NULL for a file from the pool, which may
 * have been closed, or be another file by now: only harmless commands
 * then (INFO, STATUS, invalid migrations and faults, unknown numbers),
 * and no judgement.
 */
static void do_ioctl(struct worker *w, int fd, const struct own_fd *f)
{
	static const int tp_mix[] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 6, 6, 6,
				      6, 6, 1, 2, 3, 4, 5 };
	static const int hv_mix[] = { 0, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3, 4, 4,
				      5, 5, 6, 6, 6 };
	static const int pool_mix[] = { 0, 1, 2, 3, 6 };
	enum dev dev = f ? f->dev : D_POOL;
	enum ptr kind = rnd(w, 4) ? P_GOOD : rnd(w, N_PTRS);
	bool own, judge = f && judged(f);
	int k, err, valid = rnd(w, 10) < 7;
	size_t size;
	char *p;

	k = dev == D_TP ? PICK(w, tp_mix) : dev == D_HV ? PICK(w, hv_mix) :
	    PICK(w, pool_mix);
	own = k < OP_UNKNOWN &&
	      (dev == D_POOL || (k == OP_INFO) == (dev == D_TP));
	size = k < OP_UNKNOWN ? _IOC_SIZE(kcmd[k]) : 64;
	p = ptr_of(w, kind, size);
	if (kind == P_GOOD) {
		/* Poisoned: a field left unwritten must not pass as zero. */
		memset(p, 0xa5, size);
		if (own)			/* blind: invalid ones only */
			valid = make_arg(w, k, p, f ? valid : 0);
		else if (k == OP_UNKNOWN)
			for (size_t i = 0; i < size; i++)
				p[i] = rnd(w, 256);
	}
	if (k == OP_UNKNOWN)
		err = ioctl(fd, unknown_cmd(w, dev), rnd(w, 2) ?
			    (unsigned long)p : rnd64(&w->rng)) ? errno : 0;
	else
		err = ioctl(fd, kcmd[k], p) ? errno : 0;
	if (valid == 2)
		pthread_rwlock_unlock(&fault_lock);
	tally(w, k, dev, err);
	if (!judge)
		return;

	/* chardev.c and control.c: ENOTTY for any command but theirs. */
	if (!own) {
		seen(CK_UNKNOWN);
		if (err != ENOTTY)
			violation(w, CK_UNKNOWN, "%s on %s: %s, expected ENOTTY",
				  op_names[k], dev_paths[dev], en(err));
		return;
	}
	/* copy_to_user() or copy_from_user() of the whole argument failed. */
	if (k <= OP_STATUS ? ptr_unwritable(kind) : ptr_unreadable(kind)) {
		seen(CK_BADPTR);
		if (err != EFAULT && really_accepted(kind))
			violation(w, CK_BADPTR, "%s on %s with pointer %p: %s, expected EFAULT",
				  op_names[k], dev_paths[dev], (void *)p,
				  en(err));
		return;
	}
	if (kind != P_GOOD)
		return;
	if (k <= OP_STATUS) {
		seen(CK_INFO);
		if (err)
			violation(w, CK_INFO, "%s into a good buffer: %s",
				  op_names[k], en(err));
		else
			check_filled(w, k, p);
	} else if (!valid) {
		/* control.c checks every field before anything else. */
		seen(CK_INVALID);
		if (err != EINVAL)
			violation(w, CK_INVALID, "an invalid %s: %s, expected EINVAL",
				  op_names[k], en(err));
	} else if (k == OP_DESYNC || (k == OP_MIGRATE &&
		   ((struct tscpage_hvsim_migrate *)p)->tsc_offset)) {
		seen(CK_INVALID);
		if (err != tsc_write_errno)
			violation(w, CK_INVALID, "a TSC write by %s: %s, expected %s",
				  op_names[k], en(err),
				  strerror(tsc_write_errno));
	}
}

/* ------------------------------------------------------------ mappings */

static bool tp_mapping_ok(size_t len, int prot, int flags, off_t off)
{
	int type = flags & MAP_TYPE;

	return (type == MAP_SHARED || type == MAP_SHARED_VALIDATE) &&
	       !(prot & (PROT_WRITE | PROT_EXEC)) && !off &&
	       page_up(len) == (size_t)page_size;
}

/*
 * Every combination the ABI sorts out: protections, types, lengths,
 * offsets, placement (the kernel's, or MAP_FIXED in the reservation), and
 * flags that change how it is made. What chardev.c promises: one page at
 * offset 0, shared, never writable or executable; the plain request for
 * it (no other flag, a file opened O_RDONLY) succeeds.
 */
static void op_mmap(struct worker *w, const struct own_fd *f, bool fixed)
{
	static const int types[] = { MAP_SHARED, MAP_SHARED, MAP_SHARED,
		MAP_SHARED_VALIDATE, MAP_PRIVATE, MAP_SHARED | MAP_PRIVATE, 0 };
	static const int extra[] = { MAP_POPULATE, MAP_LOCKED, MAP_NORESERVE,
		MAP_GROWSDOWN, MAP_SYNC, MAP_HUGETLB, MAP_32BIT, MAP_STACK,
		MAP_UNINITIALIZED, 0x40000000 };
	size_t lens[] = { page_size, page_size, page_size, 1, page_size - 1,
		page_size + 1, 2 * page_size, 0, 1UL << 40, SIZE_MAX,
		SIZE_MAX & ~(page_size - 1) };
	off_t offs[] = { 0, 0, 0, 0, page_size, 1, page_size / 2,
		(off_t)1 << 44, -page_size, INT64_MAX & ~(page_size - 1) };
	int prot = rnd(w, 3) ? PROT_READ : rnd(w, 8), flags = PICK(w, types);
	size_t len = PICK(w, lens);
	off_t off = PICK(w, offs);
	bool plain, wx = prot & (PROT_WRITE | PROT_EXEC);
	char *addr = NULL, *p;
	struct map *m;
	int slot = -1, np, err;

	plain = (f->flags & O_ACCMODE) == O_RDONLY;
	if (!rnd(w, 4)) {
		flags |= PICK(w, extra);
		plain = false;
	}
	if (!rnd(w, 20)) {
		prot |= rnd(w, 2) ? PROT_SEM : PROT_GROWSDOWN;
		plain = false;
	}
	if (fixed) {
		slot = rnd(w, RES_PAGES);
		np = 1 + (slot < RES_PAGES - 1 && !rnd(w, 4));
		len = rnd(w, 3) ? page_size * np : 1;
		if (!slots_free(w, slot, np))
			return;
		addr = w->res + slot * page_size;
		if (rnd(w, 6)) {
			flags |= MAP_FIXED;
		} else {
			flags |= MAP_FIXED_NOREPLACE;	/* EEXIST */
			plain = false;
		}
	}
	m = map_free(w);
	if (!m) {
		map_drop(w, &w->maps[rnd(w, MAPS)]);
		m = map_free(w);
	}
	if (fixed)
		pthread_rwlock_wrlock(&map_lock);
	else
		pthread_rwlock_rdlock(&map_lock);
	p = mmap(addr, len, prot, flags, f->fd, off);
	err = p == MAP_FAILED ? errno : 0;
	if (fixed)
		res_repair(w);
	pthread_rwlock_unlock(&map_lock);
	tally(w, fixed ? OP_MMAP_FIXED : OP_MMAP, f->dev, err);
	if (!err)
		*m = (struct map){ p, page_up(len), prot & (PROT_READ |
				   PROT_WRITE | PROT_EXEC), slot, f->dev };
	if (!judged(f))
		return;
	if (f->dev == D_HV) {			/* control.c has no mmap */
		seen(CK_MAPPING);
		if (!err)
			violation(w, CK_MAPPING, "mmap(%zu, prot %#x, flags %#x, off %lld) of %s succeeded",
				  len, prot, flags, (long long)off, HV_DEV);
		return;
	}
	seen(wx ? CK_READONLY : CK_MAPPING);
	if (!err && !tp_mapping_ok(len, prot, flags, off))
		violation(w, wx ? CK_READONLY : CK_MAPPING,
			  "mmap(%zu, prot %#x, flags %#x, off %lld) of %s succeeded",
			  len, prot, flags, (long long)off, TP_DEV);
	else if (err && plain && tp_mapping_ok(len, prot, flags, off))
		violation(w, CK_MAPPING, "mmap(%zu, prot %#x, flags %#x, off 0) of %s: %s",
			  len, prot, flags, TP_DEV, en(err));
	if (!err && rnd(w, 2))
		map_read(w, m);
}

static void op_mprotect(struct worker *w, struct map *m)
{
	static const int extra[] = { 0, 0, 0, PROT_SEM, PROT_GROWSDOWN,
				     PROT_GROWSUP };
	int prot = rnd(w, 8), err;
	size_t len = rnd(w, 3) ? m->len : 1;
	char *addr = m->addr + (rnd(w, 10) ? 0 : 1);

	err = mprotect(addr, len, prot | PICK(w, extra)) ? errno : 0;
	tally(w, OP_MPROTECT, m->dev, err);
	/* chardev.c clears VM_MAYWRITE and VM_MAYEXEC at mmap(). */
	if (m->dev == D_TP && (prot & (PROT_WRITE | PROT_EXEC))) {
		seen(CK_READONLY);
		if (!err)
			violation(w, CK_READONLY, "mprotect(%p, %zu, %#x) of a mapping of %s succeeded",
				  addr, len, prot, TP_DEV);
	}
	/* What may be read: of all its pages, if not all changed. */
	if (!err)
		m->prot = len >= m->len ? prot : m->prot & prot;
}

/*
 * Grow (the kernel refuses: VM_DONTEXPAND, VM_PFNMAP), shrink, move to a
 * free place of the reservation, or keep the old one (DONTUNMAP); all
 * under the write map_lock, since any may leave a reservation page unmapped.
 */
static void op_mremap(struct worker *w, struct map *m)
{
	size_t nlen = m->len;
	int flags = 0, dslot = -1, err;
	char *to = NULL, *p;

	switch (rnd(w, 5)) {
	case 0:
		nlen += page_size;
		break;
	case 1:
		nlen += page_size;
		flags = MREMAP_MAYMOVE;
		break;
	case 2:
		nlen = rnd(w, 2) ? 1 : 0;
		break;
	case 3:
		flags = MREMAP_MAYMOVE | MREMAP_DONTUNMAP;
		break;
	default:
		if (m->len > (size_t)RES_PAGES * page_size)
			return;
		dslot = rnd(w, RES_PAGES - m->len / page_size + 1);
		if (!slots_free(w, dslot, m->len / page_size))
			return;
		to = w->res + dslot * page_size;
		flags = MREMAP_MAYMOVE | MREMAP_FIXED;
	}
	pthread_rwlock_wrlock(&map_lock);
	p = mremap(m->addr, m->len, nlen, flags, to);
	err = p == MAP_FAILED ? errno : 0;
	if (!err && (flags & MREMAP_DONTUNMAP))
		munmap(m->addr, m->len);	/* what stays has no pages */
	if (!err && p != m->addr && m->slot >= 0)
		munmap(m->addr, m->len);
	res_repair(w);
	pthread_rwlock_unlock(&map_lock);
	tally(w, OP_MREMAP, m->dev, err);
	if (err)
		return;
	if (m->dev == D_TP && page_up(nlen) > m->len) {
		seen(CK_MAPPING);
		violation(w, CK_MAPPING, "mremap of a mapping of %s from %zu to %zu bytes succeeded",
			  TP_DEV, m->len, nlen);
	}
	m->addr = p;
	m->len = page_up(nlen) ? page_up(nlen) : m->len;
	m->slot = dslot;
	if (p >= w->res && p < w->res + RES_PAGES * page_size)
		m->slot = (p - w->res) / page_size;
	map_read(w, m);
}

/* Nothing here may take the page away from a mapping; reads follow. */
static void op_madvise(struct worker *w, struct map *m)
{
	static const int advice[] = { MADV_NORMAL, MADV_RANDOM,
		MADV_SEQUENTIAL, MADV_WILLNEED, MADV_DONTNEED, MADV_FREE,
		MADV_REMOVE, MADV_MERGEABLE, MADV_HUGEPAGE, MADV_DONTDUMP,
		MADV_DODUMP, MADV_COLD, MADV_PAGEOUT, MADV_POPULATE_READ,
		MADV_POPULATE_WRITE, MADV_COLLAPSE, 12345 };

	tally(w, OP_MADVISE, m->dev,
	      madvise(m->addr, m->len, PICK(w, advice)) ? errno : 0);
	map_read(w, m);
}

static void op_munmap(struct worker *w, struct map *m)
{
	size_t len = rnd(w, 2) ? m->len : 1;
	int err;

	if (!rnd(w, 8)) {		/* misaligned: refused, stays */
		tally(w, OP_MUNMAP, m->dev,
		      munmap(m->addr + 1, m->len) ? errno : 0);
		return;
	}
	if (m->slot >= 0)
		pthread_rwlock_wrlock(&map_lock);
	err = munmap(m->addr, len) ? errno : 0;
	if (m->slot >= 0) {
		res_repair(w);
		pthread_rwlock_unlock(&map_lock);
	}
	tally(w, OP_MUNMAP, m->dev, err);
	if (err)
		return;
	if (page_up(len) < m->len) {	/* the rest stays */
		m->addr += page_up(len);
		m->len -= page_up(len);
		if (m->slot >= 0)
			m->slot += page_up(len) / page_size;
	} else {
		m->addr = NULL;
	}
}

/* ------------------------------------------------------ read and write */

static void timer_arm(struct worker *w)
{
	struct itimerspec its = {
		.it_value.tv_nsec = (1 + rnd(w, 4)) * 1000000,
	};

	timer_settime(w->timer, 0, &its, NULL);
}

static void timer_disarm(struct worker *w)
{
	struct itimerspec its = { 0 };

	timer_settime(w->timer, 0, &its, NULL);
}

static void check_events(struct worker *w, const struct tscpage_event *e,
			 size_t n)
{
	for (size_t i = 0; i < n; i++, e++)
		if (e->type < TSCPAGE_EVENT_NOTIFIED ||
		    e->type > TSCPAGE_EVENT_WITHDRAWN || e->reserved0 ||
		    e->reserved[0] || e->reserved[1] || !e->seq)
			violation(w, CK_READ, "event seq %llu: type %u, reserved %#x %#llx %#llx",
				  (unsigned long long)e->seq, e->type,
				  e->reserved0,
				  (unsigned long long)e->reserved[0],
				  (unsigned long long)e->reserved[1]);
}

/*
 * read(), pread() and readv() of odd sizes into good and bad buffers,
 * interrupted by the timer if they block. Where the buffer is good and
 * large, the kernel writes at most to the end of the scratch's two
 * writable pages: the read-only page after them stops it.
 */
static void op_read(struct worker *w, int fd, const struct own_fd *f,
		    enum op op)
{
	const size_t ev = sizeof(struct tscpage_event);
	size_t counts[] = { 0, 1, 7, ev - 1, ev, ev + 1, 2 * ev, 3 * ev,
		page_size + 1, 2 * page_size, 1UL << 30, SIZE_MAX };
	off_t offs[] = { 0, 1, page_size, -1, INT64_MAX };
	/* Less than one event: refused at once, by events.c, never waits. */
	const size_t short_counts[] = { 0, 1, 7, ev - 1 };
	enum dev dev = f ? f->dev : D_POOL;
	enum ptr kind = rnd(w, 3) ? P_GOOD : rnd(w, N_PTRS);
	bool may_wait = !f || f->dev != D_TP || (f->flags & O_NONBLOCK) ||
			!rnd(w, WAIT_ONE_IN);
	size_t count = may_wait ? PICK(w, counts) : PICK(w, short_counts);
	size_t total = 0;
	struct iovec iov[4];
	int n = may_wait ? 1 + rnd(w, 4) : 1, i;
	char *p = ptr_of(w, kind, count < 4096 ? count : 4096);
	ssize_t ret;
	int err;

	if (op == OP_READV)
		for (i = 0; i < n; i++) {
			iov[i].iov_len = may_wait ?
					 PICK(w, counts) % (3 * ev + 2) :
					 PICK(w, short_counts);
			iov[i].iov_base = ptr_of(w, kind, iov[i].iov_len);
			total += iov[i].iov_len;
		}
	timer_arm(w);
	if (op == OP_READ)
		ret = read(fd, p, count);
	else if (op == OP_PREAD)
		ret = pread(fd, p, count, PICK(w, offs));
	else
		ret = readv(fd, ptr_unreadable(kind) && kind != P_HOLE &&
			    !rnd(w, 4) ? (struct iovec *)p : iov, n);
	err = ret < 0 ? errno : 0;
	timer_disarm(w);
	tally(w, op, dev, err);
	if (!f || !judged(f))
		return;
	if (op == OP_READV)
		count = total;
	if (dev == D_HV) {		/* control.c has no read */
		seen(CK_READ);
		if (ret >= 0)
			violation(w, CK_READ, "%s of %s returned %zd", op_names[op],
				  HV_DEV, ret);
		return;
	}
	seen(CK_READ);
	/* Not one byte where the kernel may not write (events.c:98). */
	if (ptr_unwritable(kind) && kind != P_STRADDLE_RO && op != OP_READV) {
		seen(CK_BADPTR);
		if (ret > 0 && really_accepted(kind))
			violation(w, CK_BADPTR, "%s of %zu bytes into %p returned %zd",
				  op_names[op], count, (void *)p, ret);
	}
	if (ret >= 0 && (ret % ev || (size_t)ret > count ||
			 (op != OP_READV && count < ev)))
		violation(w, CK_READ, "%s of %zu bytes returned %zd: whole events only",
			  op_names[op], count, ret);
	else if (ret > 0 && kind == P_GOOD && op != OP_READV)
		check_events(w, (void *)p, ret / ev);
	/* events.c: a buffer smaller than one event is -EINVAL. */
	if (ret < 0 && kind == P_GOOD && op == OP_READ && count < ev &&
	    (f->flags & O_ACCMODE) == O_RDONLY && err != EINVAL &&
	    err != EINTR)
		violation(w, CK_READ, "read of %zu bytes: %s, expected EINVAL",
			  count, en(err));
}

/* Neither driver has a write method. */
static void op_write(struct worker *w, const struct own_fd *f)
{
	size_t counts[] = { 0, 1, 64, page_size + 1 };
	enum ptr kind = rnd(w, 2) ? P_GOOD : rnd(w, N_PTRS);
	size_t count = PICK(w, counts);
	char *p = ptr_of(w, kind, count);
	ssize_t ret;

	ret = rnd(w, 2) ? write(f->fd, p, count) :
	      pwrite(f->fd, p, count, rnd(w, 2) ? 0 : page_size);
	tally(w, OP_WRITE, f->dev, ret < 0 ? errno : 0);
	if (!judged(f) || !count)
		return;
	seen(CK_READONLY);
	if (ret >= 0)
		violation(w, CK_READONLY, "write of %zu bytes to %s returned %zd",
			  count, dev_paths[f->dev], ret);
}

/* -------------------------------------------------------------- polling */

static short poll_events(struct worker *w)
{
	static const short ev[] = { POLLIN, POLLOUT, POLLPRI, POLLRDHUP,
				    POLLRDNORM, POLLWRNORM, 0x7fff };

	return PICK(w, ev) | (rnd(w, 2) ? PICK(w, ev) : 0);
}

static void op_poll(struct worker *w, bool ppoll_it)
{
	struct pollfd pfd[3];
	struct timespec ts = { 0, rnd(w, WAIT_ONE_IN) ? 0 : rnd(w, 2000001) };
	enum dev dev = D_POOL;
	int n = 1 + rnd(w, 3), i, ret;
	struct own_fd *f;

	for (i = 0; i < n; i++) {
		f = fd_any(w);
		pfd[i].fd = f ? f->fd : rnd(w, 2) ? -1 : atomic_load(&pool[0]);
		pfd[i].events = poll_events(w);
		if (f && n == 1)
			dev = f->dev;
	}
	ret = ppoll_it ? ppoll(pfd, n, &ts, NULL) :
			 poll(pfd, n, rnd(w, WAIT_ONE_IN) ? 0 : rnd(w, 3));
	tally(w, ppoll_it ? OP_PPOLL : OP_POLL, dev, ret < 0 ? errno : 0);
}

static void op_epoll(struct worker *w, struct own_fd *f)
{
	static const uint32_t flags[] = { 0, EPOLLET, EPOLLONESHOT,
					  EPOLLEXCLUSIVE, EPOLLWAKEUP };
	struct epoll_event ev = { .events = poll_events(w) | PICK(w, flags) };
	struct epoll_event out[8];

	tally(w, OP_EPOLL, f->dev,
	      epoll_ctl(w->epfd, 1 + rnd(w, 3), f->fd, &ev) ? errno : 0);
	tally(w, OP_EPOLL, f->dev,
	      epoll_wait(w->epfd, out, 8,
			 rnd(w, WAIT_ONE_IN) ? 0 : rnd(w, 3)) < 0 ? errno : 0);
}

/* Both files are noop_llseek: the position is 0, whatever is asked. */
static void op_lseek(struct worker *w, const struct own_fd *f)
{
	off_t offs[] = { 0, 1, -1, page_size, INT64_MAX, INT64_MIN };
	int whence = rnd(w, 7);
	off_t ret = lseek(f->fd, PICK(w, offs), whence);

	tally(w, OP_LSEEK, f->dev, ret < 0 ? errno : 0);
	if (!judged(f))
		return;
	seen(CK_READ);
	if (ret > 0)
		violation(w, CK_READ, "lseek(whence %d) of %s returned %lld",
			  whence, dev_paths[f->dev], (long long)ret);
}

static void op_fcntl(struct worker *w, struct own_fd *f)
{
	static const int fl[] = { O_NONBLOCK, O_APPEND, O_ASYNC, O_DIRECT,
				  O_NOATIME };
	struct own_fd *d;
	int ret;

	switch (rnd(w, 4)) {
	case 0:
		ret = fcntl(f->fd, F_SETFL, fcntl(f->fd, F_GETFL) ^
			    PICK(w, fl));
		break;
	case 1:
		ret = fcntl(f->fd, F_SETFD, rnd(w, 2) ? FD_CLOEXEC : 0);
		break;
	default:
		d = fd_free(w);
		if (!d)
			return;
		ret = rnd(w, 2) ? dup(f->fd) : fcntl(f->fd, F_DUPFD_CLOEXEC, 0);
		tally(w, OP_DUP, f->dev, ret < 0 ? errno : 0);
		if (ret >= 0)
			*d = (struct own_fd){ ret, f->dev, f->flags };
		return;
	}
	tally(w, OP_FCNTL, f->dev, ret < 0 ? errno : 0);
}

/* -------------------------------------------------------------- fork */

/*
 * The child has a copy of every mapping: it reads one, may unmap it or
 * close files, asks INFO/STATUS, and leaves; only system calls, no
 * stdio or locks of the parent's other threads. Exit 3: the read faulted.
 */
static void op_fork(struct worker *w)
{
	struct map *m = map_any(w);
	int status = 0, code = 0, i;
	pid_t pid, r = 0;

	pid = fork();
	tally(w, OP_FORK, m ? m->dev : D_POOL, pid < 0 ? errno : 0);
	if (pid < 0)
		return;
	if (!pid) {
		if (m && m->dev == D_TP && (m->prot & PROT_READ) &&
		    probe(m->addr, m->len))
			code = 3;
		if (m && rnd(w, 2))
			munmap(m->addr, m->len);
		for (i = 0; i < OWN_FDS; i++) {
			if (w->fds[i].fd < 0)
				continue;
			if (rnd(w, 3))
				ioctl(w->fds[i].fd, w->fds[i].dev == D_TP ?
				      kcmd[0] : kcmd[1], w->scratch);
			if (rnd(w, 2))
				close(w->fds[i].fd);
		}
		_exit(code);
	}
	seen(CK_FORK);
	for (i = 0; i < FORK_WAIT_MS; i++) {
		r = waitpid(pid, &status, WNOHANG);
		if (r == pid || (r < 0 && errno != EINTR))
			break;
		sleep_us(1000);
	}
	if (r != pid) {
		kill(pid, SIGKILL);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		violation(w, CK_FORK, "child %d still there after %d ms: killed",
			  pid, FORK_WAIT_MS);
	} else if (WIFEXITED(status) && WEXITSTATUS(status) == 3) {
		seen(CK_SIGNAL);
		violation(w, CK_SIGNAL, "the forked child faulted reading the mapping at %p",
			  m->addr);
	} else if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		violation(w, CK_FORK, "child %d: status %#x", pid, status);
	}
}

/* ------------------------------------------------------------- workers */

/* Close and unmap all: the reload thread wants the modules free. */
static void drain(struct worker *w)
{
	int i, fd;

	for (i = 0; i < OWN_FDS; i++)
		if (w->fds[i].fd >= 0) {
			close(w->fds[i].fd);
			w->fds[i].fd = -1;
		}
	for (i = 0; i < MAPS; i++)
		if (w->maps[i].addr)
			map_drop(w, &w->maps[i]);
	for (i = 0; i < POOL_FDS; i++) {
		fd = atomic_exchange(&pool[i], -1);
		if (fd >= 0)
			close(fd);
	}
}

/* The mix of calls, in thousandths, and what each needs. */
enum { NEED_FD = 1, NEED_MAP = 2, NEED_POOL = 4 };
static const struct {
	unsigned short weight;
	unsigned char op, needs;
} mix[] = {
	{ 70, OP_OPEN, 0 },		{ 40, OP_CLOSE, NEED_FD },
	{ 15, OP_POOL_OPEN, 0 },	{ 10, OP_POOL_CLOSE, 0 },
	{ 15, OP_FCNTL, NEED_FD },	{ 250, OP_INFO, NEED_FD },
	{ 25, OP_MMAP, NEED_FD },	{ 15, OP_MMAP_FIXED, NEED_FD },
	{ 10, OP_UNKNOWN, NEED_POOL },	{ 50, OP_MAP_READ, NEED_MAP },
	{ 25, OP_MPROTECT, NEED_MAP },	{ 25, OP_MREMAP, NEED_MAP },
	{ 15, OP_MADVISE, NEED_MAP },	{ 35, OP_MUNMAP, NEED_MAP },
	{ 60, OP_READ, NEED_FD },	{ 20, OP_PREAD, NEED_FD },
	{ 10, OP_READV, NEED_FD },	{ 10, OP_READ, NEED_POOL },
	{ 20, OP_WRITE, NEED_FD },	{ 40, OP_POLL, 0 },
	{ 20, OP_PPOLL, 0 },		{ 40, OP_EPOLL, NEED_FD },
	{ 20, OP_LSEEK, NEED_FD },	{ 10, OP_MMAP, NEED_POOL },
	{ 150, OP_STATUS, NEED_FD },
};

/* A pool file mapped and unmapped, never read: it may be stale. */
static void pool_mmap(struct worker *w, int fd)
{
	void *p;

	pthread_rwlock_rdlock(&map_lock);
	p = mmap(NULL, page_size, PROT_READ, MAP_SHARED, fd, 0);
	if (p != MAP_FAILED)
		munmap(p, page_size);
	pthread_rwlock_unlock(&map_lock);
	tally(w, OP_MMAP, D_POOL, p == MAP_FAILED ? errno : 0);
}

static void one_call(struct worker *w)
{
	struct own_fd *f = fd_any(w);
	struct map *m = map_any(w);
	int fd = atomic_load(&pool[rnd(w, POOL_FDS)]);
	unsigned int r = rnd(w, 1000), i, op, needs;

	if (!rnd(w, FORK_ONE_IN)) {
		atomic_store(&w->cur_op, OP_FORK);
		op_fork(w);
		return;
	}
	for (i = 0; i < ARRAY_SIZE(mix) - 1 && r >= mix[i].weight; i++)
		r -= mix[i].weight;
	op = mix[i].op;
	needs = mix[i].needs;
	/* Without what it needs, the call that makes it. */
	if ((needs & NEED_MAP) && !m)
		op = OP_MMAP, needs = NEED_FD;
	if ((needs & NEED_FD) && !f)
		op = OP_OPEN, needs = 0;
	if ((needs & NEED_POOL) && fd < 0)
		op = OP_POOL_OPEN, needs = 0;
	atomic_store(&w->cur_op, op);

	switch (op) {
	case OP_OPEN:
		op_open(w);
		break;
	case OP_CLOSE:
		tally(w, OP_CLOSE, f->dev, close(f->fd) ? errno : 0);
		f->fd = -1;
		break;
	case OP_POOL_OPEN:
	case OP_POOL_CLOSE:
		op_pool(w, op == OP_POOL_OPEN);
		break;
	case OP_FCNTL:
		op_fcntl(w, f);
		break;
	case OP_INFO:			/* ioctls on our own files */
	case OP_STATUS:
		do_ioctl(w, f->fd, f);
		break;
	case OP_UNKNOWN:		/* ioctls on a pool file */
		do_ioctl(w, fd, NULL);
		break;
	case OP_MMAP:
		if (needs & NEED_POOL)
			pool_mmap(w, fd);
		else
			op_mmap(w, f, false);
		break;
	case OP_MMAP_FIXED:
		op_mmap(w, f, true);
		break;
	case OP_MAP_READ:
		map_read(w, m);
		break;
	case OP_MPROTECT:
		op_mprotect(w, m);
		break;
	case OP_MREMAP:
		op_mremap(w, m);
		break;
	case OP_MADVISE:
		op_madvise(w, m);
		break;
	case OP_MUNMAP:
		op_munmap(w, m);
		break;
	case OP_READ:
	case OP_PREAD:
	case OP_READV:
		if (needs & NEED_POOL)
			op_read(w, fd, NULL, op);
		else
			op_read(w, f->fd, f, op);
		break;
	case OP_WRITE:
		op_write(w, f);
		break;
	case OP_POLL:
	case OP_PPOLL:
		op_poll(w, op == OP_PPOLL);
		break;
	case OP_EPOLL:
		op_epoll(w, f);
		break;
	default:
		op_lseek(w, f);
	}
}

static void *worker_fn(void *arg)
{
	struct worker *w = arg;
	struct sigevent sev = {
		.sigev_notify = SIGEV_THREAD_ID,
		.sigev_signo = SIGUSR1,
	};
	int i;

	w->scratch = map_anon(NULL, 4 * page_size, PROT_READ | PROT_WRITE, 0);
	w->res = map_anon(NULL, RES_PAGES * page_size, PROT_NONE, 0);
	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	sev.sigev_notify_thread_id = gettid();
	if (w->scratch == MAP_FAILED || w->res == MAP_FAILED || w->epfd < 0 ||
	    timer_create(CLOCK_MONOTONIC, &sev, &w->timer))
		ksft_exit_fail_msg("thread %u setup: %s\n", w->idx,
				   strerror(errno));
	/*
	 * The read-only page: 0x80 bytes, so that any command read from it,
	 * whole or in part, has a reserved field or a number out of range.
	 */
	memset(w->scratch + 2 * page_size, 0x80, page_size);
	mprotect(w->scratch + 2 * page_size, page_size, PROT_READ);
	mprotect(w->scratch + 3 * page_size, page_size, PROT_NONE);
	for (i = 0; i < OWN_FDS; i++)
		w->fds[i].fd = -1;
	w->gen = atomic_load(&drain_gen);
	pthread_barrier_wait(&start_barrier);

	while (atomic_fetch_add(&claimed, 1) < max_calls) {
		if (atomic_load(&drain_gen) != w->gen) {
			w->gen = atomic_load(&drain_gen);
			drain(w);
			if (atomic_load(&quiesce)) {
				atomic_fetch_add(&quiet, 1);
				while (atomic_load(&quiesce))
					sleep_us(500);
				atomic_fetch_sub(&quiet, 1);
			} else {
				/* Staggered: all let go at once, sometimes. */
				sleep_us(rnd(w, 3000));
			}
		}
		one_call(w);
		atomic_store(&w->cur_op, OP_IDLE);
		atomic_fetch_add(&done, 1);
	}

	drain(w);
	atomic_fetch_add(&quiet, 1);
	timer_delete(w->timer);
	close(w->epfd);
	munmap(w->scratch, 4 * page_size);
	munmap(w->res, RES_PAGES * page_size);
	return NULL;
}

/* -------------------------------------------------------------- reload */

struct module {
	const char *name;
	bool at_start;
	char params[512];	/* as loaded at the start */
	char format[32];	/* tscpage_hvsim's */
	/* [unload, load][errno] */
	uint64_t errs[2][N_ERRB];
};

static struct module mods[2] = { { .name = HV_MOD }, { .name = TP_MOD } };
static const char *module_dir;

/* The parameters it was loaded with, from sysfs, to load it alike. */
static void module_params(struct module *m)
{
	char dir[PATH_MAX], path[PATH_MAX + 256], val[128];
	struct dirent *de;
	size_t n = 0;
	DIR *d;

	snprintf(dir, sizeof(dir), "/sys/module/%s/parameters", m->name);
	d = opendir(dir);
	if (!d)
		return;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (sysfs_read_line(path, val, sizeof(val)) ||
		    !strcmp(val, "(null)") || strchr(val, ' '))
			continue;
		if (!strcmp(de->d_name, "format")) {
			snprintf(m->format, sizeof(m->format), "%.31s", val);
			continue;
		}
		n += snprintf(m->params + n, sizeof(m->params) - n, "%s%s=%s",
			      n ? " " : "", de->d_name, val);
		if (n >= sizeof(m->params))
			ksft_exit_fail_msg("%s: too many parameters\n", m->name);
	}
	closedir(d);
}

static bool ko_exists(const char *name)
{
	char path[PATH_MAX];
	struct utsname u;

	if (module_dir)
		snprintf(path, sizeof(path), "%s/%s.ko", module_dir, name);
	else if (!uname(&u))
		snprintf(path, sizeof(path), "/lib/modules/%s/extra/%s.ko",
			 u.release, name);
	return !access(path, R_OK);
}

static int mod_unload(struct module *m)
{
	int err = kmod_unload(m->name);

	m->errs[0][err > -N_ERRB ? -err : N_ERRB - 1]++;
	return err;
}

/* tscpage_hvsim with @format (NULL: the one of the start), or tscpage. */
static int mod_load(struct module *m, const char *format)
{
	struct tscpage_hvsim_fault_req none = { 0 };
	char params[600];
	int err, fd;

	if (m == &mods[0]) {
		snprintf(params, sizeof(params), "%s format=%s", m->params,
			 format ? format : m->format);
		err = kmod_load(m->name, params);
	} else {
		/* No page fault may be going on when tscpage first reads. */
		pthread_rwlock_wrlock(&fault_lock);
		fd = open(HV_DEV, O_RDWR | O_CLOEXEC);
		if (fd >= 0) {
			ioctl(fd, TSCPAGE_HVSIM_IOC_FAULT, &none);
			close(fd);
		}
		err = kmod_load(m->name, m->params);
		pthread_rwlock_unlock(&fault_lock);
	}
	m->errs[1][err > -N_ERRB ? -err : N_ERRB - 1]++;
	return err;
}

/* Unload, retried for up to 20 ms while the workers let go. */
static int unload_retry(struct module *m)
{
	int64_t end = now_ns() + 20000000;
	int err;

	do {
		err = mod_unload(m);
		if (err != -EAGAIN && err != -EBUSY)
			break;
		sleep_us(200);
	} while (now_ns() < end);
	return err;
}

static bool hv_format_is(const char *format)
{
	char val[32];

	return !sysfs_read_line("/sys/module/" HV_MOD "/parameters/format",
				val, sizeof(val)) && !strcmp(val, format);
}

/* Both modules as at the start: loaded, tscpage_hvsim in its format. */
static bool modules_restored(void)
{
	return (!mods[0].at_start || (kmod_loaded(HV_MOD) &&
				      hv_format_is(mods[0].format))) &&
	       (!mods[1].at_start || kmod_loaded(TP_MOD));
}

/*
 * Every worker drained and waiting (quiesce), or false after QUIET_MS.
 * The caller turns quiesce off again either way.
 */
static bool workers_quiet(void)
{
	int64_t end = now_ns() + QUIET_MS * 1000000LL;

	atomic_store(&quiesce, true);
	atomic_fetch_add(&drain_gen, 1);
	while (atomic_load(&quiet) < nthreads) {
		if (now_ns() > end)
			return false;
		sleep_us(500);
	}
	return true;
}

/* A random wait of LOADED_MIN_MS to LOADED_MAX_MS after a load. */
static void stay_loaded(uint64_t *rng)
{
	sleep_us((LOADED_MIN_MS + rnd64(rng) %
		  (LOADED_MAX_MS - LOADED_MIN_MS)) * 1000);
}

/*
 * --reload: unload tscpage while the workers open new files (drain_gen
 * asks them to let go of theirs first), leave it out for 2-10 ms of opens
 * that race its absence and its load, and load it back for a while
 * (stay_loaded(), so that most calls find it there: a load takes over a
 * second on a debug kernel). After every three, both modules instead:
 * tscpage_hvsim cannot go while any file or mapping pins it, so the
 * workers stop (workers_quiet()) while the two are unloaded, and race the
 * loads again; the simulator comes back in a random format. Modules are
 * loaded back in order, the simulator first, so that tscpage finds the
 * provider it had. At the end, both as at the start, retried for 30 s.
 */
static void *reload_fn(void *arg)
{
	static const char *const formats[] = { "pvclock", "hvref" };
	uint64_t rng = *(uint64_t *)arg;
	struct module *hv = &mods[0], *tp = &mods[1];
	unsigned int tp_only = 0;	/* tscpage reloads since the last both */
	int64_t end;

	while (!atomic_load(&stop_reload)) {
		if (hv->at_start && !kmod_loaded(hv->name)) {
			if (!mod_load(hv, formats[rnd64(&rng) % 2]) &&
			    !tp->at_start)
				stay_loaded(&rng);
			continue;
		}
		if (tp->at_start && !kmod_loaded(tp->name)) {
			if (!mod_load(tp, NULL))
				stay_loaded(&rng);
			continue;
		}
		if (hv->at_start && (!tp->at_start || tp_only >= 3)) {
			if (workers_quiet() &&
			    (!tp->at_start || !unload_retry(tp)))
				unload_retry(hv);
			atomic_store(&quiesce, false);
			tp_only = 0;
			continue;
		}
		if (!tp->at_start) {		/* neither was loaded */
			sleep_us(10000);
			continue;
		}
		atomic_fetch_add(&drain_gen, 1);
		/*
		 * Refused (a worker's file or mapping still pins it): not a
		 * reload, and no reason to stop every worker for the next.
		 */
		if (unload_retry(tp)) {
			sleep_us(1000 + rnd64(&rng) % 4000);
			continue;
		}
		tp_only++;
		sleep_us(2000 + rnd64(&rng) % 8000);
	}

	end = now_ns() + 30000000000LL;
	while (!modules_restored() && now_ns() < end) {
		if (hv->at_start && kmod_loaded(hv->name) &&
		    !hv_format_is(hv->format)) {
			if (kmod_loaded(tp->name))
				mod_unload(tp);
			mod_unload(hv);
		}
		if (hv->at_start && !kmod_loaded(hv->name))
			mod_load(hv, NULL);
		if (tp->at_start && !kmod_loaded(tp->name) &&
		    (!hv->at_start || kmod_loaded(hv->name)))
			mod_load(tp, NULL);
		sleep_us(10000);
	}
	return NULL;
}

/* ---------------------------------------------------------------- main */

static void usage(FILE *f, const char *prog)
{
	fprintf(f,
		"usage: %s [--seed N] [--calls N] [--threads N] [--reload]\n"
		"          [--module-dir DIR]\n"
		"  --seed N          the generators' seed (default: from the time)\n"
		"  --calls N         calls in all, 1..10^12 (default 1000000)\n"
		"  --threads N       worker threads, 1..%d (default 4)\n"
		"  --reload          one more thread unloads and loads tscpage and\n"
		"                    tscpage_hvsim meanwhile (root); both are left\n"
		"                    loaded as at the start\n"
		"  --module-dir DIR  where the .ko files are, for --reload\n"
		"                    (default /lib/modules/$(uname -r)/extra)\n"
		"Needs /dev/tscpage or /dev/tscpage_hvsim (tscpage_hvsim: root).\n",
		prog, MAX_THREADS);
}

/* "ok 12, EFAULT 3, ..." of @counts, indexed by errno; its total. */
static uint64_t errno_line(char *line, size_t size, const uint64_t *counts)
{
	uint64_t total = 0;
	size_t n = 0;
	char nb[24];

	line[0] = 0;
	for (int e = 0; e < N_ERRB; e++) {
		total += counts[e];
		if (counts[e] && n < size)
			n += snprintf(line + n, size - n, "%s%s %" PRIu64,
				      n ? ", " : "", e == N_ERRB - 1 ? "other" :
				      errname(e, nb, sizeof(nb)), counts[e]);
	}
	return total;
}

static void print_summary(uint64_t (*errs)[N_OPS][N_ERRB])
{
	uint64_t hist[N_ERRB], calls;
	char line[1024];
	int d, o, e;

	ksft_print_msg("calls per device and operation, then their outcomes:\n");
	for (d = 0; d < N_DEVS; d++) {
		memset(hist, 0, sizeof(hist));
		for (o = 0; o < N_OPS; o++) {
			for (e = 0; e < N_ERRB; e++)
				hist[e] += errs[d][o][e];
			calls = errno_line(line, sizeof(line), errs[d][o]);
			if (calls)
				ksft_print_msg("  %-13s %-15s %10" PRIu64 ": %s\n",
					       dev_names[d], op_names[o], calls,
					       line);
		}
		if (errno_line(line, sizeof(line), hist))
			ksft_print_msg("errnos, %s: %s\n", dev_names[d], line);
	}
}

static void print_reloads(void)
{
	static const char *const what[2] = { "unload", "load" };
	char line[512];

	for (int m = 0; m < 2; m++)
		for (int a = 0; a < 2; a++)
			if (errno_line(line, sizeof(line), mods[m].errs[a]))
				ksft_print_msg("reload: %s %s: %s\n", what[a],
					       mods[m].name, line);
}

/* The simulator as found: no fault, its update rate. */
static void hvsim_tidy(void)
{
	struct tscpage_hvsim_fault_req none = { 0 };
	struct tscpage_hvsim_status st;
	int fd = open(HV_DEV, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return;
	if (ioctl(fd, TSCPAGE_HVSIM_IOC_FAULT, &none))
		ksft_print_msg("ending the simulator's fault: %s\n",
			       strerror(errno));
	if (hv_start_ok &&
	    ioctl(fd, TSCPAGE_HVSIM_IOC_RATE, &hv_start.update_hz))
		ksft_print_msg("setting the update rate back to %u: %s\n",
			       hv_start.update_hz, strerror(errno));
	if (!ioctl(fd, TSCPAGE_HVSIM_IOC_STATUS, &st))
		ksft_print_msg("tscpage_hvsim at the end: format %u, update_hz %u, migrations %" PRIu64 ", notifications %" PRIu64 ", acks %" PRIu64 ", ack timeouts %" PRIu64 "\n",
			       st.format, st.update_hz, (uint64_t)st.migrations,
			       (uint64_t)st.notifications, (uint64_t)st.acks,
			       (uint64_t)st.ack_timeouts);
	close(fd);
}

int main(int argc, char **argv)
{
	static uint64_t errs[N_DEVS][N_OPS][N_ERRB];
	struct sigaction sa = { .sa_handler = fault_handler };
	uint64_t seed, u, last = 0, next_mark, reload_seed;
	struct worker *workers;
	bool reload = false;
	pthread_rwlockattr_t rwa;
	pthread_t reloader;
	int64_t last_t;
	unsigned int i;
	int opt, fd, d, e;
	struct timespec ts;
	const struct arg_spec specs[] = {
		ARG_U64("seed", 0, &seed, 0, UINT64_MAX),
		ARG_U64("calls", 0, &max_calls, 1, 1000000000000ULL),
		ARG_U64("threads", 0, &u, 1, MAX_THREADS),
		ARG_FLAG("reload", 0, &reload),
		ARG_STR("module-dir", 0, &module_dir),
		ARG_END,
	};

	max_calls = 1000000;
	clock_gettime(CLOCK_REALTIME, &ts);
	seed = ((uint64_t)ts.tv_sec * 1000000000 + ts.tv_nsec) ^
	       ((uint64_t)getpid() << 40);
	u = 0;
	opt = args_parse(argc, argv, specs, usage);
	if (opt >= 0)
		return opt;
	if (u)
		nthreads = u;
	if (module_dir)
		kmod_set_dir(module_dir);

	ksft_print_header();
	ksft_print_msg("seed %" PRIu64 "\n", seed);
	ksft_print_msg("replay: %s --seed %" PRIu64 " --calls %" PRIu64 " --threads %u%s%s%s\n",
		       argv[0], seed, max_calls, nthreads,
		       reload ? " --reload" : "", module_dir ? " --module-dir " : "",
		       module_dir ? module_dir : "");
	page_size = sysconf(_SC_PAGESIZE);
	cpus = cpus_allowed(&ncpus);
	for (d = 0, e = 0; d < 2; d++)
		if (access(dev_paths[d], F_OK) && ++e)
			ksft_print_msg("%s: %s: its opens will fail\n",
				       dev_paths[d], strerror(errno));
	if (e == 2)
		ksft_exit_skip("neither " TP_DEV " nor " HV_DEV " exists: load tscpage_hvsim and tscpage first\n");

	for (i = 0; i < 2; i++) {
		mods[i].at_start = kmod_loaded(mods[i].name);
		if (mods[i].at_start)
			module_params(&mods[i]);
	}
	if (!mods[0].format[0])
		snprintf(mods[0].format, sizeof(mods[0].format), "pvclock");
	if (reload) {
		if (geteuid())
			ksft_exit_skip("--reload: loading modules needs root\n");
		for (i = 0; i < 2; i++)
			if (mods[i].at_start && !ko_exists(mods[i].name))
				ksft_exit_skip("--reload: no %s.ko to load back (--module-dir %s)\n",
					       mods[i].name, module_dir ?
					       module_dir : "not given");
		ksft_print_msg("reloading: %s%s%s%s (format %s)\n",
			       mods[1].at_start ? TP_MOD " [" : "",
			       mods[1].at_start ? mods[1].params : "",
			       mods[1].at_start ? "] " : "",
			       mods[0].at_start ? HV_MOD : "", mods[0].format);
	}

	/*
	 * What the simulator allows decides which TSC writes may be sent:
	 * only ones it must refuse, never one that moves a TSC.
	 */
	fd = open(HV_DEV, O_RDWR | O_CLOEXEC);
	if (fd >= 0 && !ioctl(fd, TSCPAGE_HVSIM_IOC_STATUS, &hv_start)) {
		hv_start_ok = true;
		if (!(hv_start.flags & TSCPAGE_HVSIM_TSC_WRITES))
			tsc_write_errno = EPERM;
		else if (hv_start.flags & TSCPAGE_HVSIM_TSC_IGNORED)
			tsc_write_errno = EOPNOTSUPP;
		ksft_print_msg("tscpage_hvsim: format %u, update_hz %u, flags %#x: %s\n",
			       hv_start.format, hv_start.update_hz,
			       hv_start.flags, tsc_write_errno ?
			       "TSC writes are sent, to be refused" :
			       "TSC writes allowed: none is sent");
	}
	if (fd >= 0)
		close(fd);

	ksft_set_plan(N_CHECKS);
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSEGV, &sa, NULL) || sigaction(SIGBUS, &sa, NULL))
		ksft_exit_fail_perror("sigaction");
	sa.sa_handler = timer_handler;		/* no SA_RESTART: EINTR */
	if (sigaction(SIGUSR1, &sa, NULL))
		ksft_exit_fail_perror("sigaction");
	pthread_rwlockattr_init(&rwa);
	pthread_rwlockattr_setkind_np(&rwa,
		PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&fault_lock, &rwa);
	pthread_rwlock_init(&map_lock, NULL);
	pthread_barrier_init(&start_barrier, NULL, nthreads);
	for (i = 0; i < POOL_FDS; i++)
		atomic_init(&pool[i], -1);

	workers = calloc(nthreads, sizeof(*workers));
	if (!workers)
		ksft_exit_fail_perror("calloc");
	for (i = 0; i < nthreads; i++) {
		workers[i].idx = i;
		workers[i].rng = seed + i;
		rnd64(&workers[i].rng);
		atomic_init(&workers[i].cur_op, OP_IDLE);
		if (pthread_create(&workers[i].thread, NULL, worker_fn,
				   &workers[i]))
			ksft_exit_fail_msg("pthread_create\n");
	}
	reload_seed = seed + MAX_THREADS;
	if (reload && pthread_create(&reloader, NULL, reload_fn, &reload_seed))
		ksft_exit_fail_msg("pthread_create\n");

	/* Progress every 10%, and a call stuck for STALL_S is a finding. */
	next_mark = max_calls / 10;
	last_t = now_ns();
	while ((u = atomic_load(&done)) < max_calls) {
		if (u != last) {
			last = u;
			last_t = now_ns();
		} else if (now_ns() - last_t > STALL_S * 1000000000LL) {
			for (i = 0; i < nthreads; i++)
				ksft_print_msg("thread %u in: %s\n", i,
					       op_names[workers[i].cur_op]);
			ksft_exit_fail_msg("no call returned for %d s (seed %" PRIu64 ")\n",
					   STALL_S, seed);
		}
		if (next_mark && u >= next_mark) {
			pthread_mutex_lock(&print_lock);
			ksft_print_msg("device_fuzz: %" PRIu64 "/%" PRIu64 " calls\n",
				       u, max_calls);
			pthread_mutex_unlock(&print_lock);
			while (next_mark <= u)
				next_mark += max_calls / 10;
		}
		sleep_us(20000);
	}
	for (i = 0; i < nthreads; i++)
		pthread_join(workers[i].thread, NULL);
	for (i = 0; i < POOL_FDS; i++)
		if ((fd = atomic_exchange(&pool[i], -1)) >= 0)
			close(fd);
	ksft_print_msg("device_fuzz: %" PRIu64 "/%" PRIu64 " calls\n",
		       (uint64_t)atomic_load(&done), max_calls);
	if (reload) {
		atomic_store(&stop_reload, true);
		pthread_join(reloader, NULL);
		seen(CK_LOADED);
		if (!modules_restored())
			violation(NULL, CK_LOADED, "%s %s, %s %s (format wanted: %s)",
				  TP_MOD, kmod_loaded(TP_MOD) ? "loaded" : "not loaded",
				  HV_MOD, kmod_loaded(HV_MOD) ? "loaded" : "not loaded",
				  mods[0].format);
		print_reloads();
	}
	hvsim_tidy();

	for (i = 0; i < nthreads; i++) {
		uint64_t *to = &errs[0][0][0];
		const uint64_t *from = &workers[i].errs[0][0][0];

		for (u = 0; u < sizeof(errs) / sizeof(*to); u++)
			to[u] += from[u];
	}
	free(workers);
	print_summary(errs);

	seen(CK_BUDGET);
	if (atomic_load(&done) < max_calls)
		violation(NULL, CK_BUDGET, "%" PRIu64 " of %" PRIu64 " calls",
			  (uint64_t)atomic_load(&done), max_calls);
	for (i = 0; i < N_CHECKS; i++) {
		if (!atomic_load(&ck_seen[i]))
			ksft_test_result_skip("%s: %s\n", check_names[i],
					      i == CK_LOADED ? "no --reload" :
					      "never exercised");
		else
			ksft_test_result(!atomic_load(&ck_fail[i]),
					 "%s (%" PRIu64 " checked, %" PRIu64 " failed)\n",
					 check_names[i],
					 (uint64_t)atomic_load(&ck_seen[i]),
					 (uint64_t)atomic_load(&ck_fail[i]));
	}
	ksft_finished();
}
