/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tscpage-ctl: the fault catalogue of tscpage_hvsim, by name, with what
 * each one's --arg means and the page formats it applies to.
 */
#ifndef _TSCPAGE_CTL_FAULTS_H
#define _TSCPAGE_CTL_FAULTS_H

#include <stdbool.h>

#include <linux/tscpage.h>
#include <linux/tscpage_hvsim.h>

/* What struct tscpage_hvsim_fault_req.arg means for a fault. */
enum ctl_fault_arg {
	CTL_ARG_NONE,		/* must be 0 */
	CTL_ARG_STEP_NS,	/* 0..10^10 ns, 0: the fault's default */
	CTL_ARG_PPM,		/* -10^5..10^5 ppm, 0: +1000 */
};

#define CTL_FAULT_STEP_NS_MAX	10000000000LL	/* 10^10 */
#define CTL_FAULT_PPM_MAX	100000LL	/* 10^5 */

/* Bits of struct ctl_fault.formats: 1 << enum tscpage_format. */
#define CTL_ON_PVCLOCK	(1U << TSCPAGE_FORMAT_PVCLOCK)
#define CTL_ON_HVREF	(1U << TSCPAGE_FORMAT_HVREF)
#define CTL_ON_BOTH	(CTL_ON_PVCLOCK | CTL_ON_HVREF)

struct ctl_fault {
	enum tscpage_hvsim_fault id;
	const char *name;
	enum ctl_fault_arg arg;
	unsigned int formats;
	const char *desc;	/* one line */
};

/* Every fault, in enum order: ctl_faults[id].id == id. */
extern const struct ctl_fault ctl_faults[TSCPAGE_HVSIM_FAULT_COUNT];

/* The fault named @name, or NULL. */
const struct ctl_fault *ctl_fault_by_name(const char *name);

/* The fault numbered @id, or NULL. */
const struct ctl_fault *ctl_fault_by_id(unsigned int id);

/* "pvclock", "hvref" or "both". */
const char *ctl_fault_formats(const struct ctl_fault *f);

/*
 * The accepted range of --arg for @f; false when @f takes none. @min..@max
 * include 0, which asks for the fault's default.
 */
bool ctl_fault_arg_range(const struct ctl_fault *f, long long *min,
			 long long *max);

#endif /* _TSCPAGE_CTL_FAULTS_H */
