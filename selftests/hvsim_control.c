// SPDX-License-Identifier: GPL-2.0
/*
 * hvsim_control - /dev/tscpage_hvsim refuses every bad request with the
 * errno its header documents, and a refused request changes nothing.
 *
 * Each case sends one request with one bad value (every other field
 * valid) and expects EINVAL for a bad value, EOPNOTSUPP for a fault of the
 * other page format, EBUSY for a fault over an active one, EPERM for a TSC
 * write without allow_tsc_writes=1, EFAULT for a bad user pointer, ENOTTY
 * for an unknown command; and STATUS before and after must agree in every
 * field but the two that move with time alone: page_ns (the page's clock)
 * and fault_ms_left (the active fault's countdown). No counter
 * (migrations, notifications, acks, acks_dropped, ack_timeouts,
 * last_ack_ns, max_ack_ns) may move: the test waits for every
 * notification to be acknowledged before each case, so none does
 * legitimately.
 *
 * Where the header gives no precedence between a bad value and a TSC
 * write that the module forbids (a desync or a migration's tsc_offset
 * that is also out of range, loaded without allow_tsc_writes=1), either
 * EINVAL or EPERM is accepted; loaded with allow_tsc_writes=1 such a value
 * must be EINVAL.
 *
 * Also: a process without privilege (uid and gid 65534) cannot open the
 * device (EACCES or EPERM), and, when the guest has
 * /opt/tscpage/bin/tscpage-ctl, bad command lines make it exit 2 and
 * leave the status alone.
 *
 * Runs with tscpage_hvsim (and tscpage) loaded; does not make tscpage
 * current; may take one CPU offline and back for a moment.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest.h"
#include "as_nobody.h"
#include "hvsim_util.h"
#include "sysfs_file.h"

#define CTL_PATH	"/opt/tscpage/bin/tscpage-ctl"
#define CPU_DIR		"/sys/devices/system/cpu/"
/* How long notifications may take to be acknowledged. */
#define SETTLE_MS	2000

enum arg_kind { A_MIGRATE, A_FAULT, A_RATE, A_DESYNC, A_RAW };

struct ioc_case {
	char what[112];
	unsigned long cmd;
	enum arg_kind kind;
	union {
		struct tscpage_hvsim_migrate m;
		struct tscpage_hvsim_fault_req f;
		struct tscpage_hvsim_desync d;
		__u32 rate;
		__u64 raw[8];
	} arg;
	void *ptr;		/* A_RAW: passed as is (NULL, a bad page) */
	int want, also;
};

static int hv;
static struct ioc_case *cases;
static unsigned int ncases, cases_cap;

static const struct tscpage_hvsim_migrate mig_ok = {
	.blackout_ms = 0, .tsc_khz = 0, .tsc_offset = 0, .cpu = -1,
};

static struct ioc_case *add(const char *what, unsigned long cmd,
			    enum arg_kind kind, int want, int also)
{
	struct ioc_case *c;

	if (ncases == cases_cap) {
		cases_cap = cases_cap ? 2 * cases_cap : 64;
		cases = realloc(cases, cases_cap * sizeof(*cases));
		if (!cases)
			ksft_exit_fail_perror("realloc");
	}
	c = &cases[ncases++];
	memset(c, 0, sizeof(*c));
	snprintf(c->what, sizeof(c->what), "%s", what);
	c->cmd = cmd;
	c->kind = kind;
	c->want = want;
	c->also = also;
	return c;
}

static void add_migrate(const char *what, struct tscpage_hvsim_migrate m,
			int want, int also)
{
	add(what, TSCPAGE_HVSIM_IOC_MIGRATE, A_MIGRATE, want, also)->arg.m = m;
}

static void add_fault(const char *what, uint32_t fault, uint32_t for_ms,
		      int64_t arg, int want)
{
	struct ioc_case *c = add(what, TSCPAGE_HVSIM_IOC_FAULT, A_FAULT,
				 want, want);

	c->arg.f.fault = fault;
	c->arg.f.for_ms = for_ms;
	c->arg.f.arg = arg;
}

