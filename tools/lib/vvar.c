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

/*
 * Page 0 of the pair (kvmclock, Hyper-V) and the name of the layout that
 * found it, or 0 and why there is none we know.
 */
static uintptr_t find_pair(long psize, const char **where)
{
	unsigned int major = 0, minor = 0;
	uintptr_t start, end;
	struct utsname u;

	if (find_mapping("[vvar_vclock]", &start, &end)) {
		if (end - start < 2 * (uintptr_t)psize) {
			*where = "[vvar_vclock] is shorter than two pages";
			return 0;
		}
		*where = "[vvar_vclock]";
		return start;
	}
	if (!find_mapping("[vvar]", &start, &end)) {
		*where = "no [vvar] or [vvar_vclock] mapping";
		return 0;
	}
	if (uname(&u) || sscanf(u.release, "%u.%u", &major, &minor) != 2 ||
	    major * 1000 + minor < 5006 || major * 1000 + minor > 6012) {
		*where = "no [vvar_vclock], and the [vvar] layout is known for kernels 5.6 to 6.12 only";
		return 0;
	}
	if (end - start != 4 * (uintptr_t)psize) {
		*where = "[vvar] is not the four pages of the known layout";
		return 0;
	}
	*where = "[vvar]";
	return start + (uintptr_t)psize;
}

const void *tscpage_vvar_find(enum tscpage_format format, const char **where)
{
	long psize = sysconf(_SC_PAGESIZE);
	bool pvclock = format == TSCPAGE_FORMAT_PVCLOCK;
	uintptr_t page = find_pair(psize, where);
	bool vclock;

	if (!page)
		return NULL;
	vclock = !strcmp(*where, "[vvar_vclock]");
	if (!pvclock)
		page += (uintptr_t)psize;
	if (!readable((const void *)page)) {
		*where = pvclock ?
			 "the kvmclock page is not mapped: no vDSO clock reads it" :
			 "the Hyper-V page is not mapped: no vDSO clock reads it";
		return NULL;
	}
	if (vclock)
		*where = pvclock ? "page 0 of [vvar_vclock]" : "page 1 of [vvar_vclock]";
	else
		*where = pvclock ? "page 1 of [vvar]" : "page 2 of [vvar]";
	return (const void *)page;
}

const void *tscpage_vvar_page(enum tscpage_format *format)
{
	const char *where;
	const void *page;

	page = tscpage_vvar_find(TSCPAGE_FORMAT_PVCLOCK, &where);
	if (page) {
		*format = TSCPAGE_FORMAT_PVCLOCK;
		return page;
	}
	page = tscpage_vvar_find(TSCPAGE_FORMAT_HVREF, &where);
	if (page)
		*format = TSCPAGE_FORMAT_HVREF;
	return page;
}
