//! The copy plan: for every source table, what is copied (columns, rules, row filter) and in
//! which pieces, largest first. `restage copy --dry-run` prints exactly this.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use serde::Serialize;

use crate::anonymize::CompiledRule;
use crate::anonymize::profile::{CompiledProfile, TableRules};
use crate::catalog::{BinaryWriter, Catalog, Column, ForeignKey, Table, quote};

/// Tables larger than this are split into ctid ranges copied in parallel.
pub const SPLIT_BYTES: i64 = 64 * 1024 * 1024;

/// One table's copy.
#[derive(Debug, Serialize)]
pub struct TablePlan {
    pub table: String,
    pub estimated_rows: i64,
    pub size_bytes: i64,
    /// Column → transformer, for the columns that are rewritten.
    pub rules: BTreeMap<String, String>,
    /// Columns the profile keeps on purpose.
    pub kept: Vec<String>,
    /// Kept columns whose values are public: not searched for source tokens.
    pub public: Vec<String>,
    /// The rows copied: the profile's `where`, subset limits and the filters inherited
    /// through foreign keys from filtered tables; `None` = every row.
    pub filter: Option<String>,
    /// `data = false`: the table is created, no row is copied.
    pub schema_only: bool,
    /// How many pieces the rows are copied in.
    pub pieces: usize,
    #[serde(skip)]
    pub copy: Option<Arc<TableCopy>>,
}

/// What a worker needs to copy a table.
#[derive(Debug)]
pub struct TableCopy {
    pub name: String,
    pub quoted: String,
    /// Catalog positions of the copied columns (generated columns are left out).
    pub columns: Vec<usize>,
    /// `"a", "b", …`
    pub column_list: String,
    /// The column list the source is read with: `column_list`, but a ruled column whose
    /// binary form restage writes (see `writers`) is read as `"born"::text`, then the
    /// results of the rules' conditions (read, never written).
    pub select_list: String,
    /// By copied field: the type whose binary form restage writes from the rule's text, in a
    /// binary copy.
    pub writers: Vec<Option<BinaryWriter>>,
    pub rules: TableRules,
    pub filter: Option<String>,
    /// ctid page ranges: `[start, end)`, the last one open.
    pub ranges: Vec<(i64, Option<i64>)>,
    pub column_count: usize,
    /// Names of all catalog columns, by position (for messages).
    pub column_names: Vec<String>,
    /// Copied in the binary format, which the server writes and reads faster than text: every
    /// column is binary-safe and every ruled column text-like or of a type restage writes
    /// (see `binary_ok`).
    pub binary: bool,
}

impl TableCopy {
    /// The compiled rule of column `name`, if it has one.
    pub fn rule_of(&self, name: &str) -> Option<&CompiledRule> {
        self.rules
            .rules
            .iter()
            .find(|(position, _)| self.column_names[*position] == name)
            .map(|(_, rule)| rule)
    }

    /// The `COPY … TO STDOUT` of one piece.
    pub fn select_sql(&self, piece: usize) -> String {
        let mut conditions: Vec<String> = self
            .filter
            .iter()
            .map(|filter| format!("(\n{filter}\n)"))
            .collect();
        if self.ranges.len() > 1 {
            let (start, end) = self.ranges[piece];
            conditions.push(format!("ctid >= '({start},0)'::tid"));
            if let Some(end) = end {
                conditions.push(format!("ctid < '({end},0)'::tid"));
            }
        }
        let format = self.format_option();
        if conditions.is_empty() && self.select_list == self.column_list {
            return format!(
                "COPY {}{} TO STDOUT{format}",
                self.quoted,
                self.columns_clause()
            );
        }
        let filter = if conditions.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", conditions.join(" AND "))
        };
        format!(
            "COPY (SELECT {} FROM ONLY {}{filter}) TO STDOUT{format}",
            self.select_list, self.quoted,
        )
    }

    /// Tables without rules are never parsed.
    pub fn is_pass_through(&self) -> bool {
        self.rules.rules.is_empty()
    }

    fn format_option(&self) -> &'static str {
        if self.binary { " (FORMAT binary)" } else { "" }
    }

    /// The `COPY … FROM STDIN` into the target.
    pub fn insert_sql(&self) -> String {
        format!(
            "COPY {}{} FROM STDIN{}",
            self.quoted,
            self.columns_clause(),
            self.format_option()
        )
    }

    /// ` (a, b)` after the table's name in a COPY; nothing for a table without columns
    /// (`CREATE TABLE t ()` is legal, `COPY t ()` is not), whose rows COPY carries as
    /// empty lines.
    fn columns_clause(&self) -> String {
        if self.column_list.is_empty() {
            String::new()
        } else {
            format!(" ({})", self.column_list)
        }
    }
}

