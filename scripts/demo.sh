#!/usr/bin/env bash
# The main job on a local default: a staging reset (schema, migrations, seeds, Redis flush) of
# database "restage_demo" and Redis database 15 on a local PostgreSQL and Redis (found or
# started by scripts/services.sh). Extra arguments go to `restage reset`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/services.sh
restage_services_up

if ! command -v psql >/dev/null 2>&1; then
  _restage_apt_install postgresql-client
fi
demo_db=restage_demo
if [ -z "$(psql "$RESTAGE_PG_URL" -Atqc "SELECT 1 FROM pg_database WHERE datname = '$demo_db'")" ]; then
  psql "$RESTAGE_PG_URL" -qc "CREATE DATABASE $demo_db" >/dev/null
fi
export STAGING_DATABASE_URL="${RESTAGE_PG_URL%/*}/$demo_db"
export STAGING_REDIS_URL="$RESTAGE_REDIS_URL/15"

cargo build --release --quiet
target/release/restage reset --yes "$@"
psql "$STAGING_DATABASE_URL" -c '\dt'
psql "$STAGING_DATABASE_URL" -c "SELECT (SELECT count(*) FROM roles) AS roles, (SELECT count(*) FROM users) AS accounts,
  (SELECT count(*) FROM products) AS products, (SELECT count(*) FROM items) AS items,
  (SELECT count(*) FROM movements) AS movements"