static void add_desync(const char *what, int32_t cpu, uint32_t flags,
		       int64_t cycles, int want, int also)
{
	struct ioc_case *c = add(what, TSCPAGE_HVSIM_IOC_DESYNC, A_DESYNC,
				 want, also);

	c->arg.d.cpu = cpu;
	c->arg.d.flags = flags;
	c->arg.d.cycles = cycles;
}

static void add_raw(const char *what, unsigned long cmd, void *ptr, int want,
		    int also)
{
	add(what, cmd, A_RAW, want, also)->ptr = ptr;
}

/* Every case of one bad value, for a page of @format on @ncpu CPU ids. */
static void build_cases(uint32_t format, bool tsc_writes, int ncpu,
			void *bad_page)
{
	/* A bad value that is also a TSC write: see the header comment. */
	int inval_or_perm = tsc_writes ? EINVAL : EPERM;
	struct tscpage_hvsim_migrate m;
	char what[112];

	m = mig_ok, m.flags = 1;
	add_migrate("migrate flags 1", m, EINVAL, EINVAL);
	m = mig_ok, m.flags = 0x80000000u;
	add_migrate("migrate flags 0x80000000", m, EINVAL, EINVAL);
	m = mig_ok, m.reserved[0] = 1;
	add_migrate("migrate reserved[0] 1", m, EINVAL, EINVAL);
	m = mig_ok, m.reserved[1] = 1ull << 63;
	add_migrate("migrate reserved[1] 1<<63", m, EINVAL, EINVAL);
	m = mig_ok, m.blackout_ms = TSCPAGE_HVSIM_BLACKOUT_MS_MAX + 1;
	add_migrate("migrate blackout_ms max+1", m, EINVAL, EINVAL);
	m = mig_ok, m.blackout_ms = UINT32_MAX;
	add_migrate("migrate blackout_ms 2^32-1", m, EINVAL, EINVAL);
	m = mig_ok, m.tsc_khz = TSCPAGE_HVSIM_TSC_KHZ_MIN - 1;
	add_migrate("migrate tsc_khz min-1", m, EINVAL, EINVAL);
	m = mig_ok, m.tsc_khz = 1;
	add_migrate("migrate tsc_khz 1", m, EINVAL, EINVAL);
	m = mig_ok, m.tsc_khz = TSCPAGE_HVSIM_TSC_KHZ_MAX + 1;
	add_migrate("migrate tsc_khz max+1", m, EINVAL, EINVAL);
	m = mig_ok, m.tsc_khz = UINT32_MAX;
	add_migrate("migrate tsc_khz 2^32-1", m, EINVAL, EINVAL);
	if (!tsc_writes) {
		m = mig_ok, m.tsc_offset = 1000;
		add_migrate("migrate tsc_offset 1000 without allow_tsc_writes",
			    m, EPERM, EPERM);
		m = mig_ok, m.tsc_offset = -1;
		add_migrate("migrate tsc_offset -1 without allow_tsc_writes",
			    m, EPERM, EPERM);
	}
	m = mig_ok, m.tsc_offset = TSCPAGE_HVSIM_TSC_OFFSET_MAX + 1;
	add_migrate("migrate tsc_offset max+1", m, EINVAL, inval_or_perm);
	m = mig_ok, m.tsc_offset = -TSCPAGE_HVSIM_TSC_OFFSET_MAX - 1;
	add_migrate("migrate tsc_offset -(max+1)", m, EINVAL, inval_or_perm);
	m = mig_ok, m.tsc_offset = INT64_MIN;
	add_migrate("migrate tsc_offset INT64_MIN", m, EINVAL, inval_or_perm);
	m = mig_ok, m.cpu = ncpu;
	snprintf(what, sizeof(what), "migrate cpu %d (nr_cpu_ids)", ncpu);
	add_migrate(what, m, EINVAL, EINVAL);
	m = mig_ok, m.cpu = INT32_MAX;
	add_migrate("migrate cpu INT32_MAX", m, EINVAL, EINVAL);
	m = mig_ok, m.cpu = -2;
	add_migrate("migrate cpu -2", m, EINVAL, EINVAL);
	m = mig_ok, m.cpu = INT32_MIN;
	add_migrate("migrate cpu INT32_MIN", m, EINVAL, EINVAL);

	add_fault("fault COUNT", TSCPAGE_HVSIM_FAULT_COUNT, 100, 0, EINVAL);
	add_fault("fault 2^32-1", UINT32_MAX, 100, 0, EINVAL);
	add_fault("fault zero_mul for_ms 0", TSCPAGE_HVSIM_FAULT_ZERO_MUL, 0, 0,
		  EINVAL);
	add_fault("fault zero_mul for_ms max+1", TSCPAGE_HVSIM_FAULT_ZERO_MUL,
		  TSCPAGE_HVSIM_FOR_MS_MAX + 1, 0, EINVAL);
	add_fault("fault zero_mul for_ms 2^32-1", TSCPAGE_HVSIM_FAULT_ZERO_MUL,
		  UINT32_MAX, 0, EINVAL);
	add_fault("fault none for_ms 100", TSCPAGE_HVSIM_FAULT_NONE, 100, 0,
		  EINVAL);
	add_fault("fault none arg 1", TSCPAGE_HVSIM_FAULT_NONE, 0, 1, EINVAL);
	add_fault("fault backward arg 10^10+1", TSCPAGE_HVSIM_FAULT_BACKWARD,
		  100, 10000000001LL, EINVAL);
	add_fault("fault backward arg -1", TSCPAGE_HVSIM_FAULT_BACKWARD, 100,
		  -1, EINVAL);
	add_fault("fault forward arg 10^10+1", TSCPAGE_HVSIM_FAULT_FORWARD,
		  100, 10000000001LL, EINVAL);
	add_fault("fault forward arg INT64_MIN", TSCPAGE_HVSIM_FAULT_FORWARD,
		  100, INT64_MIN, EINVAL);
	add_fault("fault wrong_rate arg 100001 ppm",
		  TSCPAGE_HVSIM_FAULT_WRONG_RATE, 100, 100001, EINVAL);
	add_fault("fault wrong_rate arg -100001 ppm",
		  TSCPAGE_HVSIM_FAULT_WRONG_RATE, 100, -100001, EINVAL);
	add_fault("fault torn arg 1", TSCPAGE_HVSIM_FAULT_TORN, 100, 1, EINVAL);
	add_fault("fault zero_mul arg 1", TSCPAGE_HVSIM_FAULT_ZERO_MUL, 100, 1,
		  EINVAL);
	add_fault("fault huge_mul arg -1", TSCPAGE_HVSIM_FAULT_HUGE_MUL, 100,
		  -1, EINVAL);
	add_fault("fault notify_nochange arg 1",
		  TSCPAGE_HVSIM_FAULT_NOTIFY_NOCHANGE, 100, 1, EINVAL);
	add_fault("fault change_nonotify arg 1",
		  TSCPAGE_HVSIM_FAULT_CHANGE_NONOTIFY, 100, 1, EINVAL);
	add_fault("fault no_ack arg 1", TSCPAGE_HVSIM_FAULT_NO_ACK, 100, 1,
		  EINVAL);
	add_fault("fault stuck_back arg 1", TSCPAGE_HVSIM_FAULT_STUCK_BACK, 100,
		  1, EINVAL);
	add_fault("fault notify_late arg 1", TSCPAGE_HVSIM_FAULT_NOTIFY_LATE,
		  100, 1, EINVAL);
	if (format == TSCPAGE_FORMAT_PVCLOCK) {
		add_fault("fault stuck_odd arg 1", TSCPAGE_HVSIM_FAULT_STUCK_ODD,
			  100, 1, EINVAL);
		add_fault("fault bad_shift arg 1", TSCPAGE_HVSIM_FAULT_BAD_SHIFT,
			  100, 1, EINVAL);
		add_fault("fault stable_flap arg 1",
			  TSCPAGE_HVSIM_FAULT_STABLE_FLAP, 100, 1, EINVAL);
		add_fault("fault anchor_ahead arg 1",
			  TSCPAGE_HVSIM_FAULT_ANCHOR_AHEAD, 100, 1, EINVAL);
		add_fault("fault seq_zero on a pvclock page",
			  TSCPAGE_HVSIM_FAULT_SEQ_ZERO, 100, 0, EOPNOTSUPP);
	} else {
		add_fault("fault seq_zero arg 1", TSCPAGE_HVSIM_FAULT_SEQ_ZERO,
			  100, 1, EINVAL);
		add_fault("fault stuck_odd on a hvref page",
			  TSCPAGE_HVSIM_FAULT_STUCK_ODD, 100, 0, EOPNOTSUPP);
		add_fault("fault bad_shift on a hvref page",
			  TSCPAGE_HVSIM_FAULT_BAD_SHIFT, 100, 0, EOPNOTSUPP);
		add_fault("fault stable_flap on a hvref page",
			  TSCPAGE_HVSIM_FAULT_STABLE_FLAP, 100, 0, EOPNOTSUPP);
		add_fault("fault anchor_ahead on a hvref page",
			  TSCPAGE_HVSIM_FAULT_ANCHOR_AHEAD, 100, 0, EOPNOTSUPP);
	}
	add_fault("fault zero_mul reserved[0] 1", TSCPAGE_HVSIM_FAULT_ZERO_MUL,
		  100, 0, EINVAL);
	cases[ncases - 1].arg.f.reserved[0] = 1;
	add_fault("fault zero_mul reserved[1] 1", TSCPAGE_HVSIM_FAULT_ZERO_MUL,
		  100, 0, EINVAL);
	cases[ncases - 1].arg.f.reserved[1] = 1;

	add("rate 0", TSCPAGE_HVSIM_IOC_RATE, A_RATE, EINVAL, EINVAL)->arg.rate = 0;
	add("rate 100001", TSCPAGE_HVSIM_IOC_RATE, A_RATE, EINVAL,
	    EINVAL)->arg.rate = 100001;
	add("rate 2^32-1", TSCPAGE_HVSIM_IOC_RATE, A_RATE, EINVAL,
	    EINVAL)->arg.rate = UINT32_MAX;

	if (!tsc_writes)
		add_desync("desync cpu 0 +1000 cycles without allow_tsc_writes",
			   0, 0, 1000, EPERM, EPERM);
	add_desync("desync flags 1", 0, 1, 1000, EINVAL, inval_or_perm);
	add_desync("desync cycles 0", 0, 0, 0, EINVAL, inval_or_perm);
	add_desync("desync cycles max+1", 0, 0, TSCPAGE_HVSIM_TSC_OFFSET_MAX + 1,
		   EINVAL, inval_or_perm);
	add_desync("desync cycles -(max+1)", 0, 0,
		   -TSCPAGE_HVSIM_TSC_OFFSET_MAX - 1, EINVAL, inval_or_perm);
	add_desync("desync cpu -1", -1, 0, 1000, EINVAL, inval_or_perm);
	snprintf(what, sizeof(what), "desync cpu %d (nr_cpu_ids)", ncpu);
	add_desync(what, ncpu, 0, 1000, EINVAL, inval_or_perm);

	add_raw("STATUS into NULL", TSCPAGE_HVSIM_IOC_STATUS, NULL, EFAULT,
		EFAULT);
	add_raw("STATUS into a PROT_NONE page", TSCPAGE_HVSIM_IOC_STATUS,
		bad_page, EFAULT, EFAULT);
	add_raw("MIGRATE from NULL", TSCPAGE_HVSIM_IOC_MIGRATE, NULL, EFAULT,
		EFAULT);
	add_raw("MIGRATE from a PROT_NONE page", TSCPAGE_HVSIM_IOC_MIGRATE,
		bad_page, EFAULT, EFAULT);
	add_raw("FAULT from NULL", TSCPAGE_HVSIM_IOC_FAULT, NULL, EFAULT,
		EFAULT);
	add_raw("RATE from NULL", TSCPAGE_HVSIM_IOC_RATE, NULL, EFAULT, EFAULT);
	add_raw("DESYNC from NULL", TSCPAGE_HVSIM_IOC_DESYNC, NULL, EFAULT,
		tsc_writes ? EFAULT : EPERM);

	add_raw("unknown command _IO(0xE2, 0x7f)",
		_IO(TSCPAGE_HVSIM_IOC_MAGIC, 0x7f), NULL, ENOTTY, ENOTTY);
	add_raw("STATUS's number with another size, _IOR(0xE2, 0x01, __u32)",
		_IOR(TSCPAGE_HVSIM_IOC_MAGIC, 0x01, __u32), NULL, ENOTTY,
		ENOTTY);
	add_raw("MIGRATE's number read instead of written, _IOR(0xE2, 0x02, ...)",
		_IOR(TSCPAGE_HVSIM_IOC_MAGIC, 0x02, struct tscpage_hvsim_migrate),
		NULL, ENOTTY, ENOTTY);
	add_raw("tscpage's INFO on the simulator's device",
		TSCPAGE_IOC_INFO, NULL, ENOTTY, ENOTTY);
}

