// SPDX-License-Identifier: GPL-2.0
/*
 * init_order - tscpage's interfaces appear only once they can be served,
 * and a refused load leaves nothing anyone could have opened.
 *
 * Needs tscpage_hvsim loaded (pvclock) and tscpage not; ends the same way.
 * Two threads run throughout, as a user's programs would:
 *  - an opener that opens /dev/tscpage whenever it can and holds it 20 ms
 *    (an open file of a module whose init then fails outlives the
 *    module's code);
 *  - a bench writer that writes 1000 to /sys/kernel/debug/tscpage/bench
 *    whenever it exists: 1000 in-kernel reads of the clocksource (a read
 *    before the read function is set is a NULL call).
 * inotify on /dev and on debugfs's root records every creation named
 * tscpage, however short-lived.
 *
 *  1. Each bad parameter (rating=-1, rating=500, unusable_ms=5,
 *     unusable_ms=60001, provider=nosuch) is refused with EINVAL, and
 *     meanwhile neither /dev/tscpage nor debugfs's tscpage/ appeared and
 *     neither thread got in.
 *  2. Over a page stuck mid-update (hvsim's stuck_odd fault, 5 s) the load
 *     retries its first read for a while and is refused with EAGAIN; again
 *     nothing appeared and nobody got in.
 *  3. With the fault ended the load succeeds, both appear and both
 *     threads get in (so they would have, had the interfaces been there),
 *     and tscpage unloads.
 * After each refused load: no module, no device, no debugfs directory, no
 * clocksource.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <linux/tscpage_hvsim.h>

#include "kselftest.h"
#include "clocksource_sysfs.h"
#include "kmod.h"

#define DEV_DIR		"/dev"
#define DEV_NAME	"tscpage"
#define DEBUGFS_DIR	"/sys/kernel/debug"
#define BENCH		DEBUGFS_DIR "/tscpage/bench"
#define HVSIM_DEV	"/dev/tscpage_hvsim"

static atomic_bool stop;
/* Times each thread got in; reset by the main thread before each load. */
static atomic_uint opens, bench_writes;
/* The last bench write's failure, for the evidence (0: none). */
static atomic_int bench_errno;

static void nap_us(long us)
{
	struct timespec ts = { .tv_sec = us / 1000000,
			       .tv_nsec = us % 1000000 * 1000 };

	nanosleep(&ts, NULL);
}

static void *opener(void *arg)
{
	int fd;

	(void)arg;
	while (!atomic_load(&stop)) {
		fd = open(DEV_DIR "/" DEV_NAME, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			nap_us(100);
			continue;
		}
		atomic_fetch_add(&opens, 1);
		nap_us(20000);
		close(fd);
	}
	return NULL;
}

static void *bench_writer(void *arg)
{
	int fd;

	(void)arg;
	while (!atomic_load(&stop)) {
		fd = open(BENCH, O_WRONLY | O_CLOEXEC);
		if (fd < 0) {
			nap_us(100);
			continue;
		}
		if (write(fd, "1000\n", 5) == 5)
			atomic_fetch_add(&bench_writes, 1);
		else
			atomic_store(&bench_errno, errno);
		close(fd);
		nap_us(1000);
	}
	return NULL;
}

/*
 * The creations named tscpage that @ino saw since last asked, as
 * "/dev, debugfs" into @buf; returns how many.
 */
static int creations(int ino, int dev_wd, char *buf, size_t size)
{
	char ev[sizeof(struct inotify_event) + NAME_MAX + 1]
		__attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event *e;
	ssize_t len;
	int n = 0;
	char *p;

	buf[0] = '\0';
	while ((len = read(ino, ev, sizeof(ev))) > 0) {
		for (p = ev; p < ev + len; p += sizeof(*e) + e->len) {
			e = (const struct inotify_event *)p;
			if (!e->len || strcmp(e->name, DEV_NAME))
				continue;
			snprintf(buf + strlen(buf), size - strlen(buf), "%s%s",
				 n++ ? ", " : "",
				 e->wd == dev_wd ? "/dev/tscpage" :
				 "debugfs tscpage/");
		}
	}
	if (!n)
		snprintf(buf, size, "none");
	return n;
}

/* What a refused load must not leave: "" if nothing, else what. */
static void leftovers(char *buf, size_t size)
{
	buf[0] = '\0';
	if (kmod_loaded("tscpage"))
		snprintf(buf + strlen(buf), size - strlen(buf), " module");
	if (!access(DEV_DIR "/" DEV_NAME, F_OK))
		snprintf(buf + strlen(buf), size - strlen(buf), " /dev/tscpage");
	if (!access(DEBUGFS_DIR "/tscpage", F_OK))
		snprintf(buf + strlen(buf), size - strlen(buf), " debugfs");
	if (clocksource_available("tscpage"))
		snprintf(buf + strlen(buf), size - strlen(buf), " clocksource");
}

/*
 * One load that must be refused with @want: one result, with the
 * creations inotify saw and the threads' get-ins since it began.
 */
