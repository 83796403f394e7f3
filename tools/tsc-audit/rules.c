// SPDX-License-Identifier: GPL-2.0
/*
 * rules.c - every rule tsc-audit applies, and the verdict.
 *
 * Verdict: NOT_APPLICABLE when CPUID.1:ECX[31] (hypervisor) is clear: bare
 * metal is not live-migrated. Otherwise the worst level of any reason:
 * UNSAFE, else RISKY, else SAFE (INFO and OK reasons never lower it).
 *
 * Kernel sources read (Debian linux-source-6.12):
 *   [intel]   arch/x86/kernel/cpu/intel.c early_init_intel(): CONSTANT_TSC if
 *             (family 0xf && model >= 3) || (family 6 && model >= 0xe);
 *             CONSTANT_TSC + NONSTOP_TSC if 0x80000007.EDX[8].
 *   [amd]     arch/x86/kernel/cpu/amd.c, hygon.c: CONSTANT_TSC + NONSTOP_TSC
 *             only if 0x80000007.EDX[8]; no model-based rule.
 *   [centaur] centaur.c: CONSTANT_TSC if (family 6 && model >= 0xf) ||
 *             family >= 7.
 *   [zhaoxin] zhaoxin.c: CONSTANT_TSC if family >= 6.
 *   [cpu]     arch/x86/lib/cpu.c x86_family()/x86_model(): the extended
 *             model counts from family 6 up, for every vendor.
 *   [tsc]     arch/x86/kernel/tsc.c tsc_setup(): tsc=reliable sets
 *             tsc_clocksource_reliable, which clears MUST_VERIFY (no
 *             watchdog); tsc=nowatchdog likewise; tsc=unstable marks the TSC
 *             unstable (not usable as clocksource) whatever came before.
 *   [kvmclk]  arch/x86/kernel/kvmclock.c: PVCLOCK_TSC_STABLE_BIT is honoured
 *             only if KVM_FEATURE_CLOCKSOURCE_STABLE_BIT (0x40000001.EAX[24])
 *             (pvclock_set_flags); the vDSO uses the page only if the flag
 *             was set at boot and no-kvmclock-vsyscall was not given;
 *             kvm-clock rating drops to 299 (tsc preferred) when
 *             CONSTANT_TSC && NONSTOP_TSC && TSC stable.
 *   [pvabi]   arch/x86/include/asm/pvclock-abi.h: flags byte at offset 29,
 *             bit 0 TSC_STABLE, bit 1 GUEST_STOPPED.
 *   [kvmpara] arch/x86/include/uapi/asm/kvm_para.h: CLOCKSOURCE 0,
 *             CLOCKSOURCE2 3, CLOCKSOURCE_STABLE_BIT 24.
 *   [hvtlfs]  include/asm-generic/hyperv-tlfs.h (0x40000003.EAX):
 *             REFERENCE_TSC_AVAILABLE 9, ACCESS_FREQUENCY_MSRS 11,
 *             ACCESS_REENLIGHTENMENT 13, ACCESS_TSC_INVARIANT 15.
 *   [mshv]    arch/x86/kernel/cpu/mshyperv.c: without ACCESS_TSC_INVARIANT
 *             the TSC is marked unstable ("running on Hyper-V"); with it the
 *             kernel exposes invariant TSC and forces TSC_RELIABLE.
 *   [hvtimer] drivers/clocksource/hyperv_timer.c: with ACCESS_TSC_INVARIANT
 *             the TSC-page clocksource drops to rating 250, so tsc wins.
 *   [hvinit]  arch/x86/hyperv/hv_init.c: the reenlightenment notification.
 *
 * Rules (id, level, condition; all but NOT_A_VM apply only in a VM):
 *
 *  id                          level   when
 *  --------------------------  ------  ------------------------------------
 *  NOT_A_VM                    INFO    no hypervisor bit; verdict
 *                                      NOT_APPLICABLE, nothing else checked
 *  CLOCKSOURCE_UNKNOWN         RISKY   current_clocksource unreadable
 *  TSC_NO_INVARIANT            UNSAFE  current is tsc, no invariant TSC: the
 *                                      rate may change on migration and
 *                                      nothing rescales the clocksource
 *  TSC_INVARIANT               OK      current is tsc with invariant TSC
 *  MODEL_ASSUMES_CONSTANT      RISKY   no invariant TSC, but Linux assumes
 *                                      a constant TSC ([intel] [centaur]
 *                                      [zhaoxin] model rule, or cpuinfo has
 *                                      constant_tsc): qemu64/kvm64, Conroe,
 *                                      Penryn, core2duo, coreduo, n270...
 *  TSC_FALLBACK_NO_INVARIANT   INFO    tsc available (not current) without
 *                                      invariant TSC
 *  KVM_LEAVES_HIDDEN           INFO    kvm-clock current but no KVM signature
 *                                      in user CPUID (PVM guests: user CPUID
 *                                      reaches the outer hypervisor); the
 *                                      kvmclock rules then use the page only
 *  KVM_NO_CLOCKSOURCE          INFO    KVM without CLOCKSOURCE/CLOCKSOURCE2
 *  CMDLINE_NO_KVMCLOCK         INFO    no-kvmclock on a KVM guest
 *  KVMCLOCK_STABLE             OK      current kvm-clock, STABLE feature bit
 *                                      and TSC_STABLE in the page
 *  KVMCLOCK_NOT_STABLE         RISKY   current kvm-clock, and the feature
 *                                      bit is missing or the page flag clear:
 *                                      every read goes through the global
 *                                      last-value guard, time can be clamped
 *  KVMCLOCK_STABILITY_UNKNOWN  RISKY   current kvm-clock, page unreadable
 *                                      (the vDSO does not use it, which on
 *                                      Linux means it was not stable at boot)
 *                                      INFO instead if no-kvmclock-vsyscall
 *  PVCLOCK_GUEST_STOPPED       INFO    GUEST_STOPPED flag seen
 *  HYPERV_NO_REFTSC            INFO    Hyper-V without reference TSC page
 *  HYPERV_REFTSC               OK      current hyperv_clocksource_tsc_page
 *  HYPERV_MSR_CLOCK            INFO    current hyperv_clocksource_msr:
 *                                      correct, but every read is an exit
 *  HYPERV_TSC_NO_REENLIGHTENMENT RISKY current tsc on Hyper-V without
 *                                      ACCESS_REENLIGHTENMENT
 *  HYPERV_TSC_REENLIGHTENMENT  OK      current tsc on Hyper-V with it
 *  CMDLINE_TSC_RELIABLE        RISKY   tsc=reliable or tsc=nowatchdog while
 *                                      tsc is current or available and not
 *                                      tsc=unstable: the watchdog that would
 *                                      catch a bad TSC after migration is off
 *                                      (INFO when tsc cannot be used anyway)
 *  CMDLINE_CLOCKSOURCE         INFO    clocksource= given (and whether taken)
 *  OTHER_CLOCKSOURCE           INFO    current is none of the above
 *  TSC_FREQUENCY               INFO    where the TSC rate comes from
 *  UNKNOWN_HYPERVISOR          INFO    hypervisor bit, signature unknown
 */
