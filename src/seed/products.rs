//! The `products` seeder: the item types and the product catalogue.

use sqlx::postgres::PgConnection;

use super::owned::{self, Counts};
use super::plan::SEED_EPOCH;
use super::tables::SeedWords;
use super::{SeedContext, SeedError};
use crate::mapping::Entity;
use crate::seed::data::SeedData;

/// The seed words the products seeder writes into word columns.
pub fn words(data: &SeedData) -> Vec<SeedWords> {
    vec![SeedWords {
        entity: Entity::Products,
        field: "currency",
        words: data.products.iter().map(|p| p.currency.clone()).collect(),
    }]
}

/// Upserts item types (when products have a type), then products (by their natural key).
pub async fn seed(
    connection: &mut PgConnection,
    context: &SeedContext<'_>,
) -> Result<Counts, SeedError> {
    let data = context.data;
    let products_table = context.tables.get(Entity::Products);
    let mut counts = Counts::default();
    let item_type_ids = if products_table.has("type") {
        let rows = data
            .item_types
            .iter()
            .map(|item_type| {
                let fields = vec![
                    ("name", Some(item_type.name.clone())),
                    ("description", Some(item_type.description.clone())),
                ];
                (item_type.code.clone(), fields)
            })
            .collect();
        let table = context.tables.get(Entity::ItemTypes);
        let item_types = owned::upsert(connection, &table.seed("products", rows, false)).await?;
        counts += item_types.counts;
        item_types.ids
    } else {
        Default::default()
    };
    let rows = data
        .products
        .iter()
        .map(|product| {
            let item_type = product
                .item_type
                .as_ref()
                .and_then(|code| products_table.refer("type", code, &item_type_ids));
            let fields = vec![
                ("name", Some(product.name.clone())),
                ("description", Some(product.description.clone())),
                ("type", item_type),
                ("price", Some(product.price.clone())),
                ("currency", Some(product.currency.clone())),
                ("created_at", Some(SEED_EPOCH.to_string())),
                ("updated_at", Some(SEED_EPOCH.to_string())),
            ];
            (product.sku.clone(), fields)
        })
        .collect();
    let products = owned::upsert(connection, &products_table.seed("products", rows, false)).await?;
    counts += products.counts;
    Ok(counts)
}
