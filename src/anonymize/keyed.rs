//! Keyed, deterministic randomness: every fake value is drawn from an RNG seeded by a keyed
//! hash of (secret key, rule scope, input), so equal inputs give equal outputs in every table
//! and every week, and nobody without the key can rebuild the mapping from a dictionary.

use blake2::digest::{KeyInit, Mac};
use blake2::{Blake2s256, Blake2sMac256, Digest};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The secret that makes anonymization deterministic and irreversible.
#[derive(Clone)]
pub struct Keyer {
    /// The MAC with the key already absorbed: cloned per value, so the key block is hashed
    /// once, not once per value.
    keyed: Blake2sMac256,
}

impl std::fmt::Debug for Keyer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keyer(***)")
    }
}

impl Keyer {
    /// A keyer from the secret in `RESTAGE_ANONYMIZE_KEY` (any length; it is hashed).
    pub fn from_secret(secret: &str) -> Keyer {
        Keyer::with_key(Blake2s256::digest(secret.as_bytes()).into())
    }

    /// A keyer with a fresh random key (`--random`): outputs differ on every run.
    pub fn random() -> Keyer {
        Keyer::with_key(rand::random())
    }

    fn with_key(key: [u8; 32]) -> Keyer {
        // A 32-byte key is always valid for Blake2s.
        Keyer {
            keyed: <Blake2sMac256 as KeyInit>::new_from_slice(&key).expect("32-byte key"),
        }
    }

    /// 32 bytes that depend on the key, the scope and the input, and on nothing else.
    pub fn digest(&self, scope: &str, input: &[u8]) -> [u8; 32] {
        let mut mac = self.keyed.clone();
        mac.update(scope.as_bytes());
        mac.update(&[0]);
        mac.update(input);
        mac.finalize().into_bytes().into()
    }

    /// An RNG for one value: ChaCha8, whose stream is fixed by its seed across versions (and
    /// which is the fastest ChaCha: one is seeded per value).
    pub fn rng(&self, scope: &str, input: &[u8]) -> ChaCha8Rng {
        ChaCha8Rng::from_seed(self.digest(scope, input))
    }

    /// A lower-case base32 tag of `chars` characters (5 bits each), for unique suffixes.
    pub fn tag(&self, scope: &str, input: &[u8], chars: usize) -> String {
        const ALPHABET: &[u8; 32] = b"abcdefghijkmnpqrstuvwxyz23456789";
        let digest = self.digest(scope, input);
        let mut bits = u128::from_le_bytes(digest[..16].try_into().expect("16 bytes"));
        (0..chars.min(25))
            .map(|_| {
                let character = ALPHABET[(bits & 31) as usize] as char;
                bits >>= 5;
                character
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depends_on_key_scope_and_input_only() {
        let keyer = Keyer::from_secret("k");
        assert_eq!(
            keyer.digest("email", b"a"),
            Keyer::from_secret("k").digest("email", b"a")
        );
        assert_ne!(
            keyer.digest("email", b"a"),
            Keyer::from_secret("other").digest("email", b"a")
        );
        assert_ne!(keyer.digest("email", b"a"), keyer.digest("name", b"a"));
        assert_ne!(keyer.digest("email", b"a"), keyer.digest("email", b"b"));
        assert_eq!(keyer.tag("s", b"x", 13).len(), 13);
    }
}
