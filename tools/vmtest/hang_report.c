// SPDX-License-Identifier: GPL-2.0
/*
 * hang_report - what each thread of a process that outlived its deadline
 * is doing, printed as KTAP diagnostics, for a parent that then kills it.
 *
 * For each thread (/proc/PID/task/TID): its name, state, CPU, user and
 * system time, the kernel's wait channel and kernel stack, and, taken
 * with ptrace (PTRACE_SEIZE, PTRACE_INTERRUPT, PTRACE_GETREGS), its user
 * RIP and the words on its user stack that point into an executable
 * mapping: each as FILE+OFFSET, for addr2line on the host. The threads'
 * times are read twice, a second apart, so that a thread spinning on a
 * CPU can be told from one that waits.
 *
 * The caller must be allowed to ptrace the process (its parent, as root).
 * Each thread is stopped only while its registers and stack are read, and
 * detached after, so that the caller can then kill the process and reap
 * it as usual (a thread still traced at its death would wait for us to
 * reap it with __WALL before its leader could be).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>

#include "hang_report.h"

#define MAX_THREADS	256
#define STACK_WORDS	512

struct thread {
	int tid;
	char comm[32];
	char state;
	int cpu;
	unsigned long long utime, stime;	/* clock ticks */
};

static int read_file(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return -1;
	n = fread(buf, 1, size - 1, f);
	fclose(f);
	buf[n] = '\0';
	return 0;
}

/* Fields 3 (state), 14 and 15 (utime, stime), 39 (processor). */
static int read_stat(int pid, struct thread *t)
{
	char path[64], buf[1024], *p;
	int field;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", pid, t->tid);
	if (read_file(path, buf, sizeof(buf)))
		return -1;
	p = strrchr(buf, ')');
	if (!p)
		return -1;
	*p = '\0';
	snprintf(t->comm, sizeof(t->comm), "%s", strchr(buf, '(') + 1);
	p += 2;
	t->state = *p;
	for (field = 3; p && field < 39; field++) {
		if (field == 14)
			t->utime = strtoull(p, NULL, 10);
		else if (field == 15)
			t->stime = strtoull(p, NULL, 10);
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	t->cpu = p ? atoi(p) : -1;
	return 0;
}

static int list_threads(int pid, struct thread *t, int max)
{
	char path[64];
	struct dirent *d;
	DIR *dir;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	dir = opendir(path);
	if (!dir)
		return 0;
	while ((d = readdir(dir)) && n < max) {
		if (d->d_name[0] == '.')
			continue;
		t[n].tid = atoi(d->d_name);
		if (!read_stat(pid, &t[n]))
			n++;
	}
	closedir(dir);
	return n;
}

struct mapping {
	uint64_t lo, hi, off;
	char name[160];
};

static int read_maps(int pid, struct mapping *m, int max)
{
	char path[64], line[512], perms[8];
	FILE *f;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (n < max && fgets(line, sizeof(line), f)) {
		m[n].name[0] = '\0';
		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %7s %" SCNx64 " %*s %*s %159s",
			   &m[n].lo, &m[n].hi, perms, &m[n].off, m[n].name) < 4 ||
		    perms[2] != 'x')
			continue;
		n++;
	}
	fclose(f);
	return n;
}

/* "clock_warp+0x1234" (file offset), or NULL if not in executable code. */
static const char *where(const struct mapping *m, int n, uint64_t a,
			 char *buf, size_t size)
{
	for (int i = 0; i < n; i++) {
		if (a < m[i].lo || a >= m[i].hi)
			continue;
		const char *base = strrchr(m[i].name, '/');

		snprintf(buf, size, "%s+0x%" PRIx64,
			 base ? base + 1 : m[i].name[0] ? m[i].name : "?",
			 a - m[i].lo + m[i].off);
		return buf;
	}
	return NULL;
}

static void user_state(FILE *out, int pid, int tid, const struct mapping *m,
		       int nmaps)
{
	struct user_regs_struct regs;
	uint64_t stack[STACK_WORDS];
	char buf[200];
	int status, shown = 0;

	if (ptrace(PTRACE_SEIZE, tid, NULL, NULL)) {
		fprintf(out, "#     (ptrace: %s)\n", strerror(errno));
		return;
	}
	if (ptrace(PTRACE_INTERRUPT, tid, NULL, NULL) ||
	    waitpid(tid, &status, __WALL) != tid ||
	    ptrace(PTRACE_GETREGS, tid, NULL, &regs)) {
		fprintf(out, "#     (ptrace: %s)\n", strerror(errno));
		ptrace(PTRACE_DETACH, tid, NULL, NULL);
		return;
	}
	fprintf(out, "#     user rip %s (0x%llx)\n",
		where(m, nmaps, regs.rip, buf, sizeof(buf)) ?: "?", regs.rip);

	struct iovec local = { stack, sizeof(stack) };
	struct iovec remote = { (void *)(uintptr_t)regs.rsp, sizeof(stack) };
	ssize_t got = process_vm_readv(pid, &local, 1, &remote, 1, 0);

	for (ssize_t i = 0; i < got / 8 && shown < 12; i++) {
		if (!where(m, nmaps, stack[i], buf, sizeof(buf)))
			continue;
		fprintf(out, "#     stack[%zd] %s\n", i, buf);
		shown++;
	}
	ptrace(PTRACE_DETACH, tid, NULL, NULL);
}

void hang_report(FILE *out, int pid)
{
	static struct thread a[MAX_THREADS], b[MAX_THREADS];
	static struct mapping maps[512];
	long hz = sysconf(_SC_CLK_TCK);
	char path[96], buf[4096];
	int na, nb, nmaps;

	na = list_threads(pid, a, MAX_THREADS);
	sleep(1);
	nb = list_threads(pid, b, MAX_THREADS);
	nmaps = read_maps(pid, maps, 512);
	fprintf(out, "# hang: pid %d, %d threads; user/system time in the last second\n",
		pid, nb);
	for (int i = 0; i < nb; i++) {
		const struct thread *t = &b[i], *was = NULL;

		for (int j = 0; j < na; j++)
			if (a[j].tid == t->tid)
				was = &a[j];
		fprintf(out, "# thread %d (%s): state %c on CPU %d, user +%.2f s, system +%.2f s",
			t->tid, t->comm, t->state, t->cpu,
			was ? (double)(t->utime - was->utime) / hz : -1.0,
			was ? (double)(t->stime - was->stime) / hz : -1.0);
		snprintf(path, sizeof(path), "/proc/%d/task/%d/wchan", pid, t->tid);
		if (!read_file(path, buf, sizeof(buf)))
			fprintf(out, ", wchan %s", buf);
		fputc('\n', out);
		snprintf(path, sizeof(path), "/proc/%d/task/%d/stack", pid, t->tid);
		if (!read_file(path, buf, sizeof(buf))) {
			for (char *l = strtok(buf, "\n"); l; l = strtok(NULL, "\n"))
				fprintf(out, "#     kernel %s\n", l);
		}
		user_state(out, pid, t->tid, maps, nmaps);
	}
	fflush(out);
}