#include "rules.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *verdict_name(enum verdict v)
{
	switch (v) {
	case VERDICT_NOT_APPLICABLE: return "NOT_APPLICABLE";
	case VERDICT_SAFE: return "SAFE";
	case VERDICT_RISKY: return "RISKY";
	case VERDICT_UNSAFE: return "UNSAFE";
	}
	return "?";
}

const char *level_name(enum level l)
{
	switch (l) {
	case LVL_INFO: return "INFO";
	case LVL_OK: return "OK";
	case LVL_RISKY: return "RISKY";
	case LVL_UNSAFE: return "UNSAFE";
	}
	return "?";
}

#if defined(__GNUC__)
__attribute__((format(printf, 6, 7)))
#endif
static void add(struct audit *a, const char *id, enum level lvl, const char *why,
		const char *action, const char *fmt, ...)
{
	struct reason *r;
	va_list ap;

	if (a->n >= AUDIT_MAX_REASONS)
		return;
	r = &a->r[a->n++];
	r->id = id;
	r->level = lvl;
	va_start(ap, fmt);
	vsnprintf(r->seen, sizeof(r->seen), fmt, ap);
	va_end(ap);
	snprintf(r->why, sizeof(r->why), "%s", why);
	snprintf(r->action, sizeof(r->action), "%s", action);
}

