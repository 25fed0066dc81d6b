//! The optimisation loop: render → views per ROI → CLIP → loss → gradients through CLIP, the
//! views and the rasterizer → one masked Adam step on points and colours ([`crate::optim`]),
//! with progress, snapshots, cancelling and a stop at the first non-finite step.

use std::sync::Arc;
use std::time::{Duration, Instant};

use burn::tensor::{Device, Tensor, TensorData};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use super::loss::{Batching, RoiGuide, roi_loss, trainable_segments, xing_loss};
use super::request::{EditMode, EditRequest};
use crate::clip::Clip;
use crate::error::Result;
use crate::optim::MaskedAdam;
use crate::raster::op::{RasterJob, render_tensor};
use crate::raster::params::{
    colors_of, colors_tensor, flatten_rows, padded_lengths, points_of, points_tensor, widths_tensor,
};
use crate::scene::Scene;

/// Adam's epsilon in the edit (the reference's PyTorch default).
const EPSILON: f32 = 1e-8;

/// What a progress callback sees after each iteration.
#[derive(Clone, Debug, Serialize)]
pub struct Progress {
    /// Iterations done (1-based).
    pub iteration: usize,
    /// Iterations asked for.
    pub iterations: usize,
    /// Total loss of the iteration.
    pub loss: f32,
    /// Loss per ROI.
    pub roi_losses: Vec<f32>,
    /// Time since the loop started.
    pub elapsed: Duration,
    /// Estimated time left.
    pub eta: Duration,
}

/// How the loop ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stop {
    /// Every iteration ran.
    Finished,
    /// The progress callback asked to stop.
    Cancelled,
    /// A step produced NaN or infinity; the last good parameters were kept.
    NonFinite {
        /// The iteration (1-based) whose step was dropped.
        iteration: usize,
    },
}

/// The optimised parameters and the story of the run.
#[derive(Clone, Debug)]
pub struct Optimized {
    /// The scene's points after the last good iteration.
    pub points: Vec<[f32; 2]>,
    /// The scene's colours after the last good iteration.
    pub colors: Vec<[f32; 4]>,
    /// Iterations whose step was accepted.
    pub iterations_done: usize,
    /// Why the loop ended.
    pub stop: Stop,
    /// Total loss of every accepted iteration.
    pub losses: Vec<f32>,
    /// Time the loop took.
    pub elapsed: Duration,
}

/// The parameters under optimisation (plain tensors; each iteration lifts them into the
/// autodiff graph) and the Adam steppers of those that may move.
struct Params {
    points: Tensor<2>,
    colors: Tensor<2>,
    /// Stroke widths stay as they are (on the autodiff device, untracked).
    widths: Tensor<1>,
    shape: Option<MaskedAdam>,
    color: Option<MaskedAdam>,
}

impl Params {
    /// The scene's parameters on `device`, with a stepper for points (the mode edits shapes
    /// and `shape_lr > 0`) and for colours (the mode edits colours and `colour_lr > 0`), each
    /// masked to the trainable values.
    fn new(scene: &Scene, trainable_points: &[bool], req: &EditRequest, device: &Device) -> Params {
        let [np, nc, _] = padded_lengths(scene);
        let points = points_tensor(scene, device);
        let colors = colors_tensor(scene, device);
        let widths = widths_tensor(scene, &device.clone().autodiff());
        let shape = (req.mode != EditMode::Colour && req.shape_lr > 0.0).then(|| {
            MaskedAdam::new(
                req.shape_lr as f64,
                EPSILON,
                points.clone(),
                mask_tensor::<2>(trainable_points, np, device),
                false,
            )
        });
        let color = (req.mode != EditMode::Shape && req.colour_lr > 0.0).then(|| {
            MaskedAdam::new(
                req.colour_lr as f64,
                EPSILON,
                colors.clone(),
                mask_tensor::<4>(&scene.color_trainable, nc, device),
                true,
            )
        });
        Params { points, colors, widths, shape, color }
    }
}

/// `[rows, N]`: 1 in every column of a row whose flag is set, else 0 (and 0 in the padding).
fn mask_tensor<const N: usize>(on: &[bool], rows: usize, device: &Device) -> Tensor<2> {
    let flags: Vec<[f32; N]> = on.iter().map(|&t| [if t { 1.0 } else { 0.0 }; N]).collect();
    Tensor::from_data(TensorData::new(flatten_rows(&flags, rows), [rows, N]), device)
}

/// What one iteration computed, before it is accepted.
struct Step {
    loss: f32,
    roi_losses: Vec<f32>,
    points: Tensor<2>,
    colors: Tensor<2>,
}

impl Step {
    /// Whether the loss and every new parameter are finite (one read from the device: a sum
    /// is finite exactly when every term is, short of overflowing f32).
    fn is_finite(&self) -> bool {
        let sum = self.points.clone().sum() + self.colors.clone().sum();
        self.loss.is_finite() && sum.into_scalar::<f32>().is_finite()
    }
}

/// What the loop reads and does not change.
struct Inputs<'a> {
    req: &'a EditRequest,
    clip: &'a Clip,
    guides: &'a [RoiGuide],
    job: RasterJob,
    /// Segments for the Xing loss (empty when its weight is 0).
    segments: Vec<[u32; 4]>,
    /// Views per CLIP batch ([`super::loss::clip_batch`]).
    clip_batch: usize,
    /// Strength and palette terms ([`super::preserve`]); `None`: CLIP's loss alone.
    anchors: Option<super::preserve::Anchors>,
}

