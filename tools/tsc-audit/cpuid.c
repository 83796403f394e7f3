// SPDX-License-Identifier: GPL-2.0
/*
 * cpuid.c - probe the CPUID leaves that matter for guest timekeeping, load
 * and save them as text, and turn them into struct cpu_facts.
 */
#include "cpuid.h"

#include <cpuid.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void add(struct cpuid_table *t, uint32_t leaf, uint32_t sub,
		const struct cpuid_regs *r)
{
	if (t->n >= CPUID_MAX_ENTRIES)
		return;
	t->e[t->n].leaf = leaf;
	t->e[t->n].subleaf = sub;
	t->e[t->n].r = *r;
	t->n++;
}

static void live(uint32_t leaf, uint32_t sub, struct cpuid_regs *r)
{
	unsigned int a, b, c, d;

	__cpuid_count(leaf, sub, a, b, c, d);
	r->eax = a;
	r->ebx = b;
	r->ecx = c;
	r->edx = d;
}

static void probe_range(struct cpuid_table *t, uint32_t first, uint32_t last)
{
	struct cpuid_regs r;

	for (uint32_t l = first; l <= last; l++) {
		live(l, 0, &r);
		add(t, l, 0, &r);
	}
}

static uint32_t min_u32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

/*
 * Hypervisor leaves are looked for the way Linux does (cpuid_base_hypervisor
 * in asm/kvm_para.h, hypervisor_cpuid_base): every 0x100 from 0x40000000,
 * and only when the hypervisor bit is set (on bare metal those leaves echo
 * the highest basic leaf and mean nothing).
 */
int cpuid_probe_live(struct cpuid_table *t)
{
	struct cpuid_regs r;
	uint32_t max_basic, max_ext;

	t->n = 0;
	live(0, 0, &r);
	max_basic = r.eax;
	add(t, 0, 0, &r);
	probe_range(t, 1, min_u32(max_basic, 0x16));
	live(0x80000000u, 0, &r);
	max_ext = r.eax;
	add(t, 0x80000000u, 0, &r);
	if (max_ext >= 0x80000001u && max_ext < 0x8000ffffu)
		probe_range(t, 0x80000001u, min_u32(max_ext, 0x80000008u));

	if (!cpuid_get(t, 1, 0, &r) || !(r.ecx & (1u << 31)))
		return 0;
	for (uint32_t base = 0x40000000u; base < 0x40010000u; base += 0x100) {
		uint32_t max;

		live(base, 0, &r);
		if (r.eax < base || r.eax > base + 0xff || !(r.ebx | r.ecx | r.edx))
			continue;
		max = min_u32(r.eax, base + HV_TIMING_LEAF_OFFSET);
		add(t, base, 0, &r);
		probe_range(t, base + 1, max);
	}
	return 0;
}

bool cpuid_get(const struct cpuid_table *t, uint32_t leaf, uint32_t subleaf,
	       struct cpuid_regs *r)
{
	for (size_t i = 0; i < t->n; i++) {
		if (t->e[i].leaf == leaf && t->e[i].subleaf == subleaf) {
			if (r)
				*r = t->e[i].r;
			return true;
		}
	}
	return false;
}

int cpuid_load(struct cpuid_table *t, const char *path, char *err, size_t errlen)
{
	char line[512];
	unsigned int lineno = 0;
	FILE *f = fopen(path, "r");

	t->n = 0;
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		unsigned long v[6];
		char *p = line, *end;
		int i;

		lineno++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '#' || *p == '\n' || *p == '\0')
			continue;
		for (i = 0; i < 6; i++) {
			errno = 0;
			v[i] = strtoul(p, &end, 16);
			if (end == p || errno || v[i] > 0xffffffffUL)
				break;
			p = end;
		}
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
		if (i != 6 || *p) {
			snprintf(err, errlen,
				 "%s:%u: expected \"leaf subleaf eax ebx ecx edx\" in hex",
				 path, lineno);
			fclose(f);
			return -1;
		}
		if (t->n >= CPUID_MAX_ENTRIES) {
			snprintf(err, errlen, "%s: more than %d leaves", path,
				 CPUID_MAX_ENTRIES);
			fclose(f);
			return -1;
		}
		add(t, (uint32_t)v[0], (uint32_t)v[1],
		    &(struct cpuid_regs){ (uint32_t)v[2], (uint32_t)v[3],
					  (uint32_t)v[4], (uint32_t)v[5] });
	}
	fclose(f);
	if (!cpuid_get(t, 0, 0, NULL) || !cpuid_get(t, 1, 0, NULL)) {
		snprintf(err, errlen, "%s: leaves 0 and 1 are required", path);
		return -1;
	}
	return 0;
}

