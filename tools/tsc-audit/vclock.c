// SPDX-License-Identifier: GPL-2.0
/*
 * vclock.c - read the flags byte of the kvmclock page mapped into every
 * process for the vDSO, without dying when it is not there.
 *
 * Where the page is:
 *   newer kernels: page 0 of the "[vvar_vclock]" mapping (page 1 is the
 *        Hyper-V TSC page);
 *   5.6 to 6.12: page 1 of the 4-page "[vvar]" mapping (vdso-layout.lds.S:
 *        pvclock_page = vvar_start + PAGE_SIZE).
 * The kernel backs the page only while kvm-clock provides the vDSO clock
 * (VDSO_CLOCKMODE_PVCLOCK); otherwise touching it raises SIGBUS. Finding and
 * probing it is libtscpage's tscpage_vvar_find() (tools/lib/vvar.c), which
 * asks the kernel to copy a byte of it instead of touching it, so "could not
 * read" becomes "unknown", never a crash.
 */
#define _POSIX_C_SOURCE 200809L
#include "vclock.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vvar.h"

void vclock_live(struct vclock_info *v)
{
	const volatile uint8_t *p;
	const char *where;
	uint32_t ver = 0, mul = 0;

	memset(v, 0, sizeof(*v));
	/* Found, and probed without a signal handler, as libtscpage does. */
	p = tscpage_vvar_find(TSCPAGE_FORMAT_PVCLOCK, &where);
	if (!p) {
		snprintf(v->why, sizeof(v->why), "%s", where);
		return;
	}
	snprintf(v->where, sizeof(v->where), "%s", where);

	for (int i = 0; i < 4; i++) {
		ver |= (uint32_t)p[PVCLOCK_OFF_VERSION + i] << (8 * i);
		mul |= (uint32_t)p[PVCLOCK_OFF_MUL + i] << (8 * i);
	}
	v->version = ver;
	v->mul = mul;
	v->shift = (int8_t)p[PVCLOCK_OFF_SHIFT];
	v->flags = p[PVCLOCK_OFF_FLAGS];
	if (!v->mul) {
		snprintf(v->why, sizeof(v->why), "%s readable but holds no pvclock data (mul 0)",
			 v->where);
		return;
	}
	v->have_params = true;
	v->known = true;
}

int vclock_load(struct vclock_info *v, const char *dir, char *err, size_t errlen)
{
	char path[4096], line[256];
	FILE *f;

	memset(v, 0, sizeof(*v));
	snprintf(path, sizeof(path), "%s/%s", dir, VCLOCK_FILE);
	f = fopen(path, "r");
	if (!f) {
		if (errno == ENOENT) {
			snprintf(v->why, sizeof(v->why), "not recorded in the fixture");
			return 0;
		}
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	snprintf(v->where, sizeof(v->where), "fixture");
	snprintf(v->why, sizeof(v->why), "recorded as unknown");
	while (fgets(line, sizeof(line), f)) {
		char *p = line + strspn(line, " \t"), *end;
		unsigned long val;

		if (*p == '#' || *p == '\n' || !*p)
			continue;
		if (!strncmp(p, "unknown", 7))
			break;
		errno = 0;
		val = strtoul(p, &end, 16);
		if (end == p || errno || val > 0xff || (*end && !strchr(" \t\r\n", *end))) {
			snprintf(err, errlen, "%s: expected a hex byte (e.g. 0x01) or \"unknown\"",
				 path);
			fclose(f);
			return -1;
		}
		v->flags = (uint8_t)val;
		v->known = true;
		v->why[0] = '\0';
		break;
	}
	fclose(f);
	return 0;
}

int vclock_save(const struct vclock_info *v, const char *dir, char *err, size_t errlen)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, VCLOCK_FILE);
	f = fopen(path, "w");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	fprintf(f, "# SPDX-License-Identifier: GPL-2.0\n");
	if (v->known)
		fprintf(f, "# from %s: version %u mul %u shift %d\n0x%02x\n", v->where,
			v->version, v->mul, v->shift, v->flags);
	else
		fprintf(f, "# %s\nunknown\n", v->why);
	if (fclose(f)) {
		snprintf(err, errlen, "%s: write error", path);
		return -1;
	}
	return 0;
}
