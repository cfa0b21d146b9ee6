#!/usr/bin/env bash
# Single-node Apache Kafka (KRaft) broker for wirewatch development and tests.
# No Docker, no tarball: the broker jars come from Maven Central via mvn and are
# cached outside the repository.
#
# Usage: deploy/kafka/broker.sh {start|stop|restart|status|reset|fetch|logs}
#   start    fetch jars if needed, format storage if needed, start the broker in the
#            background and wait until it answers admin requests (idempotent)
#   stop     stop the broker (SIGTERM, then SIGKILL after the stop timeout); ok if stopped
#   restart  stop, then start
#   status   print running/stopped; exit 0 if running, 3 if not
#   reset    stop and delete the data directory
#   fetch    only download the jars into the cache
#   logs     print the tail of server.log
#
# Environment (defaults in brackets):
#   WIREWATCH_KAFKA_VERSION          Kafka version [4.0.1]
#   WIREWATCH_KAFKA_HOME             jar cache [$HOME/.cache/wirewatch/kafka-<version>]
#   WIREWATCH_KAFKA_DATA             data dir: logs, pid, server.properties [/tmp/wirewatch-kafka]
#   WIREWATCH_KAFKA_HOST             listen/advertised host [127.0.0.1]
#   WIREWATCH_KAFKA_PORT             client (PLAINTEXT) port [9092]
#   WIREWATCH_KAFKA_CONTROLLER_PORT  KRaft controller port [9093]
#   WIREWATCH_KAFKA_START_TIMEOUT    seconds to wait for readiness [90]
#   WIREWATCH_KAFKA_STOP_TIMEOUT     seconds to wait after SIGTERM [30]
#   WIREWATCH_KAFKA_HEAP_OPTS        JVM heap options [-Xmx512m -Xms512m]
#   WIREWATCH_KAFKA_JVM_OPTS         extra JVM options []
#   JAVA_HOME                        Java 17+ to use (else `java` on PATH)
set -euo pipefail

SCRIPT_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)"
readonly SCRIPT_DIR

readonly KAFKA_VERSION="${WIREWATCH_KAFKA_VERSION:-4.0.1}"
readonly SCALA_VERSION="2.13"
# log4j2 version Kafka 4.0 is built and shipped with; the kafka_2.13 POM declares only
# slf4j-api 1.7.36, so the SLF4J 1.x binding (log4j-slf4j-impl) and log4j-api/core are
# added here, all at this one version.
readonly LOG4J2_VERSION="2.24.3"
readonly DEPENDENCY_PLUGIN="org.apache.maven.plugins:maven-dependency-plugin:3.6.1"

readonly KAFKA_HOME_DIR="${WIREWATCH_KAFKA_HOME:-${HOME}/.cache/wirewatch/kafka-${KAFKA_VERSION}}"
readonly LIBS_DIR="${KAFKA_HOME_DIR}/libs"
readonly PROBE_DIR="${KAFKA_HOME_DIR}/probe"
readonly COMPLETE_MARKER="${KAFKA_HOME_DIR}/.complete"

DATA_DIR="${WIREWATCH_KAFKA_DATA:-/tmp/wirewatch-kafka}"
DATA_DIR="${DATA_DIR%/}"
readonly DATA_DIR
readonly LOG_DIRS="${DATA_DIR}/kraft-logs"
readonly PID_FILE="${DATA_DIR}/broker.pid"
readonly SERVER_PROPERTIES="${DATA_DIR}/server.properties"
readonly SERVER_LOG="${DATA_DIR}/server.log"
readonly STDOUT_LOG="${DATA_DIR}/broker.out"
readonly LOCK_FILE="${DATA_DIR}.lock"

readonly HOST="${WIREWATCH_KAFKA_HOST:-127.0.0.1}"
readonly PORT="${WIREWATCH_KAFKA_PORT:-9092}"
readonly CONTROLLER_PORT="${WIREWATCH_KAFKA_CONTROLLER_PORT:-9093}"
readonly START_TIMEOUT="${WIREWATCH_KAFKA_START_TIMEOUT:-90}"
readonly STOP_TIMEOUT="${WIREWATCH_KAFKA_STOP_TIMEOUT:-30}"
readonly HEAP_OPTS="${WIREWATCH_KAFKA_HEAP_OPTS:--Xmx512m -Xms512m}"
readonly EXTRA_JVM_OPTS="${WIREWATCH_KAFKA_JVM_OPTS:-}"