/*
 * Waits until every notification was acknowledged (or its ack dropped)
 * and, unless @fault_ok, no fault is active, so that nothing in STATUS
 * moves by itself.
 */
static void settle(bool fault_ok)
{
	struct tscpage_hvsim_status st;
	int ms;

	for (ms = 0; ms < SETTLE_MS; ms += 10) {
		if (hvsim_status(hv, &st))
			return;
		if ((fault_ok || !st.fault) && !(st.flags & TSCPAGE_HVSIM_EMULATING) &&
		    st.acks + st.acks_dropped >= st.notifications)
			return;
		usleep(10000);
	}
	ksft_print_msg("the simulator did not settle in %d ms:\n", SETTLE_MS);
	hvsim_status_print("  status", &st);
}

/* STATUS must not have changed across a refusal. */
static bool status_same(const struct tscpage_hvsim_status *before,
			const struct tscpage_hvsim_status *after,
			char *diff, size_t size)
{
	return !hvsim_status_diff(before, after, diff, size);
}

/*
 * One refusal: @got is what the call gave (0: it succeeded), compared
 * with @want or @also; @before and @after are STATUS around it.
 */
static void judge(const char *what, int got, int want, int also,
		  const struct tscpage_hvsim_status *before,
		  const struct tscpage_hvsim_status *after)
{
	char diff[512], exp[48];
	bool same = status_same(before, after, diff, sizeof(diff));
	bool err_ok = got && (got == want || got == also);

	if (want == also)
		snprintf(exp, sizeof(exp), "%s", errname(want));
	else
		snprintf(exp, sizeof(exp), "%s or %s", errname(want),
			 errname(also));
	if (!same) {
		ksft_print_msg("  %s: STATUS changed: %s\n", what, diff);
		hvsim_status_print("  before", before);
		hvsim_status_print("  after", after);
	}
	ksft_test_result(err_ok && same, "%s: %s (expected %s), status %s\n",
			 what, got ? errname(got) : "ACCEPTED", exp,
			 same ? "unchanged" : "CHANGED");
	if (!got)
		settle(false);
}

