# shellcheck shell=bash
# A local stand-in for AWS RDS, for the demo and the benchmark: moto's RDS API on a free
# loopback port holding a production instance "local-production", whose restored copies are
# served by a database of the local PostgreSQL (restage's `[rds] connect_to`, "for testing and
# tunnels"). Nothing leaves the machine: the AWS credentials are dummies.
#
# Usage (after restage_services_up and restage_moto_up from scripts/services.sh):
#   restage_local_rds_up DBNAME CONFIG   # DBNAME on $RESTAGE_PG_URL's server plays production;
#                                        # CONFIG is written: [production] and [rds] for restage
#   restage_local_rds_down               # stops the server (also on EXIT of the caller)

_restage_local_rds_dir=""
_restage_local_rds_pid=""

restage_local_rds_up() { # dbname config_file
  local db="$1" config="$2" port="" tries=0
  _restage_local_rds_dir=$(mktemp -d /tmp/restage-moto.XXXXXX)
  "$RESTAGE_MOTO_PYTHON" tests/support/moto_server.py >"$_restage_local_rds_dir/port" 2>"$_restage_local_rds_dir/moto.log" &
  _restage_local_rds_pid=$!
  until [ -s "$_restage_local_rds_dir/port" ]; do
    tries=$((tries + 1)); [ $tries -gt 300 ] && { cat "$_restage_local_rds_dir/moto.log" >&2; return 1; }; sleep 0.1
  done
  port=$(head -n 1 "$_restage_local_rds_dir/port")
  export AWS_ACCESS_KEY_ID=local-only AWS_SECRET_ACCESS_KEY=local-only AWS_EC2_METADATA_DISABLED=true
  export AWS_ENDPOINT_URL_RDS="http://127.0.0.1:$port" AWS_REGION=eu-west-1
  local hostport="${RESTAGE_PG_URL#*://}"; hostport="${hostport#*@}"; hostport="${hostport%%/*}"
  local user="${RESTAGE_PG_URL#*://}"; user="${user%%@*}"; user="${user%%:*}"
  "$RESTAGE_MOTO_PYTHON" - "$db" "$user" "$AWS_ENDPOINT_URL_RDS" <<'PY' || return 1
import sys, boto3
db, user, endpoint = sys.argv[1:4]
boto3.client("rds", region_name="eu-west-1", endpoint_url=endpoint).create_db_instance(
    DBInstanceIdentifier="local-production", Engine="postgres", EngineVersion="15.8",
    DBInstanceClass="db.t4g.micro", AllocatedStorage=20, DBName=db,
    MasterUsername=user, MasterUserPassword="local-only-password")
PY
  cat >"$config" <<TOML
# Written by scripts/local-rds.sh: moto on 127.0.0.1:$port stands in for AWS RDS.
[production]
rds_instance_id = "local-production"
region = "eu-west-1"

[rds]
connect_to = "$hostport"
sslmode = "disable"
poll_interval = "500ms"
keep_snapshots = 2
TOML
  echo "local-rds: moto's RDS API on 127.0.0.1:$port, instance local-production = $db" >&2
}

restage_local_rds_down() {
  if [ -n "$_restage_local_rds_pid" ]; then
    kill "$_restage_local_rds_pid" 2>/dev/null || true
    wait "$_restage_local_rds_pid" 2>/dev/null || true
  fi
  if [ -n "$_restage_local_rds_dir" ]; then rm -rf "$_restage_local_rds_dir"; fi
  _restage_local_rds_pid="" _restage_local_rds_dir=""
}
