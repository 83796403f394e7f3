// SPDX-License-Identifier: GPL-2.0
/*
 * init.c - PID 1 of the tscpage vmtest guest.
 *
 * Mounts the pseudo file systems, runs the steps of /opt/tscpage/plan and
 * reports them as KTAP v1 on /dev/ttyS1 (the second serial port, a file on
 * the host), then copies the whole kernel log to /dev/ttyS2 and powers the
 * machine off. The kernel console is ttyS0.
 *
 * PID 1 must never exit (the kernel would panic) and must never hang (the
 * host would only notice at its wall-clock deadline), so every failure is
 * reported and followed by the normal power-off path.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/klog.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#define KTAP_TTY	"/dev/ttyS1"
#define KLOG_TTY	"/dev/ttyS2"
#define SHELL_TTY	"/dev/ttyS0"
#define PLAN_PATH	"/opt/tscpage/plan"
#define TEST_DIR	"/opt/tscpage/selftests"
#define SHELL_PATH	"/bin/sh"

#define DEFAULT_TIMEOUT_S	120
#define MAX_ARGS		64
#define MAX_STEPS		256
#define MAX_SETUP_ERRS		16
#define LINE_MAX_LEN		4096
/* How long output of a finished test may still trickle in (from children
 * it left behind) before the pipe is abandoned. */
#define DRAIN_GRACE_MS		1000

/* kselftest's "skipped" exit status (KSFT_SKIP). */
#define KSFT_SKIP		4

/* SYSLOG_ACTION_* of klogctl(2); glibc has no names for them. */
#define SYSLOG_ACTION_READ_ALL		3
#define SYSLOG_ACTION_SIZE_BUFFER	10

enum step_kind { STEP_BAD, STEP_LOAD, STEP_UNLOAD, STEP_RUN, STEP_SHELL };

struct step {
	enum step_kind kind;
	char *text;		/* the plan line, words joined by one space */
	char *argv[MAX_ARGS + 1];	/* words after the verb (and options) */
	int argc;
	int timeout_s;		/* run only */
	char bad[128];		/* STEP_BAD: why */
};

static int ktap_fd = -1;
static char setup_errs[MAX_SETUP_ERRS][160];
static int n_setup_errs;
static struct step steps[MAX_STEPS];
static int n_steps;
static char plan_err[160];

static char *const child_env[] = {
	"PATH=/bin:/sbin:/usr/bin:/usr/sbin",
	"HOME=/tmp",
	"TMPDIR=/tmp",
	"LANG=C",
	"TERM=vt100",
	"PS1=vmtest# ",
	"VMTEST=1",
	NULL,
};

/* Messages about init itself go to the console (ttyS0). */
static void con(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("vmtest-init: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static void setup_err(const char *fmt, ...)
{
	va_list ap;

	if (n_setup_errs >= MAX_SETUP_ERRS)
		return;
	va_start(ap, fmt);
	vsnprintf(setup_errs[n_setup_errs], sizeof(setup_errs[0]), fmt, ap);
	va_end(ap);
	con("setup: %s", setup_errs[n_setup_errs]);
	n_setup_errs++;
}

static void write_all(int fd, const char *buf, size_t len, const char *what)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			con("write %s: %s", what, strerror(errno));
			return;
		}
		buf += n;
		len -= (size_t)n;
	}
}

/*
 * One KTAP line. Without the KTAP channel the line goes to the console, so
 * that the run is at least visible in console.log.
 */
static void ktap(const char *fmt, ...)
{
	char buf[LINE_MAX_LEN + 64];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	if (ktap_fd >= 0)
		write_all(ktap_fd, buf, (size_t)n, KTAP_TTY);
	else
		write_all(STDERR_FILENO, buf, (size_t)n, "console");
}

/* Top-level results are also shown on the console, for whoever watches. */
static void result(int num, bool ok, const char *text, const char *directive)
{
	ktap("%s %d %s%s%s", ok ? "ok" : "not ok", num, text,
	     directive ? " # " : "", directive ? directive : "");
	con("%s %d %s%s%s", ok ? "ok" : "not ok", num, text,
	    directive ? " # " : "", directive ? directive : "");
}

