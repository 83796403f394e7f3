// SPDX-License-Identifier: GPL-2.0
/*
 * The migration events that read() and poll() on /dev/tscpage serve
 * (struct tscpage_event): one ring of the last TSCPAGE_EVENT_RING, every
 * open file with its own cursor (the seq of the last event it has read).
 *
 * Context: tscpage_event_add() runs in process context (reenlighten.c's
 * work items); readers in process context, and they sleep only in
 * tscpage_events_wait(), with no lock held (neither this one nor the
 * file's, see chardev.c). The lock is a plain spinlock taken without
 * disabling interrupts: nothing touches the ring from interrupt context.
 */
#include <linux/poll.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>
#include <linux/wait.h>

#include "tscpage.h"

static DEFINE_SPINLOCK(tscpage_events_lock);
static struct tscpage_event tscpage_events[TSCPAGE_EVENT_RING];
/* The seq of the newest event, 0 before the first. Under the lock. */
static u64 tscpage_events_last;
static DECLARE_WAIT_QUEUE_HEAD(tscpage_events_wq);

/* Fills in @e->seq. Wakes every reader and poller. */
void tscpage_event_add(struct tscpage_event *e)
{
	spin_lock(&tscpage_events_lock);
	e->seq = ++tscpage_events_last;
	tscpage_events[(e->seq - 1) % TSCPAGE_EVENT_RING] = *e;
	spin_unlock(&tscpage_events_lock);
	/*
	 * wake_up_interruptible_poll() takes the waitqueue's lock, which
	 * orders the store above before a waiter's check of it: a reader
	 * either sees the event or is on the queue when this wakes it.
	 */
	wake_up_interruptible_poll(&tscpage_events_wq, EPOLLIN | EPOLLRDNORM);
}

u64 tscpage_events_head(void)
{
	u64 last;

	spin_lock(&tscpage_events_lock);
	last = tscpage_events_last;
	spin_unlock(&tscpage_events_lock);
	return last;
}

/*
 * The event after @cursor, moving @cursor to it: false if there is none.
 * A cursor the ring has overtaken goes on from the oldest event kept.
 */
static bool tscpage_event_next(u64 *cursor, struct tscpage_event *e)
{
	bool found = false;

	spin_lock(&tscpage_events_lock);
	if (tscpage_events_last > *cursor) {
		if (tscpage_events_last - *cursor > TSCPAGE_EVENT_RING)
			*cursor = tscpage_events_last - TSCPAGE_EVENT_RING;
		*e = tscpage_events[*cursor % TSCPAGE_EVENT_RING];
		++*cursor;
		found = true;
	}
	spin_unlock(&tscpage_events_lock);
	return found;
}

/*
 * read(): whole events only, those there are now: -EAGAIN if none (the
 * caller waits with tscpage_events_wait(), holding nothing). @cursor is
 * the file's, under its lock; poll() reads it without, hence WRITE_ONCE.
 */
ssize_t tscpage_events_read(u64 *cursor, char __user *buf, size_t count)
{
	struct tscpage_event e;
	size_t done = 0;
	u64 at;

	if (count < sizeof(e))
		return -EINVAL;
	while (done + sizeof(e) <= count) {
		at = *cursor;
		if (!tscpage_event_next(&at, &e))
			return done ? done : -EAGAIN;
		if (copy_to_user(buf + done, &e, sizeof(e)))
			return done ? done : -EFAULT;
		/* Consumed only once it reached the reader. */
		WRITE_ONCE(*cursor, at);
		done += sizeof(e);
	}
	return done;
}

/* Sleeps until there is an event after @cursor: 0, or -ERESTARTSYS. */
int tscpage_events_wait(u64 cursor)
{
	return wait_event_interruptible(tscpage_events_wq,
					tscpage_events_head() > cursor);
}

__poll_t tscpage_events_poll(u64 cursor, struct file *file,
			     struct poll_table_struct *wait)
{
	poll_wait(file, &tscpage_events_wq, wait);
	return tscpage_events_head() > cursor ? EPOLLIN | EPOLLRDNORM : 0;
}
