#!/usr/bin/env bash
# Run a real Apache Kafka broker (KRaft, one combined broker+controller node) on 127.0.0.1
# without Docker. The broker jars come from Maven Central through scripts/kafka/pom.xml.
#
# Usage: scripts/kafka-local.sh {fetch|start|stop|status|run|help}
#
#   fetch   resolve the broker classpath into the cache (once; later calls are no-ops)
#   start   start the broker in the background and wait until it is ready (idempotent)
#   stop    stop it: SIGTERM, up to KAFKA_STOP_TIMEOUT s for a clean shutdown, then SIGKILL
#   status  print running/stopped; exit 0 when running and answering, 1 otherwise
#   run     like start, but in the foreground (exec), logging to stdout; for containers
#
# Environment (all optional):
#   KAFKA_VERSION          broker version from Maven Central            (default 4.3.1)
#   VENDORWATCH_CACHE      cache root for the jars            (default ~/.cache/vendorwatch)
#   KAFKA_PORT             client (PLAINTEXT) port                            (default 9092)
#   KAFKA_CONTROLLER_PORT  KRaft controller port                              (default 9093)
#   KAFKA_DATA_DIR         config, logs, pid and topic data     (default <repo>/data/kafka)
#   KAFKA_HEAP             JVM heap flags                     (default -Xmx768m -Xms256m)
#   KAFKA_JVM_OPTS         extra JVM flags                                 (default empty)
#   KAFKA_NUM_PARTITIONS   partitions of auto-created topics                    (default 3)
#   KAFKA_RETENTION_HOURS  log.retention.hours; -1 keeps events forever        (default -1)
#   KAFKA_START_TIMEOUT    seconds `start` waits for readiness                 (default 90)
#   KAFKA_STOP_TIMEOUT     seconds `stop` waits before SIGKILL                  (default 30)
#
# Everything a broker owns lives in KAFKA_DATA_DIR: server.properties and log4j2.properties
# (rewritten on every start), broker.log (+ broker.log.1, the previous run's), broker.pid,
# and kafka-logs/ (topic data, committed offsets, KRaft metadata; formatted once and kept
# across stop/start). Several brokers run side by side with different data dirs and ports.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/.." && pwd)"
POM="$SCRIPT_DIR/kafka/pom.xml"

KAFKA_VERSION="${KAFKA_VERSION:-4.3.1}"
CACHE_ROOT="${VENDORWATCH_CACHE:-$HOME/.cache/vendorwatch}"
KAFKA_HOME_DIR="$CACHE_ROOT/kafka-$KAFKA_VERSION"
LIBS_DIR="$KAFKA_HOME_DIR/libs"
FETCH_MARKER="$KAFKA_HOME_DIR/.fetch-complete"

KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
KAFKA_HEAP="${KAFKA_HEAP:--Xmx768m -Xms256m}"
KAFKA_JVM_OPTS="${KAFKA_JVM_OPTS:-}"
KAFKA_NUM_PARTITIONS="${KAFKA_NUM_PARTITIONS:-3}"
KAFKA_RETENTION_HOURS="${KAFKA_RETENTION_HOURS:--1}"
KAFKA_START_TIMEOUT="${KAFKA_START_TIMEOUT:-90}"
KAFKA_STOP_TIMEOUT="${KAFKA_STOP_TIMEOUT:-30}"

