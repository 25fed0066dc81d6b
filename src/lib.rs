//! clipvg — text-guided editing of vector graphics (CLIPVG, AAAI 2023) as a library.
//!
//! The data path: [`svg::Document`] (lossless SVG) → [`scene::Scene`] (flat differentiable
//! scene) → rasterizer → CLIP loss → gradients → scene → write-back into the document.

pub mod edit;
pub mod error;
pub mod inspect;
pub mod optim;
pub mod plugin;
pub mod util;
pub mod vectorize;

pub use clipvg_clip as clip;
pub use clipvg_document::{scene, svg};
pub use clipvg_raster as raster;
pub use clipvg_raster::compute;
pub use clipvg_request as request;
pub use error::{Error, Result};
