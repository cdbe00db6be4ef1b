#!/usr/bin/env bash
# The whole test suite on any machine: finds or starts PostgreSQL and Redis, installs moto's
# RDS server (for the AWS tests, on loopback) and a headless Chromium (for the report's page),
# then runs the checks CI runs (format, clippy, docs) and every test against the real servers.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/services.sh
restage_services_up
restage_moto_up
restage_browser_up || echo "test.sh: no browser: the report's rendering test will say it skipped" >&2

echo "== cargo fmt --check" >&2
cargo fmt --all -- --check
echo "== cargo clippy --all-targets -- -D warnings" >&2
cargo clippy --all-targets -- -D warnings
echo "== cargo doc" >&2
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --quiet
echo "== cargo test" >&2
cargo test "$@"
