// SPDX-License-Identifier: GPL-2.0
/*
 * tscpage-ctl: the devices. /dev/tscpage_hvsim is root only (mode 0600 and
 * CAP_SYS_ADMIN on open); /dev/tscpage is there while tscpage.ko is
 * loaded. The errno meanings are those include/uapi/linux/tscpage_hvsim.h
 * gives: every command checks all of its argument first and changes
 * nothing when it refuses.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "device.h"

/* @module: what must be loaded for @path to exist. */
static int open_dev(const char *cmd, const char *path, int flags,
		    const char *module)
{
	int fd = open(path, flags | O_CLOEXEC);

	if (fd >= 0)
		return fd;
	switch (errno) {
	case ENOENT:
		fprintf(stderr, "tscpage-ctl: %s: %s is not there: load %s\n",
			cmd, path, module);
		break;
	case ENODEV:
	case ENXIO:
		fprintf(stderr, "tscpage-ctl: %s: %s: no driver behind it: load %s\n",
			cmd, path, module);
		break;
	case EACCES:
	case EPERM:
		fprintf(stderr, "tscpage-ctl: %s: %s: permission denied: must be root (CAP_SYS_ADMIN)\n",
			cmd, path);
		break;
	default:
		fprintf(stderr, "tscpage-ctl: %s: %s: %s\n", cmd, path,
			strerror(errno));
		break;
	}
	return -1;
}

int ctl_open_hvsim(const char *cmd, const char *path)
{
	return open_dev(cmd, path, O_RDWR, "tscpage_hvsim");
}

int ctl_open_tscpage(const char *cmd, const char *path)
{
	return open_dev(cmd, path, O_RDONLY | O_NONBLOCK,
			"tscpage (over tscpage_hvsim)");
}

void ctl_refused(const struct ctl_refusal *r, int err)
{
	const char *detail = r->detail ? r->detail : "";
	const char *sep = r->detail ? "; " : "";

	fprintf(stderr, "tscpage-ctl: %s: ", r->cmd);
	switch (err) {
	case EINVAL:
		fprintf(stderr, "rejected by tscpage_hvsim: %s\n",
			r->einval ? r->einval :
			"an argument (tool and module from different versions?)");
		break;
	case EOPNOTSUPP:
		if (r->fault)
			fprintf(stderr, "fault %s does not apply to this page format%s%s\n",
				r->fault, sep, detail);
		else
			fprintf(stderr, "%s: not supported here: this CPU ignores TSC writes (QEMU under TCG does; status shows TSC_IGNORED)%s%s\n",
				r->request, sep, detail);
		break;
	case EBUSY:
		fprintf(stderr, "another fault is active%s%s; end it with 'tscpage-ctl fault none'\n",
			sep, detail);
		break;
	case EPERM:
		fprintf(stderr, "needs tscpage_hvsim loaded with allow_tsc_writes=1 (it writes the TSC)\n");
		break;
	case EACCES:
		fprintf(stderr, "%s: permission denied: must be root\n", r->path);
		break;
	case ENOTTY:
		fprintf(stderr, "%s does not know %s: not tscpage_hvsim's control device, or a module older than this tool\n",
			r->path, r->request);
		break;
	case ENODEV:
		fprintf(stderr, "%s: tscpage_hvsim is going away (being unloaded)\n",
			r->path);
		break;
	default:
		fprintf(stderr, "%s: %s: %s\n", r->path, r->request,
			strerror(err));
		break;
	}
}
