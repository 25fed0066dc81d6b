//! Command-line values of the request crate's named enums (`--backend gpu`, `--mode colour`):
//! the names, aliases and help come from the enum's one table ([`clipvg_request::Named`]), so
//! the library types need no clap derive.

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use clipvg_request::Named;

/// A clap value parser for `T`, listing its names with their help in `--help`.
pub fn named<T: Named + Send + Sync>() -> impl TypedValueParser<Value = T> {
    let values = T::VALUES.iter().map(|v| PossibleValue::new(v.name).help(v.help).aliases(v.aliases.iter().copied()));
    PossibleValuesParser::new(values).try_map(|name| T::from_name(&name).ok_or_else(|| format!("unknown value {name}")))
}
