/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _TSCPAGE_VMTEST_HANG_REPORT_H
#define _TSCPAGE_VMTEST_HANG_REPORT_H

#include <stdio.h>

/*
 * Prints on @out, as KTAP diagnostics, what every thread of @pid is
 * doing: state, CPU time over one second, kernel stack, user RIP and
 * return addresses as FILE+OFFSET. Leaves them running, untraced: the
 * caller kills and reaps @pid. Takes about a second.
 */
void hang_report(FILE *out, int pid);

#endif /* _TSCPAGE_VMTEST_HANG_REPORT_H */
