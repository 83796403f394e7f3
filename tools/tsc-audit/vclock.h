// SPDX-License-Identifier: GPL-2.0
/*
 * vclock.h - the flags of the kvmclock (pvclock) page the vDSO maps.
 */
#ifndef TSC_AUDIT_VCLOCK_H
#define TSC_AUDIT_VCLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* struct pvclock_vcpu_time_info, arch/x86/include/asm/pvclock-abi.h */
#define PVCLOCK_OFF_VERSION	0
#define PVCLOCK_OFF_MUL		24
#define PVCLOCK_OFF_SHIFT	28
#define PVCLOCK_OFF_FLAGS	29
#define PVCLOCK_TSC_STABLE_BIT	(1u << 0)
#define PVCLOCK_GUEST_STOPPED	(1u << 1)

#define VCLOCK_FILE		"pvclock_flags"

struct vclock_info {
	bool known;		/* flags below were read */
	uint8_t flags;
	bool have_params;	/* version/mul/shift read too (live only) */
	uint32_t version, mul;
	int8_t shift;
	char where[96];		/* which mapping and page, or "fixture" */
	char why[160];		/* when !known: why not */
};

void vclock_live(struct vclock_info *v);
int vclock_load(struct vclock_info *v, const char *dir, char *err, size_t errlen);
int vclock_save(const struct vclock_info *v, const char *dir, char *err, size_t errlen);

#endif