static long long now_ms(void)
{
	struct timespec ts;

	/* If the clocksource under test breaks timekeeping, deadlines here
	 * break with it; the host's wall-clock deadline is the backstop. */
	if (clock_gettime(CLOCK_MONOTONIC, &ts)) {
		con("clock_gettime: %s", strerror(errno));
		return 0;
	}
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ------------------------------------------------------------ setup */

static void mount_fs(const char *src, const char *dir, const char *type)
{
	if (mkdir(dir, 0755) && errno != EEXIST) {
		setup_err("mkdir %s: %s", dir, strerror(errno));
		return;
	}
	if (mount(src, dir, type, 0, NULL))
		setup_err("mount %s on %s: %s", type, dir, strerror(errno));
}

/*
 * The initramfs has no /dev/console, so the kernel could not give us stdin,
 * stdout and stderr; take them from devtmpfs.
 */
static void open_console(void)
{
	int fd;

	if (fcntl(STDERR_FILENO, F_GETFD) >= 0)
		return;
	fd = open("/dev/console", O_RDWR | O_NOCTTY);
	if (fd < 0)
		return;		/* nowhere to even say so */
	for (int i = 0; i < 3; i++)
		if (fd != i && dup2(fd, i) < 0)
			return;
	if (fd > 2)
		close(fd);
}

/* Raw mode, so that the logs on the host get '\n' and not "\r\n". */
static void make_raw(int fd, const char *path)
{
	struct termios t;

	if (tcgetattr(fd, &t)) {
		con("tcgetattr %s: %s", path, strerror(errno));
		return;
	}
	cfmakeraw(&t);
	if (tcsetattr(fd, TCSANOW, &t))
		con("tcsetattr %s: %s", path, strerror(errno));
}

static void dev_link(const char *target, const char *path)
{
	if (symlink(target, path) && errno != EEXIST)
		setup_err("symlink %s -> %s: %s", path, target,
			  strerror(errno));
}

/*
 * Open a serial port for writing. If devtmpfs is missing, create the node
 * (ttySn is char 4:64+n) so that reporting still works.
 */
static int open_tty(const char *path, unsigned int minor)
{
	int fd = open(path, O_WRONLY | O_NOCTTY | O_CLOEXEC);

	if (fd < 0 && errno == ENOENT) {
		if (mknod(path, S_IFCHR | 0600, makedev(4, minor)))
			con("mknod %s: %s", path, strerror(errno));
		fd = open(path, O_WRONLY | O_NOCTTY | O_CLOEXEC);
	}
	if (fd < 0) {
		con("open %s: %s", path, strerror(errno));
		return -1;
	}
	make_raw(fd, path);
	return fd;
}

/* ------------------------------------------------------------- plan */

static bool parse_timeout(const char *s, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v <= 0 || v > 86400)
		return false;
	*out = (int)v;
	return true;
}

static bool plain_name(const char *s)
{
	return *s && !strchr(s, '/') && strcmp(s, ".") && strcmp(s, "..");
}

static void bad(struct step *s, const char *why)
{
	s->kind = STEP_BAD;
	snprintf(s->bad, sizeof(s->bad), "bad step: %s", why);
}

