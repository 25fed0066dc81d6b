//! The differentiable rasterizer against independent references: resvg/tiny-skia for the forward
//! pass, finite differences for the gradients, the CPU twins for every WGSL stage, burn's
//! autodiff end to end, and the budgets. One test binary; run one part with `cargo test
//! --release --test raster grad::`.

mod fit;
mod forward;
mod gpu;
mod grad;
mod limits;
