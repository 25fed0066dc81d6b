//! Refinement: fit the stacked paths to the bitmap with the differentiable rasterizer.
//!
//! `L = mean (render(points, colours) − bitmap)²` over white, minimised by burn's Adam on the
//! control points (canvas pixels) and the RGB of the fills (alpha stays 1: the traced shapes are
//! opaque), coarse to fine: one phase per round, each round fitted on top of the fitted rounds
//! below with only those rendered ([`phases`]). Tracing leaves hairline gaps and colour
//! quantisation; a few steps close most of them. The result goes back into the layered SVG
//! through [`scene::write_back`], so only `d` and `fill` of the paths change.

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

/// Seconds one refinement step of the whole stack takes on the reference machine (2 x86-64
/// cores, the CPU backend): a fixed cost per step, per pixel and per cubic segment (a phase of
/// the lower rounds costs its share, [`RefineBudget::steps`]). Fitted to joint steps measured
/// on the scikit-image photos (`clipvg vectorize --refine 20`): astronaut at 256 px (11k
/// segments) 0.040 s, at 512 px (42k) 0.126 s, at 1024 px (125k) 0.465 s; coffee at 512 px
/// 0.087 s; the model gives 0.036, 0.131, 0.472 and 0.086 s.
const STEP_SECONDS: (f64, f64, f64) = (5e-3, 3.5e-7, 0.8e-6);

/// The share of a refinement's steps that goes to the top round's phase; the rounds below
/// share the rest equally ([`phases`], and the budget's cost model in [`RefineBudget::steps`]).
const TOP_PHASE_SHARE: f64 = 0.5;

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

    /// The steps for a `w × h` canvas whose rounds have `round_segments` cubic segments each
    /// (painter's order). A step of a round's phase ([`phases`]) renders that round and those
    /// below it, so the model charges it their segments and their share of the pixel work.
    pub fn steps(&self, (w, h): (u32, u32), round_segments: &[usize]) -> usize {
        match *self {
            RefineBudget::Steps(n) => n,
            RefineBudget::Seconds(s) if s.is_finite() && s > 0.0 => {
                let (fixed, per_pixel, per_segment) = STEP_SECONDS;
                let total = round_segments.iter().sum::<usize>().max(1) as f64;
                let pixels = w as f64 * h as f64;
                let n = round_segments.len().max(1);
                let mut below = 0.0;
                let mut seconds_per_step = 0.0;
                for (k, &segments) in round_segments.iter().enumerate() {
                    below += segments as f64;
                    let cost = fixed + per_pixel * pixels * below / total + per_segment * below;
                    let share = if n == 1 {
                        1.0
                    } else if k + 1 == n {
                        TOP_PHASE_SHARE
                    } else {
                        (1.0 - TOP_PHASE_SHARE) / (n - 1) as f64
                    };
                    seconds_per_step += share * cost;
                }
                if round_segments.is_empty() {
                    seconds_per_step = fixed + per_pixel * pixels;
                }
                ((s / seconds_per_step).floor() as usize).min(MAX_BUDGET_STEPS)
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
    /// PSNR (dB, over white) of the refined stack up to and including each round, as
    /// [`super::RoundReport::psnr_db`] before refinement.
    pub rounds_psnr_db: Vec<f64>,
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
    let ends = round_ends(&doc, &built.map);
    let fitted = catch_gpu(&device, || fit(&original, &ends, target, (w, h), steps, &device, progress))?;
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
            rounds_psnr_db: Vec::new(),
            seconds: start.elapsed().as_secs_f64(),
        },
    ))
}

/// How the steps of a refinement go to the rounds (`ends[k]`: shapes of rounds `0..=k`, in
/// painter's order): coarse to fine, one phase per round, each fitting its round's points and
/// colours on top of the rounds below (fixed, and already fitted) with only those rounds
/// rendered. So every prefix of the stack stays a picture of the bitmap on its own, which is
/// what shows through when an edit moves the shapes above. The top round gets
/// [`TOP_PHASE_SHARE`] of the steps (rounded up), the rounds below share the rest. Returns
/// `(end, steps)` per phase.
///
/// Measured against one joint fit of all rounds (same steps, the three photos at 512 px): the
/// untouched result is 0.4–0.6 dB lower (28.06 / 31.43 / 28.41 against 28.67 / 31.85 / 28.97
/// dB), equal or better after a 1 px jitter of every point (25.29 / 29.60 / 26.02 against 25.29
/// / 29.58 / 25.91), the lower rounds stay pictures of the photo (astronaut's coarse + medium
/// stack 24.81 dB against 21.77 after the joint fit, 23.26 traced), and it takes about a third
/// less time (the lower phases render fewer shapes).
fn phases(ends: &[usize], steps: usize) -> Vec<(usize, usize)> {
    match ends {
        [] => Vec::new(),
        [only] => vec![(*only, steps)],
        [lower @ .., top] => {
            let top_steps = (steps as f64 * TOP_PHASE_SHARE).ceil() as usize;
            let rest = steps - top_steps;
            let n = lower.len();
            let mut out: Vec<(usize, usize)> =
                lower.iter().enumerate().map(|(k, &e)| (e, rest / n + usize::from(k < rest % n))).collect();
            out.push((*top, top_steps));
            out
        }
    }
}

