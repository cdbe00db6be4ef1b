//! Keyed, deterministic randomness: every fake value is drawn from an RNG seeded by a keyed
//! hash of (secret key, rule scope, input), so equal inputs give equal outputs in every table
//! and every week, and nobody without the key can rebuild the mapping from a dictionary.
//!
//! Two keyed functions, both pseudorandom functions of the key (RFC 7693 / SipHash paper):
//! - the seed of each fake and each unique tag is SipHash-2-4 with 128-bit output, keyed with
//!   128 bits of the secret. It is a PRF built for short inputs, about ten times cheaper than
//!   a BLAKE2s compression on a 20-byte value, which matters at millions of values a second;
//!   recovering the key or predicting an output for a chosen input takes about 2^128 work,
//!   and its 128 bits seed the value's stream and give 65-bit tags with room to spare.
//!   The stream is PCG64 (MCG, 128-bit state): the seed is already secret, the stream only
//!   spreads it, and an observer who solves the PCG state from one fake learns that value's
//!   seed, which tells nothing of the key or of any other value.
//! - the `hash` transformer, whose output is the hash itself and may serve as an identifier
//!   across systems, is BLAKE2s-256 keyed with the whole 256-bit key (collision resistant),
//!   computed on the hash's core with the key block compressed once per keyer: the same bytes
//!   `Blake2sMac256` gives.

use std::hash::Hasher;

use blake2::Blake2sVarCore;
use blake2::digest::core_api::{Block, Buffer, UpdateCore, VariableOutputCore};
use blake2::{Blake2s256, Digest};
use rand::SeedableRng;
use siphasher::sip128::{Hasher128, SipHasher24};

/// The stream one value's fake is drawn from: PCG64 seeded by the value's keyed hash, whose
/// sequence for a seed is fixed across versions of its crate.
pub type ValueRng = rand_pcg::Pcg64Mcg;

/// The secret that makes anonymization deterministic and irreversible.
#[derive(Clone)]
pub struct Keyer {
    /// SipHash-2-4 keyed with the first 128 bits of the key: copied per value.
    seeds: SipHasher24,
    /// BLAKE2s keyed with the whole key, its key block already compressed: for `hash`.
    wide: Blake2sVarCore,
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
        let seed_key: [u8; 16] = key[..16].try_into().expect("16 bytes");
        // Keyed BLAKE2 hashes the key, zero-padded to a block, as the first block of the
        // message; every message here has more after it, so it is never the last block.
        let mut wide = Blake2sVarCore::new_with_params(&[], &[], key.len(), 32);
        let mut key_block = Block::<Blake2sVarCore>::default();
        key_block[..key.len()].copy_from_slice(&key);
        wide.update_blocks(&[key_block]);
        Keyer {
            seeds: SipHasher24::new_with_key(&seed_key),
            wide,
        }
    }

    /// 16 bytes that depend on the key, the scope and the input, and on nothing else:
    /// SipHash-2-4-128 keyed with the secret, of `scope`, a zero byte and `input`.
    pub fn digest(&self, scope: &str, input: &[u8]) -> [u8; 16] {
        let mut hasher = self.seeds;
        hasher.write(scope.as_bytes());
        hasher.write(&[0]);
        hasher.write(input);
        hasher.finish128().as_bytes()
    }

    /// 32 bytes of BLAKE2s-256 keyed with the secret, of `scope`, a zero byte and `input`:
    /// the `hash` transformer's output, which users may keep as an identifier.
    pub fn wide_digest(&self, scope: &str, input: &[u8]) -> [u8; 32] {
        let mut core = self.wide.clone();
        let mut buffer = Buffer::<Blake2sVarCore>::default();
        for part in [scope.as_bytes(), &[0], input] {
            buffer.digest_blocks(part, |blocks| core.update_blocks(blocks));
        }
        let mut output = Default::default();
        core.finalize_variable_core(&mut buffer, &mut output);
        output.into()
    }

    /// A short public name of the key (16 hex digits of a keyed BLAKE2s of a fixed text):
    /// equal for equal keys, of no use for finding the key.
    pub fn fingerprint(&self) -> String {
        crate::output::hex(&self.wide_digest("restage key fingerprint", &[])[..8])
    }

    /// The stream of one value's fake.
    pub fn rng(&self, scope: &str, input: &[u8]) -> ValueRng {
        ValueRng::from_seed(self.digest(scope, input))
    }

    /// A lower-case base32 tag of `chars` characters (5 bits each, at most 25), for unique
    /// suffixes.
    pub fn tag(&self, scope: &str, input: &[u8], chars: usize) -> String {
        tag_of(&self.digest(scope, input), chars)
    }

    /// The RNG of [`Keyer::rng`] and the tag of [`Keyer::tag`] for one value, from one hash.
    pub fn rng_and_tag(&self, scope: &str, input: &[u8], chars: usize) -> (ValueRng, String) {
        let digest = self.digest(scope, input);
        (ValueRng::from_seed(digest), tag_of(&digest, chars))
    }
}

