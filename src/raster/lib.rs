//! The differentiable rasterizer.
//!
//! Stages, numbered alike here, in every module header and in every shader header of
//! `shaders/` (each per-pixel or per-item stage has a WGSL twin and a CPU twin of the same name
//! in [`cpu`], compared stage by stage in `tests/raster/gpu.rs`):
//! 1. [`prepare`] (CPU): flatten cubics to lines whose endpoints are linear in the control
//!    points; expand strokes into outlines; one *layer* per painted fill or stroke.
//! 2. [`rows`] (CPU): bin each layer's lines into the pixel rows they cross; one *item* per
//!    layer and row.
//! 3. `coverage` ([`coverage`] maths, `shaders/coverage.wgsl`): exact area coverage of each
//!    pixel by each item (accumulation + prefix sum).
//! 4. `composite` (`shaders/composite.wgsl`): source-over in painter's order.
//!
//! The backward pass mirrors them: 3 again, then
//! 5. `composite_backward`: the composite in reverse → dL/dA and dL/d colour per item cell;
//! 6. `color_reduce`: dL/d colour per cell → per colour slot of each item;
//! 7. `coverage_backward`: dL/dA → dL/d line endpoints, per (item, line) slot;
//! 8. `line_reduce`: the slots of each line added in a fixed order;
//!
//! then (CPU, [`Frame::to_scene_grad`]) outline Jacobians → Bernstein weights → dL/d control
//! points. Every derivative is the derivative of what the forward computes (checked by finite
//! differences in the tests), not a sampled estimate. The GPU buffers' records are the
//! `#[repr(C)]` structs of [`layout`], mirrored by WGSL structs.

pub mod compute;
pub mod coverage;
pub mod cpu;
pub mod dual;
mod error;
pub mod gpu;
pub mod layout;
pub mod op;
pub mod paint;
pub mod params;
pub mod prepare;
pub mod resample;
pub mod rows;
pub mod stroke;
pub mod view_op;

pub use clipvg_document::{LimitExceeded, Limits};
pub use error::{RasterError, Result};

use crate::error::RasterError as Error;
use clipvg_document::scene::Scene;

/// Largest render side accepted.
pub const MAX_SIDE: u32 = 16_384;

/// A straight-alpha RGBA image, `height × width × 4` floats in [0, 1].
#[derive(Clone, Debug, PartialEq)]
pub struct Image {
    pub width: u32,
    pub height: u32,
    pub data: Vec<f32>,
}

impl Image {
    /// Converts to 8-bit RGBA (rounded).
    pub fn to_rgba8(&self) -> image::RgbaImage {
        let bytes: Vec<u8> = self.data.iter().map(|v| (v.clamp(0.0, 1.0) * 255.0).round() as u8).collect();
        image::RgbaImage::from_raw(self.width, self.height, bytes).expect("buffer size matches")
    }
}

/// Gradients of a loss with respect to the scene parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct SceneGrad {
    /// dL/d points `[P, 2]` (canvas space).
    pub points: Vec<[f32; 2]>,
    /// dL/d colours `[C, 4]` (straight RGBA).
    pub colors: Vec<[f32; 4]>,
    /// dL/d stroke widths `[W]` (canvas pixels).
    pub stroke_widths: Vec<f32>,
}

/// A scene prepared for rendering at one size: flattened, stroked and binned. Reuse it for the
/// backward pass of the same parameters.
pub struct Frame {
    pub prepared: prepare::Prepared,
    pub rows: rows::Rows,
    pub background: [f32; 4],
}

/// Checks a render size.
pub fn check_size(width: u32, height: u32) -> Result<()> {
    if width == 0 || height == 0 || width > MAX_SIDE || height > MAX_SIDE {
        return Err(Error::InvalidInput(format!(
            "render size {width}×{height} is outside 1…{MAX_SIDE} pixels per side"
        )));
    }
    Ok(())
}

/// Checks `render_pixels` for a `width × height` render.
pub fn check_pixels(width: u32, height: u32, limits: &Limits) -> Result<()> {
    Limits::check("render_pixels", "pixels in one render", width as u64 * height as u64, limits.render_pixels)
        .map_err(Error::Limit)
}

