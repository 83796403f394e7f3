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
# Twenty bins from 0 to the largest latency.
width = STATS_max > 0 ? STATS_max / 20.0 : 1
bin(x) = width * floor(x / width) + width / 2.0

set title sprintf("%s (%d notifications; median %.1f us, max %.1f us)", \
		  title, STATS_records, STATS_median, STATS_max)
set xlabel "notify to ack (us, perf's timestamps)"
set ylabel "notifications"
set style fill solid 0.6 border -1
set boxwidth width * 0.9
set grid ytics
set yrange [0:*]
plot data using (bin($1)):(1.0) smooth frequency with boxes \
	linecolor rgb "#1f77b4" notitle
