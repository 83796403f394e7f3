/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Loading and unloading tscpage's modules from a test, without modprobe:
 * the guests the suite runs in have no module tools.
 */
#ifndef _TSCPAGE_SELFTESTS_KMOD_H
#define _TSCPAGE_SELFTESTS_KMOD_H

#include <stdbool.h>

/*
 * Where the .ko files are: the directory given with kmod_set_dir(), else
 * /lib/modules/$(uname -r)/extra, where "make modules_install" and the
 * test guests put them.
 */
void kmod_set_dir(const char *dir);

/* finit_module() of <dir>/<name>.ko with @params; 0 or -errno. */
int kmod_load(const char *name, const char *params);

/* delete_module(@name, O_NONBLOCK); 0 or -errno. */
int kmod_unload(const char *name);

/* Whether /sys/module/<name> exists. */
bool kmod_loaded(const char *name);

#endif /* _TSCPAGE_SELFTESTS_KMOD_H */