/// Estimated peak bytes of a CPU render (with `backward`: and its backward pass through the
/// burn operation), once `prepared` exists and its binning will make `entries` (row, line)
/// entries ([`rows::count_entries`]): the prepared geometry, the row index, the image (and an
/// 8-bit copy); for the backward pass the image gradient and the copies the burn operation
/// makes of both, the per-entry line gradients and the per-line, per-vertex sums. An estimate
/// (±30 %), not an accounting.
pub fn memory_estimate(prepared: &prepare::Prepared, entries: u64, backward: bool) -> u64 {
    let p = prepared;
    let pixels = p.width as u64 * p.height as u64;
    let vertices = p.positions.len() as u64;
    let lines = p.lines.len() as u64;
    let geometry = vertices * (8 + 16) // positions, gradient per vertex
        + p.base.len() as u64 * std::mem::size_of::<prepare::BaseVertex>() as u64
        + p.derived.len() as u64 * std::mem::size_of::<stroke::OutlineVertex>() as u64
        + lines * (8 + 16); // line ids, gradient per line
    // Binning: (row, line) pairs, line ids and their reordered copy; layer rows ≤ entries.
    let rows = entries * (8 + 4 + 4)
        + entries.min(p.layers.len() as u64 * p.height as u64) * 2 * std::mem::size_of::<rows::LayerRow>() as u64;
    if backward {
        // One line gradient (16 B) per entry (colour slots are fewer); the image, dL/d image,
        // and their host/tensor copies around the burn operation.
        geometry + rows + entries * 16 + pixels * 16 * 4
    } else {
        // The float image and its 8-bit copy.
        geometry + rows + pixels * (16 + 4)
    }
}

/// What counts as "too much memory" in a [`Limits::check`].
pub(crate) const MEMORY_WHAT: &str = "bytes of memory (estimated)";

impl Frame {
    /// Prepares `scene` for a `width × height` render over `background` (straight RGBA), within
    /// the default [`Limits`].
    pub fn new(scene: &Scene, width: u32, height: u32, background: [f32; 4]) -> Result<Frame> {
        Self::with_limits(scene, width, height, background, &Limits::default())
    }

    /// [`Frame::new`] within `limits`: `render_pixels` before anything else, `flattened_lines`
    /// while flattening and outlining (see [`prepare::prepare`]), and `memory_bytes` for the
    /// estimate of [`memory_estimate`] (of a forward render) before the row index and the
    /// render buffers exist.
    pub fn with_limits(scene: &Scene, width: u32, height: u32, background: [f32; 4], limits: &Limits) -> Result<Frame> {
        Self::with_budget(scene, width, height, background, limits, false, 0)
    }

    /// [`Frame::with_limits`] for a render that will also run `backward`, where `other_bytes`
    /// of the memory budget are needed by buffers that live beside it (the views and the CLIP
    /// batch of an edit).
    pub fn with_budget(
        scene: &Scene,
        width: u32,
        height: u32,
        background: [f32; 4],
        limits: &Limits,
        backward: bool,
        other_bytes: u64,
    ) -> Result<Frame> {
        check_size(width, height)?;
        check_pixels(width, height, limits)?;
        let prepared = prepare::prepare(scene, width, height, limits).map_err(Error::Limit)?;
        let entries = rows::count_entries(&prepared);
        let needed = memory_estimate(&prepared, entries, backward).saturating_add(other_bytes);
        Limits::check("memory_bytes", MEMORY_WHAT, needed, limits.memory_bytes).map_err(Error::Limit)?;
        let rows = rows::bin(&prepared);
        Ok(Frame { prepared, rows, background })
    }

    /// Renders on the CPU.
    pub fn render_cpu(&self, scene: &Scene) -> Image {
        let p = &self.prepared;
        let mut data = vec![0.0; p.width as usize * p.height as usize * 4];
        cpu::forward(scene, p, &self.rows, self.background, &mut data);
        Image { width: p.width, height: p.height, data }
    }

    /// Backward on the CPU: `grad` is dL/d image (same layout as [`Image::data`]).
    pub fn backward_cpu(&self, scene: &Scene, grad: &[f32]) -> Result<SceneGrad> {
        let p = &self.prepared;
        if grad.len() != p.width as usize * p.height as usize * 4 {
            return Err(Error::InvalidInput(format!(
                "image gradient has {} values, expected {}",
                grad.len(),
                p.width as usize * p.height as usize * 4
            )));
        }
        let raw = cpu::backward(scene, p, &self.rows, self.background, grad);
        Ok(self.to_scene_grad(scene, &raw.lines, raw.colors))
    }

