/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The provider interface: whoever owns a time page hands it to tscpage.ko
 * through one of these. Kernel only.
 */
#ifndef _TSCPAGE_PROVIDER_H
#define _TSCPAGE_PROVIDER_H

#include <linux/module.h>
#include <linux/types.h>
#include <linux/tscpage.h>

/**
 * struct tscpage_provider - a time page and what tscpage needs to know of it
 * @name:    short name for logs and the ABI ("hvsim", later "kvm", "hyperv")
 * @format:  layout of @page
 * @page:    kernel address of the page, page aligned; the provider writes
 *           it, tscpage only reads it
 * @tsc_khz: TSC frequency the page parameters were computed from
 *
 * A provider in a separate module exports its instance with
 * EXPORT_SYMBOL_GPL; tscpage.ko takes it with symbol_get(), which pins the
 * provider's module for as long as tscpage.ko uses the page. Everything
 * here is set before the provider's module finishes loading and never
 * changes afterwards.
 */
struct tscpage_provider {
	const char *name;
	enum tscpage_format format;
	const void *page;
	u32 tsc_khz;
};

/* Exported by tscpage_hvsim.ko, the hypervisor test double. */
extern struct tscpage_provider tscpage_hvsim_provider;

#endif /* _TSCPAGE_PROVIDER_H */
