// SPDX-License-Identifier: GPL-2.0
/*
 * tscpage-ctl: text and JSON output. Text labels are the struct fields'
 * names too, so the text and the JSON of one command read alike. Every
 * JSON object has "command" first; events print one object per line and
 * flush each, for readers at the end of a pipe.
 */
#include <stdio.h>

#include "faults.h"
#include "json.h"
#include "names.h"
#include "output.h"

typedef unsigned long long ull;

static void json_flag_names(struct ctl_json *j, const char *key,
			    const struct ctl_flag_name *table,
			    unsigned int flags)
{
	ctl_json_array(j, key);
	for (; table->bit; table++)
		if (flags & table->bit)
			ctl_json_str(j, NULL, table->name);
	ctl_json_close(j, ']');
}

static const char *fault_name(unsigned int id)
{
	const struct ctl_fault *f = ctl_fault_by_id(id);

	return f ? f->name : "unknown";
}

/* The status's fields, in the struct's order, into the open object. */
static void json_status_fields(struct ctl_json *j,
			       const struct tscpage_hvsim_status *st)
{
	ctl_json_u64(j, "format", st->format);
	ctl_json_str(j, "format_name", ctl_format_name(st->format));
	ctl_json_u64(j, "update_hz", st->update_hz);
	ctl_json_u64(j, "tsc_khz", st->tsc_khz);
	ctl_json_u64(j, "flags", st->flags);
	json_flag_names(j, "flags_names", ctl_status_flags, st->flags);
	ctl_json_u64(j, "fault", st->fault);
	ctl_json_str(j, "fault_name", fault_name(st->fault));
	ctl_json_u64(j, "notify_cpu", st->notify_cpu);
	ctl_json_u64(j, "fault_ms_left", st->fault_ms_left);
	ctl_json_u64(j, "migrations", st->migrations);
	ctl_json_u64(j, "notifications", st->notifications);
	ctl_json_u64(j, "acks", st->acks);
	ctl_json_u64(j, "acks_dropped", st->acks_dropped);
	ctl_json_u64(j, "ack_timeouts", st->ack_timeouts);
	ctl_json_u64(j, "last_ack_ns", st->last_ack_ns);
	ctl_json_u64(j, "max_ack_ns", st->max_ack_ns);
	ctl_json_s64(j, "tsc_offset", st->tsc_offset);
	ctl_json_u64(j, "page_ns", st->page_ns);
}

void ctl_print_status(bool json, const char *path,
		      const struct tscpage_hvsim_status *st)
{
	struct ctl_json j;
	char flags[96];

	if (json) {
		ctl_json_begin(&j);
		ctl_json_str(&j, "command", "status");
		ctl_json_str(&j, "device", path);
		json_status_fields(&j, st);
		ctl_json_end(&j);
		return;
	}
	ctl_flags_text(ctl_status_flags, st->flags, flags, sizeof(flags));
	printf("tscpage_hvsim (%s)\n", path);
	printf("  format         %s (%u)\n", ctl_format_name(st->format),
	       st->format);
	printf("  update_hz      %u rewrites per second\n", st->update_hz);
	printf("  tsc_khz        %u kHz declared\n", st->tsc_khz);
	printf("  flags          %s\n", flags);
	if (st->fault)
		printf("  fault          %s, %llu ms left\n", fault_name(st->fault),
		       (ull)st->fault_ms_left);
	else
		printf("  fault          none\n");
	printf("  notify_cpu     %u\n", st->notify_cpu);
	printf("  migrations     %llu\n", (ull)st->migrations);
	printf("  notifications  %llu\n", (ull)st->notifications);
	printf("  acks           %llu\n", (ull)st->acks);
	printf("  acks_dropped   %llu\n", (ull)st->acks_dropped);
	printf("  ack_timeouts   %llu\n", (ull)st->ack_timeouts);
	printf("  last_ack_ns    %llu (%.3f us)\n", (ull)st->last_ack_ns,
	       st->last_ack_ns / 1e3);
	printf("  max_ack_ns     %llu (%.3f us)\n", (ull)st->max_ack_ns,
	       st->max_ack_ns / 1e3);
	printf("  tsc_offset     %lld cycles\n", (long long)st->tsc_offset);
	printf("  page_ns        %llu (%.9f s)\n", (ull)st->page_ns,
	       st->page_ns / 1e9);
}

