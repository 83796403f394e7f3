// SPDX-License-Identifier: GPL-2.0
/*
 * dev_tscpage - /dev/tscpage keeps the promises of <linux/tscpage.h>.
 *
 * Runs with tscpage loaded and leaves it loaded and not current. In order:
 *
 *  - the device node is world-readable and nothing more (0444);
 *  - TSCPAGE_IOC_INFO names the provider, a known format and a TSC
 *    frequency, and leaves every reserved field zero;
 *  - one page at offset 0 maps read-only; what it holds is a valid page of
 *    the format INFO named, made for INFO's TSC frequency; an unprivileged
 *    process can map and read it too;
 *  - everything else the ABI refuses is refused, each with its errno:
 *    opening for writing, writable, executable, private, longer or
 *    offset mappings, mprotect() and mremap() of a good mapping, write(),
 *    unknown ioctls, a bad INFO buffer;
 *  - a read() of an O_NONBLOCK file with no event waiting returns EAGAIN
 *    at once, even while another reader of the same open file is blocked
 *    in read() (a dup()ed descriptor, another thread, a forked child);
 *  - with tscpage current, the time read from the mapping is the
 *    clocksource's: CLOCK_MONOTONIC_RAW read just before and just after a
 *    page read brackets it (up to one constant offset), on every CPU;
 *  - an open file, and a mapping alone, keep tscpage from being unloaded.
 *
 * Every refusal is its own result and names the errno it got and the one
 * it expected; a clock failure prints the brackets that failed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <tscpage/reader.h>

#include "kselftest.h"
#include "args.h"
#include "clocksource_sysfs.h"
#include "kmod.h"

#define DEV_PATH	"/dev/tscpage"

/* As tscpage's clocksource: a healthy page never comes close. */
#define MAX_RETRIES	1024

/*
 * A bracket whose page read failed is thrown away and taken again. An
 * hvsim reference page shows sequence 0 for the few stores of each of its
 * rewrites (1000 a second by default), so a failure now and then is
 * expected; failing for this long is not. Counted in time, not in tries:
 * under TCG with one host thread a vCPU can be switched out in the middle
 * of a rewrite for a whole round-robin slice (100 ms of host time), and
 * a reader on another vCPU then meets sequence 0 on every try of a tight
 * loop (seen on 6.1 with the machine loaded: 'page unreadable after 0
 * samples: ENODATA' after 100 tries).
 */
#define BRACKET_RETRY_NS	1000000000LL

/* Brackets that pin down the offset between the page and MONOTONIC_RAW. */
#define OFFSET_BRACKETS	64

/* uid and gid of "nobody": a process without any privilege. */
#define NOBODY		65534

static long page_size;

/* The symbolic name of the errnos this test meets; strerror() otherwise. */
static const char *errname(int err)
{
	switch (err) {
	case 0:		return "success";
	case EPERM:	return "EPERM";
	case ENOENT:	return "ENOENT";
	case EIO:	return "EIO";
	case EBADF:	return "EBADF";
	case EAGAIN:	return "EAGAIN/EWOULDBLOCK";
	case ENOMEM:	return "ENOMEM";
	case EACCES:	return "EACCES";
	case EFAULT:	return "EFAULT";
	case EBUSY:	return "EBUSY";
	case ENODEV:	return "ENODEV";
	case EINVAL:	return "EINVAL";
	case ENOTTY:	return "ENOTTY";
	case ENODATA:	return "ENODATA";
	case ENXIO:	return "ENXIO";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	}
	return strerror(err);
}

/*
 * One refusal: @got is the errno of the call, 0 if it succeeded. @also is
 * a second acceptable errno, or @want again.
 */
static void expect_errno(int got, int want, int also, const char *what)
{
	if (got && (got == want || got == also))
		ksft_test_result_pass("%s: refused with %s\n", what,
				      errname(got));
	else if (want == also)
		ksft_test_result_fail("%s: got %s, expected %s\n", what,
				      errname(got), errname(want));
	else
		ksft_test_result_fail("%s: got %s, expected %s or %s\n", what,
				      errname(got), errname(want),
				      errname(also));
}

static uint64_t raw_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* TSCPAGE_IOC_INFO; 0 or an errno. */
static int get_info(int fd, struct tscpage_info *info)
{
	/*
	 * Poisoned, so that a field the driver leaves unwritten cannot pass
	 * the zero checks by the accident of a zeroed buffer.
	 */
	memset(info, 0xa5, sizeof(*info));
	return ioctl(fd, TSCPAGE_IOC_INFO, info) ? errno : 0;
}

/* ------------------------------------------------------------ the page */

struct read_stats {
	uint64_t reads;
	uint64_t retries;	/* attempts the reader threw away */
	uint64_t invalid;	/* reads that met a reference page's sequence 0 */
	uint64_t busy;		/* reads that gave up (-EAGAIN) */
};

/*
 * The time the mapped @page gives now, computed by the shared reader
 * exactly as the clocksource computes it. 0, or the reader's -errno.
 */
static int page_time(const void *page, __u32 format, uint64_t *ns,
		     struct read_stats *st)
{
	struct tscpage_pvclock_sample pv;
	struct tscpage_hvref_sample hv;
	int err;