static void parse_line(char *line)
{
	char *words[MAX_ARGS + 2];
	struct step *s;
	size_t len = 0;
	char *w, *save;
	int nw = 0, i;

	/* A comment starts at '#' and runs to the end of the line. */
	line[strcspn(line, "#")] = '\0';
	for (w = strtok_r(line, " \t\r", &save); w;
	     w = strtok_r(NULL, " \t\r", &save)) {
		if (nw == MAX_ARGS + 2)
			break;
		words[nw++] = w;
		len += strlen(w) + 1;
	}
	if (!nw)
		return;
	if (n_steps == MAX_STEPS) {
		snprintf(plan_err, sizeof(plan_err),
			 "more than %d steps", MAX_STEPS);
		return;
	}
	s = &steps[n_steps++];
	s->text = malloc(len);
	if (!s->text) {
		bad(s, "out of memory");
		s->text = words[0];
		return;
	}
	s->text[0] = '\0';
	for (i = 0; i < nw; i++) {
		if (i)
			strcat(s->text, " ");
		strcat(s->text, words[i]);
	}
	if (nw > MAX_ARGS + 1) {
		bad(s, "too many words");
		return;
	}

	i = 1;
	if (!strcmp(words[0], "load")) {
		s->kind = STEP_LOAD;
	} else if (!strcmp(words[0], "unload")) {
		s->kind = STEP_UNLOAD;
		if (nw != 2) {
			bad(s, "usage: unload NAME");
			return;
		}
	} else if (!strcmp(words[0], "run")) {
		s->kind = STEP_RUN;
		s->timeout_s = DEFAULT_TIMEOUT_S;
		if (nw > 1 && !strcmp(words[1], "--timeout")) {
			if (nw < 3 ||
			    !parse_timeout(words[2], &s->timeout_s)) {
				bad(s, "--timeout needs seconds");
				return;
			}
			i = 3;
		}
	} else if (!strcmp(words[0], "shell")) {
		s->kind = STEP_SHELL;
		if (nw != 1)
			bad(s, "usage: shell");
		return;
	} else {
		bad(s, "unknown verb");
		return;
	}
	if (i >= nw || !plain_name(words[i])) {
		bad(s, "missing or invalid NAME/PROG");
		return;
	}
	for (; i < nw; i++)
		s->argv[s->argc++] = words[i];
	s->argv[s->argc] = NULL;
}

/*
 * The plan: PLAN_PATH, or the file vmtest.plan=PATH on the kernel command
 * line names (the nested rows' L2 guests: one initramfs, several plans).
 */
static const char *plan_path(void)
{
	static char cmdline[4096], path[96];
	const char *p;
	ssize_t n;
	int fd;

	fd = open("/proc/cmdline", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return PLAN_PATH;
	n = read(fd, cmdline, sizeof(cmdline) - 1);
	close(fd);
	cmdline[n > 0 ? n : 0] = '\0';
	for (p = cmdline; (p = strstr(p, "vmtest.plan=")); p++) {
		if (p != cmdline && p[-1] != ' ')
			continue;
		p += strlen("vmtest.plan=");
		snprintf(path, sizeof(path), "%.*s", (int)strcspn(p, " \n"), p);
		return path;
	}
	return PLAN_PATH;
}

/* The plan buffer is kept for the whole run: steps point into it. */
static void read_plan(void)
{
	static char buf[256 * 1024];
	const char *plan = plan_path();
	size_t len = 0;
	char *line, *save;
	ssize_t n;
	int fd;

	fd = open(plan, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(plan_err, sizeof(plan_err), "open %s: %s",
			 plan, strerror(errno));
		return;
	}
	while ((n = read(fd, buf + len, sizeof(buf) - 1 - len)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			snprintf(plan_err, sizeof(plan_err), "read %s: %s",
				 plan, strerror(errno));
			close(fd);
			return;
		}
		len += (size_t)n;
		if (len == sizeof(buf) - 1) {
			snprintf(plan_err, sizeof(plan_err), "%s too large",
				 plan);
			close(fd);
			return;
		}
	}
	close(fd);
	buf[len] = '\0';
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		parse_line(line);
}

/* ------------------------------------------------------------ steps */

static bool do_load(struct step *s, char *why, size_t whylen)
{
	static char params[LINE_MAX_LEN];
	struct utsname u;
	char path[512];
	size_t off = 0;
	int fd, i;

	if (uname(&u)) {
		snprintf(why, whylen, "uname: %s", strerror(errno));
		return false;
	}
	snprintf(path, sizeof(path), "/lib/modules/%s/extra/%s.ko",
		 u.release, s->argv[0]);
	params[0] = '\0';
	for (i = 1; i < s->argc; i++) {
		int n = snprintf(params + off, sizeof(params) - off, "%s%s",
				 i > 1 ? " " : "", s->argv[i]);

		if (n < 0 || (size_t)n >= sizeof(params) - off) {
			snprintf(why, whylen, "module parameters too long");
			return false;
		}
		off += (size_t)n;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(why, whylen, "open %s: %s", path, strerror(errno));
		return false;
	}
	if (syscall(SYS_finit_module, fd, params, 0)) {
		snprintf(why, whylen, "finit_module: %s", strerror(errno));
		close(fd);
		return false;
	}
	close(fd);
	return true;
}

static bool do_unload(struct step *s, char *why, size_t whylen)
{
	if (syscall(SYS_delete_module, s->argv[0], O_NONBLOCK)) {
		snprintf(why, whylen, "delete_module: %s", strerror(errno));
		return false;
	}
	return true;
}

/* Re-emits a test's output as nested KTAP: every line indented by four. */
struct relay {
	char buf[LINE_MAX_LEN];
	size_t len;
};

static void relay_flush(struct relay *r)
{
	ktap("    %.*s", (int)r->len, r->buf);
	r->len = 0;
}

static void relay_feed(struct relay *r, const char *data, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = data[i];

		if (c == '\n') {
			relay_flush(r);
			continue;
		}
		if (c == '\r')
			continue;
		if (r->len == sizeof(r->buf))
			relay_flush(r);	/* overlong line: split it */
		r->buf[r->len++] = c;
	}
}

