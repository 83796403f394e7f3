// SPDX-License-Identifier: GPL-2.0
/*
 * nested - run an L2 guest under this machine's KVM and report it as KTAP.
 *
 * Runs inside L1, the TCG guest of a nested vmtest row that has loaded
 * kvm and kvm-amd: L2 is qemu-system-x86_64 -enable-kvm over the same
 * kernel, so it gets a real kvmclock page (-cpu host) or a real Hyper-V
 * reference TSC page (-cpu host,kvm=off,hv-time,...), written by KVM.
 *
 * usage: nested [--cpu MODEL] [--smp N] [--mem MB] [--append ARGS]
 *               [--plan PATH] [--timeout S] [--migrations N] [--pauses N]
 *               [--pause-ms M] [--save-restores N] [--interval-ms I]
 *               [--shell]
 *
 * L2's init (tools/vmtest/init.c) runs the plan named on its kernel
 * command line (vmtest.plan=PATH, a file in L2's initramfs). Its serial
 * ports, per QEMU process K (a migration moves L2 to a new process):
 *   ttyS0  console   -> /tmp/nested/console.K
 *   ttyS1  KTAP      -> a unix socket we listen on; relayed to our stdout
 *                       line by line (L1's init nests it under our step)
 *   ttyS2  L2's klog -> /tmp/nested/dmesg.K, written at the end to L1's
 *                       /dev/ttyS3 (the row's dmesg-l2.log, judged by the
 *                       verdict like L1's own log)
 *   ttyS3  beacons   -> a unix socket: time_beacon's lines, each stamped
 *                       with L1's CLOCK_REALTIME on arrival
 *
 * A line anywhere in L2's KTAP that reads "# vmtest-l1: clocksource NAME"
 * makes NAME L1's current clocksource (a test in L2 taking L1's KVM off
 * its master clock, and back); we say what happened on our stdout.
 * --l1-clocksource NAME does the same before L2 starts (L2 then boots
 * over a KVM without a master clock) and puts L1's back after.
 *
 * Events (--migrations, --pauses, --save-restores): once L2's first beacon
 * arrives, every --interval-ms one event, in the order migrations,
 * pause, save/restore, interleaved: a QEMU-to-QEMU migration to a fresh
 * process (-incoming unix:...), a QMP stop, --pause-ms, cont, or a save
 * to a file and a restore in a new process. Each event is a KTAP result
 * after L2's own, with QEMU's figure (downtime, pause, save and restore
 * time), and at the end the three views per event: QEMU's figure, the
 * step of each L2 clock and of L2's TSC across the event (from the
 * beacons on each side of it), and the lag behind L1's time (L1's gap
 * minus L2's CLOCK_MONOTONIC step).
 *
 * Exit status: 0 L2 ran its plan to the end, every L2 result and event
 * passed; 1 otherwise; 2 bad usage. With --shell, L2's console is this
 * terminal and nothing else is done.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "../unix_connect.h"

#define DIR		"/tmp/nested"
#define L2_KERNEL	"/opt/tscpage/l2/vmlinuz"
#define L2_INITRD	"/opt/tscpage/l2/initramfs.cpio.gz"
#define L1_KLOG_TTY	"/dev/ttyS3"
#define CS_PATH		"/sys/devices/system/clocksource/clocksource0/current_clocksource"
#define REQUEST		"# vmtest-l1: clocksource "
#define MAX_PROCS	64
#define MAX_EVENTS	256
#define MAX_BEACONS	200000
#define QMP_TIMEOUT_MS	60000
#define MIGRATE_WAIT_MS	120000
/* From L2's "# vmtest: done" to its power-off: its kernel log, at most. */
#define POWEROFF_WAIT_MS	60000

static struct {
	const char *cpu, *append, *plan, *l1_cs;
	int smp, mem, timeout_s, migrations, pauses, pause_ms, saves;
	int interval_ms;
	bool shell;
} opt = {
	.cpu = "host", .append = "", .plan = "/opt/tscpage/plan",
	.smp = 2, .mem = 256, .timeout_s = 600, .pause_ms = 2000,
	.interval_ms = 1000,
};

static void say_tail(const char *path, const char *prefix);

/* QEMU processes, in the order L2 lived in them. */
static int n_procs;
static pid_t procs[MAX_PROCS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
/* The process L2 runs in now; 0 while between two (a save/restore). */
static pid_t cur_pid;
static int cur_idx;

/* The beacons: L1 time on arrival, and L2's clocks. */
struct beacon {
	int64_t host, mono, real, boot;
	uint64_t tsc;
};
static struct beacon *beacons;
static int n_beacons;
static volatile int beacon_started, beacon_ended;

struct event {
	const char *kind;	/* "migration", "pause", "save-restore" */
	int64_t start, end;	/* L1 CLOCK_REALTIME ns around it */
	double qemu_ms;		/* QEMU's figure */
	char detail[128];
	bool ok;
	char why[160];
};
static struct event events[MAX_EVENTS];
static int n_events;

static int64_t real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Our stdout is the KTAP L1's init nests: whole lines, flushed. */
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;

static void say(const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&out_lock);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	pthread_mutex_unlock(&out_lock);
}

