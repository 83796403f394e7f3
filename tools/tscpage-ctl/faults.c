// SPDX-License-Identifier: GPL-2.0
/*
 * tscpage-ctl: the fault catalogue, made from the header's own
 * (include/uapi/linux/tscpage_hvsim_faults.h): names,
 * formats, what --arg means and the descriptions. The kernel has the last
 * word on the formats (EOPNOTSUPP).
 */
#include <stddef.h>
#include <string.h>

#include "faults.h"

/* Designated by id, from the header's own catalogue. */
const struct ctl_fault ctl_faults[TSCPAGE_HVSIM_FAULT_COUNT] = {
#define TSCPAGE_HVSIM_FAULT(ID, NAME, FORMATS, ARG, DESC) \
	[TSCPAGE_HVSIM_FAULT_##ID] = { TSCPAGE_HVSIM_FAULT_##ID, NAME, \
				       CTL_ARG_##ARG, CTL_ON_##FORMATS, DESC },
#include <linux/tscpage_hvsim_faults.h>
#undef TSCPAGE_HVSIM_FAULT
};

const struct ctl_fault *ctl_fault_by_name(const char *name)
{
	for (size_t i = 0; i < TSCPAGE_HVSIM_FAULT_COUNT; i++)
		if (!strcmp(ctl_faults[i].name, name))
			return &ctl_faults[i];
	return NULL;
}

const struct ctl_fault *ctl_fault_by_id(unsigned int id)
{
	return id < TSCPAGE_HVSIM_FAULT_COUNT ? &ctl_faults[id] : NULL;
}

const char *ctl_fault_formats(const struct ctl_fault *f)
{
	switch (f->formats) {
	case CTL_ON_PVCLOCK:
		return "pvclock";
	case CTL_ON_HVREF:
		return "hvref";
	}
	return "both";
}

bool ctl_fault_arg_range(const struct ctl_fault *f, long long *min,
			 long long *max)
{
	switch (f->arg) {
	case CTL_ARG_STEP_NS:
		*min = 0;
		*max = CTL_FAULT_STEP_NS_MAX;
		return true;
	case CTL_ARG_PPM:
		*min = -CTL_FAULT_PPM_MAX;
		*max = CTL_FAULT_PPM_MAX;
		return true;
	case CTL_ARG_NONE:
		break;
	}
	*min = *max = 0;
	return false;
}
