/* SPDX-License-Identifier: GPL-2.0 */
/* Looking for a message in the kernel log, as a test's evidence. */
#ifndef _TSCPAGE_SELFTESTS_KLOG_H
#define _TSCPAGE_SELFTESTS_KLOG_H

#include <stdbool.h>

/* Whether the kernel log buffer holds @needle (the log is read whole). */
bool klog_contains(const char *needle);

#endif /* _TSCPAGE_SELFTESTS_KLOG_H */
