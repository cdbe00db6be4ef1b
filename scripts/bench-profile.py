"""Helpers of scripts/bench for a profile's ruled columns.

  bench-profile.py share PROFILE   SQL: the percentage of the tables' bytes in ruled columns
  bench-profile.py public PROFILE  the same tables with no rules: every ruled column public
"""
import sys
import tomllib

command, path = sys.argv[1], sys.argv[2]
with open(path, "rb") as file:
    tables = {
        name: [column for column, rule in entry.get("columns", {}).items() if rule != "keep"]
        for name, entry in tomllib.load(file).get("tables", {}).items()
    }

if command == "share":
    ruled = " + ".join(
        f"(SELECT coalesce(sum({' + '.join(f'coalesce(pg_column_size({c}), 0)' for c in columns)}), 0) FROM {table})"
        for table, columns in tables.items()
    )
    everything = " + ".join(f"(SELECT coalesce(sum(pg_column_size(t.*)), 0) FROM {table} t)" for table in tables)
    print(f"SELECT round(100.0 * ({ruled}) / ({everything}))")
elif command == "public":
    print("version = 1")
    for table, columns in tables.items():
        print(f"\n[tables.{table}]\npublic = {columns!r}".replace("'", '"'))
else:
    sys.exit(f"unknown command {command}")
