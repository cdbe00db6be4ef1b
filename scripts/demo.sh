#!/usr/bin/env bash
# The weekly job, locally: find or start PostgreSQL and Redis, generate a production-like
# database ("restage_demo_production", made once), then `restage refresh`: snapshot it, restore
# the snapshot into a temporary instance, copy it through the anonymizers into staging
# ("restage_demo", swapped in, the previous one kept), seed, flush staging Redis (database 15),
# delete the temporary instance; then verify. AWS RDS is played by moto's server on loopback
# (scripts/local-rds.sh); DEMO_RDS=0 skips it and refreshes straight from the database
# (`refresh --source-url`). DEMO_SCALE (default 1, about 60 MB) sets production's size.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/services.sh
source scripts/local-rds.sh
restage_services_up
trap 'restage_local_rds_down; restage_services_down' EXIT

if [ -x target/release/restage ]; then
  echo "demo: building restage (release; seconds when it is up to date)" >&2
else
  echo "demo: building restage (release; the first build takes about 4 minutes on 2 cores, less on more; cargo shows its progress)" >&2
fi
# Cargo's progress bar even when the output is a log, and a line every 10 s while one crate
# compiles for long (restage itself, at the end), so the demo never looks stuck.
export CARGO_TERM_PROGRESS_WHEN=always CARGO_TERM_PROGRESS_WIDTH=100
build_start=$SECONDS
( while sleep 10; do echo "demo: still building restage ($((SECONDS - build_start)) s)" >&2; done ) &
heartbeat=$!
built=0
cargo build --release || built=$?
kill "$heartbeat"
[ "$built" = 0 ] || exit "$built"
echo "demo: built in $((SECONDS - build_start)) s" >&2
restage=target/release/restage
server="${RESTAGE_PG_URL%/*}"
source_url="$server/restage_demo_production"
export STAGING_DATABASE_URL="$server/restage_demo"
export STAGING_REDIS_URL="$RESTAGE_REDIS_URL/15"
unset SOURCE_DATABASE_URL
if [ -z "${RESTAGE_ANONYMIZE_KEY:-}" ]; then
  echo "demo: RESTAGE_ANONYMIZE_KEY is not set; using a demo key (set your own secret for real use)" >&2
  export RESTAGE_ANONYMIZE_KEY="restage-demo-key"
fi

if ! psql "$source_url" -Atqc "SELECT 1 FROM users LIMIT 1" 2>/dev/null | grep -q 1; then
  "$restage" generate --target-url "$source_url" --scale "${DEMO_SCALE:-1}"
fi
if [ "${DEMO_RDS:-1}" = 0 ]; then
  "$restage" refresh --yes --source-url "$source_url" --anonymizers anonymizers/default.toml "$@"
else
  restage_moto_up
  config=$(mktemp /tmp/restage-demo.XXXXXX.toml)
  restage_local_rds_up restage_demo_production "$config"
  "$restage" --config "$config" refresh --yes --anonymizers anonymizers/default.toml "$@"
  rm -f "$config"
fi
"$restage" verify --source-url "$source_url" --anonymizers anonymizers/default.toml
psql "$STAGING_DATABASE_URL" -c "SELECT email, full_name, phone FROM customers ORDER BY id LIMIT 3"