    /// Chains dL/d line endpoints (render px) back to the scene parameters.
    pub fn to_scene_grad(&self, scene: &Scene, lines: &[[f32; 4]], colors: Vec<[f32; 4]>) -> SceneGrad {
        let p = &self.prepared;
        let mut vert = vec![[0.0f64; 2]; p.positions.len()];
        for (l, g) in p.lines.iter().zip(lines) {
            vert[l[0] as usize][0] += g[0] as f64;
            vert[l[0] as usize][1] += g[1] as f64;
            vert[l[1] as usize][0] += g[2] as f64;
            vert[l[1] as usize][1] += g[3] as f64;
        }
        let nb = p.base.len();
        let mut widths = vec![0.0f64; scene.stroke_widths.len()];
        for (i, dv) in p.derived.iter().enumerate() {
            let g = vert[nb + i];
            if g == [0.0, 0.0] {
                continue;
            }
            let h = p.stroke_widths[dv.width as usize] / 2.0;
            let jac = dv.jacobian(&p.positions, h);
            for (j, &input) in dv.inputs.iter().enumerate() {
                vert[input as usize][0] += g[0] * jac[0][2 * j] + g[1] * jac[1][2 * j];
                vert[input as usize][1] += g[0] * jac[0][2 * j + 1] + g[1] * jac[1][2 * j + 1];
            }
            // h = w_render / 2 = w_scene · width_scale / 2.
            widths[dv.width as usize] += (g[0] * jac[0][6] + g[1] * jac[1][6]) * 0.5 * p.width_scale() as f64;
        }
        let mut points = vec![[0.0f64; 2]; scene.points.len()];
        for (b, g) in p.base.iter().zip(&vert) {
            for k in 0..4 {
                let c = b.ctrl[k] as usize;
                points[c][0] += b.w[k] as f64 * g[0] * p.scale[0] as f64;
                points[c][1] += b.w[k] as f64 * g[1] * p.scale[1] as f64;
            }
        }
        SceneGrad {
            points: points.into_iter().map(|g| [g[0] as f32, g[1] as f32]).collect(),
            colors,
            stroke_widths: widths.into_iter().map(|w| w as f32).collect(),
        }
    }
}

/// Renders a scene on the CPU in one call (default [`Limits`]).
pub fn render(scene: &Scene, width: u32, height: u32, background: [f32; 4]) -> Result<Image> {
    render_limited(scene, width, height, background, &Limits::default())
}

/// [`render`] within `limits`.
pub fn render_limited(scene: &Scene, width: u32, height: u32, background: [f32; 4], limits: &Limits) -> Result<Image> {
    Ok(Frame::with_limits(scene, width, height, background, limits)?.render_cpu(scene))
}

/// The render size whose long side is `long_side` (aspect of the canvas kept, each side at
/// least one pixel, at most [`MAX_SIDE`]), within the `render_pixels` budget of `limits`: the
/// `render_size` of a render request.
pub fn long_side_size(canvas_w: f64, canvas_h: f64, long_side: u32, limits: &Limits) -> Result<(u32, u32)> {
    let scale = long_side as f64 / canvas_w.max(canvas_h);
    let side = |v: f64| ((v * scale).round() as u32).max(1);
    let (w, h) = output_size(canvas_w, canvas_h, Some(side(canvas_w)), Some(side(canvas_h)))?;
    Limits::check("render_pixels", "pixels in the render", w as u64 * h as u64, limits.render_pixels)
        .map_err(Error::Limit)?;
    Ok((w, h))
}

/// Output size of a render: both sides, one side (the other from the canvas aspect), or the
/// canvas size itself — scaled down, aspect kept, to at most [`MAX_SIDE`] pixels per side when
/// the canvas is larger (see [`canvas_exceeds_max`]). A side derived from the aspect that
/// exceeds the limit is an error, never a distorted image.
pub fn output_size(canvas_w: f64, canvas_h: f64, width: Option<u32>, height: Option<u32>) -> Result<(u32, u32)> {
    let round = |v: f64| v.round().clamp(1.0, u32::MAX as f64) as u32;
    let (w, h) = match (width, height) {
        (Some(w), Some(h)) => (w, h),
        (Some(w), None) => (w, round(w as f64 * canvas_h / canvas_w)),
        (None, Some(h)) => (round(h as f64 * canvas_w / canvas_h), h),
        (None, None) => {
            let fit = (MAX_SIDE as f64 / canvas_w.max(canvas_h)).min(1.0);
            (round(canvas_w * fit).min(MAX_SIDE), round(canvas_h * fit).min(MAX_SIDE))
        }
    };
    check_size(w, h)?;
    Ok((w, h))
}

/// Whether a render at the canvas size had to be scaled down to [`MAX_SIDE`].
pub fn canvas_exceeds_max(canvas_w: f64, canvas_h: f64) -> bool {
    canvas_w.max(canvas_h).round() > MAX_SIDE as f64
}

