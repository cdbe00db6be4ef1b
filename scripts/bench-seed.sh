#!/usr/bin/env bash
# Benchmark of the seeders: a full seed and an idempotent re-run, each against the time of
# `restage migrate` on an empty database measured in the same run (the baseline).
# Goals: full seed under 2 s, re-run under 1 s on a local PostgreSQL.
# Usage: scripts/bench-seed.sh [ROUNDS]   (default 5; medians are reported)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/services.sh
restage_services_up

rounds="${1:-5}"
cargo build --release --quiet
restage=target/release/restage
db="restage_bench_seed_$$"
export STAGING_DATABASE_URL="${RESTAGE_PG_URL%/*}/$db"
admin() { PGOPTIONS='-c client_min_messages=warning' psql "$RESTAGE_PG_URL" -qAtc "$1" >/dev/null; }
cleanup() { admin "DROP DATABASE IF EXISTS $db WITH (FORCE)" || true; restage_services_down; }
trap cleanup EXIT

seconds() { # command... -> elapsed seconds of one run
  local start end
  start=$(date +%s%N)
  "$@" >/dev/null
  end=$(date +%s%N)
  awk -v ns=$((end - start)) 'BEGIN { printf "%.3f\n", ns / 1e9 }'
}
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

migrate_times=() seed_times=() reseed_times=()
for _ in $(seq "$rounds"); do
  admin "DROP DATABASE IF EXISTS $db WITH (FORCE)"
  admin "CREATE DATABASE $db"
  migrate_times+=("$(seconds "$restage" --quiet migrate)")
  seed_times+=("$(seconds "$restage" --quiet seed)")
  reseed_times+=("$(seconds "$restage" --quiet seed)")
done
migrate=$(printf '%s\n' "${migrate_times[@]}" | median)
seed=$(printf '%s\n' "${seed_times[@]}" | median)
reseed=$(printf '%s\n' "${reseed_times[@]}" | median)
rows=$(psql "$STAGING_DATABASE_URL" -Atc "SELECT (SELECT count(*) FROM items) || ' items, ' || (SELECT count(*) FROM movements) || ' movements'")

echo "seed benchmark: median of $rounds rounds, release build, $rows"
printf '%-28s %8s %10s %8s\n' "step" "seconds" "x migrate" "goal"
printf '%-28s %8.3f %10s %8s\n' "migrate (baseline)" "$migrate" "1.0" "-"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a / b }'; }
printf '%-28s %8.3f %10s %8s\n' "seed, empty database" "$seed" "$(ratio "$seed" "$migrate")" "< 2 s"
printf '%-28s %8.3f %10s %8s\n' "seed again (no changes)" "$reseed" "$(ratio "$reseed" "$migrate")" "< 1 s"
