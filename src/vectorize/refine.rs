//! Refinement: fit the stacked paths to the bitmap with the differentiable rasterizer.
//!
//! `L = mean (render(points, colours) − bitmap)²` over white, minimised by burn's Adam on the
//! control points (canvas pixels) and the RGB of the fills (alpha stays 1: the traced shapes are
//! opaque). Tracing leaves hairline gaps and colour quantisation; a few steps close most of
//! them. The result goes back into the layered SVG through [`scene::write_back`], so only `d`
//! and `fill` of the paths change.

use std::time::Instant;

use burn::tensor::{Device, Tensor, TensorData};
use serde::{Deserialize, Serialize};

use super::Progress;
use super::metrics::{WHITE, psnr};
use crate::compute::{BackendChoice, device_for};
use crate::error::{Error, Result};
use crate::optim::MaskedAdam;
use crate::plugin::guard::catch_gpu;
use crate::raster::op::{RasterJob, render_tensor};
use crate::raster::params::{host_values, scene_tensors, unflatten_rows, with_params};
use crate::scene::{self, BuildOptions, Scene, Trainable, WriteBack};
use crate::svg::Document;

/// Adam step on control points, canvas pixels. Measured on the three scikit-image photos at
/// 512 px, 200 steps: 0.1 gave astronaut 27.6 dB, 0.2 28.1 dB, 0.3 28.3 dB (with colour 0.02);
/// a linear decay or a first half at half resolution gained nothing.
pub const SHAPE_LR: f64 = 0.3;
/// Adam step on colour channels in [0, 1].
pub const COLOR_LR: f64 = 0.02;

/// The most steps a time budget buys (a tiny picture would otherwise buy thousands that no
/// longer change it).
pub const MAX_BUDGET_STEPS: usize = 600;

/// Seconds one refinement step takes on the reference machine (2 x86-64 cores, the CPU
/// backend): a fixed cost per step, per pixel and per cubic segment. Fitted to steps measured
/// on the scikit-image photos (`clipvg vectorize --refine 20`): astronaut at 256 px (11k
/// segments) 0.040 s, at 512 px (42k) 0.126 s, at 1024 px (125k) 0.465 s; coffee at 512 px
/// 0.087 s; the model gives 0.036, 0.131, 0.472 and 0.086 s.
const STEP_SECONDS: (f64, f64, f64) = (5e-3, 3.5e-7, 0.8e-6);

/// How long refinement runs.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefineBudget {
    /// Exactly this many steps (0: no refinement).
    Steps(usize),
    /// As many steps as fit in this many seconds of the reference machine (2 CPU cores),
    /// counted by a fixed cost model before the run, at most [`MAX_BUDGET_STEPS`]: the same
    /// picture and budget always give the same steps (and bytes), whatever the machine's load.
    Seconds(f64),
}

impl Default for RefineBudget {
    fn default() -> Self {
        RefineBudget::from_request(
            clipvg_request::fields::REFINE_STEPS.number() as i64,
            clipvg_request::fields::REFINE_SECONDS.number(),
        )
    }
}

impl RefineBudget {
    /// The request's `refine_steps` (≥ 0: that many; -1: the budget) and `refine_seconds`.
    pub fn from_request(steps: i64, seconds: f64) -> RefineBudget {
        match usize::try_from(steps) {
            Ok(n) => RefineBudget::Steps(n),
            Err(_) => RefineBudget::Seconds(seconds),
        }
    }

    /// The steps for a `w × h` canvas whose paths have `segments` cubic segments.
    pub fn steps(&self, (w, h): (u32, u32), segments: usize) -> usize {
        match *self {
            RefineBudget::Steps(n) => n,
            RefineBudget::Seconds(s) if s.is_finite() && s > 0.0 => {
                let (fixed, per_pixel, per_segment) = STEP_SECONDS;
                let step = fixed + per_pixel * (w as f64 * h as f64) + per_segment * segments as f64;
                ((s / step).floor() as usize).min(MAX_BUDGET_STEPS)
            }
            RefineBudget::Seconds(_) => 0,
        }
    }
}

/// What refinement did.
#[derive(Clone, Debug, Serialize)]
pub struct RefineReport {
    pub steps: usize,
    /// The time budget the steps were counted from (`None`: the steps were given).
    pub budget_seconds: Option<f64>,
    /// PSNR over white before and after, dB.
    pub psnr_before_db: f64,
    pub psnr_after_db: f64,
    pub seconds: f64,
}