/* ------------------------------------------------------------- QEMU */

static int listen_unix(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	unlink(path);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(fd, 8)) {
		fprintf(stderr, "nested: listen %s: %s\n", path,
			strerror(errno));
		exit(1);
	}
	return fd;
}

/* Starts QEMU process @k; @incoming is a migration URI or NULL. */
static pid_t spawn_qemu(int k, const char *incoming)
{
	char append[1024], con[64], klog[64], qmp[64], smp[16], mem[16];
	const char *argv[64];
	int argc = 0;
	pid_t pid;

	snprintf(append, sizeof(append),
		 "console=ttyS0 panic=-1 log_buf_len=4M vmtest.plan=%s %s",
		 opt.plan, opt.append);
	snprintf(con, sizeof(con), "file:" DIR "/console.%d", k);
	snprintf(klog, sizeof(klog), "file:" DIR "/dmesg.%d", k);
	snprintf(qmp, sizeof(qmp), "unix:" DIR "/qmp.%d,server=on,wait=off", k);
	snprintf(smp, sizeof(smp), "%d", opt.smp);
	snprintf(mem, sizeof(mem), "%d", opt.mem);
	argv[argc++] = "qemu-system-x86_64";
	argv[argc++] = "-enable-kvm";
	argv[argc++] = "-cpu";
	argv[argc++] = opt.cpu;
	argv[argc++] = "-smp";
	argv[argc++] = smp;
	argv[argc++] = "-m";
	argv[argc++] = mem;
	argv[argc++] = "-nodefaults";
	argv[argc++] = "-no-user-config";
	argv[argc++] = "-display";
	argv[argc++] = "none";
	argv[argc++] = "-no-reboot";
	argv[argc++] = "-kernel";
	argv[argc++] = L2_KERNEL;
	argv[argc++] = "-initrd";
	argv[argc++] = L2_INITRD;
	argv[argc++] = "-append";
	argv[argc++] = append;
	if (opt.shell) {
		/* ttyS1..3 exist, as init and the tests expect, and say nothing. */
		argv[argc++] = "-serial";
		argv[argc++] = "mon:stdio";
		for (int i = 0; i < 3; i++) {
			argv[argc++] = "-serial";
			argv[argc++] = "null";
		}
	} else {
		argv[argc++] = "-serial";
		argv[argc++] = con;
		argv[argc++] = "-chardev";
		argv[argc++] = "socket,id=ktap,path=" DIR "/ktap.sock";
		argv[argc++] = "-serial";
		argv[argc++] = "chardev:ktap";
		argv[argc++] = "-serial";
		argv[argc++] = klog;
		argv[argc++] = "-chardev";
		argv[argc++] = "socket,id=beacon,path=" DIR "/beacon.sock";
		argv[argc++] = "-serial";
		argv[argc++] = "chardev:beacon";
		argv[argc++] = "-qmp";
		argv[argc++] = qmp;
	}
	if (incoming) {
		argv[argc++] = "-incoming";
		argv[argc++] = incoming;
	}
	argv[argc] = NULL;

	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "nested: fork: %s\n", strerror(errno));
		return -1;
	}
	if (!pid) {
		char log[64];
		int fd;

		/* L2's console is L1's with --shell: the user's terminal. */
		if (opt.shell) {
			fd = open("/dev/ttyS0", O_RDWR | O_NOCTTY);
			dup2(fd, 0);
		} else {
			snprintf(log, sizeof(log), DIR "/qemu.%d", k);
			fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
			close(0);
		}
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execvp(argv[0], (char **)argv);
		_exit(127);
	}
	pthread_mutex_lock(&lock);
	if (n_procs < MAX_PROCS)
		procs[n_procs++] = pid;
	pthread_mutex_unlock(&lock);
	return pid;
}

/* A QMP connection to process @k: greeting read, capabilities agreed. */
struct qmp {
	int fd;
	char buf[1 << 16];
	size_t len;
};

static bool qmp_line(struct qmp *q, char *out, size_t outlen)
{
	int64_t deadline = mono_ms() + QMP_TIMEOUT_MS;
	char *nl;

	while (!(nl = memchr(q->buf, '\n', q->len))) {
		struct pollfd p = { .fd = q->fd, .events = POLLIN };
		ssize_t n;

		if (mono_ms() > deadline || q->len == sizeof(q->buf))
			return false;
		poll(&p, 1, 100);
		n = read(q->fd, q->buf + q->len, sizeof(q->buf) - q->len);
		if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
			return false;
		if (n > 0)
			q->len += (size_t)n;
	}
	*nl = '\0';
	memcpy(out, q->buf, outlen - 1);
	out[outlen - 1] = '\0';
	q->len -= (size_t)(nl + 1 - q->buf);
	memmove(q->buf, nl + 1, q->len);
	return true;
}