/* The model-based CONSTANT_TSC rules of the kernel ([intel] [centaur] [zhaoxin]). */
static bool model_rule(const struct cpu_facts *c, char *buf, size_t len)
{
	switch (c->vendor_id) {
	case VENDOR_INTEL:
		if (c->family == 0xf && c->model >= 0x3) {
			snprintf(buf, len, "intel.c: family 0xf, model >= 0x3 (Pentium 4/Xeon; "
				 "QEMU kvm64, kvm32, qemu64 with an Intel vendor)");
			return true;
		}
		if (c->family == 0x6 && c->model >= 0xe) {
			snprintf(buf, len, "intel.c: family 0x6, model >= 0xe (Core Duo and "
				 "every later Intel core; QEMU coreduo, core2duo, Conroe, "
				 "Penryn, n270 and all named Intel models)");
			return true;
		}
		return false;
	case VENDOR_CENTAUR:
		if ((c->family == 0x6 && c->model >= 0xf) || c->family >= 0x7) {
			snprintf(buf, len, "centaur.c: family 0x6 model >= 0xf, or family >= 7");
			return true;
		}
		return false;
	case VENDOR_ZHAOXIN:
		if (c->family >= 0x6) {
			snprintf(buf, len, "zhaoxin.c: family >= 6");
			return true;
		}
		return false;
	default:
		return false;
	}
}

/* Is the TSC usable as a clocksource here (current or listed)? */
static bool tsc_usable(const struct sys_facts *s)
{
	return (s->have_current && !strcmp(s->current, "tsc")) ||
	       (s->have_available && word_in(s->available, "tsc"));
}

static void frequency_info(const struct cpu_facts *c, const struct sys_facts *s,
			   struct audit *a)
{
	char buf[400];
	size_t n = 0;

	buf[0] = '\0';
	if (c->have_leaf15) {
		unsigned long long hz = (unsigned long long)c->crystal_hz *
					c->tsc_ratio_num / c->tsc_ratio_den;

		n += snprintf(buf + n, sizeof(buf) - n,
			      "CPUID 0x15 ratio %u/%u crystal %u Hz%s%llu kHz; ",
			      c->tsc_ratio_num, c->tsc_ratio_den, c->crystal_hz,
			      c->crystal_hz ? " -> " : " (crystal not given) ",
			      c->crystal_hz ? hz / 1000 : 0ULL);
	}
	if (c->have_leaf16 && n < sizeof(buf))
		n += snprintf(buf + n, sizeof(buf) - n, "CPUID 0x16 base %u MHz; ",
			      c->base_mhz);
	if (c->have_timing_leaf && n < sizeof(buf))
		n += snprintf(buf + n, sizeof(buf) - n,
			      "hypervisor timing leaf 0x%08x: TSC %u kHz, bus %u kHz; ",
			      c->hv_base + HV_TIMING_LEAF_OFFSET, c->timing_tsc_khz,
			      c->timing_bus_khz);
	if (s->have_flags && n < sizeof(buf))
		n += snprintf(buf + n, sizeof(buf) - n, "cpuinfo tsc_known_freq %s",
			      word_in(s->flags, "tsc_known_freq") ? "yes" : "no");
	if (!buf[0])
		snprintf(buf, sizeof(buf), "no CPUID frequency leaf; the kernel calibrates");
	add(a, "TSC_FREQUENCY", LVL_INFO,
	    "A guest that reads its TSC rate from CPUID/the hypervisor (tsc_known_freq) "
	    "keeps that number after a migration; only the hypervisor can keep it true.",
	    "None by itself; see the other reasons.", "%s", buf);
}