	st->reads++;
	if (format == TSCPAGE_FORMAT_PVCLOCK) {
		err = tscpage_pvclock_sample(page, MAX_RETRIES, &pv);
		st->retries += pv.retries;
		if (!err)
			*ns = tscpage_pvclock_ns(&pv.params, pv.tsc);
	} else {
		err = tscpage_hvref_sample(page, MAX_RETRIES, &hv);
		st->retries += hv.retries;
		if (!err)
			*ns = tscpage_hvref_ns(&hv.params, hv.tsc);
	}
	if (err == -ENODATA)
		st->invalid++;
	else if (err == -EAGAIN)
		st->busy++;
	return err;
}

/*
 * One sample of what the page holds, for the content checks: the reader
 * is retried over a reference page's transient sequence 0.
 */
static int page_sample(const void *page, __u32 format,
		       struct tscpage_pvclock_sample *pv,
		       struct tscpage_hvref_sample *hv)
{
	uint64_t start = raw_ns();
	int err;

	do {
		if (format == TSCPAGE_FORMAT_PVCLOCK)
			err = tscpage_pvclock_sample(page, MAX_RETRIES, pv);
		else
			err = tscpage_hvref_sample(page, MAX_RETRIES, hv);
		if (err != -ENODATA && err != -EAGAIN)
			break;
	} while ((int64_t)(raw_ns() - start) < BRACKET_RETRY_NS);
	return err;
}

static const char *format_name(__u32 format)
{
	switch (format) {
	case TSCPAGE_FORMAT_PVCLOCK:	return "pvclock";
	case TSCPAGE_FORMAT_HVREF:	return "hvref";
	}
	return "unknown";
}

static bool format_known(__u32 format)
{
	return format == TSCPAGE_FORMAT_PVCLOCK ||
	       format == TSCPAGE_FORMAT_HVREF;
}

/* ------------------------------------------------------------ INFO */

#define INFO_FLAGS_KNOWN	(TSCPAGE_INFO_TSC_STABLE | TSCPAGE_INFO_CURRENT | \
				 TSCPAGE_INFO_VDSO)

static void check_info(const struct tscpage_info *info, const char *provider)
{
	bool terminated = memchr(info->provider, '\0',
				 sizeof(info->provider)) != NULL;
	unsigned int i;
	bool zero;

	ksft_print_msg("INFO: format %u (%s), flags %#x%s%s%s, provider \"%.*s\", tsc_khz %u, generation %" PRIu64 "\n",
		       info->format, format_name(info->format), info->flags,
		       info->flags & TSCPAGE_INFO_TSC_STABLE ? " TSC_STABLE" : "",
		       info->flags & TSCPAGE_INFO_CURRENT ? " CURRENT" : "",
		       info->flags & TSCPAGE_INFO_VDSO ? " VDSO" : "",
		       (int)sizeof(info->provider), info->provider,
		       info->tsc_khz, (uint64_t)info->generation);

	ksft_test_result(terminated && !strcmp(info->provider, provider),
			 "INFO provider is \"%s\" (got \"%.*s\"%s)\n", provider,
			 (int)sizeof(info->provider), info->provider,
			 terminated ? "" : ", not NUL-terminated");
	ksft_test_result(format_known(info->format),
			 "INFO format is pvclock (%d) or hvref (%d) (got %u)\n",
			 TSCPAGE_FORMAT_PVCLOCK, TSCPAGE_FORMAT_HVREF,
			 info->format);
	ksft_test_result(info->tsc_khz > 0, "INFO tsc_khz > 0 (got %u)\n",
			 info->tsc_khz);

	zero = !info->reserved0 && !(info->flags & ~INFO_FLAGS_KNOWN);
	for (i = 0; i < ARRAY_SIZE(info->reserved); i++)
		zero = zero && !info->reserved[i];
	if (!zero)
		ksft_print_msg("reserved0 %#x, reserved {%#llx, %#llx, %#llx, %#llx}, unknown flags %#x\n",
			       info->reserved0,
			       (unsigned long long)info->reserved[0],
			       (unsigned long long)info->reserved[1],
			       (unsigned long long)info->reserved[2],
			       (unsigned long long)info->reserved[3],
			       info->flags & ~INFO_FLAGS_KNOWN);
	ksft_test_result(zero, "INFO reserved fields and unknown flag bits are zero\n");
}

/*
 * What the mapping holds is a page of INFO's format that a reader can use:
 * a pvclock page with an even version and a non-zero multiplier, a
 * reference page with a non-zero sequence and scale.
 */
static void check_content(const void *page, const struct tscpage_info *info)
{
	struct tscpage_pvclock_sample pv = { 0 };
	struct tscpage_hvref_sample hv = { 0 };
	int err = page_sample(page, info->format, &pv, &hv);

	if (info->format == TSCPAGE_FORMAT_PVCLOCK)
		ksft_test_result(!err && !(pv.params.version & 1) &&
				 pv.params.tsc_to_system_mul,
				 "page is a usable pvclock page: sample %s, version %u, mul %u, shift %d, flags %#x\n",
				 errname(-err), pv.params.version,
				 pv.params.tsc_to_system_mul,
				 pv.params.tsc_shift, pv.params.flags);
	else
		ksft_test_result(!err && hv.params.tsc_sequence &&
				 hv.params.tsc_scale,
				 "page is a usable reference page: sample %s, sequence %u, scale %#llx, offset %lld\n",
				 errname(-err), hv.params.tsc_sequence,
				 (unsigned long long)hv.params.tsc_scale,
				 (long long)hv.params.tsc_offset);
}

