// SPDX-License-Identifier: GPL-2.0
/*
 * rules.h - the verdict: is this guest's timekeeping safe to live-migrate?
 */
#ifndef TSC_AUDIT_RULES_H
#define TSC_AUDIT_RULES_H

#include <stdbool.h>
#include <stddef.h>

#include "cpuid.h"
#include "sysinfo.h"
#include "vclock.h"

enum level {
	LVL_INFO,	/* context; never changes the verdict */
	LVL_OK,		/* a checked property that is fine */
	LVL_RISKY,
	LVL_UNSAFE,
};

enum verdict {
	VERDICT_NOT_APPLICABLE,	/* not a VM: nothing to migrate */
	VERDICT_SAFE,
	VERDICT_RISKY,
	VERDICT_UNSAFE,
};

#define AUDIT_MAX_REASONS 32

struct reason {
	const char *id;
	enum level level;
	char seen[512];
	char why[512];
	char action[512];
};

struct audit {
	enum verdict verdict;
	bool model_assumes_constant;	/* Linux sets constant_tsc from the model */
	char model_rule[160];		/* which kernel rule matched */
	size_t n;
	struct reason r[AUDIT_MAX_REASONS];
};

void audit_run(const struct cpu_facts *cpu, const struct sys_facts *sys,
	       const struct vclock_info *vc, struct audit *a);
const char *verdict_name(enum verdict v);
const char *level_name(enum level l);

#endif
