//! The CLIPVG optimisation loop: render → views per ROI → CLIP → directional loss → gradients
//! through CLIP, the views and the rasterizer → Adam on points and colours.

use std::sync::Arc;
use std::time::{Duration, Instant};

use burn::optim::{AdamConfig, Optimizer};
use burn::tensor::module::avg_pool2d;
use burn::tensor::ops::{AvgPoolOptions, GridSampleOptions, InterpolateMode};
use burn::tensor::{Bool, Device, Tensor, TensorData};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use super::request::{EditMode, EditRequest};
use super::views::{View, patch_view, sampling_grid, whole_view};
use crate::clip::{Clip, ClipTokenizer, directional_loss, normalize};
use crate::error::{Error, Result};
use crate::raster::op::{RasterJob, padded_lengths, render_tensor};
use crate::scene::Scene;

/// Views are sampled at this multiple of CLIP's input size and average-pooled down, a box
/// prefilter against aliasing (the reference resizes with antialiased bicubic).
const SUPERSAMPLE: usize = 2;

/// The 79 ImageNet prompt templates (CLIP's prompt-engineering notebook without "a photo of
/// many {}.", as CLIPVG and CLIPstyler use them).
pub const TEMPLATES: &str = include_str!("imagenet_templates.txt");

/// One region of interest, ready for the loss.
#[derive(Clone, Debug)]
pub struct RoiGuide {
    /// `[x, y, w, h]` in render pixels.
    pub rect: [f64; 4],
    /// Target direction end point: `E_T(prompt)` or `E_I(target image)`, `[1, D]`.
    pub target: Tensor<2>,
    /// Its origin: `E_T(reference text)` or `E_I(original view)`, `[1, D]`.
    pub reference: Tensor<2>,
    /// `E_I` of the original render's centred whole view, `[1, D]`.
    pub original: Tensor<2>,
    pub w_roi: f32,
    pub w_patch: f32,
    pub n_patches: usize,
    pub crop_ratio: f32,
}

/// What a progress callback sees after each iteration.
#[derive(Clone, Debug, Serialize)]
pub struct Progress {
    /// Iterations done (1-based).
    pub iteration: usize,
    pub iterations: usize,
    /// Total loss of the iteration.
    pub loss: f32,
    /// Loss per ROI.
    pub roi_losses: Vec<f32>,
    pub elapsed: Duration,
    /// Estimated time left.
    pub eta: Duration,
}

/// How the loop ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stop {
    Finished,
    Cancelled,
    /// A step produced NaN or infinity; the last good parameters were kept.
    NonFinite {
        iteration: usize,
    },
}

/// The optimised parameters and the story of the run.
#[derive(Clone, Debug)]
pub struct Optimized {
    pub points: Vec<[f32; 2]>,
    pub colors: Vec<[f32; 4]>,
    pub iterations_done: usize,
    pub stop: Stop,
    pub losses: Vec<f32>,
    pub elapsed: Duration,
}

/// Embeds a prompt: the mean of its template expansions (or the prompt alone), `[1, D]`.
pub fn embed_text(
    clip: &Clip,
    tokenizer: &ClipTokenizer,
    prompt: &str,
    templates: bool,
    device: &Device,
) -> Result<Tensor<2>> {
    let texts: Vec<String> = if templates {
        TEMPLATES.lines().filter(|l| !l.is_empty()).map(|t| t.replace("{}", prompt)).collect()
    } else {
        vec![prompt.to_string()]
    };
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let rows = tokenizer.encode_batch(&refs)?;
    // A text tower with fewer than 77 positions reads the prompt cut to its length.
    let ids = crate::clip::ids_tensor_fit(&rows, clip.config().text_config.max_position_embeddings, device);
    Ok(clip.try_encode_text(ids)?.mean_dim(0))
}

/// Render `[H, W, 4]` straight RGBA → `[1, 3, H, W]`.
pub fn to_nchw(img: Tensor<3>) -> Tensor<4> {
    let [h, w, _] = img.dims();
    img.slice([0..h, 0..w, 0..3]).permute([2, 0, 1]).unsqueeze_dim(0)
}

/// Samples `views` of a `[1, 3, H, W]` render into CLIP-ready pixels `[B, 3, S, S]` (in [0, 1],
/// not yet normalised). Outside the render and outside each view's ROI reads as white.
pub fn sample_views(render: Tensor<4>, views: &[View], size: usize) -> Tensor<4> {
    let [_, _, h, w] = render.dims();
    let n = size * SUPERSAMPLE;
    let device = render.device();
    let grid = sampling_grid(views, size, SUPERSAMPLE, w as u32, h as u32);
    let grid = Tensor::<4>::from_data(TensorData::new(grid, [1, views.len() * n, n, 2]), &device);
    let options = GridSampleOptions::new(InterpolateMode::Bilinear);
    // Zero padding of (render − 1), plus 1: white outside the canvas.
    let sampled = (render - 1.0).grid_sample_2d(grid, options) + 1.0;
    let views_nchw = sampled.reshape([3, views.len(), n, n]).permute([1, 0, 2, 3]);
    avg_pool2d(views_nchw, AvgPoolOptions::new([SUPERSAMPLE, SUPERSAMPLE]))
}

