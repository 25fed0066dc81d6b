//! clipvg's document stage: a lossless SVG [`svg::Document`], the flat differentiable
//! [`scene::Scene`] built from it, and [`scene::write_back`] of new parameters as byte splices of
//! the original text.
//!
//! This crate has no GPU or machine-learning dependencies, so it builds in seconds and can be
//! tested and fuzzed on its own (see `tests/fuzz`).

pub mod error;
pub mod limits;
pub mod progress;
pub mod scene;
pub mod svg;

pub use error::{Error, Result};
pub use limits::{LimitExceeded, Limits};
pub use progress::{Observer, Stage, no_progress};
