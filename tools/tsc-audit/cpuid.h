// SPDX-License-Identifier: GPL-2.0
/*
 * cpuid.h - CPUID leaves tsc-audit reads, live or from a recorded dump,
 * and the facts it derives from them.
 */
#ifndef TSC_AUDIT_CPUID_H
#define TSC_AUDIT_CPUID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct cpuid_regs {
	uint32_t eax, ebx, ecx, edx;
};

struct cpuid_entry {
	uint32_t leaf, subleaf;
	struct cpuid_regs r;
};

#define CPUID_MAX_ENTRIES 256

struct cpuid_table {
	size_t n;
	struct cpuid_entry e[CPUID_MAX_ENTRIES];
};

enum cpu_vendor {
	VENDOR_OTHER,
	VENDOR_INTEL,
	VENDOR_AMD,
	VENDOR_HYGON,
	VENDOR_CENTAUR,
	VENDOR_ZHAOXIN,
};

enum hv_kind {
	HV_NONE,	/* no hypervisor bit */
	HV_UNKNOWN,	/* hypervisor bit, signature not recognised */
	HV_KVM,
	HV_HYPERV,
	HV_VMWARE,
	HV_XEN,
	HV_TCG,
	HV_OTHER,	/* recognised, not one we audit in depth */
};

/* Bits, as the Linux headers name them (see rules.c for the files). */
#define KVM_SIGNATURE_LEAF		0x40000000u
#define KVM_FEATURE_CLOCKSOURCE		0
#define KVM_FEATURE_CLOCKSOURCE2	3
#define KVM_FEATURE_CLOCKSOURCE_STABLE_BIT 24
#define HYPERV_CPUID_FEATURES		0x40000003u
#define HV_MSR_REFERENCE_TSC_AVAILABLE	(1u << 9)
#define HV_ACCESS_FREQUENCY_MSRS	(1u << 11)
#define HV_ACCESS_REENLIGHTENMENT	(1u << 13)
#define HV_ACCESS_TSC_INVARIANT		(1u << 15)
#define HV_TIMING_LEAF_OFFSET		0x10u	/* base + 0x10: TSC kHz, bus kHz */

struct cpu_facts {
	char vendor[13];
	enum cpu_vendor vendor_id;
	char brand[49];
	uint32_t max_basic, max_ext;
	uint32_t signature;		/* leaf 1 EAX */
	uint32_t family, model, stepping; /* as Linux computes them */
	bool has_tsc;			/* 1.EDX[4] */
	bool hypervisor_bit;		/* 1.ECX[31] */
	bool rdtscp;			/* 0x80000001.EDX[27] */
	bool invariant_tsc;		/* 0x80000007.EDX[8] */
	bool have_leaf15;
	uint32_t tsc_ratio_den, tsc_ratio_num, crystal_hz;
	bool have_leaf16;
	uint32_t base_mhz, max_mhz, bus_mhz;

	enum hv_kind hv;
	char hv_signature[13];		/* printable copy of the first base */
	uint32_t hv_base, hv_max;	/* first hypervisor base and its max leaf */
	bool kvm;			/* KVM signature at some base */
	uint32_t kvm_base, kvm_features; /* base+1 EAX */
	bool hyperv;
	uint32_t hv_features_eax, hv_features_edx; /* 0x40000003 */
	bool have_timing_leaf;
	uint32_t timing_tsc_khz, timing_bus_khz;
};

/* Read the live CPU; 0 on success. */
int cpuid_probe_live(struct cpuid_table *t);
/* Load a dump (lines "leaf subleaf eax ebx ecx edx" in hex, '#' comments). */
int cpuid_load(struct cpuid_table *t, const char *path, char *err, size_t errlen);
int cpuid_save(const struct cpuid_table *t, FILE *f);
bool cpuid_get(const struct cpuid_table *t, uint32_t leaf, uint32_t subleaf,
	       struct cpuid_regs *r);
void cpuid_analyze(const struct cpuid_table *t, struct cpu_facts *f);
const char *hv_kind_name(enum hv_kind k);

#endif
