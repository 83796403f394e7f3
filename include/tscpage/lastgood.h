/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A CPU's last good page parameters: what its clocksource reads adopt and
 * what its fallback reads extrapolate from when the page cannot be read.
 * Shared by tscpage.ko and the host test (tests/host/lastgood_torture.c),
 * which interrupts updates with signals as an interrupt or NMI would.
 *
 * Each CPU owns one; only that CPU touches it, with preemption disabled,
 * but an interrupt or an NMI on the same CPU can read the clock, and so
 * read or update it, in the middle of an update. A plain struct copy is
 * several stores: a fallback read in an interrupt landing between them
 * would extrapolate from half-new, half-old parameters (on a pvclock page
 * a new tsc_timestamp with an old system_time is off by the distance
 * between the anchors: seconds).
 *
 * So there are two slots and a generation that names the published one
 * (its low bit). The writer fills the slot the generation does not name
 * and then publishes it with one store of the next generation: whatever
 * interrupts it sees a whole slot, the old one. A writer that finds an
 * update in progress (it interrupted one, on its own CPU) leaves it alone
 * and does not update: its own read used the page's parameters directly,
 * and the interrupted update completes after it. A reader copies the
 * published slot and checks the generation did not move meanwhile (an
 * interrupt that updated twice during the copy would have rewritten the
 * very slot it copies). Only compiler barriers order all this: every
 * reader and writer that matters runs on the same CPU, which sees its own
 * stores in program order, and an interrupt runs to its end before the
 * code it interrupted goes on.
 */
#ifndef _TSCPAGE_LASTGOOD_H
#define _TSCPAGE_LASTGOOD_H

#include <tscpage/arch.h>
#include <linux/tscpage.h>

/* The parameters of either page format. */
union tscpage_params {
	struct tscpage_pvclock pvclock;
	struct tscpage_hvref hvref;
};

/**
 * struct tscpage_lastgood - one CPU's last good parameters
 * @slot: the published one and the one the next update fills
 * @gen:  publications so far; the low bit names the published slot
 * @busy: an update is in progress on this CPU
 */
struct tscpage_lastgood {
	union tscpage_params slot[2];
	unsigned int gen;
	unsigned int busy;
};

/*
 * How a slot is copied: a plain struct copy, whose stores an interrupt can
 * split. The host test makes this its own copy, with the boundary between
 * the stores widened, so that its signals land there as often as in its
 * control's plain copy.
 */
#ifndef tscpage_lastgood_copy
#define tscpage_lastgood_copy(dst, src)	(*(dst) = *(src))
#endif

/* A reader that met this many updates in a row takes the last copy. */
#define TSCPAGE_LASTGOOD_TRIES	4

/*
 * The published parameters, for a look at one field (a version or a
 * sequence): a field read here while an interrupt updates is whole, and
 * at worst stale, which only costs one more update.
 */
static __always_inline const union tscpage_params *
tscpage_lastgood_peek(const struct tscpage_lastgood *lg)
{
	return &lg->slot[tp_load(lg->gen) & 1];
}

/*
 * A whole copy of the published parameters into @out, for a fallback to
 * extrapolate from. The owning CPU only; any context, NMI included.
 */
static __always_inline void
tscpage_lastgood_read(const struct tscpage_lastgood *lg,
		      union tscpage_params *out)
{
	unsigned int tries, gen;

	for (tries = 0; tries < TSCPAGE_LASTGOOD_TRIES; tries++) {
		gen = tp_load(lg->gen);
		tp_barrier();
		tscpage_lastgood_copy(out, &lg->slot[gen & 1]);
		tp_barrier();
		if (tp_load(lg->gen) == gen)
			return;
	}
}

/*
 * Publish @p, unless this CPU is already in the middle of an update (then
 * nothing: see the top of this file). The owning CPU only, preemption
 * disabled; any context, NMI included.
 */
static __always_inline void
tscpage_lastgood_set(struct tscpage_lastgood *lg, const union tscpage_params *p)
{
	unsigned int gen;

	if (tp_load(lg->busy))
		return;
	tp_store(lg->busy, 1);
	/* An interrupt from here on sees busy and keeps out. */
	tp_barrier();
	gen = tp_load(lg->gen);
	tscpage_lastgood_copy(&lg->slot[(gen + 1) & 1], p);
	/* The slot is whole before the generation names it... */
	tp_barrier();
	tp_store(lg->gen, gen + 1);
	/* ...and named before another update may start. */
	tp_barrier();
	tp_store(lg->busy, 0);
}

/* Before anyone reads it (registration): both slots @p. */
static inline void tscpage_lastgood_init(struct tscpage_lastgood *lg,
					 const union tscpage_params *p)
{
	lg->slot[0] = *p;
	lg->slot[1] = *p;
	lg->gen = 0;
	lg->busy = 0;
}

#endif /* _TSCPAGE_LASTGOOD_H */
