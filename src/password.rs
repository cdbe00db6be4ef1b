//! Staging password hashes: the hashes the accounts seeder writes for its test accounts (in
//! the format the application's framework verifies) and the `password` transformer writes
//! over every production hash.

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, SaltString};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use blake2::{Blake2s256, Digest};

use crate::output::hex;

/// Why a staging password could not be hashed.
#[derive(Debug, thiserror::Error)]
#[error("hashing a staging password failed: {0}")]
pub struct HashError(String);

/// A password hash format, as a framework writes and verifies it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HashFormat {
    /// PHC `$argon2id$…` (argon2 crates, Symfony, Laravel, Phoenix's argon2_elixir).
    #[default]
    Argon2id,
    /// `$2b$12$…` (Node's bcrypt, Python's bcrypt/passlib, Rails' has_secure_password,
    /// Spring's BCryptPasswordEncoder).
    Bcrypt,
    /// `$2y$12$…` (PHP's password_hash, Laravel's Hash::make).
    Bcrypt2y,
    /// `pbkdf2_sha256$<iterations>$<salt>$<hash>`, Django's default hasher.
    DjangoPbkdf2Sha256,
    /// `scrypt:32768:8:1$<salt>$<hex>`, Werkzeug's (Flask's) default since Werkzeug 3.
    WerkzeugScrypt,
    /// `pbkdf2:sha256:600000$<salt>$<hex>`, Werkzeug's `method="pbkdf2"` (its default before
    /// Werkzeug 3, so most Flask applications' older accounts).
    WerkzeugPbkdf2Sha256,
}

