//! Typed configurations from TOML tables, with one error wording everywhere.
//!
//! Every config in nerve (an env's, a policy's, a learner's) is a serde struct with
//! `deny_unknown_fields` and defaults. [`parse`] reads one from a table over the type's
//! defaults; [`parse_over`] reads one over a given base value (nested tables merge key by key),
//! for configs whose defaults depend on the id (a motor's, a disturbed blimp's). An error is a
//! [`ConfigError`] naming the thing configured and what was wrong with which key; each crate
//! wraps it into its own error type.

use std::fmt;

use serde::de::DeserializeOwned;
use serde::Serialize;

/// A config that could not be read: which thing it configures (`Swimmer6-v0`, `policy \`mlp\``,
/// `agent \`ppo\``) and serde's message, which names the key and what it expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub what: String,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: invalid config: {}", self.what, self.message)
    }
}

impl std::error::Error for ConfigError {}

/// Reads `T` from `table` over `T::default()` (`None`: the defaults).
pub fn parse<T: DeserializeOwned + Default>(what: &str, table: Option<&toml::Table>) -> Result<T, ConfigError> {
    match table {
        None => Ok(T::default()),
        Some(t) => toml::Value::Table(t.clone())
            .try_into()
            .map_err(|e: toml::de::Error| ConfigError { what: what.to_string(), message: e.message().to_string() }),
    }
}

/// Reads `T` from `table` on top of `base`: keys absent from `table` keep `base`'s values, and
/// nested tables merge key by key (a nested table whose `type` changes replaces the base's,
/// since the other variant's keys do not apply).
pub fn parse_over<T: Serialize + DeserializeOwned>(what: &str, base: T, table: Option<&toml::Table>) -> Result<T, ConfigError> {
    let Some(table) = table else { return Ok(base) };
    let err = |message: String| ConfigError { what: what.to_string(), message };
    let mut merged = toml::Table::try_from(&base).map_err(|e| err(e.to_string()))?;
    merge(&mut merged, table);
    toml::Value::Table(merged).try_into().map_err(|e: toml::de::Error| err(e.message().to_string()))
}

/// `value` as a TOML table (every key of a config at its value; empty if it is not a table).
pub fn to_table<T: Serialize>(value: &T) -> toml::Table {
    toml::Table::try_from(value).unwrap_or_default()
}

/// Merges `over` into `base` key by key (see [`parse_over`]).
pub fn merge(base: &mut toml::Table, over: &toml::Table) {
    for (key, value) in over {
        match (base.get_mut(key), value) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) if o.get("type").is_none_or(|t| Some(t) == b.get("type")) => merge(b, o),
            _ => {
                base.insert(key.clone(), value.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields, default)]
    struct Cfg {
        gain: f64,
        inner: Inner,
    }

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields, default)]
    struct Inner {
        a: u32,
        b: u32,
    }

    impl Default for Cfg {
        fn default() -> Self {
            Self { gain: 1.0, inner: Inner::default() }
        }
    }

    impl Default for Inner {
        fn default() -> Self {
            Self { a: 1, b: 2 }
        }
    }

    #[test]
    fn unknown_keys_are_named() {
        let t: toml::Table = "gian = 2.0".parse().unwrap();
        let e = parse::<Cfg>("thing `x`", Some(&t)).unwrap_err();
        assert!(e.to_string().starts_with("thing `x`: invalid config: unknown field `gian`"), "{e}");
    }

    #[test]
    fn parse_over_merges_nested_tables_key_by_key() {
        let base = Cfg { gain: 3.0, inner: Inner { a: 7, b: 8 } };
        let t: toml::Table = "[inner]\nb = 9".parse().unwrap();
        let c = parse_over("x", base, Some(&t)).unwrap();
        assert_eq!(c, Cfg { gain: 3.0, inner: Inner { a: 7, b: 9 } });
        assert_eq!(parse::<Cfg>("x", None).unwrap(), Cfg::default());
    }
}
