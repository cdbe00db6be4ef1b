//! Staging password hashes: the one hash the accounts seeder writes for its test accounts and
//! the `password` transformer writes over every production hash.

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, SaltString};
use blake2::{Blake2s256, Digest};

/// Why a staging password could not be hashed.
#[derive(Debug, thiserror::Error)]
#[error("hashing a staging password failed: {0}")]
pub struct HashError(String);

/// The argon2id hash of a staging password. The salt comes from `salt_source` (an account's
/// e-mail), so the same password always gives the same hash: re-seeding changes nothing and
/// two databases seeded alike are identical. Acceptable for published staging test
/// passwords, not for real ones.
pub fn staging_hash(salt_source: &str, password: &str) -> Result<String, HashError> {
    let digest = Blake2s256::new()
        .chain_update(b"restage seed salt\0")
        .chain_update(salt_source.to_lowercase())
        .finalize();
    let salt = SaltString::encode_b64(&digest[..16]).map_err(|e| HashError(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| HashError(e.to_string()))
}