/* Sends @cmd and puts the answer (not an event) in @ans. */
static bool qmp_cmd(struct qmp *q, const char *cmd, char *ans, size_t len)
{
	size_t n = strlen(cmd);

	if (write(q->fd, cmd, n) != (ssize_t)n || write(q->fd, "\n", 1) != 1) {
		snprintf(ans, len, "cannot send: %s", strerror(errno));
		return false;
	}
	do {
		if (!qmp_line(q, ans, len)) {
			snprintf(ans, len, "no answer: QEMU gone or silent for %d ms",
				 QMP_TIMEOUT_MS);
			return false;
		}
	} while (strstr(ans, "\"event\""));
	return !strstr(ans, "\"error\"");
}

static bool qmp_open(struct qmp *q, int k)
{
	char path[64], line[4096];

	snprintf(path, sizeof(path), DIR "/qmp.%d", k);
	q->len = 0;
	q->fd = unix_connect(path, 20000);
	if (q->fd < 0)
		return false;
	if (!qmp_line(q, line, sizeof(line)) ||
	    !qmp_cmd(q, "{\"execute\":\"qmp_capabilities\"}", line,
		     sizeof(line))) {
		close(q->fd);
		return false;
	}
	return true;
}

/* A number after "KEY": in @json, or -1. */
static double json_num(const char *json, const char *key)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\": ", key);
	p = strstr(json, pat);
	if (!p)
		return -1;
	return strtod(p + strlen(pat), NULL);
}

/*
 * Migrates from the process behind @src to @uri; waits for QEMU to say
 * completed. Fills QEMU's downtime and total time in @e.
 */
static bool migrate(struct qmp *src, const char *uri, struct event *e)
{
	char cmd[256], ans[8192];
	int64_t deadline = mono_ms() + MIGRATE_WAIT_MS;

	snprintf(cmd, sizeof(cmd),
		 "{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"%s\"}}", uri);
	if (!qmp_cmd(src, cmd, ans, sizeof(ans))) {
		snprintf(e->why, sizeof(e->why), "migrate: %.120s", ans);
		return false;
	}
	while (mono_ms() < deadline) {
		if (!qmp_cmd(src, "{\"execute\":\"query-migrate\"}", ans,
			     sizeof(ans))) {
			snprintf(e->why, sizeof(e->why), "query-migrate: %.100s",
				 ans);
			return false;
		}
		if (strstr(ans, "\"status\": \"completed\"")) {
			double down = json_num(ans, "downtime");
			double total = json_num(ans, "total-time");

			e->qemu_ms = down;
			snprintf(e->detail, sizeof(e->detail),
				 "downtime=%.0fms total=%.0fms", down, total);
			return true;
		}
		if (strstr(ans, "\"status\": \"failed\"") ||
		    strstr(ans, "\"status\": \"cancelled\"")) {
			snprintf(e->why, sizeof(e->why), "QEMU: %.120s", ans);
			return false;
		}
		usleep(20000);
	}
	snprintf(e->why, sizeof(e->why), "not completed in %d ms",
		 MIGRATE_WAIT_MS);
	return false;
}

/* Waits for process @k to run L2 (after an incoming migration). */
static bool wait_running(struct qmp *q, struct event *e)
{
	char ans[4096];
	int64_t deadline = mono_ms() + MIGRATE_WAIT_MS;

	while (mono_ms() < deadline) {
		if (!qmp_cmd(q, "{\"execute\":\"query-status\"}", ans,
			     sizeof(ans))) {
			snprintf(e->why, sizeof(e->why), "query-status: %.100s",
				 ans);
			return false;
		}
		if (strstr(ans, "\"status\": \"running\""))
			return true;
		usleep(10000);
	}
	snprintf(e->why, sizeof(e->why), "destination never running");
	return false;
}

/* Kills every QEMU process not yet reaped. */
static void kill_all(void)
{
	pthread_mutex_lock(&lock);
	for (int i = 0; i < n_procs; i++)
		if (procs[i] > 0)
			kill(procs[i], SIGKILL);
	pthread_mutex_unlock(&lock);
}

static void quit_and_reap(struct qmp *q, pid_t pid)
{
	char ans[1024];

	qmp_cmd(q, "{\"execute\":\"quit\"}", ans, sizeof(ans));
	close(q->fd);
	waitpid(pid, NULL, 0);
	/* Its pid may be reused: kill_all() must not find it. */
	pthread_mutex_lock(&lock);
	for (int i = 0; i < n_procs; i++)
		if (procs[i] == pid)
			procs[i] = -pid;
	pthread_mutex_unlock(&lock);
}