/*
 * The page's parameters were made for INFO's tsc_khz (its documented
 * meaning): the TSC rate they imply is that frequency. tsc_khz is whole
 * kHz and the page's multiplier is rounded (hvsim: 31 significant bits,
 * under 2 Hz at 4 GHz), so the two agree to within 1 kHz.
 */
static void check_rate(const void *page, const struct tscpage_info *info)
{
	struct tscpage_pvclock_sample pv = { 0 };
	struct tscpage_hvref_sample hv = { 0 };
	int err = page_sample(page, info->format, &pv, &hv);
	__uint128_t num, den;
	uint64_t hz, want = (uint64_t)info->tsc_khz * 1000;

	if (err) {
		ksft_test_result_fail("page rate matches INFO tsc_khz %u: page unreadable (%s)\n",
				      info->tsc_khz, errname(-err));
		return;
	}
	if (info->format == TSCPAGE_FORMAT_PVCLOCK) {
		/* ns per cycle = mul * 2^shift / 2^32: Hz = 1e9 * 2^32 / that */
		num = (__uint128_t)1000000000u << 32;
		den = pv.params.tsc_to_system_mul;
		if (pv.params.tsc_shift < 0)
			num <<= -pv.params.tsc_shift;
		else
			den <<= pv.params.tsc_shift;
	} else {
		/* 100 ns units per cycle = scale / 2^64: Hz = 1e7 * 2^64 / scale */
		num = (__uint128_t)10000000u << 64;
		den = hv.params.tsc_scale;
	}
	hz = den ? (uint64_t)(num / den) : 0;
	ksft_test_result(hz + 1000 >= want && hz <= want + 1000,
			 "page rate matches INFO: %" PRIu64 " Hz from the page, tsc_khz %u\n",
			 hz, info->tsc_khz);
}

/* ------------------------------------------------- mode and privilege */

static void check_node(void)
{
	struct stat st;

	if (stat(DEV_PATH, &st)) {
		ksft_test_result_fail(DEV_PATH " mode 0444: stat: %s\n",
				      errname(errno));
		return;
	}
	ksft_test_result(S_ISCHR(st.st_mode) && (st.st_mode & 07777) == 0444,
			 DEV_PATH " is a character device with mode 0444 (got %s %04o)\n",
			 S_ISCHR(st.st_mode) ? "char" : "not char",
			 st.st_mode & 07777);
}

enum unpriv_step { UNPRIV_OK, UNPRIV_DROP, UNPRIV_OPEN, UNPRIV_MMAP,
		   UNPRIV_READ };

struct unpriv_result {
	int step;		/* enum unpriv_step that failed */
	int err;		/* its errno */
};

static struct unpriv_result unpriv_map(__u32 format)
{
	struct unpriv_result r = { UNPRIV_OK, 0 };
	struct read_stats st = { 0 };
	const void *page;
	uint64_t ns, start;
	int fd, err;

	if (setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY))
		return (struct unpriv_result){ UNPRIV_DROP, errno };
	fd = open(DEV_PATH, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return (struct unpriv_result){ UNPRIV_OPEN, errno };
	page = mmap(NULL, page_size, PROT_READ, MAP_SHARED, fd, 0);
	if (page == MAP_FAILED)
		return (struct unpriv_result){ UNPRIV_MMAP, errno };
	start = raw_ns();
	do {
		err = page_time(page, format, &ns, &st);
		if (err != -ENODATA && err != -EAGAIN)
			break;
	} while ((int64_t)(raw_ns() - start) < BRACKET_RETRY_NS);
	if (err)
		r = (struct unpriv_result){ UNPRIV_READ, -err };
	return r;
}

/*
 * The page is no secret (every process reads the kvmclock page through the
 * vDSO already): a process without privileges maps and reads it. Done in
 * a child that drops root for good.
 */
static void check_unprivileged(__u32 format)
{
	static const char *const steps[] = {
		[UNPRIV_OK] = "ok", [UNPRIV_DROP] = "dropping root",
		[UNPRIV_OPEN] = "open", [UNPRIV_MMAP] = "mmap",
		[UNPRIV_READ] = "reading the page",
	};
	struct unpriv_result r = { UNPRIV_DROP, EIO };
	int pipefd[2], status;
	pid_t pid;

	if (pipe(pipefd))
		ksft_exit_fail_perror("pipe");
	pid = fork();
	if (pid < 0)
		ksft_exit_fail_perror("fork");
	if (!pid) {
		close(pipefd[0]);
		r = unpriv_map(format);
		_exit(write(pipefd[1], &r, sizeof(r)) == sizeof(r) ? 0 : 1);
	}
	close(pipefd[1]);
	if (read(pipefd[0], &r, sizeof(r)) != sizeof(r))
		r = (struct unpriv_result){ UNPRIV_DROP, EIO };
	close(pipefd[0]);
	waitpid(pid, &status, 0);
	ksft_test_result(r.step == UNPRIV_OK,
			 "uid %d maps and reads the page%s%s%s%s\n", NOBODY,
			 r.step ? ": " : "", r.step ? steps[r.step] : "",
			 r.step ? ": " : "", r.step ? errname(r.err) : "");
}

