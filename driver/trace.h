/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tracepoints of tscpage, under the "tscpage" system:
 * perf record -e 'tscpage:*', or /sys/kernel/tracing/events/tscpage/.
 *
 * tscpage_event fires in process context, once for each event read()
 * returns on /dev/tscpage. A provider's notification of a change is
 * tscpage_notify, in the context the provider calls it from (hvsim: a
 * hard interrupt); its acknowledgment is tscpage_ack, in process context,
 * before the event it leads to: notify, ack, event, in that order, for
 * every notification (perf_events in selftests/ checks it).
 *
 * tscpage_fallback and tscpage_clamp fire inside the clocksource read, in
 * any context including NMI. Should the trace clock itself be this
 * clocksource (trace_clock "mono" while tscpage is current), an event
 * read that falls back again nests once; the ring buffer's recursion
 * protection drops the nested event.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM tscpage

#if !defined(_TSCPAGE_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _TSCPAGE_TRACE_H

#include <linux/string.h>
#include <linux/tracepoint.h>
#include <linux/tscpage.h>

TRACE_EVENT(tscpage_register,
	    TP_PROTO(const char *provider, int format, u32 tsc_khz,
		     bool stable, int vdso_clock_mode),
	    TP_ARGS(provider, format, tsc_khz, stable, vdso_clock_mode),
	    TP_STRUCT__entry(__array(char, provider, TSCPAGE_PROVIDER_NAME_LEN)
			     __field(int, format)
			     __field(u32, tsc_khz)
			     __field(bool, stable)
			     __field(int, vdso_clock_mode)),
	    TP_fast_assign(strscpy(__entry->provider, provider,
				   sizeof(__entry->provider));
			   __entry->format = format;
			   __entry->tsc_khz = tsc_khz;
			   __entry->stable = stable;
			   __entry->vdso_clock_mode = vdso_clock_mode;),
	    TP_printk("provider=%s format=%s tsc_khz=%u stable=%d vdso_clock_mode=%d",
		      __entry->provider,
		      __entry->format == TSCPAGE_FORMAT_PVCLOCK ? "pvclock" : "hvref",
		      __entry->tsc_khz, __entry->stable,
		      __entry->vdso_clock_mode)
);

TRACE_EVENT(tscpage_fallback,
	    TP_PROTO(int err, unsigned int retries),
	    TP_ARGS(err, retries),
	    TP_STRUCT__entry(__field(int, err)
			     __field(unsigned int, retries)),
	    TP_fast_assign(__entry->err = err;
			   __entry->retries = retries;),
	    TP_printk("err=%d retries=%u", __entry->err, __entry->retries)
);

TRACE_EVENT(tscpage_clamp,
	    TP_PROTO(u64 ns, u64 held),
	    TP_ARGS(ns, held),
	    TP_STRUCT__entry(__field(u64, ns)
			     __field(u64, held)),
	    TP_fast_assign(__entry->ns = ns;
			   __entry->held = held;),
	    TP_printk("ns=%llu held_at=%llu behind=%llu", __entry->ns,
		      __entry->held, __entry->held - __entry->ns)
);

TRACE_EVENT(tscpage_notify,
	    TP_PROTO(unsigned int cpu),
	    TP_ARGS(cpu),
	    TP_STRUCT__entry(__field(u32, cpu)),
	    TP_fast_assign(__entry->cpu = cpu;),
	    TP_printk("cpu=%u", __entry->cpu)
);

TRACE_EVENT(tscpage_ack,
	    TP_PROTO(const char *provider, u64 acks),
	    TP_ARGS(provider, acks),
	    TP_STRUCT__entry(__array(char, provider, TSCPAGE_PROVIDER_NAME_LEN)
			     __field(u64, acks)),
	    TP_fast_assign(strscpy(__entry->provider, provider,
				   sizeof(__entry->provider));
			   __entry->acks = acks;),
	    TP_printk("provider=%s acks=%llu", __entry->provider, __entry->acks)
);

TRACE_EVENT(tscpage_event,
	    TP_PROTO(const struct tscpage_event *e),
	    TP_ARGS(e),
	    TP_STRUCT__entry(__field(u32, type)
			     __field(u32, flags)
			     __field(u32, cpu)
			     __field(u32, old_khz)
			     __field(u32, new_khz)
			     __field(s64, step_ns)
			     __field(u64, generation)),
	    TP_fast_assign(__entry->type = e->type;
			   __entry->flags = e->flags;
			   __entry->cpu = e->cpu;
			   __entry->old_khz = e->old_tsc_khz;
			   __entry->new_khz = e->new_tsc_khz;
			   __entry->step_ns = e->step_ns;
			   __entry->generation = e->generation;),
	    TP_printk("type=%s flags=%#x cpu=%u tsc_khz=%u->%u step_ns=%lld generation=%llu",
		      __print_symbolic(__entry->type,
				       { TSCPAGE_EVENT_NOTIFIED, "notified" },
				       { TSCPAGE_EVENT_DETECTED, "detected" },
				       { TSCPAGE_EVENT_WITHDRAWN, "withdrawn" }),
		      __entry->flags, __entry->cpu, __entry->old_khz,
		      __entry->new_khz, __entry->step_ns, __entry->generation)
);

#endif /* _TSCPAGE_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