/// The points and RGB colours of shapes `from..to` of `scene`: `[P, 2]` and `[C, 4]` masks,
/// 1 where the value may move.
fn round_masks(scene: &Scene, (from, to): (usize, usize), device: &Device) -> (Tensor<2>, Tensor<2>) {
    let mut shapes = scene.clone();
    for (i, s) in shapes.shapes.iter_mut().enumerate() {
        s.trainable = (from..to).contains(&i);
    }
    let points: Vec<f32> = shapes.point_trainable().iter().flat_map(|&t| [f32::from(u8::from(t)); 2]).collect();
    let mut colors = vec![0.0f32; 4 * scene.colors.len()];
    for s in &scene.shapes[from..to] {
        if let crate::scene::Paint::Solid(ci) = s.fill {
            colors[4 * ci as usize..4 * ci as usize + 3].fill(1.0);
        }
    }
    let (np, nc) = (scene.points.len(), scene.colors.len());
    (
        Tensor::from_data(TensorData::new(points, [np, 2]), device),
        Tensor::from_data(TensorData::new(colors, [nc, 4]), device),
    )
}

/// The Adam fit of [`refine`] on the autodiff `device`, round by round ([`phases`]): the
/// fitted scene (the last parameters whose loss was finite).
fn fit(
    original: &Scene,
    ends: &[usize],
    target: &[f32],
    (w, h): (u32, u32),
    steps: usize,
    device: &Device,
    progress: &mut dyn FnMut(Progress<'_>) -> bool,
) -> Result<Scene> {
    let target_t = Tensor::<1>::from_floats(target, device).reshape([h as usize, w as usize, 4]);
    let (mut p, mut c, widths) = scene_tensors(original, device);
    let (np, nc) = (original.points.len(), original.colors.len());
    let mut good = (p.clone(), c.clone());
    let mut step = 0;
    let mut from = 0;
    'phases: for (end, phase_steps) in phases(ends, steps) {
        let visible = Scene { shapes: original.shapes[..end].to_vec(), ..original.clone() };
        let job = RasterJob {
            scene: std::sync::Arc::new(visible),
            width: w,
            height: h,
            background: WHITE,
            limits: Default::default(),
        };
        // Padded like the parameter tensors; the padding never moves.
        let (pm, cm) = round_masks(original, (from, end), device);
        let pad = |m: Tensor<2>, rows: usize| {
            let [r, k] = m.dims();
            if r == rows { m } else { Tensor::cat(vec![m, Tensor::zeros([rows - r, k], device)], 0) }
        };
        let (pm, cm) = (pad(pm, p.dims()[0]), pad(cm, c.dims()[0]));
        let mut shape = MaskedAdam::new(SHAPE_LR, MaskedAdam::DEFAULT_EPSILON, p.clone().inner(), pm.inner(), false);
        let mut color = MaskedAdam::new(COLOR_LR, MaskedAdam::DEFAULT_EPSILON, c.clone().inner(), cm.inner(), true);
        from = end;
        for _ in 0..phase_steps {
            step += 1;
            let (pv, cv) = (p.clone().require_grad(), c.clone().require_grad());
            let img = render_tensor(pv.clone(), cv.clone(), widths.clone(), job.clone());
            let diff2 = (img - target_t.clone()).powf_scalar(2.0);
            // burn-flex sums 4 Mi floats or more (a 1024² image) in parallel chunks added in
            // rayon's scheduling order, so `mean().into_scalar()` can differ between runs in
            // its last bits: the reported value is summed row by row, in a fixed order,
            // instead. The gradient of the mean does not depend on its value.
            let value =
                diff2.clone().inner().reshape([h as usize, w as usize * 4]).sum_dim(1).sum().into_scalar::<f32>()
                    / (h as usize * w as usize * 4) as f32;
            let loss = diff2.mean();
            if !value.is_finite() {
                break 'phases;
            }
            good = (p.clone(), c.clone());
            if !progress(Progress::Refine { step, steps, loss: value }) {
                return Err(Error::Cancelled);
            }
            let grads = loss.backward();
            let (Some(gp), Some(gc)) = (pv.grad(&grads), cv.grad(&grads)) else { break 'phases };
            // A degenerate segment (zero length) can give a non-finite gradient without
            // changing the render: it must not poison its point, so such entries do not move it.
            let (gp, gc) = (finite_or_zero(gp), finite_or_zero(gc));
            p = Tensor::from_inner(shape.step(pv.inner(), gp));
            c = Tensor::from_inner(color.step(cv.inner(), gc));
        }
    }
    let (mut pv, mut cv) = (host_values(p.inner()), host_values(c.inner()));
    if pv.iter().chain(&cv).any(|v| !v.is_finite()) {
        (pv, cv) = (host_values(good.0.inner()), host_values(good.1.inner()));
    }
    if pv.len() < 2 * np || cv.len() < 4 * nc {
        return Err(Error::Gpu("the refinement returned parameters of the wrong size".into()));
    }
    Ok(with_params(original, &unflatten_rows(&pv, np), &unflatten_rows(&cv, nc)))
}

/// The shapes of each round, cumulative (`ends[k]`: shapes of rounds `0..=k`): a round is one
/// child of the root, in painter's order; a document without groups is one round.
fn round_ends(doc: &Document, map: &crate::scene::SceneMap) -> Vec<usize> {
    let groups = &doc.element(doc.root()).children;
    let round_of =
        |s: &crate::scene::ShapeSource| doc.element(s.element).parent.and_then(|g| groups.iter().position(|&x| x == g));
    let mut ends: Vec<usize> = Vec::new();
    let mut last = None;
    for (i, s) in map.shapes.iter().enumerate() {
        let r = round_of(s);
        if i > 0 && r != last {
            ends.push(i);
        }
        last = r;
    }
    ends.push(map.shapes.len());
    ends
}

/// `g` with every non-finite entry replaced by 0.
fn finite_or_zero(g: Tensor<2>) -> Tensor<2> {
    let bad = g.clone().is_finite().bool_not();
    g.mask_fill(bad, 0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_top_round_gets_half_the_steps_and_the_rounds_below_share_the_rest() {
        assert_eq!(phases(&[10], 7), [(10, 7)]);
        assert_eq!(phases(&[3, 8, 20], 10), [(3, 3), (8, 2), (20, 5)]);
        assert_eq!(phases(&[3, 8, 20], 1), [(3, 0), (8, 0), (20, 1)]);
        assert!(phases(&[], 5).is_empty());
        for steps in 0..50 {
            assert_eq!(phases(&[1, 2, 3, 4], steps).iter().map(|p| p.1).sum::<usize>(), steps);
        }
    }

    #[test]
    fn rounds_are_the_root_groups_in_painters_order() {
        let svg = r##"<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8">
  <g id="r1"><path d="M0 0H8V8Z"/><path d="M0 0H4V4Z"/></g>
  <g id="r2"><path d="M1 1H3V3Z"/></g>
  <g id="r3"><path d="M2 2H3V3Z"/><path d="M5 5H6V6Z"/><path d="M6 6H7V7Z"/></g>
</svg>"##;
        let doc = Document::parse(svg).unwrap();
        let built = scene::build(&doc, &BuildOptions::default()).unwrap();
        assert_eq!(round_ends(&doc, &built.map), [2, 3, 6]);
        let scene = &built.scene;
        let (pm, cm) = round_masks(scene, (2, 3), &crate::compute::cpu_device());
        let moving = |m: Tensor<2>| m.into_data().try_to_vec::<f32>().unwrap().iter().filter(|&&v| v == 1.0).count();
        // The middle round's one path: both coordinates of its points, and its fill's RGB.
        let shape = &scene.shapes[2];
        let points: u32 = scene.subpaths[shape.subpaths.start as usize..shape.subpaths.end as usize]
            .iter()
            .map(|sp| sp.point_count())
            .sum();
        assert_eq!(moving(pm), 2 * points as usize);
        assert_eq!(moving(cm), 3);
    }
}
