// SPDX-License-Identifier: GPL-2.0
/*
 * tscpage-ctl: the fault catalogue. The names are the enum's own
 * (TSCPAGE_HVSIM_FAULT_STUCK_ODD is "stuck_odd"), the descriptions and the
 * formats follow include/uapi/linux/tscpage_hvsim.h; the kernel has the
 * last word on the formats (EOPNOTSUPP).
 */
#include <stddef.h>
#include <string.h>

#include "faults.h"

/* Designated by id, so that the order cannot drift from the enum's. */
#define FAULT(ID, NAME, ARG, FORMATS, DESC) \
	[TSCPAGE_HVSIM_FAULT_##ID] = { TSCPAGE_HVSIM_FAULT_##ID, NAME, ARG, \
				       FORMATS, DESC }

const struct ctl_fault ctl_faults[TSCPAGE_HVSIM_FAULT_COUNT] = {
	FAULT(NONE, "none", CTL_ARG_NONE, CTL_ON_BOTH,
	      "end the active fault now"),
	FAULT(STUCK_ODD, "stuck_odd", CTL_ARG_NONE, CTL_ON_PVCLOCK,
	      "version left odd: a writer stuck mid-update"),
	FAULT(SEQ_ZERO, "seq_zero", CTL_ARG_NONE, CTL_ON_HVREF,
	      "sequence 0: the page is invalid"),
	FAULT(TORN, "torn", CTL_ARG_NONE, CTL_ON_BOTH,
	      "fields rewritten without the version/sequence protocol"),
	FAULT(BACKWARD, "backward", CTL_ARG_STEP_NS, CTL_ON_BOTH,
	      "time steps back by --arg ns (0: 1 ms)"),
	FAULT(FORWARD, "forward", CTL_ARG_STEP_NS, CTL_ON_BOTH,
	      "time jumps ahead by --arg ns (0: 50 ms)"),
	FAULT(WRONG_RATE, "wrong_rate", CTL_ARG_PPM, CTL_ON_BOTH,
	      "the page's rate is off by --arg ppm (0: +1000)"),
	FAULT(ZERO_MUL, "zero_mul", CTL_ARG_NONE, CTL_ON_BOTH,
	      "multiplier (mul, scale) 0"),
	FAULT(HUGE_MUL, "huge_mul", CTL_ARG_NONE, CTL_ON_BOTH,
	      "an absurdly large multiplier (mul, scale)"),
	FAULT(BAD_SHIFT, "bad_shift", CTL_ARG_NONE, CTL_ON_PVCLOCK,
	      "tsc_shift outside -32..32"),
	FAULT(STABLE_FLAP, "stable_flap", CTL_ARG_NONE, CTL_ON_PVCLOCK,
	      "TSC_STABLE toggles on and off"),
	FAULT(NOTIFY_NOCHANGE, "notify_nochange", CTL_ARG_NONE, CTL_ON_BOTH,
	      "a migration notification, the page left as it is"),
	FAULT(CHANGE_NONOTIFY, "change_nonotify", CTL_ARG_NONE, CTL_ON_BOTH,
	      "a migration (new page) without a notification"),
	FAULT(NO_ACK, "no_ack", CTL_ARG_NONE, CTL_ON_BOTH,
	      "a migration whose acknowledgment is lost"),
	FAULT(ANCHOR_AHEAD, "anchor_ahead", CTL_ARG_NONE, CTL_ON_PVCLOCK,
	      "tsc_timestamp ahead of every CPU's TSC, the time unchanged"),
	FAULT(STUCK_BACK, "stuck_back", CTL_ARG_NONE, CTL_ON_BOTH,
	      "stuck mid-update, then resumes where it stuck (time hidden)"),
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