static void reap_orphans(void)
{
	/* Children of test programs are re-parented to us. */
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

/*
 * Run one test program with its output on a pipe, under a deadline. Returns
 * the result, with *skip set for KSFT_SKIP and a reason for failures.
 */
static bool do_run(struct step *s, bool *skip, char *why, size_t whylen)
{
	static struct relay relay;
	long long deadline, grace = 0, now;
	bool child_done = false, pipe_open = true, timed_out = false;
	char path[512], buf[4096];
	int pfd[2], status = 0;
	pid_t pid;

	snprintf(path, sizeof(path), TEST_DIR "/%s", s->argv[0]);
	if (access(path, X_OK)) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		return false;
	}
	if (pipe2(pfd, O_CLOEXEC)) {
		snprintf(why, whylen, "pipe: %s", strerror(errno));
		return false;
	}
	pid = fork();
	if (pid < 0) {
		snprintf(why, whylen, "fork: %s", strerror(errno));
		close(pfd[0]);
		close(pfd[1]);
		return false;
	}
	if (pid == 0) {
		int nul = open("/dev/null", O_RDONLY);

		/* Own process group, so that a timeout kills its children
		 * too. */
		if (setpgid(0, 0))
			dprintf(pfd[1], "vmtest-init: setpgid: %s\n",
				strerror(errno));
		if (nul < 0 || dup2(nul, STDIN_FILENO) < 0 ||
		    dup2(pfd[1], STDOUT_FILENO) < 0 ||
		    dup2(pfd[1], STDERR_FILENO) < 0) {
			dprintf(pfd[1], "vmtest-init: redirect: %s\n",
				strerror(errno));
			_exit(126);
		}
		if (chdir("/tmp"))
			dprintf(STDERR_FILENO, "vmtest-init: chdir /tmp: %s\n",
				strerror(errno));
		execve(path, s->argv, child_env);
		dprintf(STDERR_FILENO, "vmtest-init: exec %s: %s\n", path,
			strerror(errno));
		_exit(127);
	}
	/* Also from this side: the child might not have run yet. It may
	 * also have exec'ed already (EACCES), which is fine. */
	if (setpgid(pid, pid) && errno != EACCES && errno != ESRCH)
		con("setpgid %d: %s", (int)pid, strerror(errno));
	close(pfd[1]);

	relay.len = 0;
	deadline = now_ms() + (long long)s->timeout_s * 1000;
	while (pipe_open || !child_done) {
		struct pollfd p = { .fd = pfd[0], .events = POLLIN };
		long long wait_ms;
		ssize_t n;

		if (!child_done) {
			pid_t r = waitpid(pid, &status, WNOHANG);

			if (r == pid) {
				child_done = true;
				grace = now_ms() + DRAIN_GRACE_MS;
			} else if (r < 0 && errno != EINTR) {
				snprintf(why, whylen, "waitpid: %s",
					 strerror(errno));
				kill(-pid, SIGKILL);
				close(pfd[0]);
				return false;
			}
		}
		now = now_ms();
		if (!child_done && now >= deadline) {
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
				;
			timed_out = true;
			child_done = true;
			grace = now + DRAIN_GRACE_MS;
		}
		if (child_done && (!pipe_open || now >= grace))
			break;
		/* Poll briefly, as the child's exit is found by waitpid. */
		wait_ms = (child_done ? grace : deadline) - now;
		if (wait_ms > 20)
			wait_ms = 20;
		if (!pipe_open) {
			poll(NULL, 0, (int)wait_ms);
			continue;
		}
		if (poll(&p, 1, (int)wait_ms) < 0) {
			if (errno != EINTR)
				con("poll: %s", strerror(errno));
			continue;
		}
		if (!(p.revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		n = read(pfd[0], buf, sizeof(buf));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			con("read test output: %s", strerror(errno));
			pipe_open = false;
		} else if (n == 0) {
			pipe_open = false;
		} else {
			relay_feed(&relay, buf, (size_t)n);
		}
	}
	if (relay.len)
		relay_flush(&relay);
	close(pfd[0]);
	/* Whatever it left running must not disturb the next steps. */
	kill(-pid, SIGKILL);
	reap_orphans();

	if (timed_out) {
		snprintf(why, whylen, "TIMEOUT after %d s", s->timeout_s);
		return false;
	}
	if (WIFEXITED(status)) {
		if (WEXITSTATUS(status) == 0)
			return true;
		if (WEXITSTATUS(status) == KSFT_SKIP) {
			*skip = true;
			return true;
		}
		snprintf(why, whylen, "exit status %d", WEXITSTATUS(status));
	} else if (WIFSIGNALED(status)) {
		snprintf(why, whylen, "killed by signal %d (%s)",
			 WTERMSIG(status), strsignal(WTERMSIG(status)));
	} else {
		snprintf(why, whylen, "wait status 0x%x", status);
	}
	return false;
}

/* An interactive shell on the serial console, for --shell. */
static bool do_shell(char *why, size_t whylen)
{
	int status;
	pid_t pid;

	con("starting %s on %s; 'exit' powers the guest off", SHELL_PATH,
	    SHELL_TTY);
	pid = fork();
	if (pid < 0) {
		snprintf(why, whylen, "fork: %s", strerror(errno));
		return false;
	}
	if (pid == 0) {
		char *argv[] = { "sh", NULL };
		int fd;

		/* A session with the tty as controlling terminal, so that
		 * job control and Ctrl-C work. */
		if (setsid() < 0)
			con("setsid: %s", strerror(errno));
		fd = open(SHELL_TTY, O_RDWR);
		if (fd < 0) {
			con("open %s: %s", SHELL_TTY, strerror(errno));
			_exit(126);
		}
		if (ioctl(fd, TIOCSCTTY, 0))
			con("TIOCSCTTY: %s", strerror(errno));
		if (dup2(fd, 0) < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0) {
			con("dup2: %s", strerror(errno));
			_exit(126);
		}
		if (fd > 2)
			close(fd);
		if (chdir("/"))
			con("chdir /: %s", strerror(errno));
		execve(SHELL_PATH, argv, child_env);
		con("exec %s: %s", SHELL_PATH, strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			snprintf(why, whylen, "waitpid: %s", strerror(errno));
			return false;
		}
	}
	reap_orphans();
	return true;
}

static void run_step(int num, struct step *s)
{
	char why[LINE_MAX_LEN / 2] = "";
	bool ok = false, skip = false;

	switch (s->kind) {
	case STEP_BAD:
		snprintf(why, sizeof(why), "%s", s->bad);
		break;
	case STEP_LOAD:
		ok = do_load(s, why, sizeof(why));
		break;
	case STEP_UNLOAD:
		ok = do_unload(s, why, sizeof(why));
		break;
	case STEP_RUN:
		ok = do_run(s, &skip, why, sizeof(why));
		break;
	case STEP_SHELL:
		ok = do_shell(why, sizeof(why));
		break;
	}
	result(num, ok, s->text, skip ? "SKIP" : ok ? NULL : why);
}

/* ------------------------------------------------------------- end */

static void dump_klog(void)
{
	char *buf;
	int fd, size, n;

	fd = open_tty(KLOG_TTY, 66);
	if (fd < 0)
		return;
	size = klogctl(SYSLOG_ACTION_SIZE_BUFFER, NULL, 0);
	if (size <= 0) {
		con("klogctl(SIZE_BUFFER): %s", strerror(errno));
		close(fd);
		return;
	}
	buf = malloc((size_t)size);
	if (!buf) {
		con("no memory for the %d byte kernel log", size);
		close(fd);
		return;
	}
	n = klogctl(SYSLOG_ACTION_READ_ALL, buf, size);
	if (n < 0)
		con("klogctl(READ_ALL): %s", strerror(errno));
	else
		write_all(fd, buf, (size_t)n, KLOG_TTY);
	free(buf);
	/* The UART must have sent everything before power is cut. */
	if (tcdrain(fd))
		con("tcdrain %s: %s", KLOG_TTY, strerror(errno));
	close(fd);
}

static void __attribute__((noreturn)) power_off(void)
{
	sync();
	reboot(RB_POWER_OFF);
	con("power off: %s; trying reboot", strerror(errno));
	/* QEMU runs with -no-reboot, so a reboot ends it too. */
	reboot(RB_AUTOBOOT);
	con("reboot: %s; halting here", strerror(errno));
	for (;;)
		pause();
}

int main(void)
{
	int n_results, num = 1;

	/* /dev first: everything else, even our stdio, may need it. */
	if (mkdir("/dev", 0755) && errno != EEXIST)
		setup_err("mkdir /dev: %s", strerror(errno));
	else if (mount("devtmpfs", "/dev", "devtmpfs", 0, NULL))
		setup_err("mount devtmpfs on /dev: %s", strerror(errno));
	open_console();
	/* Line-buffered so that our lines interleave sanely with the
	 * kernel's on the console. */
	setvbuf(stderr, NULL, _IOLBF, 0);
	con("started");

	mount_fs("proc", "/proc", "proc");
	mount_fs("sysfs", "/sys", "sysfs");
	mount_fs("debugfs", "/sys/kernel/debug", "debugfs");
	mount_fs("tracefs", "/sys/kernel/tracing", "tracefs");
	mount_fs("tmpfs", "/tmp", "tmpfs");
	/* What udev would add to /dev and shell scripts take for granted
	 * (the kernel's run_kselftest.sh logs to /dev/stdout). */
	dev_link("/proc/self/fd", "/dev/fd");
	dev_link("/proc/self/fd/0", "/dev/stdin");
	dev_link("/proc/self/fd/1", "/dev/stdout");
	dev_link("/proc/self/fd/2", "/dev/stderr");

	ktap_fd = open_tty(KTAP_TTY, 65);
	read_plan();

	n_results = n_steps + (n_setup_errs || plan_err[0] ? 1 : 0);
	ktap("KTAP version 1");
	ktap("1..%d", n_results);
	if (n_setup_errs || plan_err[0]) {
		for (int i = 0; i < n_setup_errs; i++)
			ktap("# %s", setup_errs[i]);
		if (plan_err[0])
			ktap("# plan: %s", plan_err);
		result(num++, false, "guest setup",
		       plan_err[0] ? plan_err : setup_errs[0]);
	}
	for (int i = 0; i < n_steps; i++)
		run_step(num++, &steps[i]);
	ktap("# vmtest: done");
	if (ktap_fd >= 0 && tcdrain(ktap_fd))
		con("tcdrain %s: %s", KTAP_TTY, strerror(errno));

	dump_klog();
	power_off();
}