static void set_current(pid_t pid, int idx)
{
	pthread_mutex_lock(&lock);
	cur_pid = pid;
	cur_idx = idx;
	pthread_mutex_unlock(&lock);
}

/* One event on the process behind @q (index @k); false ends the events. */
static bool run_event(struct event *e, struct qmp *q, int *k)
{
	char uri[128], ans[1024];
	struct qmp nq;
	pid_t old = procs[n_procs - 1], np;

	e->start = real_ns();
	if (!strcmp(e->kind, "pause")) {
		int64_t t0 = real_ns();

		if (!qmp_cmd(q, "{\"execute\":\"stop\"}", ans, sizeof(ans))) {
			snprintf(e->why, sizeof(e->why), "stop: %.100s", ans);
			return false;
		}
		usleep((useconds_t)opt.pause_ms * 1000);
		if (!qmp_cmd(q, "{\"execute\":\"cont\"}", ans, sizeof(ans))) {
			snprintf(e->why, sizeof(e->why), "cont: %.100s", ans);
			return false;
		}
		e->qemu_ms = (double)(real_ns() - t0) / 1e6;
		snprintf(e->detail, sizeof(e->detail), "requested=%dms",
			 opt.pause_ms);
	} else if (!strcmp(e->kind, "migration")) {
		snprintf(uri, sizeof(uri), "unix:" DIR "/mig.%d", *k + 1);
		np = spawn_qemu(*k + 1, uri);
		if (np < 0 || !qmp_open(&nq, *k + 1)) {
			snprintf(e->why, sizeof(e->why),
				 "destination QEMU %d did not start", *k + 1);
			return false;
		}
		if (!migrate(q, uri, e) || !wait_running(&nq, e)) {
			close(nq.fd);
			return false;
		}
		set_current(np, *k + 1);
		quit_and_reap(q, old);
		*q = nq;
		++*k;
	} else {
		int64_t t0 = real_ns(), t1;

		if (!migrate(q, "exec:cat > " DIR "/state", e))
			return false;
		set_current(0, *k);
		quit_and_reap(q, old);
		t1 = real_ns();
		usleep((useconds_t)opt.pause_ms * 1000);
		np = spawn_qemu(*k + 1, "exec:cat " DIR "/state");
		if (np < 0 || !qmp_open(&nq, *k + 1) || !wait_running(&nq, e)) {
			if (!e->why[0])
				snprintf(e->why, sizeof(e->why),
					 "restore in QEMU %d failed", *k + 1);
			return false;
		}
		set_current(np, *k + 1);
		*q = nq;
		++*k;
		e->qemu_ms = (double)(real_ns() - t0) / 1e6;
		snprintf(e->detail, sizeof(e->detail),
			 "save=%.0fms wait=%dms", (double)(t1 - t0) / 1e6,
			 opt.pause_ms);
	}
	e->end = real_ns();
	e->ok = true;
	return true;
}

/*
 * The kind of the next event: of the kinds with events left, the one
 * furthest behind its share so far (so a pause and a save/restore fall
 * among the migrations, not after them all).
 */
static const char *next_kind(int done[3])
{
	static const char *const kinds[3] = { "migration", "pause",
					      "save-restore" };
	const int want[3] = { opt.migrations, opt.pauses, opt.saves };
	int best = -1;
	double behind = -1;

	for (int i = 0; i < 3; i++) {
		double b;

		if (done[i] >= want[i])
			continue;
		b = (double)(want[i] - done[i]) / want[i];
		if (b > behind) {
			behind = b;
			best = i;
		}
	}
	if (best < 0)
		return NULL;
	done[best]++;
	return kinds[best];
}

/* The events, on their own thread while main() relays L2's output. */
static void *events_main(void *arg)
{
	int done[3] = { 0 }, k = 0;
	struct qmp q;

	(void)arg;
	while (!beacon_started && !beacon_ended)
		usleep(20000);
	if (beacon_ended)
		return NULL;
	if (!qmp_open(&q, 0)) {
		say("# nested: no QMP on QEMU 0: no events");
		return NULL;
	}
	while (n_events < MAX_EVENTS) {
		struct event *e = &events[n_events];

		usleep((useconds_t)opt.interval_ms * 1000);
		if (beacon_ended)
			break;
		e->kind = next_kind(done);
		if (!e->kind)
			break;
		n_events++;
		say("# nested: event %d: %s", n_events, e->kind);
		if (!run_event(e, &q, &k)) {
			char path[64];

			e->end = real_ns();
			say("# nested: event %d (%s) failed: %s", n_events,
			    e->kind, e->why);
			/* What the QEMUs said: the source, and a destination. */
			for (int i = k; i < n_procs && i <= k + 1; i++) {
				snprintf(path, sizeof(path), DIR "/qemu.%d", i);
				say_tail(path, "# qemu: ");
			}
			/*
			 * L2 may be left stopped in a source that handed it
			 * to a destination that died: end it now rather than
			 * at the deadline.
			 */
			kill_all();
			break;
		}
		say("# nested: event %d: %s done, QEMU %.1f ms (%s)", n_events,
		    e->kind, e->qemu_ms, e->detail);
	}
	close(q.fd);
	return NULL;
}

