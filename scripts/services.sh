# shellcheck shell=bash
# Makes a PostgreSQL (14+) and a Redis reachable for restage's demo and tests, and exports
#   RESTAGE_PG_URL     an admin URL of the PostgreSQL server (database "postgres")
#   RESTAGE_REDIS_URL  the URL of the Redis server (no database number)
#
# Usage (from another script): source scripts/services.sh && restage_services_up
#
# Order: the URLs already in the environment when they answer; else 127.0.0.1:5432 / 6379
# when they answer; else throwaway servers from the installed binaries (initdb + pg_ctl in a
# temporary directory, redis-server without persistence) on free loopback ports, installing
# Debian's postgresql / redis-server packages first when missing and running as root.
# Only what this script started is stopped again (restage_services_down, run on EXIT).
# RESTAGE_SERVICES=throwaway skips the first two steps (to test the last one);
# RESTAGE_KEEP_SERVICES=1 leaves started servers running.

_restage_started_pg=""
_restage_started_redis=""

_restage_log() { echo "services: $*" >&2; }

_restage_tcp_open() { # host port
  timeout 2 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null
}

_restage_pg_answers() { # url
  if command -v psql >/dev/null 2>&1; then
    PGCONNECT_TIMEOUT=3 psql "$1" -Atqc 'SELECT 1' >/dev/null 2>&1
  else
    local hostport="${1#*://}"; hostport="${hostport#*@}"; hostport="${hostport%%/*}"
    _restage_tcp_open "${hostport%%:*}" "${hostport##*:}"
  fi
}

_restage_redis_answers() { # url
  local hostport="${1#*://}"; hostport="${hostport#*@}"; hostport="${hostport%%/*}"
  local host="${hostport%%:*}" port="${hostport##*:}"
  [ "$host" = "$port" ] && port=6379
  timeout 3 bash -c "exec 3<>/dev/tcp/$host/$port && printf 'PING\r\n' >&3 && head -c 5 <&3" 2>/dev/null \
    | grep -q '+PONG'
}

_restage_free_port() { # first port >= $1 that nothing listens on
  local port="$1"
  while _restage_tcp_open 127.0.0.1 "$port"; do port=$((port + 1)); done
  echo "$port"
}

_restage_apt_install() { # package...
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    _restage_log "cannot install $* (need root and apt-get); install it and try again"
    return 1
  fi
  _restage_log "installing $* from Debian's packages"
  # Keep the package from starting its own service: we start throwaway servers ourselves.
  printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >&2
  local status=$?
  rm -f /usr/sbin/policy-rc.d
  return $status
}

_restage_pg_bindir() {
  local initdb
  initdb=$(command -v initdb 2>/dev/null || ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1)
  [ -n "$initdb" ] && dirname "$(readlink -f "$initdb")"
}