/// Parses a background: `white`, `none`/`transparent`, or any SVG colour (`#rrggbb`, names,
/// `rgb()`...). Returns straight RGBA.
pub fn parse_background(s: &str) -> Result<[f32; 4]> {
    match s.trim() {
        "none" | "transparent" => Ok([0.0; 4]),
        other => clipvg_document::scene::parse_color(other).map(|c| c.map(|v| v as f32)).ok_or_else(|| {
            Error::InvalidInput(format!("unknown background colour \"{s}\" (use white, none or #rrggbb)"))
        }),
    }
}

/// Renders with the chosen backend: the CPU rasterizer directly, or the WGSL stages through
/// burn's wgpu device. GPU failures (device lost, out of memory) become [`Error::Gpu`].
pub fn render_with(
    scene: &Scene,
    width: u32,
    height: u32,
    background: [f32; 4],
    backend: crate::compute::BackendChoice,
) -> Result<Image> {
    render_with_limits(scene, width, height, background, backend, &Limits::default())
}

/// [`render_with`] within `limits` (checked on the host before any GPU buffer exists).
pub fn render_with_limits(
    scene: &Scene,
    width: u32,
    height: u32,
    background: [f32; 4],
    backend: crate::compute::BackendChoice,
    limits: &Limits,
) -> Result<Image> {
    use crate::compute::{BackendChoice, has_hardware_gpu};
    let use_gpu = match backend {
        BackendChoice::Cpu => false,
        BackendChoice::Gpu => true,
        BackendChoice::Auto => has_hardware_gpu(),
    };
    if !use_gpu {
        return render_limited(scene, width, height, background, limits);
    }
    // The same checks the operation's frame makes, as an error rather than inside burn.
    drop(Frame::with_limits(scene, width, height, background, limits)?);
    let device = crate::compute::device_for(BackendChoice::Gpu)?;
    let job = op::RasterJob { scene: std::sync::Arc::new(scene.clone()), width, height, background, limits: *limits };
    let run = || -> Vec<f32> {
        let (p, c, w) = op::scene_tensors(scene, &device);
        let img = op::render_tensor(p, c, w, job);
        img.into_data().convert::<f32>().try_into_vec::<f32>().unwrap_or_default()
    };
    let data =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(run)).map_err(|e| match e.downcast::<Error>() {
            Ok(err) => *err,
            Err(e) => Error::Gpu(panic_message(&e)),
        })?;
    if data.len() != width as usize * height as usize * 4 {
        return Err(Error::Gpu("the GPU returned an image of the wrong size".into()));
    }
    Ok(Image { width, height, data })
}

/// The message of a caught panic.
/// A budget exceeded inside a burn operation (where no `Result` can be returned) unwinds with
/// an [`Error`] as its payload (see `op`); its message is the error's.
pub fn panic_message(e: &Box<dyn std::any::Any + Send>) -> String {
    e.downcast_ref::<String>()
        .cloned()
        .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
        .or_else(|| e.downcast_ref::<Error>().map(|e| e.to_string()))
        .unwrap_or_else(|| "unknown failure".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_sides_scale_the_canvas_within_the_pixel_budget() {
        let limits = Limits::default();
        assert_eq!(long_side_size(200.0, 100.0, 50, &limits).unwrap(), (50, 25));
        assert_eq!(long_side_size(100.0, 300.0, 64, &limits).unwrap(), (21, 64));
        let tight = Limits { render_pixels: 100, ..Limits::default() };
        assert!(matches!(long_side_size(100.0, 100.0, 64, &tight), Err(Error::Limit(_))));
    }

    #[test]
    fn sizes_and_backgrounds() {
        assert_eq!(output_size(36.0, 18.0, Some(100), None).unwrap(), (100, 50));
        assert_eq!(output_size(36.0, 18.0, None, None).unwrap(), (36, 18));
        assert!(output_size(36.0, 18.0, Some(0), None).is_err());
        assert!(output_size(36.0, 18.0, Some(20_000), Some(1)).is_err());
        // A huge canvas is fitted with its aspect kept; a derived side too large is an error.
        assert_eq!(output_size(100_000.0, 50_000.0, None, None).unwrap(), (MAX_SIDE, MAX_SIDE / 2));
        assert!(canvas_exceeds_max(100_000.0, 50_000.0) && !canvas_exceeds_max(36.0, 18.0));
        assert!(output_size(100.0, 10_000.0, Some(200), None).is_err());
        assert_eq!(parse_background("white").unwrap(), [1.0; 4]);
        assert_eq!(parse_background("none").unwrap(), [0.0; 4]);
        assert_eq!(parse_background("#ff0000").unwrap(), [1.0, 0.0, 0.0, 1.0]);
        assert!(parse_background("bogus").is_err());
    }
}