static void run_case(const struct ioc_case *c)
{
	struct tscpage_hvsim_status before, after;
	void *p = c->kind == A_RAW ? c->ptr : (void *)&c->arg;
	int got;

	hvsim_status(hv, &before);
	got = ioctl(hv, c->cmd, p) ? errno : 0;
	hvsim_status(hv, &after);
	judge(c->what, got, c->want, c->also, &before, &after);
}

/* A second fault while one is active: EBUSY. */
#define BUSY_RESULTS	2
static void check_busy(void)
{
	struct tscpage_hvsim_fault_req first = {
		.fault = TSCPAGE_HVSIM_FAULT_NOTIFY_NOCHANGE, .for_ms = 5000,
	}, second = {
		.fault = TSCPAGE_HVSIM_FAULT_FORWARD, .for_ms = 100,
	}, none = { 0 };
	struct tscpage_hvsim_status before, after;
	int err, got;

	err = ioctl(hv, TSCPAGE_HVSIM_IOC_FAULT, &first) ? errno : 0;
	if (err) {
		ksft_test_result_fail("fault notify_nochange for 5000 ms (to be busy): %s\n",
				      errname(err));
		ksft_test_result_skip("fault over an active one: none active\n");
		return;
	}
	/* Its notification acknowledged, nothing moves but the countdown. */
	usleep(100000);
	settle(true);
	hvsim_status(hv, &before);
	got = ioctl(hv, TSCPAGE_HVSIM_IOC_FAULT, &second) ? errno : 0;
	hvsim_status(hv, &after);
	judge("fault forward while notify_nochange is active", got, EBUSY,
	      EBUSY, &before, &after);
	err = ioctl(hv, TSCPAGE_HVSIM_IOC_FAULT, &none) ? errno : 0;
	hvsim_status(hv, &after);
	ksft_test_result(!err && !after.fault,
			 "fault none ends the active fault: %s, fault now %u (%s)\n",
			 errname(err), after.fault, fault_name(after.fault));
	settle(false);
}

