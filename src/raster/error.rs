//! The rasterizer's one error type.

use clipvg_document::LimitExceeded;

use crate::compute::ComputeError;

/// What can go wrong rendering or differentiating a scene.
#[derive(Debug, thiserror::Error)]
pub enum RasterError {
    /// A request the rasterizer cannot honour (size, background colour, ...).
    #[error("{0}")]
    InvalidInput(String),

    /// The GPU failed while running (device lost, out of memory, a shader error, ...).
    #[error("GPU error: {0}")]
    Gpu(String),

    /// A budget of [`clipvg_document::Limits`] would be exceeded.
    #[error("{0}")]
    Limit(LimitExceeded),

    /// No device for the requested backend.
    #[error(transparent)]
    Compute(#[from] ComputeError),
}

/// Shorthand used across the crate.
pub type Result<T, E = RasterError> = std::result::Result<T, E>;
