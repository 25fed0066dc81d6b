//! Variations: N edits of one plan from the seeds `seed`, `seed + 1`, … in one run.
//!
//! The model is loaded and the texts embedded once, the ROI guides (the original render's
//! views) computed once; each iteration renders every variation's parameters and sends the
//! views of all of them through CLIP together ([`super::loss::roi_losses`]). Each variation keeps
//! its own Adam state, generator of views (its own seed), stop at a non-finite step and loss
//! history, so variation `k` is the edit a single run with seed `seed + k - 1` makes — up to
//! the float summation of CLIP batches of another composition (the tests compare colours within
//! 1e-4), and exactly for one variation (the plain [`super::edit`]).

use std::time::Instant;

use burn::tensor::Device;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::optimizer::{Inputs, Optimized, Params, Progress, Run, Stop, iterate};
use super::{EditOutcome, EditReport, EditRequest, Hooks, Model, Plan};
use crate::error::Result;
use crate::plugin::guard::catch_gpu;
use crate::raster::params::{colors_of, points_of};
use crate::scene::Scene;
use crate::svg::Document;

/// The seed of each variation: `seed`, `seed + 1`, … (`req.variations` of them, at least one;
/// wrapping past `u64::MAX`).
pub fn variation_seeds(req: &EditRequest) -> Vec<u64> {
    (0..req.variations.max(1) as u64).map(|k| req.seed.wrapping_add(k)).collect()
}

/// Runs the `req.variations` edits of `doc` in one run: plans it ([`super::plan::plan`]) and
/// runs [`edit_planned_variations`]. One outcome per variation, variation 1 (the request's
/// seed, the same document as [`super::edit`]) first.
pub fn edit_variations(doc: &Document, req: &EditRequest, model: &Model, hooks: Hooks<'_>) -> Result<Vec<EditOutcome>> {
    let plan = super::plan::plan(doc, req, &mut clipvg_document::no_progress())?;
    edit_planned_variations(doc, req, &plan, model, hooks)
}

/// The `req.variations` edits of a planned `doc`, batched in one loop. Progress counts the
/// loop's iterations (all variations step together); snapshots show variation 1.
pub fn edit_planned_variations(
    doc: &Document,
    req: &EditRequest,
    plan: &Plan,
    model: &Model,
    hooks: Hooks<'_>,
) -> Result<Vec<EditOutcome>> {
    edit_seeds(doc, req, plan, model, hooks, &variation_seeds(req))
}

/// One edit of the plan per seed, in one loop (the body of every edit).
pub(super) fn edit_seeds(
    doc: &Document,
    req: &EditRequest,
    plan: &Plan,
    model: &Model,
    hooks: Hooks<'_>,
    seeds: &[u64],
) -> Result<Vec<EditOutcome>> {
    let built = &plan.built;
    let scene = plan.scene();
    let (rw, rh) = plan.render;
    let job = super::optimizer::job_for(scene, rw, rh, &req.limits);
    // Budgets before the big buffers: the render's pixels, its flattened lines, and the memory
    // of the render, its gradients, the views and the CLIP batch of one iteration — of every
    // variation (each further render and its gradients: about three RGBA f32 frames).
    let n = seeds.len().max(1);
    let views: usize = plan.rois.iter().map(|r| 1 + r.n_patches).sum::<usize>() * n;
    let more_renders = (n as u64 - 1).saturating_mul(rw as u64 * rh as u64 * 16 * 3);
    let other =
        super::views::views_and_clip_memory(&model.clip, views, super::loss::clip_batch(&model.device, &model.clip))
            .saturating_add(more_renders);
    drop(crate::raster::Frame::with_budget(scene, rw, rh, job.background, &req.limits, true, other)?);

    catch_gpu(&model.device, || {
        let masks = super::mask::roi_masks(doc, plan, req.roi_mask)?;
        let guides = super::roi_guides(model, req, scene, &job, &plan.rois, &masks, plan.scale)?;
        let mut results = super::run_loop(doc, built, scene, req, model, &guides, job.clone(), hooks, seeds)?;
        for result in &mut results {
            super::palette::snap(req, scene, result);
        }
        let rois: Vec<(String, [f64; 4])> =
            plan.rois.iter().map(|r| (r.prompt.clone().unwrap_or_else(|| "(image target)".into()), r.rect)).collect();
        let mut out = Vec::with_capacity(results.len());
        for result in results {
            let (svg, changed) = super::write_result(doc, built, scene, plan.with_background.is_some(), &result)?;
            let report = EditReport {
                iterations_done: result.iterations_done,
                iterations: req.iterations,
                stop: result.stop,
                losses: result.losses,
                changed,
                rois: rois.clone(),
                elapsed_s: result.elapsed.as_secs_f64(),
            };
            out.push(EditOutcome { svg, report });
        }
        Ok(out)
    })
}