/// The ROI loss of one iteration for all ROIs: `Σ w_roi·L(whole) + w_patch·mean L(patches)`.
/// Returns the total `[1]` and the per-ROI values.
pub fn roi_loss(
    clip: &Clip,
    render: Tensor<4>,
    guides: &[RoiGuide],
    rng: &mut ChaCha8Rng,
    distortion: f32,
) -> (Tensor<1>, Vec<Tensor<1>>) {
    let s = clip.image_size();
    let mut all_views = Vec::new();
    let mut counts = Vec::new();
    for g in guides {
        all_views.push(whole_view(g.rect, s, Some(&mut *rng)));
        for _ in 0..g.n_patches {
            all_views.push(patch_view(g.rect, g.crop_ratio as f64, distortion as f64, s, rng));
        }
        counts.push(1 + g.n_patches);
    }
    let pixels = normalize(sample_views(render, &all_views, s));
    let emb = clip.encode_image(pixels);
    let mut total: Option<Tensor<1>> = None;
    let mut parts = Vec::new();
    let mut at = 0;
    for (g, &n) in guides.iter().zip(&counts) {
        let whole = emb.clone().slice([at..at + 1]);
        let mut l = directional_loss(whole, g.original.clone(), g.target.clone(), g.reference.clone()) * g.w_roi;
        if n > 1 {
            let patches = emb.clone().slice([at + 1..at + n]);
            l = l + directional_loss(patches, g.original.clone(), g.target.clone(), g.reference.clone()) * g.w_patch;
        }
        at += n;
        total = Some(match total {
            Some(t) => t + l.clone(),
            None => l.clone(),
        });
        parts.push(l);
    }
    (total.expect("at least one ROI"), parts)
}

/// Indices `[S, 4]` of the control points (A, B, C, D) of every cubic segment of the
/// trainable shapes.
pub fn trainable_segments(scene: &Scene) -> Vec<[u32; 4]> {
    let mut out = Vec::new();
    for shape in scene.shapes.iter().filter(|s| s.trainable) {
        for sp in &scene.subpaths[shape.subpaths.start as usize..shape.subpaths.end as usize] {
            let n = sp.point_count();
            for k in 0..sp.segments {
                let at = |i: u32| sp.first_point + (3 * k + i) % n;
                out.push([at(0), at(1), at(2), at(3)]);
            }
        }
    }
    out
}

