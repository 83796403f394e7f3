# SPDX-License-Identifier: GPL-2.0
#
# migrate.awk - vmtest's migration mode: the three views of every event,
# lined up and judged. Prints KTAP: the table as diagnostics, one result
# per event and one per run.
#
# usage: awk -v step_us=B -v lag_low=L -v lag_high=H -v interval_ms=I \
#            [-v plot=FILE] [-v kernel_log=FILE] \
#            [-v kernel_after=FILE] \
#            (plot: the lag over host time to FILE, the events to FILE.events;
#            kernel_after: lines "ID LINE", the first kernel complaint (BUG,
#            Oops, WARNING) on the console of the QEMU process event ID
#            brought the guest to: that event fails with it)
#            -f migrate.awk events.log beacon.log
#
# events.log (tools/vmtest/migrate), one line per event:
#   ID RUN KIND K T0 T1 QEMU_MS DETAIL...   T0, T1: host ns around it;
#                                           QEMU_MS: QEMU's figure for how
#                                           long the guest was stopped (the
#                                           migration's downtime, the
#                                           pause, stop to cont across a
#                                           save/restore), "-" if it failed
#   ID RUN fault K T ARGS...                a tscpage-ctl command sent
# beacon.log (serial-rx over time_beacon's port): "HOST_NS LINE", LINE one
# of S/B/C/E (see tools/vmtest/time_beacon.c).
#
# The views, per event:
#   QEMU:  QEMU_MS and its detail;
#   guest: the steps of CLOCK_MONOTONIC, REALTIME, BOOTTIME and of the raw
#          TSC (in ns at the rate the run's beacons give) between the two
#          beacons around the event (the pair with the longest host gap
#          in its window), and the largest difference between a clock's
#          step and the TSC's over the beacons of the window;
#   lag:   how much further guest time fell behind host time across it:
#          the lowest (host arrival - guest CLOCK_MONOTONIC) of the
#          beacons in the window after the event minus the lowest of the
#          window before it. The lowest of ~100 beacons filters out the
#          delays of the serial path (tens of ms on a loaded host) to well
#          under a ms.
# An event passes when QEMU completed it, no clock stepped back, no clock
# stepped away from the TSC by more than step_us, and the lag is within
# [QEMU_MS - lag_low, QEMU_MS + lag_high]: QEMU's downtime is measured on
# the source, from the stop to the last byte sent, so the destination's
# loading of the last state and its start come on top (8 to 40 ms
# measured here); a pause and a save/restore are timed by the host around
# QMP commands, to a few ms.

function abs(x) { return x < 0 ? -x : x }

FILENAME == ARGV[1] {
	id = $1
	if ($3 == "fault") {
		d = "tscpage-ctl"
		for (i = 6; i <= NF; i++)
			d = d " " $i
		fault[id] = fault[id] (fault[id] == "" ? "" : "; ") d
		next
	}
	nev++
	ev_id[nev] = id
	ev_run[nev] = $2
	ev_kind[nev] = $3
	ev_k[nev] = $4
	ev_t0[nev] = $5
	ev_t1[nev] = $6
	ev_qemu[nev] = $7
	d = ""
	for (i = 8; i <= NF; i++)
		d = d (i > 8 ? " " : "") $i
	ev_detail[nev] = d
	next
}

$2 == "S" { run_cs[$3] = $4; if (!($3 in run_seen)) { nrun++; run_name[nrun] = $3 }
	    run_seen[$3] = 1; next }
$2 == "K" { run_cs[$3] = $4; next }
$2 == "E" { run_end[$3] = $4; next }
$2 == "C" {
	reply[$3] = "rc " $4 (NF > 4 ? ": " substr($0, index($0, $5)) : "")
	next
}
$2 == "B" && NF == 8 {
	r = $3
	n = ++nb[r]
	bh[r, n] = $1
	bseq[r, n] = $4
	bm[r, n] = $5
	br[r, n] = $6
	bb[r, n] = $7
	bt[r, n] = $8
	if (!h_first || $1 < h_first)
		h_first = $1
	next
}

