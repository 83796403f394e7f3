// SPDX-License-Identifier: GPL-2.0
/*
 * tscpage-watch: text and JSON lines. Text: the header and the summary
 * start with '#', a sample line with the time since the start in seconds
 * followed by "s  seq", an event line with that time followed by "s  EVENT".
 * JSON: one object per line, its "type" one of start, sample, event,
 * summary. Every line is flushed at once, for watching through a pipe.
 */
#include <stdio.h>

#include "output.h"

static double secs(__s64 ns)
{
	return (double)ns / 1e9;
}

void watch_print_header(bool json, const struct watch_source *src,
			unsigned long interval_ms, unsigned long long step_ns)
{
	const char *provider = src->fd >= 0 ? src->info.provider : "";

	if (json)
		printf("{\"type\":\"start\",\"source\":\"%s\",\"format\":\"%s\",\"provider\":\"%s\",\"interval_ms\":%lu,\"step_ns\":%llu}\n",
		       src->name, watch_format_name(src->format), provider,
		       interval_ms, step_ns);
	else
		printf("# tscpage-watch: source %s%s%s, format %s, interval %lu ms, step threshold %llu ns\n",
		       src->name, *provider ? " provider " : "", provider,
		       watch_format_name(src->format), interval_ms, step_ns);
	fflush(stdout);
}

static void flags_text(unsigned int flags, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s%s",
		 flags & TSCPAGE_PVCLOCK_TSC_STABLE ? "STABLE" : "",
		 (flags & TSCPAGE_PVCLOCK_TSC_STABLE) &&
		 (flags & TSCPAGE_PVCLOCK_GUEST_STOPPED) ? "|" : "",
		 flags & TSCPAGE_PVCLOCK_GUEST_STOPPED ? "STOPPED" : "",
		 flags & (TSCPAGE_PVCLOCK_TSC_STABLE |
			  TSCPAGE_PVCLOCK_GUEST_STOPPED) ? "" : "none");
}

static void flags_json(unsigned int flags, char *buf, size_t len)
{
	snprintf(buf, len, "[%s%s%s]",
		 flags & TSCPAGE_PVCLOCK_TSC_STABLE ? "\"STABLE\"" : "",
		 (flags & TSCPAGE_PVCLOCK_TSC_STABLE) &&
		 (flags & TSCPAGE_PVCLOCK_GUEST_STOPPED) ? "," : "",
		 flags & TSCPAGE_PVCLOCK_GUEST_STOPPED ? "\"STOPPED\"" : "");
}

static void line_json(const struct watch_source *src, bool gen_valid,
		      const struct watch_track *t, const struct watch_sample *s)
{
	char flags[32];

	printf("{\"type\":\"sample\",\"t_s\":%.6f,\"seq\":%u,\"changes\":%lu",
	       secs(s->raw_ns - t->start_raw), watch_sample_seq(s),
	       t->changes_line);
	if (gen_valid)
		printf(",\"generation\":%llu",
		       (unsigned long long)src->info.generation);
	if (s->err) {
		printf(",\"valid\":false,\"error\":\"%s\"}\n",
		       watch_sample_strerror(s->err));
		return;
	}
	printf(",\"valid\":true");
	if (s->format == TSCPAGE_FORMAT_PVCLOCK) {
		flags_json(s->pv.flags, flags, sizeof(flags));
		printf(",\"tsc_timestamp\":%llu,\"system_time\":%llu,\"mul\":%u,\"shift\":%d,\"flags\":%s",
		       (unsigned long long)s->pv.tsc_timestamp,
		       (unsigned long long)s->pv.system_time,
		       s->pv.tsc_to_system_mul, s->pv.tsc_shift, flags);
	} else {
		printf(",\"scale\":%llu,\"offset\":%lld",
		       (unsigned long long)s->hv.tsc_scale,
		       (long long)s->hv.tsc_offset);
	}
	printf(",\"tsc_khz\":%.3f,\"drift_ns\":%lld,\"drift_ppm\":%.3f,\"bracket_ns\":%llu,\"retries\":%u}\n",
	       watch_sample_khz(s), (long long)watch_track_drift_ns(t, s),
	       watch_track_drift_ppm(t, s),
	       (unsigned long long)s->bracket_ns, s->retries);
}

static void line_text(const struct watch_source *src, bool gen_valid,
		      const struct watch_track *t, const struct watch_sample *s)
{
	char flags[32];

	printf("%10.3f s  seq %u (+%lu)", secs(s->raw_ns - t->start_raw),
	       watch_sample_seq(s), t->changes_line);
	if (gen_valid)
		printf("  gen %llu", (unsigned long long)src->info.generation);
	if (s->err) {
		printf("  INVALID: %s\n", watch_sample_strerror(s->err));
		return;
	}
	if (s->format == TSCPAGE_FORMAT_PVCLOCK) {
		flags_text(s->pv.flags, flags, sizeof(flags));
		printf("  tsc_timestamp %llu system_time %llu mul %u shift %d flags %s",
		       (unsigned long long)s->pv.tsc_timestamp,
		       (unsigned long long)s->pv.system_time,
		       s->pv.tsc_to_system_mul, s->pv.tsc_shift, flags);
	} else {
		printf("  scale %#llx offset %lld",
		       (unsigned long long)s->hv.tsc_scale,
		       (long long)s->hv.tsc_offset);
	}
	printf("  tsc %.3f kHz  drift %+lld ns %+.3f ppm\n", watch_sample_khz(s),
	       (long long)watch_track_drift_ns(t, s),
	       watch_track_drift_ppm(t, s));
}

