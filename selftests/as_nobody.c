// SPDX-License-Identifier: GPL-2.0
/* Doing something as a process without privileges: as_nobody.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest.h"
#include "as_nobody.h"

/* What the child writes: how dropping root went, then @fn's result. */
struct reply {
	int err;
};

static void child(int fd, void (*fn)(void *out, const void *arg),
		  const void *arg, void *out, size_t size)
{
	struct reply r = { 0 };

	if (setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY))
		r.err = -errno;
	else
		fn(out, arg);
	if (write(fd, &r, sizeof(r)) != sizeof(r) ||
	    (!r.err && write(fd, out, size) != (ssize_t)size))
		_exit(1);
	_exit(0);
}

int as_nobody(void (*fn)(void *out, const void *arg), const void *arg,
	      void *out, size_t size)
{
	struct reply r = { -EIO };
	int pipefd[2], status;
	pid_t pid;

	if (pipe(pipefd))
		ksft_exit_fail_perror("pipe");
	pid = fork();
	if (pid < 0)
		ksft_exit_fail_perror("fork");
	if (!pid) {
		close(pipefd[0]);
		child(pipefd[1], fn, arg, out, size);
	}
	close(pipefd[1]);
	if (read(pipefd[0], &r, sizeof(r)) != sizeof(r))
		r.err = -EIO;
	else if (!r.err && read(pipefd[0], out, size) != (ssize_t)size)
		r.err = -EIO;
	close(pipefd[0]);
	waitpid(pid, &status, 0);
	return r.err;
}