static void kvm_rules(const struct cpu_facts *c, const struct sys_facts *s,
		      const struct vclock_info *vc, struct audit *a, bool cur_kvmclock)
{
	bool feat_cs = c->kvm_features & (1u << KVM_FEATURE_CLOCKSOURCE);
	bool feat_cs2 = c->kvm_features & (1u << KVM_FEATURE_CLOCKSOURCE2);
	/* Without visible KVM leaves, the page flag is the only witness. */
	bool feat_stable = !c->kvm ||
			   (c->kvm_features & (1u << KVM_FEATURE_CLOCKSOURCE_STABLE_BIT));

	if (!c->kvm)
		add(a, "KVM_LEAVES_HIDDEN", LVL_INFO,
		    "kvm-clock is current but userspace CPUID shows no KVM signature: the "
		    "guest kernel sees other CPUID values than its processes (e.g. a PVM "
		    "guest, whose user-mode CPUID reaches the outer hypervisor). CPUID-based "
		    "facts here describe that outer view; the kvmclock page is judged by "
		    "its own flags.",
		    "Compare /proc/cpuinfo with the CPUID facts; trust the page flags.",
		    "current clocksource kvm-clock; CPUID hypervisor \"%s\" (%s)",
		    c->hv_signature, hv_kind_name(c->hv));
	else if (!feat_cs && !feat_cs2)
		add(a, "KVM_NO_CLOCKSOURCE", LVL_INFO,
		    "Without the kvmclock feature the guest has no paravirtual clock that the "
		    "host rewrites after a migration.",
		    "Enable kvmclock in the VM definition (QEMU: -cpu ...,+kvmclock).",
		    "KVM features 0x%08x at 0x%08x: neither CLOCKSOURCE (bit 0) nor "
		    "CLOCKSOURCE2 (bit 3)", c->kvm_features, c->kvm_base + 1);
	if (s->have_cmdline && cmdline_has(s->cmdline, "no-kvmclock"))
		add(a, "CMDLINE_NO_KVMCLOCK", LVL_INFO,
		    "kvm-clock is disabled, so the guest keeps time from the TSC or an "
		    "emulated timer.",
		    "Drop no-kvmclock unless the TSC is invariant and the hosts scale it.",
		    "no-kvmclock on the kernel command line");
	if (!cur_kvmclock)
		return;
	if (!feat_stable || (vc->known && !(vc->flags & PVCLOCK_TSC_STABLE_BIT))) {
		char seen[200];

		if (!feat_stable)
			snprintf(seen, sizeof(seen),
				 "KVM features 0x%08x lack CLOCKSOURCE_STABLE_BIT (bit 24)",
				 c->kvm_features);
		else
			snprintf(seen, sizeof(seen),
				 "kvmclock page flags 0x%02x: TSC_STABLE (bit 0) clear", vc->flags);
		add(a, "KVMCLOCK_NOT_STABLE", LVL_RISKY,
		    "Without TSC_STABLE the per-CPU kvmclock pages may disagree, so every read "
		    "goes through a global last-value guard: time is clamped instead of going "
		    "back, reads contend on one cache line, the vDSO falls back to a syscall. "
		    "The host could not give a stable clock (host TSC unstable or not its "
		    "clocksource), which a migration can make worse.",
		    "Make the hosts run on a stable TSC clocksource (KVM master clock), then "
		    "reboot the guest; check the destination host before migrating.",
		    "current clocksource kvm-clock; %s", seen);
	} else if (vc->known) {
		add(a, "KVMCLOCK_STABLE", LVL_OK,
		    "The host rewrites the kvmclock page for the new TSC after a migration and "
		    "promises all vCPUs agree; readers need no global guard.",
		    "Nothing.",
		    "current clocksource kvm-clock; %s; page flags 0x%02x (TSC_STABLE) in %s",
		    c->kvm ? "KVM features have CLOCKSOURCE_STABLE_BIT (bit 24)"
			   : "KVM features not visible", vc->flags, vc->where);
	} else {
		bool novsys = s->have_cmdline && cmdline_has(s->cmdline, "no-kvmclock-vsyscall");

		add(a, "KVMCLOCK_STABILITY_UNKNOWN", novsys ? LVL_INFO : LVL_RISKY,
		    novsys ? "no-kvmclock-vsyscall keeps the page out of the vDSO, so its "
			     "flags cannot be read from userspace."
			   : "Linux maps the kvmclock page for the vDSO only when it was "
			     "TSC_STABLE at boot; an unmapped page while kvm-clock is current "
			     "suggests it was not.",
		    "Check dmesg for \"kvm-clock: using sched offset\" and the host's "
		    "clocksource; rerun as a process on this guest.",
		    "current clocksource kvm-clock; page flags unknown (%s)", vc->why);
	}
	if (vc->known && (vc->flags & PVCLOCK_GUEST_STOPPED))
		add(a, "PVCLOCK_GUEST_STOPPED", LVL_INFO,
		    "The host paused the guest; the kernel clears the flag and tells the "
		    "watchdogs not to report the gap as a lockup.",
		    "Nothing.", "kvmclock page flags 0x%02x: GUEST_STOPPED (bit 1) set",
		    vc->flags);
}

