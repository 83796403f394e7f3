/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Doing something as a process without privileges: a child of the test
 * (root) drops to uid and gid NOBODY for good, does it, and writes its
 * result back through a pipe. The parent is still root afterwards.
 */
#ifndef _TSCPAGE_SELFTESTS_AS_NOBODY_H
#define _TSCPAGE_SELFTESTS_AS_NOBODY_H

#include <stddef.h>

#define NOBODY		65534

/*
 * Runs @fn(@out, @arg) in a child as NOBODY and copies the @size bytes
 * it left at @out back into @out: 0; or -errno when the child could not
 * drop root (@fn did not run), -EIO when its result did not come back.
 * The test exits failed (KTAP "Bail out!") if it cannot fork or make a
 * pipe.
 */
int as_nobody(void (*fn)(void *out, const void *arg), const void *arg,
	      void *out, size_t size);

#endif /* _TSCPAGE_SELFTESTS_AS_NOBODY_H */