/* ---------------------------------------------------------- streams */

struct stream {
	int fd;
	char buf[8192];
	size_t len;
};

/* Makes @name L1's clocksource; @was gets the one before, if asked. */
static void l1_clocksource(const char *name, char *was, size_t len)
{
	char now[64] = "";
	bool ok;
	int fd;

	fd = open(CS_PATH, O_RDONLY);
	if (fd >= 0 && was) {
		ssize_t n = read(fd, was, len - 1);

		was[n > 0 ? n - 1 : 0] = '\0';
	}
	if (fd >= 0)
		close(fd);
	fd = open(CS_PATH, O_WRONLY);
	ok = fd >= 0 && write(fd, name, strlen(name)) == (ssize_t)strlen(name);
	if (fd >= 0)
		close(fd);
	fd = open(CS_PATH, O_RDONLY);
	if (fd >= 0) {
		ssize_t n = read(fd, now, sizeof(now) - 1);

		now[n > 0 ? n - 1 : 0] = '\0';
		close(fd);
	}
	say("# nested: L1 clocksource %s: %s (now %s)", name,
	    ok ? "set" : strerror(errno), now);
}

static bool l2_started, l2_done, l2_failed;
static int64_t l2_done_ms;
/* L2's top-level results: ours are numbered after them. */
static int l2_results;

static void ktap_line(char *l)
{
	char *r = strstr(l, REQUEST);

	say("%s", l);
	if (!strcmp(l, "KTAP version 1"))
		l2_started = true;
	if (!strcmp(l, "# vmtest: done")) {
		l2_done = true;
		l2_done_ms = mono_ms();
	}
	if (!strncmp(l, "ok ", 3) || !strncmp(l, "not ok ", 7))
		l2_results++;
	if (!strncmp(l, "not ok ", 7) && !strstr(l, "# SKIP"))
		l2_failed = true;
	if (r) {
		char name[64];

		snprintf(name, sizeof(name), "%s", r + strlen(REQUEST));
		name[strcspn(name, " \t\r")] = '\0';
		l1_clocksource(name, NULL, 0);
	}
}

static FILE *beacon_log;

static void beacon_line(char *l)
{
	int64_t host = real_ns();
	struct beacon b;
	char tag[64];
	long long seq;

	fprintf(beacon_log, "%" PRId64 " %s\n", host, l);
	if (l[0] == 'E')
		beacon_ended = 1;
	if (l[0] != 'B' || n_beacons >= MAX_BEACONS)
		return;
	if (sscanf(l, "B %63s %lld %" SCNd64 " %" SCNd64 " %" SCNd64 " %" SCNu64,
		   tag, &seq, &b.mono, &b.real, &b.boot, &b.tsc) != 6)
		return;
	b.host = host;
	beacons[n_beacons++] = b;
	beacon_started = 1;
}

/* Reads what is there; calls @fn per complete line. false on EOF. */
static bool stream_read(struct stream *s, void (*fn)(char *))
{
	ssize_t n = read(s->fd, s->buf + s->len, sizeof(s->buf) - 1 - s->len);
	char *p, *nl;

	if (n <= 0)
		return !(n == 0 || (errno != EINTR && errno != EAGAIN));
	s->len += (size_t)n;
	s->buf[s->len] = '\0';
	p = s->buf;
	while ((nl = strchr(p, '\n'))) {
		*nl = '\0';
		if (nl > p && nl[-1] == '\r')
			nl[-1] = '\0';
		fn(p);
		p = nl + 1;
	}
	s->len -= (size_t)(p - s->buf);
	memmove(s->buf, p, s->len);
	if (s->len == sizeof(s->buf) - 1) {	/* overlong line */
		fn(s->buf);
		s->len = 0;
	}
	return true;
}

/*
 * The streams of one kind (KTAP, beacons): a process's connection is
 * read until it closes before the next process's, so that lines keep
 * their order across a migration.
 */
struct chan {
	int lfd;
	struct stream q[MAX_PROCS];
	int head, tail;
	void (*fn)(char *);
};