static void hyperv_rules(const struct cpu_facts *c, const struct sys_facts *s,
			 struct audit *a, bool cur_tsc)
{
	uint32_t f = c->hv_features_eax;

	if (!(f & HV_MSR_REFERENCE_TSC_AVAILABLE))
		add(a, "HYPERV_NO_REFTSC", LVL_INFO,
		    "Without the reference TSC page the guest reads time through an MSR, "
		    "an exit per read.",
		    "Nothing for migration; for speed, use a host that offers the page.",
		    "Hyper-V features 0x%08x lack REFERENCE_TSC_AVAILABLE (bit 9)", f);
	if (s->have_current && !strcmp(s->current, "hyperv_clocksource_tsc_page"))
		add(a, "HYPERV_REFTSC", LVL_OK,
		    "The hypervisor rewrites the reference TSC page's scale and offset after "
		    "a migration; readers follow it.",
		    "Nothing.",
		    "current clocksource hyperv_clocksource_tsc_page; features 0x%08x", f);
	if (s->have_current && !strcmp(s->current, "hyperv_clocksource_msr"))
		add(a, "HYPERV_MSR_CLOCK", LVL_INFO,
		    "The reference counter MSR is correct across migration, but every read "
		    "exits to the hypervisor.",
		    "Nothing for migration.", "current clocksource hyperv_clocksource_msr");
	if (!cur_tsc)
		return;
	if (f & HV_ACCESS_REENLIGHTENMENT)
		add(a, "HYPERV_TSC_REENLIGHTENMENT", LVL_OK,
		    "After a migration to a host of another TSC rate Hyper-V emulates the old "
		    "rate and notifies the guest (reenlightenment), so the raw TSC stays "
		    "consistent with the reference page.",
		    "Nothing.",
		    "current clocksource tsc; features 0x%08x have ACCESS_REENLIGHTENMENT "
		    "(bit 13)%s", f,
		    (f & HV_ACCESS_TSC_INVARIANT) ? " and ACCESS_TSC_INVARIANT (bit 15)" : "");
	else
		add(a, "HYPERV_TSC_NO_REENLIGHTENMENT", LVL_RISKY,
		    "The guest keeps time from the raw TSC but cannot be told when a "
		    "migration changes its rate; it is right only if every destination host "
		    "scales the TSC to the same rate.",
		    "Grant reenlightenment access, or make hyperv_clocksource_tsc_page current "
		    "(echo hyperv_clocksource_tsc_page > .../current_clocksource).",
		    "current clocksource tsc; Hyper-V features 0x%08x lack "
		    "ACCESS_REENLIGHTENMENT (bit 13)", f);
}

