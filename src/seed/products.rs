//! The `products` seeder: the item types and the product catalogue.

use sqlx::postgres::PgConnection;

use super::owned::{self, BIGINT, Column, Counts, NaturalKey, SeedRow, TEXT, TableSeed, UNIX_TIME};
use super::plan::SEED_EPOCH;
use super::{SeedContext, SeedError};

const ITEM_TYPE_COLUMNS: &[Column] = &[Column::new("name", TEXT), Column::new("description", TEXT)];
const PRODUCT_COLUMNS: &[Column] = &[
    Column::new("name", TEXT),
    Column::new("description", TEXT),
    Column::new("item_type_id", BIGINT),
    Column::new("price", "{v}::numeric(12,2)"),
    Column::new("currency", "{v}::char(3)"),
    Column::new("created_at", UNIX_TIME),
    Column::on_insert("updated_at", UNIX_TIME),
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
            key: NaturalKey::text("code"),
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
            key: NaturalKey::text("sku"),
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