static void chan_accept(struct chan *c)
{
	int fd = accept4(c->lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (fd < 0 || c->tail >= MAX_PROCS) {
		if (fd >= 0)
			close(fd);
		return;
	}
	c->q[c->tail].fd = fd;
	c->q[c->tail].len = 0;
	c->tail++;
}

static void chan_poll(struct chan *c, struct pollfd *p, int *n)
{
	p[*n].fd = c->lfd;
	p[*n].events = POLLIN;
	(*n)++;
	if (c->head < c->tail) {
		p[*n].fd = c->q[c->head].fd;
		p[*n].events = POLLIN;
		(*n)++;
	}
}

static void chan_service(struct chan *c, struct pollfd *p, int *n)
{
	if (p[*n].revents & POLLIN)
		chan_accept(c);
	(*n)++;
	if (c->head < c->tail) {
		if (p[*n].revents & (POLLIN | POLLHUP | POLLERR) &&
		    !stream_read(&c->q[c->head], c->fn)) {
			close(c->q[c->head].fd);
			c->head++;
		}
		(*n)++;
	}
}

static void chan_drain(struct chan *c)
{
	for (; c->head < c->tail; c->head++) {
		int64_t end = mono_ms() + 2000;
		struct pollfd p = { .fd = c->q[c->head].fd, .events = POLLIN };

		while (mono_ms() < end && poll(&p, 1, 200) > 0 &&
		       stream_read(&c->q[c->head], c->fn))
			;
		close(c->q[c->head].fd);
	}
}

/* ------------------------------------------------------------- end */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The last TAIL_LINES lines of @path, each said after @prefix. */
#define TAIL_LINES	40

static void say_tail(const char *path, const char *prefix)
{
	static char ring[TAIL_LINES][512];
	FILE *f = fopen(path, "r");
	int n = 0;

	if (!f)
		return;
	while (fgets(ring[n % TAIL_LINES], sizeof(ring[0]), f))
		n++;
	fclose(f);
	for (int i = n > TAIL_LINES ? n - TAIL_LINES : 0; i < n; i++) {
		char *l = ring[i % TAIL_LINES];

		l[strcspn(l, "\r\n")] = '\0';
		say("%s%s", prefix, l);
	}
}

/* Appends the file @path to @fd. */
static void copy_file(const char *path, int fd)
{
	char buf[8192];
	ssize_t n;
	int in = open(path, O_RDONLY);

	if (in < 0)
		return;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(fd, buf, (size_t)n) != n)
			break;
	close(in);
}

/* L2's kernel logs, every process's, to L1's fourth serial port. */
static void forward_klogs(void)
{
	int fd = open(L1_KLOG_TTY, O_WRONLY | O_NOCTTY);
	char path[64], head[128];

	if (fd < 0) {
		say("# nested: %s: %s: L2's kernel log not forwarded",
		    L1_KLOG_TTY, strerror(errno));
		return;
	}
	for (int k = 0; k < n_procs; k++) {
		int n = snprintf(head, sizeof(head),
				 "---- nested L2 (%s) QEMU process %d ----\n",
				 opt.plan, k);

		if (write(fd, head, (size_t)n) < 0)
			break;
		snprintf(path, sizeof(path), DIR "/dmesg.%d", k);
		copy_file(path, fd);
	}
	tcdrain(fd);
	close(fd);
}

/*
 * The beacon pair that straddles the event's blackout: of the beacons from
 * the last one before the event to the first one after it, the two
 * consecutive ones furthest apart in L1's time (a live migration's copy
 * runs with L2 running and beaconing; only its downtime is a gap).
 */
static bool around(const struct event *e, const struct beacon **a,
		   const struct beacon **b)
{
	int first = -1, last = -1;
	int64_t widest = -1;

	*a = *b = NULL;
	for (int i = 0; i < n_beacons; i++) {
		if (beacons[i].host <= e->start)
			first = i;
		if (beacons[i].host >= e->end) {
			last = i;
			break;
		}
	}
	if (first < 0 || last < 0)
		return false;
	for (int i = first; i < last; i++) {
		int64_t gap = beacons[i + 1].host - beacons[i].host;

		if (gap > widest) {
			widest = gap;
			*a = &beacons[i];
			*b = &beacons[i + 1];
		}
	}
	return true;
}

/*
 * L2's TSC cycles per ms of its CLOCK_MONOTONIC: the median over
 * consecutive beacons less than 100 ms apart, so that the few pairs an
 * event separates do not count.
 */
static double tsc_per_ms(void)
{
	static double r[MAX_BEACONS];
	int n = 0;

	for (int i = 1; i < n_beacons; i++) {
		int64_t dm = beacons[i].mono - beacons[i - 1].mono;

		if (dm > 0 && dm < 100000000)
			r[n++] = (double)(beacons[i].tsc - beacons[i - 1].tsc) /
				 ((double)dm / 1e6);
	}
	if (!n)
		return 0;
	qsort(r, (size_t)n, sizeof(r[0]), cmp_double);
	return r[n / 2];
}