static void cmdline_rules(const struct sys_facts *s, struct audit *a)
{
	const char *cmd = s->cmdline;
	char val[128];
	bool reliable = cmdline_has(cmd, "tsc=reliable");
	bool nowd = cmdline_has(cmd, "tsc=nowatchdog");
	bool unstable = cmdline_has(cmd, "tsc=unstable") || cmdline_has(cmd, "notsc");

	if (reliable || nowd) {
		const char *p = reliable ? "tsc=reliable" : "tsc=nowatchdog";

		if (unstable || !tsc_usable(s))
			add(a, "CMDLINE_TSC_RELIABLE", LVL_INFO,
			    "It would switch off the clocksource watchdog for the TSC, but the TSC "
			    "is not usable as a clocksource here, so it has no effect.",
			    "Remove it anyway: it is a trap if the other parameter goes.",
			    "%s on the command line, but %s", p,
			    unstable ? "tsc=unstable/notsc marks the TSC unstable"
				     : "tsc is not an available clocksource");
		else
			add(a, "CMDLINE_TSC_RELIABLE", LVL_RISKY,
			    "It switches off the clocksource watchdog for the TSC, the one check "
			    "that would notice a TSC that runs at the wrong rate or jumps after "
			    "a migration.",
			    "Remove it; if the watchdog misfires, fix the cause (or use kvm-clock).",
			    "%s on the command line; tsc is %s", p,
			    s->have_current && !strcmp(s->current, "tsc") ? "the current clocksource"
									 : "an available clocksource");
	}
	if (cmdline_last(cmd, "clocksource=", val, sizeof(val)))
		add(a, "CMDLINE_CLOCKSOURCE", LVL_INFO,
		    "The administrator chose the clocksource; the kernel's own preference "
		    "does not apply.",
		    "Make sure the choice is the paravirtual clock when the TSC is not invariant.",
		    "clocksource=%s on the command line; current is %s", val,
		    s->have_current ? s->current : "unknown");
}

