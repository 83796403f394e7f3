/* SPDX-License-Identifier: GPL-2.0 */
/* One-line files of sysfs, debugfs and tracefs: read one, write one. */
#ifndef _TSCPAGE_SELFTESTS_SYSFS_FILE_H
#define _TSCPAGE_SELFTESTS_SYSFS_FILE_H

#include <stddef.h>

/* Reads the first line of @path, without its newline; 0 or -errno. */
int sysfs_read_line(const char *path, char *buf, size_t size);

/* Writes @s to @path in one write(); 0 or -errno. */
int sysfs_write(const char *path, const char *s);

#endif /* _TSCPAGE_SELFTESTS_SYSFS_FILE_H */
