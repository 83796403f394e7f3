// SPDX-License-Identifier: GPL-2.0
/*
 * report.c - text, JSON and brief output of an audit.
 */
#include "report.h"

#include <string.h>

static const char *yesno(bool b)
{
	return b ? "yes" : "no";
}

static const char *or_unknown(bool have, const char *s)
{
	return have ? s : "unknown";
}

static void flag_list(FILE *f, const struct sys_facts *s, bool json)
{
	static const char *const names[] = {
		"constant_tsc", "nonstop_tsc", "tsc_known_freq", "tsc_reliable", "rdtscp",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (json)
			fprintf(f, "%s\"%s\": %s", i ? ", " : "", names[i],
				!s->have_flags ? "null" : word_in(s->flags, names[i]) ? "true" : "false");
		else
			fprintf(f, " %s=%s", names[i],
				!s->have_flags ? "?" : word_in(s->flags, names[i]) ? "yes" : "no");
	}
}

static const char *hv_desc(const struct cpu_facts *c)
{
	return hv_kind_name(c->hv);
}

void report_text(FILE *f, const struct report_input *in)
{
	const struct cpu_facts *c = in->cpu;
	const struct sys_facts *s = in->sys;
	const struct vclock_info *v = in->vc;
	const struct audit *a = in->audit;
	int num = 0;

	fprintf(f, "tsc-audit: live-migration verdict: %s\n", verdict_name(a->verdict));
	fprintf(f, "source: %s\n\n", in->source);
	fprintf(f, "cpu:          %s family 0x%x model 0x%x stepping %u%s%s%s\n", c->vendor,
		c->family, c->model, c->stepping, c->brand[0] ? " \"" : "", c->brand,
		c->brand[0] ? "\"" : "");
	fprintf(f, "tsc:          invariant=%s rdtscp=%s\n", yesno(c->invariant_tsc), yesno(c->rdtscp));
	fprintf(f, "model rule:   %s\n",
		a->model_assumes_constant ? a->model_rule : "none (constant_tsc only from CPUID)");
	if (c->hypervisor_bit) {
		fprintf(f, "hypervisor:   %s, signature \"%s\" at 0x%08x (max leaf 0x%08x)\n",
			hv_desc(c), c->hv_signature, c->hv_base, c->hv_max);
		if (c->kvm)
			fprintf(f, "kvm features: 0x%08x at 0x%08x: clocksource=%s clocksource2=%s "
				"stable_bit=%s\n", c->kvm_features, c->kvm_base + 1,
				yesno(c->kvm_features & (1u << KVM_FEATURE_CLOCKSOURCE)),
				yesno(c->kvm_features & (1u << KVM_FEATURE_CLOCKSOURCE2)),
				yesno(c->kvm_features & (1u << KVM_FEATURE_CLOCKSOURCE_STABLE_BIT)));
		if (c->hyperv)
			fprintf(f, "hv features:  0x%08x: reference_tsc=%s frequency_msrs=%s "
				"reenlightenment=%s tsc_invariant=%s\n", c->hv_features_eax,
				yesno(c->hv_features_eax & HV_MSR_REFERENCE_TSC_AVAILABLE),
				yesno(c->hv_features_eax & HV_ACCESS_FREQUENCY_MSRS),
				yesno(c->hv_features_eax & HV_ACCESS_REENLIGHTENMENT),
				yesno(c->hv_features_eax & HV_ACCESS_TSC_INVARIANT));
	} else {
		fprintf(f, "hypervisor:   none (CPUID.1:ECX[31] clear)\n");
	}
	fprintf(f, "cpuinfo:     ");
	flag_list(f, s, false);
	fprintf(f, "\nclocksource:  current %s; available %s\n",
		or_unknown(s->have_current, s->current), or_unknown(s->have_available, s->available));
	if (v->known)
		fprintf(f, "kvmclock:     flags 0x%02x (tsc_stable=%s guest_stopped=%s) from %s\n",
			v->flags, yesno(v->flags & PVCLOCK_TSC_STABLE_BIT),
			yesno(v->flags & PVCLOCK_GUEST_STOPPED), v->where);
	else
		fprintf(f, "kvmclock:     flags unknown (%s)\n", v->why);
	fprintf(f, "cmdline:      %s\n\n", or_unknown(s->have_cmdline, s->cmdline));

	fprintf(f, "reasons:\n");
	for (size_t i = 0; i < a->n; i++) {
		const struct reason *r = &a->r[i];

		fprintf(f, "%2d. [%s] %s\n", ++num, level_name(r->level), r->id);
		fprintf(f, "    seen: %s\n    why:  %s\n    do:   %s\n", r->seen, r->why,
			r->action);
	}
	fprintf(f, "\nverdict: %s\n", verdict_name(a->verdict));
}