/// The Xing loss of LIVE (Ma et al., CVPR 2022) against self-intersecting cubics: with
/// `D1 = [AB × CD ≥ 0]` and `D2 = sin∠(AB, BC)`, the mean of `D1·relu(−D2) + (1 − D1)·relu(D2)`:
/// a segment whose first turn disagrees with its overall turn is penalised. `segments` from
/// [`trainable_segments`]; `points` `[P, 2]`. Returns `[1]`.
pub fn xing_loss(points: Tensor<2>, segments: &[[u32; 4]]) -> Tensor<1> {
    let device = points.device();
    let pick = |k: usize| {
        let idx: Vec<i32> = segments.iter().map(|s| s[k] as i32).collect();
        let n = idx.len();
        points.clone().select(0, Tensor::<1, burn::tensor::Int>::from_data(TensorData::new(idx, [n]), &device))
    };
    let (a, b, c, d) = (pick(0), pick(1), pick(2), pick(3));
    let cross = |u: Tensor<2>, v: Tensor<2>| {
        let n = u.dims()[0];
        let (ux, uy) = (u.clone().slice([0..n, 0..1]), u.slice([0..n, 1..2]));
        let (vx, vy) = (v.clone().slice([0..n, 0..1]), v.slice([0..n, 1..2]));
        ux * vy - uy * vx
    };
    let norm = |u: Tensor<2>| u.powi_scalar(2).sum_dim(1).sqrt();
    let (ab, bc, cd) = (b.clone() - a, c.clone() - b, d - c);
    let d1 = cross(ab.clone(), cd).greater_equal_elem(0.0).float();
    let d2 = cross(ab.clone(), bc.clone()) / (norm(ab) * norm(bc) + 1e-8);
    let loss = d1.clone() * d2.clone().neg().clamp_min(0.0) + (d1.neg() + 1.0) * d2.clamp_min(0.0);
    loss.mean().reshape([1])
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
    let [np, nc, nw] = padded_lengths(scene);
    // Masks: 1 where the optimizer may move a value.
    let shape_on = req.mode != EditMode::Colour && req.shape_lr > 0.0;
    let color_on = req.mode != EditMode::Shape && req.colour_lr > 0.0;
    let mut pmask = vec![0.0f32; np * 2];
    if shape_on {
        for (i, t) in trainable_points.iter().enumerate() {
            if *t {
                pmask[2 * i] = 1.0;
                pmask[2 * i + 1] = 1.0;
            }
        }
    }
    let mut cmask = vec![0.0f32; nc * 4];
    if color_on {
        for (i, t) in scene.color_trainable.iter().enumerate() {
            if *t {
                cmask[4 * i..4 * i + 4].fill(1.0);
            }
        }
    }
    let ad = device.clone().autodiff();
    let mk =
        |v: &[f32], rows: usize, cols: usize| Tensor::<2>::from_data(TensorData::new(v.to_vec(), [rows, cols]), device);
    let flat_p: Vec<f32> = {
        let mut p: Vec<f32> = scene.points.iter().flatten().copied().collect();
        p.resize(np * 2, 0.0);
        p
    };
    let flat_c: Vec<f32> = {
        let mut c: Vec<f32> = scene.colors.iter().flatten().copied().collect();
        c.resize(nc * 4, 0.0);
        c
    };
    let mut widths_v = scene.stroke_widths.clone();
    widths_v.resize(nw, 0.0);
    let p0 = mk(&flat_p, np, 2);
    let c0 = mk(&flat_c, nc, 4);
    let widths = Tensor::<1>::from_data(TensorData::new(widths_v, [nw]), &ad);
    let pmask_t = mk(&pmask, np, 2);
    let cmask_t = mk(&cmask, nc, 4);
    let p_frozen: Tensor<2, Bool> = pmask_t.clone().equal_elem(0.0);
    let c_frozen: Tensor<2, Bool> = cmask_t.clone().equal_elem(0.0);

    let adam = AdamConfig::new().with_epsilon(1e-8).build();
    let (mut p, mut c) = (p0.clone(), c0.clone());
    let (mut sp, mut sc) = (None, None);
    let mut rng = ChaCha8Rng::seed_from_u64(req.seed);
    let segments = if req.xing_weight > 0.0 { trainable_segments(scene) } else { Vec::new() };
    let start = Instant::now();
    let mut losses = Vec::new();
    let mut stop = Stop::Finished;
    let mut done = 0;
    for it in 0..req.iterations {
        let pv = Tensor::<2>::from_inner(p.clone()).require_grad();
        let cv = Tensor::<2>::from_inner(c.clone()).require_grad();
        let img = render_tensor(pv.clone(), cv.clone(), widths.clone(), job.clone());
        let (mut loss, parts) = roi_loss(clip, to_nchw(img), guides, &mut rng, req.distortion);
        if !segments.is_empty() {
            loss = loss + xing_loss(pv.clone(), &segments) * req.xing_weight;
        }
        let loss_value = loss.clone().into_scalar::<f32>();
        let roi_losses: Vec<f32> = parts.into_iter().map(|t| t.into_scalar::<f32>()).collect();
        let grads = loss.backward();
        let gp = pv.grad(&grads).map(|g| g * pmask_t.clone());
        let gc = cv.grad(&grads).map(|g| g * cmask_t.clone());
        let mut np_ = p.clone();
        let mut nc_ = c.clone();
        if let (true, Some(g)) = (shape_on, gp) {
            let (t, s) = adam.step(req.shape_lr as f64, p.clone(), g, sp.take());
            np_ = t.mask_where(p_frozen.clone(), p0.clone());
            sp = s;
        }
        if let (true, Some(g)) = (color_on, gc) {
            let (t, s) = adam.step(req.colour_lr as f64, c.clone(), g, sc.take());
            nc_ = t.clamp(0.0, 1.0).mask_where(c_frozen.clone(), c0.clone());
            sc = s;
        }
        let finite = loss_value.is_finite()
            && !np_.clone().is_finite().bool_not().any().into_scalar::<bool>()
            && !nc_.clone().is_finite().bool_not().any().into_scalar::<bool>();
        if !finite {
            stop = Stop::NonFinite { iteration: it + 1 };
            break;
        }
        p = np_;
        c = nc_;
        done = it + 1;
        losses.push(loss_value);
        let elapsed = start.elapsed();
        let eta = elapsed.mul_f64((req.iterations - done) as f64 / done as f64);
        let keep_going = progress(&Progress {
            iteration: done,
            iterations: req.iterations,
            loss: loss_value,
            roi_losses,
            elapsed,
            eta,
        });
        if let Some(k) = snapshot_every
            && k > 0
            && done % k == 0
        {
            let (pp, cc) = (to_points(&p, scene.points.len()), to_colors(&c, scene.colors.len()));
            snapshot(done, &pp, &cc);
        }
        if !keep_going {
            stop = Stop::Cancelled;
            break;
        }
    }
    Ok(Optimized {
        points: to_points(&p, scene.points.len()),
        colors: to_colors(&c, scene.colors.len()),
        iterations_done: done,
        stop,
        losses,
        elapsed: start.elapsed(),
    })
}