void audit_run(const struct cpu_facts *c, const struct sys_facts *s,
	       const struct vclock_info *vc, struct audit *a)
{
	bool cur_tsc, cur_kvmclock, assumed_const = false;
	enum level worst = LVL_INFO;

	memset(a, 0, sizeof(*a));
	a->model_assumes_constant = model_rule(c, a->model_rule, sizeof(a->model_rule));

	if (!c->hypervisor_bit) {
		add(a, "NOT_A_VM", LVL_INFO,
		    "Bare metal is not live-migrated; the rules below are about guests.",
		    "Nothing.",
		    "CPUID.1:ECX[31] (hypervisor) clear; invariant TSC %s; current clocksource %s",
		    c->invariant_tsc ? "yes" : "no", s->have_current ? s->current : "unknown");
		frequency_info(c, s, a);
		a->verdict = VERDICT_NOT_APPLICABLE;
		return;
	}

	cur_tsc = s->have_current && !strcmp(s->current, "tsc");
	cur_kvmclock = s->have_current && !strcmp(s->current, "kvm-clock");

	if (c->hv == HV_UNKNOWN)
		add(a, "UNKNOWN_HYPERVISOR", LVL_INFO,
		    "Only KVM and Hyper-V paravirtual clocks are audited in depth.",
		    "Check the hypervisor's documentation for TSC handling on migration.",
		    "hypervisor signature \"%s\" at 0x%08x", c->hv_signature, c->hv_base);

	if (!s->have_current)
		add(a, "CLOCKSOURCE_UNKNOWN", LVL_RISKY,
		    "Without the current clocksource nothing can be said about what the guest's "
		    "time follows.",
		    "Run on a system with sysfs mounted, or record current_clocksource.",
		    "current_clocksource not readable");

	if (cur_tsc && !c->invariant_tsc)
		add(a, "TSC_NO_INVARIANT", LVL_UNSAFE,
		    "The guest's clock is the raw TSC, and CPUID does not promise it runs at a "
		    "constant rate: a migration to a host of another TSC rate without TSC "
		    "scaling changes the rate, and nothing rescales the clocksource, so time "
		    "runs fast or slow from then on.",
		    "Use kvm-clock (remove clocksource=tsc/no-kvmclock), or give the VM an "
		    "invariant TSC with a fixed tsc-frequency on hosts that scale it.",
		    "current clocksource tsc; CPUID 0x80000007.EDX[8] (invariant TSC) clear");
	else if (cur_tsc)
		add(a, "TSC_INVARIANT", LVL_OK,
		    "Invariant TSC in a VM is the hypervisor's promise of one rate; hypervisors "
		    "keep it across migration by TSC scaling (QEMU/KVM refuse to migrate an "
		    "invtsc guest without an explicit tsc-frequency).",
		    "Keep every destination host able to scale the TSC to this rate.",
		    "current clocksource tsc; CPUID 0x80000007.EDX[8] (invariant TSC) set");

	if (!c->invariant_tsc) {
		bool flag = s->have_flags && word_in(s->flags, "constant_tsc");

		assumed_const = a->model_assumes_constant || flag;
		if (assumed_const)
			add(a, "MODEL_ASSUMES_CONSTANT", LVL_RISKY,
			    "Linux takes a constant-rate TSC for granted on this CPU model even "
			    "though CPUID does not promise an invariant TSC. QEMU models like these "
			    "run on hosts of any rate and a migration may change it; anything that "
			    "trusts the TSC rate (tsc clocksource, sched_clock, userspace RDTSC "
			    "with a calibrated rate) goes wrong.",
			    "Prefer kvm-clock; on KVM use a CPU model with +invtsc and a fixed "
			    "tsc-frequency, or migrate only between hosts of one TSC rate or with "
			    "TSC scaling.",
			    "%s family 0x%x model 0x%x: %s; cpuinfo constant_tsc %s; invariant "
			    "TSC clear",
			    c->vendor, c->family, c->model,
			    a->model_assumes_constant ? a->model_rule : "no model rule",
			    s->have_flags ? (flag ? "set" : "clear") : "unknown");
		if (!cur_tsc && s->have_available && word_in(s->available, "tsc"))
			add(a, "TSC_FALLBACK_NO_INVARIANT", LVL_INFO,
			    "tsc is a registered clocksource without an invariant TSC; it is not "
			    "used now but can become current (by hand or if the current one is "
			    "found unstable).",
			    "Do not make tsc current on this guest.",
			    "available clocksources: %s", s->available);
	}

	if (c->kvm || cur_kvmclock)
		kvm_rules(c, s, vc, a, cur_kvmclock);
	if (c->hyperv)
		hyperv_rules(c, s, a, cur_tsc);

	if (s->have_current && !cur_tsc && !cur_kvmclock &&
	    strcmp(s->current, "hyperv_clocksource_tsc_page") &&
	    strcmp(s->current, "hyperv_clocksource_msr"))
		add(a, "OTHER_CLOCKSOURCE", LVL_INFO,
		    "This clocksource is not audited by a specific rule (emulated timers such "
		    "as hpet or acpi_pm are migrated with the VM but slow).",
		    "Check what it reads and whether its rate can change across hosts.",
		    "current clocksource %s", s->current);

	if (s->have_cmdline)
		cmdline_rules(s, a);
	frequency_info(c, s, a);

	for (size_t i = 0; i < a->n; i++)
		if (a->r[i].level > worst)
			worst = a->r[i].level;
	a->verdict = worst == LVL_UNSAFE ? VERDICT_UNSAFE :
		     worst == LVL_RISKY ? VERDICT_RISKY : VERDICT_SAFE;
}