/* ------------------------------------------------------------ refusals */

/* 0 if mmap() succeeded (the mapping is removed at once), else its errno. */
static int try_mmap(size_t len, int prot, int flags, int fd, off_t off)
{
	void *p = mmap(NULL, len, prot, flags, fd, off);

	if (p == MAP_FAILED)
		return errno;
	munmap(p, len);
	return 0;
}

/*
 * @ro is an O_RDONLY file, @rw an O_RDWR one or -1 when the driver would
 * not open one. Where the VFS refuses for an O_RDONLY file before the
 * driver is asked (a shared writable mapping, mprotect() to writable), the
 * O_RDWR file is used, so that the driver's own refusal is what is tested.
 */
static void check_refusals(int ro, int rw)
{
	int wfd = rw >= 0 ? rw : ro;
	const char *wname = rw >= 0 ? "O_RDWR" : "O_RDONLY";
	char what[160];
	struct tscpage_info *bad;
	void *p, *q;
	char byte = 0;

	/*
	 * O_RDONLY: the VFS refuses a shared writable mapping (EACCES);
	 * O_RDWR: only the driver can (EPERM).
	 */
	snprintf(what, sizeof(what), "mmap PROT_READ|PROT_WRITE MAP_SHARED on an %s file",
		 wname);
	expect_errno(try_mmap(page_size, PROT_READ | PROT_WRITE, MAP_SHARED,
			      wfd, 0),
		     rw >= 0 ? EPERM : EACCES, rw >= 0 ? EPERM : EACCES, what);
	expect_errno(try_mmap(page_size, PROT_READ | PROT_EXEC, MAP_SHARED,
			      ro, 0),
		     EPERM, EPERM, "mmap PROT_READ|PROT_EXEC");
	expect_errno(try_mmap(page_size, PROT_READ, MAP_PRIVATE, ro, 0),
		     EINVAL, EINVAL, "mmap MAP_PRIVATE PROT_READ");
	/*
	 * The VFS lets an O_RDONLY file give a private writable copy; the
	 * driver refuses it for being writable (EPERM) or private (EINVAL),
	 * whichever it checks first.
	 */
	expect_errno(try_mmap(page_size, PROT_READ | PROT_WRITE, MAP_PRIVATE,
			      ro, 0),
		     EPERM, EINVAL, "mmap MAP_PRIVATE PROT_READ|PROT_WRITE on an O_RDONLY file");
	expect_errno(try_mmap(2 * page_size, PROT_READ, MAP_SHARED, ro, 0),
		     EINVAL, EINVAL, "mmap of 2 pages");
	expect_errno(try_mmap(page_size, PROT_READ, MAP_SHARED, ro, page_size),
		     EINVAL, EINVAL, "mmap at offset 1 page");

	/*
	 * mprotect() needs VM_MAYWRITE, which the kernel already withholds
	 * from a shared mapping of an O_RDONLY file: the mapping comes from
	 * the O_RDWR file if there is one, so the driver's clearing of it is
	 * what refuses.
	 */
	p = mmap(NULL, page_size, PROT_READ, MAP_SHARED, wfd, 0);
	if (p == MAP_FAILED) {
		ksft_test_result_fail("mprotect PROT_WRITE: mmap PROT_READ of an %s file: %s\n",
				      wname, errname(errno));
		ksft_test_result_fail("mprotect PROT_EXEC: mmap PROT_READ of an %s file: %s\n",
				      wname, errname(errno));
	} else {
		snprintf(what, sizeof(what), "mprotect PROT_READ|PROT_WRITE of a mapping of an %s file",
			 wname);
		expect_errno(mprotect(p, page_size, PROT_READ | PROT_WRITE) ?
			     errno : 0, EACCES, EACCES, what);
		expect_errno(mprotect(p, page_size, PROT_READ | PROT_EXEC) ?
			     errno : 0, EACCES, EACCES,
			     "mprotect PROT_READ|PROT_EXEC");
		munmap(p, page_size);
	}

	/*
	 * Growing the mapping would be a second page by another way; the
	 * kernel refuses it with EFAULT for VM_DONTEXPAND or VM_PFNMAP
	 * mappings.
	 */
	p = mmap(NULL, page_size, PROT_READ, MAP_SHARED, ro, 0);
	if (p == MAP_FAILED) {
		ksft_test_result_fail("mremap to 2 pages: mmap: %s\n",
				      errname(errno));
	} else {
		q = mremap(p, page_size, 2 * page_size, MREMAP_MAYMOVE);
		expect_errno(q == MAP_FAILED ? errno : 0, EFAULT, EFAULT,
			     "mremap of the mapping to 2 pages");
		if (q != MAP_FAILED)
			munmap(q, 2 * page_size);
		else
			munmap(p, page_size);
	}

	/* The VFS: no writing to a file opened for reading. */
	expect_errno(write(ro, &byte, 1) < 0 ? errno : 0, EBADF, EBADF,
		     "write() to an O_RDONLY file");

	expect_errno(ioctl(ro, _IO(TSCPAGE_IOC_MAGIC, 0x7f)) ? errno : 0,
		     ENOTTY, ENOTTY, "unknown ioctl _IO(0xE1, 0x7f)");
	/* The whole command is compared, size and direction included. */
	expect_errno(ioctl(ro, _IOR(TSCPAGE_IOC_MAGIC, 0x01, __u32), &byte) ?
		     errno : 0, ENOTTY, ENOTTY,
		     "INFO's number with another size, _IOR(0xE1, 0x01, __u32)");

	/* A buffer the process may not write: a PROT_NONE page. */
	bad = mmap(NULL, page_size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		   -1, 0);
	if (bad == MAP_FAILED)
		ksft_exit_fail_perror("mmap PROT_NONE");
	expect_errno(ioctl(ro, TSCPAGE_IOC_INFO, bad) ? errno : 0, EFAULT,
		     EFAULT, "INFO into a PROT_NONE page");
	munmap(bad, page_size);
}