# Index of the first beacon of run r that arrived at or after t.
function first_at(r, t,    lo, hi, mid) {
	lo = 1
	hi = nb[r] + 1
	while (lo < hi) {
		mid = int((lo + hi) / 2)
		if (bh[r, mid] < t)
			lo = mid + 1
		else
			hi = mid
	}
	return lo
}

# Lowest host - guest offset (ms) of run r's beacons arriving in [a, b).
function low_offset(r, a, b,    i, o, best) {
	best = ""
	for (i = first_at(r, a); i <= nb[r] && bh[r, i] < b; i++) {
		o = (bh[r, i] - bm[r, i]) / 1e6
		if (best == "" || o < best)
			best = o
	}
	return best
}

function result(ok, text) {
	nres++
	res_ok[nres] = ok
	res_text[nres] = text
}

END {
	split("monotonic realtime boottime", clock_name, " ")
	if (kernel_after != "") {
		while ((getline l < kernel_after) > 0) {
			i = index(l, " ")
			kafter[substr(l, 1, i - 1)] = substr(l, i + 1)
		}
		close(kernel_after)
	}
	win = interval_ms * 0.8 * 1e6
	if (win > 1e9)
		win = 1e9
	for (q = 1; q <= nrun; q++) {
		r = run_name[q]
		# The TSC's rate over the run, cycles per ns: over the whole
		# run first, then twice again over the intervals whose clock
		# kept within 50 us of the TSC at the previous estimate, so
		# that a step (an injected fault) does not bend the rate the
		# steps are measured with.
		rate[r] = nb[r] > 1 ? (bt[r, nb[r]] - bt[r, 1]) / (bm[r, nb[r]] - bm[r, 1]) : 0
		for (pass = 0; pass < 2 && rate[r]; pass++) {
			st = sm = 0
			for (i = 2; i <= nb[r]; i++) {
				dm = bm[r, i] - bm[r, i - 1]
				dt = bt[r, i] - bt[r, i - 1]
				if (abs(dm - dt / rate[r]) < 50000) {
					st += dt
					sm += dm
				}
			}
			if (sm > 0)
				rate[r] = st / sm
		}
		lost[r] = 0
		for (i = 2; i <= nb[r]; i++)
			lost[r] += bseq[r, i] - bseq[r, i - 1] - 1
	}

	# Each interval between two beacons belongs to the event whose window
	# [T0, T1 + win) its later beacon arrived in, or to none.
	for (e = 1; e <= nev; e++) {
		r = ev_run[e]
		ev_step[e] = 0
		ev_back[e] = ""
		ev_gap[e] = -1
		a = first_at(r, ev_t0[e])
		for (i = (a > 1 ? a : 2); i <= nb[r] && bh[r, i] < ev_t1[e] + win; i++)
			owner[r, i] = e
	}
	for (q = 1; q <= nrun; q++) {
		r = run_name[q]
		out_step[r] = 0
		out_back[r] = ""
		for (i = 2; i <= nb[r]; i++) {
			dm = bm[r, i] - bm[r, i - 1]
			dr = br[r, i] - br[r, i - 1]
			db = bb[r, i] - bb[r, i - 1]
			dt = rate[r] ? (bt[r, i] - bt[r, i - 1]) / rate[r] : 0
			back = ""
			if (dm < 0) back = back sprintf(" monotonic %.3f ms", dm / 1e6)
			if (dr < 0) back = back sprintf(" realtime %.3f ms", dr / 1e6)
			if (db < 0) back = back sprintf(" boottime %.3f ms", db / 1e6)
			if (dt < 0) back = back sprintf(" tsc %.3f ms", dt / 1e6)
			step = dm - dt
			which = "monotonic"
			if (abs(dr - dt) > abs(step)) { step = dr - dt; which = "realtime" }
			if (abs(db - dt) > abs(step)) { step = db - dt; which = "boottime" }
			e = owner[r, i]
			where = sprintf("beacons %d-%d", bseq[r, i - 1], bseq[r, i])
			if (e) {
				# Every clock that stepped from the TSC, by its
				# largest step in the window.
				split(dm - dt " " dr - dt " " db - dt, cs, " ")
				for (c = 1; c <= 3; c++)
					if (abs(cs[c]) > abs(ev_cstep[e, c]))
						ev_cstep[e, c] = cs[c]
				if (abs(step) > abs(ev_step[e])) {
					ev_step[e] = step
					ev_stepwhich[e] = which " at " where
				}
				if (back != "" && ev_back[e] == "")
					ev_back[e] = back " at " where
				gap = bh[r, i] - bh[r, i - 1]
				if (gap > ev_gap[e]) {
					ev_gap[e] = gap
					ev_dm[e] = dm; ev_dr[e] = dr; ev_db[e] = db
					ev_dt[e] = dt
				}
			} else {
				if (abs(step) > abs(out_step[r])) {
					out_step[r] = step
					out_where[r] = which " at " where
				}
				if (back != "" && out_back[r] == "")
					out_back[r] = back " at " where
			}
		}
	}

	print "KTAP version 1"
	# The table: the three views of every event.
	printf "# %-3s %-7s %-14s | %-8s %-33s | %7s %7s %7s %7s %7s %9s | %8s %8s | %s\n",
	       "ev", "run", "event", "QEMU ms", "QEMU detail", "host", "mono",
	       "real", "boot", "tsc", "clk-tsc", "lag ms", "-QEMU", "verdict"
	printf "# %-3s %-7s %-14s | %-8s %-33s | %7s %7s %7s %7s %7s %9s | %8s %8s |\n",
	       "", "", "", "", "", "gap ms", "step", "step", "step", "step", "max us",
	       "", ""
	for (e = 1; e <= nev; e++) {
		r = ev_run[e]
		name = ev_kind[e] (ev_kind[e] == "migration" ? " " ev_k[e] : "")
		why = ""
		lag = ""
		if (ev_qemu[e] == "-") {
			why = ev_detail[e]
		} else {
			before = low_offset(r, ev_t0[e] - win, ev_t0[e])
			after = low_offset(r, ev_t1[e], ev_t1[e] + win)
			if (before == "" || after == "")
				why = "no beacons " (before == "" ? "before" : "after") " it to measure the lag"
			else
				lag = after - before
			if (ev_gap[e] < 0 && why == "")
				why = "no beacon interval across it"
		}
		if (ev_back[e] != "")
			why = why (why == "" ? "" : "; ") "backward:" ev_back[e]
		if (abs(ev_step[e]) > step_us * 1000) {
			d = ""
			for (c = 1; c <= 3; c++)
				if (abs(ev_cstep[e, c]) > step_us * 1000)
					d = d (d == "" ? "" : ", ") sprintf("%s %+.3f ms",
						clock_name[c], ev_cstep[e, c] / 1e6)
			why = why (why == "" ? "" : "; ") "stepped from the TSC: " d \
				" (largest at " substr(ev_stepwhich[e], index(ev_stepwhich[e], "beacons")) ")"
		}
		if (lag != "" && (lag < ev_qemu[e] - lag_low || lag > ev_qemu[e] + lag_high))
			why = why (why == "" ? "" : "; ") sprintf("lag %.1f ms outside [%.1f, %.1f] around QEMU's %s ms",
				lag, ev_qemu[e] - lag_low, ev_qemu[e] + lag_high, ev_qemu[e])
		if (ev_id[e] in kafter)
			why = why (why == "" ? "" : "; ") "the kernel, right after it: " kafter[ev_id[e]]
		ok = why == ""
		if (ev_gap[e] >= 0)
			gv = sprintf("%7.1f %7.2f %7.2f %7.2f %7.2f %9.1f", ev_gap[e] / 1e6,
				     ev_dm[e] / 1e6, ev_dr[e] / 1e6, ev_db[e] / 1e6,
				     ev_dt[e] / 1e6, ev_step[e] / 1e3)
		else
			gv = sprintf("%7s %7s %7s %7s %7s %9s", "-", "-", "-", "-", "-", "-")
		printf "# %-3s %-7s %-14s | %-8s %-33s | %s | %8s %8s | %s\n",
		       ev_id[e], r, name, ev_qemu[e],
		       substr(ev_qemu[e] == "-" ? "FAILED" : ev_detail[e], 1, 33), gv,
		       lag == "" ? "-" : sprintf("%.1f", lag),
		       lag == "" ? "-" : sprintf("%+.1f", lag - ev_qemu[e]),
		       ok ? "ok" : "FAIL"
		text = sprintf("%s: %s (event %s): QEMU %s ms, lag %s ms, clock-TSC step %s us",
			       r, name, ev_id[e], ev_qemu[e],
			       lag == "" ? "-" : sprintf("%.1f", lag),
			       ev_gap[e] >= 0 ? sprintf("%+.1f", ev_step[e] / 1e3) : "-")
		if (ev_id[e] in fault)
			text = text "; injected: " fault[ev_id[e]] " (" \
			       (ev_id[e] in reply ? reply[ev_id[e]] : "no reply") ")"
		if (!ok)
			text = text " # " why
		result(ok, text)
		if (plot != "" && lag != "")
			mark[e] = 1
	}
	for (q = 1; q <= nrun; q++) {
		r = run_name[q]
		why = ""
		if (out_back[r] != "")
			why = "backward:" out_back[r]
		if (abs(out_step[r]) > step_us * 1000)
			why = why (why == "" ? "" : "; ") sprintf("a clock stepped %+.3f ms from the TSC outside any event (%s)",
				out_step[r] / 1e6, out_where[r])
		if (!(r in run_end))
			why = why (why == "" ? "" : "; ") "no end of the run in the beacons"
		printf "# run %s: clocksource %s, %d beacons, %d lost, TSC %.3f MHz, hammer exit %s\n",
		       r, run_cs[r], nb[r], lost[r], rate[r] * 1000,
		       r in run_end ? run_end[r] : "-"
		result(why == "", sprintf("%s: the clocks between events: no backward step, clock-TSC step %+.1f us (bound %d)%s",
		       r, out_step[r] / 1e3, step_us, why == "" ? "" : " # " why))
	}
	if (!nrun)
		result(0, "guest runs: no beacons from the guest # see the guest row's console.log")
	printf "# bounds: |clock step - TSC step| <= %d us; lag - QEMU's figure in [-%d, +%d] ms\n",
	       step_us, lag_low, lag_high
	if (kernel_log != "") {
		while ((getline l < kernel_log) > 0)
			if (l ~ /Marking clocksource|Marking TSC unstable|Override clocksource|clocksource: Switched to/ ||
			    l ~ /tscpage.*(withdraw|distrust|backward|unstable)/) {
				sub(/^<[0-9]+>/, "", l)
				print "# kernel: " l
			}
		close(kernel_log)
	}
	print "1.." nres
	for (i = 1; i <= nres; i++)
		printf "%s %d %s\n", res_ok[i] ? "ok" : "not ok", i, res_text[i]

	# The lag over time, for the plot: per 100 ms of host time, the
	# lowest offset of the run's beacons, less the first one's.
	if (plot != "") {
		for (q = 1; q <= nrun; q++) {
			r = run_name[q]
			for (i = 1; i <= nb[r]; i++) {
				bk = int((bh[r, i] - h_first) / 1e8)
				o = (bh[r, i] - bm[r, i]) / 1e6
				if (!((bk) in low) || o < low[bk])
					low[bk] = o
				if (!base_set) { base = o; base_set = 1 }
			}
		}
		for (bk = 0; bk <= int((ev_t1[nev] + 3e9 - h_first) / 1e8); bk++)
			if (bk in low)
				printf "%.1f %.1f\n", bk / 10, low[bk] - base > plot
		for (e = 1; e <= nev; e++) {
			bk = int((ev_t1[e] - h_first) / 1e8)
			for (j = bk; j < bk + 20 && !(j in low); j++)
				;
			if (j in low)
				printf "%.1f %.1f %s\n", (ev_t1[e] - h_first) / 1e9,
				       low[j] - base,
				       substr(ev_kind[e], 1, 1) ev_k[e] > (plot ".events")
		}
		close(plot)
		close(plot ".events")
	}
}
