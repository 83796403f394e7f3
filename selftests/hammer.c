// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest.h"
#include "hammer.h"

#define HAMMER_ARGS	32

void hammer_start(struct hammer *h, uint64_t duration,
		  const char *const *args)
{
	char self[PATH_MAX], warp[PATH_MAX + 16], dur[24], cmd[512];
	const char *argv[HAMMER_ARGS];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	unsigned int i, k = 0;
	size_t len;
	int fd;

	memset(h, 0, sizeof(*h));
	if (n < 0)
		ksft_exit_fail_perror("readlink /proc/self/exe");
	self[n] = '\0';
	snprintf(warp, sizeof(warp), "%s/clock_warp", dirname(self));
	snprintf(dur, sizeof(dur), "%llu", (unsigned long long)duration);
	argv[k++] = "clock_warp";
	argv[k++] = "--duration";
	argv[k++] = dur;
	argv[k++] = "--events";
	argv[k++] = "3";
	for (i = 0; args && args[i] && k < HAMMER_ARGS - 1; i++)
		argv[k++] = args[i];
	argv[k] = NULL;
	len = snprintf(cmd, sizeof(cmd), "%s", warp);
	for (i = 1; i < k && len < sizeof(cmd); i++)
		len += snprintf(cmd + len, sizeof(cmd) - len, " %s", argv[i]);

	snprintf(h->log, sizeof(h->log), "/tmp/hammer.%d", getpid());
	fd = open(h->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		ksft_exit_fail_perror("open the hammer's log");
	fflush(stdout);
	h->pid = fork();
	if (h->pid < 0)
		ksft_exit_fail_perror("fork");
	if (!h->pid) {
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		execv(warp, (char *const *)argv);
		fprintf(stderr, "exec %s: %s\n", warp, strerror(errno));
		_exit(127);
	}
	close(fd);
	ksft_print_msg("hammer: %s (pid %d)\n", cmd, h->pid);
}

bool hammer_running(const struct hammer *h)
{
	siginfo_t info = { 0 };

	if (waitid(P_PID, h->pid, &info, WEXITED | WNOHANG | WNOWAIT))
		return false;
	return info.si_pid == 0;
}

void hammer_stop(const struct hammer *h)
{
	if (hammer_running(h))
		kill(h->pid, SIGUSR1);
}

/* "ok 3 monotonic jump: ..." or "not ok 3 ...", "# SKIP" included. */
static void keep_result(struct hammer *h, const char *line)
{
	int verdict, at = 0;
	const char *text;
	size_t len;

	if (h->nres >= HAMMER_RESULTS)
		return;
	if (sscanf(line, "ok %*u %n", &at) == 0 && at)
		verdict = strstr(line, "# SKIP") ? -1 : 1;
	else if (sscanf(line, "not ok %*u %n", &at) == 0 && at)
		verdict = 0;
	else
		return;
	text = line + at;
	len = strcspn(text, "\n");
	h->res[h->nres].verdict = verdict;
	snprintf(h->res[h->nres].text, HAMMER_TEXT, "%.*s", (int)len, text);
	h->nres++;
}

/*
 * HAMMER_SHOW_DIGEST: clock_warp's "per clock" block, one line a clock.
 * Its lines: "#   <clock> <n> readings", then per check
 * "#     <check> <count>, worst <w>, cpus <c> (largest <l>)"; the block
 * ends with "# events: ...".
 */
static void digest_line(const char *line, char *out, size_t size)
{
	char clock[32], check[32], largest[64];
	unsigned long long n;
	size_t len = strlen(out);
	const char *l;
	int end = 0;

	/* scanf's blanks match any run of blanks: the indent is checked. */
	if ((!strncmp(line, "#   ", 4) && line[4] != ' ' &&
	     sscanf(line, "#   %31s %llu readings%n", clock, &n, &end) == 2 &&
	     end) ||
	    !strncmp(line, "# events:", strlen("# events:"))) {
		/* A clock's block ends at the next one or at "events:". */
		if (out[0])
			ksft_print_msg("  warp| %s\n", out);
		out[0] = '\0';
		if (line[2] != 'e')
			snprintf(out, size, "%s: %llu readings;", clock, n);
		return;
	}
	l = strstr(line, "(largest ");
	if (!out[0] || !l || strncmp(line, "#     ", 6) ||
	    sscanf(line, "#     %31s %llu,", check, &n) != 2)
		return;
	snprintf(largest, sizeof(largest), "%s", l + strlen("(largest "));
	largest[strcspn(largest, ")")] = '\0';
	if (len < size && !strcmp(largest, "-"))
		snprintf(out + len, size - len, " %s %llu", check, n);
	else if (len < size)
		snprintf(out + len, size - len, " %s %llu (largest %s)", check,
			 n, largest);
}

int hammer_finish(struct hammer *h, enum hammer_show show)
{
	char line[1024], digest[512] = "";
	bool failed;
	int status;
	FILE *f;

	while (waitpid(h->pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	failed = !WIFEXITED(status) || WEXITSTATUS(status);
	f = fopen(h->log, "r");
	while (f && fgets(line, sizeof(line), f)) {
		keep_result(h, line);
		if (show == HAMMER_SHOW_NESTED)
			printf("    %s", line);
		else if (failed || strstr(line, "Totals"))
			ksft_print_msg("  warp| %s", line);
		else if (show == HAMMER_SHOW_DIGEST) {
			if (strstr(line, " threads ("))
				ksft_print_msg("  warp| %s", line);
			digest_line(line, digest, sizeof(digest));
		}
	}
	if (f)
		fclose(f);
	fflush(stdout);
	unlink(h->log);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int hammer_verdict(const struct hammer *h, const char *clock_check,
		   char *buf, size_t size)
{
	size_t len = strlen(clock_check);
	unsigned int i;

	for (i = 0; i < h->nres; i++)
		if (!strncmp(h->res[i].text, clock_check, len) &&
		    h->res[i].text[len] == ':') {
			snprintf(buf, size, "%s", h->res[i].text);
			return h->res[i].verdict;
		}
	snprintf(buf, size, "%s: no result from the hammer", clock_check);
	return -2;
}
