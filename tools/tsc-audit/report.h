// SPDX-License-Identifier: GPL-2.0
/*
 * report.h - print the audit as text, as JSON, or as one brief line.
 */
#ifndef TSC_AUDIT_REPORT_H
#define TSC_AUDIT_REPORT_H

#include <stdio.h>

#include "rules.h"

struct report_input {
	const char *source;		/* "live" or the fixture directory */
	const struct cpu_facts *cpu;
	const struct sys_facts *sys;
	const struct vclock_info *vc;
	const struct audit *audit;
};

void report_text(FILE *f, const struct report_input *in);
void report_json(FILE *f, const struct report_input *in);
/* "VERDICT ID:LEVEL ...": the verdict, then every reason's id and level. */
void report_brief(FILE *f, const struct report_input *in);

#endif