/// One iteration: render, loss, gradients and the Adam steps (the parameters are not replaced).
fn iterate(inputs: &Inputs<'_>, params: &mut Params, rng: &mut ChaCha8Rng) -> Step {
    let req = inputs.req;
    let pv = Tensor::<2>::from_inner(params.points.clone()).require_grad();
    let cv = Tensor::<2>::from_inner(params.colors.clone()).require_grad();
    let img = render_tensor(pv.clone(), cv.clone(), params.widths.clone(), inputs.job.clone());
    let roi = roi_loss(
        inputs.clip,
        img,
        inputs.guides,
        rng,
        req.distortion,
        Batching { views: inputs.clip_batch, timed: false },
    );
    let mut loss = roi.surrogate;
    // Every value the iteration reports, read from the device once: the ROI losses, then the
    // Xing term.
    let mut values = vec![roi.parts];
    if !inputs.segments.is_empty() {
        let xing = xing_loss(pv.clone(), &inputs.segments) * req.xing_weight;
        values.push(xing.clone().detach());
        loss = loss + xing;
    }
    if let Some(terms) = super::preserve::regularisers(&pv, &cv, inputs.anchors.as_ref()) {
        values.push(terms.clone().detach());
        loss = loss + terms;
    }
    let n_values = inputs.guides.len() + values.len() - 1;
    // A value that cannot be read counts as non-finite: the loop stops with the last good step.
    let values: Vec<f32> = Tensor::cat(values, 0)
        .into_data()
        .convert::<f32>()
        .try_into_vec::<f32>()
        .unwrap_or_else(|_| vec![f32::NAN; n_values]);
    let roi_losses = values[..inputs.guides.len().min(values.len())].to_vec();
    let loss_value: f32 = values.iter().sum();
    let grads = loss.backward();
    let points = match (&mut params.shape, pv.grad(&grads)) {
        (Some(adam), Some(g)) => adam.step(params.points.clone(), g),
        _ => params.points.clone(),
    };
    let colors = match (&mut params.color, cv.grad(&grads)) {
        (Some(adam), Some(g)) => adam.step(params.colors.clone(), g),
        _ => params.colors.clone(),
    };
    Step { loss: loss_value, roi_losses, points, colors }
}

/// Runs the optimisation. `progress` is called after every iteration and returns `false` to
/// cancel; `snapshot` is called with the iteration and the current parameters every
/// `snapshot_every` iterations (and never when it is `None`).
#[allow(clippy::too_many_arguments)] // the loop's inputs; a struct would only rename them
pub fn optimize(
    scene: &Scene,
    trainable_points: &[bool],
    req: &EditRequest,
    clip: &Clip,
    guides: &[RoiGuide],
    job: RasterJob,
    device: &Device,
    progress: &mut dyn FnMut(&Progress) -> bool,
    snapshot: &mut dyn FnMut(usize, &[[f32; 2]], &[[f32; 4]]),
    snapshot_every: Option<usize>,
) -> Result<Optimized> {
    if super::preserve::untouched(req) {
        return Ok(super::preserve::unchanged(scene));
    }
    let mut params = Params::new(scene, trainable_points, req, device);
    let segments = if req.xing_weight > 0.0 { trainable_segments(scene) } else { Vec::new() };
    let anchors = super::preserve::anchors(scene, trainable_points, req, guides, device);
    let inputs = Inputs { req, clip, guides, job, segments, clip_batch: super::loss::clip_batch(device), anchors };
    let mut rng = ChaCha8Rng::seed_from_u64(req.seed);
    let (np, nc) = (scene.points.len(), scene.colors.len());
    let start = Instant::now();
    let mut losses = Vec::new();
    let mut stop = Stop::Finished;
    for it in 0..req.iterations {
        let step = iterate(&inputs, &mut params, &mut rng);
        if !step.is_finite() {
            stop = Stop::NonFinite { iteration: it + 1 };
            break;
        }
        (params.points, params.colors) = (step.points, step.colors);
        let done = it + 1;
        losses.push(step.loss);
        let elapsed = start.elapsed();
        let eta = elapsed.mul_f64((req.iterations - done) as f64 / done as f64);
        let keep_going = progress(&Progress {
            iteration: done,
            iterations: req.iterations,
            loss: step.loss,
            roi_losses: step.roi_losses,
            elapsed,
            eta,
        });
        if let Some(k) = snapshot_every
            && k > 0
            && done % k == 0
        {
            snapshot(done, &points_of(params.points.clone(), np), &colors_of(params.colors.clone(), nc));
        }
        if !keep_going {
            stop = Stop::Cancelled;
            break;
        }
    }
    Ok(Optimized {
        points: points_of(params.points, np),
        colors: colors_of(params.colors, nc),
        iterations_done: losses.len(),
        stop,
        losses,
        elapsed: start.elapsed(),
    })
}

/// Wraps a job for the scene, within `limits`.
pub fn job_for(scene: &Scene, width: u32, height: u32, limits: &clipvg_document::Limits) -> RasterJob {
    RasterJob { scene: Arc::new(scene.clone()), width, height, background: [1.0, 1.0, 1.0, 1.0], limits: *limits }
}