_restage_as_postgres() { # command... (initdb refuses to run as root)
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql postgres
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

_restage_start_pg() {
  local bindir dir port
  bindir=$(_restage_pg_bindir) || true
  if [ -z "$bindir" ]; then
    _restage_apt_install postgresql postgresql-contrib || return 1
    bindir=$(_restage_pg_bindir) || return 1
  fi
  dir=$(mktemp -d /tmp/restage-pg.XXXXXX)
  port=$(_restage_free_port 15432)
  [ "$(id -u)" = 0 ] && { id postgres >/dev/null 2>&1 || useradd --system postgres; chown postgres "$dir"; }
  _restage_log "starting a throwaway PostgreSQL ($bindir) on 127.0.0.1:$port in $dir"
  _restage_as_postgres "$bindir/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; return 1; }
  _restage_as_postgres "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
    >/dev/null || { cat "$dir/server.log" >&2; return 1; }
  _restage_started_pg="$bindir|$dir"
  export RESTAGE_PG_URL="postgres://postgres@127.0.0.1:$port/postgres"
}

_restage_start_redis() {
  local dir port
  if ! command -v redis-server >/dev/null 2>&1; then
    _restage_apt_install redis-server || return 1
  fi
  dir=$(mktemp -d /tmp/restage-redis.XXXXXX)
  port=$(_restage_free_port 16379)
  _restage_log "starting a throwaway Redis on 127.0.0.1:$port"
  redis-server --bind 127.0.0.1 --port "$port" --save '' --appendonly no --daemonize yes \
    --dir "$dir" --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" >/dev/null || return 1
  local tries=0
  until _restage_redis_answers "redis://127.0.0.1:$port"; do
    tries=$((tries + 1)); [ $tries -gt 50 ] && { cat "$dir/redis.log" >&2; return 1; }; sleep 0.1
  done
  _restage_started_redis="$dir"
  export RESTAGE_REDIS_URL="redis://127.0.0.1:$port"
}

# Uses the server named by $var when it answers, else the one at $default, else starts one.
_restage_use() { # kind var default_url answers_fn start_fn
  local kind="$1" var="$2" default="$3" answers="$4" start="$5"
  if [ "${RESTAGE_SERVICES:-}" != throwaway ] && [ -n "${!var:-}" ] && "$answers" "${!var}"; then
    _restage_log "$kind from $var"
  elif [ "${RESTAGE_SERVICES:-}" != throwaway ] && "$answers" "$default"; then
    _restage_log "$kind at $default"
    export "$var=$default"
  else
    "$start" || { _restage_log "no $kind available"; return 1; }
  fi
}

# restage copy runs pg_dump and pg_restore; the tests and the demo use psql.
_restage_client_tools() {
  if ! command -v pg_dump >/dev/null 2>&1 || ! command -v pg_restore >/dev/null 2>&1 || ! command -v psql >/dev/null 2>&1; then
    _restage_apt_install postgresql-client || { _restage_log "install the PostgreSQL client programs (psql, pg_dump, pg_restore)"; return 1; }
  fi
}

# moto's AWS API server for the RDS tests, in a virtualenv under target/ (made once, reused):
# exports RESTAGE_MOTO_PYTHON, the interpreter the tests start tests/support/moto_server.py with.
# The tests start one server per test on a free loopback port and stop it afterwards.
RESTAGE_MOTO_VERSION="5.2.5"
restage_moto_up() {
  local venv="${RESTAGE_MOTO_VENV:-target/moto-venv}"
  if ! "$venv/bin/python" -c "import moto, sys; sys.exit(moto.__version__ != '$RESTAGE_MOTO_VERSION')" 2>/dev/null; then
    command -v python3 >/dev/null 2>&1 || _restage_apt_install python3 || return 1
    if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c "import ensurepip" 2>/dev/null; then
      _restage_apt_install python3-venv || return 1
    fi
    _restage_log "installing moto[server]==$RESTAGE_MOTO_VERSION into $venv (once)"
    rm -rf "$venv" && python3 -m venv "$venv" &&
      "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "moto[server]==$RESTAGE_MOTO_VERSION" >&2 ||
      { _restage_log "cannot install moto (needs PyPI)"; return 1; }
  fi
  RESTAGE_MOTO_PYTHON="$(cd "$venv" && pwd)/bin/python"
  export RESTAGE_MOTO_PYTHON
  _restage_log "moto $RESTAGE_MOTO_VERSION from $venv"
}

# A headless browser for the test that renders `restage report`'s HTML page: Chromium or
# Chrome from the PATH, else Debian's chromium; exports RESTAGE_CHROMIUM. Without one (no root,
# no apt-get) that test says it skipped, except under CI, where it fails.
restage_browser_up() {
  local name
  for name in chromium chromium-browser google-chrome; do
    if command -v "$name" >/dev/null 2>&1; then
      RESTAGE_CHROMIUM="$(command -v "$name")"
      export RESTAGE_CHROMIUM
      return 0
    fi
  done
  _restage_apt_install chromium || return 1
  RESTAGE_CHROMIUM="$(command -v chromium)" && export RESTAGE_CHROMIUM
}

# Finds or starts both servers and exports their URLs; stops what it started on EXIT.
restage_services_up() {
  trap restage_services_down EXIT
  _restage_client_tools || return 1
  _restage_use PostgreSQL RESTAGE_PG_URL "postgres://postgres@127.0.0.1:5432/postgres" _restage_pg_answers _restage_start_pg &&
    _restage_use Redis RESTAGE_REDIS_URL "redis://127.0.0.1:6379" _restage_redis_answers _restage_start_redis
}

# Stops the throwaway servers this script started (and nothing else).
restage_services_down() {
  if [ "${RESTAGE_KEEP_SERVICES:-}" = 1 ]; then
    [ -n "$_restage_started_pg$_restage_started_redis" ] &&
      _restage_log "left running: $RESTAGE_PG_URL $RESTAGE_REDIS_URL"
    return 0
  fi
  if [ -n "$_restage_started_pg" ]; then
    local bindir="${_restage_started_pg%%|*}" dir="${_restage_started_pg#*|}"
    _restage_as_postgres "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1
    rm -rf "$dir"
    _restage_started_pg=""
  fi
  if [ -n "$_restage_started_redis" ]; then
    kill "$(cat "$_restage_started_redis/redis.pid")" 2>/dev/null
    rm -rf "$_restage_started_redis"
    _restage_started_redis=""
  fi
}
