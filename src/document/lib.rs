//! clipvg's document stage: a lossless SVG [`svg::Document`], the flat differentiable
//! [`scene::Scene`] built from it, and [`scene::write_back`] of new parameters as byte splices of
//! the original text.
//!
//! This crate has no GPU or machine-learning dependencies, so it builds in seconds and can be
//! tested and fuzzed on its own (the fuzz targets are in `tests/fuzz` at the repository root).
//!
//! It runs inside other programs (a vector editor loads clipvg as a library), so no input may
//! crash, exhaust or hang its host:
//! * nothing recurses on the input: parsing, indexing, the cascade, `<use>` expansion, the scene
//!   walk and path data are loops over explicit stacks, and work on a 256 KB thread stack;
//! * everything that expands or allocates is checked against one [`Limits`] value *before* the
//!   work is done ([`Error::Limit`] names the budget and how to raise it), and nothing is
//!   super-linear in the input;
//! * the `_with` entry points ([`svg::Document::parse_with`], [`scene::build_with`],
//!   [`scene::write_back_with`]) report progress to an [`Observer`] every few thousand units of
//!   work, and stop with [`Error::Cancelled`] when it says so;
//! * write-back refuses what it cannot splice exactly (elements from DTD entities:
//!   [`Error::FromEntity`]) and re-parses and checks its output before returning it
//!   ([`Error::EditedUnparsable`], [`Error::WriteBack`]).
//!
//! It also holds clipvg's one atomic file writer, [`fs::write_atomic`], shared by the engine
//! and the CLIP registry (the one crate below both with no heavy dependencies).

pub mod error;
pub mod fs;
pub mod limits;
pub mod message;
pub mod progress;
pub mod scene;
pub mod svg;

pub use error::{ElementProblem, Error, Result, WriteBackFault};
pub use limits::{LimitExceeded, Limits};
pub use progress::{Observer, Stage, no_progress};
