//! Keyed, deterministic randomness: every fake value is drawn from an RNG seeded by a keyed
//! hash of (secret key, rule scope, input), so equal inputs give equal outputs in every table
//! and every week, and nobody without the key can rebuild the mapping from a dictionary.
//!
//! The keyed hash is BLAKE2s-256 in its keyed mode (RFC 7693), a pseudorandom function of the
//! key. It is computed on the hash's core: the key block is compressed once, when the keyer
//! is made, instead of once per value, which halves the cost of a short value (one
//! compression instead of two) and gives exactly the bytes `Blake2sMac256` gives.

use blake2::Blake2sVarCore;
use blake2::digest::core_api::{Block, Buffer, UpdateCore, VariableOutputCore};
use blake2::{Blake2s256, Digest};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The secret that makes anonymization deterministic and irreversible.
#[derive(Clone)]
pub struct Keyer {
    /// BLAKE2s keyed with the secret, its key block already compressed: cloned per value.
    keyed: Blake2sVarCore,
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
        // Keyed BLAKE2 hashes the key, zero-padded to a block, as the first block of the
        // message; every message here has more after it, so it is never the last block.
        let mut keyed = Blake2sVarCore::new_with_params(&[], &[], key.len(), 32);
        let mut key_block = Block::<Blake2sVarCore>::default();
        key_block[..key.len()].copy_from_slice(&key);
        keyed.update_blocks(&[key_block]);
        Keyer { keyed }
    }

    /// 32 bytes that depend on the key, the scope and the input, and on nothing else:
    /// BLAKE2s-256 keyed with the secret, of `scope`, a zero byte and `input`.
    pub fn digest(&self, scope: &str, input: &[u8]) -> [u8; 32] {
        let mut core = self.keyed.clone();
        let mut buffer = Buffer::<Blake2sVarCore>::default();
        for part in [scope.as_bytes(), &[0], input] {
            buffer.digest_blocks(part, |blocks| core.update_blocks(blocks));
        }
        let mut output = Default::default();
        core.finalize_variable_core(&mut buffer, &mut output);
        output.into()
    }

    /// An RNG for one value: ChaCha8, whose stream is fixed by its seed across versions (and
    /// which is the fastest ChaCha: one is seeded per value).
    pub fn rng(&self, scope: &str, input: &[u8]) -> ChaCha8Rng {
        ChaCha8Rng::from_seed(self.digest(scope, input))
    }

    /// A lower-case base32 tag of `chars` characters (5 bits each), for unique suffixes.
    pub fn tag(&self, scope: &str, input: &[u8], chars: usize) -> String {
        tag_of(&self.digest(scope, input), chars)
    }

    /// The RNG of [`Keyer::rng`] and the tag of [`Keyer::tag`] for one value, from one hash.
    pub fn rng_and_tag(&self, scope: &str, input: &[u8], chars: usize) -> (ChaCha8Rng, String) {
        let digest = self.digest(scope, input);
        (ChaCha8Rng::from_seed(digest), tag_of(&digest, chars))
    }
}

/// The first `chars` base32 characters (at most 25) of a digest.
fn tag_of(digest: &[u8; 32], chars: usize) -> String {
    const ALPHABET: &[u8; 32] = b"abcdefghijkmnpqrstuvwxyz23456789";
    let mut bits = u128::from_le_bytes(digest[..16].try_into().expect("16 bytes"));
    (0..chars.min(25))
        .map(|_| {
            let character = ALPHABET[(bits & 31) as usize] as char;
            bits >>= 5;
            character
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use blake2::Blake2sMac256;
    use blake2::digest::{KeyInit, Mac};

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
        let (_, tag) = keyer.rng_and_tag("s", b"x", 13);
        assert_eq!(tag, keyer.tag("s", b"x", 13));
    }

    /// The digest is keyed BLAKE2s itself (so fakes stay what earlier versions made), at
    /// every length around the block boundaries.
    #[test]
    fn equals_keyed_blake2s_at_every_length() {
        let key: [u8; 32] = Blake2s256::digest(b"secret").into();
        let keyer = Keyer::with_key(key);
        for scope in [
            "",
            "email",
            "a scope of more than sixty-four bytes, to cross a block edge!!",
        ] {
            for length in 0..200 {
                let input: Vec<u8> = (0..length).map(|i| (i * 7) as u8).collect();
                let mut mac = <Blake2sMac256 as KeyInit>::new_from_slice(&key).expect("key");
                mac.update(scope.as_bytes());
                mac.update(&[0]);
                mac.update(&input);
                let expected: [u8; 32] = mac.finalize().into_bytes().into();
                assert_eq!(
                    keyer.digest(scope, &input),
                    expected,
                    "{scope:?}, {length} bytes"
                );
            }
        }
    }
}
