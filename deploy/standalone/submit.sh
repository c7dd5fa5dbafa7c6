#!/usr/bin/env bash
# Submits the job to a running standalone session cluster with Flink's own client, the way an operator does it.
#
#   export FLINK_HOME=/opt/flink                       # a Flink 2.2 distribution configured with flink-conf/
#   export KVWATCH_EVENTHUBS_CONNECTION_STRING="$(cat /run/secrets/eventhubs)"
#   deploy/standalone/submit.sh                        # first start
#   deploy/standalone/submit.sh --from SAVEPOINT_DIR   # resume after `flink stop`, an upgrade or a rescale
#   PARALLELISM=8 deploy/standalone/submit.sh --from SAVEPOINT_DIR
#
# Stop with a savepoint (keeps the history; prints the savepoint path to resume from):
#   $FLINK_HOME/bin/flink stop --type canonical --savepointPath <savepoint-dir> <job-id>
# The job's main() runs in this client: the connection string is read here, from the environment (or from the file
# named by eventhubs.connection-string-file), never passed as an argument.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

: "${FLINK_HOME:?set FLINK_HOME to a Flink 2.2 distribution}"
JAR=${JAR:-$here/../../target/keyvault-new-terms-0.1.0-SNAPSHOT.jar}
PARALLELISM=${PARALLELISM:-4}

restore=()
if [ "${1:-}" = "--from" ]; then
  # A savepoint or a retained checkpoint. Without --allowNonRestoredState: state the new job cannot place is an
  # error, not silently forgotten history.
  restore=(--fromSavepoint "${2:?--from needs a savepoint or checkpoint path}")
  shift 2
fi

# -d: detached, the client returns once the job is submitted. -p: parallelism, any value up to the job's fixed
# max-parallelism (4096) when resuming from a savepoint. The main class comes from the jar's manifest.
exec "$FLINK_HOME/bin/flink" run -d -p "$PARALLELISM" "${restore[@]}" \
  "$JAR" --config "$here/job.properties" "$@"