static const char *ack_name(enum ctl_ack ack)
{
	switch (ack) {
	case CTL_ACK_RECEIVED:
		return "acked";
	case CTL_ACK_DROPPED:
		return "dropped";
	case CTL_ACK_TIMEOUT:
		return "timeout";
	case CTL_ACK_NOT_WAITED:
		break;
	}
	return "not_waited";
}

static void migrate_json(const struct ctl_migrate_result *res)
{
	struct ctl_json j;

	ctl_json_begin(&j);
	ctl_json_str(&j, "command", "migrate");
	ctl_json_u64(&j, "blackout_ms", res->req.blackout_ms);
	ctl_json_u64(&j, "tsc_khz", res->req.tsc_khz);
	ctl_json_s64(&j, "tsc_offset", res->req.tsc_offset);
	ctl_json_s64(&j, "cpu", res->req.cpu);
	ctl_json_str(&j, "ack", ack_name(res->ack));
	if (res->ack == CTL_ACK_RECEIVED)
		ctl_json_u64(&j, "last_ack_ns", res->after.last_ack_ns);
	if (res->ack != CTL_ACK_NOT_WAITED) {
		ctl_json_u64(&j, "wait_ms", res->wait_ms);
		ctl_json_u64(&j, "waited_ns", res->waited_ns);
	}
	ctl_json_object(&j, "status");
	json_status_fields(&j, &res->after);
	ctl_json_close(&j, '}');
	ctl_json_end(&j);
}

void ctl_print_migrate(bool json, const struct ctl_migrate_result *res)
{
	const struct tscpage_hvsim_migrate *m = &res->req;
	char khz[32], cpu[32];

	if (json) {
		migrate_json(res);
		return;
	}
	snprintf(khz, sizeof(khz), m->tsc_khz ? "%u kHz" : "kept", m->tsc_khz);
	snprintf(cpu, sizeof(cpu), m->cpu >= 0 ? "cpu %d" : "the first online cpu",
		 (int)m->cpu);
	printf("migrated: blackout_ms %u, tsc_khz %s, tsc_offset %lld, notification on %s\n",
	       m->blackout_ms, khz, (long long)m->tsc_offset, cpu);
	switch (res->ack) {
	case CTL_ACK_RECEIVED:
		printf("acknowledged: last_ack_ns %llu (%.3f us) on cpu %u; seen after %.3f ms of polling\n",
		       (ull)res->after.last_ack_ns,
		       res->after.last_ack_ns / 1e3, res->after.notify_cpu,
		       res->waited_ns / 1e6);
		break;
	case CTL_ACK_DROPPED:
		printf("acknowledgment dropped (fault no_ack): acks_dropped %llu; seen after %.3f ms of polling\n",
		       (ull)res->after.acks_dropped, res->waited_ns / 1e6);
		break;
	case CTL_ACK_TIMEOUT:
		break;		/* said on stderr, with the likely reason */
	case CTL_ACK_NOT_WAITED:
		printf("notification sent; not waiting for the acknowledgment (--no-wait)\n");
		break;
	}
	fflush(stdout);
}

void ctl_print_fault(bool json, const struct tscpage_hvsim_fault_req *req)
{
	const char *name = fault_name(req->fault);
	struct ctl_json j;

	if (json) {
		ctl_json_begin(&j);
		ctl_json_str(&j, "command", "fault");
		ctl_json_u64(&j, "fault", req->fault);
		ctl_json_str(&j, "fault_name", name);
		ctl_json_u64(&j, "for_ms", req->for_ms);
		ctl_json_s64(&j, "arg", req->arg);
		ctl_json_end(&j);
	} else if (req->fault == TSCPAGE_HVSIM_FAULT_NONE) {
		printf("fault none: the active fault, if any, ended\n");
	} else {
		printf("fault %s: active for_ms %u, arg %lld%s\n", name,
		       req->for_ms, (long long)req->arg,
		       req->arg ? "" : " (the default)");
	}
}