/* ------------------------------------------------------- page vs clock */

/*
 * CLOCK_MONOTONIC_RAW read before and after one read of the page, and the
 * page's time.
 */
struct bracket {
	uint64_t before, page, after;
};

static int take_bracket(const void *page, __u32 format, struct bracket *b,
			struct read_stats *st)
{
	uint64_t start = raw_ns();
	int err;

	do {
		b->before = raw_ns();
		err = page_time(page, format, &b->page, st);
		b->after = raw_ns();
		if (err != -ENODATA && err != -EAGAIN)
			break;
	} while ((int64_t)(b->after - start) < BRACKET_RETRY_NS);
	return err;
}

/*
 * The offsets page - raw a bracket allows: the page was read after
 * @before and before @after, so page - after <= offset <= page - before.
 */
static int64_t bracket_lo(const struct bracket *b)
{
	return (int64_t)(b->page - b->after);
}

static int64_t bracket_hi(const struct bracket *b)
{
	return (int64_t)(b->page - b->before);
}

/*
 * The offset between the page's time and CLOCK_MONOTONIC_RAW, as far as
 * brackets can pin it: within [lo, hi].
 */
struct offset {
	int64_t lo, hi;
};

/*
 * Why MONOTONIC_RAW: it is the current clocksource's count converted with
 * the clocksource's mult/shift, which for tscpage (1 GHz) are the
 * identity, plus a base the timekeeping core fixed when tscpage became
 * current; NTP never adjusts it. So while tscpage is current,
 * MONOTONIC_RAW = page time at the TSC value the kernel read + a constant.
 * tscpage's clocksource does not use the vDSO here (hvsim), so each
 * clock_gettime() reads the page in the kernel on this CPU, and the
 * page's time for the TSC read in between must lie between the two.
 *
 * The constant is only known to within the time a clock_gettime() spends
 * between its own read of the page and returning, plus the time the next
 * one spends before its read: the intersection of the brackets' allowed
 * offsets. A deviation smaller than that width cannot be seen here.
 */
static int estimate_offset(const void *page, __u32 format,
			   struct offset *off, struct bracket *lo_at,
			   struct bracket *hi_at)
{
	struct read_stats st = { 0 };
	struct bracket b;
	int i, err;

	off->lo = INT64_MIN;
	off->hi = INT64_MAX;
	for (i = 0; i < OFFSET_BRACKETS; i++) {
		err = take_bracket(page, format, &b, &st);
		if (err)
			return err;
		if (bracket_lo(&b) > off->lo) {
			off->lo = bracket_lo(&b);
			*lo_at = b;
		}
		if (bracket_hi(&b) < off->hi) {
			off->hi = bracket_hi(&b);
			*hi_at = b;
		}
	}
	return 0;
}

struct cpu_check {
	int cpu;
	int err;			/* the reader's -errno that stopped it */
	uint64_t samples;
	uint64_t outside;		/* samples more than tol outside */
	/*
	 * Most the page was ahead of its bracket's end and behind its
	 * start, in ns, with the offset in [lo, hi] that suits the sample
	 * best; negative: inside the bracket, by that margin.
	 */
	int64_t ahead, behind;
	struct bracket ahead_at, behind_at;
	struct read_stats st;
};

static void check_cpu(const void *page, __u32 format, const struct offset *off,
		      uint64_t samples, int64_t tol, struct cpu_check *c)
{
	struct bracket b;
	int64_t ahead, behind;
	uint64_t i;

	c->ahead = c->behind = INT64_MIN;
	for (i = 0; i < samples; i++) {
		c->err = take_bracket(page, format, &b, &c->st);
		if (c->err)
			return;
		c->samples++;
		/* Even the largest offset puts the page after the bracket. */
		ahead = bracket_lo(&b) - off->hi;
		/* Even the smallest offset puts the page before the bracket. */
		behind = off->lo - bracket_hi(&b);
		if (ahead > tol || behind > tol)
			c->outside++;
		if (ahead > c->ahead) {
			c->ahead = ahead;
			c->ahead_at = b;
		}
		if (behind > c->behind) {
			c->behind = behind;
			c->behind_at = b;
		}
	}
}