static int report_events(int num)
{
	double per_ms = tsc_per_ms();
	if (!n_events)
		return num;
	say("# nested: the three views (QEMU's figure | L2's steps across the event, ms | lag behind L1)");
	say("# ev kind          | QEMU ms  detail                       |  L1 gap    mono    real    boot     tsc  mono-tsc |   lag ms");
	for (int i = 0; i < n_events; i++) {
		struct event *e = &events[i];
		const struct beacon *a, *b;

		if (e->ok && around(e, &a, &b)) {
			double gap = (double)(b->host - a->host) / 1e6;
			double mono = (double)(b->mono - a->mono) / 1e6;
			double real = (double)(b->real - a->real) / 1e6;
			double boot = (double)(b->boot - a->boot) / 1e6;
			double tsc = per_ms ? (double)(b->tsc - a->tsc) / per_ms : 0;

			say("# %-2d %-13s | %7.1f  %-28s | %7.1f %7.1f %7.1f %7.1f %7.1f %9.3f | %8.1f",
			    i + 1, e->kind, e->qemu_ms, e->detail, gap, mono,
			    real, boot, tsc, mono - tsc, gap - mono);
			if (mono < 0 || boot < 0) {
				e->ok = false;
				snprintf(e->why, sizeof(e->why),
					 "L2's clock went back across it (mono %.3f ms, boot %.3f ms)",
					 mono, boot);
			}
		} else if (e->ok) {
			say("# %-2d %-13s | %7.1f  %-28s | no beacons on both sides",
			    i + 1, e->kind, e->qemu_ms, e->detail);
		}
	}
	for (int i = 0; i < n_events; i++) {
		struct event *e = &events[i];

		say("%s %d nested: %s %d%s%s", e->ok ? "ok" : "not ok", num++,
		    e->kind, i + 1, e->ok ? "" : " # ", e->ok ? "" : e->why);
	}
	return num;
}

/*
 * Every PROGRESS_MS while L2 sends beacons, one line with the last one: a
 * long step (the hammer under migrations) shows it is alive, and where.
 */
#define PROGRESS_MS	30000

static void progress(void)
{
	static int64_t next_ms;
	int n = n_beacons;

	if (!n || beacon_ended || mono_ms() < next_ms)
		return;
	if (next_ms)
		say("# nested: L2 alive: %d beacons, the last at its CLOCK_MONOTONIC %.1f s, %.1f s ago",
		    n, (double)beacons[n - 1].mono / 1e9,
		    (double)(real_ns() - beacons[n - 1].host) / 1e9);
	next_ms = mono_ms() + PROGRESS_MS;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: nested [--cpu MODEL] [--smp N] [--mem MB] [--append ARGS]\n"
		"              [--plan PATH] [--timeout S] [--migrations N]\n"
		"              [--pauses N] [--pause-ms M] [--save-restores N]\n"
		"              [--interval-ms I] [--l1-clocksource NAME] [--shell]\n"
		"Runs an L2 guest under this machine's KVM; see tools/vmtest/nested.c.\n");
}

static int num_arg(const char *flag, const char *s, int min, int max)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s == '\0' || *end || v < min || v > max) {
		fprintf(stderr, "nested: --%s %s: want %d..%d\n", flag, s, min,
			max);
		exit(2);
	}
	return (int)v;
}

static void parse(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "cpu", required_argument, NULL, 'c' },
		{ "smp", required_argument, NULL, 's' },
		{ "mem", required_argument, NULL, 'm' },
		{ "append", required_argument, NULL, 'a' },
		{ "plan", required_argument, NULL, 'p' },
		{ "timeout", required_argument, NULL, 't' },
		{ "migrations", required_argument, NULL, 'M' },
		{ "pauses", required_argument, NULL, 'P' },
		{ "pause-ms", required_argument, NULL, 'w' },
		{ "save-restores", required_argument, NULL, 'S' },
		{ "interval-ms", required_argument, NULL, 'i' },
		{ "l1-clocksource", required_argument, NULL, 'l' },
		{ "shell", no_argument, NULL, 'x' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	int c;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'c': opt.cpu = optarg; break;
		case 's': opt.smp = num_arg("smp", optarg, 1, 64); break;
		case 'm': opt.mem = num_arg("mem", optarg, 64, 65536); break;
		case 'a': opt.append = optarg; break;
		case 'p': opt.plan = optarg; break;
		case 't': opt.timeout_s = num_arg("timeout", optarg, 1, 86400); break;
		case 'M': opt.migrations = num_arg("migrations", optarg, 0, 200); break;
		case 'P': opt.pauses = num_arg("pauses", optarg, 0, 20); break;
		case 'w': opt.pause_ms = num_arg("pause-ms", optarg, 0, 60000); break;
		case 'S': opt.saves = num_arg("save-restores", optarg, 0, 20); break;
		case 'i': opt.interval_ms = num_arg("interval-ms", optarg, 0, 60000); break;
		case 'l': opt.l1_cs = optarg; break;
		case 'x': opt.shell = true; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); exit(2);
		}
	}
	if (optind != argc) {
		usage(stderr);
		exit(2);
	}
}