/// Plans every table of the catalog; largest first.
pub fn plan(
    catalog: &Catalog,
    mut profile: CompiledProfile,
    limits: &BTreeMap<String, u64>,
    jobs: usize,
) -> Vec<TablePlan> {
    let filters = row_filters(catalog, &profile, limits);
    let mut plans: Vec<TablePlan> = catalog
        .tables
        .values()
        .filter(|table| table.kind == 'r')
        .map(|table| {
            let name = table.profile_name();
            let rules = profile.tables.remove(&name).unwrap_or_default();
            let filter = filters.get(&name).cloned();
            plan_table(table, rules, filter, jobs)
        })
        .collect();
    plans.sort_by(|a, b| {
        b.size_bytes
            .cmp(&a.size_bytes)
            .then_with(|| a.table.cmp(&b.table))
    });
    plans
}

fn plan_table(table: &Table, rules: TableRules, filter: Option<String>, jobs: usize) -> TablePlan {
    let columns: Vec<usize> = (0..table.columns.len())
        .filter(|&i| !table.columns[i].generated)
        .collect();
    let column_list = columns
        .iter()
        .map(|&i| quote(&table.columns[i].name))
        .collect::<Vec<_>>()
        .join(", ");
    let binary = binary_ok(table, &columns, &rules);
    let writers: Vec<Option<BinaryWriter>> = columns
        .iter()
        .map(|&i| {
            let rule = rules.rules.iter().find(|(position, _)| *position == i);
            rule.and_then(|(_, rule)| binary_writer(&table.columns[i], rule))
                .filter(|_| binary)
        })
        .collect();
    let select_list = columns
        .iter()
        .zip(&writers)
        .map(|(&i, writer)| match writer {
            Some(writer) => writer.source_text(&quote(&table.columns[i].name)),
            None => quote(&table.columns[i].name),
        })
        .chain(
            rules
                .conditions
                .iter()
                .map(|condition| condition.select_sql()),
        )
        .collect::<Vec<_>>()
        .join(", ");
    let schema_only = rules.schema_only;
    let ranges = split_ranges(table, jobs);
    let summary: BTreeMap<String, String> = rules
        .rules
        .iter()
        .map(|(i, rule)| (table.columns[*i].name.clone(), rule.transform.to_owned()))
        .collect();
    TablePlan {
        table: table.profile_name(),
        estimated_rows: table.estimated_rows,
        size_bytes: table.size_bytes,
        rules: summary,
        kept: rules.kept.clone(),
        public: rules.public.clone(),
        filter: if schema_only { None } else { filter.clone() },
        schema_only,
        pieces: if schema_only { 0 } else { ranges.len() },
        copy: (!schema_only).then(|| {
            Arc::new(TableCopy {
                name: table.profile_name(),
                quoted: table.quoted(),
                column_count: columns.len(),
                column_names: table
                    .columns
                    .iter()
                    .map(|column| column.name.clone())
                    .collect(),
                binary,
                columns,
                column_list,
                select_list,
                writers,
                rules,
                filter,
                ranges,
            })
        }),
    }
}

/// Whether a table can travel in the binary format: every copied column is binary-safe,
/// every column a rule reads is text-like (so the rule sees its text), and every ruled column
/// is text-like or of a type whose binary form restage writes from the rule's text.
fn binary_ok(table: &Table, columns: &[usize], rules: &TableRules) -> bool {
    // Positions past the columns are the conditions' results, sent as text.
    let text_like = |i: usize| table.columns.get(i).is_none_or(|column| column.text_binary);
    columns.iter().all(|&i| table.columns[i].binary_safe)
        && rules.rules.iter().all(|(position, rule)| {
            text_like(*position) || binary_writer(&table.columns[*position], rule).is_some()
        })
        && rules
            .rules
            .iter()
            .flat_map(|(_, rule)| rule.reads())
            .all(text_like)
}

/// Transformers whose text on a `date`, `inet` or `cidr` column is in the form PostgreSQL
/// writes it, so restage can write the binary form; any other rule on such a column (a
/// constant in another date style, say) leaves the parsing to the server, in text.
const CANONICAL_OUTPUT: &[&str] = &["keep", "null", "date", "ipv4", "ipv6"];

/// The writer of `column`'s binary form from what `rule` writes, when there is one.
fn binary_writer(column: &Column, rule: &CompiledRule) -> Option<BinaryWriter> {
    column
        .binary_writer
        .filter(|writer| writer.takes_any_text() || CANONICAL_OUTPUT.contains(&rule.transform))
}