/* The last number of a sysfs CPU list ("0-3" -> 3), or -1. */
static int cpu_list_last(const char *path)
{
	char buf[256], *p;

	if (sysfs_read_line(path, buf, sizeof(buf)) || !buf[0])
		return -1;
	p = buf + strlen(buf);
	while (p > buf && (p[-1] >= '0' && p[-1] <= '9'))
		p--;
	return atoi(p);
}

static bool cpu_online(int cpu)
{
	char path[128], buf[8];

	snprintf(path, sizeof(path), CPU_DIR "cpu%d/online", cpu);
	if (sysfs_read_line(path, buf, sizeof(buf)))
		return cpu == 0;	/* no file: the boot CPU, always online */
	return buf[0] == '1';
}

static int cpu_set_online(int cpu, bool on)
{
	char path[128];

	snprintf(path, sizeof(path), CPU_DIR "cpu%d/online", cpu);
	return sysfs_write(path, on ? "1" : "0");
}

/*
 * A migration's notification to an offline CPU: EINVAL. Uses a possible
 * CPU that is offline, else takes the highest one offline for the moment.
 */
#define OFFLINE_RESULTS	1
static void check_offline(int ncpu)
{
	struct tscpage_hvsim_migrate m = mig_ok;
	struct tscpage_hvsim_status before, after;
	char what[96];
	int cpu, err, got;
	bool took = false;

	for (cpu = ncpu - 1; cpu > 0 && cpu_online(cpu); cpu--)
		;
	if (cpu <= 0) {
		cpu = ncpu - 1;
		err = cpu > 0 ? cpu_set_online(cpu, false) : -ENODEV;
		if (err) {
			ksft_test_result_skip("migrate cpu offline: no CPU could be taken offline (%s)\n",
					      errname(-err));
			return;
		}
		took = true;
	}
	m.cpu = cpu;
	snprintf(what, sizeof(what), "migrate cpu %d (offline%s)", cpu,
		 took ? ", taken offline for this" : "");
	hvsim_status(hv, &before);
	got = ioctl(hv, TSCPAGE_HVSIM_IOC_MIGRATE, &m) ? errno : 0;
	hvsim_status(hv, &after);
	if (took) {
		err = cpu_set_online(cpu, true);
		if (err)
			ksft_print_msg("cpu%d could not be brought back online: %s\n",
				       cpu, errname(-err));
	}
	judge(what, got, EINVAL, EINVAL, &before, &after);
}