static void print_bracket(const char *what, const struct bracket *b,
			  const struct offset *off)
{
	int64_t width = (int64_t)(b->after - b->before);

	ksft_print_msg("  %s: raw before %" PRIu64 ", page - offset %" PRIu64 "..%" PRIu64 ", raw after %" PRIu64 " (bracket %" PRId64 " ns%s)\n",
		       what, b->before, b->page - (uint64_t)off->hi,
		       b->page - (uint64_t)off->lo, b->after, width,
		       width < 0 ? ": MONOTONIC_RAW went back" : "");
}

static void report_cpu(const struct cpu_check *c, const struct offset *off,
		       int64_t tol)
{
	int64_t worst = c->ahead > c->behind ? c->ahead : c->behind;

	if (c->err) {
		ksft_test_result_fail("cpu%d: page unreadable after %" PRIu64 " samples: %s\n",
				      c->cpu, c->samples, errname(-c->err));
		return;
	}
	ksft_print_msg("cpu%d: %" PRIu64 " page reads, %" PRIu64 " retries, %" PRIu64 " invalid (sequence 0), %" PRIu64 " gave up\n",
		       c->cpu, c->st.reads, c->st.retries, c->st.invalid,
		       c->st.busy);
	if (c->outside) {
		if (c->ahead > tol)
			print_bracket("page furthest ahead", &c->ahead_at, off);
		if (c->behind > tol)
			print_bracket("page furthest behind", &c->behind_at, off);
		ksft_test_result_fail("cpu%d: page time outside its MONOTONIC_RAW bracket by more than %" PRId64 " ns in %" PRIu64 " of %" PRIu64 " samples: up to %" PRId64 " ns %s\n",
				      c->cpu, tol, c->outside, c->samples,
				      worst, c->ahead >= c->behind ?
				      "ahead of its end" : "behind its start");
		return;
	}
	/* Margins: how close the page came to the edges of its bracket. */
	ksft_test_result_pass("cpu%d: page time inside its MONOTONIC_RAW bracket (tol %" PRId64 " ns) in %" PRIu64 " samples: worst %" PRId64 " ns outside; closest %" PRId64 " ns to the end, %" PRId64 " ns to the start\n",
			      c->cpu, tol, c->samples, worst > 0 ? worst : 0,
			      -c->ahead, -c->behind);
}

/* ------------------------------------------------------------ main */

static void restore(const char *prev)
{
	char now[CLOCKSOURCE_NAME_MAX];
	bool refused;
	int err;

	err = clocksource_restore(prev, now, sizeof(now), &refused);
	if (err) {
		ksft_test_result_fail("previous clocksource %s restored: %s\n",
				      prev, errname(-err));
		return;
	}
	if (refused)
		ksft_print_msg("the kernel refused %s: its clocksource watchdog marked it unstable during the run (see dmesg); it chose %s\n",
			       prev, now);
	ksft_test_result(strcmp(now, "tscpage"),
			 "clocksource handed back from tscpage to %s%s\n", now,
			 refused ? " (previous one refused by the kernel)" : "");
}

static void check_current_flag(int fd, bool want)
{
	struct tscpage_info info;
	int err = get_info(fd, &info);

	if (err)
		ksft_test_result_fail("INFO while tscpage is %scurrent: %s\n",
				      want ? "" : "not ", errname(err));
	else
		ksft_test_result(!!(info.flags & TSCPAGE_INFO_CURRENT) == want,
				 "INFO flags say CURRENT %s while tscpage is %scurrent (flags %#x)\n",
				 want ? "set" : "clear", want ? "" : "not ",
				 info.flags);
}

/*
 * The page against the clocksource, one CPU after the other, each for
 * @samples brackets, with the offset pinned on the first CPU: the page and
 * the clocksource are one clock for all CPUs, so the offset is too.
 * Needs @ncpus + 4 results.
 */