fn host(t: &Tensor<2>) -> Vec<f32> {
    t.clone().into_data().convert::<f32>().try_into_vec::<f32>().unwrap_or_default()
}

fn to_points(t: &Tensor<2>, n: usize) -> Vec<[f32; 2]> {
    host(t).chunks(2).take(n).map(|c| [c[0], c[1]]).collect()
}

fn to_colors(t: &Tensor<2>, n: usize) -> Vec<[f32; 4]> {
    host(t).chunks(4).take(n).map(|c| [c[0], c[1], c[2], c[3]]).collect()
}

/// A scene with new parameters.
pub fn with_params(scene: &Scene, points: &[[f32; 2]], colors: &[[f32; 4]]) -> Scene {
    let mut s = scene.clone();
    s.points.copy_from_slice(points);
    s.colors.copy_from_slice(colors);
    s
}

/// Wraps a job for the scene, within `limits`.
pub fn job_for(scene: &Scene, width: u32, height: u32, limits: &clipvg_document::Limits) -> RasterJob {
    RasterJob { scene: Arc::new(scene.clone()), width, height, background: [1.0, 1.0, 1.0, 1.0], limits: *limits }
}

/// Estimated peak bytes of one iteration's views and CLIP batch beside the render: the
/// sampling grid and the bilinear resampling of `views` views (supersampled, with burn's
/// reference `grid_sample` intermediates kept for the backward pass), and the vision tower's
/// activations kept for the backward pass (per layer: about 8 hidden-wide and 2 MLP-wide
/// tensors per token, and the attention scores and probabilities). An estimate, not an
/// accounting; the model's weights are not counted. Calibrated on ViT-B/32 with 65 views of a
/// 512² render (`cargo bench --bench edit`): estimate 3.2 GB with the render, measured peak
/// RSS 3.7 GB of which ~0.6 GB are the weights.
pub fn views_and_clip_memory(clip: &Clip, views: usize) -> u64 {
    let v = &clip.config().vision_config;
    let views = views as u64;
    let side = (v.image_size * SUPERSAMPLE) as u64;
    // Grid (2 floats), the four taps' indices and weights, the sampled pixels (3 channels)
    // and their gradients: about 16 values per supersampled pixel.
    let sampling = views * side * side * 16 * 4;
    let tokens = v.num_positions() as u64;
    let (d, i, heads, layers) =
        (v.hidden_size as u64, v.intermediate_size as u64, v.num_attention_heads as u64, v.num_hidden_layers as u64);
    let per_layer = views * tokens * (8 * d + 2 * i) + 2 * views * heads * tokens * tokens;
    // The kept activations of every layer, and one layer's worth of gradients flowing back.
    let clip = (layers + 1) * per_layer * 4;
    sampling + clip
}

/// Guards the loop against panics inside burn and the tensor runtime: a panic becomes an
/// [`Error::Gpu`] when the work runs on a GPU `device` and the panic came from the GPU stack
/// (wgpu, naga, cubecl, the fusion runtime, clipvg's GPU rasterizer) or from a thread that
/// cannot tell; anything else (every panic on the CPU) is a bug, [`Error::Internal`].
pub fn catch_gpu<T>(device: &Device, f: impl FnOnce() -> Result<T>) -> Result<T> {
    crate::plugin::guard::install_hook();
    let _stale = crate::plugin::guard::last_panic_file();
    let on_gpu = !crate::compute::is_cpu(device);
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_else(|e| {
        // A budget exceeded inside the raster op (inside burn's graph) can only unwind; it
        // carries its `Error` as the payload and is an error like any other, not a bug.
        let e = match e.downcast::<crate::raster::RasterError>() {
            Ok(err) => return Err((*err).into()),
            Err(e) => e,
        };
        let message = crate::raster::panic_message(&e);
        let from_gpu_stack = crate::plugin::guard::last_panic_file().is_none_or(|file| {
            ["wgpu", "naga", "cubecl", "fusion", "raster/gpu"].iter().any(|part| file.contains(part))
        });
        Err(if on_gpu && from_gpu_stack { Error::Gpu(message) } else { Error::Internal(message) })
    })
}