/// The loop's callbacks (see [`super::optimizer::optimize`]).
pub(super) struct LoopHooks<'h> {
    /// After each iteration of the loop; `false` cancels every variation.
    pub(super) progress: &'h mut dyn FnMut(&Progress) -> bool,
    /// The first variation's parameters every `snapshot_every` iterations.
    pub(super) snapshot: &'h mut dyn FnMut(usize, &[[f32; 2]], &[[f32; 4]]),
    pub(super) snapshot_every: Option<usize>,
}

/// The optimisation loop, one run per seed stepping together ([`iterate`]): a run whose step is
/// non-finite stops there with its last good state while the others go on; the loop ends when
/// every run has stopped, the iterations are done, or the progress callback cancels. Progress
/// shows the first run still going. One [`Optimized`] per seed, in order.
pub(super) fn optimize_seeds(
    scene: &Scene,
    trainable_points: &[bool],
    inputs: &Inputs<'_>,
    device: &Device,
    seeds: &[u64],
    hooks: LoopHooks<'_>,
) -> Result<Vec<Optimized>> {
    let req = inputs.req();
    if super::preserve::untouched(req) {
        // Strength 0: every variation is the scene as it is, byte for byte.
        return Ok(seeds.iter().map(|_| super::preserve::unchanged(scene)).collect());
    }
    let LoopHooks { progress, snapshot, snapshot_every } = hooks;
    let mut runs: Vec<Run> = seeds
        .iter()
        .map(|&seed| Run {
            params: Params::new(scene, trainable_points, req, device),
            rng: ChaCha8Rng::seed_from_u64(seed),
        })
        .collect();
    let n = runs.len();
    let (np, nc) = (scene.points.len(), scene.colors.len());
    let start = Instant::now();
    let mut losses: Vec<Vec<f32>> = vec![Vec::new(); n];
    // Why each run stopped; `None` while it goes on.
    let mut ends: Vec<Option<Stop>> = vec![None; n];
    for it in 0..req.iterations {
        let going: Vec<usize> = (0..n).filter(|&k| ends[k].is_none()).collect();
        let mut refs: Vec<&mut Run> = runs.iter_mut().zip(&ends).filter(|(_, e)| e.is_none()).map(|(r, _)| r).collect();
        let steps = iterate(inputs, &mut refs);
        drop(refs);
        let mut shown = None;
        for (k, step) in going.into_iter().zip(steps) {
            if !step.is_finite() {
                ends[k] = Some(Stop::NonFinite { iteration: it + 1 });
                continue;
            }
            (runs[k].params.points, runs[k].params.colors) = (step.points, step.colors);
            losses[k].push(step.loss);
            shown.get_or_insert((step.loss, step.roi_losses));
        }
        let Some((loss, roi_losses)) = shown else { break };
        let done = it + 1;
        let elapsed = start.elapsed();
        let eta = elapsed.mul_f64((req.iterations - done) as f64 / done as f64);
        let keep_going =
            progress(&Progress { iteration: done, iterations: req.iterations, loss, roi_losses, elapsed, eta });
        if let Some(k) = snapshot_every
            && k > 0
            && done % k == 0
            && ends[0].is_none()
        {
            let p = &runs[0].params;
            snapshot(done, &points_of(p.points.clone(), np), &colors_of(p.colors.clone(), nc));
        }
        if !keep_going {
            ends.iter_mut().filter(|e| e.is_none()).for_each(|e| *e = Some(Stop::Cancelled));
            break;
        }
    }
    let elapsed = start.elapsed();
    Ok(runs
        .into_iter()
        .zip(losses)
        .zip(ends)
        .map(|((run, losses), end)| Optimized {
            points: points_of(run.params.points, np),
            colors: colors_of(run.params.colors, nc),
            iterations_done: losses.len(),
            stop: end.unwrap_or(Stop::Finished),
            losses,
            elapsed,
        })
        .collect())
}