int cpuid_save(const struct cpuid_table *t, FILE *f)
{
	fprintf(f, "# SPDX-License-Identifier: GPL-2.0\n"
		   "# leaf subleaf eax ebx ecx edx (hex)\n");
	for (size_t i = 0; i < t->n; i++) {
		const struct cpuid_entry *e = &t->e[i];

		fprintf(f, "%08x %x %08x %08x %08x %08x\n", e->leaf, e->subleaf,
			e->r.eax, e->r.ebx, e->r.ecx, e->r.edx);
	}
	return ferror(f) ? -1 : 0;
}

static void regs_str(char *dst, const uint32_t *regs, int n)
{
	for (int i = 0; i < n; i++)
		memcpy(dst + 4 * i, &regs[i], 4);
	dst[4 * n] = '\0';
}

/* A signature as text: NULs and other non-printables become '.'. */
static void printable(char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			s[i] = '.';
	s[n] = '\0';
}

static const struct {
	const char sig[13];
	enum hv_kind kind;
} hv_sigs[] = {
	{ "KVMKVMKVM\0\0\0", HV_KVM },
	{ "Microsoft Hv", HV_HYPERV },
	{ "VMwareVMware", HV_VMWARE },
	{ "XenVMMXenVMM", HV_XEN },
	{ "TCGTCGTCGTCG", HV_TCG },
	{ "bhyve bhyve ", HV_OTHER },
	{ " lrpepyh  vr", HV_OTHER },
	{ "ACRNACRNACRN", HV_OTHER },
};

const char *hv_kind_name(enum hv_kind k)
{
	switch (k) {
	case HV_NONE: return "none";
	case HV_KVM: return "KVM";
	case HV_HYPERV: return "Hyper-V";
	case HV_VMWARE: return "VMware";
	case HV_XEN: return "Xen";
	case HV_TCG: return "QEMU TCG";
	case HV_OTHER: return "other";
	case HV_UNKNOWN: break;
	}
	return "unknown";
}

static enum hv_kind classify(const char raw[12])
{
	for (size_t i = 0; i < sizeof(hv_sigs) / sizeof(hv_sigs[0]); i++)
		if (!memcmp(raw, hv_sigs[i].sig, 12))
			return hv_sigs[i].kind;
	return HV_UNKNOWN;
}

