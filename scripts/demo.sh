#!/usr/bin/env bash
# The whole weekly job, locally: find or start PostgreSQL and Redis, generate a production-like
# database ("restage_demo_production", made once), copy it through the anonymizers into staging
# ("restage_demo", swapped in, the previous one kept), seed, flush staging Redis (database 15)
# and verify. Set DEMO_SCALE (default 1, about 60 MB) for a bigger production.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/services.sh
restage_services_up

cargo build --release --quiet
restage=target/release/restage
server="${RESTAGE_PG_URL%/*}"
export SOURCE_DATABASE_URL="$server/restage_demo_production"
export STAGING_DATABASE_URL="$server/restage_demo"
export STAGING_REDIS_URL="$RESTAGE_REDIS_URL/15"
if [ -z "${RESTAGE_ANONYMIZE_KEY:-}" ]; then
  echo "demo: RESTAGE_ANONYMIZE_KEY is not set; using a demo key (set your own secret for real use)" >&2
  export RESTAGE_ANONYMIZE_KEY="restage-demo-key"
fi

if ! psql "$SOURCE_DATABASE_URL" -Atqc "SELECT 1 FROM users LIMIT 1" 2>/dev/null | grep -q 1; then
  "$restage" generate --target-url "$SOURCE_DATABASE_URL" --scale "${DEMO_SCALE:-1}"
fi
"$restage" copy --yes --anonymizers anonymizers/default.toml "$@"
"$restage" seed
"$restage" redis flush --yes
"$restage" verify --anonymizers anonymizers/default.toml
psql "$STAGING_DATABASE_URL" -c "SELECT email, full_name, phone FROM customers ORDER BY id LIMIT 3"