/// ctid page ranges of about SPLIT_BYTES each (one range for small tables).
fn split_ranges(table: &Table, jobs: usize) -> Vec<(i64, Option<i64>)> {
    let pieces = (table.pages * 8192 / SPLIT_BYTES).clamp(1, (jobs * 4).max(1) as i64);
    if pieces <= 1 {
        return vec![(0, None)];
    }
    let step = (table.pages + pieces - 1) / pieces;
    (0..pieces)
        .map(|i| (i * step, (i + 1 < pieces).then_some((i + 1) * step)))
        .collect()
}

/// The WHERE condition of every table whose rows are restricted: by its own `where`, a
/// subset limit, `data = false`, or because a table it references is restricted (so that
/// every foreign key in staging still finds its row).
pub fn row_filters(
    catalog: &Catalog,
    profile: &CompiledProfile,
    limits: &BTreeMap<String, u64>,
) -> BTreeMap<String, String> {
    let mut own: BTreeMap<String, String> = BTreeMap::new();
    for (name, table) in &catalog.tables {
        let rules = profile.tables.get(name).or_else(|| {
            table
                .partition_root
                .as_ref()
                .and_then(|root| profile.tables.get(root))
        });
        let mut conditions = Vec::new();
        if rules.is_some_and(|rules| rules.schema_only) {
            conditions.push("false".to_owned());
        }
        if let Some(filter) = rules.and_then(|rules| rules.filter.as_ref()) {
            // On lines of their own: a `--` comment in a filter ends with it.
            conditions.push(format!("(\n{filter}\n)"));
        }
        if let Some(limit) = limits.get(name) {
            let inner = if conditions.is_empty() {
                String::new()
            } else {
                format!(" WHERE {}", conditions.join(" AND "))
            };
            conditions = vec![format!(
                "ctid IN (SELECT ctid FROM ONLY {}{inner} ORDER BY ctid LIMIT {limit})",
                table.quoted()
            )];
        }
        if !conditions.is_empty() {
            own.insert(name.clone(), conditions.join(" AND "));
        }
    }
    let mut filters = BTreeMap::new();
    for name in catalog.tables.keys() {
        if let Some(filter) = inherited_filter(catalog, &own, name, &mut HashSet::new()) {
            filters.insert(name.clone(), filter);
        }
    }
    filters
}

/// The filter of `name`: its own, and for every foreign key to a restricted table, rows whose
/// key is NULL or among that table's copied rows. Cycles are cut where they close.
fn inherited_filter(
    catalog: &Catalog,
    own: &BTreeMap<String, String>,
    name: &str,
    visiting: &mut HashSet<String>,
) -> Option<String> {
    if !visiting.insert(name.to_owned()) {
        return None;
    }
    let table = catalog.tables.get(name)?;
    let owner = table.partition_root.as_deref().unwrap_or(name);
    let mut conditions: Vec<String> = own.get(name).cloned().into_iter().collect();
    // Keys declared on the partitioned root or on the partition itself.
    let keys = catalog
        .foreign_keys
        .iter()
        .filter(|key| (key.table == owner || key.table == name) && key.referenced != owner);
    for key in keys {
        let Some(parent) = catalog.tables.get(&key.referenced) else {
            continue;
        };
        if let Some(parent_filter) = inherited_filter(catalog, own, &key.referenced, visiting) {
            conditions.push(reference_condition(key, parent, &parent_filter));
        }
    }
    visiting.remove(name);
    (!conditions.is_empty()).then(|| conditions.join(" AND "))
}

