# SPDX-License-Identifier: GPL-2.0
#
# ktap.sh - KTAP output for the host checks written in shell (tests/*/run),
# sourced, not run:
#   ktap_plan N               "KTAP version 1" and the plan line
#   ktap_result RC DESC [LOG] result N: ok when RC is 0 (an exit status);
#                             otherwise not ok, after LOG's last 15 lines
#   ktap_skip_rest REASON     every result still planned as SKIP, then exit
#   ktap_exit                 exit 1 if any result failed, else 0

ktap_n=0
ktap_planned=0
ktap_failed=0

ktap_plan()
{
	ktap_planned=$1
	echo "KTAP version 1"
	echo "1..$1"
}

ktap_result()
{
	ktap_n=$((ktap_n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $ktap_n $2"
		return 0
	fi
	[ -z "${3:-}" ] || tail -n 15 "$3" | sed 's/^/# /'
	echo "not ok $ktap_n $2"
	ktap_failed=1
}

ktap_skip_rest()
{
	while [ "$ktap_n" -lt "$ktap_planned" ]; do
		ktap_n=$((ktap_n + 1))
		echo "ok $ktap_n # SKIP $1"
	done
	ktap_exit
}

ktap_exit()
{
	exit "$ktap_failed"
}