/// The first `chars` base32 characters (at most 25) of a digest.
fn tag_of(digest: &[u8; 16], chars: usize) -> String {
    const ALPHABET: &[u8; 32] = b"abcdefghijkmnpqrstuvwxyz23456789";
    let mut bits = u128::from_le_bytes(*digest);
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
    use rand::RngCore;

    #[test]
    fn depends_on_key_scope_and_input_only() {
        let keyer = Keyer::from_secret("k");
        for digest in [Keyer::digest, |k: &Keyer, s: &str, i: &[u8]| {
            k.wide_digest(s, i)[..16].try_into().expect("16 bytes")
        }] {
            assert_eq!(
                digest(&keyer, "email", b"a"),
                digest(&Keyer::from_secret("k"), "email", b"a")
            );
            assert_ne!(
                digest(&keyer, "email", b"a"),
                digest(&Keyer::from_secret("other"), "email", b"a")
            );
            assert_ne!(digest(&keyer, "email", b"a"), digest(&keyer, "name", b"a"));
            assert_ne!(digest(&keyer, "email", b"a"), digest(&keyer, "email", b"b"));
            // The zero byte keeps scope and input apart.
            assert_ne!(digest(&keyer, "ab", b"c"), digest(&keyer, "a", b"bc"));
        }
        assert_eq!(keyer.tag("s", b"x", 13).len(), 13);
        let (_, tag) = keyer.rng_and_tag("s", b"x", 13);
        assert_eq!(tag, keyer.tag("s", b"x", 13));
    }

    /// The seeds and streams are pinned: a change here changes every fake of every staging
    /// database, which the README must then say.
    #[test]
    fn seeds_and_streams_are_those_of_this_version() {
        let keyer = Keyer::from_secret("restage");
        let hex = |bytes: &[u8]| -> String { bytes.iter().map(|b| format!("{b:02x}")).collect() };
        let digest = keyer.digest("email", b"mary@example.com");
        let mut rng = keyer.rng("email", b"mary@example.com");
        let stream = [rng.next_u64(), rng.next_u64()];
        assert_eq!(
            (hex(&digest), stream),
            (SEED_OF_MARY.to_owned(), STREAM_OF_MARY)
        );
        assert_eq!(keyer.tag("email", b"mary@example.com", 13), TAG_OF_MARY);
    }

    const SEED_OF_MARY: &str = "8275dd82068dac0396a7dd0b02bd47fe";
    const STREAM_OF_MARY: [u64; 2] = [9018413692435052694, 18199294207601541276];
    const TAG_OF_MARY: &str = "cn74pb4apemha";

    /// `hash` is keyed BLAKE2s itself (so its outputs stay what earlier versions made), at
    /// every length around the block boundaries.
    #[test]
    fn wide_digest_equals_keyed_blake2s_at_every_length() {
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
                    keyer.wide_digest(scope, &input),
                    expected,
                    "{scope:?}, {length} bytes"
                );
            }
        }
    }

    /// The seed is SipHash-2-4-128 of scope, zero byte and input, as the reference computes
    /// it in one piece.
    #[test]
    fn digest_is_siphash_of_scope_zero_and_input() {
        let key: [u8; 32] = Blake2s256::digest(b"secret").into();
        let keyer = Keyer::with_key(key);
        let reference = SipHasher24::new_with_key(&key[..16].try_into().expect("16 bytes"));
        for length in [0, 1, 7, 8, 9, 15, 16, 17, 64, 200] {
            let input: Vec<u8> = (0..length).map(|i| (i * 7) as u8).collect();
            let message = [b"scope".as_slice(), &[0], &input].concat();
            assert_eq!(
                keyer.digest("scope", &input),
                reference.hash(&message).as_bytes(),
                "{length} bytes"
            );
        }
    }
}