int main(int argc, char **argv)
{
	struct chan ktap = { .fn = ktap_line }, beacon = { .fn = beacon_line };
	int64_t deadline;
	pthread_t ev;
	bool have_ev = false, exited = false, timed_out = false;
	char l1_was[64] = "";
	int status = 0, num;
	pid_t pid;

	parse(argc, argv);
	signal(SIGPIPE, SIG_IGN);
	mkdir(DIR, 0755);
	if (opt.shell) {
		pid = spawn_qemu(0, NULL);
		waitpid(pid, &status, 0);
		return 0;
	}
	beacons = calloc(MAX_BEACONS, sizeof(*beacons));
	beacon_log = fopen(DIR "/beacons", "w");
	if (!beacons || !beacon_log) {
		fprintf(stderr, "nested: no memory or no " DIR "\n");
		return 1;
	}
	ktap.lfd = listen_unix(DIR "/ktap.sock");
	beacon.lfd = listen_unix(DIR "/beacon.sock");
	say("# nested: L2 -cpu %s -smp %d -m %d, plan %s%s%s", opt.cpu,
	    opt.smp, opt.mem, opt.plan, opt.append[0] ? ", append " : "",
	    opt.append);
	if (opt.l1_cs)
		l1_clocksource(opt.l1_cs, l1_was, sizeof(l1_was));
	if (opt.migrations + opt.pauses + opt.saves)
		have_ev = !pthread_create(&ev, NULL, events_main, NULL);

	deadline = mono_ms() + opt.timeout_s * 1000LL;
	for (int attempt = 1; ; attempt++) {
		pid = spawn_qemu(0, NULL);
		if (pid < 0)
			return 1;
		set_current(pid, 0);
		exited = false;
		while (!exited) {
			struct pollfd p[4];
			int n = 0;

			chan_poll(&ktap, p, &n);
			chan_poll(&beacon, p, &n);
			poll(p, (nfds_t)n, 100);
			n = 0;
			chan_service(&ktap, p, &n);
			chan_service(&beacon, p, &n);

			pthread_mutex_lock(&lock);
			if (cur_pid > 0 &&
			    waitpid(cur_pid, &status, WNOHANG) == cur_pid)
				exited = true;
			pthread_mutex_unlock(&lock);
			progress();
			if (!exited && !timed_out &&
			    (mono_ms() > deadline ||
			     (l2_done &&
			      mono_ms() > l2_done_ms + POWEROFF_WAIT_MS))) {
				if (l2_done)
					say("# nested: L2 did not power off %d s after its plan ended: killed",
					    POWEROFF_WAIT_MS / 1000);
				else
					say("# nested: L2 still running after %d s: killed",
					    opt.timeout_s);
				timed_out = true;
				kill_all();
			}
		}
		/*
		 * An L2 that died before its init said a word never ran
		 * anything of ours: an emulation failure of the nested
		 * machine (TCG's SVM), seen twice in about thirty boots here.
		 * It gets one more boot, and says so; one that died later,
		 * or twice, is a failure.
		 */
		if (l2_started || timed_out || attempt == 2)
			break;
		say("# nested: L2 died before its init started (QEMU %s %d); booting it once more. Its console:",
		    WIFEXITED(status) ? "exit" : "signal",
		    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
		say_tail(DIR "/console.0", "# L2 console: ");
		pthread_mutex_lock(&lock);
		n_procs = 0;
		pthread_mutex_unlock(&lock);
	}
	beacon_ended = 1;
	if (have_ev)
		pthread_join(ev, NULL);
	chan_drain(&ktap);
	chan_drain(&beacon);
	fclose(beacon_log);

	if (!l2_done || timed_out) {
		char path[64];

		say("# nested: L2 did not finish (QEMU %s %d); its console:",
		    WIFEXITED(status) ? "exit" : "signal",
		    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
		snprintf(path, sizeof(path), DIR "/console.%d", cur_idx);
		say_tail(path, "# L2 console: ");
		snprintf(path, sizeof(path), DIR "/qemu.%d", cur_idx);
		say_tail(path, "# L2 qemu: ");
	}
	if (l1_was[0])
		l1_clocksource(l1_was, NULL, 0);
	forward_klogs();
	/*
	 * Our own results come after L2's document: L1's init nests them
	 * with L2's top-level results, and the verdict counts them all.
	 */
	num = report_events(l2_results + 1);
	for (int i = 0; i < n_events; i++)
		if (!events[i].ok)
			l2_failed = true;
	say("%s %d nested: L2 ran its plan to the end%s", l2_done && !timed_out ? "ok" : "not ok",
	    num, l2_done ? "" : " # L2 stopped early");
	return l2_done && !l2_failed && !timed_out ? 0 : 1;
}