fn reference_condition(key: &ForeignKey, parent: &Table, parent_filter: &str) -> String {
    let columns: Vec<String> = key.columns.iter().map(|c| quote(c)).collect();
    let referenced: Vec<String> = key.referenced_columns.iter().map(|c| quote(c)).collect();
    let any_null: Vec<String> = columns.iter().map(|c| format!("{c} IS NULL")).collect();
    format!(
        "({} OR ({}) IN (SELECT {} FROM {} WHERE {parent_filter}))",
        any_null.join(" OR "),
        columns.join(", "),
        referenced.join(", "),
        parent.quoted()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Column;

    fn table(pages: i64) -> Table {
        let column = Column::text;
        Table {
            schema: "public".to_owned(),
            name: "big".to_owned(),
            kind: 'r',
            partition_root: None,
            estimated_rows: 0,
            size_bytes: pages * 8192,
            pages,
            columns: vec![column("id"), column("note")],
            primary_key: vec!["id".to_owned()],
        }
    }

    #[test]
    fn large_tables_split_into_ctid_ranges_that_cover_every_page() {
        assert_eq!(split_ranges(&table(100), 2), vec![(0, None)]);
        let ranges = split_ranges(&table(40_000), 2);
        assert_eq!(ranges.len(), 4);
        assert_eq!(ranges[0].0, 0);
        assert_eq!(
            ranges.last().and_then(|range| range.1),
            None,
            "the last range is open"
        );
        for pair in ranges.windows(2) {
            assert_eq!(pair[0].1, Some(pair[1].0), "ranges must touch");
        }
    }

    #[test]
    fn pieces_select_their_range_within_the_filter() {
        let plan = plan_table(
            &table(40_000),
            TableRules::default(),
            Some("id > 5".to_owned()),
            2,
        );
        let copy = plan.copy.expect("copied");
        assert!(copy.binary);
        assert_eq!(
            copy.select_sql(1),
            "COPY (SELECT \"id\", \"note\" FROM ONLY \"public\".\"big\" WHERE (\nid > 5\n) AND ctid >= '(10000,0)'::tid \
             AND ctid < '(20000,0)'::tid) TO STDOUT (FORMAT binary)"
        );
        let small = plan_table(&table(10), TableRules::default(), None, 2)
            .copy
            .expect("copied");
        assert_eq!(
            small.select_sql(0),
            "COPY \"public\".\"big\" (\"id\", \"note\") TO STDOUT (FORMAT binary)"
        );
    }

    /// A table with ruled `date`, `inet`, `cidr` and `jsonb` columns travels in binary, the
    /// source sending those columns as their output functions write them.
    fn typed(name: &str, type_name: &str, writer: BinaryWriter) -> Column {
        use crate::catalog::TypeCategory;
        let category = match writer {
            BinaryWriter::Date => TypeCategory::Date,
            BinaryWriter::Timestamp | BinaryWriter::Timestamptz => TypeCategory::Timestamp,
            BinaryWriter::Inet | BinaryWriter::Cidr => TypeCategory::Inet,
            BinaryWriter::Jsonb => TypeCategory::Json,
        };
        Column {
            text_binary: false,
            binary_writer: Some(writer),
            ..crate::anonymize::testing::column(name, type_name, category)
        }
    }

    fn ruled(table: &Table, rules: &[(&str, &str)]) -> TableCopy {
        let rules = rules
            .iter()
            .map(|(name, rule)| {
                let position = table.columns.iter().position(|c| c.name == *name);
                let position = position.expect("column");
                let compiled = crate::anonymize::testing::compile(rule, &table.columns[position]);
                (position, compiled.expect("rule builds"))
            })
            .collect();
        let rules = TableRules {
            rules,
            ..TableRules::default()
        };
        let plan = plan_table(table, rules, None, 2);
        Arc::into_inner(plan.copy.expect("copied")).expect("one owner")
    }

    #[test]
    fn ruled_dates_addresses_and_jsonb_travel_in_binary() {
        let mut table = table(10);
        table.columns.extend([
            typed("born", "date", BinaryWriter::Date),
            typed("ip", "inet", BinaryWriter::Inet),
            typed("net", "cidr", BinaryWriter::Cidr),
            typed("doc", "jsonb", BinaryWriter::Jsonb),
        ]);
        let copy = ruled(
            &table,
            &[
                ("born", "{ transform = \"date\", shift_days = 30 }"),
                ("ip", "\"ipv4\""),
                ("net", "\"keep\""),
                (
                    "doc",
                    "{ transform = \"json\", paths = { \"$.email\" = \"email\" } }",
                ),
            ],
        );
        assert!(copy.binary);
        use BinaryWriter::*;
        assert_eq!(
            copy.writers,
            vec![None, None, Some(Date), Some(Inet), Some(Cidr), Some(Jsonb)]
        );
        assert_eq!(
            copy.select_sql(0),
            "COPY (SELECT \"id\", \"note\", \"born\"::text, CASE WHEN masklen(\"ip\") = \
             CASE family(\"ip\") WHEN 4 THEN 32 ELSE 128 END THEN host(\"ip\") ELSE \"ip\"::text END, \
             \"net\"::text, \"doc\"::text FROM ONLY \"public\".\"big\") TO STDOUT (FORMAT binary)"
        );
        // Unruled, they pass through in their own binary form.
        let plain = ruled(&table, &[("note", "\"name\"")]);
        assert!(plain.binary);
        assert_eq!(plain.select_list, plain.column_list);
    }

    #[test]
    fn a_rule_whose_text_the_server_must_parse_keeps_the_table_in_text() {
        let mut table = table(10);
        table
            .columns
            .push(typed("born", "date", BinaryWriter::Date));
        let copy = ruled(
            &table,
            &[(
                "born",
                "{ transform = \"constant\", value = \"01/02/2000\" }",
            )],
        );
        assert!(!copy.binary);
        assert_eq!(copy.writers, vec![None, None, None]);
        assert_eq!(copy.select_list, copy.column_list);
    }
}
