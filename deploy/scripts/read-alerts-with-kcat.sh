#!/usr/bin/env bash
# Reads the job's alert topic with an independent client (kcat, apt-get install kcat): committed alerts only
# (isolation.level=read_committed), one per line as "ALERT_ID<TAB>ALERT_JSON", from the beginning.
#
#   read-alerts-with-kcat.sh BOOTSTRAP TOPIC [COUNT]
#
# With COUNT, exits after COUNT alerts (waiting for them); without, exits at the end of the topic.
# Client settings for a secured cluster go in a librdkafka properties file named by KCAT_CONFIG, never on the
# command line, e.g. for Event Hubs (the namespace's Kafka endpoint, port 9093):
#   security.protocol=SASL_SSL
#   sasl.mechanisms=PLAIN
#   sasl.username=$ConnectionString
#   sasl.password=<the connection string>
set -euo pipefail

if [ $# -lt 2 ] || [ $# -gt 3 ]; then
  echo "usage: $0 BOOTSTRAP TOPIC [COUNT]" >&2
  exit 2
fi
bootstrap=$1
topic=$2
count=${3:-}

command -v kcat >/dev/null || { echo "kcat is not installed (apt-get install kcat)" >&2; exit 127; }

args=(-C -b "$bootstrap" -t "$topic" -o beginning -q -X isolation.level=read_committed -f '%k\t%s\n')
if [ -n "${KCAT_CONFIG:-}" ]; then
  args+=(-F "$KCAT_CONFIG")
fi
if [ -n "$count" ]; then
  args+=(-c "$count")
else
  args+=(-e)
fi
exec kcat "${args[@]}"
