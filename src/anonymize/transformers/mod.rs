//! The transformers, by family; each file holds its definitions and their tests.

pub mod array;
pub mod basic;
pub mod card;
pub mod composite;
pub mod date;
pub mod fake;
pub mod json;
pub mod linked;
pub mod number;
pub mod scrub;
