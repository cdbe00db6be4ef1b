//! The `products` seeder: the item types and the product catalogue.

use sqlx::postgres::PgConnection;

use super::owned::{self, Column, Counts, NaturalKey, SeedRow, TableSeed};
use super::plan::SEED_EPOCH;
use super::{SeedContext, SeedError};

const ITEM_TYPE_COLUMNS: &[Column] = &[
    Column::new("name", "{v}"),
    Column::new("description", "{v}"),
];
const PRODUCT_COLUMNS: &[Column] = &[
    Column::new("name", "{v}"),
    Column::new("description", "{v}"),
    Column::new("item_type_id", "{v}::bigint"),
    Column::new("price", "{v}::numeric(12,2)"),
    Column::new("currency", "{v}::char(3)"),
    Column::new("created_at", "to_timestamp({v}::bigint)"),
    Column::on_insert("updated_at", "to_timestamp({v}::bigint)"),
];

/// Upserts item types, then products (by SKU).
pub async fn seed(
    connection: &mut PgConnection,
    context: &SeedContext<'_>,
) -> Result<Counts, SeedError> {
    let data = context.data;
    let item_types = owned::upsert(
        connection,
        &TableSeed {
            seeder: "products",
            table: "item_types",
            key: NaturalKey::Column {
                name: "code",
                sql_type: "text",
            },
            columns: ITEM_TYPE_COLUMNS,
            rows: data
                .item_types
                .iter()
                .map(|item_type| SeedRow {
                    key: item_type.code.clone(),
                    values: vec![
                        Some(item_type.name.clone()),
                        Some(item_type.description.clone()),
                    ],
                })
                .collect(),
        },
    )
    .await?;
    let products = owned::upsert(
        connection,
        &TableSeed {
            seeder: "products",
            table: "products",
            key: NaturalKey::Column {
                name: "sku",
                sql_type: "text",
            },
            columns: PRODUCT_COLUMNS,
            rows: data
                .products
                .iter()
                .map(|product| SeedRow {
                    key: product.sku.clone(),
                    values: vec![
                        Some(product.name.clone()),
                        Some(product.description.clone()),
                        Some(item_types.ids[&product.item_type].to_string()),
                        Some(product.price.clone()),
                        Some(product.currency.clone()),
                        Some(SEED_EPOCH.to_string()),
                        Some(SEED_EPOCH.to_string()),
                    ],
                })
                .collect(),
        },
    )
    .await?;
    let mut counts = item_types.counts;
    counts += products.counts;
    Ok(counts)
}