if [[ -n "${JAVA_HOME:-}" && -x "${JAVA_HOME}/bin/java" ]]; then
  JAVA="${JAVA_HOME}/bin/java"
  JAVAC="${JAVA_HOME}/bin/javac"
else
  JAVA="$(command -v java || true)"
  JAVAC="$(command -v javac || true)"
fi
readonly JAVA JAVAC

log() { printf 'broker.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

validate_config() {
  local name value
  for name in PORT CONTROLLER_PORT START_TIMEOUT STOP_TIMEOUT; do
    value="${!name}"
    [[ "${value}" =~ ^[0-9]+$ ]] || die "${name} must be a number, got '${value}'"
  done
  [[ "${PORT}" != "${CONTROLLER_PORT}" ]] || die "client port and controller port are both ${PORT}"
  [[ -n "${DATA_DIR}" && "${DATA_DIR}" == /* ]] || die "WIREWATCH_KAFKA_DATA must be an absolute path, got '${DATA_DIR}'"
  [[ "${DATA_DIR}" != "/" ]] || die "refusing to use / as the data directory"
}

require_java() {
  [[ -n "${JAVA}" && -x "${JAVA}" ]] || die "java not found (need Java 17+; set JAVA_HOME or PATH)"
}

# Run a command while holding an exclusive lock on a file (no-op lock without flock).
with_lock() {
  local lock_file="$1"; shift
  if command -v flock >/dev/null 2>&1; then
    mkdir -p -- "$(dirname -- "${lock_file}")"
    (
      flock -w 600 9 || die "could not lock ${lock_file}"
      "$@"
    ) 9>"${lock_file}"
  else
    "$@"
  fi
}

# ---------------------------------------------------------------------------
# fetch: Kafka + runtime dependencies + log4j2 binding from Maven Central
# ---------------------------------------------------------------------------

write_fetch_pom() {
  cat >"$1" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>wirewatch.local</groupId>
  <artifactId>kafka-broker-fetch</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_${SCALA_VERSION}</artifactId>
      <version>${KAFKA_VERSION}</version>
    </dependency>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-api</artifactId>
      <version>${LOG4J2_VERSION}</version>
    </dependency>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-core</artifactId>
      <version>${LOG4J2_VERSION}</version>
    </dependency>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-slf4j-impl</artifactId>
      <version>${LOG4J2_VERSION}</version>
    </dependency>
  </dependencies>
</project>
EOF
}

# Compile the readiness probe against the cached kafka-clients (needs a JDK).
build_probe() {
  local src="${SCRIPT_DIR}/ReadyCheck.java"
  if [[ -f "${PROBE_DIR}/ReadyCheck.class" && ! "${src}" -nt "${PROBE_DIR}/ReadyCheck.class" ]]; then
    return 0
  fi
  [[ -n "${JAVAC}" && -x "${JAVAC}" ]] || return 1
  local tmp="${PROBE_DIR}.tmp.$$"
  rm -rf -- "${tmp}"
  mkdir -p -- "${tmp}"
  if ! "${JAVAC}" -nowarn -cp "${LIBS_DIR}/*" -d "${tmp}" "${src}" >"${tmp}.log" 2>&1; then
    log "warning: could not compile ReadyCheck.java (falling back to a log-based readiness check):"
    sed 's/^/  /' "${tmp}.log" >&2 || true
    rm -rf -- "${tmp}" "${tmp}.log"
    return 1
  fi
  rm -rf -- "${PROBE_DIR}" "${tmp}.log"
  mv -- "${tmp}" "${PROBE_DIR}"
}

do_fetch_locked() {
  if [[ -f "${COMPLETE_MARKER}" ]]; then
    return 0
  fi
  command -v mvn >/dev/null 2>&1 || die "mvn not found (needed once to download Kafka ${KAFKA_VERSION} from Maven Central)"
  require_java

  log "fetching Kafka ${KAFKA_VERSION} (Scala ${SCALA_VERSION}) from Maven Central into ${KAFKA_HOME_DIR} ..."
  mkdir -p -- "${KAFKA_HOME_DIR}"
  local work staging
  work="$(mktemp -d "${TMPDIR:-/tmp}/wirewatch-kafka-fetch.XXXXXX")"
  staging="${KAFKA_HOME_DIR}/libs.partial"
  rm -rf -- "${staging}"
  write_fetch_pom "${work}/pom.xml"
  if ! mvn -B -q -Dstyle.color=never -f "${work}/pom.xml" \
      "${DEPENDENCY_PLUGIN}:copy-dependencies" \
      -DincludeScope=runtime \
      -DoutputDirectory="${staging}" >"${work}/mvn.log" 2>&1; then
    log "maven download failed; last lines of its output:"
    tail -n 30 "${work}/mvn.log" | sed 's/^/  /' >&2 || true
    rm -rf -- "${work}" "${staging}"
    rmdir -- "${KAFKA_HOME_DIR}" 2>/dev/null || true
    die "could not fetch Kafka ${KAFKA_VERSION}"
  fi
  rm -rf -- "${work}"

  local jar
  for jar in "kafka_${SCALA_VERSION}-${KAFKA_VERSION}.jar" "kafka-clients-${KAFKA_VERSION}.jar" \
             "log4j-core-${LOG4J2_VERSION}.jar" "log4j-slf4j-impl-${LOG4J2_VERSION}.jar"; do
    [[ -f "${staging}/${jar}" ]] || { rm -rf -- "${staging}"; die "download incomplete: ${jar} missing"; }
  done
  # log4j-api/core must come in exactly one version (the binding's).
  if compgen -G "${staging}/log4j-*.jar" | grep -v -- "-${LOG4J2_VERSION}\.jar$" >&2; then
    rm -rf -- "${staging}"
    die "mixed log4j2 versions in the download (listed above)"
  fi

  rm -rf -- "${LIBS_DIR}"
  mv -- "${staging}" "${LIBS_DIR}"
  build_probe || true
  printf 'kafka %s scala %s log4j2 %s\n' "${KAFKA_VERSION}" "${SCALA_VERSION}" "${LOG4J2_VERSION}" >"${COMPLETE_MARKER}"
  log "fetched $(find "${LIBS_DIR}" -name '*.jar' | wc -l | tr -d ' ') jars"
}

do_fetch() {
  [[ -f "${COMPLETE_MARKER}" ]] && return 0
  with_lock "${KAFKA_HOME_DIR}.lock" do_fetch_locked
}

# ---------------------------------------------------------------------------
# process helpers
# ---------------------------------------------------------------------------

# True if the process runs kafka.Kafka (guards against a recycled pid).
is_broker_process() {
  local cmdline
  if [[ -r "/proc/$1/cmdline" ]]; then
    cmdline="$(tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null || true)"
  else
    cmdline="$(ps -p "$1" -o args= 2>/dev/null || true)"
  fi
  [[ "${cmdline}" == *kafka.Kafka* ]]
}

# Prints the broker pid if our broker is running; cleans up a stale pid file.
running_pid() {
  local pid
  [[ -f "${PID_FILE}" ]] || return 1
  pid="$(tr -dc '0-9' <"${PID_FILE}" || true)"
  if [[ -n "${pid}" ]] && kill -0 "${pid}" 2>/dev/null && is_broker_process "${pid}"; then
    printf '%s\n' "${pid}"
    return 0
  fi
  rm -f -- "${PID_FILE}"
  return 1
}

port_in_use() {
  # A successful connect means something is already listening.
  (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
}

show_log_tail() {
  local file
  for file in "${SERVER_LOG}" "${STDOUT_LOG}"; do
    if [[ -s "${file}" ]]; then
      log "--- last lines of ${file} ---"
      tail -n 40 "${file}" >&2 || true
    fi
  done
}

jvm_opts() {
  local -a opts
  # shellcheck disable=SC2206  # word splitting of the option strings is intended
  opts=(${HEAP_OPTS} -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35
        -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true
        "-Dlog4j2.configurationFile=${SCRIPT_DIR}/log4j2.properties"
        "-Dwirewatch.kafka.log.file=${SERVER_LOG}"
        "-Dkafka.logs.dir=${DATA_DIR}"
        ${EXTRA_JVM_OPTS})
  printf '%s\n' "${opts[@]}"
}

render_server_properties() {
  local template="${SCRIPT_DIR}/server.properties.template" content
  [[ -f "${template}" ]] || die "missing ${template}"
  content="$(<"${template}")"
  # Quoted replacements: no pattern/& interpretation of the values.
  content="${content//@HOST@/"${HOST}"}"
  content="${content//@PORT@/"${PORT}"}"
  content="${content//@CONTROLLER_PORT@/"${CONTROLLER_PORT}"}"
  content="${content//@LOG_DIRS@/"${LOG_DIRS}"}"
  printf '%s\n' "${content}" >"${SERVER_PROPERTIES}.tmp"
  mv -- "${SERVER_PROPERTIES}.tmp" "${SERVER_PROPERTIES}"
}

format_storage_if_needed() {
  [[ -f "${LOG_DIRS}/meta.properties" ]] && return 0
  local cluster_id out
  cluster_id="$("${JAVA}" -cp "${LIBS_DIR}/*" \
      "-Dlog4j2.configurationFile=${SCRIPT_DIR}/log4j2.properties" \
      "-Dwirewatch.kafka.log.file=${SERVER_LOG}" \
      kafka.tools.StorageTool random-uuid 2>>"${STDOUT_LOG}" | tail -n 1)" \
    || die "StorageTool random-uuid failed (see ${STDOUT_LOG})"
  [[ -n "${cluster_id}" ]] || die "StorageTool random-uuid printed nothing"
  if ! out="$("${JAVA}" -cp "${LIBS_DIR}/*" \
      "-Dlog4j2.configurationFile=${SCRIPT_DIR}/log4j2.properties" \
      "-Dwirewatch.kafka.log.file=${SERVER_LOG}" \
      kafka.tools.StorageTool format -t "${cluster_id}" -c "${SERVER_PROPERTIES}" 2>&1)"; then
    printf '%s\n' "${out}" >&2
    die "formatting ${LOG_DIRS} failed"
  fi
  log "formatted ${LOG_DIRS} (cluster id ${cluster_id})"
}

# Wait until the broker answers; returns 0 ready, 1 timeout, 2 process died.
wait_ready() {
  local pid="$1" log_offset="$2"
  if build_probe; then
    local rc=0
    "${JAVA}" -Xmx128m -cp "${PROBE_DIR}:${LIBS_DIR}/*" \
        "-Dlog4j2.configurationFile=${SCRIPT_DIR}/log4j2.properties" \
        "-Dwirewatch.kafka.log.file=${DATA_DIR}/ready-check.log" \
        "-Dwirewatch.kafka.log.level=WARN" \
        ReadyCheck "${HOST}:${PORT}" "${START_TIMEOUT}" "${pid}" >/dev/null || rc=$?
    return "${rc}"
  fi
  # Fallback without a JDK: port accepts connections and the broker logged it started
  # (only log lines written after this start count).
  local deadline=$((SECONDS + START_TIMEOUT))
  while ((SECONDS < deadline)); do
    kill -0 "${pid}" 2>/dev/null || return 2
    if port_in_use "${HOST}" "${PORT}" \
        && tail -c "+$((log_offset + 1))" "${SERVER_LOG}" 2>/dev/null \
           | grep -q -e 'Kafka Server started' -e 'Transition from STARTING to STARTED'; then
      return 0
    fi
    sleep 0.5
  done
  return 1
}

# ---------------------------------------------------------------------------
# commands
# ---------------------------------------------------------------------------

do_start_locked() {
  local pid
  if pid="$(running_pid)"; then
    log "already running (pid ${pid}) on ${HOST}:${PORT}, data in ${DATA_DIR}"
    return 0
  fi
  local p
  for p in "${PORT}" "${CONTROLLER_PORT}"; do
    if port_in_use "${HOST}" "${p}"; then
      die "${HOST}:${p} is already in use by another process (not the broker of ${DATA_DIR}); stop it or set WIREWATCH_KAFKA_PORT / WIREWATCH_KAFKA_CONTROLLER_PORT"
    fi
  done

  mkdir -p -- "${DATA_DIR}" "${LOG_DIRS}"
  render_server_properties
  format_storage_if_needed

  : >"${DATA_DIR}/ready-check.log"
  local log_offset=0 started=${SECONDS}
  [[ -f "${SERVER_LOG}" ]] && log_offset="$(wc -c <"${SERVER_LOG}" | tr -d ' ')"
  local -a opts
  mapfile -t opts < <(jvm_opts)
  printf '\n==== %s starting broker ====\n' "$(date '+%Y-%m-%d %H:%M:%S')" >>"${STDOUT_LOG}"
  nohup "${JAVA}" "${opts[@]}" -cp "${LIBS_DIR}/*" kafka.Kafka "${SERVER_PROPERTIES}" \
    >>"${STDOUT_LOG}" 2>&1 </dev/null 9>&- &
  pid=$!
  printf '%s\n' "${pid}" >"${PID_FILE}"

  local rc=0
  wait_ready "${pid}" "${log_offset}" || rc=$?
  case "${rc}" in
    0)
      log "Kafka ${KAFKA_VERSION} ready on ${HOST}:${PORT} (pid ${pid}, data ${DATA_DIR}, log ${SERVER_LOG}) after $((SECONDS - started))s"
      ;;
    2)
      rm -f -- "${PID_FILE}"
      show_log_tail
      die "broker process ${pid} exited during startup"
      ;;
    *)
      show_log_tail
      stop_pid "${pid}" || true
      rm -f -- "${PID_FILE}"
      die "broker not ready after ${START_TIMEOUT}s (stopped it again)"
      ;;
  esac
}

stop_pid() {
  local pid="$1" deadline
  kill -TERM "${pid}" 2>/dev/null || return 0
  deadline=$((SECONDS + STOP_TIMEOUT))
  while kill -0 "${pid}" 2>/dev/null; do
    if ((SECONDS >= deadline)); then
      log "broker pid ${pid} still running after ${STOP_TIMEOUT}s; sending SIGKILL"
      kill -KILL "${pid}" 2>/dev/null || true
      sleep 0.5
      break
    fi
    sleep 0.2
  done
}

do_stop_locked() {
  local pid
  if ! pid="$(running_pid)"; then
    log "not running (data ${DATA_DIR})"
    return 0
  fi
  stop_pid "${pid}"
  if kill -0 "${pid}" 2>/dev/null; then
    die "could not stop broker pid ${pid}"
  fi
  rm -f -- "${PID_FILE}"
  log "stopped (pid ${pid})"
}

do_status() {
  local pid
  if pid="$(running_pid)"; then
    printf 'running (pid %s) on %s:%s, data %s\n' "${pid}" "${HOST}" "${PORT}" "${DATA_DIR}"
    return 0
  fi
  printf 'stopped (data %s)\n' "${DATA_DIR}"
  return 3
}

do_reset_locked() {
  do_stop_locked
  if [[ -d "${DATA_DIR}" ]]; then
    rm -rf -- "${DATA_DIR}"
    log "deleted ${DATA_DIR}"
  fi
}

usage() {
  sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}" >&2
}

main() {
  local cmd="${1:-}"
  case "${cmd}" in
    start)
      validate_config
      require_java
      do_fetch
      with_lock "${LOCK_FILE}" do_start_locked
      ;;
    stop)
      validate_config
      with_lock "${LOCK_FILE}" do_stop_locked
      ;;
    restart)
      validate_config
      require_java
      do_fetch
      with_lock "${LOCK_FILE}" do_stop_locked
      with_lock "${LOCK_FILE}" do_start_locked
      ;;
    status)
      do_status
      ;;
    reset)
      validate_config
      with_lock "${LOCK_FILE}" do_reset_locked
      ;;
    fetch)
      require_java
      do_fetch
      log "jars in ${LIBS_DIR}"
      ;;
    logs)
      [[ -f "${SERVER_LOG}" ]] || die "no log yet at ${SERVER_LOG}"
      tail -n "${2:-100}" "${SERVER_LOG}"
      ;;
    -h|--help|help)
      usage
      ;;
    *)
      usage
      exit 2
      ;;
  esac
}

main "$@"