/* As NOBODY (as_nobody()): the errno of open(*@arg), 0 if it opened. */
static void open_flags(void *out, const void *arg)
{
	int fd = open(HVSIM_DEV, *(const int *)arg | O_CLOEXEC);

	*(int *)out = fd < 0 ? errno : 0;
}

/*
 * The errno of open(@flags) as NOBODY; negative: as_nobody()'s -errno
 * (dropping root failed, or -EIO: the result did not come back).
 */
static int open_as_nobody(int flags)
{
	int got, err = as_nobody(open_flags, &flags, &got, sizeof(got));

	return err ? err : got;
}

/* Opens as nobody, each a result. */
static const struct { int flags; const char *name; } nobody_opens[] = {
	{ O_RDWR, "O_RDWR" }, { O_RDONLY, "O_RDONLY" },
};
#define NOBODY_RESULTS	(sizeof(nobody_opens) / sizeof(nobody_opens[0]))

static void check_nobody(void)
{
	unsigned int i;
	int err;

	for (i = 0; i < NOBODY_RESULTS; i++) {
		err = open_as_nobody(nobody_opens[i].flags);
		if (err == -EIO)
			ksft_test_result_fail("open %s as uid %d: the child's result did not come back\n",
					      nobody_opens[i].name, NOBODY);
		else if (err < 0)
			ksft_test_result_fail("open %s as uid %d: dropping root: %s\n",
					      nobody_opens[i].name, NOBODY,
					      errname(-err));
		else
			ksft_test_result(err == EACCES || err == EPERM,
					 "open %s as uid %d: %s (expected EACCES or EPERM)\n",
					 nobody_opens[i].name, NOBODY,
					 err ? errname(err) : "OPENED");
	}
}

