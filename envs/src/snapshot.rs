//! Env snapshots: an env's complete state as bytes, for exact resume of training.
//!
//! [`Env::snapshot`](crate::Env::snapshot) and [`Env::restore`](crate::Env::restore) carry
//! everything that decides an env's future (its body, its random generator, its episode
//! counters), so that a restored env continues every trajectory bit for bit. The encoding is
//! CBOR (via `ciborium`): binary, self-describing, and exact for every `f32`/`f64`, NaN and ∞
//! included (JSON is not). Nested snapshots (a wrapper's inner env, a VecEnv's envs) are CBOR
//! byte strings inside the outer one.

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::env::EnvError;

/// Encodes `value` as CBOR.
pub fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    let mut bytes = Vec::new();
    ciborium::into_writer(value, &mut bytes).expect("writing CBOR into memory cannot fail");
    bytes
}

/// Decodes a snapshot of env `env`; the error names the env and what was wrong.
pub fn decode<T: DeserializeOwned>(env: &str, bytes: &[u8]) -> Result<T, EnvError> {
    ciborium::from_reader(bytes).map_err(|e| EnvError::Snapshot { env: env.to_string(), message: format!("not a readable snapshot of this env ({e})") })
}

/// `#[serde(with = "bytes")]`: a `Vec<u8>` as one CBOR byte string (serde's default writes an
/// array of integers, up to twice the size).
pub mod bytes {
    use serde::de::{Error, SeqAccess, Visitor};
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(v)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        struct Bytes;
        impl<'de> Visitor<'de> for Bytes {
            type Value = Vec<u8>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a byte string")
            }
            fn visit_bytes<E: Error>(self, v: &[u8]) -> Result<Vec<u8>, E> {
                Ok(v.to_vec())
            }
            fn visit_byte_buf<E: Error>(self, v: Vec<u8>) -> Result<Vec<u8>, E> {
                Ok(v)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<u8>, A::Error> {
                let mut out = Vec::new();
                while let Some(b) = seq.next_element()? {
                    out.push(b);
                }
                Ok(out)
            }
        }
        d.deserialize_byte_buf(Bytes)
    }
}