static void refused(int ino, int dev_wd, const char *params, int want,
		    const char *what)
{
	char seen[96], left[64];
	unsigned int o, w;
	int err, n;

	atomic_store(&opens, 0);
	atomic_store(&bench_writes, 0);
	err = kmod_load("tscpage", params);
	/* Let a thread that got in at the last moment count itself. */
	nap_us(50000);
	o = atomic_load(&opens);
	w = atomic_load(&bench_writes);
	n = creations(ino, dev_wd, seen, sizeof(seen));
	leftovers(left, sizeof(left));
	ksft_test_result(err == -want && !n && !o && !w && !left[0],
			 "%s: load %s (want %s); created meanwhile: %s; opens %u, bench writes %u; left:%s\n",
			 what, err ? strerror(-err) : "succeeded",
			 strerror(want), seen, o, w, left[0] ? left : " nothing");
	if (!err)
		kmod_unload("tscpage");
}

static int hvsim_fault(int fd, uint32_t fault, uint32_t for_ms)
{
	struct tscpage_hvsim_fault_req req = { .fault = fault,
					       .for_ms = for_ms };

	return ioctl(fd, TSCPAGE_HVSIM_IOC_FAULT, &req) ? -errno : 0;
}

int main(void)
{
	static const struct {
		const char *params;
		const char *what;
	} bad[] = {
		{ "rating=-1", "rating=-1" },
		{ "rating=500", "rating=500" },
		{ "unusable_ms=5", "unusable_ms=5" },
		{ "unusable_ms=60001", "unusable_ms=60001" },
		{ "provider=nosuch", "provider=nosuch" },
	};
	pthread_t th[2];
	char seen[96];
	unsigned int i, o = 0, w = 0;
	int ino, dev_wd, hv, err, n;

	ksft_print_header();
	if (geteuid())
		ksft_exit_skip("needs root\n");
	if (!kmod_loaded("tscpage_hvsim"))
		ksft_exit_skip("tscpage_hvsim is not loaded\n");
	if (kmod_loaded("tscpage"))
		ksft_exit_fail_msg("tscpage is loaded: the test loads it itself\n");
	hv = open(HVSIM_DEV, O_RDWR | O_CLOEXEC);
	if (hv < 0)
		ksft_exit_fail_msg("open %s: %s\n", HVSIM_DEV, strerror(errno));
	ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (ino < 0)
		ksft_exit_fail_msg("inotify_init1: %s\n", strerror(errno));
	dev_wd = inotify_add_watch(ino, DEV_DIR, IN_CREATE);
	if (dev_wd < 0 || inotify_add_watch(ino, DEBUGFS_DIR, IN_CREATE) < 0)
		ksft_exit_fail_msg("inotify on %s and %s: %s\n", DEV_DIR,
				   DEBUGFS_DIR, strerror(errno));
	if (pthread_create(&th[0], NULL, opener, NULL) ||
	    pthread_create(&th[1], NULL, bench_writer, NULL))
		ksft_exit_fail_msg("pthread_create failed\n");

	/* Each bad load; then the stuck page, the good load, the unload. */
	ksft_set_plan(ARRAY_SIZE(bad) + 3);
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		refused(ino, dev_wd, bad[i].params, EINVAL, bad[i].what);

	err = hvsim_fault(hv, TSCPAGE_HVSIM_FAULT_STUCK_ODD, 5000);
	if (err) {
		ksft_test_result_fail("stuck page: hvsim fault stuck_odd: %s\n",
				      strerror(-err));
	} else {
		refused(ino, dev_wd, "", EAGAIN,
			"page stuck mid-update (stuck_odd)");
		err = hvsim_fault(hv, TSCPAGE_HVSIM_FAULT_NONE, 0);
		if (err)
			ksft_print_msg("ending the fault: %s\n", strerror(-err));
	}

	/* The good load: both threads must get in, within 5 s. */
	atomic_store(&opens, 0);
	atomic_store(&bench_writes, 0);
	err = kmod_load("tscpage", "");
	for (i = 0; !err && i < 500; i++) {
		o = atomic_load(&opens);
		w = atomic_load(&bench_writes);
		if (o && w)
			break;
		nap_us(10000);
	}
	n = creations(ino, dev_wd, seen, sizeof(seen));
	ksft_test_result(!err && n == 2 && o && w,
			 "load over a good page: %s; created: %s; opens %u, bench writes %u%s%s\n",
			 err ? strerror(-err) : "loaded", seen, o, w,
			 atomic_load(&bench_errno) ? "; last bench error: " : "",
			 atomic_load(&bench_errno) ?
			 strerror(atomic_load(&bench_errno)) : "");

	/* The threads hold module references while they are in: stop them. */
	atomic_store(&stop, true);
	pthread_join(th[0], NULL);
	pthread_join(th[1], NULL);
	err = kmod_unload("tscpage");
	ksft_test_result(!err && !kmod_loaded("tscpage"), "tscpage unloaded%s%s\n",
			 err ? ": " : "", err ? strerror(-err) : "");
	close(ino);
	close(hv);
	ksft_finished();
	return 0;
}
