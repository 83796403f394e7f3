// SPDX-License-Identifier: GPL-2.0
/*
 * vclock.c - read the flags byte of the kvmclock page mapped into every
 * process for the vDSO, without dying when it is not there.
 *
 * Where the page is:
 *   6.18 (and the generic vDSO data store, 6.15+): first page of the
 *        "[vvar_vclock]" mapping (page 0 pvclock, page 1 Hyper-V TSC page);
 *   6.12 and older: page 1 of the 4-page "[vvar]" mapping (vdso-layout.lds.S:
 *        pvclock_page = vvar_start + PAGE_SIZE).
 * The kernel backs the page only while kvm-clock provides the vDSO clock
 * (VDSO_CLOCKMODE_PVCLOCK); otherwise touching it raises SIGBUS. So the read
 * runs under a SIGBUS/SIGSEGV handler that jumps back, and "could not read"
 * becomes "unknown", never a crash.
 */
#define _POSIX_C_SOURCE 200809L
#include "vclock.h"

#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static sigjmp_buf probe_env;

static void probe_fault(int sig)
{
	siglongjmp(probe_env, sig);
}

struct map {
	uintptr_t start, end;
};

static bool find_map(const char *name, struct map *m)
{
	char line[512];
	FILE *f = fopen("/proc/self/maps", "r");
	bool found = false;

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		unsigned long s, e;
		char *nm = strchr(line, '[');

		if (!nm || strncmp(nm, name, strlen(name)) || nm[strlen(name)] != ']')
			continue;
		if (sscanf(line, "%lx-%lx", &s, &e) == 2) {
			m->start = s;
			m->end = e;
			found = true;
			break;
		}
	}
	fclose(f);
	return found;
}

void vclock_live(struct vclock_info *v)
{
	struct sigaction sa, old_bus, old_segv;
	long page = sysconf(_SC_PAGESIZE);
	const volatile uint8_t *p;
	struct map m;
	int sig;

	memset(v, 0, sizeof(*v));
	if (page <= 0)
		page = 4096;
	if (find_map("[vvar_vclock", &m)) {
		p = (const volatile uint8_t *)m.start;
		snprintf(v->where, sizeof(v->where), "[vvar_vclock] page 0");
	} else if (find_map("[vvar", &m) && m.end - m.start >= 4 * (uintptr_t)page) {
		p = (const volatile uint8_t *)(m.start + (uintptr_t)page);
		snprintf(v->where, sizeof(v->where), "[vvar] page 1");
	} else {
		snprintf(v->why, sizeof(v->why), "no [vvar_vclock] or 4-page [vvar] mapping");
		return;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = probe_fault;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, &old_bus);
	sigaction(SIGSEGV, &sa, &old_segv);
	sig = sigsetjmp(probe_env, 1);
	if (!sig) {
		uint32_t ver = 0, mul = 0;

		for (int i = 0; i < 4; i++) {
			ver |= (uint32_t)p[PVCLOCK_OFF_VERSION + i] << (8 * i);
			mul |= (uint32_t)p[PVCLOCK_OFF_MUL + i] << (8 * i);
		}
		v->version = ver;
		v->mul = mul;
		v->shift = (int8_t)p[PVCLOCK_OFF_SHIFT];
		v->flags = p[PVCLOCK_OFF_FLAGS];
		v->have_params = true;
	}
	sigaction(SIGBUS, &old_bus, NULL);
	sigaction(SIGSEGV, &old_segv, NULL);

	if (sig) {
		snprintf(v->why, sizeof(v->why),
			 "%s not backed (%s): kvm-clock is not the vDSO clock", v->where,
			 sig == SIGBUS ? "SIGBUS" : "SIGSEGV");
		v->have_params = false;
		return;
	}
	if (!v->mul) {
		snprintf(v->why, sizeof(v->why), "%s readable but holds no pvclock data (mul 0)",
			 v->where);
		v->have_params = false;
		return;
	}
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
