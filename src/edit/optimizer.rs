//! The optimisation loop: render → views per ROI → CLIP → loss → gradients through CLIP, the
//! views and the rasterizer → one masked Adam step on points and colours ([`crate::optim`]),
//! with progress, snapshots, cancelling and a stop at the first non-finite step. One iteration
//! steps every variation of an edit ([`iterate`]); the loop over the iterations is
//! [`super::variations`]'s.

use std::sync::Arc;
use std::time::Duration;

use burn::tensor::{Device, Tensor, TensorData};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use super::loss::{Batching, RoiGuide, RoiLoss, roi_losses, trainable_segments, xing_loss};
use super::request::{EditMode, EditRequest};
use crate::clip::Clip;
use crate::error::Result;
use crate::optim::MaskedAdam;
use crate::raster::op::{RasterJob, render_tensor};
use crate::raster::params::{colors_tensor, flatten_rows, padded_lengths, points_tensor, widths_tensor};
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
pub(super) struct Params {
    pub(super) points: Tensor<2>,
    pub(super) colors: Tensor<2>,
    /// Stroke widths stay as they are (on the autodiff device, untracked).
    widths: Tensor<1>,
    shape: Option<MaskedAdam>,
    color: Option<MaskedAdam>,
}

impl Params {
    /// The scene's parameters on `device`, with a stepper for points (the mode edits shapes
    /// and `shape_lr > 0`) and for colours (the mode edits colours and `colour_lr > 0`), each
    /// masked to the trainable values.
    pub(super) fn new(scene: &Scene, trainable_points: &[bool], req: &EditRequest, device: &Device) -> Params {
        let [np, nc, _] = padded_lengths(scene);
        let points = points_tensor(scene, device);
        let colors = colors_tensor(scene, device);
        let widths = widths_tensor(scene, &device.clone().autodiff());
        let shape = trains_points(req).then(|| {
            MaskedAdam::new(
                req.shape_lr as f64,
                EPSILON,
                points.clone(),
                mask_tensor::<2>(trainable_points, np, device),
                false,
            )
        });
        let color = trains_colours(req).then(|| {
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

/// Whether the edit moves points: its mode edits shapes and `shape_lr > 0`.
pub(super) fn trains_points(req: &EditRequest) -> bool {
    req.mode != EditMode::Colour && req.shape_lr > 0.0
}

/// Whether the edit changes colours: its mode edits colours and `colour_lr > 0`.
pub(super) fn trains_colours(req: &EditRequest) -> bool {
    req.mode != EditMode::Shape && req.colour_lr > 0.0
}

/// `[rows, N]`: 1 in every column of a row whose flag is set, else 0 (and 0 in the padding).
pub(super) fn mask_tensor<const N: usize>(on: &[bool], rows: usize, device: &Device) -> Tensor<2> {
    let flags: Vec<[f32; N]> = on.iter().map(|&t| [if t { 1.0 } else { 0.0 }; N]).collect();
    Tensor::from_data(TensorData::new(flatten_rows(&flags, rows), [rows, N]), device)
}

/// What one iteration computed, before it is accepted.
pub(super) struct Step {
    pub(super) loss: f32,
    pub(super) roi_losses: Vec<f32>,
    pub(super) points: Tensor<2>,
    pub(super) colors: Tensor<2>,
}

impl Step {
    /// Whether the loss and every new parameter are finite (one read from the device: a sum
    /// is finite exactly when every term is, short of overflowing f32).
    pub(super) fn is_finite(&self) -> bool {
        let sum = self.points.clone().sum() + self.colors.clone().sum();
        self.loss.is_finite() && sum.into_scalar::<f32>().is_finite()
    }
}

/// What the loop reads and does not change.
pub(super) struct Inputs<'a> {
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

/// One variation under optimisation: its parameters (with their Adam states) and its own
/// generator of views.
pub(super) struct Run {
    pub(super) params: Params,
    pub(super) rng: ChaCha8Rng,
}

/// One iteration of every run: the renders, the ROI losses of all of them with their views
/// through CLIP together ([`roi_losses`]), then per run the other terms, gradients and Adam
/// steps (the parameters are not replaced). One [`Step`] per run, in order.
pub(super) fn iterate(inputs: &Inputs<'_>, runs: &mut [&mut Run]) -> Vec<Step> {
    let tracked: Vec<(Tensor<2>, Tensor<2>)> = runs
        .iter()
        .map(|r| {
            let pv = Tensor::<2>::from_inner(r.params.points.clone()).require_grad();
            let cv = Tensor::<2>::from_inner(r.params.colors.clone()).require_grad();
            (pv, cv)
        })
        .collect();
    let renders = runs
        .iter()
        .zip(&tracked)
        .map(|(r, (pv, cv))| render_tensor(pv.clone(), cv.clone(), r.params.widths.clone(), inputs.job.clone()))
        .collect();
    let mut rngs: Vec<&mut ChaCha8Rng> = runs.iter_mut().map(|r| &mut r.rng).collect();
    let batching = Batching { views: inputs.clip_batch, timed: false };
    let rois = roi_losses(inputs.clip, renders, inputs.guides, &mut rngs, inputs.req.distortion, batching);
    runs.iter_mut()
        .zip(tracked)
        .zip(rois)
        .map(|((run, (pv, cv)), roi)| step(inputs, &mut run.params, pv, cv, roi))
        .collect()
}

/// One run's iteration after its ROI loss: the other loss terms, the gradients and the Adam
/// steps of the tracked points `pv` and colours `cv`.
fn step(inputs: &Inputs<'_>, params: &mut Params, pv: Tensor<2>, cv: Tensor<2>, roi: RoiLoss) -> Step {
    let req = inputs.req;
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
/// `snapshot_every` iterations (and never when it is `None`). One edit from `req.seed`: the
/// loop is [`super::variations::optimize_seeds`]'s.
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
    let inputs = Inputs::new(scene, trainable_points, req, clip, guides, job, device);
    let hooks = super::variations::LoopHooks { progress, snapshot, snapshot_every };
    let mut all = super::variations::optimize_seeds(scene, trainable_points, &inputs, device, &[req.seed], hooks)?;
    Ok(all.remove(0))
}

impl<'a> Inputs<'a> {
    /// The loop's inputs: the Xing segments when the request weighs them, the device's batch,
    /// the strength and palette terms' anchors.
    pub(super) fn new(
        scene: &Scene,
        trainable_points: &[bool],
        req: &'a EditRequest,
        clip: &'a Clip,
        guides: &'a [RoiGuide],
        job: RasterJob,
        device: &Device,
    ) -> Inputs<'a> {
        let segments = if req.xing_weight > 0.0 { trainable_segments(scene) } else { Vec::new() };
        let anchors = super::preserve::anchors(scene, trainable_points, req, guides, device);
        Inputs { req, clip, guides, job, segments, clip_batch: super::loss::clip_batch(device, clip), anchors }
    }

    /// The request of the run.
    pub(super) fn req(&self) -> &'a EditRequest {
        self.req
    }
}

/// Wraps a job for the scene, within `limits`.
pub fn job_for(scene: &Scene, width: u32, height: u32, limits: &clipvg_document::Limits) -> RasterJob {
    RasterJob { scene: Arc::new(scene.clone()), width, height, background: [1.0, 1.0, 1.0, 1.0], limits: *limits }
}
