# SPDX-License-Identifier: GPL-2.0
#
# The plot of clock_latency --hist: for each path, the fraction of calls
# slower than x ns, both axes logarithmic, so the median (0.5), p90, p99
# and p99.9 are where a curve crosses the marked levels. Two panels: the
# body (2 to 100 ns, where the fast paths differ by a few ns) and the
# whole range with the tail down to one call in a million.
#
#   gnuplot -e "data='results/latency.dat'; out='results/latency.png'" latency.gp

if (!exists("data")) data = 'results/latency.dat'
if (!exists("out")) out = 'results/latency.png'

set terminal pngcairo size 1500,1100 font "DejaVu Sans,12" noenhanced
set output out

stats data using 1 nooutput
blocks = STATS_blocks

# Twelve colours, solid; any further paths dashed.
array col[12] = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", \
		 "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f", \
		 "#000000", "#000080"]
do for [i=1:16] {
	c = col[(i - 1) % 12 + 1]
	d = i <= 12 ? 1 : 2
	set linetype i linecolor rgb c linewidth 2 dashtype d
}

set logscale xy
set grid xtics ytics mxtics lc rgb "#dddddd"
set ylabel "fraction of calls slower"
set lmargin at screen 0.10
set rmargin at screen 0.74

set multiplot title "bench/clock_latency: latency of one read of the time (empty lfence;rdtsc bracket subtracted)"

set origin 0, 0.45
set size 1, 0.53
set title "body: 2 to 100 ns"
set xlabel "ns per call"
set xrange [2:100]
set yrange [1e-3:1]
set xtics ("2" 2, "3" 3, "5" 5, "7" 7, "10" 10, "15" 15, "20" 20, "25" 25, "30" 30, \
	   "40" 40, "50" 50, "70" 70, "100" 100)
set ytics ("1" 1, "median 0.5" 0.5, "p90 0.1" 0.1, "p99 0.01" 0.01, \
	   "p99.9 0.001" 1e-3)
set key at screen 0.76, screen 0.97 left top vertical spacing 1.3 box \
	title "path (see the table for k)"
plot for [i=0:blocks-1] data index i using 1:2 with steps lt (i + 1) \
	title columnheader(1)

set origin 0, 0
set size 1, 0.45
set title "1 ns to 300 us, tail to 1e-6 (the table gives the max)"
set xrange [1:300000]
set yrange [1e-6:1]
set xtics ("1" 1, "10" 10, "100" 100, "1 us" 1000, "10 us" 10000, \
	   "100 us" 100000)
set ytics ("1" 1, "0.5" 0.5, "0.1" 0.1, "0.01" 0.01, "1e-3" 1e-3, \
	   "1e-4" 1e-4, "1e-5" 1e-5, "1e-6" 1e-6)
unset key
plot for [i=0:blocks-1] data index i using 1:2 with steps lt (i + 1) notitle

unset multiplot