void cpuid_analyze(const struct cpuid_table *t, struct cpu_facts *f)
{
	struct cpuid_regs r;
	uint32_t v[3];
	bool first = true;

	memset(f, 0, sizeof(*f));
	if (cpuid_get(t, 0, 0, &r)) {
		f->max_basic = r.eax;
		v[0] = r.ebx;
		v[1] = r.edx;
		v[2] = r.ecx;
		regs_str(f->vendor, v, 3);
		printable(f->vendor, 12);
	}
	if (!strcmp(f->vendor, "GenuineIntel"))
		f->vendor_id = VENDOR_INTEL;
	else if (!strcmp(f->vendor, "AuthenticAMD"))
		f->vendor_id = VENDOR_AMD;
	else if (!strcmp(f->vendor, "HygonGenuine"))
		f->vendor_id = VENDOR_HYGON;
	else if (!strcmp(f->vendor, "CentaurHauls"))
		f->vendor_id = VENDOR_CENTAUR;
	else if (!strcmp(f->vendor, "  Shanghai  "))
		f->vendor_id = VENDOR_ZHAOXIN;

	if (cpuid_get(t, 1, 0, &r)) {
		uint32_t sig = r.eax;

		f->signature = sig;
		/* arch/x86/lib/cpu.c: x86_family(), x86_model(), x86_stepping() */
		f->family = (sig >> 8) & 0xf;
		if (f->family == 0xf)
			f->family += (sig >> 20) & 0xff;
		f->model = (sig >> 4) & 0xf;
		if (f->family >= 0x6)
			f->model += ((sig >> 16) & 0xf) << 4;
		f->stepping = sig & 0xf;
		f->has_tsc = r.edx & (1u << 4);
		f->hypervisor_bit = r.ecx & (1u << 31);
	}
	if (f->max_basic >= 0x15 && cpuid_get(t, 0x15, 0, &r)) {
		f->have_leaf15 = r.eax && r.ebx;
		f->tsc_ratio_den = r.eax;
		f->tsc_ratio_num = r.ebx;
		f->crystal_hz = r.ecx;
	}
	if (f->max_basic >= 0x16 && cpuid_get(t, 0x16, 0, &r)) {
		f->have_leaf16 = r.eax != 0;
		f->base_mhz = r.eax & 0xffff;
		f->max_mhz = r.ebx & 0xffff;
		f->bus_mhz = r.ecx & 0xffff;
	}
	if (cpuid_get(t, 0x80000000u, 0, &r) && r.eax >= 0x80000000u &&
	    r.eax < 0x8000ffffu)
		f->max_ext = r.eax;
	if (f->max_ext >= 0x80000001u && cpuid_get(t, 0x80000001u, 0, &r))
		f->rdtscp = r.edx & (1u << 27);
	if (f->max_ext >= 0x80000004u) {
		uint32_t b[12];
		bool ok = true;

		for (int i = 0; i < 3; i++) {
			if (!cpuid_get(t, 0x80000002u + i, 0, &r)) {
				ok = false;
				break;
			}
			b[4 * i] = r.eax;
			b[4 * i + 1] = r.ebx;
			b[4 * i + 2] = r.ecx;
			b[4 * i + 3] = r.edx;
		}
		if (ok) {
			char *s = f->brand;

			regs_str(s, b, 12);
			while (*s == ' ')
				s++;
			memmove(f->brand, s, strlen(s) + 1);
			for (size_t n = strlen(f->brand); n && f->brand[n - 1] == ' '; n--)
				f->brand[n - 1] = '\0';
			printable(f->brand, strlen(f->brand));
		}
	}
	if (f->max_ext >= 0x80000007u && cpuid_get(t, 0x80000007u, 0, &r))
		f->invariant_tsc = r.edx & (1u << 8);

	f->hv = f->hypervisor_bit ? HV_UNKNOWN : HV_NONE;
	if (!f->hypervisor_bit)
		return;
	for (uint32_t base = 0x40000000u; base < 0x40010000u; base += 0x100) {
		char raw[13];
		enum hv_kind k;

		if (!cpuid_get(t, base, 0, &r) || r.eax < base)
			continue;
		v[0] = r.ebx;
		v[1] = r.ecx;
		v[2] = r.edx;
		regs_str(raw, v, 3);
		k = classify(raw);
		if (first) {
			first = false;
			f->hv = k;
			f->hv_base = base;
			f->hv_max = r.eax;
			memcpy(f->hv_signature, raw, 13);
			printable(f->hv_signature, 12);
			if (r.eax >= base + HV_TIMING_LEAF_OFFSET &&
			    cpuid_get(t, base + HV_TIMING_LEAF_OFFSET, 0, &r) && r.eax) {
				f->have_timing_leaf = true;
				f->timing_tsc_khz = r.eax;
				f->timing_bus_khz = r.ebx;
			}
		}
		if (k == HV_KVM && !f->kvm) {
			struct cpuid_regs fr;

			f->kvm = true;
			f->kvm_base = base;
			if (cpuid_get(t, base + 1, 0, &fr))
				f->kvm_features = fr.eax;
		}
		/*
		 * Hyper-V is only ever at 0x40000000, with leaves up to at
		 * least 0x40000005 (ms_hyperv_platform() in
		 * arch/x86/kernel/cpu/mshyperv.c, HYPERV_CPUID_MIN).
		 */
		if (k == HV_HYPERV && base == 0x40000000u &&
		    cpuid_get(t, base, 0, &r) && r.eax >= 0x40000005u) {
			struct cpuid_regs fr;

			if (cpuid_get(t, HYPERV_CPUID_FEATURES, 0, &fr)) {
				f->hyperv = true;
				f->hv_features_eax = fr.eax;
				f->hv_features_edx = fr.edx;
			}
		}
	}
}