/* Bad command lines of tscpage-ctl; each must exit 2. */
static const char *const ctl_cases[][5] = {
	{ "no-such-command" },
	{ "migrate", "--blackout-ms", "999999" },
	{ "migrate", "--tsc-khz", "1" },
	{ "fault", "no_such_fault" },
	{ "fault", "zero_mul", "--arg", "1" },
	{ "rate", "0" },
	{ "desync", "--cpu", "0", "--cycles", "0" },
};
#define N_CTL (sizeof(ctl_cases) / sizeof(ctl_cases[0]))

/* Runs tscpage-ctl with @args; its exit status or -1; stderr's 1st line. */
static int run_ctl(const char *const *args, char *line, size_t size)
{
	char out[] = "/tmp/hvsim_control.XXXXXX";
	const char *argv[8] = { CTL_PATH };
	int fd, status, i;
	FILE *f;
	pid_t pid;

	for (i = 0; i < 5 && args[i]; i++)
		argv[i + 1] = args[i];
	fd = mkstemp(out);
	if (fd < 0)
		ksft_exit_fail_perror("mkstemp");
	pid = fork();
	if (pid < 0)
		ksft_exit_fail_perror("fork");
	if (!pid) {
		dup2(fd, 1);
		dup2(fd, 2);
		execv(CTL_PATH, (char *const *)argv);
		_exit(127);
	}
	waitpid(pid, &status, 0);
	line[0] = '\0';
	f = fdopen(fd, "r");
	if (f) {
		rewind(f);
		if (fgets(line, size, f))
			line[strcspn(line, "\n")] = '\0';
		fclose(f);
	} else {
		close(fd);
	}
	unlink(out);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void check_ctl(void)
{
	struct tscpage_hvsim_status before, after;
	char cmd[160], line[256], diff[512];
	unsigned int i;
	int j, code;
	bool same;

	for (i = 0; i < N_CTL; i++) {
		snprintf(cmd, sizeof(cmd), "tscpage-ctl");
		for (j = 0; j < 5 && ctl_cases[i][j]; j++) {
			size_t len = strlen(cmd);

			snprintf(cmd + len, sizeof(cmd) - len, " %s",
				 ctl_cases[i][j]);
		}
		if (access(CTL_PATH, X_OK)) {
			ksft_test_result_skip("%s: " CTL_PATH " not in this guest\n",
					      cmd);
			continue;
		}
		hvsim_status(hv, &before);
		code = run_ctl(ctl_cases[i], line, sizeof(line));
		hvsim_status(hv, &after);
		same = status_same(&before, &after, diff, sizeof(diff));
		if (code != 2 || !same)
			ksft_print_msg("  %s said: %s%s%s\n", cmd, line,
				       same ? "" : "; STATUS changed: ",
				       same ? "" : diff);
		ksft_test_result(code == 2 && same,
				 "%s: exit %d (expected 2), status %s\n", cmd,
				 code, same ? "unchanged" : "CHANGED");
		if (code == 0)
			settle(false);
	}
}

int main(int argc, char **argv)
{
	struct tscpage_hvsim_status st;
	unsigned int i;
	bool tsc_writes, zero;
	void *bad_page;
	int ncpu;

	if (argc > 1) {
		fprintf(strcmp(argv[1], "--help") ? stderr : stdout,
			"usage: %s\n  with tscpage_hvsim loaded (allow_tsc_writes=0 or 1)\n",
			argv[0]);
		return strcmp(argv[1], "--help") ? KSFT_FAIL : KSFT_PASS;
	}
	ksft_print_header();
	hv = hvsim_open(NULL, &st);
	tsc_writes = st.flags & TSCPAGE_HVSIM_TSC_WRITES;
	ncpu = cpu_list_last(CPU_DIR "possible") + 1;
	if (ncpu <= 0)
		ksft_exit_fail_msg("cannot read " CPU_DIR "possible\n");
	bad_page = mmap(NULL, sysconf(_SC_PAGESIZE), PROT_NONE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (bad_page == MAP_FAILED)
		ksft_exit_fail_perror("mmap PROT_NONE");
	build_cases(st.format, tsc_writes, ncpu, bad_page);
	ksft_print_msg("%s page, allow_tsc_writes=%d, %d possible CPUs: %u refusals\n",
		       format_name(st.format), tsc_writes, ncpu, ncases);

	/* STATUS, then each refusal, then the checks below. */
	ksft_set_plan(1 + ncases + OFFLINE_RESULTS + BUSY_RESULTS +
		      NOBODY_RESULTS + N_CTL);
	zero = true;
	for (i = 0; i < 4; i++)
		zero &= !st.reserved[i];
	ksft_test_result(zero && (st.format == TSCPAGE_FORMAT_PVCLOCK ||
				  st.format == TSCPAGE_FORMAT_HVREF) &&
			 !(st.flags & ~(TSCPAGE_HVSIM_EMULATING |
					TSCPAGE_HVSIM_GUEST_STOPPED |
					TSCPAGE_HVSIM_SUBSCRIBED |
					TSCPAGE_HVSIM_TSC_WRITES |
					TSCPAGE_HVSIM_TSC_IGNORED)),
			 "STATUS: known format %u, known flags %#x, reserved zero\n",
			 st.format, st.flags);

	settle(false);
	for (i = 0; i < ncases; i++)
		run_case(&cases[i]);
	check_offline(ncpu);
	check_busy();
	check_nobody();
	check_ctl();

	munmap(bad_page, sysconf(_SC_PAGESIZE));
	free(cases);
	close(hv);
	ksft_finished();
}