static void check_clock(int fd, const void *page, __u32 format,
			const int *cpus, int ncpus, uint64_t samples,
			int64_t tol)
{
	char prev[CLOCKSOURCE_NAME_MAX];
	struct bracket lo_at, hi_at;
	struct cpu_check *checks;
	struct offset off;
	cpu_set_t set, all;
	int i, err;

	if (sched_getaffinity(0, sizeof(all), &all))
		ksft_exit_fail_perror("sched_getaffinity");
	err = clocksource_current(prev, sizeof(prev));
	if (err)
		ksft_exit_fail_msg("cannot read current_clocksource: %s\n",
				   errname(-err));
	err = clocksource_select("tscpage");
	if (err) {
		ksft_test_result_fail("tscpage made current (was %s): %s\n",
				      prev, errname(-err));
		ksft_test_result_skip("INFO CURRENT while current: not current\n");
		ksft_test_result_skip("constant offset: not current\n");
		for (i = 0; i < ncpus; i++)
			ksft_test_result_skip("cpu%d: tscpage is not current\n",
					      cpus[i]);
		goto restore;
	}
	ksft_test_result_pass("tscpage made current (was %s)\n", prev);
	check_current_flag(fd, true);

	checks = calloc(ncpus, sizeof(*checks));
	if (!checks)
		ksft_exit_fail_perror("calloc");

	CPU_ZERO(&set);
	CPU_SET(cpus[0], &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		ksft_exit_fail_perror("sched_setaffinity");
	err = estimate_offset(page, format, &off, &lo_at, &hi_at);
	if (err) {
		ksft_test_result_fail("constant offset: page unreadable: %s\n",
				      errname(-err));
	} else {
		if (off.lo > off.hi) {
			print_bracket("bracket giving the lowest offset", &hi_at, &off);
			print_bracket("bracket giving the highest offset", &lo_at, &off);
		}
		ksft_test_result(off.lo <= off.hi + tol,
				 "page - MONOTONIC_RAW is one constant over %d brackets on cpu%d: offset in [%" PRId64 ", %" PRId64 "] ns (%s %" PRId64 " ns, tol %" PRId64 ")\n",
				 OFFSET_BRACKETS, cpus[0], off.lo, off.hi,
				 off.lo <= off.hi ? "known to" : "brackets disagree by",
				 off.lo <= off.hi ? off.hi - off.lo : off.lo - off.hi,
				 tol);
	}
	for (i = 0; i < ncpus; i++) {
		checks[i].cpu = cpus[i];
		if (err) {
			ksft_test_result_skip("cpu%d: no offset\n", cpus[i]);
			continue;
		}
		if (off.lo > off.hi) {
			/* Within tol: go on from the range they allow. */
			int64_t t = off.lo;

			off.lo = off.hi;
			off.hi = t;
		}
		CPU_ZERO(&set);
		CPU_SET(cpus[i], &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			ksft_exit_fail_perror("sched_setaffinity");
		check_cpu(page, format, &off, samples, tol, &checks[i]);
		report_cpu(&checks[i], &off, tol);
	}
	if (sched_setaffinity(0, sizeof(all), &all))
		ksft_exit_fail_perror("sched_setaffinity");
	free(checks);

restore:
	restore(prev);
	check_current_flag(fd, false);
}

/*
 * An open file holds a reference on tscpage (the misc device's fops
 * owner), and a mapping holds its file: while either is left, the page
 * may still be read, so tscpage must stay. Asked with O_NONBLOCK, the
 * module loader answers EWOULDBLOCK for a module in use. tscpage must not
 * be current here, or the timekeeping core's reference would be what
 * refuses. Closes @ro and @rw and unmaps @page.
 */
static void check_pinned(int ro, int rw, const void *page)
{
	char now[CLOCKSOURCE_NAME_MAX];
	int err;

	err = clocksource_current(now, sizeof(now));
	if (err || !strcmp(now, "tscpage")) {
		ksft_test_result_skip("rmmod while open: tscpage is still current\n");
		ksft_test_result_skip("rmmod while mapped: tscpage is still current\n");
		goto out;
	}
	expect_errno(-kmod_unload("tscpage"), EWOULDBLOCK, EBUSY,
		     "rmmod tscpage while /dev/tscpage is open and mapped");
	close(ro);
	if (rw >= 0)
		close(rw);
	ro = rw = -1;
	expect_errno(-kmod_unload("tscpage"), EWOULDBLOCK, EBUSY,
		     "rmmod tscpage with the file closed and the page still mapped");
out:
	if (ro >= 0)
		close(ro);
	if (rw >= 0)
		close(rw);
	munmap((void *)page, page_size);
}

/*
 * O_NONBLOCK beside a blocked reader. A thread blocks in read() of a
 * fresh file (no event for it: nothing migrates here); the file is then
 * made O_NONBLOCK and read again, which must say EAGAIN at once. The
 * blocked reader is woken by a signal after NONBLOCK_WAIT_MS, so a read
 * that waits for it shows as one that took that long. Seen on the first
 * driver: the file's lock was held across the blocking wait, and the
 * O_NONBLOCK read waited behind it for the signal (or an event).
 */
#define NONBLOCK_WAIT_MS	1000

struct blocked_reader {
	int fd;
	ssize_t ret;
	int err;
};

static void on_wake(int sig)
{
	(void)sig;
}

static void *blocked_read(void *arg)
{
	struct blocked_reader *b = arg;
	struct tscpage_event e;

	b->ret = read(b->fd, &e, sizeof(e));
	b->err = errno;
	return NULL;
}

/* Wakes the blocked reader after NONBLOCK_WAIT_MS, whatever happens. */
static void *waker(void *arg)
{
	usleep(NONBLOCK_WAIT_MS * 1000);
	pthread_kill(*(pthread_t *)arg, SIGUSR2);
	return NULL;
}

static void check_nonblock(void)
{
	struct sigaction sa = { .sa_handler = on_wake };	/* no SA_RESTART */
	struct blocked_reader b = { .ret = -2 };
	struct tscpage_event e;
	pthread_t t, w;
	uint64_t t0, t1;
	ssize_t n;
	int err;

	b.fd = open(DEV_PATH, O_RDONLY | O_CLOEXEC);
	if (b.fd < 0 || sigaction(SIGUSR2, &sa, NULL) ||
	    pthread_create(&t, NULL, blocked_read, &b)) {
		ksft_test_result_fail("O_NONBLOCK read beside a blocked reader: setup: %s\n",
				      errname(errno));
		if (b.fd >= 0)
			close(b.fd);
		return;
	}
	usleep(200000);		/* the thread is in read() by now */
	fcntl(b.fd, F_SETFL, fcntl(b.fd, F_GETFL) | O_NONBLOCK);
	if (pthread_create(&w, NULL, waker, &t))
		ksft_exit_fail_msg("pthread_create: %s\n", errname(errno));
	t0 = raw_ns();
	n = read(b.fd, &e, sizeof(e));
	err = errno;
	t1 = raw_ns();
	pthread_join(w, NULL);
	pthread_join(t, NULL);
	close(b.fd);
	ksft_test_result(n < 0 && err == EAGAIN &&
			 t1 - t0 < NONBLOCK_WAIT_MS * 1000000ULL / 2,
			 "O_NONBLOCK read beside a blocked reader: %s after %.3f s (EAGAIN at once wanted); the blocked one: %s\n",
			 n < 0 ? errname(err) : "an event", (t1 - t0) / 1e9,
			 b.ret < 0 ? errname(b.err) : "an event");
}

static void usage(FILE *f, const char *prog)
{
	fprintf(f,
		"usage: %s [--provider NAME] [--samples N] [--tolerance NS]\n"
		"  --provider NAME   provider INFO must name (default hvsim)\n"
		"  --samples N       bracketed page reads per CPU (default 100000)\n"
		"  --tolerance NS    how far the page may fall outside its bracket\n"
		"                    (default 0)\n",
		prog);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "provider", required_argument, NULL, 'p' },
		{ "samples", required_argument, NULL, 's' },
		{ "tolerance", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *provider = "hvsim";
	uint64_t samples = 100000, tol = 0;
	struct tscpage_info info;
	int ro, rw, opt, err, ncpus = 0, *cpus;
	const void *page;
	cpu_set_t set;

	while ((opt = getopt_long(argc, argv, "p:s:t:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'p':
			provider = optarg;
			break;
		case 's':
			if (!arg_u64(argv[0], "samples", optarg, 1, 100000000,
				     &samples))
				return KSFT_FAIL;
			break;
		case 't':
			if (!arg_u64(argv[0], "tolerance", optarg, 0, 1000000000,
				     &tol))
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
	if (geteuid())
		ksft_exit_skip("switching clocksources and unloading modules need root\n");
	if (access(DEV_PATH, F_OK))
		ksft_exit_skip(DEV_PATH " does not exist: tscpage is not loaded, or has no device\n");
	page_size = sysconf(_SC_PAGESIZE);
	if (sched_getaffinity(0, sizeof(set), &set))
		ksft_exit_fail_perror("sched_getaffinity");
	cpus = calloc(CPU_COUNT(&set), sizeof(*cpus));
	if (!cpus)
		ksft_exit_fail_perror("calloc");
	for (int i = 0; i < CPU_SETSIZE; i++)
		if (CPU_ISSET(i, &set))
			cpus[ncpus++] = i;

	ksft_set_plan(32 + ncpus);

	check_node();
	ro = open(DEV_PATH, O_RDONLY | O_CLOEXEC);
	if (ro < 0)
		ksft_exit_fail_msg("open " DEV_PATH " O_RDONLY: %s\n",
				   errname(errno));
	/*
	 * Mode 0444 does not stop root (CAP_DAC_OVERRIDE): the driver's
	 * open refuses writers itself, so that no file of the device can
	 * ever ask for a writable shared mapping. Should it let one through,
	 * the refusals below use it, so the driver's mmap checks are still
	 * what is tested.
	 */
	rw = open(DEV_PATH, O_RDWR | O_CLOEXEC);
	expect_errno(rw < 0 ? errno : 0, EPERM, EPERM,
		     "open O_RDWR as root");

	err = get_info(ro, &info);
	ksft_test_result(!err, "TSCPAGE_IOC_INFO%s%s\n", err ? ": " : "",
			 err ? errname(err) : "");
	if (err)
		ksft_exit_fail_msg("cannot go on without INFO\n");
	check_info(&info, provider);
	if (!format_known(info.format))
		ksft_exit_fail_msg("cannot read a page of format %u\n",
				   info.format);

	page = mmap(NULL, page_size, PROT_READ, MAP_SHARED, ro, 0);
	ksft_test_result(page != MAP_FAILED,
			 "mmap of 1 page at offset 0, PROT_READ, MAP_SHARED%s%s\n",
			 page == MAP_FAILED ? ": " : "",
			 page == MAP_FAILED ? errname(errno) : "");
	if (page == MAP_FAILED)
		ksft_exit_fail_msg("cannot go on without the page\n");
	check_content(page, &info);
	check_rate(page, &info);
	check_unprivileged(info.format);

	check_refusals(ro, rw);
	check_nonblock();
	check_clock(ro, page, info.format, cpus, ncpus, samples, (int64_t)tol);
	check_pinned(ro, rw, page);

	free(cpus);
	ksft_finished();
}
