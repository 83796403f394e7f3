# SPDX-License-Identifier: GPL-2.0
#
# Histogram of tscpage's notification-to-acknowledgement latency, as
# perf_events measured it from perf's timestamps of tscpage:tscpage_notify
# and tscpage:tscpage_ack (one value in microseconds per line of data).
#
#   gnuplot -e "data='notify_ack.dat'; out='notify_ack.png'; title='...'" notify_ack.gp

if (!exists("data")) data = 'results/notify_ack.dat'
if (!exists("out")) out = 'results/notify_ack.png'
if (!exists("title")) title = 'tscpage: notification to acknowledgement'

set terminal pngcairo size 1000,600 font "DejaVu Sans,12" noenhanced
set output out

stats data using 1 nooutput
# log2 buckets: bucket b holds [2^b, 2^(b+1)) us; the tail of a TCG guest
# runs three decades past the body.
bucket(x) = x < 1 ? 0 : floor(log(x) / log(2))
set for [b=0:20] xtics add (sprintf("%d", 2**b) b)

set title sprintf("%s (%d notifications; median %.1f us, max %.1f us)", \
		  title, STATS_records, STATS_median, STATS_max)
set xlabel "notify to ack (us, perf's timestamps; log2 buckets, lower edge)"
set ylabel "notifications"
set style fill solid 0.6 border -1
set boxwidth 0.9
set grid ytics
set xrange [-0.5:bucket(STATS_max) + 0.5]
set yrange [0:*]
plot data using (bucket($1)):(1.0) smooth frequency with boxes \
	linecolor rgb "#1f77b4" notitle