DATA_DIR="${KAFKA_DATA_DIR:-$REPO_ROOT/data/kafka}"
case "$DATA_DIR" in
  /*) ;;
  *) DATA_DIR="$REPO_ROOT/$DATA_DIR" ;;  # relative paths are relative to the repo root
esac
LOG_DIRS="$DATA_DIR/kafka-logs"
SERVER_PROPS="$DATA_DIR/server.properties"
LOG4J_CONF="$DATA_DIR/log4j2.properties"
TOOLS_LOG4J_CONF="$DATA_DIR/log4j2-tools.properties"
BROKER_LOG="$DATA_DIR/broker.log"
PID_FILE="$DATA_DIR/broker.pid"
LOCK_FILE="$DATA_DIR/.lock"

# KafkaRaftServer logs this once the broker and the controller are both up.
READY_LINE="Kafka Server started"

log() { printf 'kafka-local: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'
}

require_java() {
  command -v java >/dev/null 2>&1 || die "java not found on PATH (Kafka $KAFKA_VERSION needs Java 17+)"
  local major
  major="$(java -XshowSettings:properties -version 2>&1 \
    | sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p')"
  if [[ -n "$major" && "$major" -lt 17 ]]; then
    die "java $major found; Kafka $KAFKA_VERSION brokers need Java 17+"
  fi
}

validate_port() {  # name value
  if ! [[ "$2" =~ ^[0-9]+$ ]] || (( $2 < 1 || $2 > 65535 )); then
    die "$1 must be a TCP port, got '$2'"
  fi
}

# ---------------------------------------------------------------------------------- fetch

pom_digest() {
  { printf '%s\n' "$KAFKA_VERSION"; cat "$POM"; } | sha256sum | cut -d' ' -f1
}

is_fetched() {
  [[ -f "$FETCH_MARKER" ]] && [[ "$(cat "$FETCH_MARKER")" == "$(pom_digest)" ]]
}

cmd_fetch() {
  if is_fetched; then
    return 0
  fi
  command -v mvn >/dev/null 2>&1 || die "mvn not found on PATH (needed once to fetch the broker jars)"
  mkdir -p "$KAFKA_HOME_DIR"
  # One fetch at a time per cache dir (tests and a user may start brokers concurrently).
  exec 8>"$KAFKA_HOME_DIR/.fetch.lock"
  flock 8
  if is_fetched; then
    exec 8>&-
    return 0
  fi
  log "fetching Apache Kafka $KAFKA_VERSION (kafka_2.13) from Maven Central into $LIBS_DIR"
  local tmp="$KAFKA_HOME_DIR/libs.tmp.$$" started=$SECONDS
  rm -rf "$tmp"
  if ! mvn -B -q -ntp -f "$POM" dependency:copy-dependencies \
      -Dkafka.version="$KAFKA_VERSION" \
      -DincludeScope=runtime \
      -DoutputDirectory="$tmp" >"$KAFKA_HOME_DIR/fetch.log" 2>&1; then
    cat "$KAFKA_HOME_DIR/fetch.log" >&2
    rm -rf "$tmp"
    die "mvn dependency:copy-dependencies failed (full output in $KAFKA_HOME_DIR/fetch.log)"
  fi
  [[ -f "$tmp/kafka_2.13-$KAFKA_VERSION.jar" ]] || die "kafka_2.13-$KAFKA_VERSION.jar missing after fetch"
  rm -rf "$LIBS_DIR"
  mv "$tmp" "$LIBS_DIR"
  pom_digest >"$FETCH_MARKER"
  log "fetched $(find "$LIBS_DIR" -name '*.jar' | wc -l) jars in $((SECONDS - started)) s"
  exec 8>&-
}

# ---------------------------------------------------------------------------------- helpers

port_open() {  # port -> 0 when 127.0.0.1:port accepts TCP connections
  timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}

# Is PID a broker java process of *this* data dir? (Guards against recycled pids.)
is_our_broker() {
  local pid="$1"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [[ -r "/proc/$pid/cmdline" ]] || return 1
  local cmdline
  cmdline="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" || return 1
  [[ "$cmdline" == *" kafka.Kafka $SERVER_PROPS"* ]]
}

running_pid() {  # prints the pid and returns 0 when this data dir's broker process is alive
  [[ -f "$PID_FILE" ]] || return 1
  local pid
  pid="$(tr -dc '0-9' <"$PID_FILE")"
  if is_our_broker "$pid"; then
    printf '%s\n' "$pid"
    return 0
  fi
  return 1
}

configured_port() {  # the client port in the data dir's server.properties, else KAFKA_PORT
  local port=""
  if [[ -f "$SERVER_PROPS" ]]; then
    port="$(sed -n 's|^advertised\.listeners=PLAINTEXT://127\.0\.0\.1:\([0-9]*\).*|\1|p' "$SERVER_PROPS")"
  fi
  printf '%s\n' "${port:-$KAFKA_PORT}"
}

lock_data_dir() {
  mkdir -p "$DATA_DIR"
  exec 9>"$LOCK_FILE"
  flock -w 120 9 || die "another kafka-local.sh holds $LOCK_FILE"
}

log_tail() {
  if [[ -f "$BROKER_LOG" ]]; then
    log "last lines of $BROKER_LOG:"
    tail -n "${1:-40}" "$BROKER_LOG" | sed 's/^/    /' >&2
  fi
}

java_cmd() {  # main class + args -> the java command line used for broker and tools
  local -a heap opts
  read -r -a heap <<<"$KAFKA_HEAP"
  read -r -a opts <<<"$KAFKA_JVM_OPTS"
  JAVA_CMD=(java "${heap[@]}" -server -XX:+UseG1GC -XX:MaxGCPauseMillis=20
    -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent
    -Djava.awt.headless=true "-Dlog4j2.configurationFile=$LOG4J_CONF"
    "${opts[@]}" -cp "$LIBS_DIR/*" "$@")
}

run_tool() {  # StorageTool args... ; quiet logging, small heap
  java -Xmx256m -XX:TieredStopAtLevel=1 -Djava.awt.headless=true \
    "-Dlog4j2.configurationFile=$TOOLS_LOG4J_CONF" \
    -cp "$LIBS_DIR/*" kafka.tools.StorageTool "$@"
}

# ---------------------------------------------------------------------------------- config

write_config() {
  mkdir -p "$DATA_DIR" "$LOG_DIRS"
  cat >"$SERVER_PROPS" <<EOF
# Generated by scripts/kafka-local.sh on every start; edits are overwritten.
# Single combined KRaft node (broker + controller) on loopback only.
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$LOG_DIRS

# One node: every internal topic has a single replica.
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
min.insync.replicas=1
default.replication.factor=1

# Topics.
num.partitions=$KAFKA_NUM_PARTITIONS
auto.create.topics.enable=true
delete.topic.enable=true
# The topics are the event store: keep events unless told otherwise (-1 = forever).
log.retention.hours=$KAFKA_RETENTION_HOURS
log.retention.check.interval.ms=300000
# Committed offsets of idle groups survive a broker that was stopped for a while (1 year).
offsets.retention.minutes=525600

# Local, small machine: start consumer groups at once, keep the compaction buffer small.
group.initial.rebalance.delay.ms=0
log.cleaner.dedupe.buffer.size=33554432
num.recovery.threads.per.data.dir=2
EOF

  {
    echo "# Generated by scripts/kafka-local.sh. Broker logging: INFO to stdout, which \`start\`"
    echo "# redirects into broker.log and \`run\` leaves on the terminal. Chatty loggers at WARN."
    console_log4j vendorwatch-kafka stdout SYSTEM_OUT INFO
    cat <<'EOF'
# Kafka logs its own shutdown from a JVM shutdown hook; log4j's hook would race it and drop
# those lines. The console appender flushes every line, so nothing is lost without the hook.
shutdownHook = disable
# Full config dumps (hundreds of lines, several times per start).
logger.config.name = org.apache.kafka.common.config.AbstractConfig
logger.config.level = WARN
# Per-request / per-partition chatter.
logger.request.name = kafka.request.logger
logger.request.level = WARN
logger.statechange.name = state.change.logger
logger.statechange.level = WARN
logger.storage.name = org.apache.kafka.storage.internals.log
logger.storage.level = WARN
logger.unifiedlog.name = kafka.log
logger.unifiedlog.level = WARN
logger.partition.name = kafka.cluster.Partition
logger.partition.level = WARN
logger.appinfo.name = org.apache.kafka.common.utils.AppInfoParser
logger.appinfo.level = WARN
logger.clients.name = org.apache.kafka.clients
logger.clients.level = WARN
logger.coordinatorruntime.name = org.apache.kafka.coordinator.common.runtime.CoordinatorRuntime
logger.coordinatorruntime.level = WARN
logger.partitionchange.name = org.apache.kafka.controller.PartitionChangeBuilder
logger.partitionchange.level = WARN
EOF
  } >"$LOG4J_CONF"

  {
    echo "# Generated by scripts/kafka-local.sh. Storage tool: warnings only, to stderr."
    console_log4j vendorwatch-kafka-tools stderr SYSTEM_ERR WARN
  } >"$TOOLS_LOG4J_CONF"
}

# Print a log4j2 configuration named NAME whose one console appender APPENDER writes
# every line at LEVEL or above to TARGET (SYSTEM_OUT or SYSTEM_ERR): the broker's and the
# storage tool's logging differ only in these four.
console_log4j() {  # name appender target level
  local name="$1" appender="$2" target="$3" level="$4" ref
  ref="$(tr '[:lower:]' '[:upper:]' <<<"$appender")"  # no ${x^^} in bash 3.2 (macOS)
  cat <<EOF
status = warn
name = $name
appender.$appender.type = Console
appender.$appender.name = $ref
appender.$appender.target = $target
appender.$appender.layout.type = PatternLayout
appender.$appender.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = $level
rootLogger.appenderRef.$appender.ref = $ref
EOF
}

# Format kafka-logs/ once (dynamic KRaft quorum, this node its only voter). A formatted dir
# keeps topics, offsets and metadata across stop/start. Ports may change between starts: the
# single voter updates its own recorded controller endpoint when it comes up.
ensure_formatted() {
  if [[ -f "$LOG_DIRS/meta.properties" ]]; then
    return 0
  fi
  local cluster_id
  cluster_id="$(run_tool random-uuid | tail -n 1)"
  [[ "$cluster_id" =~ ^[A-Za-z0-9_-]{22}$ ]] || die "StorageTool random-uuid printed '$cluster_id'"
  log "formatting $LOG_DIRS (cluster id $cluster_id)"
  run_tool format --standalone -t "$cluster_id" -c "$SERVER_PROPS" >>"$BROKER_LOG" 2>&1 \
    || { log_tail 20; die "kafka.tools.StorageTool format failed"; }
}

# Everything `start` and `run` share before launching java. Caller holds the data dir lock.
prepare() {
  validate_port KAFKA_PORT "$KAFKA_PORT"
  validate_port KAFKA_CONTROLLER_PORT "$KAFKA_CONTROLLER_PORT"
  [[ "$KAFKA_PORT" != "$KAFKA_CONTROLLER_PORT" ]] || die "KAFKA_PORT and KAFKA_CONTROLLER_PORT are equal"
  [[ "$KAFKA_NUM_PARTITIONS" =~ ^[1-9][0-9]*$ ]] || die "KAFKA_NUM_PARTITIONS must be >= 1"
  require_java
  cmd_fetch
  local p
  for p in "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT"; do
    if port_open "$p"; then
      die "127.0.0.1:$p is already in use by another process (set KAFKA_PORT / KAFKA_CONTROLLER_PORT)"
    fi
  done
  write_config
  ensure_formatted
}

# ---------------------------------------------------------------------------------- commands

# SIGTERM (Kafka shuts down cleanly: flushes logs, writes checkpoints), then SIGKILL after
# KAFKA_STOP_TIMEOUT seconds. Returns once the process is gone.
terminate() {  # pid
  local pid="$1" deadline=$((SECONDS + KAFKA_STOP_TIMEOUT))
  kill -TERM "$pid" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null && (( SECONDS < deadline )); do
    sleep 0.2
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "no clean shutdown of pid $pid within ${KAFKA_STOP_TIMEOUT}s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  fi
}

wait_ready() {  # pid
  local pid="$1" deadline=$((SECONDS + KAFKA_START_TIMEOUT))
  while (( SECONDS < deadline )); do
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$PID_FILE"
      log_tail 60
      die "broker exited during startup (log: $BROKER_LOG)"
    fi
    if grep -qF "$READY_LINE" "$BROKER_LOG" 2>/dev/null && port_open "$KAFKA_PORT"; then
      return 0
    fi
    sleep 0.25
  done
  log_tail 60
  log "broker (pid $pid) not ready on 127.0.0.1:$KAFKA_PORT within ${KAFKA_START_TIMEOUT}s; stopping it"
  terminate "$pid"
  rm -f "$PID_FILE"
  die "broker did not come up (log: $BROKER_LOG; raise KAFKA_START_TIMEOUT on a slow machine)"
}

cmd_start() {
  lock_data_dir
  local pid
  if pid="$(running_pid)"; then
    if port_open "$(configured_port)"; then
      log "already running (pid $pid) on 127.0.0.1:$(configured_port), data in $DATA_DIR"
      return 0
    fi
    die "broker process $pid of $DATA_DIR is alive but not answering on 127.0.0.1:$(configured_port);" \
      "run '$0 stop' first"
  fi
  rm -f "$PID_FILE"
  # Keep one previous log; readiness is judged from this run's log only.
  if [[ -f "$BROKER_LOG" ]]; then mv -f "$BROKER_LOG" "$BROKER_LOG.1"; fi
  prepare
  java_cmd kafka.Kafka "$SERVER_PROPS"
  local started=$SECONDS
  # setsid: own session, so a Ctrl-C in the starting shell does not reach the broker.
  # The fds 8/9 (locks) are closed for the child so it does not hold them forever.
  setsid nohup "${JAVA_CMD[@]}" >>"$BROKER_LOG" 2>&1 </dev/null 8>&- 9>&- &
  pid=$!
  printf '%s\n' "$pid" >"$PID_FILE"
  wait_ready "$pid"
  log "Kafka $KAFKA_VERSION ready on 127.0.0.1:$KAFKA_PORT (pid $pid, $((SECONDS - started)) s," \
    "data in $DATA_DIR)"
}

cmd_run() {
  lock_data_dir
  local pid
  if pid="$(running_pid)"; then
    die "a broker for $DATA_DIR is already running (pid $pid)"
  fi
  prepare
  java_cmd kafka.Kafka "$SERVER_PROPS"
  printf '%s\n' "$$" >"$PID_FILE"  # exec keeps this pid, so status/stop work on it too
  exec 9>&-
  exec "${JAVA_CMD[@]}"
}

cmd_stop() {
  lock_data_dir
  local pid
  if ! pid="$(running_pid)"; then
    rm -f "$PID_FILE"
    log "not running ($DATA_DIR)"
    return 0
  fi
  log "stopping broker (pid $pid)"
  local started=$SECONDS
  terminate "$pid"
  log "stopped in $((SECONDS - started)) s"
  rm -f "$PID_FILE"
}

cmd_status() {
  local pid port
  port="$(configured_port)"
  if pid="$(running_pid)"; then
    if port_open "$port"; then
      echo "running (pid $pid, 127.0.0.1:$port, data in $DATA_DIR)"
      return 0
    fi
    echo "starting (pid $pid, 127.0.0.1:$port not answering yet, data in $DATA_DIR)"
    return 1
  fi
  echo "stopped (data in $DATA_DIR)"
  return 1
}

main() {
  local cmd="${1:-help}"
  case "$cmd" in
    fetch) cmd_fetch; log "classpath ready in $LIBS_DIR" ;;
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    run) cmd_run ;;
    help | -h | --help) usage ;;
    *) usage >&2; exit 2 ;;
  esac
}

main "$@"
