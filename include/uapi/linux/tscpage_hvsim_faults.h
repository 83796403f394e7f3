/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * The fault catalogue of tscpage_hvsim, one line per fault, in the order
 * of its number (TSCPAGE_HVSIM_FAULT_NONE is 0):
 *   TSCPAGE_HVSIM_FAULT(ID, name, formats, arg, description)
 * formats: the page formats the fault exists on (PVCLOCK, HVREF or BOTH;
 * -EOPNOTSUPP on the other); arg: what struct tscpage_hvsim_fault_req.arg
 * means (NONE: must be 0; STEP_NS: ns, 1..10^10, 0 the fault's default;
 * PPM: -10^5..10^5, 0 the default).
 *
 * Included with TSCPAGE_HVSIM_FAULT defined, once for every table made of
 * it (linux/tscpage_hvsim.h makes the enum): no include guard, on purpose.
 * A fault is added at the end, never in between: the numbers are ABI.
 */
TSCPAGE_HVSIM_FAULT(NONE, "none", BOTH, NONE,
		    "end the active fault now")
TSCPAGE_HVSIM_FAULT(STUCK_ODD, "stuck_odd", PVCLOCK, NONE,
		    "version left odd: a writer stuck mid-update")
TSCPAGE_HVSIM_FAULT(SEQ_ZERO, "seq_zero", HVREF, NONE,
		    "sequence 0: the page is invalid")
TSCPAGE_HVSIM_FAULT(TORN, "torn", BOTH, NONE,
		    "fields rewritten without the version/sequence protocol")
TSCPAGE_HVSIM_FAULT(BACKWARD, "backward", BOTH, STEP_NS,
		    "time steps back by --arg ns (0: 1 ms)")
TSCPAGE_HVSIM_FAULT(FORWARD, "forward", BOTH, STEP_NS,
		    "time jumps ahead by --arg ns (0: 50 ms)")
TSCPAGE_HVSIM_FAULT(WRONG_RATE, "wrong_rate", BOTH, PPM,
		    "the page's rate is off by --arg ppm (0: +1000)")
TSCPAGE_HVSIM_FAULT(ZERO_MUL, "zero_mul", BOTH, NONE,
		    "multiplier (mul, scale) 0")
TSCPAGE_HVSIM_FAULT(HUGE_MUL, "huge_mul", BOTH, NONE,
		    "an absurdly large multiplier (mul, scale)")
TSCPAGE_HVSIM_FAULT(BAD_SHIFT, "bad_shift", PVCLOCK, NONE,
		    "tsc_shift outside -32..32")
TSCPAGE_HVSIM_FAULT(STABLE_FLAP, "stable_flap", PVCLOCK, NONE,
		    "TSC_STABLE toggles on and off")
TSCPAGE_HVSIM_FAULT(NOTIFY_NOCHANGE, "notify_nochange", BOTH, NONE,
		    "a migration notification, the page left as it is")
TSCPAGE_HVSIM_FAULT(CHANGE_NONOTIFY, "change_nonotify", BOTH, NONE,
		    "a migration (new page) without a notification")
TSCPAGE_HVSIM_FAULT(NO_ACK, "no_ack", BOTH, NONE,
		    "a migration whose acknowledgment is lost")
TSCPAGE_HVSIM_FAULT(ANCHOR_AHEAD, "anchor_ahead", PVCLOCK, NONE,
		    "tsc_timestamp ahead of every CPU's TSC, the time unchanged")
TSCPAGE_HVSIM_FAULT(STUCK_BACK, "stuck_back", BOTH, NONE,
		    "stuck mid-update, then resumes where it stuck (time hidden)")
TSCPAGE_HVSIM_FAULT(NOTIFY_LATE, "notify_late", BOTH, NONE,
		    "a migration whose notification comes when the fault ends")
TSCPAGE_HVSIM_FAULT(PAUSE_NOFLAG, "pause_noflag", PVCLOCK, NONE,
		    "a 300 ms pause hidden from the clock, no GUEST_STOPPED, untold")
