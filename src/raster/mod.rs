//! The differentiable rasterizer.
//!
//! Stages (each a module, each with a WGSL twin in `shaders/` where it runs per pixel):
//! 1. [`prepare`] (CPU): flatten cubics to lines whose endpoints are linear in the control
//!    points; expand strokes into outlines; one *layer* per painted fill or stroke.
//! 2. [`rows`] (CPU): bin each layer's lines into the pixel rows they cross.
//! 3. [`coverage`]: exact area coverage of each pixel by each layer (accumulation + prefix sum).
//! 4. composite ([`cpu`], `shaders/composite*.wgsl`): source-over in painter's order.
//!
//! The backward pass mirrors them: composite backward → dL/dA per layer pixel → coverage
//! backward → dL/d line endpoints → outline Jacobians → Bernstein weights → dL/d control
//! points. Every derivative is the derivative of what the forward computes (checked by finite
//! differences in the tests), not a sampled estimate.

pub mod coverage;
pub mod cpu;
pub mod dual;
pub mod paint;
pub mod prepare;
pub mod rows;
pub mod stroke;

use crate::error::{Error, Result};
use crate::scene::Scene;

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

impl Frame {
    /// Prepares `scene` for a `width × height` render over `background` (straight RGBA).
    pub fn new(scene: &Scene, width: u32, height: u32, background: [f32; 4]) -> Result<Frame> {
        check_size(width, height)?;
        let prepared = prepare::prepare(scene, width, height);
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

/// Renders a scene on the CPU in one call.
pub fn render(scene: &Scene, width: u32, height: u32, background: [f32; 4]) -> Result<Image> {
    Ok(Frame::new(scene, width, height, background)?.render_cpu(scene))
}