static void jstr(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", f);
		else if (*p == '\t')
			fputs("\\t", f);
		else if (*p < 0x20 || *p > 0x7e)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

static void jkv(FILE *f, const char *k, const char *v, bool have)
{
	fprintf(f, "\"%s\": ", k);
	if (have)
		jstr(f, v);
	else
		fputs("null", f);
}

static const char *tf(bool b)
{
	return b ? "true" : "false";
}

void report_json(FILE *f, const struct report_input *in)
{
	const struct cpu_facts *c = in->cpu;
	const struct sys_facts *s = in->sys;
	const struct vclock_info *v = in->vc;
	const struct audit *a = in->audit;

	fprintf(f, "{\n  \"tool\": \"tsc-audit\",\n  \"verdict\": \"%s\",\n  ",
		verdict_name(a->verdict));
	jkv(f, "source", in->source, true);
	fprintf(f, ",\n  \"cpu\": {");
	jkv(f, "vendor", c->vendor, true);
	fprintf(f, ", ");
	jkv(f, "brand", c->brand, c->brand[0]);
	fprintf(f, ", \"family\": %u, \"model\": %u, \"stepping\": %u, "
		   "\"invariant_tsc\": %s, \"rdtscp\": %s, \"model_assumes_constant_tsc\": %s, ",
		c->family, c->model, c->stepping, tf(c->invariant_tsc), tf(c->rdtscp),
		tf(a->model_assumes_constant));
	jkv(f, "model_rule", a->model_rule, a->model_assumes_constant);
	fprintf(f, ", \"tsc_khz_timing_leaf\": ");
	if (c->have_timing_leaf)
		fprintf(f, "%u", c->timing_tsc_khz);
	else
		fputs("null", f);
	fprintf(f, ", \"base_mhz_leaf16\": ");
	if (c->have_leaf16)
		fprintf(f, "%u", c->base_mhz);
	else
		fputs("null", f);
	fprintf(f, "},\n  \"hypervisor\": {\"present\": %s, \"kind\": \"%s\", ",
		tf(c->hypervisor_bit), hv_desc(c));
	jkv(f, "signature", c->hv_signature, c->hypervisor_bit && c->hv_signature[0]);
	fprintf(f, ", \"base\": %u, \"kvm_features\": ", c->hv_base);
	if (c->kvm)
		fprintf(f, "%u", c->kvm_features);
	else
		fputs("null", f);
	fprintf(f, ", \"hyperv_features\": ");
	if (c->hyperv)
		fprintf(f, "%u", c->hv_features_eax);
	else
		fputs("null", f);
	fprintf(f, "},\n  \"cpuinfo_flags\": {");
	flag_list(f, s, true);
	fprintf(f, "},\n  \"clocksource\": {");
	jkv(f, "current", s->current, s->have_current);
	fprintf(f, ", ");
	jkv(f, "available", s->available, s->have_available);
	fprintf(f, "},\n  \"kvmclock_page\": {\"known\": %s, \"flags\": ", tf(v->known));
	if (v->known)
		fprintf(f, "%u, \"tsc_stable\": %s, \"guest_stopped\": %s, ", v->flags,
			tf(v->flags & PVCLOCK_TSC_STABLE_BIT), tf(v->flags & PVCLOCK_GUEST_STOPPED));
	else
		fputs("null, ", f);
	jkv(f, "where", v->known ? v->where : v->why, true);
	fprintf(f, "},\n  ");
	jkv(f, "cmdline", s->cmdline, s->have_cmdline);
	fprintf(f, ",\n  \"reasons\": [");
	for (size_t i = 0; i < a->n; i++) {
		const struct reason *r = &a->r[i];

		fprintf(f, "%s\n    {\"n\": %zu, \"id\": \"%s\", \"level\": \"%s\", ",
			i ? "," : "", i + 1, r->id, level_name(r->level));
		jkv(f, "seen", r->seen, true);
		fprintf(f, ", ");
		jkv(f, "why", r->why, true);
		fprintf(f, ", ");
		jkv(f, "action", r->action, true);
		fputc('}', f);
	}
	fprintf(f, "\n  ]\n}\n");
}

void report_brief(FILE *f, const struct report_input *in)
{
	const struct audit *a = in->audit;

	fputs(verdict_name(a->verdict), f);
	for (size_t i = 0; i < a->n; i++)
		fprintf(f, " %s:%s", a->r[i].id, level_name(a->r[i].level));
	fputc('\n', f);
}