void watch_print_line(bool json, const struct watch_source *src,
		      bool gen_valid, const struct watch_track *t,
		      const struct watch_sample *s)
{
	if (json)
		line_json(src, gen_valid, t, s);
	else
		line_text(src, gen_valid, t, s);
	fflush(stdout);
}

static void event_json(const struct watch_event *ev)
{
	char a[32], b[32];

	printf("{\"type\":\"event\",\"t_s\":%.6f,", secs(ev->t_ns));
	switch (ev->kind) {
	case WATCH_EV_FREQUENCY:
		printf("\"event\":\"frequency_change\",\"old_khz\":%.3f,\"new_khz\":%.3f}\n",
		       ev->old_khz, ev->new_khz);
		break;
	case WATCH_EV_OFFSET:
		printf("\"event\":\"offset_change\",\"old_offset\":%lld,\"new_offset\":%lld}\n",
		       (long long)ev->old_offset, (long long)ev->new_offset);
		break;
	case WATCH_EV_FLAGS:
		flags_json(ev->old_flags, a, sizeof(a));
		flags_json(ev->new_flags, b, sizeof(b));
		printf("\"event\":\"flags_change\",\"old_flags\":%s,\"new_flags\":%s}\n",
		       a, b);
		break;
	case WATCH_EV_STOPPED:
		printf("\"event\":\"guest_stopped\"}\n");
		break;
	case WATCH_EV_INVALID:
		printf("\"event\":\"page_invalid\",\"error\":\"%s\"}\n",
		       watch_sample_strerror(ev->err));
		break;
	case WATCH_EV_VALID:
		printf("\"event\":\"page_valid\"}\n");
		break;
	case WATCH_EV_STEP:
		printf("\"event\":\"step\",\"step_ns\":%lld,\"uncertainty_ns\":%llu}\n",
		       (long long)ev->step_ns, (unsigned long long)ev->bound_ns);
		break;
	case WATCH_EV_GENERATION:
		printf("\"event\":\"generation_change\",\"old_generation\":%llu,\"new_generation\":%llu}\n",
		       (unsigned long long)ev->old_gen,
		       (unsigned long long)ev->new_gen);
		break;
	}
}

static void event_text(const struct watch_event *ev)
{
	char a[32], b[32];

	printf("%10.3f s  EVENT ", secs(ev->t_ns));
	switch (ev->kind) {
	case WATCH_EV_FREQUENCY:
		printf("FREQUENCY CHANGE %.3f kHz -> %.3f kHz\n",
		       ev->old_khz, ev->new_khz);
		break;
	case WATCH_EV_OFFSET:
		printf("OFFSET CHANGE %lld -> %lld (100 ns units)\n",
		       (long long)ev->old_offset, (long long)ev->new_offset);
		break;
	case WATCH_EV_FLAGS:
		flags_text(ev->old_flags, a, sizeof(a));
		flags_text(ev->new_flags, b, sizeof(b));
		printf("FLAGS CHANGE %s -> %s\n", a, b);
		break;
	case WATCH_EV_STOPPED:
		printf("GUEST_STOPPED set\n");
		break;
	case WATCH_EV_INVALID:
		printf("PAGE INVALID: %s\n", watch_sample_strerror(ev->err));
		break;
	case WATCH_EV_VALID:
		printf("PAGE VALID again\n");
		break;
	case WATCH_EV_STEP:
		printf("STEP %+lld ns against CLOCK_MONOTONIC_RAW (+/- %llu ns)\n",
		       (long long)ev->step_ns, (unsigned long long)ev->bound_ns);
		break;
	case WATCH_EV_GENERATION:
		printf("GENERATION CHANGE %llu -> %llu\n",
		       (unsigned long long)ev->old_gen,
		       (unsigned long long)ev->new_gen);
		break;
	}
}

void watch_print_event(bool json, const struct watch_event *ev)
{
	if (json)
		event_json(ev);
	else
		event_text(ev);
	fflush(stdout);
}

void watch_print_summary(bool json, const struct watch_track *t,
			 unsigned long lines, const char *why)
{
	if (json)
		printf("{\"type\":\"summary\",\"end\":\"%s\",\"lines\":%lu,\"seq_changes\":%lu,\"events\":%lu,\"failed_samples\":%lu,\"max_bracket_ns\":%llu}\n",
		       why, lines, t->changes, t->events, t->failures,
		       (unsigned long long)t->max_bracket_ns);
	else
		printf("# summary (%s): %lu lines, %lu sequence changes, %lu events, %lu failed samples, widest bracket %llu ns\n",
		       why, lines, t->changes, t->events, t->failures,
		       (unsigned long long)t->max_bracket_ns);
	fflush(stdout);
}