impl HashFormat {
    /// Every format, by the name a `[schema.accounts] password_format` gives.
    pub const ALL: [(&'static str, HashFormat); 6] = [
        ("argon2id", HashFormat::Argon2id),
        ("bcrypt", HashFormat::Bcrypt),
        ("bcrypt-2y", HashFormat::Bcrypt2y),
        ("pbkdf2-sha256", HashFormat::DjangoPbkdf2Sha256),
        ("scrypt", HashFormat::WerkzeugScrypt),
        ("werkzeug-pbkdf2-sha256", HashFormat::WerkzeugPbkdf2Sha256),
    ];

    /// The format called `name`.
    pub fn named(name: &str) -> Option<HashFormat> {
        Self::ALL
            .iter()
            .find(|(known, _)| *known == name)
            .map(|(_, format)| *format)
    }

    /// The names, for messages.
    pub fn names() -> String {
        Self::ALL.map(|(name, _)| name).join(", ")
    }

    /// The format a stored hash is in, by its prefix; `None` for one restage cannot write
    /// (an MD5 digest, a framework's own scheme).
    pub fn of_hash(hash: &str) -> Option<HashFormat> {
        const PREFIXES: [(&str, HashFormat); 7] = [
            ("$argon2id$", HashFormat::Argon2id),
            ("$2b$", HashFormat::Bcrypt),
            ("$2a$", HashFormat::Bcrypt),
            ("$2y$", HashFormat::Bcrypt2y),
            ("pbkdf2_sha256$", HashFormat::DjangoPbkdf2Sha256),
            ("scrypt:", HashFormat::WerkzeugScrypt),
            ("pbkdf2:sha256:", HashFormat::WerkzeugPbkdf2Sha256),
        ];
        PREFIXES
            .iter()
            .find(|(prefix, _)| hash.starts_with(prefix))
            .map(|(_, format)| *format)
    }

    /// Its place in [`HashFormat::ALL`].
    pub fn index(self) -> usize {
        Self::ALL
            .iter()
            .position(|(_, format)| *format == self)
            .unwrap_or_default()
    }
}

/// The bcrypt cost restage writes: the common frameworks' default.
const BCRYPT_COST: u32 = 12;
/// PBKDF2 iterations of Django 4.2 (LTS); Django verifies any count and re-hashes on login.
pub const DJANGO_PBKDF2_ITERATIONS: u32 = 600_000;

/// PBKDF2 iterations of Werkzeug 2.3 and later (`pbkdf2:sha256:600000`).
pub const WERKZEUG_PBKDF2_ITERATIONS: u32 = 600_000;

/// Werkzeug's scrypt cost: N = 2^15, r = 8, p = 1.
const WERKZEUG_SCRYPT_LOG_N: u8 = 15;

/// The argon2id hash of a staging password (the reference schema's format).
pub fn staging_hash(salt_source: &str, password: &str) -> Result<String, HashError> {
    hash_as(HashFormat::Argon2id, salt_source, password)
}

/// The hash of a staging password in `format`. The salt comes from `salt_source` (an
/// account's e-mail), so the same password always gives the same hash: re-seeding changes
/// nothing and two databases seeded alike are identical. Acceptable for published staging
/// test passwords, not for real ones.
pub fn hash_as(format: HashFormat, salt_source: &str, password: &str) -> Result<String, HashError> {
    let salt = salt_bytes(salt_source);
    match format {
        HashFormat::Argon2id => {
            let salt = SaltString::encode_b64(&salt).map_err(|e| HashError(e.to_string()))?;
            Argon2::default()
                .hash_password(password.as_bytes(), &salt)
                .map(|hash| hash.to_string())
                .map_err(|e| HashError(e.to_string()))
        }
        HashFormat::Bcrypt | HashFormat::Bcrypt2y => {
            let version = match format {
                HashFormat::Bcrypt2y => bcrypt::Version::TwoY,
                _ => bcrypt::Version::TwoB,
            };
            bcrypt::hash_with_salt(password, BCRYPT_COST, salt)
                .map(|parts| parts.format_for_version(version))
                .map_err(|e| HashError(e.to_string()))
        }
        HashFormat::DjangoPbkdf2Sha256 => Ok(django_pbkdf2_sha256(
            password,
            &alphanumeric_salt(&salt),
            DJANGO_PBKDF2_ITERATIONS,
        )),
        HashFormat::WerkzeugScrypt => werkzeug_scrypt(
            password,
            &alphanumeric_salt(&salt)[..16],
            WERKZEUG_SCRYPT_LOG_N,
        ),
        HashFormat::WerkzeugPbkdf2Sha256 => Ok(werkzeug_pbkdf2_sha256(
            password,
            &alphanumeric_salt(&salt)[..16],
            WERKZEUG_PBKDF2_ITERATIONS,
        )),
    }
}

/// Werkzeug's `pbkdf2:sha256:iterations$salt$hex(hash)`.
pub fn werkzeug_pbkdf2_sha256(password: &str, salt: &str, iterations: u32) -> String {
    let hex = hex(&pbkdf2_sha256(password, salt, iterations));
    format!("pbkdf2:sha256:{iterations}${salt}${hex}")
}

/// Werkzeug's `scrypt:N:8:1$salt$hex(64-byte key)`.
pub fn werkzeug_scrypt(password: &str, salt: &str, log_n: u8) -> Result<String, HashError> {
    let params = scrypt::Params::new(log_n, 8, 1, 64).map_err(|e| HashError(e.to_string()))?;
    let mut key = [0u8; 64];
    scrypt::scrypt(password.as_bytes(), salt.as_bytes(), &params, &mut key)
        .map_err(|e| HashError(e.to_string()))?;
    Ok(format!("scrypt:{}:8:1${salt}${}", 1u32 << log_n, hex(&key)))
}

/// Django's `pbkdf2_sha256$iterations$salt$base64(hash)`.
pub fn django_pbkdf2_sha256(password: &str, salt: &str, iterations: u32) -> String {
    format!(
        "pbkdf2_sha256${iterations}${salt}${}",
        STANDARD.encode(pbkdf2_sha256(password, salt, iterations))
    )
}

/// PBKDF2-HMAC-SHA256 of a password, 32 bytes: Python's `hashlib.pbkdf2_hmac`, which both
/// Django and Werkzeug call.
fn pbkdf2_sha256(password: &str, salt: &str, iterations: u32) -> [u8; 32] {
    let mut hash = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<sha2::Sha256>(
        password.as_bytes(),
        salt.as_bytes(),
        iterations,
        &mut hash,
    );
    hash
}

/// 16 salt bytes derived from `salt_source`.
fn salt_bytes(salt_source: &str) -> [u8; 16] {
    let digest = Blake2s256::new()
        .chain_update(b"restage seed salt\0")
        .chain_update(salt_source.to_lowercase())
        .finalize();
    let mut salt = [0u8; 16];
    salt.copy_from_slice(&digest[..16]);
    salt
}

/// Django's salts are 22 letters and digits; one per salt byte (and a few more), from the
/// bytes.
fn alphanumeric_salt(salt: &[u8; 16]) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    (0..22)
        .map(|index| {
            let byte = salt[index % 16].wrapping_add((index / 16) as u8 * 31);
            ALPHABET[byte as usize % ALPHABET.len()] as char
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::password_hash::{PasswordHash, PasswordVerifier};

    #[test]
    fn each_format_is_accepted_by_its_own_verifier_and_stable() {
        for (name, format) in HashFormat::ALL {
            let hash = hash_as(format, "Ann@Example.com", "s3cret").expect(name);
            assert_eq!(
                hash,
                hash_as(format, "ann@example.com", "s3cret").expect(name),
                "{name}: the salt follows the e-mail, whatever its case"
            );
            assert_ne!(
                hash,
                hash_as(format, "bob@example.com", "s3cret").expect(name)
            );
            match format {
                HashFormat::Argon2id => {
                    assert!(hash.starts_with("$argon2id$"), "{hash}");
                    let parsed = PasswordHash::new(&hash).expect("PHC string");
                    assert!(
                        Argon2::default()
                            .verify_password(b"s3cret", &parsed)
                            .is_ok()
                    );
                    assert!(
                        Argon2::default()
                            .verify_password(b"wrong", &parsed)
                            .is_err()
                    );
                }
                HashFormat::Bcrypt | HashFormat::Bcrypt2y => {
                    let prefix = if format == HashFormat::Bcrypt {
                        "$2b$12$"
                    } else {
                        "$2y$12$"
                    };
                    assert!(hash.starts_with(prefix), "{hash}");
                    assert_eq!(hash.len(), 60, "{hash}");
                    assert!(bcrypt::verify("s3cret", &hash).expect("bcrypt parses it"));
                    assert!(!bcrypt::verify("wrong", &hash).expect("bcrypt parses it"));
                }
                HashFormat::WerkzeugScrypt => {
                    let (method, rest) = hash.split_once('$').expect("method$salt$hash");
                    let (salt, _) = rest.split_once('$').expect("salt$hash");
                    assert_eq!(method, "scrypt:32768:8:1");
                    assert_eq!(salt.len(), 16);
                    assert_eq!(hash, werkzeug_scrypt("s3cret", salt, 15).expect("scrypt"));
                }
                HashFormat::WerkzeugPbkdf2Sha256 => {
                    let parts: Vec<&str> = hash.split('$').collect();
                    assert_eq!(parts[0], "pbkdf2:sha256:600000");
                    assert_eq!(parts[1].len(), 16);
                    let mut expected = [0u8; 32];
                    pbkdf2::pbkdf2_hmac::<sha2::Sha256>(
                        b"s3cret",
                        parts[1].as_bytes(),
                        WERKZEUG_PBKDF2_ITERATIONS,
                        &mut expected,
                    );
                    assert_eq!(parts[2], hex(&expected));
                }
                HashFormat::DjangoPbkdf2Sha256 => {
                    let parts: Vec<&str> = hash.split('$').collect();
                    assert_eq!(parts[0], "pbkdf2_sha256");
                    assert_eq!(parts[1], DJANGO_PBKDF2_ITERATIONS.to_string());
                    assert_eq!(parts[2].len(), 22);
                    assert!(parts[2].chars().all(|c| c.is_ascii_alphanumeric()));
                    let mut expected = [0u8; 32];
                    pbkdf2::pbkdf2_hmac::<sha2::Sha256>(
                        b"s3cret",
                        parts[2].as_bytes(),
                        DJANGO_PBKDF2_ITERATIONS,
                        &mut expected,
                    );
                    assert_eq!(STANDARD.decode(parts[3]).expect("base64"), expected);
                }
            }
        }
    }

    #[test]
    fn django_format_matches_pythons_pbkdf2_which_django_calls() {
        // python3 -c "import hashlib, base64; print(base64.b64encode(
        //     hashlib.pbkdf2_hmac('sha256', 'lètmein'.encode(), b'seasalt', 1000)).decode())"
        assert_eq!(
            django_pbkdf2_sha256("lètmein", "seasalt", 1000),
            "pbkdf2_sha256$1000$seasalt$JgZryXe2Ga8ysg6XbzkLpTdyPQrHqsinbL9BnnhgX4A="
        );
    }

    #[test]
    fn werkzeug_format_matches_pythons_scrypt_which_werkzeug_calls() {
        // python3 -c "import hashlib; print(hashlib.scrypt('lètmein'.encode(),
        //     salt=b'seasalt', n=1024, r=8, p=1, dklen=64).hex())"
        assert_eq!(
            werkzeug_scrypt("lètmein", "seasalt", 10).expect("scrypt"),
            "scrypt:1024:8:1$seasalt$faa3b68d391551b3cd96789390763dea575224ab3853459089ff146d695f3b7c\
             090cd84a3a0fa93ed0dc9224fa670d2a904bca210d4c74e35f1b1b16ae9a2236"
        );
    }

    #[test]
    fn werkzeug_pbkdf2_format_matches_pythons_pbkdf2_which_werkzeug_calls() {
        // python3 -c "import hashlib; print(hashlib.pbkdf2_hmac('sha256',
        //     'lètmein'.encode(), b'seasalt', 1000).hex())"
        assert_eq!(
            werkzeug_pbkdf2_sha256("lètmein", "seasalt", 1000),
            "pbkdf2:sha256:1000$seasalt$26066bc977b619af32b20e976f390ba537723d0ac7aac8a76cbf419e78605f80"
        );
    }

    #[test]
    fn a_hash_tells_its_format_and_every_format_written_is_recognised() {
        for (name, format) in HashFormat::ALL {
            let hash = hash_as(format, "a@example.com", "pw").expect(name);
            assert_eq!(HashFormat::of_hash(&hash), Some(format), "{name}: {hash}");
            assert_eq!(HashFormat::ALL[format.index()].1, format);
        }
        assert_eq!(
            HashFormat::of_hash("$2a$10$abcdefghijklmnopqrstuu"),
            Some(HashFormat::Bcrypt)
        );
        assert_eq!(
            HashFormat::of_hash("5f4dcc3b5aa765d61d8327deb882cf99"),
            None
        );
        assert_eq!(HashFormat::of_hash(""), None);
    }

    #[test]
    fn formats_are_found_by_name() {
        assert_eq!(HashFormat::named("bcrypt"), Some(HashFormat::Bcrypt));
        assert_eq!(HashFormat::named("md5"), None);
        assert!(HashFormat::names().contains("pbkdf2-sha256"));
    }
}
