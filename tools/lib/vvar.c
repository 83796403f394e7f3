// SPDX-License-Identifier: GPL-2.0
/*
 * Where the kernel maps its time pages for the vDSO:
 *   - 6.13 and later: [vvar_vclock], page 0 the kvmclock page, page 1 the
 *     Hyper-V page;
 *   - 5.6 to 6.12: [vvar], four pages: vvar, kvmclock, Hyper-V, timens
 *     (arch/x86/entry/vdso/vdso-layout.lds.S), trusted only on those
 *     kernels.
 * The kernel inserts a page only while a vDSO clock mode reads it; a load
 * from it otherwise raises SIGBUS. A library must not install signal
 * handlers, so a page is probed by letting the kernel copy a byte of it
 * into a pipe: that fails with EFAULT instead.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "vvar.h"

static bool find_mapping(const char *name, uintptr_t *start, uintptr_t *end)
{
	char line[512], nm[256];
	bool found = false;
	FILE *f;

	f = fopen("/proc/self/maps", "re");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		unsigned long s, e;

		nm[0] = '\0';
		if (sscanf(line, "%lx-%lx %*s %*s %*s %*s %255s", &s, &e,
			   nm) >= 2 && !strcmp(nm, name)) {
			*start = s;
			*end = e;
			found = true;
		}
	}
	fclose(f);
	return found;
}

/* Whether the kernel can read @addr for us, i.e. the page is there. */
static bool readable(const void *addr)
{
	int fds[2];
	bool ok;

	if (pipe2(fds, O_CLOEXEC))
		return false;
	ok = write(fds[1], addr, 1) == 1;
	close(fds[0]);
	close(fds[1]);
	return ok;
}

/* Page 0 of the pair (kvmclock, Hyper-V), or 0 if there is none we know. */
static uintptr_t find_pair(long psize)
{
	unsigned int major = 0, minor = 0;
	uintptr_t start, end;
	struct utsname u;

	if (find_mapping("[vvar_vclock]", &start, &end))
		return end - start >= 2 * (uintptr_t)psize ? start : 0;
	if (!find_mapping("[vvar]", &start, &end) || uname(&u) ||
	    sscanf(u.release, "%u.%u", &major, &minor) != 2)
		return 0;
	if (major * 1000 + minor < 5006 || major * 1000 + minor > 6012 ||
	    end - start != 4 * (uintptr_t)psize)
		return 0;
	return start + (uintptr_t)psize;
}

const void *tscpage_vvar_page(enum tscpage_format *format)
{
	long psize = sysconf(_SC_PAGESIZE);
	uintptr_t pair = find_pair(psize);

	if (!pair)
		return NULL;
	if (readable((const void *)pair)) {
		*format = TSCPAGE_FORMAT_PVCLOCK;
		return (const void *)pair;
	}
	if (readable((const void *)(pair + (uintptr_t)psize))) {
		*format = TSCPAGE_FORMAT_HVREF;
		return (const void *)(pair + (uintptr_t)psize);
	}
	return NULL;
}