/// Fits the paths of the layered SVG `svg` (canvas `w × h`) to `target` (`h × w × 4`, over
/// white) for `steps` Adam steps; returns the new SVG text and a report. A step whose loss is not
/// finite ends the fit with the last good parameters.
pub fn refine(
    svg: &str,
    target: &[f32],
    (w, h): (u32, u32),
    steps: usize,
    backend: BackendChoice,
    progress: &mut dyn FnMut(Progress<'_>) -> bool,
) -> Result<(String, RefineReport)> {
    let start = Instant::now();
    let doc = Document::parse(svg)?;
    let built = scene::build(&doc, &BuildOptions { trainable: Trainable::All, ..Default::default() })?;
    let original = built.scene;
    let before = crate::raster::render(&original, w, h, WHITE)?;
    let psnr_before_db = psnr(&before.data, target);
    let device = device_for(backend)?.autodiff();
    let fitted = catch_gpu(&device, || fit(&original, target, (w, h), steps, &device, progress))?;
    let after = crate::raster::render(&fitted, w, h, WHITE)?;
    let psnr_after_db = psnr(&after.data, target);
    let text = scene::write_back(&doc, &original, &built.map, &fitted, WriteBack::default())?;
    Ok((
        text,
        RefineReport {
            steps,
            budget_seconds: None,
            psnr_before_db,
            psnr_after_db,
            seconds: start.elapsed().as_secs_f64(),
        },
    ))
}

/// The Adam fit of [`refine`] on the autodiff `device`: the fitted scene (the last parameters
/// whose loss was finite).
fn fit(
    original: &Scene,
    target: &[f32],
    (w, h): (u32, u32),
    steps: usize,
    device: &Device,
    progress: &mut dyn FnMut(Progress<'_>) -> bool,
) -> Result<Scene> {
    let job = RasterJob {
        scene: std::sync::Arc::new(original.clone()),
        width: w,
        height: h,
        background: WHITE,
        limits: Default::default(),
    };
    let target_t = Tensor::<1>::from_floats(target, device).reshape([h as usize, w as usize, 4]);
    let (mut p, mut c, widths) = scene_tensors(original, device);
    // Every point moves; of the colours only RGB: alpha stays as traced.
    let ones = Tensor::<2>::ones(p.dims(), device).inner();
    let rows = c.dims()[0];
    let rgb_mask = Tensor::<2>::from_data(TensorData::new([1.0f32, 1.0, 1.0, 0.0].repeat(rows), [rows, 4]), device);
    let mut shape = MaskedAdam::new(SHAPE_LR, MaskedAdam::DEFAULT_EPSILON, p.clone().inner(), ones, false);
    let mut color = MaskedAdam::new(COLOR_LR, MaskedAdam::DEFAULT_EPSILON, c.clone().inner(), rgb_mask.inner(), true);
    let mut good = (p.clone(), c.clone());
    for step in 0..steps {
        let (pv, cv) = (p.clone().require_grad(), c.clone().require_grad());
        let img = render_tensor(pv.clone(), cv.clone(), widths.clone(), job.clone());
        let diff2 = (img - target_t.clone()).powf_scalar(2.0);
        // burn-flex sums 4 Mi floats or more (a 1024² image) in parallel chunks added in
        // rayon's scheduling order, so `mean().into_scalar()` can differ between runs in its
        // last bits: the reported value is summed row by row, in a fixed order, instead.
        // The gradient of the mean does not depend on its value.
        let value = diff2.clone().inner().reshape([h as usize, w as usize * 4]).sum_dim(1).sum().into_scalar::<f32>()
            / (h as usize * w as usize * 4) as f32;
        let loss = diff2.mean();
        if !value.is_finite() {
            break;
        }
        good = (p.clone(), c.clone());
        if !progress(Progress::Refine { step: step + 1, steps, loss: value }) {
            return Err(Error::Cancelled);
        }
        let grads = loss.backward();
        let (Some(gp), Some(gc)) = (pv.grad(&grads), cv.grad(&grads)) else { break };
        // A degenerate segment (zero length) can give a non-finite gradient without changing
        // the render: it must not poison its point, so such entries do not move it.
        let (gp, gc) = (finite_or_zero(gp), finite_or_zero(gc));
        p = Tensor::from_inner(shape.step(pv.inner(), gp));
        c = Tensor::from_inner(color.step(cv.inner(), gc));
    }
    let (np, nc) = (original.points.len(), original.colors.len());
    let (mut pv, mut cv) = (host_values(p.inner()), host_values(c.inner()));
    if pv.iter().chain(&cv).any(|v| !v.is_finite()) {
        (pv, cv) = (host_values(good.0.inner()), host_values(good.1.inner()));
    }
    if pv.len() < 2 * np || cv.len() < 4 * nc {
        return Err(Error::Gpu("the refinement returned parameters of the wrong size".into()));
    }
    Ok(with_params(original, &unflatten_rows(&pv, np), &unflatten_rows(&cv, nc)))
}

/// `g` with every non-finite entry replaced by 0.
fn finite_or_zero(g: Tensor<2>) -> Tensor<2> {
    let bad = g.clone().is_finite().bool_not();
    g.mask_fill(bad, 0.0)
}
