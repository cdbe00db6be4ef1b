#!/bin/sh
# The shop's own migration tool (a stand-in for `npm run db:migrate`, `rails db:migrate`,
# `alembic upgrade head`…): applies db/migrations/*.sql in name order, each once, each in one
# transaction, and records it in public.shop_migrations. restage runs it with DATABASE_URL set.
set -eu
cd "$(dirname "$0")"
psql="psql -X -q -v ON_ERROR_STOP=1 -d $DATABASE_URL"
$psql -c 'CREATE TABLE IF NOT EXISTS public.shop_migrations (name text PRIMARY KEY)'
for file in migrations/*.sql; do
    name=$(basename "$file")
    applied=$($psql -tA -c "SELECT count(*) FROM public.shop_migrations WHERE name = '$name'")
    if [ "$applied" = "0" ]; then
        echo "applying $name"
        $psql -1 -f "$file" -c "INSERT INTO public.shop_migrations (name) VALUES ('$name')"
    fi
done