static const char *arg_name(enum ctl_fault_arg arg)
{
	switch (arg) {
	case CTL_ARG_STEP_NS:
		return "ns";
	case CTL_ARG_PPM:
		return "ppm";
	case CTL_ARG_NONE:
		break;
	}
	return "none";
}

void ctl_print_fault_list(bool json)
{
	const struct ctl_fault *f;
	struct ctl_json j;

	if (json) {
		ctl_json_begin(&j);
		ctl_json_str(&j, "command", "fault list");
		ctl_json_array(&j, "faults");
	} else {
		printf("%-16s %-8s %-4s %s\n", "NAME", "FORMATS", "ARG",
		       "WHAT IT DOES");
	}
	for (unsigned int i = 0; i < TSCPAGE_HVSIM_FAULT_COUNT; i++) {
		f = &ctl_faults[i];
		if (!json) {
			printf("%-16s %-8s %-4s %s\n", f->name,
			       ctl_fault_formats(f), arg_name(f->arg), f->desc);
			continue;
		}
		ctl_json_object(&j, NULL);
		ctl_json_u64(&j, "fault", f->id);
		ctl_json_str(&j, "fault_name", f->name);
		ctl_json_array(&j, "formats");
		if (f->formats & CTL_ON_PVCLOCK)
			ctl_json_str(&j, NULL, "pvclock");
		if (f->formats & CTL_ON_HVREF)
			ctl_json_str(&j, NULL, "hvref");
		ctl_json_close(&j, ']');
		ctl_json_str(&j, "arg", arg_name(f->arg));
		ctl_json_str(&j, "description", f->desc);
		ctl_json_close(&j, '}');
	}
	if (json) {
		ctl_json_close(&j, ']');
		ctl_json_end(&j);
	}
}

void ctl_print_rate(bool json, __u32 update_hz)
{
	struct ctl_json j;

	if (!json) {
		printf("update_hz %u: the page is rewritten %u times a second\n",
		       update_hz, update_hz);
		return;
	}
	ctl_json_begin(&j);
	ctl_json_str(&j, "command", "rate");
	ctl_json_u64(&j, "update_hz", update_hz);
	ctl_json_end(&j);
}

void ctl_print_desync(bool json, const struct tscpage_hvsim_desync *d)
{
	struct ctl_json j;

	if (!json) {
		printf("desync: cpu %d's TSC moved by %lld cycles\n", (int)d->cpu,
		       (long long)d->cycles);
		return;
	}
	ctl_json_begin(&j);
	ctl_json_str(&j, "command", "desync");
	ctl_json_s64(&j, "cpu", d->cpu);
	ctl_json_s64(&j, "cycles", d->cycles);
	ctl_json_end(&j);
}

void ctl_print_event(bool json, const struct tscpage_event *ev)
{
	struct ctl_json j;
	char flags[96];

	if (!json) {
		ctl_flags_text(ctl_event_flags, ev->flags, flags, sizeof(flags));
		printf("seq %llu  %-9s  cpu %u  tsc_khz %u -> %u  step_ns %+lld  generation %llu  guest_ns %.9f s  %s\n",
		       (ull)ev->seq, ctl_event_type_name(ev->type), ev->cpu,
		       ev->old_tsc_khz, ev->new_tsc_khz, (long long)ev->step_ns,
		       (ull)ev->generation, ev->guest_ns / 1e9, flags);
		fflush(stdout);
		return;
	}
	ctl_json_begin(&j);
	ctl_json_str(&j, "command", "events");
	ctl_json_u64(&j, "seq", ev->seq);
	ctl_json_u64(&j, "type", ev->type);
	ctl_json_str(&j, "type_name", ctl_event_type_name(ev->type));
	ctl_json_u64(&j, "flags", ev->flags);
	json_flag_names(&j, "flags_names", ctl_event_flags, ev->flags);
	ctl_json_u64(&j, "cpu", ev->cpu);
	ctl_json_u64(&j, "old_tsc_khz", ev->old_tsc_khz);
	ctl_json_u64(&j, "new_tsc_khz", ev->new_tsc_khz);
	ctl_json_s64(&j, "step_ns", ev->step_ns);
	ctl_json_u64(&j, "guest_ns", ev->guest_ns);
	ctl_json_u64(&j, "generation", ev->generation);
	ctl_json_end(&j);
}
