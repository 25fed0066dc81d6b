//! clipvg — text-guided editing of vector graphics (CLIPVG, AAAI 2023) as a library.
//!
//! The data path: [`svg::Document`] (lossless SVG) → [`scene::Scene`] (flat differentiable
//! scene) → rasterizer → CLIP loss → gradients → scene → write-back into the document.

pub mod clip;
pub mod compute;
pub mod edit;
pub mod error;
pub mod inspect;
pub mod plugin;
pub mod raster;
pub mod util;
pub mod vectorize;

pub use clipvg_document::{scene, svg};
pub use error::{Error, Result};
